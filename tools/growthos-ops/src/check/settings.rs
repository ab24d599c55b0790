//! Variables present and valid (core-engine's own production guardrails,
//! for each service) and secrets strong.

use super::Vars;
use crate::Checklist;
use core_engine::config::DEV_JWT_SECRET;
use core_engine::{Config, Service};
use std::collections::{BTreeMap, BTreeSet};

const SERVICES: [Service; 3] = [Service::Gateway, Service::Worker, Service::Scheduler];

pub fn check(vars: &Vars<'_>, list: &mut Checklist<'_>) {
    match vars.get("APP_ENV") {
        Some("production") => list.pass("APP_ENV=production"),
        other => list.fail(
            "APP_ENV=production",
            format!(
                "APP_ENV is {} (development serves /dev/* and skips every guardrail)",
                other.map_or("not set".into(), |v| format!("`{v}`"))
            ),
        ),
    }
    // The guardrails of production, whatever APP_ENV says: the item above
    // already reports a wrong APP_ENV, this one what production would refuse.
    let mut production = vars.0.clone();
    production.insert("APP_ENV".into(), "production".into());
    let mut problems: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for service in SERVICES {
        if let Err(errors) = Config::from_vars(service, &production) {
            for p in errors.0 {
                problems.entry(p).or_default().push(service.name());
            }
        }
    }
    if problems.is_empty() {
        list.pass(
            "configuration accepted by api-gateway, worker and scheduler (production guardrails)",
        );
    }
    for (problem, services) in problems {
        let who = if services.len() == SERVICES.len() {
            "every service".to_owned()
        } else {
            services.join(", ")
        };
        list.fail("configuration", format!("{problem} ({who})"));
    }
    secret_strength(vars, "JWT_SECRET", true, list);
    if vars.get("ADMIN_SECRET").is_some() || vars.get("PAYMENT_MODE") == Some("manual") {
        secret_strength(vars, "ADMIN_SECRET", true, list);
    }
}

/// Estimated bits: length times log2 of the distinct characters used, a
/// generous upper bound that still catches repeated or tiny alphabets.
fn estimated_bits(secret: &str) -> f64 {
    let distinct: BTreeSet<char> = secret.chars().collect();
    secret.chars().count() as f64 * (distinct.len().max(1) as f64).log2()
}

/// Why `secret` is weak, if it is.
pub fn weakness(secret: &str) -> Option<String> {
    let lower = secret.to_ascii_lowercase();
    if secret.len() < 32 {
        return Some(format!("{} bytes; at least 32 needed", secret.len()));
    }
    if secret == DEV_JWT_SECRET {
        return Some("the development value".into());
    }
    if ["change-me", "changeme", "example", "placeholder", "secret"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Some("looks like a placeholder (`change-me`, `example`, `secret`...)".into());
    }
    let distinct = secret.chars().collect::<BTreeSet<_>>().len();
    let bits = estimated_bits(secret);
    if distinct < 10 || bits < 128.0 {
        return Some(format!(
            "too little variety ({distinct} distinct characters, about {bits:.0} bits); use `openssl rand -hex 32`"
        ));
    }
    None
}

fn secret_strength(vars: &Vars<'_>, key: &str, required: bool, list: &mut Checklist<'_>) {
    let label = format!("{key} strong");
    match vars.get(key) {
        None if required => list.fail(label, "not set"),
        None => {}
        Some(secret) => match weakness(secret) {
            None => list.pass(format!("{label} ({} bytes, random-looking)", secret.len())),
            Some(why) => list.fail(label, why),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::weakness;

    #[test]
    fn random_hex_is_strong_and_patterns_are_not() {
        assert_eq!(
            weakness("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            None
        );
        assert!(weakness("short").is_some());
        assert!(weakness(&"ab".repeat(32)).is_some());
        assert!(weakness("change-me-to-at-least-32-random-bytes-xxxxxxxx").is_some());
        assert!(weakness(core_engine::config::DEV_JWT_SECRET).is_some());
    }
}
