use shared_types::{AgentType, NextAction, ProductConfig, ProductSlug, ScoreThresholds};
use std::sync::LazyLock;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("product.toml does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("product `{slug}` is invalid: {}", problems.join("; "))]
    Invalid { slug: String, problems: Vec<String> },
}

const EMBEDDED: [(ProductSlug, &str); 3] = [
    (
        ProductSlug::Booker,
        include_str!("../../../apps/saas-booker/product.toml"),
    ),
    (
        ProductSlug::LeadQualifier,
        include_str!("../../../apps/saas-leadqualifier/product.toml"),
    ),
    (
        ProductSlug::FollowUp,
        include_str!("../../../apps/saas-followup/product.toml"),
    ),
];

/// The three product configurations, validated.
#[derive(Debug, Clone)]
pub struct Catalog {
    products: Vec<ProductConfig>,
    /// `products[i]` as JSON, serialized once here rather than for every
    /// workflow that stores it.
    json: Vec<String>,
}

static EMBEDDED_CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The embedded files are checked by this crate's tests, so a failure
    // here means a broken build, not bad user input.
    Catalog::load_embedded().expect("embedded product.toml files are valid")
});

impl Catalog {
    pub fn load_embedded() -> Result<Self, RulesError> {
        let products = EMBEDDED
            .iter()
            .map(|(slug, src)| {
                let p = parse_product(src)?;
                if p.slug != *slug {
                    return Err(RulesError::Invalid {
                        slug: slug.to_string(),
                        problems: vec![format!("file of {slug} declares slug {}", p.slug)],
                    });
                }
                Ok(p)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let json = products
            .iter()
            .map(|p| serde_json::to_string(p).expect("product configs serialize"))
            .collect();
        Ok(Self { products, json })
    }

    /// The compiled-in catalog.
    pub fn embedded() -> &'static Catalog {
        &EMBEDDED_CATALOG
    }

    pub fn get(&self, slug: ProductSlug) -> &ProductConfig {
        &self.products[self.index(slug)]
    }

    /// The product's configuration as the JSON a workflow stores with it.
    pub fn json(&self, slug: ProductSlug) -> &str {
        &self.json[self.index(slug)]
    }

    fn index(&self, slug: ProductSlug) -> usize {
        self.products
            .iter()
            .position(|p| p.slug == slug)
            .expect("the catalog holds every product slug")
    }

    pub fn all(&self) -> &[ProductConfig] {
        &self.products
    }
}

/// Parses one product.toml and checks every rule, reporting all problems.
pub fn parse_product(src: &str) -> Result<ProductConfig, RulesError> {
    let p: ProductConfig = toml::from_str(src)?;
    let mut problems = Vec::new();
    if p.agents.is_empty() {
        problems.push("agents must not be empty".to_owned());
    }
    let mut seen = Vec::new();
    for a in &p.agents {
        if seen.contains(a) {
            problems.push(format!("agent {a} is listed twice"));
        }
        seen.push(*a);
    }
    if p.allows(AgentType::Scheduler) && !p.allows(AgentType::Qualifier) {
        problems.push("the scheduler needs the qualifier to recommend a meeting".to_owned());
    }
    let ScoreThresholds { hot, warm } = p.thresholds;
    if !(1..=100).contains(&hot) || !(1..=100).contains(&warm) {
        problems.push("thresholds must be between 1 and 100".to_owned());
    }
    if warm >= hot {
        problems.push("thresholds.warm must be below thresholds.hot".to_owned());
    }
    let f = &p.followup;
    if f.cadence_days.is_empty() {
        problems.push("followup.cadence_days must not be empty".to_owned());
    }
    if f.cadence_days.iter().any(|d| !(1..=90).contains(d)) {
        problems.push("followup.cadence_days must each be 1..=90 days".to_owned());
    }
    if f.max_attempts == 0 || f.max_attempts as usize > f.cadence_days.len() + 1 {
        problems.push(format!(
            "followup.max_attempts must be 1..={} (one first contact plus one per cadence entry)",
            f.cadence_days.len() + 1
        ));
    }
    if !p.stripe_price_env.starts_with("STRIPE_PRICE_ID_") {
        problems.push("stripe_price_env must name a STRIPE_PRICE_ID_* variable".to_owned());
    }
    for (field, value) in [
        ("name", &p.name),
        ("workflow_type", &p.workflow_type),
        ("goal", &p.goal),
        ("marketing.headline", &p.marketing.headline),
    ] {
        if value.trim().is_empty() {
            problems.push(format!("{field} must not be empty"));
        }
    }
    if problems.is_empty() {
        Ok(p)
    } else {
        Err(RulesError::Invalid {
            slug: p.slug.to_string(),
            problems,
        })
    }
}

/// What a score means for a product.
pub fn next_action_for(score: u8, t: ScoreThresholds) -> NextAction {
    if score >= t.hot {
        NextAction::ScheduleMeeting
    } else if score >= t.warm {
        NextAction::Followup
    } else {
        NextAction::Disqualify
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = include_str!("../../../apps/saas-booker/product.toml");

    fn problems(src: &str) -> String {
        parse_product(src).unwrap_err().to_string()
    }

    #[test]
    fn the_three_embedded_products_load() {
        let c = Catalog::load_embedded().unwrap();
        assert_eq!(c.all().len(), 3);
        assert!(c.get(ProductSlug::Booker).allows(AgentType::Scheduler));
        assert!(
            !c.get(ProductSlug::LeadQualifier)
                .allows(AgentType::Scheduler)
        );
        assert_eq!(
            c.get(ProductSlug::FollowUp).agents,
            vec![AgentType::Followup]
        );
    }

    #[test]
    fn an_unknown_agent_fails() {
        let src = VALID.replace("\"followup\"]", "\"closer\"]");
        assert!(problems(&src).contains("closer"));
    }

    #[test]
    fn thresholds_out_of_range_fail() {
        let src = VALID.replace("hot = 70", "hot = 170");
        assert!(problems(&src).contains("does not parse") || problems(&src).contains("1 and 100"));
        let src = VALID.replace("warm = 40", "warm = 80");
        assert!(problems(&src).contains("warm must be below"));
        let src = VALID.replace("warm = 40", "warm = 0");
        assert!(problems(&src).contains("between 1 and 100"));
    }

    #[test]
    fn an_empty_cadence_fails() {
        let src = VALID.replace("cadence_days = [1, 3, 7]", "cadence_days = []");
        let msg = problems(&src);
        assert!(msg.contains("cadence_days must not be empty"), "{msg}");
    }

    #[test]
    fn unknown_keys_fail() {
        let src = format!("{VALID}\n[extra]\nx = 1\n");
        assert!(problems(&src).contains("unknown field"));
    }

    #[test]
    fn scores_map_to_actions_by_threshold() {
        let t = ScoreThresholds { hot: 70, warm: 40 };
        assert_eq!(next_action_for(70, t), NextAction::ScheduleMeeting);
        assert_eq!(next_action_for(69, t), NextAction::Followup);
        assert_eq!(next_action_for(40, t), NextAction::Followup);
        assert_eq!(next_action_for(39, t), NextAction::Disqualify);
    }
}
