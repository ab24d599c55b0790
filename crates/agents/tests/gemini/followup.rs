//! Follow-up writer, and the agents without any LLM.

use crate::support::*;
use agents::Agents;
use serde_json::json;
use shared_types::AgentImplementation;
use wiremock::MockServer;

#[tokio::test]
async fn a_follow_up_written_by_the_model_is_used() {
    let server = MockServer::start().await;
    reply_once(
        &server,
        answer(r#"{"subject": "Your office fit-out, Sam", "body": "Hi Sam,\n\nHappy to quote.\n\nJoe"}"#),
    )
    .await;

    let run = default_agents(&server)
        .follow_up(&lead(), &followup_request(2))
        .await;

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert_eq!(run.output.subject, "Your office fit-out, Sam");
    let input: serde_json::Value = serde_json::from_str(&run.input).expect("JSON text");
    assert_eq!(input["attempt"], 2);
    assert_eq!(input["fromName"], "Joe");
    let schema = &body(&requests(&server).await[0])["generationConfig"]["responseSchema"];
    assert_eq!(schema["required"], json!(["subject", "body"]));
}

#[tokio::test]
async fn an_empty_follow_up_twice_falls_back_to_the_template() {
    let server = MockServer::start().await;
    let empty = answer(r#"{"subject": "", "body": ""}"#);
    reply_once(&server, empty.clone()).await;
    reply_once(&server, empty).await;

    let run = default_agents(&server)
        .follow_up(&lead(), &followup_request(1))
        .await;

    assert!(run.fallback);
    assert!(run.output.subject.contains("Sam") && run.output.body.contains("Joe"));
}

#[tokio::test]
async fn heuristic_agents_need_no_network() {
    let agents = Agents::heuristic();
    let q = agents.qualify(&lead(), THRESHOLDS).await;
    assert_eq!(q.implementation, AgentImplementation::Heuristic);
    assert!(!q.fallback && q.model.is_none() && q.error.is_none());
    assert_eq!(q.rule_version, agents::QUALIFIER_RULE_VERSION);

    let s = agents
        .schedule(&lead(), &slot_request())
        .await
        .expect("slots");
    assert_eq!(s.output.chosen.starts_at, utc(OFFERED[0]));

    let f = agents.follow_up(&lead(), &followup_request(4)).await;
    assert!(!f.output.subject.is_empty() && !f.output.body.is_empty());
}

fn assert_send<T: Send>(_: T) {}

#[test]
fn agent_futures_can_be_spawned() {
    let (agents, lead) = (Agents::heuristic(), lead());
    let (slots, followup) = (slot_request(), followup_request(1));
    assert_send(agents.qualify(&lead, THRESHOLDS));
    assert_send(agents.schedule(&lead, &slots));
    assert_send(agents.follow_up(&lead, &followup));
}
