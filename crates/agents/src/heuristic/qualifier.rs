//! Rule-based lead scoring. Seven factors add up to at most 100 points; an
//! unknown factor gets a small neutral share so a sparse lead lands in the
//! low-to-mid range instead of being thrown away.

use super::signals::{
    INTENT, NO_BUDGET, SENIORITY, SOLO, SOURCE, TIMELINE, first_tier, is_free_mail,
};
use super::text::{amounts, find_keyword, words};
use crate::LeadContext;
use serde_json::Value;
use shared_types::{Qualification, ScoreThresholds};

pub const RULE_VERSION: &str = "heuristic-qualifier/1";

/// One scored factor. `why` is `None` when the lead did not tell us.
struct Factor {
    name: &'static str,
    points: u8,
    why: Option<String>,
}

impl Factor {
    fn known(name: &'static str, points: u8, why: String) -> Self {
        Self {
            name,
            points,
            why: Some(why),
        }
    }
    fn unknown(name: &'static str, points: u8) -> Self {
        Self {
            name,
            points,
            why: None,
        }
    }
}

pub(crate) fn qualify(lead: &LeadContext, thresholds: ScoreThresholds) -> Qualification {
    let mut factors = [
        company_size(lead.profile.metadata.get("companySize")),
        seniority(lead.meta_str("jobTitle")),
        intent(lead.meta_str("intent")),
        budget(lead.meta_str("budgetRange")),
        timeline(lead.meta_str("timeline")),
        source(&lead.profile.source),
        email_domain(lead.profile.email.domain()),
    ];
    let score = factors
        .iter()
        .map(|f| u32::from(f.points))
        .sum::<u32>()
        .min(100) as u8;
    factors.sort_by_key(|f| std::cmp::Reverse(f.points));
    let known: Vec<String> = factors
        .iter()
        .filter_map(|f| f.why.as_ref().map(|w| format!("{w} (+{})", f.points)))
        .collect();
    let unknown: Vec<&str> = factors
        .iter()
        .filter(|f| f.why.is_none())
        .map(|f| f.name)
        .collect();
    let mut reason = format!("Score {score}/100.");
    if !known.is_empty() {
        reason.push_str(&format!(" Factors: {}.", known.join("; ")));
    }
    if !unknown.is_empty() {
        reason.push_str(&format!(" Not stated: {}.", unknown.join(", ")));
    }
    Qualification {
        score,
        reason,
        next_action: rules_engine::next_action_for(score, thresholds),
    }
}

/// Max 15: bigger companies tend to buy bigger and decide faster.
fn company_size(raw: Option<&Value>) -> Factor {
    const NAME: &str = "company size";
    let (people, stated) = match raw {
        Some(Value::Number(n)) => (n.as_f64(), n.to_string()),
        Some(Value::String(s)) => {
            let solo = || find_keyword(&words(s), SOLO).map(|_| 1.0);
            (
                amounts(s).first().copied().or_else(solo),
                s.trim().to_owned(),
            )
        }
        _ => (None, String::new()),
    };
    let Some(n) = people.filter(|n| n.is_finite() && *n >= 0.0) else {
        return Factor::unknown(NAME, 5);
    };
    match n.round() as u64 {
        0..=1 => Factor::known(NAME, 4, format!("one-person business ({stated})")),
        2..=10 => Factor::known(NAME, 8, format!("small team ({stated} people)")),
        11..=50 => Factor::known(NAME, 12, format!("company of {stated} people")),
        _ => Factor::known(NAME, 15, format!("company of {stated} people")),
    }
}

/// Max 20.
fn seniority(title: Option<&str>) -> Factor {
    const NAME: &str = "job title";
    let Some(title) = title else {
        return Factor::unknown(NAME, 5);
    };
    match first_tier(&words(title), SENIORITY) {
        Some((t, _)) => Factor::known(NAME, t.points, format!("{} ({title})", t.label)),
        None => Factor::known(NAME, 6, format!("junior or unrelated role ({title})")),
    }
}

/// Max 20.
fn intent(text: Option<&str>) -> Factor {
    const NAME: &str = "intent";
    let Some(text) = text else {
        return Factor::unknown(NAME, 6);
    };
    match first_tier(&words(text), INTENT) {
        Some((t, k)) => Factor::known(NAME, t.points, format!("{} (\"{k}\")", t.label)),
        None => Factor::known(NAME, 8, "vague intent".into()),
    }
}

/// Max 15: a stated budget means the purchase has been thought through.
fn budget(text: Option<&str>) -> Factor {
    const NAME: &str = "budget";
    let Some(text) = text else {
        return Factor::unknown(NAME, 4);
    };
    if find_keyword(&words(text), NO_BUDGET).is_some() {
        return Factor::known(NAME, 0, labelled("no budget", text));
    }
    let Some(max) = amounts(text).into_iter().reduce(f64::max) else {
        return Factor::known(NAME, 6, format!("budget not quantified ({text})"));
    };
    let points = match max {
        m if m <= 0.0 => return Factor::known(NAME, 0, labelled("no budget", text)),
        m if m >= 10_000.0 => 15,
        m if m >= 5_000.0 => 13,
        m if m >= 1_000.0 => 10,
        _ => 6,
    };
    Factor::known(NAME, points, format!("budget {text}"))
}

/// Max 15.
fn timeline(text: Option<&str>) -> Factor {
    const NAME: &str = "timeline";
    let Some(text) = text else {
        return Factor::unknown(NAME, 5);
    };
    let w = words(text);
    if let Some((t, _)) = first_tier(&w, TIMELINE) {
        return Factor::known(NAME, t.points, format!("{} {text}", t.label));
    }
    match days_from_duration(&w) {
        Some(d) if d <= 7 => Factor::known(NAME, 15, format!("timeline {text}")),
        Some(d) if d <= 31 => Factor::known(NAME, 11, format!("timeline {text}")),
        Some(d) if d <= 92 => Factor::known(NAME, 7, format!("timeline {text}")),
        Some(_) => Factor::known(NAME, 2, format!("distant timeline {text}")),
        None => Factor::known(NAME, 5, format!("unclear timeline ({text})")),
    }
}

/// "2 weeks", "1-3 months", "within 10 days": the first number with its unit.
fn days_from_duration(w: &[String]) -> Option<u32> {
    let n_at = w.iter().position(|x| x.parse::<u32>().is_ok())?;
    let n: u32 = w[n_at].parse().ok()?;
    let unit = w[n_at + 1..].iter().find(|x| x.parse::<u32>().is_err())?;
    let per = match unit.trim_end_matches('s') {
        "day" => 1,
        "week" | "wk" => 7,
        "month" | "mo" => 30,
        "year" | "yr" => 365,
        _ => return None,
    };
    Some(n.saturating_mul(per))
}

/// Max 10.
fn source(text: &str) -> Factor {
    const NAME: &str = "source";
    match first_tier(&words(text), SOURCE) {
        Some((t, _)) => Factor::known(NAME, t.points, labelled(t.label, text)),
        None => Factor::known(NAME, 4, format!("source {text}")),
    }
}

/// Max 5.
fn email_domain(domain: &str) -> Factor {
    const NAME: &str = "email domain";
    if is_free_mail(domain) {
        Factor::known(NAME, 0, format!("free-mail address ({domain})"))
    } else {
        Factor::known(NAME, 5, format!("business domain ({domain})"))
    }
}

/// "referral", or "referral (Referred by Dana)" when the lead said more.
fn labelled(kind: &str, text: &str) -> String {
    if words(text).join(" ") == kind {
        kind.to_owned()
    } else {
        format!("{kind} ({text})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;
    use shared_types::{LeadInput, NextAction};
    use uuid::Uuid;

    const THRESHOLDS: ScoreThresholds = ScoreThresholds { hot: 70, warm: 40 };

    fn lead(email: &str, source: &str, metadata: Value) -> LeadContext {
        let input: LeadInput = serde_json::from_value(
            json!({"name": "Sam Lee", "email": email, "source": source, "metadata": metadata}),
        )
        .expect("valid input json");
        LeadContext {
            lead_id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            profile: input.parse().expect("valid lead"),
            received_at: Utc::now(),
            business_name: "Joe's Plumbing".into(),
        }
    }

    #[test]
    fn a_lead_with_nothing_but_a_gmail_address_scores_low_to_mid() {
        let q = qualify(&lead("sam@gmail.com", "website", json!({})), THRESHOLDS);
        assert!((20..=50).contains(&q.score), "{q:?}");
        assert!(q.reason.contains("free-mail"), "{}", q.reason);
        assert!(q.reason.contains("Not stated: "), "{}", q.reason);
    }

    #[test]
    fn a_referred_ceo_wanting_a_quote_this_week_is_hot() {
        let meta = json!({"companySize": "11-50", "jobTitle": "CEO", "company": "Acme",
            "intent": "Need a quote for the new office", "budgetRange": "$5k-10k",
            "timeline": "this week"});
        let q = qualify(&lead("sam@acme-builders.com", "referral", meta), THRESHOLDS);
        assert!(q.score >= 80, "{q:?}");
        assert_eq!(q.next_action, NextAction::ScheduleMeeting);
        for expected in [
            "decision maker (CEO)",
            "referral (+10)",
            "quote",
            "budget $5k-10k",
        ] {
            assert!(
                q.reason.contains(expected),
                "{expected} missing in {}",
                q.reason
            );
        }
    }

    #[test]
    fn a_numeric_company_size_counts_like_a_range() {
        let meta = json!({"companySize": 25, "jobTitle": "Founder & CEO",
            "intent": "book a call", "budgetRange": "5000", "timeline": "asap"});
        let q = qualify(&lead("sam@acme.io", "Referred by Dana", meta), THRESHOLDS);
        assert!(q.score >= 80, "{q:?}");
        assert!(q.reason.contains("company of 25 people"), "{}", q.reason);
    }

    #[test]
    fn a_browsing_cold_lead_without_budget_is_disqualified() {
        let meta = json!({"intent": "just browsing", "budgetRange": "no budget",
            "timeline": "next year"});
        let q = qualify(&lead("sam@gmail.com", "cold list", meta), THRESHOLDS);
        assert!(q.score < 30, "{q:?}");
        assert_eq!(q.next_action, NextAction::Disqualify);
    }

    #[test]
    fn scoring_is_deterministic() {
        let l = lead(
            "sam@yahoo.co.uk",
            "google ads",
            json!({"timeline": "2 months"}),
        );
        assert_eq!(qualify(&l, THRESHOLDS), qualify(&l, THRESHOLDS));
    }

    #[test]
    fn durations_in_words_become_days() {
        assert_eq!(days_from_duration(&words("within 2 weeks")), Some(14));
        assert_eq!(days_from_duration(&words("1-3 months")), Some(30));
        assert_eq!(days_from_duration(&words("whenever")), None);
    }
}
