//! A local fake of Gemini's generateContent endpoint and test fixtures.

use agents::{Agents, FollowupRequest, GeminiConfig, LeadContext, SlotRequest};
use chrono::{DateTime, Utc};
use rules_engine::Catalog;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared_types::{BusinessHours, LeadInput, ProductSlug, ScoreThresholds};
use std::time::Duration;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const KEY: &str = "AIzaFAKEKEY-for-tests";
pub const MODEL: &str = "gemini-test";
pub const ENDPOINT: &str = "/v1beta/models/gemini-test:generateContent";
pub const THRESHOLDS: ScoreThresholds = ScoreThresholds { hot: 70, warm: 40 };

pub fn agents(server: &MockServer, timeout: Duration, max_retries: u32) -> Agents {
    Agents::with_gemini(GeminiConfig {
        api_key: SecretString::from(KEY),
        model: MODEL.into(),
        api_base: format!("{}/", server.uri()),
        timeout,
        max_retries,
    })
}

pub fn default_agents(server: &MockServer) -> Agents {
    agents(server, Duration::from_secs(5), 2)
}

pub fn lead() -> LeadContext {
    let input: LeadInput = serde_json::from_value(json!({
        "name": "Sam Lee", "email": "sam@acme-builders.com", "source": "referral",
        "metadata": {"company": "Acme", "companySize": 25, "jobTitle": "CEO",
            "intent": "quote for an office fit-out", "budgetRange": "$5k-10k",
            "timeline": "this week"}
    }))
    .expect("lead json");
    LeadContext {
        lead_id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        profile: input.parse().expect("valid lead"),
        received_at: Utc::now(),
        business_name: "Joe's Plumbing".into(),
    }
}

/// A 200 generateContent response whose single text part is `text`.
pub fn answer(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": "STOP", "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 61, "candidatesTokenCount": 20, "totalTokenCount": 81},
        "modelVersion": MODEL, "responseId": "fakeResp123"
    }))
}

pub fn api_error(code: u16, status: &str, message: &str, details: Value) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({
        "error": {"code": code, "message": message, "status": status, "details": details}
    }))
}

pub fn unavailable() -> ResponseTemplate {
    api_error(
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
        json!([]),
    )
}

pub async fn reply_once(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .and(header("x-goog-api-key", KEY))
        .respond_with(response)
        .up_to_n_times(1)
        .mount(server)
        .await;
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

pub fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).expect("json request body")
}

pub const GOOD_QUALIFICATION: &str = r#"{"score": 88, "nextAction": "schedule_meeting", "reason": "Referred CEO wants a quote now."}"#;

pub fn slot_request() -> SlotRequest {
    SlotRequest {
        tz: chrono_tz::America::New_York,
        business_hours: BusinessHours::default(),
        duration_minutes: 30,
        // Friday 2026-10-30 12:00 EDT, two days before DST ends.
        now: utc("2026-10-30T16:00:00Z"),
        busy: vec![],
        horizon_days: 14,
    }
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

pub const OFFERED: [&str; 3] = [
    "2026-10-30T17:00:00Z",
    "2026-11-02T14:00:00Z",
    "2026-11-03T14:00:00Z",
];

pub fn followup_request(attempt: u32) -> FollowupRequest {
    FollowupRequest {
        attempt,
        max_attempts: 4,
        product: std::sync::Arc::new(Catalog::embedded().get(ProductSlug::Booker).clone()),
        from_name: "Joe".into(),
    }
}
