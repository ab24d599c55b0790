//! `stripe-setup`: the three products (client-chosen ids), their monthly
//! prices (lookup keys) and the webhook endpoint, each looked up first and
//! created only when missing, every create with an Idempotency-Key derived
//! from its parameters. Prints the values for STRIPE_PRICE_ID_*.

use crate::Checklist;
use crate::check::{STRIPE_EVENTS, STRIPE_WEBHOOK_PATH, Vars};
use crate::cli::SetupOptions;
use crate::http::{Reply, StripeApi, stripe_api_version};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared_types::ProductConfig;
use std::collections::HashMap;

/// `saas-booker` -> `growthos_saas_booker`: the product's id in Stripe.
pub fn product_id(slug: &str) -> String {
    format!("growthos_{}", slug.replace('-', "_"))
}

/// `saas-booker` -> `growthos_saas_booker_monthly`: the price's lookup key.
pub fn lookup_key(slug: &str) -> String {
    format!("{}_monthly", product_id(slug))
}

/// The same parameters always give the same key, so a retried or repeated
/// run replays instead of creating twice; other parameters, another key.
fn idempotency_key(kind: &str, form: &[(String, String)]) -> String {
    let mut hash = Sha256::new();
    for (k, v) in form {
        hash.update(k.as_bytes());
        hash.update([0]);
        hash.update(v.as_bytes());
        hash.update([0]);
    }
    let digest = hex::encode(&hash.finalize()[..12]);
    format!("growthos-setup-{kind}-{digest}")
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn failed(reply: Result<Reply, String>) -> Result<Value, String> {
    match reply {
        Ok(r) if r.ok() => Ok(r.body),
        Ok(r) => Err(r.error_message()),
        Err(e) => Err(e),
    }
}

pub async fn run(opts: &SetupOptions, vars: &HashMap<String, String>, list: &mut Checklist<'_>) {
    let vars = Vars(vars);
    let Some(key) = vars.get("STRIPE_SECRET_KEY") else {
        return list.fail("stripe-setup", "STRIPE_SECRET_KEY is not set");
    };
    let Some(public_url) = vars.public_url().filter(|u| u.starts_with("https://")) else {
        return list.fail(
            "stripe-setup",
            "PUBLIC_URL must be the gateway's https URL (Stripe delivers live webhooks over https only)",
        );
    };
    let api = StripeApi::new(vars.or("STRIPE_API_BASE", "https://api.stripe.com"), key);
    let mut env_lines = Vec::new();
    for product in rules_engine::Catalog::embedded().all() {
        let slug = product.slug.to_string();
        let Some(product_id) = ensure_product(&api, product, list).await else {
            continue;
        };
        if let Some(price) = ensure_price(&api, opts, &slug, &product_id, list).await {
            env_lines.push(format!("{}={price}", product.stripe_price_env));
        }
    }
    let secret = ensure_webhook(&api, &format!("{public_url}{STRIPE_WEBHOOK_PATH}"), list).await;
    list.note("\nSet these on every service:");
    for line in env_lines {
        list.note(line);
    }
    match secret {
        Some(s) => list.note(format!(
            "STRIPE_WEBHOOK_SECRET={s}\n(Stripe shows this signing secret once: store it now.)"
        )),
        None => list.note(
            "STRIPE_WEBHOOK_SECRET: unchanged (the endpoint existed; its secret is in the Dashboard)",
        ),
    }
}

async fn ensure_product(
    api: &StripeApi,
    product: &ProductConfig,
    list: &mut Checklist<'_>,
) -> Option<String> {
    let slug = product.slug.to_string();
    let id = product_id(&slug);
    let label = format!("product {slug}");
    match api.get(&format!("/v1/products/{id}"), &[]).await {
        Ok(r) if r.ok() => {
            list.pass(format!("{label}: {id} (existing)"));
            return Some(id);
        }
        Ok(r) if r.status == 404 => {}
        other => {
            list.fail(label, failed(other).err().unwrap_or_default());
            return None;
        }
    }
    let form = pairs(&[
        ("id", &id),
        ("name", &product.name),
        ("description", &product.marketing.headline),
        ("metadata[growthos_product]", &slug),
    ]);
    let created = api
        .post("/v1/products", &form, &idempotency_key("product", &form))
        .await;
    match failed(created) {
        Ok(_) => {
            list.pass(format!("{label}: {id} (created)"));
            Some(id)
        }
        Err(e) => {
            list.fail(label, e);
            None
        }
    }
}

async fn ensure_price(
    api: &StripeApi,
    opts: &SetupOptions,
    slug: &str,
    product_id: &str,
    list: &mut Checklist<'_>,
) -> Option<String> {
    let lookup = lookup_key(slug);
    let label = format!("monthly price {slug}");
    let found = match failed(
        api.get("/v1/prices", &[("lookup_keys[]", &lookup), ("limit", "1")])
            .await,
    ) {
        Ok(body) => body["data"].get(0).cloned(),
        Err(e) => {
            list.fail(label, e);
            return None;
        }
    };
    if let Some(price) = found {
        let id = price["id"].as_str().unwrap_or_default().to_owned();
        let amount = price["unit_amount"].as_i64().unwrap_or_default();
        let currency = price["currency"].as_str().unwrap_or_default();
        if price["active"].as_bool() != Some(true) {
            list.fail(
                label,
                format!("{id} ({lookup}) is archived: reactivate it in the Dashboard, or archive it and move the lookup key"),
            );
            return None;
        }
        let differs = opts
            .prices
            .get(slug)
            .filter(|wanted| **wanted != amount || currency != opts.currency)
            .map(|w| format!("; --price {w} {} not applied: Stripe prices are immutable, create a new one and move the lookup key", opts.currency))
            .unwrap_or_default();
        list.pass(format!(
            "{label}: {id} (existing, {amount} {currency}/month){differs}"
        ));
        return Some(id);
    }
    let Some(amount) = opts.prices.get(slug) else {
        list.fail(
            label,
            format!("no price with lookup key {lookup}: pass --price {slug}=CENTS to create it"),
        );
        return None;
    };
    let amount = amount.to_string();
    let form = pairs(&[
        ("product", product_id),
        ("currency", &opts.currency),
        ("unit_amount", &amount),
        ("recurring[interval]", "month"),
        ("lookup_key", &lookup),
        ("nickname", &format!("{slug} monthly")),
        ("metadata[growthos_product]", slug),
    ]);
    match failed(
        api.post("/v1/prices", &form, &idempotency_key("price", &form))
            .await,
    ) {
        Ok(price) => {
            let id = price["id"].as_str().unwrap_or_default().to_owned();
            list.pass(format!(
                "{label}: {id} (created, {amount} {}/month)",
                opts.currency
            ));
            Some(id)
        }
        Err(e) => {
            list.fail(label, e);
            None
        }
    }
}

/// The endpoint at `url` with every needed event; returns the signing
/// secret when it was created now (Stripe shows it only then).
async fn ensure_webhook(api: &StripeApi, url: &str, list: &mut Checklist<'_>) -> Option<String> {
    let label = format!("webhook endpoint {url}");
    let endpoints = match failed(api.get("/v1/webhook_endpoints", &[("limit", "100")]).await) {
        Ok(body) => body["data"].as_array().cloned().unwrap_or_default(),
        Err(e) => {
            list.fail(label, e);
            return None;
        }
    };
    let existing = endpoints
        .iter()
        .find(|e| e["url"].as_str().map(|u| u.trim_end_matches('/')) == Some(url));
    if let Some(endpoint) = existing {
        let id = endpoint["id"].as_str().unwrap_or_default();
        let events: Vec<&str> = endpoint["enabled_events"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let complete = events.contains(&"*") || STRIPE_EVENTS.iter().all(|e| events.contains(e));
        if complete && endpoint["status"].as_str() == Some("enabled") {
            list.pass(format!("{label}: {id} (existing)"));
            return None;
        }
        // Keep what the operator added, add what the gateway needs.
        let mut wanted: Vec<&str> = events.into_iter().filter(|e| *e != "*").collect();
        for e in STRIPE_EVENTS {
            if !wanted.contains(&e) {
                wanted.push(e);
            }
        }
        let mut form = vec![("disabled".to_owned(), "false".to_owned())];
        form.extend(
            wanted
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("enabled_events[{i}]"), (*e).to_owned())),
        );
        let path = format!("/v1/webhook_endpoints/{id}");
        match failed(
            api.post(
                &path,
                &form,
                &idempotency_key(&format!("webhook-update-{id}"), &form),
            )
            .await,
        ) {
            Ok(_) => list.pass(format!("{label}: {id} (events and status updated)")),
            Err(e) => list.fail(label, e),
        }
        return None;
    }
    let mut form = pairs(&[
        ("url", url),
        ("api_version", stripe_api_version()),
        (
            "description",
            "GrowthOS api-gateway: subscriptions and invoices",
        ),
        ("metadata[growthos]", "api-gateway"),
    ]);
    form.extend(
        STRIPE_EVENTS
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("enabled_events[{i}]"), (*e).to_owned())),
    );
    match failed(
        api.post(
            "/v1/webhook_endpoints",
            &form,
            &idempotency_key("webhook", &form),
        )
        .await,
    ) {
        Ok(endpoint) => {
            let id = endpoint["id"].as_str().unwrap_or_default();
            list.pass(format!(
                "{label}: {id} (created, API version {})",
                stripe_api_version()
            ));
            endpoint["secret"].as_str().map(str::to_owned)
        }
        Err(e) => {
            list.fail(label, e);
            None
        }
    }
}
