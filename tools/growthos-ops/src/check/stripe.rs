//! Stripe: a live key, the webhook endpoint registered at
//! PUBLIC_URL/api/stripe/webhook with the events the gateway handles, and
//! the three price ids existing, active and recurring.

use super::{STRIPE_EVENTS, STRIPE_WEBHOOK_PATH, Vars};
use crate::Checklist;
use crate::http::{StripeApi, stripe_api_version, stripe_id};
use serde_json::Value;

pub async fn check(vars: &Vars<'_>, list: &mut Checklist<'_>) {
    let Some(key) = vars.get("STRIPE_SECRET_KEY") else {
        list.fail(
            "Stripe",
            "STRIPE_SECRET_KEY is not set: the key, webhook endpoint and price checks cannot run",
        );
        return;
    };
    if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
        list.pass("Stripe key is live (sk_live_)");
    } else {
        let kind = key.get(..8).unwrap_or("unknown");
        list.fail(
            "Stripe key is live (sk_live_)",
            format!("the key is `{kind}...`: test-mode payments are never real"),
        );
    }
    let api = StripeApi::new(vars.or("STRIPE_API_BASE", "https://api.stripe.com"), key);
    webhook_endpoint(vars, &api, list).await;
    for product in rules_engine::Catalog::embedded().all() {
        price(vars, &api, &product.stripe_price_env, list).await;
    }
}

async fn webhook_endpoint(vars: &Vars<'_>, api: &StripeApi, list: &mut Checklist<'_>) {
    let Some(public_url) = vars.public_url() else {
        list.fail("Stripe webhook endpoint", "PUBLIC_URL is not set");
        return;
    };
    let url = format!("{public_url}{STRIPE_WEBHOOK_PATH}");
    let label = format!("Stripe webhook endpoint {url}");
    let reply = match api.get("/v1/webhook_endpoints", &[("limit", "100")]).await {
        Ok(r) if r.ok() => r,
        Ok(r) => return list.fail(label, r.error_message()),
        Err(e) => return list.fail(label, e),
    };
    let endpoints = reply.body["data"].as_array().cloned().unwrap_or_default();
    let at_url: Vec<&Value> = endpoints
        .iter()
        .filter(|e| e["url"].as_str().map(|u| u.trim_end_matches('/')) == Some(url.as_str()))
        .collect();
    if at_url.is_empty() {
        let others: Vec<&str> = endpoints.iter().filter_map(|e| e["url"].as_str()).collect();
        return list.fail(
            label,
            if others.is_empty() {
                "no webhook endpoint registered (run `growthos-ops stripe-setup`)".to_owned()
            } else {
                format!("not registered; the account has {}", others.join(", "))
            },
        );
    }
    // The best endpoint at that URL decides; report what it lacks.
    let mut problems_by_endpoint = Vec::new();
    for endpoint in at_url {
        let id = endpoint["id"].as_str().unwrap_or("?");
        let events: Vec<&str> = endpoint["enabled_events"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut problems = Vec::new();
        if endpoint["status"].as_str() != Some("enabled") {
            problems.push(format!(
                "{id} is {}",
                endpoint["status"].as_str().unwrap_or("not enabled")
            ));
        }
        let missing: Vec<&str> = STRIPE_EVENTS
            .iter()
            .copied()
            .filter(|e| !events.contains(e) && !events.contains(&"*"))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("{id} does not send {}", missing.join(", ")));
        }
        if let Some(version) = endpoint["api_version"].as_str()
            && version != stripe_api_version()
        {
            problems.push(format!(
                "{id} renders events in API version {version}; the gateway reads {}",
                stripe_api_version()
            ));
        }
        if problems.is_empty() {
            return list.pass(format!(
                "{label} registered ({id}), enabled, with the {} events",
                STRIPE_EVENTS.len()
            ));
        }
        problems_by_endpoint.push(problems.join("; "));
    }
    list.fail(label, problems_by_endpoint.join(" | "));
}

async fn price(vars: &Vars<'_>, api: &StripeApi, env_key: &str, list: &mut Checklist<'_>) {
    let Some(id) = vars.get(env_key) else {
        return list.fail(format!("Stripe price {env_key}"), "not set");
    };
    let label = format!("Stripe price {env_key} ({id})");
    let Some(segment) = stripe_id(id) else {
        return list.fail(label, "not a Stripe price id");
    };
    let price = match api.get(&format!("/v1/prices/{segment}"), &[]).await {
        Ok(r) if r.ok() => r.body,
        Ok(r) if r.status == 404 => {
            return list.fail(label, "no such price in this Stripe account");
        }
        Ok(r) => return list.fail(label, r.error_message()),
        Err(e) => return list.fail(label, e),
    };
    if price["active"].as_bool() != Some(true) {
        return list.fail(
            label,
            "the price is archived (inactive): checkout would fail",
        );
    }
    let Some(interval) = price["recurring"]["interval"].as_str() else {
        return list.fail(
            label,
            "a one-time price; subscriptions need a recurring one",
        );
    };
    let amount = price["unit_amount"]
        .as_i64()
        .map(|a| {
            format!(
                "{a} {} per {interval}",
                price["currency"].as_str().unwrap_or("")
            )
        })
        .unwrap_or_else(|| format!("per {interval}"));
    list.pass(format!("{label} exists and is active ({amount})"));
}
