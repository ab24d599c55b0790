//! Scheduler: the model may only pick an offered slot.

use crate::support::*;
use agents::AgentError;
use chrono::{DateTime, Utc};
use serde_json::json;
use shared_types::{AgentImplementation, MeetingSlot};
use wiremock::MockServer;

#[tokio::test]
async fn the_model_picks_one_of_the_offered_slots() {
    let server = MockServer::start().await;
    reply_once(
        &server,
        answer(r#"{"chosenSlot": "2026-11-02T14:00:00Z", "reason": "Monday fits."}"#),
    )
    .await;

    let run = default_agents(&server)
        .schedule(&lead(), &slot_request())
        .await
        .expect("slots");

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert_eq!(run.output.chosen.starts_at, utc(OFFERED[1]));
    assert_eq!(run.output.offered.len(), 3);
    let input: serde_json::Value = serde_json::from_str(&run.input).expect("JSON text");
    assert_eq!(input["offered"], json!(OFFERED));
    let schema = &body(&requests(&server).await[0])["generationConfig"]["responseSchema"];
    assert_eq!(schema["properties"]["chosenSlot"]["enum"], json!(OFFERED));
}

#[tokio::test]
async fn an_unoffered_slot_is_repaired_and_never_booked() {
    let server = MockServer::start().await;
    let wrong = r#"{"chosenSlot": "2026-11-02T15:00:00Z", "reason": "Monday at ten."}"#;
    reply_once(&server, answer(wrong)).await;
    reply_once(
        &server,
        answer(r#"{"chosenSlot": "2026-11-03T14:00:00Z", "reason": "Tue."}"#),
    )
    .await;

    let run = default_agents(&server)
        .schedule(&lead(), &slot_request())
        .await
        .expect("slots");

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert_eq!(run.output.chosen.starts_at, utc(OFFERED[2]));
    let ask = body(&requests(&server).await[1])["contents"][2]["parts"][0]["text"].to_string();
    assert!(ask.contains("not one of the offered start times"), "{ask}");
}

#[tokio::test]
async fn an_unoffered_slot_twice_falls_back_to_the_earliest_offer() {
    let server = MockServer::start().await;
    let wrong = answer(r#"{"chosenSlot": "2026-11-07T10:00:00Z", "reason": "Saturday."}"#);
    reply_once(&server, wrong.clone()).await;
    reply_once(&server, wrong).await;

    let run = default_agents(&server)
        .schedule(&lead(), &slot_request())
        .await
        .expect("slots");

    assert!(run.fallback);
    assert_eq!(run.rule_version, agents::SCHEDULER_RULE_VERSION);
    let offered: Vec<DateTime<Utc>> = OFFERED.iter().map(|s| utc(s)).collect();
    assert_eq!(run.output.chosen.starts_at, offered[0]);
    assert!(
        run.output
            .offered
            .iter()
            .all(|s| offered.contains(&s.starts_at))
    );
    assert!(run.error.expect("error").contains("2026-11-07T10:00:00Z"));
}

#[tokio::test]
async fn no_free_slot_is_an_error_without_asking_the_model() {
    let server = MockServer::start().await;
    let mut req = slot_request();
    req.busy = vec![MeetingSlot {
        starts_at: req.now,
        ends_at: req.now + chrono::Duration::days(30),
    }];

    let result = default_agents(&server).schedule(&lead(), &req).await;

    assert_eq!(result.err(), Some(AgentError::NoFreeSlot));
    assert!(requests(&server).await.is_empty());
}
