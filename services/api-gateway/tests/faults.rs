//! Faults on the hot path: duplicates, provider errors, Redis outages and
//! races lose nothing and send nothing twice.

mod support;

use futures::future::join_all;
use serde_json::json;
use support::{TestApp, hot_lead, warm_lead};
use test_support::fakes::{FakeGemini, FakeResend, gemini_error, gemini_text};

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicated_event_runs_the_agent_once_and_sends_once() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-booker").await;
    let id = app.new_lead(&token, &hot_lead()).await;
    let created = app.published("lead_created").await.remove(0);
    // At-least-once delivery: the same event arrives twice more.
    app.infra.bus.publish(&created).await.unwrap();
    app.infra.bus.publish(&created).await.unwrap();
    app.drain().await;
    let q = format!("lead_id = '{id}'");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM agent_logs WHERE {q} AND agent_type = 'qualifier'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM agent_logs WHERE {q} AND agent_type = 'scheduler'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM meetings WHERE {q}"))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM messages WHERE {q}"))
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resend_rate_limited_twice_then_ok_delivers_exactly_one_email() {
    let resend = FakeResend::start().await;
    let app = TestApp::spawn_with(&[
        ("RESEND_API_KEY", "re_test_key"),
        ("RESEND_API_BASE", &resend.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-followup").await;
    resend.rate_limit_next(2);
    let id = app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    let delivered = resend.delivered();
    assert_eq!(delivered.len(), 1, "one email reached the provider");
    assert_eq!(delivered[0]["to"], json!(["jordan@harbor-logistics.com"]));
    assert_eq!(resend.requests(), 3, "two 429s and one success");
    let q = format!("lead_id = '{id}'");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM action_logs WHERE {q} AND provider = 'resend'"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE {q} AND status = 'sent'"
        ))
        .await,
        1
    );
    let l = app.lead(&token, &id).await;
    assert!(l["messages"][0]["providerMessageId"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_unavailable_once_then_ok_decides_with_the_model() {
    let gemini = FakeGemini::start().await;
    gemini.then(gemini_error(503, "UNAVAILABLE"));
    let app = TestApp::spawn_with(&[
        ("GEMINI_API_KEY", "AIza-test"),
        ("GEMINI_API_BASE", &gemini.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    let id = app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    let log = &l["workflows"][0]["agentLogs"][0];
    assert_eq!(log["agentType"], "qualifier");
    assert_eq!(log["implementation"], "llm");
    assert_eq!(log["fallback"], false);
    assert_eq!(log["model"], "gemini-2.5-flash");
    assert_eq!(l["score"], 88);
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_garbage_falls_back_to_the_heuristic_and_says_so() {
    let gemini = FakeGemini::start().await;
    gemini.then(gemini_text("I think this lead is great!"));
    gemini.then(gemini_text("{\"score\": \"high\"}"));
    let app = TestApp::spawn_with(&[
        ("GEMINI_API_KEY", "AIza-test"),
        ("GEMINI_API_BASE", &gemini.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    let id = app.new_lead(&token, &hot_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    let log = &l["workflows"][0]["agentLogs"][0];
    assert_eq!(log["implementation"], "heuristic");
    assert_eq!(log["fallback"], true);
    assert!(log["error"].as_str().is_some_and(|e| !e.is_empty()));
    let score = l["score"].as_i64().unwrap();
    assert!((0..=100).contains(&score));
    assert_eq!(
        l["workflows"][0]["currentState"], "following_up",
        "a valid decision still moved the lead on"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn leads_posted_while_redis_is_down_are_all_processed_after_it_returns() {
    let mut redis = test_support::RedisServer::start().unwrap();
    let app = TestApp::spawn_with(&[("REDIS_URL", &redis.url())]).await;
    let (token, _) = app.tenant("saas-followup").await;
    redis.stop();
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = json!({"name": format!("Lead {i}"), "email": format!("lead{i}@example.org"), "source": "website"});
        ids.push(app.new_lead(&token, &body).await);
    }
    assert_eq!(app.unpublished().await, 5, "the events wait in the outbox");
    redis.start_again().unwrap();
    app.drain().await;
    for id in ids {
        let l = app.lead(&token, &id).await;
        assert_eq!(l["workflows"][0]["currentState"], "following_up", "{id}");
        assert_eq!(l["messages"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_hot_leads_booking_at_once_get_fifty_non_overlapping_meetings() {
    let app = TestApp::spawn_with(&[("DATABASE_POOL_SIZE", "60")]).await;
    let (token, tenant) = app.tenant("saas-booker").await;
    for i in 0..50 {
        let mut lead = hot_lead();
        lead["email"] = json!(format!("owner{i}@dental-{i}.com"));
        app.new_lead(&token, &lead).await;
    }
    // Fifty workers at once: each qualifies its lead and, in the same
    // transaction, races the others for the earliest slot.
    let orch = &app.infra.orchestrator;
    let created = app.published("lead_created").await;
    assert_eq!(created.len(), 50);
    for r in join_all(created.iter().map(|e| orch.process(e))).await {
        r.unwrap();
    }
    let t = format!("tenant_id = '{tenant}'");
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM meetings WHERE {t}"))
            .await,
        50
    );
    let overlaps = app
        .count(&format!(
            "SELECT count(*) AS n FROM meetings a JOIN meetings b ON a.tenant_id = b.tenant_id AND a.id < b.id \
             AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at) WHERE a.{t}"
        ))
        .await;
    assert_eq!(overlaps, 0);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM leads WHERE {t} AND status = 'meeting_scheduled'"
        ))
        .await,
        50
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE {t} AND kind = 'transactional'"
        ))
        .await,
        50
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_outage_keeps_the_qualification_and_retries_only_the_email() {
    let resend = FakeResend::start().await;
    let app = TestApp::spawn_with(&[
        ("RESEND_API_KEY", "re_test_key"),
        ("RESEND_API_BASE", &resend.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    // Every in-call attempt of the first delivery fails; the bus retries.
    resend.fail_next(3);
    let id = app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    assert_eq!(l["status"], "contacted");
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
    let q = format!("lead_id = '{id}'");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM agent_logs WHERE {q} AND agent_type = 'qualifier'"
        ))
        .await,
        1,
        "the lead was qualified once"
    );
    assert_eq!(resend.delivered().len(), 1);
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM action_logs WHERE {q} AND provider = 'resend' AND NOT success")).await, 3);
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM messages WHERE {q}"))
            .await,
        1
    );
}

/// A service-account key file with a throwaway key made at run time.
fn service_account_json(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "client_email": "growthos@test-project.iam.gserviceaccount.com",
        "private_key": test_support::rsa_key_pair().0,
        "token_uri": token_uri,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_booking_the_calendar_refuses_frees_the_slot_and_follows_up_instead() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let google = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"}),
        ))
        .mount(&google)
        .await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"kind": "calendar#freeBusy", "calendars": {"primary": {"busy": []}}}),
        ))
        .mount(&google)
        .await;
    Mock::given(method("POST"))
        .and(path("/calendars/primary/events"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"errors": [{"domain": "calendar",
            "reason": "forbiddenForServiceAccounts", "message": "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."}],
            "code": 403, "message": "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."}})))
        .mount(&google)
        .await;
    let token_url = format!("{}/token", google.uri());
    let credentials = service_account_json(&token_url);
    let app = TestApp::spawn_with(&[
        ("GOOGLE_CALENDAR_CREDENTIALS", &credentials),
        ("GOOGLE_OAUTH_TOKEN_URL", &token_url),
        ("GOOGLE_CALENDAR_API_BASE", &google.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-booker").await;
    let id = app.new_lead(&token, &hot_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    assert!(
        l["meetings"].as_array().unwrap().is_empty(),
        "no meeting stays booked without its calendar event"
    );
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
    assert_eq!(l["status"], "contacted");
    let messages = l["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["kind"], "marketing",
        "a follow-up instead of a confirmation"
    );
    let q = format!("lead_id = '{id}'");
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM action_logs WHERE {q} AND action_type = 'calendar_event' AND NOT success")).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_whose_stored_product_config_no_longer_fits_fails_alone() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    let broken = app.new_lead(&token, &hot_lead()).await;
    let fine = app.new_lead(&token, &warm_lead()).await;
    diesel::sql_query(format!(
        "UPDATE workflows SET product_config = '{{\"name\": 1}}' WHERE lead_id = '{broken}'"
    ))
    .execute(&mut *app.conn().await)
    .await
    .unwrap();
    // Read together, as the worker reads a busy stream: one batch.
    let created = app.published("lead_created").await;
    assert_eq!(created.len(), 2);
    let outcomes = app.infra.orchestrator.process_batch(&created).await;
    for (event, outcome) in created.iter().zip(outcomes) {
        let lead = event.workflow_payload().unwrap().lead_id.to_string();
        if lead == broken {
            let Err(orchestrator::ProcessError::Permanent(why)) = outcome else {
                panic!("the broken workflow fails for good, got {outcome:?}");
            };
            assert!(why.contains("product config"), "{why}");
        } else {
            assert_eq!(lead, fine);
            assert!(
                matches!(outcome, Ok(orchestrator::Outcome::Advanced { .. })),
                "{outcome:?}"
            );
        }
    }
    let scored = |id: &str| {
        format!("SELECT count(*) AS n FROM leads WHERE id = '{id}' AND score IS NOT NULL")
    };
    assert_eq!(app.count(&scored(&fine)).await, 1);
    assert_eq!(app.count(&scored(&broken)).await, 0);
}
