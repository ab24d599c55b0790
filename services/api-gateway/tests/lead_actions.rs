//! What a tenant does to a lead after it arrived: close it, record its
//! reply, re-run its step; plus idempotent creation and LinkedIn enrichment.

mod support;

use serde_json::{Value, json};
use shared_types::{DomainEvent, EventType, WorkflowEventPayload};
use std::time::{Duration, Instant};
use support::{TestApp, warm_lead};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn send(app: &TestApp, rb: reqwest::RequestBuilder) -> (u16, Value) {
    let _ = app;
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn outbound_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'")
        .await
}

/// The workflow of a lead that has had its first follow-up: (workflow id, step).
async fn followed_up_lead(app: &TestApp, token: &str) -> (String, String, i64) {
    let id = app.new_lead(token, &warm_lead()).await;
    app.drain().await;
    let l = app.lead(token, &id).await;
    let wf = &l["workflows"][0];
    assert_eq!(wf["currentState"], "following_up", "{l:#}");
    let step = l["workflows"][0]["transitions"].as_array().unwrap().len() as i64;
    (id, wf["id"].as_str().unwrap().to_owned(), step)
}

/// The event the scheduler publishes when a follow-up is due.
async fn publish_followup_due(app: &TestApp, tenant: &str, wf: &str, lead: &str, step: i64) {
    let e = DomainEvent::for_workflow(
        EventType::FollowupDue,
        tenant.parse().unwrap(),
        WorkflowEventPayload {
            workflow_id: wf.parse().unwrap(),
            lead_id: lead.parse().unwrap(),
            step: step as i32,
        },
    );
    app.infra
        .orchestrator
        .relay()
        .publish_now(&[e])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_stops_the_follow_ups_at_once() {
    let app = TestApp::spawn().await;
    let (token, tenant) = app.tenant("saas-followup").await;
    let (lead, wf, step) = followed_up_lead(&app, &token).await;
    assert_eq!(outbound_count(&app).await, 1);

    let (status, v) = send(
        &app,
        app.client
            .post(app.url(&format!("/api/leads/{lead}/messages")))
            .bearer_auth(&token)
            .json(&json!({"direction": "inbound", "channel": "email", "content": "Sounds good, call me Tuesday"})),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["message"]["kind"], "reply");
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["workflows"][0]["currentState"], "completed");
    assert!(l["workflows"][0]["repliedAt"].is_string());

    // The follow-up the scheduler had already queued for the old step
    // arrives after the reply: nothing is sent.
    publish_followup_due(&app, &tenant, &wf, &lead, step).await;
    app.drain().await;
    assert_eq!(outbound_count(&app).await, 1, "no email after the reply");
}

#[tokio::test(flavor = "multi_thread")]
async fn converted_and_lost_close_the_workflow() {
    let app = TestApp::spawn().await;
    let (token, tenant) = app.tenant("saas-followup").await;
    for status in ["converted", "lost"] {
        let (lead, wf, step) = followed_up_lead(&app, &token).await;
        let before = outbound_count(&app).await;
        let (code, v) = send(
            &app,
            app.client
                .patch(app.url(&format!("/api/leads/{lead}")))
                .bearer_auth(&token)
                .json(&json!({ "status": status })),
        )
        .await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["lead"]["status"], status);
        let l = app.lead(&token, &lead).await;
        assert_eq!(l["workflows"][0]["currentState"], "completed");
        publish_followup_due(&app, &tenant, &wf, &lead, step).await;
        app.drain().await;
        assert_eq!(
            outbound_count(&app).await,
            before,
            "{status}: nothing more sent"
        );

        // A closed workflow has no step to re-run.
        let (code, v) = send(
            &app,
            app.client
                .post(app.url(&format!("/api/leads/{lead}/process")))
                .bearer_auth(&token),
        )
        .await;
        assert_eq!((code, v["code"].as_str()), (409, Some("conflict")));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn process_requeues_the_current_step_once() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    let lead = app.new_lead(&token, &warm_lead()).await;
    // Asked three times before the worker got to it: the step runs once.
    for _ in 0..3 {
        let (code, v) = send(
            &app,
            app.client
                .post(app.url(&format!("/api/leads/{lead}/process")))
                .bearer_auth(&token),
        )
        .await;
        assert_eq!(code, 202, "{v}");
        assert_eq!(v["workflow"]["currentState"], "lead_received");
    }
    app.drain().await;
    let l = app.lead(&token, &lead).await;
    let logs = l["workflows"][0]["agentLogs"].as_array().unwrap();
    assert_eq!(
        logs.iter()
            .filter(|g| g["agentType"] == "qualifier")
            .count(),
        1,
        "the original event and three requests, one qualification"
    );
    assert!(l["score"].is_number());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_other_tenants_leads_change_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-followup").await;
    let (other, _) = app.tenant("saas-followup").await;
    let (lead, _, _) = followed_up_lead(&app, &token).await;
    let cases = [
        (
            app.client
                .patch(app.url(&format!("/api/leads/{lead}")))
                .bearer_auth(&token)
                .json(&json!({"status": "new"})),
            400,
        ),
        (
            app.client
                .post(app.url(&format!("/api/leads/{lead}/messages")))
                .bearer_auth(&token)
                .json(&json!({"direction": "outbound", "content": "hi"})),
            400,
        ),
        (
            app.client
                .post(app.url(&format!("/api/leads/{lead}/messages")))
                .bearer_auth(&token)
                .json(&json!({"direction": "inbound", "content": "  "})),
            400,
        ),
        (
            app.client
                .patch(app.url(&format!("/api/leads/{lead}")))
                .bearer_auth(&other)
                .json(&json!({"status": "lost"})),
            404,
        ),
        (
            app.client
                .post(app.url(&format!("/api/leads/{lead}/messages")))
                .bearer_auth(&other)
                .json(&json!({"direction": "inbound", "content": "hi"})),
            404,
        ),
        (
            app.client
                .post(app.url(&format!("/api/leads/{}/process", Uuid::new_v4())))
                .bearer_auth(&token),
            404,
        ),
    ];
    for (rb, want) in cases {
        let (code, v) = send(&app, rb).await;
        assert_eq!(code, want, "{v}");
    }
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["status"], "contacted");
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM messages WHERE direction = 'inbound'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_creates_one_lead_for_a_day() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-booker").await;
    let post = |key: &str, body: Value| {
        app.client
            .post(app.url("/api/leads"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    // Five at once with one key: one lead, five identical answers.
    let answers = futures::future::join_all((0..5).map(|_| post("order-42", warm_lead()))).await;
    let mut bodies = Vec::new();
    for r in answers {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        bodies.push(r.json::<Value>().await.unwrap());
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 1);

    let mut other = warm_lead();
    other["name"] = json!("Someone Else");
    let r = post("order-42", other.clone()).await.unwrap();
    assert_eq!(r.status(), 409, "same key, different body");
    assert_eq!(post("order-43", other).await.unwrap().status(), 201);
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 2);

    // After 24 hours the key is free again.
    app.count("WITH u AS (UPDATE lead_idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'order-42' RETURNING 1) SELECT count(*) AS n FROM u")
        .await;
    let r = post("order-42", warm_lead()).await.unwrap();
    assert_eq!(r.status(), 201);
    let again: Value = r.json().await.unwrap();
    assert_ne!(again["lead"]["id"], bodies[0]["lead"]["id"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM leads").await, 3);
}

async fn linkedin_status(app: &TestApp, token: &str, lead: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let l = app.lead(token, lead).await;
        let p = &l["metadata"]["linkedinProfile"];
        if !p.is_null() {
            return p.clone();
        }
        assert!(Instant::now() < deadline, "no enrichment result: {l:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn linkedin_enrichment_never_delays_the_201_and_never_reaches_inside() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    let page = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/in/dana"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"<html><head><meta property="og:title" content="Dana Whitfield - Owner - Bright Smiles Dental"><meta property="og:description" content="Dentist, 25 staff"></head></html>"#,
        ))
        .mount(&page)
        .await;
    Mock::given(method("GET"))
        .and(path("/in/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(20)))
        .mount(&page)
        .await;
    let lead_with = |url: String| {
        let mut l = warm_lead();
        l["metadata"]["linkedinUrl"] = json!(url);
        l
    };

    let id = app
        .new_lead(&token, &lead_with(format!("{}/in/dana", page.uri())))
        .await;
    let p = linkedin_status(&app, &token, &id).await;
    assert_eq!(p["status"], "fetched", "{p}");
    assert_eq!(p["title"], "Dana Whitfield - Owner - Bright Smiles Dental");
    assert_eq!(p["description"], "Dentist, 25 staff");

    // A page that never answers: the 201 is immediate, the fetch times out.
    let started = Instant::now();
    let id = app
        .new_lead(&token, &lead_with(format!("{}/in/slow", page.uri())))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let p = linkedin_status(&app, &token, &id).await;
    assert_eq!(p["status"], "failed", "{p}");

    // Internal addresses are refused before any connection.
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/in/x",
    ] {
        let id = app.new_lead(&token, &lead_with(url.into())).await;
        let p = linkedin_status(&app, &token, &id).await;
        assert_eq!(p["status"], "failed", "{url}: {p}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM action_logs WHERE provider = 'linkedin'")
            .await,
        4,
        "one action log per attempt"
    );
}
