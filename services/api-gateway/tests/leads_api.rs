//! The leads API contract: validation, auth, tenancy and pagination.

mod support;

use serde_json::{Value, json};
use support::{TestApp, warm_lead};

#[tokio::test(flavor = "multi_thread")]
async fn invalid_leads_get_400_with_field_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-booker").await;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({}), &["email", "name", "source"]),
        (
            json!({"name": "A", "email": "not-an-email", "source": "web"}),
            &["email"],
        ),
        (
            json!({"name": "A", "email": "a@b.co", "source": "web", "phone": "call me"}),
            &["phone"],
        ),
        (
            json!({"name": "A", "email": "a@b.co", "source": "web", "metadata": [1, 2]}),
            &["metadata"],
        ),
        (
            json!({"name": "A", "email": "a@b.co", "source": "web", "metadata": {"companySize": "huge!"}}),
            &["metadata.companySize"],
        ),
        (
            json!({"name": "x".repeat(201), "email": "a@b.co", "source": "web"}),
            &["name"],
        ),
    ];
    for (body, fields) in cases {
        let r = app.post_lead(&token, &body).await;
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "validation_failed");
        for f in fields {
            assert!(v["fields"][f].is_string(), "{body} should flag {f}: {v}");
        }
    }
    let r = app
        .client
        .post(app.url("/api/leads"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "validation_failed"
    );
    let r = app
        .client
        .post(app.url("/api/leads"))
        .bearer_auth(&token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let big = json!({"name": "A", "email": "a@b.co", "source": "web", "metadata": {"notes": "x".repeat(70_000)}});
    assert_eq!(app.post_lead(&token, &big).await.status(), 413);
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM outbox").await, 0);
    assert!(app.published("lead_created").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_token_are_unauthorized() {
    let app = TestApp::spawn().await;
    for auth in [None, Some("Bearer nonsense"), Some("Basic abc")] {
        let mut req = app.client.post(app.url("/api/leads")).json(&warm_lead());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "unauthorized");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_tenants_lead_is_not_found() {
    let app = TestApp::spawn().await;
    let (mine, _) = app.tenant("saas-booker").await;
    let (theirs, _) = app.tenant("saas-booker").await;
    let id = app.new_lead(&theirs, &warm_lead()).await;
    let r = app
        .client
        .get(app.url(&format!("/api/leads/{id}")))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let list: Value = app
        .client
        .get(app.url("/api/leads"))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["leads"], json!([]));
    let r = app
        .client
        .get(app.url("/api/leads/not-a-uuid"))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn leads_page_newest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-followup").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.new_lead(&token, &json!({"name": format!("L{i}"), "email": format!("l{i}@example.org"), "source": "web"})).await);
    }
    let get = |q: String| {
        let req = app
            .client
            .get(app.url(&format!("/api/leads{q}")))
            .bearer_auth(&token);
        async move { req.send().await.unwrap() }
    };
    let first: Value = get("?limit=2".into()).await.json().await.unwrap();
    let page1: Vec<&str> = first["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(page1, [ids[4].as_str(), ids[3].as_str()]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second: Value = get(format!("?limit=2&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["leads"][0]["id"], json!(ids[2]));
    let last: Value = get(format!(
        "?limit=2&cursor={}",
        second["nextCursor"].as_str().unwrap()
    ))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(last["leads"].as_array().unwrap().len(), 1);
    assert!(last["nextCursor"].is_null());
    for bad in [
        "?limit=0",
        "?limit=201",
        "?limit=abc",
        "?cursor=zzz",
        "?status=maybe",
    ] {
        let r = get(bad.into()).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    let filtered: Value = get("?status=new".into()).await.json().await.unwrap();
    assert_eq!(filtered["leads"].as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_a_request_id_and_unknown_routes_are_json_404() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "no such route", "code": "not_found"})
    );
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert!(r.headers().contains_key("x-request-id"));
    let h: Value = r.json().await.unwrap();
    assert_eq!(
        (h["status"].as_str(), h["service"].as_str()),
        (Some("ok"), Some("api-gateway"))
    );
    let ready: Value = app.get_json("/ready").await;
    assert_eq!(
        ready["checks"],
        json!({"database": "ok", "redis": "ok", "migrations": "ok"})
    );
}

/// A production gateway in manual payment mode, signing with `secret`.
async fn production_app(secret: &str) -> TestApp {
    TestApp::spawn_production(&[
        ("JWT_SECRET", secret),
        ("PAYMENT_MODE", "manual"),
        ("ADMIN_SECRET", secret),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn production_hides_the_dev_routes() {
    let secret = "s".repeat(40);
    let app = production_app(&secret).await;
    let r = app
        .client
        .post(app.url("/dev/bootstrap"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.client
            .get(app.url("/dev/outbox"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// A token as the gateway issues it, signed with `secret`.
fn token_for(secret: &str, tenant: uuid::Uuid, product: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": uuid::Uuid::new_v4(), "tid": tenant, "product": product, "role": "owner", "iat": now, "exp": now + 3600});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn insert_tenant(app: &TestApp, product: &str, status: &str) -> uuid::Uuid {
    use diesel_async::AsyncConnection;
    let id = uuid::Uuid::new_v4();
    let tenant = memory::NewTenant {
        id,
        name: "Prod Co".into(),
        product: product.into(),
        subscription_status: status.into(),
        timezone: "UTC".into(),
        notification_email: None,
    };
    let user = memory::User {
        id: uuid::Uuid::new_v4(),
        tenant_id: id,
        product: product.into(),
        email: format!("{id}@example.com"),
        password_hash: "!".into(),
        role: "owner".into(),
        created_at: chrono::Utc::now(),
    };
    let mut conn = app.conn().await;
    conn.transaction(async |c| memory::repo::tenants::create(c, &tenant, &user).await)
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn in_production_only_paying_tenants_add_leads() {
    let secret = "p".repeat(40);
    let app = production_app(&secret).await;
    for (status, expected) in [
        ("active", 201),
        ("trialing", 201),
        ("pending", 201),
        ("canceled", 403),
        ("past_due", 403),
    ] {
        let tenant = insert_tenant(&app, "saas-booker", status).await;
        let r = app
            .post_lead(&token_for(&secret, tenant, "saas-booker"), &warm_lead())
            .await;
        assert_eq!(r.status(), expected, "{status}");
        if expected == 403 {
            assert_eq!(
                r.json::<Value>().await.unwrap()["code"],
                "subscription_required"
            );
        }
    }
    // A token for another product, or for a tenant that does not exist.
    let tenant = insert_tenant(&app, "saas-booker", "active").await;
    assert_eq!(
        app.post_lead(&token_for(&secret, tenant, "saas-followup"), &warm_lead())
            .await
            .status(),
        401
    );
    assert_eq!(
        app.post_lead(
            &token_for(&secret, uuid::Uuid::new_v4(), "saas-booker"),
            &warm_lead()
        )
        .await
        .status(),
        401
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 3);
}

/// Leads that arrive together share a transaction (group commit): each
/// request must still get its own lead back, its own tenant's verdict, and
/// one workflow and one event per lead.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_leads_of_several_tenants_each_get_their_own_answer() {
    let secret = "g".repeat(40);
    // All 80 at once: above the default bound on submissions in progress.
    let app = TestApp::spawn_production(&[
        ("JWT_SECRET", &secret),
        ("PAYMENT_MODE", "manual"),
        ("ADMIN_SECRET", &secret),
        ("INTAKE_MAX_IN_FLIGHT", "100"),
    ])
    .await;
    let paying = insert_tenant(&app, "saas-booker", "active").await;
    let lapsed = insert_tenant(&app, "saas-booker", "canceled").await;
    let other = insert_tenant(&app, "saas-followup", "active").await;
    let tokens = [
        (token_for(&secret, paying, "saas-booker"), 201),
        (token_for(&secret, lapsed, "saas-booker"), 403),
        (token_for(&secret, other, "saas-followup"), 201),
        (token_for(&secret, other, "saas-booker"), 401),
    ];
    let requests = (0..80).map(|i| {
        let (token, expected) = &tokens[i % tokens.len()];
        let name = format!("Batch Lead {i}");
        let body =
            json!({"name": name, "email": format!("lead{i}@batch-co.com"), "source": "website"});
        let app = &app;
        async move {
            let r = app.post_lead(token, &body).await;
            assert_eq!(r.status(), *expected, "{name}");
            let v: Value = r.json().await.unwrap();
            if *expected == 201 {
                assert_eq!(v["lead"]["name"], name, "each request gets its own lead");
                assert!(v["workflowId"].is_string());
            }
        }
    });
    futures::future::join_all(requests).await;
    let count = |sql: String| {
        let app = &app;
        async move { app.count(&sql).await }
    };
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM leads WHERE tenant_id = '{paying}'"
        ))
        .await,
        20
    );
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM leads WHERE tenant_id = '{other}'"
        ))
        .await,
        20
    );
    assert_eq!(count("SELECT count(*) AS n FROM leads".into()).await, 40);
    // One workflow and one lead_created event per lead, of the lead's tenant.
    assert_eq!(
        count("SELECT count(*) AS n FROM workflows w JOIN leads l ON l.id = w.lead_id AND l.tenant_id = w.tenant_id".into()).await,
        40
    );
    let started: std::collections::HashSet<_> = app
        .published("lead_created")
        .await
        .iter()
        .filter_map(|e| e.workflow_payload().map(|p| p.lead_id))
        .collect();
    assert_eq!(started.len(), 40);
}
