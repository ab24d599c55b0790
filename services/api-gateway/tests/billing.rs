//! Stripe billing end to end: a production gateway on real PostgreSQL and
//! Redis, Stripe played by FakeStripe, webhooks signed as Stripe signs them.

mod support;

use memory::{Tenant, repo};
use serde_json::{Value, json};
use support::{BOOKER_APP, StripeApp, TestApp, random_secret, stripe_price, warm_lead};
use test_support::fakes::{
    invoice_object, stripe_event, stripe_event_with, stripe_signature, stripe_signature_with,
    unix_now, webhook_secret,
};
use uuid::Uuid;

async fn manual_app(admin: Option<&str>) -> TestApp {
    match admin {
        Some(a) => {
            TestApp::spawn_production(&[("PAYMENT_MODE", "manual"), ("ADMIN_SECRET", a)]).await
        }
        // Production requires ADMIN_SECRET in manual mode: without it, a
        // development gateway.
        None => TestApp::spawn_with(&[("PAYMENT_MODE", "manual")]).await,
    }
}

async fn tenant(app: &TestApp, id: Uuid) -> Tenant {
    repo::tenants::find(&mut *app.conn().await, id)
        .await
        .unwrap()
}

impl StripeApp {
    /// A tenant that went through Checkout and paid: (token, tenant, subscription id).
    async fn subscribed_tenant(&self) -> (String, Uuid, String) {
        let (token, tenant_id) = self.app.sign_up("saas-booker").await;
        let r = self.app.checkout(&token, None).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let session_id = r.json::<Value>().await.unwrap()["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = self.stripe.complete_checkout(&session_id, 4900);
        self.deliver(&stripe_event("checkout.session.completed", session.clone()))
            .await;
        let t = tenant(&self.app, tenant_id).await;
        assert_eq!(t.subscription_status, "active");
        (
            token,
            tenant_id,
            session["subscription"].as_str().unwrap().to_owned(),
        )
    }

    async fn stripe_events(&self) -> i64 {
        self.app
            .count("SELECT count(*) AS n FROM stripe_events")
            .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn checkout_opens_a_subscription_session_for_the_products_price() {
    let b = StripeApp::start().await;
    let (token, tenant_id) = b.app.sign_up("saas-booker").await;
    assert_eq!(tenant(&b.app, tenant_id).await.subscription_status, "none");

    let r = b.app.checkout(&token, None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    let session_id = v["sessionId"].as_str().unwrap();
    assert!(session_id.starts_with("cs_test_"));
    assert_eq!(
        v["checkoutUrl"],
        format!("https://checkout.stripe.com/c/pay/{session_id}")
    );

    let customer = tenant(&b.app, tenant_id)
        .await
        .stripe_customer_id
        .expect("customer stored");
    assert_eq!(b.stripe.customers_created(), 1);
    let created = &b.stripe.requests_to("POST", "/v1/customers")[0];
    assert_eq!(
        created.idempotency_key,
        Some(format!("customer-{tenant_id}"))
    );
    assert_eq!(created.form["metadata[tenant_id]"], tenant_id.to_string());
    let sent = b.stripe.requests_to("POST", "/v1/checkout/sessions");
    assert_eq!(sent.len(), 1);
    let form = &sent[0].form;
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["line_items[0][price]"], stripe_price("saas-booker"));
    assert_eq!(form["line_items[0][quantity]"], "1");
    assert_eq!(form["customer"], customer);
    assert_eq!(form["client_reference_id"], tenant_id.to_string());
    assert_eq!(
        form["subscription_data[metadata][tenant_id]"],
        tenant_id.to_string()
    );
    assert_eq!(
        form["success_url"],
        format!("{BOOKER_APP}/billing/success?session_id={{CHECKOUT_SESSION_ID}}")
    );
    assert_eq!(form["cancel_url"], format!("{BOOKER_APP}/billing/cancel"));
    let key = sent[0].idempotency_key.as_deref().expect("idempotency key");
    assert!(key.starts_with(&format!("checkout-{tenant_id}-")), "{key}");

    // A double click: the same session, not a second one.
    let again: Value = b.app.checkout(&token, None).await.json().await.unwrap();
    assert_eq!(again["sessionId"], session_id);
    assert_eq!(b.stripe.sessions_created(), 1);

    // Given return URLs are used; other products get their own price.
    let urls = json!({"successUrl": "https://booker.example.com/thanks", "cancelUrl": "https://booker.example.com/plans"});
    assert_eq!(b.app.checkout(&token, Some(urls)).await.status(), 200);
    let last = b.stripe.requests_to("POST", "/v1/checkout/sessions");
    let form = &last.last().unwrap().form;
    assert_eq!(form["success_url"], "https://booker.example.com/thanks");
    assert_eq!(form["cancel_url"], "https://booker.example.com/plans");
    let (lq_token, _) = b.app.sign_up("saas-leadqualifier").await;
    assert_eq!(b.app.checkout(&lq_token, None).await.status(), 200);
    let last = b.stripe.requests_to("POST", "/v1/checkout/sessions");
    assert_eq!(
        last.last().unwrap().form["line_items[0][price]"],
        stripe_price("saas-leadqualifier")
    );

    // One action log per Stripe call, for the tenant, with no lead.
    let logs = b
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM action_logs WHERE tenant_id = '{tenant_id}' \
             AND provider = 'stripe' AND lead_id IS NULL AND success"
        ))
        .await;
    assert_eq!(logs, 4, "customer + three checkout calls (one replayed)");
}

#[tokio::test(flavor = "multi_thread")]
async fn checkout_refuses_bad_return_urls_and_anonymous_callers() {
    let b = StripeApp::start().await;
    let (token, _) = b.app.sign_up("saas-booker").await;
    for (body, field) in [
        (json!({"successUrl": "javascript:alert(1)"}), "successUrl"),
        (json!({"cancelUrl": "/relative"}), "cancelUrl"),
    ] {
        let r = b.app.checkout(&token, Some(body)).await;
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "validation_failed");
        assert!(v["fields"][field].is_string(), "{v}");
    }
    let r = b
        .app
        .client
        .post(b.app.url("/api/billing/checkout"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(b.stripe.sessions_created(), 0, "no checkout reached Stripe");
}

#[tokio::test(flavor = "multi_thread")]
async fn completed_checkout_activates_and_a_replayed_event_changes_nothing() {
    let b = StripeApp::start().await;
    let (token, tenant_id, sub_id) = b.subscribed_tenant().await;
    let t = tenant(&b.app, tenant_id).await;
    assert_eq!(t.stripe_subscription_id.as_deref(), Some(sub_id.as_str()));
    assert_eq!(t.price_amount_cents, Some(4900));
    assert!(t.subscription_updated_at.is_some());
    assert_eq!(b.app.post_lead(&token, &warm_lead()).await.status(), 201);
    let again = b.app.checkout(&token, None).await;
    assert_eq!(
        again.status(),
        409,
        "already subscribed: no second subscription"
    );

    // Stripe redelivers an event we processed, after the subscription moved on.
    let event = stripe_event(
        "customer.subscription.updated",
        json!({"id": sub_id, "object": "subscription"}),
    );
    b.deliver(&event).await;
    let reads = b
        .stripe
        .requests_to("GET", &format!("/v1/subscriptions/{sub_id}"))
        .len();
    b.stripe.set_subscription_status(&sub_id, "past_due");
    b.deliver(&event).await;

    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "active"
    );
    assert_eq!(
        b.stripe
            .requests_to("GET", &format!("/v1/subscriptions/{sub_id}"))
            .len(),
        reads,
        "a replay does not even read Stripe"
    );
    assert_eq!(b.stripe_events().await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_signatures_are_refused_and_store_nothing() {
    let b = StripeApp::start().await;
    let (_, tenant_id, sub_id) = b.subscribed_tenant().await;
    b.stripe.set_subscription_status(&sub_id, "canceled");
    let event = stripe_event("customer.subscription.deleted", json!({"id": sub_id}));
    let body = event.to_string();
    let now = unix_now();
    let other = webhook_secret();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("malformed", Some("definitely not a signature".into())),
        ("no v1", Some(format!("t={now}"))),
        ("wrong secret", Some(stripe_signature(&body, &other))),
        (
            "stale",
            Some(stripe_signature_with(&body, &[&b.whsec], now - 301)),
        ),
        (
            "future",
            Some(stripe_signature_with(&body, &[&b.whsec], now + 301)),
        ),
        (
            "other body",
            Some(stripe_signature(&format!("{body} "), &b.whsec)),
        ),
    ];
    let before = b.stripe_events().await;
    for (case, header) in cases {
        let r = b.post_event(&event, Some(header)).await;
        assert_eq!(r.status(), 400, "{case}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "validation_failed",
            "{case}"
        );
    }
    assert_eq!(b.stripe_events().await, before);
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "active"
    );

    // Within the tolerance it goes through.
    let fresh = stripe_signature_with(&body, &[&b.whsec], now - 200);
    assert_eq!(b.post_event(&event, Some(Some(fresh))).await.status(), 200);
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "canceled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_secrets_are_accepted() {
    let (new, old) = (webhook_secret(), webhook_secret());
    let b = StripeApp::start_with(&format!("{new}, {old}"), &new).await;
    let unknown = webhook_secret();
    let now = unix_now();
    let event = stripe_event(
        "customer.created",
        json!({"id": "cus_x", "object": "customer"}),
    );
    let body = event.to_string();

    // Stripe signs with both secrets while one is rolled: one v1 matches,
    // first or last.
    let two = stripe_signature_with(&body, &[&unknown, &new], now);
    assert_eq!(b.post_event(&event, Some(Some(two))).await.status(), 200);
    let e1 = stripe_event("customer.created", json!({"id": "cus_w"}));
    let two = stripe_signature_with(&e1.to_string(), &[&new, &unknown], now);
    assert_eq!(b.post_event(&e1, Some(Some(two))).await.status(), 200);
    // Signed with the older of our two secrets only.
    let e2 = stripe_event("customer.created", json!({"id": "cus_y"}));
    let old_only = stripe_signature_with(&e2.to_string(), &[&old], now);
    assert_eq!(b.post_event(&e2, Some(Some(old_only))).await.status(), 200);
    // Neither of ours.
    let e3 = stripe_event("customer.created", json!({"id": "cus_z"}));
    let theirs = stripe_signature_with(&e3.to_string(), &[&unknown], now);
    assert_eq!(b.post_event(&e3, Some(Some(theirs))).await.status(), 400);
    assert_eq!(b.stripe_events().await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_arriving_out_of_order_end_in_stripes_current_state() {
    let b = StripeApp::start().await;
    let (token, tenant_id, sub_id) = b.subscribed_tenant().await;
    let customer = tenant(&b.app, tenant_id).await.stripe_customer_id.unwrap();
    let active = b.stripe.subscription_object(&sub_id).unwrap();
    b.stripe.set_subscription_status(&sub_id, "canceled");
    let canceled = b.stripe.subscription_object(&sub_id).unwrap();
    let now = unix_now();

    // The deletion is processed first, then an older update still saying active.
    b.deliver(&stripe_event_with(
        "evt_deleted_1",
        "customer.subscription.deleted",
        now,
        canceled,
    ))
    .await;
    b.deliver(&stripe_event_with(
        "evt_updated_0",
        "customer.subscription.updated",
        now - 60,
        active,
    ))
    .await;

    let t = tenant(&b.app, tenant_id).await;
    assert_eq!(t.subscription_status, "canceled");
    assert_eq!(t.stripe_customer_id.as_deref(), Some(customer.as_str()));
    let r = b.app.post_lead(&token, &warm_lead()).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "subscription_required"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancellation_cuts_access_at_once() {
    let b = StripeApp::start().await;
    let (token, _, sub_id) = b.subscribed_tenant().await;
    assert_eq!(b.app.post_lead(&token, &warm_lead()).await.status(), 201);

    b.stripe.set_subscription_status(&sub_id, "canceled");
    let gone = b.stripe.subscription_object(&sub_id).unwrap();
    b.deliver(&stripe_event("customer.subscription.deleted", gone))
        .await;

    let r = b
        .app
        .client
        .get(b.app.url("/api/leads"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = b.app.post_lead(&token, &warm_lead()).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "subscription_required"
    );
    // Checkout stays open, so the customer can pay again.
    assert_eq!(b.app.checkout(&token, None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_invoice_moves_the_tenant_to_past_due_and_a_paid_one_back() {
    let b = StripeApp::start().await;
    let (token, tenant_id, sub_id) = b.subscribed_tenant().await;
    let customer = tenant(&b.app, tenant_id).await.stripe_customer_id.unwrap();

    b.stripe.set_subscription_status(&sub_id, "past_due");
    b.deliver(&stripe_event(
        "invoice.payment_failed",
        invoice_object(&sub_id, &customer, false, 4900),
    ))
    .await;
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "past_due"
    );
    assert_eq!(b.app.post_lead(&token, &warm_lead()).await.status(), 403);

    b.stripe.set_subscription_status(&sub_id, "active");
    b.deliver(&stripe_event(
        "invoice.paid",
        invoice_object(&sub_id, &customer, true, 4900),
    ))
    .await;
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "active"
    );
    assert_eq!(b.app.post_lead(&token, &warm_lead()).await.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_outage_leaves_the_event_for_redelivery() {
    let b = StripeApp::start().await;
    let (_, tenant_id, sub_id) = b.subscribed_tenant().await;
    b.stripe.set_subscription_status(&sub_id, "unpaid");
    let event = stripe_event("customer.subscription.updated", json!({"id": sub_id}));
    let before = b.stripe_events().await;

    b.stripe.fail_next(1);
    let r = b.post_event(&event, None).await;
    assert_eq!(r.status(), 503);
    assert_eq!(b.stripe_events().await, before, "not recorded as processed");
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "active"
    );

    b.deliver(&event).await;
    assert_eq!(
        tenant(&b.app, tenant_id).await.subscription_status,
        "unpaid"
    );
    let failed_reads = b
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM action_logs WHERE tenant_id = '{tenant_id}' \
             AND action_type = 'billing_subscription' AND NOT success AND status_code = 500"
        ))
        .await;
    assert_eq!(failed_reads, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_event_types_are_acknowledged_and_recorded() {
    let b = StripeApp::start().await;
    let event = stripe_event_with(
        "evt_unknown_1",
        "radar.early_fraud_warning.created",
        unix_now(),
        json!({"id": "issfr_1", "object": "radar.early_fraud_warning"}),
    );
    b.deliver(&event).await;
    let recorded = b
        .app
        .count(
            "SELECT count(*) AS n FROM stripe_events WHERE id = 'evt_unknown_1' \
                AND event_type = 'radar.early_fraud_warning.created' AND tenant_id IS NULL",
        )
        .await;
    assert_eq!(recorded, 1);
    assert!(b.stripe.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_mode_ignores_stripe_and_an_admin_activates_tenants() {
    let admin = random_secret();
    let app = manual_app(Some(&admin)).await;
    let (token, tenant_id) = app.sign_up("saas-booker").await;
    assert_eq!(tenant(&app, tenant_id).await.subscription_status, "pending");

    let r = app
        .client
        .post(app.url("/api/stripe/webhook"))
        .body(stripe_event("invoice.paid", json!({})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "ignored", "reason": "manual activation mode"})
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM stripe_events").await,
        0
    );
    let r = app.checkout(&token, None).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "conflict");

    let activate = |secret: Option<String>, body: Value| {
        let mut req = app
            .client
            .post(app.url("/internal/activate-tenant"))
            .json(&body);
        if let Some(s) = secret {
            req = req.header("x-admin-secret", s);
        }
        req.send()
    };
    let body = json!({"tenantId": tenant_id});
    for wrong in [
        None,
        Some(String::new()),
        Some(random_secret()),
        Some(format!("{admin}x")),
    ] {
        let r = activate(wrong, body.clone()).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "unauthorized");
    }
    assert_eq!(tenant(&app, tenant_id).await.subscription_status, "pending");
    let r = activate(Some(admin.clone()), json!({"tenantId": "nope"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = activate(Some(admin.clone()), json!({"tenantId": Uuid::new_v4()}))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = activate(Some(admin.clone()), body).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["tenant"]["subscriptionStatus"],
        "active"
    );
    assert_eq!(tenant(&app, tenant_id).await.subscription_status, "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn activation_does_not_exist_in_stripe_mode_or_without_an_admin_secret() {
    let b = StripeApp::start().await;
    let (_, tenant_id) = b.app.sign_up("saas-booker").await;
    let r = b
        .app
        .client
        .post(b.app.url("/internal/activate-tenant"))
        .header("x-admin-secret", &b.admin)
        .json(&json!({"tenantId": tenant_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(tenant(&b.app, tenant_id).await.subscription_status, "none");

    let dev = manual_app(None).await;
    let r = dev
        .client
        .post(dev.url("/internal/activate-tenant"))
        .header("x-admin-secret", "anything-at-all-anything-at-all-x")
        .json(&json!({"tenantId": tenant_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn customer_creation_is_idempotent_per_tenant() {
    // Two sign-up flows racing to create the customer get one.
    let b = StripeApp::start().await;
    let (token, tenant_id) = b.app.sign_up("saas-booker").await;
    let (r1, r2) = futures::join!(b.app.checkout(&token, None), b.app.checkout(&token, None));
    assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (200, 200));
    assert_eq!(b.stripe.customers_created(), 1);
    let stored = tenant(&b.app, tenant_id).await.stripe_customer_id.unwrap();
    for r in b.stripe.requests_to("POST", "/v1/checkout/sessions") {
        assert_eq!(r.form["customer"], stored);
    }
}
