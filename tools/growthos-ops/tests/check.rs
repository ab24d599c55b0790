//! `growthos-ops check` against a production-like deployment of local
//! fakes: all green, then broken one item at a time.

mod support;

use support::{Behaviour, Deployment, failures};
use test_support::random_key;

#[tokio::test]
async fn a_ready_deployment_passes_every_item() {
    let d = Deployment::green(Behaviour::default()).await;
    let (code, out) = d.check().await;
    assert_eq!(code, 0, "{out}");
    assert!(failures(&out).is_empty(), "{out}");
    for expected in [
        "✓ APP_ENV=production",
        "✓ configuration accepted by api-gateway, worker and scheduler (production guardrails)",
        "✓ JWT_SECRET strong",
        "✓ Stripe key is live (sk_live_)",
        "✓ Stripe webhook endpoint https://api.rivera.example/api/stripe/webhook registered",
        "✓ Stripe price STRIPE_PRICE_ID_BOOKER (price_",
        "✓ Stripe price STRIPE_PRICE_ID_LEADQUALIFIER (price_",
        "✓ Stripe price STRIPE_PRICE_ID_FOLLOWUP (price_",
        "✓ Resend domain mail.rivera.example (EMAIL_FROM) verified",
        "✓ RESEND_WEBHOOK_SECRET set",
        "✓ Google Calendar primary reachable by growthos@rivera.iam.gserviceaccount.com",
        "✓ PUBLIC_URL is https (https://api.rivera.example)",
        "✓ GET /health answers 200",
        "✓ GET /ready answers 200",
        "✓ POST /dev/bootstrap answers 404 (development routes hidden)",
        "✓ CORS refuses https://evil.example (no Access-Control-Allow-Origin)",
        "✓ CORS allows the product app https://booker.rivera.example",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(expected)),
            "missing `{expected}` in:\n{out}"
        );
    }
    assert!(out.contains("(4900 usd per month)"), "{out}");
    assert!(out.contains("ready: all 17 items passed"), "{out}");
}

/// Breaks the green deployment with `change`, then expects exit 1 and
/// exactly the ✗ lines starting with `expected`.
async fn broken(change: impl AsyncFnOnce(&mut Deployment), expected: &[&str]) -> String {
    let mut d = Deployment::green(Behaviour::default()).await;
    change(&mut d).await;
    let (code, out) = d.check().await;
    assert_eq!(code, 1, "{out}");
    let failed = failures(&out);
    assert_eq!(failed.len(), expected.len(), "{out}");
    for (line, want) in failed.iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "`{line}` should start with `{want}`:\n{out}"
        );
    }
    out
}

#[tokio::test]
async fn a_development_app_env_fails_its_item_only() {
    broken(
        async |d| d.set("APP_ENV", "development"),
        &["✗ APP_ENV=production"],
    )
    .await;
}

#[tokio::test]
async fn a_missing_variable_fails_the_configuration_item() {
    let out = broken(
        async |d| {
            d.vars.remove("REDIS_URL");
        },
        &["✗ configuration: REDIS_URL is required in production (every service)"],
    )
    .await;
    assert!(out.contains("NOT READY: 1 of"), "{out}");
}

#[tokio::test]
async fn a_placeholder_jwt_secret_is_not_strong() {
    broken(
        async |d| {
            d.set(
                "JWT_SECRET",
                "change-me-to-at-least-32-random-bytes-xxxxxxxx",
            )
        },
        &["✗ JWT_SECRET strong: looks like a placeholder"],
    )
    .await;
}

#[tokio::test]
async fn a_test_mode_stripe_key_is_refused() {
    let mut d = Deployment::with_stripe_key(&random_key("sk_test_"), Behaviour::default()).await;
    d.set("APP_ENV", "production");
    let (code, out) = d.check().await;
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        failures(&out),
        vec![
            "✗ Stripe key is live (sk_live_): the key is `sk_test_...`: test-mode payments are never real"
        ],
        "{out}"
    );
}

#[tokio::test]
async fn a_webhook_endpoint_missing_events_is_reported() {
    let out = broken(
        async |d| {
            let id = d.stripe.webhook_endpoints()[0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            d.stripe_post(
                &format!("/v1/webhook_endpoints/{id}"),
                &[
                    ("enabled_events[0]", "checkout.session.completed"),
                    ("enabled_events[1]", "invoice.paid"),
                ],
            )
            .await;
        },
        &["✗ Stripe webhook endpoint https://api.rivera.example/api/stripe/webhook: we_"],
    )
    .await;
    assert!(
        out.contains("does not send customer.subscription.created, customer.subscription.updated, customer.subscription.deleted, invoice.payment_failed"),
        "{out}"
    );
}

#[tokio::test]
async fn a_webhook_endpoint_at_another_url_does_not_count() {
    let out = broken(
        async |d| d.set("PUBLIC_URL", "https://gateway.rivera.example"),
        &["✗ Stripe webhook endpoint https://gateway.rivera.example/api/stripe/webhook: not registered; the account has https://api.rivera.example/api/stripe/webhook"],
    )
    .await;
    assert!(out.contains("✓ PUBLIC_URL is https"), "{out}");
}

#[tokio::test]
async fn an_archived_price_fails_its_item() {
    broken(
        async |d| {
            let id = d.vars["STRIPE_PRICE_ID_LEADQUALIFIER"].clone();
            d.stripe_post(&format!("/v1/prices/{id}"), &[("active", "false")])
                .await;
        },
        &["✗ Stripe price STRIPE_PRICE_ID_LEADQUALIFIER (price_"],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_price_id_fails_its_item() {
    broken(
        async |d| d.set("STRIPE_PRICE_ID_FOLLOWUP", "price_DoesNotExist"),
        &["✗ Stripe price STRIPE_PRICE_ID_FOLLOWUP (price_DoesNotExist): no such price in this Stripe account"],
    )
    .await;
}

#[tokio::test]
async fn an_unverified_resend_domain_fails() {
    broken(
        async |d| {
            d.mount(&Behaviour {
                domain_status: "pending",
                ..Behaviour::default()
            })
            .await;
        },
        &["✗ Resend domain mail.rivera.example (EMAIL_FROM) verified: status pending"],
    )
    .await;
}

#[tokio::test]
async fn a_sender_on_a_domain_resend_does_not_have_fails() {
    broken(
        async |d| d.set("EMAIL_FROM", "Rivera <hello@rivera-mail.example>"),
        &["✗ Resend domain rivera-mail.example (EMAIL_FROM) verified: not in this Resend account"],
    )
    .await;
}

#[tokio::test]
async fn a_missing_resend_webhook_secret_fails() {
    broken(
        async |d| {
            d.vars.remove("RESEND_WEBHOOK_SECRET");
        },
        &["✗ RESEND_WEBHOOK_SECRET set"],
    )
    .await;
}

#[tokio::test]
async fn a_calendar_not_shared_with_the_service_account_fails() {
    broken(
        async |d| {
            d.mount(&Behaviour {
                calendar_error: Some("notFound"),
                ..Behaviour::default()
            })
            .await;
        },
        &["✗ Google Calendar primary reachable by growthos@rivera.iam.gserviceaccount.com: permanent provider error: google freeBusy: calendar primary: notFound"],
    )
    .await;
}

#[tokio::test]
async fn a_gateway_that_is_not_ready_fails() {
    broken(
        async |d| {
            d.mount(&Behaviour {
                ready_status: 503,
                ..Behaviour::default()
            })
            .await;
        },
        &["✗ GET /ready answers 200: HTTP 503"],
    )
    .await;
}

#[tokio::test]
async fn exposed_development_routes_fail() {
    broken(
        async |d| {
            d.mount(&Behaviour {
                bootstrap_status: 400,
                ..Behaviour::default()
            })
            .await;
        },
        &["✗ POST /dev/bootstrap answers 404 (development routes hidden): HTTP 400"],
    )
    .await;
}

#[tokio::test]
async fn cors_open_to_any_origin_fails() {
    broken(
        async |d| {
            d.mount(&Behaviour {
                cors_any_origin: true,
                ..Behaviour::default()
            })
            .await;
        },
        &["✗ CORS refuses https://evil.example (no Access-Control-Allow-Origin): answered Access-Control-Allow-Origin: https://evil.example"],
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_gateway_fails_every_probe() {
    let out = broken(
        async |d| d.gateway.reset().await,
        &[
            "✗ GET /health answers 200: HTTP 404",
            "✗ GET /ready answers 200: HTTP 404",
            "✗ CORS allows the product app https://booker.rivera.example",
        ],
    )
    .await;
    // A gateway answering 404 everywhere does hide /dev (that item passes).
    assert!(out.contains("✓ POST /dev/bootstrap answers 404"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_exits_non_zero_on_a_failed_item_and_zero_when_ready() {
    let mut d = Deployment::green(Behaviour::default()).await;
    let run = |vars: std::collections::HashMap<String, String>, gateway: String| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_growthos-ops"))
                .args(["check", "--gateway-url", &gateway])
                .env_clear()
                .envs(vars)
                .output()
                .expect("growthos-ops runs")
        })
    };
    let ok = run(d.vars.clone(), d.gateway.uri()).await.unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    d.set("APP_ENV", "development");
    let failed = run(d.vars.clone(), d.gateway.uri()).await.unwrap();
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✗ APP_ENV=production"), "{stdout}");
}
