//! Resend: the domain of EMAIL_FROM added and verified (GET /domains), and
//! the webhook's signing secret present.

use super::Vars;
use crate::Checklist;
use crate::http::{client, read};
use reqwest::header::AUTHORIZATION;

/// `GrowthOS <hello@mail.example.com>` -> `mail.example.com`.
pub fn sender_domain(from: &str) -> Option<String> {
    let address = from
        .rsplit_once('<')
        .map_or(from, |(_, a)| a.trim_end_matches('>'))
        .trim();
    let (_, domain) = address.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

pub async fn check(vars: &Vars<'_>, list: &mut Checklist<'_>) {
    domain(vars, list).await;
    // Unset, production answers 503 to Resend's webhook: bounces,
    // complaints and replies would never reach the gateway.
    let label = "RESEND_WEBHOOK_SECRET set (bounces, complaints and replies reach PUBLIC_URL/api/resend/webhook)";
    if vars.get("RESEND_WEBHOOK_SECRET").is_some() {
        list.pass(label);
    } else {
        list.fail(
            label,
            "not set: add the webhook in Resend and copy its signing secret",
        );
    }
}

async fn domain(vars: &Vars<'_>, list: &mut Checklist<'_>) {
    let Some(domain) = vars.get("EMAIL_FROM").and_then(sender_domain) else {
        return list.fail(
            "Resend sending domain",
            "EMAIL_FROM is not set to an address",
        );
    };
    let label = format!("Resend domain {domain} (EMAIL_FROM) verified");
    if domain == "resend.dev" {
        return list.fail(
            label,
            "resend.dev is Resend's test sender: it only delivers to the account owner",
        );
    }
    let Some(key) = vars
        .get("OPS_RESEND_API_KEY")
        .or_else(|| vars.get("RESEND_API_KEY"))
    else {
        return list.fail(label, "RESEND_API_KEY is not set");
    };
    let base = vars
        .or("RESEND_API_BASE", "https://api.resend.com")
        .trim_end_matches('/');
    let sent = client()
        .get(format!("{base}/domains"))
        .header(AUTHORIZATION, format!("Bearer {key}"))
        .send()
        .await;
    let reply = match read(sent).await {
        Ok(r) => r,
        Err(e) => return list.fail(label, e),
    };
    if reply.body["name"].as_str() == Some("restricted_api_key") {
        return list.fail(
            label,
            "the key is sending-only and cannot list domains: run the check with OPS_RESEND_API_KEY=<a full-access key>",
        );
    }
    if !reply.ok() {
        return list.fail(label, reply.error_message());
    }
    let domains = reply.body["data"].as_array().cloned().unwrap_or_default();
    let found = domains.iter().find(|d| {
        d["name"].as_str().map(str::to_ascii_lowercase).as_deref() == Some(domain.as_str())
    });
    match found {
        None => {
            let names: Vec<&str> = domains.iter().filter_map(|d| d["name"].as_str()).collect();
            list.fail(
                label,
                if names.is_empty() {
                    "no domain in this Resend account: add it and its DNS records".to_owned()
                } else {
                    format!("not in this Resend account (it has {})", names.join(", "))
                },
            );
        }
        Some(d) => match d["status"].as_str() {
            Some("verified") => list.pass(label),
            status => list.fail(
                label,
                format!(
                    "status {}: publish the SPF and DKIM records Resend lists, then verify",
                    status.unwrap_or("unknown")
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::sender_domain;

    #[test]
    fn the_domain_comes_from_the_address_part() {
        assert_eq!(
            sender_domain("GrowthOS <hello@Mail.Example.com>").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(sender_domain("a@b.example").as_deref(), Some("b.example"));
        assert_eq!(sender_domain("nobody"), None);
    }
}
