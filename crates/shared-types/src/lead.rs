//! Lead input parsing: raw JSON in, a `LeadProfile` that cannot be invalid out.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name -> problem, in the shape of API.md's `fields`.
pub type ValidationErrors = BTreeMap<String, String>;

/// An email address that passed a conservative syntax check. The domain is
/// lower-cased; the local part is kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeadEmail(String);

impl LeadEmail {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("is required");
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid email address");
        }
        let (local, domain) = s.rsplit_once('@').ok_or("is not a valid email address")?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err("is not a valid email address");
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// A lead score, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Score(u8);

impl Score {
    pub fn new(v: i64) -> Option<Self> {
        (0..=100).contains(&v).then_some(Self(v as u8))
    }
    pub fn value(self) -> u8 {
        self.0
    }
}

/// The body of POST /api/leads as clients send it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeadInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub source: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<serde_json::Value>,
}

/// A validated lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadProfile {
    pub name: String,
    pub email: LeadEmail,
    pub source: String,
    pub phone: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Metadata keys the agents understand; other keys are kept as given.
const STRING_METADATA: &[&str] = &[
    "company",
    "jobTitle",
    "intent",
    "budgetRange",
    "timeline",
    "linkedinUrl",
];
const MAX_TEXT: usize = 200;
const MAX_METADATA_BYTES: usize = 8 * 1024;

impl LeadInput {
    /// Every problem is reported at once, keyed by field name.
    pub fn parse(self) -> Result<LeadProfile, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut text = |field: &str, value: Option<String>, required: bool| -> Option<String> {
            let v = value.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            match v {
                None if required => {
                    errors.insert(field.into(), "is required".into());
                    None
                }
                Some(s) if s.chars().count() > MAX_TEXT => {
                    errors.insert(
                        field.into(),
                        format!("must be at most {MAX_TEXT} characters"),
                    );
                    None
                }
                v => v,
            }
        };
        let name = text("name", self.name, true);
        let source = text("source", self.source, true);
        let phone = text("phone", self.phone, false);
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !allowed || !(6..=20).contains(&digits) {
                errors.insert("phone".into(), "is not a valid phone number".into());
            }
        }
        let email = match LeadEmail::parse(self.email.as_deref().unwrap_or_default()) {
            Ok(e) => Some(e),
            Err(problem) => {
                errors.insert("email".into(), problem.into());
                None
            }
        };
        let metadata = parse_metadata(self.metadata, &mut errors);
        match (name, email, source) {
            (Some(name), Some(email), Some(source)) if errors.is_empty() => Ok(LeadProfile {
                name,
                email,
                source,
                phone,
                metadata,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_metadata(
    raw: Option<serde_json::Value>,
    errors: &mut ValidationErrors,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let map = match raw {
        None | Some(Value::Null) => return Default::default(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            errors.insert("metadata".into(), "must be an object".into());
            return Default::default();
        }
    };
    if serde_json::to_vec(&map).map_or(0, |v| v.len()) > MAX_METADATA_BYTES {
        errors.insert("metadata".into(), "must be at most 8 KiB".into());
    }
    for key in STRING_METADATA {
        match map.get(*key) {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(_) => {
                errors.insert(format!("metadata.{key}"), "must be a string".into());
            }
        }
    }
    match map.get("companySize") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if is_size_range(s) => {}
        Some(Value::Number(n)) if n.as_u64().is_some() => {}
        Some(_) => {
            errors.insert(
                "metadata.companySize".into(),
                "must be a non-negative number or a range such as \"11-50\"".into(),
            );
        }
    }
    if let Some(Value::String(url)) = map.get("linkedinUrl")
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        errors.insert(
            "metadata.linkedinUrl".into(),
            "must be an http(s) URL".into(),
        );
    }
    map
}

/// "25", "11-50", "11 - 50" or "500+".
fn is_size_range(s: &str) -> bool {
    let s = s.trim();
    let number = |t: &str| !t.trim().is_empty() && t.trim().chars().all(|c| c.is_ascii_digit());
    match s.split_once('-') {
        Some((a, b)) => number(a) && number(b),
        None => number(s.strip_suffix('+').unwrap_or(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn company_sizes_are_numbers_or_ranges() {
        for ok in ["25", "11-50", "11 - 50", "500+"] {
            assert!(is_size_range(ok), "{ok}");
        }
        for bad in ["huge!", "", "-5", "10-", "a-b", "+"] {
            assert!(!is_size_range(bad), "{bad}");
        }
    }

    fn input(v: serde_json::Value) -> LeadInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_complete_lead_parses_and_lowercases_the_domain() {
        let p = input(
            json!({"name":" Sam ","email":"Sam@Example.COM","source":"website",
            "metadata":{"company":"Acme","companySize":25}}),
        )
        .parse()
        .unwrap();
        assert_eq!(p.name, "Sam");
        assert_eq!(p.email.as_str(), "Sam@example.com");
        assert_eq!(p.email.domain(), "example.com");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = input(json!({"email":"not-an-email","phone":"abc",
            "metadata":{"jobTitle":5}}))
        .parse()
        .unwrap_err();
        let keys: Vec<_> = errs.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["email", "metadata.jobTitle", "name", "phone", "source"]
        );
    }

    #[test]
    fn emails_without_a_real_domain_are_refused() {
        for bad in [
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@-x.com",
            "a@x..com",
            "",
        ] {
            assert!(LeadEmail::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn scores_outside_0_to_100_do_not_exist() {
        assert!(Score::new(101).is_none());
        assert!(Score::new(-1).is_none());
        assert_eq!(Score::new(100).unwrap().value(), 100);
    }
}
