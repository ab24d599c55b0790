//! `growthos-ops stripe-setup` against test-support's Stripe fake: the
//! first run creates the catalogue, later runs find it and create nothing.

mod support;

use std::collections::HashMap;
use support::{PUBLIC_URL, failures, ops};
use test_support::fakes::FakeStripe;
use test_support::random_key;

const PRICES: [&str; 6] = [
    "--price",
    "booker=4900",
    "--price",
    "leadqualifier=2900",
    "--price",
    "followup=1900",
];

fn vars(stripe: &FakeStripe) -> HashMap<String, String> {
    [
        ("STRIPE_SECRET_KEY", stripe.secret_key().to_owned()),
        ("STRIPE_API_BASE", stripe.uri()),
        ("PUBLIC_URL", PUBLIC_URL.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn env_values(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("STRIPE_PRICE_ID_"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn running_twice_creates_the_catalogue_once() {
    let stripe = FakeStripe::start_with_key(&random_key("sk_live_")).await;
    let vars = vars(&stripe);
    let args: Vec<&str> = ["stripe-setup"].into_iter().chain(PRICES).collect();

    let (code, first) = ops(&args, &vars).await;
    assert_eq!(code, 0, "{first}");
    assert_eq!(stripe.products_created(), 3);
    assert_eq!(stripe.prices_created(), 3);
    assert_eq!(stripe.webhook_endpoints().len(), 1);
    let posts_after_first = stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts_after_first, 7, "3 products, 3 prices, 1 endpoint");
    assert!(
        stripe
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .all(|r| r
                .idempotency_key
                .as_deref()
                .is_some_and(|k| k.starts_with("growthos-setup-"))),
        "every create carries an Idempotency-Key"
    );
    assert!(first.contains("(created, 4900 usd/month)"), "{first}");
    assert!(first.contains("STRIPE_WEBHOOK_SECRET=whsec_"), "{first}");

    let (code, second) = ops(&args, &vars).await;
    assert_eq!(code, 0, "{second}");
    assert_eq!(stripe.products_created(), 3);
    assert_eq!(stripe.prices_created(), 3);
    assert_eq!(stripe.webhook_endpoints().len(), 1);
    let posts_after_second = stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(
        posts_after_second, posts_after_first,
        "the second run only reads"
    );
    assert_eq!(env_values(&first), env_values(&second));
    assert_eq!(env_values(&first).len(), 3);
    assert!(!second.contains("(created"), "{second}");
    assert!(
        second.contains("STRIPE_WEBHOOK_SECRET: unchanged"),
        "{second}"
    );

    let endpoint = &stripe.webhook_endpoints()[0];
    assert_eq!(endpoint["url"], format!("{PUBLIC_URL}/api/stripe/webhook"));
    assert_eq!(
        endpoint["api_version"],
        test_support::fakes::STRIPE_API_VERSION
    );
    assert_eq!(endpoint["enabled_events"].as_array().unwrap().len(), 6);
    let price = &stripe.requests_to("POST", "/v1/prices")[0].form;
    assert_eq!(price["recurring[interval]"], "month");
    assert_eq!(price["lookup_key"], "growthos_saas_booker_monthly");
}

#[tokio::test]
async fn a_missing_amount_is_asked_for_and_nothing_half_made_is_hidden() {
    let stripe = FakeStripe::start_with_key(&random_key("sk_live_")).await;
    let (code, out) = ops(&["stripe-setup", "--price", "booker=4900"], &vars(&stripe)).await;
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        failures(&out),
        vec![
            "✗ monthly price saas-leadqualifier: no price with lookup key growthos_saas_leadqualifier_monthly: pass --price saas-leadqualifier=CENTS to create it",
            "✗ monthly price saas-followup: no price with lookup key growthos_saas_followup_monthly: pass --price saas-followup=CENTS to create it",
        ],
        "{out}"
    );
    // Completing the command later creates only what is missing.
    let args: Vec<&str> = ["stripe-setup"].into_iter().chain(PRICES).collect();
    let (code, out) = ops(&args, &vars(&stripe)).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(stripe.prices_created(), 3);
    assert_eq!(stripe.products_created(), 3);
}

#[tokio::test]
async fn an_existing_endpoint_gets_the_missing_events_added() {
    let stripe = FakeStripe::start_with_key(&random_key("sk_live_")).await;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("url", &format!("{PUBLIC_URL}/api/stripe/webhook"))
        .append_pair("enabled_events[0]", "invoice.paid")
        .append_pair("enabled_events[1]", "charge.refunded")
        .finish();
    reqwest::Client::new()
        .post(format!("{}/v1/webhook_endpoints", stripe.uri()))
        .bearer_auth(stripe.secret_key())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let args: Vec<&str> = ["stripe-setup"].into_iter().chain(PRICES).collect();
    let (code, out) = ops(&args, &vars(&stripe)).await;
    assert_eq!(code, 0, "{out}");
    let endpoints = stripe.webhook_endpoints();
    assert_eq!(endpoints.len(), 1, "updated, not duplicated");
    let events: Vec<&str> = endpoints[0]["enabled_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        events.contains(&"charge.refunded"),
        "the operator's own event stays"
    );
    for e in growthos_ops::check::STRIPE_EVENTS {
        assert!(events.contains(&e), "{e} missing from {events:?}");
    }
    assert!(out.contains("(events and status updated)"), "{out}");
}

#[tokio::test]
async fn an_http_public_url_is_refused() {
    let stripe = FakeStripe::start().await;
    let mut vars = vars(&stripe);
    vars.insert("PUBLIC_URL".into(), "http://localhost:8080".into());
    let (code, out) = ops(&["stripe-setup"], &vars).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PUBLIC_URL must be the gateway's https URL"),
        "{out}"
    );
    assert!(stripe.requests().is_empty());
}
