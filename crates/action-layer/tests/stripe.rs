//! The Stripe client (async-stripe) against the local FakeStripe: the
//! requests it sends, the objects it reads back, idempotency and the
//! transient/permanent split, each call with its action-log record.

use std::time::Duration;

use action_layer::{BillingError, CheckoutRequest, NewCustomer, StripeBilling, StripeConfig};
use secrecy::SecretString;
use test_support::fakes::{FakeStripe, FakeSubscription};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str, key: &str) -> StripeBilling {
    StripeBilling::new(StripeConfig {
        secret_key: SecretString::from(key.to_owned()),
        api_base: base.to_owned(),
        timeout: Duration::from_secs(2),
    })
    .expect("client")
}

#[tokio::test]
async fn customer_is_created_once_per_tenant_with_its_metadata() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake.uri(), fake.secret_key());
    let tenant_id = Uuid::new_v4();
    let c = NewCustomer {
        tenant_id,
        email: "owner@joesplumbing.example",
        name: "Joe's Plumbing",
    };

    let (first, call) = stripe.create_customer(&c).await;
    let (second, _) = stripe.create_customer(&c).await;

    let id = first.expect("customer");
    assert!(id.starts_with("cus_"), "{id}");
    assert_eq!(
        second.expect("replayed"),
        id,
        "same idempotency key, same customer"
    );
    assert_eq!(fake.customers_created(), 1);
    let sent = fake.requests_to("POST", "/v1/customers");
    assert_eq!(sent.len(), 2);
    let key = format!("customer-{tenant_id}");
    assert_eq!(sent[0].idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(sent[0].form["email"], "owner@joesplumbing.example");
    assert_eq!(sent[0].form["name"], "Joe's Plumbing");
    assert_eq!(sent[0].form["metadata[tenant_id]"], tenant_id.to_string());
    assert_eq!(
        sent[0].stripe_version.as_deref(),
        Some(test_support::fakes::STRIPE_API_VERSION)
    );
    assert_eq!(
        (call.action_type, call.provider, call.success),
        ("billing_customer", "stripe", true)
    );
    assert_eq!(call.idempotency_key.as_deref(), Some(key.as_str()));
    let response: serde_json::Value =
        serde_json::from_str(call.response.as_ref().unwrap()).expect("JSON text");
    assert_eq!(response["id"], id);
    assert!(!call.request.contains(fake.secret_key()));
}

#[tokio::test]
async fn checkout_session_is_a_subscription_for_the_price_and_tenant() {
    let fake = FakeStripe::start().await;
    let stripe = client(&format!("{}/", fake.uri()), fake.secret_key());
    let tenant_id = Uuid::new_v4();
    let (customer, _) = stripe
        .create_customer(&NewCustomer {
            tenant_id,
            email: "a@b.example",
            name: "A",
        })
        .await;
    let customer = customer.unwrap();
    let request = CheckoutRequest {
        tenant_id,
        customer_id: &customer,
        price_id: "price_booker_monthly",
        success_url: "https://app.example/billing/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url: "https://app.example/billing/cancel",
        idempotency_key: "checkout-test-1",
    };

    let (session, call) = stripe.create_checkout_session(&request).await;
    let (again, _) = stripe.create_checkout_session(&request).await;

    let session = session.expect("session");
    assert!(session.id.starts_with("cs_test_"));
    assert!(session.url.ends_with(&session.id), "{}", session.url);
    assert_eq!(again.unwrap(), session);
    assert_eq!(fake.sessions_created(), 1);
    let form = &fake.requests_to("POST", "/v1/checkout/sessions")[0].form;
    let expect = [
        ("mode", "subscription"),
        ("line_items[0][price]", "price_booker_monthly"),
        ("line_items[0][quantity]", "1"),
        ("customer", customer.as_str()),
        ("success_url", request.success_url),
        ("cancel_url", request.cancel_url),
    ];
    for (k, v) in expect {
        assert_eq!(form.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(form["client_reference_id"], tenant_id.to_string());
    assert_eq!(
        form["subscription_data[metadata][tenant_id]"],
        tenant_id.to_string()
    );
    assert_eq!(call.action_type, "billing_checkout");
    assert_eq!(call.idempotency_key.as_deref(), Some("checkout-test-1"));
}

#[tokio::test]
async fn subscription_is_read_with_status_amount_and_tenant() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake.uri(), fake.secret_key());
    fake.set_subscription(
        FakeSubscription::new("sub_123", "cus_9")
            .status("past_due")
            .price("price_x", 7900)
            .tenant("t-1"),
    );

    let (sub, call) = stripe.retrieve_subscription("sub_123").await;

    let sub = sub.expect("a full Subscription object deserializes");
    assert_eq!(sub.id, "sub_123");
    assert_eq!(sub.customer_id, "cus_9");
    assert_eq!(sub.status, "past_due");
    assert_eq!(sub.amount_cents, Some(7900));
    assert_eq!(sub.price_id.as_deref(), Some("price_x"));
    assert_eq!(sub.tenant_id.as_deref(), Some("t-1"));
    assert!(sub.current_period_end.unwrap() > sub.current_period_start.unwrap());
    assert_eq!(call.action_type, "billing_subscription");
    assert_eq!(call.status_code, Some(200));
    assert_eq!(call.idempotency_key, None);
}

#[tokio::test]
async fn missing_subscription_is_not_found_and_server_errors_are_transient() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake.uri(), fake.secret_key());

    let (missing, call) = stripe.retrieve_subscription("sub_nope").await;
    assert!(
        matches!(missing, Err(BillingError::NotFound(_))),
        "{missing:?}"
    );
    assert_eq!(call.status_code, Some(404));
    assert!(!call.success);
    let response: serde_json::Value =
        serde_json::from_str(&call.response.unwrap()).expect("JSON text");
    assert_eq!(response["error"]["code"], "resource_missing");

    fake.set_subscription(FakeSubscription::new("sub_1", "cus_1"));
    fake.fail_next(1);
    let (failed, call) = stripe.retrieve_subscription("sub_1").await;
    assert!(
        matches!(failed, Err(BillingError::Transient(_))),
        "{failed:?}"
    );
    assert_eq!(call.status_code, Some(500));
    let (ok, _) = stripe.retrieve_subscription("sub_1").await;
    assert_eq!(ok.unwrap().status, "active");
}

#[tokio::test]
async fn wrong_key_is_permanent() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake.uri(), "sk_test_wrong");
    let (r, call) = stripe
        .create_customer(&NewCustomer {
            tenant_id: Uuid::new_v4(),
            email: "a@b.example",
            name: "A",
        })
        .await;
    assert!(matches!(r, Err(BillingError::Permanent(_))), "{r:?}");
    assert_eq!(call.status_code, Some(401));
    assert_eq!(fake.customers_created(), 0);
}

#[tokio::test]
async fn rate_limits_and_timeouts_are_transient() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_busy"))
        .respond_with(ResponseTemplate::new(429).set_body_json(serde_json::json!({
            "error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}
        })))
        .mount(&server)
        .await;
    let stripe = StripeBilling::new(StripeConfig {
        secret_key: SecretString::from("sk_test_x"),
        api_base: server.uri(),
        timeout: Duration::from_millis(200),
    })
    .unwrap();

    let started = std::time::Instant::now();
    let (slow, call) = stripe.retrieve_subscription("sub_slow").await;
    assert!(
        matches!(slow, Err(BillingError::Transient(ref m)) if m.contains("timeout")),
        "{slow:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!call.success);

    let (busy, call) = stripe.retrieve_subscription("sub_busy").await;
    assert!(matches!(busy, Err(BillingError::Transient(_))), "{busy:?}");
    assert_eq!(call.status_code, Some(429));
}
