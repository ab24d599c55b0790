//! /internal for operators: experiment statistics and dead letters.

mod support;

use serde_json::Value;
use shared_types::{DomainEvent, EventType, WorkflowEventPayload};
use support::{TestApp, hot_lead, warm_lead};
use uuid::Uuid;

fn admin_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

async fn admin_get(app: &TestApp, secret: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .header("x-admin-secret", secret)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn experiment_stats_are_per_product() {
    let secret = admin_secret();
    let app = TestApp::spawn_with(&[("ADMIN_SECRET", &secret)]).await;
    let (booker, booker_id) = app.tenant("saas-booker").await;
    let (followup, _) = app.tenant("saas-followup").await;
    app.tenant("saas-followup").await;
    app.new_lead(&booker, &hot_lead()).await;
    app.new_lead(&followup, &warm_lead()).await;
    app.new_lead(&followup, &warm_lead()).await;
    app.drain().await;
    // A paying booker at 49.00 a month, and a canceled follow-up tenant.
    app.count(&format!(
        "WITH u AS (UPDATE tenants SET price_amount_cents = 4900 WHERE id = '{booker_id}' RETURNING 1) SELECT count(*) AS n FROM u"
    ))
    .await;
    app.count("WITH u AS (UPDATE tenants SET subscription_status = 'canceled' WHERE id IN (SELECT id FROM tenants WHERE product = 'saas-followup' LIMIT 1) RETURNING 1) SELECT count(*) AS n FROM u")
        .await;

    let (status, v) = admin_get(&app, &secret, "/internal/experiment-stats").await;
    assert_eq!(status, 200, "{v}");
    let by = |slug: &str| -> Value {
        v["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product"] == slug)
            .cloned()
            .unwrap()
    };
    let b = by("saas-booker");
    assert_eq!(b["totalTenants"], 1);
    assert_eq!(b["activeTenants"], 1);
    assert_eq!(b["mrrCents"], 4900);
    assert_eq!(b["totalLeads"], 1);
    assert_eq!(b["meetingsBooked"], 1);
    assert_eq!(b["churn"], 0.0);
    let f = by("saas-followup");
    assert_eq!(f["totalTenants"], 2);
    assert_eq!(f["canceledTenants"], 1);
    assert_eq!(f["churn"], 0.5);
    assert_eq!(f["totalLeads"], 2);
    assert_eq!(f["emailsSent"], 2);
    let q = by("saas-leadqualifier");
    assert_eq!(q["totalTenants"], 0);
    assert_eq!(q["mrrCents"], 0);

    assert_eq!(
        admin_get(&app, "wrong", "/internal/experiment-stats")
            .await
            .0,
        401
    );
    let r = app
        .client
        .get(app.url("/internal/experiment-stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_can_be_inspected_and_replayed() {
    let secret = admin_secret();
    let app = TestApp::spawn_with(&[("ADMIN_SECRET", &secret)]).await;
    let (_, tenant) = app.tenant("saas-booker").await;
    // An event for a workflow that does not exist can never succeed.
    let e = DomainEvent::for_workflow(
        EventType::LeadCreated,
        tenant.parse().unwrap(),
        WorkflowEventPayload {
            workflow_id: Uuid::new_v4(),
            lead_id: Uuid::new_v4(),
            step: 0,
        },
    );
    app.infra
        .orchestrator
        .relay()
        .publish_now(std::slice::from_ref(&e))
        .await
        .unwrap();
    app.drain().await;

    let (status, v) = admin_get(&app, &secret, "/internal/dead-letters").await;
    assert_eq!(status, 200, "{v}");
    let letters = v["deadLetters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{v}");
    assert_eq!(letters[0]["event"]["id"], e.id.to_string());
    assert!(!letters[0]["error"].as_str().unwrap().is_empty());
    let id = letters[0]["id"].as_str().unwrap();

    let replay = |id: String| {
        app.client
            .post(app.url(&format!("/internal/dead-letters/{id}/replay")))
            .header("x-admin-secret", &secret)
            .send()
    };
    assert_eq!(replay("1-1".into()).await.unwrap().status(), 404);
    assert_eq!(replay(id.into()).await.unwrap().status(), 202);
    let (_, v) = admin_get(&app, &secret, "/internal/dead-letters").await;
    assert_eq!(
        v["deadLetters"].as_array().unwrap().len(),
        0,
        "back on the stream"
    );
    // Still impossible, so it comes back once its retries are spent again.
    app.drain().await;
    let (_, v) = admin_get(&app, &secret, "/internal/dead-letters").await;
    assert_eq!(v["deadLetters"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_admin_secret_the_routes_do_not_exist() {
    let app = TestApp::spawn().await;
    let (status, v) = admin_get(&app, "anything", "/internal/experiment-stats").await;
    assert_eq!((status, v["code"].as_str()), (404, Some("not_found")));
}
