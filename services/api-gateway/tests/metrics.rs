//! GET /metrics: exact numbers for the caller's tenant, nothing of others.

mod support;

use serde_json::{Value, json};
use support::{TestApp, cold_lead, hot_lead, warm_lead};

async fn metrics(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_the_callers_tenant_only_and_move_as_the_worker_acts() {
    let app = TestApp::spawn().await;
    let (booker, _) = app.tenant("saas-booker").await;
    let (neighbour, _) = app.tenant("saas-booker").await;

    let empty = metrics(&app, &booker).await;
    assert_eq!(empty["leads"], 0);
    assert_eq!(empty["replyRate"], 0.0);
    assert!(empty["avgScore"].is_null());
    assert_eq!(empty["product"], "saas-booker");
    assert_eq!(empty["subscriptionStatus"], "active");
    assert_eq!(empty["activationMode"], "stripe");

    // The neighbour is busy; none of it may show in the booker's numbers.
    for _ in 0..3 {
        app.new_lead(&neighbour, &hot_lead()).await;
    }
    let hot = app.new_lead(&booker, &hot_lead()).await;
    let warm = app.new_lead(&booker, &warm_lead()).await;
    let cold = app.new_lead(&booker, &cold_lead()).await;
    let before = metrics(&app, &booker).await;
    assert_eq!(before["leads"], 3);
    assert_eq!(before["activeWorkflows"], 3, "nothing processed yet");
    assert_eq!(before["emailsSent"], 0);
    app.drain().await;

    let m = metrics(&app, &booker).await;
    assert_eq!(m["leads"], 3);
    assert_eq!(m["totalWorkflows"], 3);
    assert_eq!(m["qualifiedLeads"], 2, "{m:#}");
    assert_eq!(m["disqualifiedLeads"], 1);
    assert_eq!(m["meetingsBooked"], 1, "the hot lead is booked");
    assert_eq!(m["emailsSent"], 2, "a confirmation and a follow-up");
    assert_eq!(m["followupsSent"], 1);
    assert_eq!(m["activeWorkflows"], 2, "booked and following up");
    assert!(m["medianSpeedToLeadMs"].as_i64().unwrap() >= 0);
    let scores: Vec<i64> = [&hot, &warm, &cold]
        .iter()
        .map(|id| {
            let app = &app;
            let booker = &booker;
            async move { app.lead(booker, id).await["score"].as_i64().unwrap() }
        })
        .collect::<futures::future::JoinAll<_>>()
        .await;
    let avg = scores.iter().sum::<i64>() as f64 / 3.0;
    assert!(
        (m["avgScore"].as_f64().unwrap() - avg).abs() < 0.06,
        "{m} vs {avg}"
    );

    // The warm lead replies and the hot one converts.
    let r = app
        .client
        .post(app.url(&format!("/api/leads/{warm}/messages")))
        .bearer_auth(&booker)
        .json(&json!({"direction": "inbound", "content": "Yes please"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .patch(app.url(&format!("/api/leads/{hot}")))
        .bearer_auth(&booker)
        .json(&json!({"status": "converted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m = metrics(&app, &booker).await;
    assert_eq!(
        m["replyRate"], 0.5,
        "one of the two contacted leads replied"
    );
    assert_eq!(m["conversionRate"], 0.3333);
    assert_eq!(m["activeWorkflows"], 0);

    let n = metrics(&app, &neighbour).await;
    assert_eq!(n["leads"], 3);
    assert_eq!(n["replyRate"], 0.0);
    assert_eq!(n["conversionRate"], 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_a_valid_token() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "unauthorized");
}
