//! Qualifier: retries, repair and fallback.

use crate::support::*;
use serde_json::json;
use shared_types::{AgentImplementation, NextAction};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_503_then_success_is_an_llm_decision() {
    let server = MockServer::start().await;
    reply_once(&server, unavailable()).await;
    reply_once(&server, answer(GOOD_QUALIFICATION)).await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert!(!run.fallback);
    assert_eq!(run.error, None);
    assert_eq!(run.model.as_deref(), Some(MODEL));
    assert_eq!(run.rule_version, "gemini-prompt/1");
    assert_eq!(run.output.score, 88);
    assert_eq!(run.output.next_action, NextAction::ScheduleMeeting);
    let input: serde_json::Value = serde_json::from_str(&run.input).expect("JSON text");
    assert_eq!(input["thresholds"], json!({"hot": 70, "warm": 40}));
    assert_eq!(input["lead"]["emailDomain"], "acme-builders.com");
    assert!(!run.input.contains(KEY));
    assert!(!run.input.contains("sam@"), "the address stays out of logs");

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    for r in &sent {
        assert_eq!(
            r.headers
                .get("x-goog-api-key")
                .and_then(|v| v.to_str().ok()),
            Some(KEY)
        );
        let b = body(r);
        assert_eq!(
            b["generationConfig"]["responseMimeType"],
            "application/json"
        );
        let schema = &b["generationConfig"]["responseSchema"];
        assert_eq!(schema["type"], "OBJECT");
        assert_eq!(schema["properties"]["score"]["type"], "INTEGER");
        assert_eq!(schema["required"], json!(["score", "nextAction", "reason"]));
        assert!(b["systemInstruction"]["parts"][0]["text"].is_string());
        assert_eq!(b["contents"][0]["role"], "user");
        assert!(
            !b.to_string().contains(KEY),
            "the key travels only in the header"
        );
    }
}

#[tokio::test]
async fn a_429_retry_delay_is_honoured_but_clamped_to_two_seconds() {
    let server = MockServer::start().await;
    let details = json!([
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}
    ]);
    reply_once(
        &server,
        api_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your quota.",
            details,
        ),
    )
    .await;
    reply_once(&server, answer(GOOD_QUALIFICATION)).await;

    let started = Instant::now();
    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;
    let waited = started.elapsed();

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert!(
        waited >= Duration::from_millis(1_900),
        "retryDelay ignored: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "retryDelay not clamped: {waited:?}"
    );
}

#[tokio::test]
async fn a_retry_after_header_is_honoured() {
    let server = MockServer::start().await;
    reply_once(&server, unavailable().insert_header("Retry-After", "1")).await;
    reply_once(&server, answer(GOOD_QUALIFICATION)).await;

    let started = Instant::now();
    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn persistent_5xx_exhausts_the_retries_and_falls_back() {
    let server = MockServer::start().await;
    for _ in 0..3 {
        reply_once(&server, unavailable()).await;
    }

    let run = agents(&server, Duration::from_secs(5), 2)
        .qualify(&lead(), THRESHOLDS)
        .await;

    assert!(run.fallback);
    assert_eq!(run.implementation, AgentImplementation::Heuristic);
    let error = run.error.expect("error recorded");
    assert!(error.contains("503 UNAVAILABLE"), "{error}");
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn garbage_twice_falls_back_to_the_heuristic_and_records_why() {
    let server = MockServer::start().await;
    reply_once(
        &server,
        answer("Sure! Here is the qualification you asked for."),
    )
    .await;
    reply_once(&server, answer("I think this lead is great")).await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert!(run.fallback);
    assert_eq!(run.implementation, AgentImplementation::Heuristic);
    assert_eq!(run.model.as_deref(), Some(MODEL));
    assert_eq!(run.rule_version, agents::QUALIFIER_RULE_VERSION);
    let error = run.error.expect("error recorded");
    assert!(
        error.contains("invalid after one repair") && error.contains("not JSON"),
        "{error}"
    );
    assert!(
        run.output.score >= 80,
        "the heuristic still decided: {:?}",
        run.output
    );

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2, "exactly one repair attempt");
    let repair = body(&sent[1]);
    let contents = repair["contents"].as_array().expect("contents");
    assert_eq!(contents.len(), 3);
    assert_eq!(contents[1]["role"], "model");
    assert_eq!(
        contents[1]["parts"][0]["text"],
        "Sure! Here is the qualification you asked for."
    );
    let ask = contents[2]["parts"][0]["text"]
        .as_str()
        .expect("repair text");
    assert!(
        ask.contains("not JSON") && ask.contains("corrected JSON"),
        "{ask}"
    );
}

#[tokio::test]
async fn an_out_of_range_score_is_repaired() {
    let server = MockServer::start().await;
    reply_once(
        &server,
        answer(r#"{"score": 150, "nextAction": "schedule_meeting", "reason": "Hot"}"#),
    )
    .await;
    reply_once(&server, answer(GOOD_QUALIFICATION)).await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert_eq!(run.implementation, AgentImplementation::Llm);
    assert!(!run.fallback);
    assert_eq!(run.output.score, 88);
    let sent = requests(&server).await;
    let ask = body(&sent[1])["contents"][2]["parts"][0]["text"].to_string();
    assert!(ask.contains("score") && ask.contains("150"), "{ask}");
}

#[tokio::test]
async fn a_blocked_prompt_falls_back_without_retrying() {
    let server = MockServer::start().await;
    let blocked = ResponseTemplate::new(200).set_body_json(json!({
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 61, "totalTokenCount": 61}
    }));
    reply_once(&server, blocked).await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert!(run.fallback);
    assert!(run.error.expect("error").contains("PROHIBITED_CONTENT"));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_truncated_generation_without_parts_falls_back() {
    let server = MockServer::start().await;
    let truncated = ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS", "index": 0}]
    }));
    reply_once(&server, truncated).await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert!(run.fallback);
    assert!(run.error.expect("error").contains("MAX_TOKENS"));
}

#[tokio::test]
async fn a_timeout_falls_back_quickly() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(answer(GOOD_QUALIFICATION).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;

    let started = Instant::now();
    let run = agents(&server, Duration::from_millis(200), 1)
        .qualify(&lead(), THRESHOLDS)
        .await;

    assert!(run.fallback);
    assert_eq!(run.implementation, AgentImplementation::Heuristic);
    assert!(run.error.expect("error").contains("timed out"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        requests(&server).await.len(),
        2,
        "one retry after the timeout"
    );
}

#[tokio::test]
async fn an_unknown_model_is_not_retried() {
    let server = MockServer::start().await;
    reply_once(
        &server,
        api_error(
            404,
            "NOT_FOUND",
            "models/gemini-test is not found for API version v1beta",
            json!([]),
        ),
    )
    .await;

    let run = default_agents(&server).qualify(&lead(), THRESHOLDS).await;

    assert!(run.fallback);
    assert!(run.error.expect("error").contains("404 NOT_FOUND"));
    assert_eq!(requests(&server).await.len(), 1);
}
