//! Sign-up, login, tokens, settings and API keys over HTTP.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{TestApp, warm_lead};

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn signup(email: &str, product: &str) -> Value {
    json!({"name": "Rivera Plumbing", "email": email, "password": "correct horse battery", "product": product})
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_then_log_in_and_read_the_tenant() {
    let app = TestApp::spawn().await;
    let (status, body) = post(
        &app,
        "/api/tenant/create",
        &signup("Ana@Rivera.example", "saas-followup"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["tenant"]["product"], "saas-followup");
    // Stripe mode (the default): the tenant has not paid yet.
    assert_eq!(body["tenant"]["subscriptionStatus"], "none");
    assert_eq!(body["user"]["role"], "owner");
    assert!(body["user"].get("passwordHash").is_none());
    let stored = app
        .count("SELECT count(*) AS n FROM users WHERE password_hash LIKE '$argon2id$%'")
        .await;
    assert_eq!(stored, 1, "the password is stored as an argon2id hash");

    // Any case of the email logs in; the token reads the tenant back.
    let (status, login) = post(
        &app,
        "/api/auth/login",
        &json!({"email": "ana@rivera.EXAMPLE", "password": "correct horse battery", "product": "saas-followup"}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap();
    let me: Value = app
        .client
        .get(app.url("/api/tenant"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenant"]["id"], body["tenant"]["id"]);
    assert_eq!(me["user"]["email"], "Ana@rivera.example");

    // The same email on the same product is taken; on another it is not.
    let (status, dup) = post(
        &app,
        "/api/tenant/create",
        &signup("ana@rivera.example", "saas-followup"),
    )
    .await;
    assert_eq!((status, dup["code"].as_str()), (409, Some("conflict")));
    let (status, _) = post(
        &app,
        "/api/tenant/create",
        &signup("ana@rivera.example", "saas-booker"),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_mode_tenants_start_pending() {
    let app = TestApp::spawn_with(&[("PAYMENT_MODE", "manual")]).await;
    let (status, body) = post(
        &app,
        "/api/tenant/create",
        &signup("o@shop.example", "saas-booker"),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["tenant"]["subscriptionStatus"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_sign_ups_get_field_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({}), &["name", "email", "password", "product"]),
        (
            json!({"name": "A", "email": "a@b.co", "password": "short", "product": "saas-booker"}),
            &["password"],
        ),
        (
            json!({"name": "A", "email": "nope", "password": "long enough pw", "product": "saas-crm"}),
            &["email", "product"],
        ),
        (
            json!({"name": "A", "email": "a@b.co", "password": "long enough pw", "product": "saas-booker", "timezone": "Mars/Olympus"}),
            &["timezone"],
        ),
    ];
    for (body, fields) in cases {
        let (status, v) = post(&app, "/api/tenant/create", &body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(v["code"], "validation_failed");
        for f in fields {
            assert!(v["fields"][f].is_string(), "{f} missing in {v}");
        }
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM tenants").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_get_one_answer_after_the_same_work() {
    let app = TestApp::spawn().await;
    post(
        &app,
        "/api/tenant/create",
        &signup("lee@clinic.example", "saas-booker"),
    )
    .await;
    let attempts = [
        json!({"email": "lee@clinic.example", "password": "wrong password!", "product": "saas-booker"}),
        json!({"email": "nobody@clinic.example", "password": "wrong password!", "product": "saas-booker"}),
        // The right password on another product is no account either.
        json!({"email": "lee@clinic.example", "password": "correct horse battery", "product": "saas-followup"}),
    ];
    let mut bodies = Vec::new();
    let mut times = Vec::new();
    for body in &attempts {
        let started = Instant::now();
        let (status, v) = post(&app, "/api/auth/login", body).await;
        times.push(started.elapsed());
        assert_eq!(status, 401, "{body}");
        bodies.push(v);
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]), "{bodies:?}");
    assert_eq!(bodies[0]["code"], "unauthorized");
    // An unknown email still pays for one argon2 verification, so it is
    // not answered several times faster than a wrong password.
    let (known, unknown) = (times[0], times[1]);
    assert!(
        unknown * 4 > known && known * 4 > unknown,
        "known {known:?} vs unknown {unknown:?}"
    );
    assert!(unknown > Duration::from_millis(2), "{unknown:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_bound_to_their_product_and_their_lifetime() {
    let app = TestApp::spawn().await;
    let (_, body) = post(
        &app,
        "/api/tenant/create",
        &signup("kim@gym.example", "saas-booker"),
    )
    .await;
    let token = body["token"].as_str().unwrap();
    let get = |t: String, product: Option<&'static str>| {
        let mut rb = app.client.get(app.url("/api/tenant")).bearer_auth(t);
        if let Some(p) = product {
            rb = rb.header("x-growthos-product", p);
        }
        async move { rb.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(token.into(), Some("saas-booker")).await, 200);
    assert_eq!(get(token.into(), Some("saas-followup")).await, 401);

    // Expired, and signed with another secret: both refused.
    let claims = |exp: i64| {
        json!({"sub": body["user"]["id"], "tid": body["tenant"]["id"], "product": "saas-booker",
            "role": "owner", "iat": exp - 100, "exp": exp})
    };
    let sign = |claims: &Value, secret: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let dev_secret = core_engine::config::DEV_JWT_SECRET;
    let now = chrono::Utc::now().timestamp();
    assert_eq!(get(sign(&claims(now + 600), dev_secret), None).await, 200);
    assert_eq!(get(sign(&claims(now - 600), dev_secret), None).await, 401);
    assert_eq!(
        get(sign(&claims(now + 600), &"f".repeat(40)), None).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_validated_then_saved() {
    let app = TestApp::spawn().await;
    let (_, body) = post(
        &app,
        "/api/tenant/create",
        &signup("sam@dental.example", "saas-booker"),
    )
    .await;
    let token = body["token"].as_str().unwrap();
    let put = |b: Value| {
        let rb = app
            .client
            .put(app.url("/api/tenant/settings"))
            .bearer_auth(token)
            .json(&b);
        async move {
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let bad = json!({
        "timezone": "Europe/Nowhere",
        "businessHours": {"mon": [["17:00", "09:00"]]},
        "meetingDurationMinutes": 5,
        "notificationEmail": "not-an-email",
        "fromName": "Sam\r\nBcc: everyone@example.com",
        "webhookUrl": "http://169.254.169.254/latest/meta-data",
    });
    let (status, v) = put(bad).await;
    assert_eq!(status, 400, "{v}");
    for f in [
        "timezone",
        "businessHours",
        "meetingDurationMinutes",
        "notificationEmail",
        "fromName",
        "webhookUrl",
    ] {
        assert!(v["fields"][f].is_string(), "{f} missing in {v}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM tenants WHERE timezone = 'UTC' AND notification_email = 'sam@dental.example' AND from_name IS NULL")
            .await,
        1,
        "nothing was changed"
    );

    let good = json!({
        "timezone": "America/New_York",
        "businessHours": {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "14:00"]]},
        "meetingDurationMinutes": 45,
        "notificationEmail": "alerts@dental.example",
        "fromName": "Sam at Bright Dental",
        "replyTo": "sam@dental.example",
        "physicalAddress": "1 Main St, Springfield",
        "calendarId": "sam@dental.example",
    });
    let (status, v) = put(good).await;
    assert_eq!(status, 200, "{v}");
    let t = &v["tenant"];
    assert_eq!(t["timezone"], "America/New_York");
    assert_eq!(t["meetingDurationMinutes"], 45);
    assert_eq!(t["businessHours"]["mon"][1][0], "13:00");
    assert_eq!(t["fromName"], "Sam at Bright Dental");

    // null clears an optional field; absent keeps the others.
    let (status, v) = put(json!({"notificationEmail": null})).await;
    assert_eq!(status, 200);
    assert!(v["tenant"]["notificationEmail"].is_null());
    assert_eq!(v["tenant"]["replyTo"], "sam@dental.example");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_submit_leads_until_revoked() {
    let app = TestApp::spawn().await;
    let (_, body) = post(
        &app,
        "/api/tenant/create",
        &signup("jo@hvac.example", "saas-leadqualifier"),
    )
    .await;
    let token = body["token"].as_str().unwrap();
    let r = app
        .client
        .post(app.url("/api/api-keys"))
        .bearer_auth(token)
        .json(&json!({"name": "website form", "scope": "leads:create"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("gos_") && key.len() > 40, "{key}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM api_keys WHERE key_hash = '{key}'"
        ))
        .await,
        0,
        "the key itself is never stored"
    );

    let with_key = |k: &str| {
        app.client
            .post(app.url("/api/leads"))
            .header("x-api-key", k)
            .json(&warm_lead())
            .send()
    };
    let r = with_key(&key).await.unwrap();
    assert_eq!(r.status(), 201);
    let lead: Value = r.json().await.unwrap();
    assert_eq!(lead["lead"]["tenantId"], body["tenant"]["id"]);
    assert_eq!(with_key("gos_madeup").await.unwrap().status(), 401);

    let list: Value = app
        .client
        .get(app.url("/api/api-keys"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = list["apiKeys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(
        !list.to_string().contains(&key),
        "a listed key is never shown"
    );
    assert!(keys[0]["lastUsedAt"].is_string());

    let id = created["id"].as_str().unwrap();
    let del = |id: String| {
        app.client
            .delete(app.url(&format!("/api/api-keys/{id}")))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(del(id.into()).await.unwrap().status(), 204);
    assert_eq!(del(id.into()).await.unwrap().status(), 404);
    assert_eq!(
        with_key(&key).await.unwrap().status(),
        401,
        "revoked at once"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 1);
}
