//! Local fakes of the providers, speaking their wire formats.

use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod stripe;

pub use stripe::{
    FakeStripe, FakeSubscription, STRIPE_API_VERSION, StripeRequest, invoice_object, stripe_event,
    stripe_event_with, stripe_signature, stripe_signature_with, unix_now, webhook_secret,
};

/// Resend: POST /emails with Bearer auth, a User-Agent and Idempotency-Key
/// semantics (same key + same payload replays; different payload is 409).
pub struct FakeResend {
    pub server: MockServer,
    state: Arc<Mutex<ResendState>>,
}

#[derive(Default)]
struct ResendState {
    rate_limit_next: u32,
    fail_next: u32,
    delay_next: Option<std::time::Duration>,
    by_key: HashMap<String, (Value, String)>,
    delivered: Vec<Value>,
    requests: u32,
}

struct ResendResponder(Arc<Mutex<ResendState>>);

impl Respond for ResendResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        s.requests += 1;
        let auth_ok = req
            .headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("Bearer re_"));
        if !auth_ok {
            return ResponseTemplate::new(401).set_body_json(
                json!({"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"}),
            );
        }
        if req.headers.get("user-agent").is_none() {
            return ResponseTemplate::new(403).set_body_string("error code: 1010");
        }
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return ResponseTemplate::new(500)
                .set_body_json(json!({"statusCode": 500, "name": "application_error", "message": "Internal server error"}));
        }
        if s.rate_limit_next > 0 {
            s.rate_limit_next -= 1;
            return ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .insert_header("ratelimit-limit", "2")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "1")
                .set_body_json(json!({"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests"}));
        }
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(b) => b,
            Err(_) => {
                return ResponseTemplate::new(422).set_body_json(
                    json!({"statusCode": 422, "name": "invalid_parameter", "message": "bad json"}),
                );
            }
        };
        let key = req
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(k) = &key
            && let Some((first, id)) = s.by_key.get(k)
        {
            return if *first == body {
                ResponseTemplate::new(200).set_body_json(json!({"id": id}))
            } else {
                ResponseTemplate::new(409).set_body_json(
                    json!({"statusCode": 409, "name": "invalid_idempotent_request",
                    "message": "Same idempotency key used with a different request payload."}),
                )
            };
        }
        let id = uuid::Uuid::new_v4().to_string();
        if let Some(k) = key {
            s.by_key.insert(k, (body.clone(), id.clone()));
        }
        s.delivered.push(body);
        let reply = ResponseTemplate::new(200).set_body_json(json!({"id": id}));
        // A slow provider: the email is accepted now, the answer comes late.
        match s.delay_next.take() {
            Some(d) => reply.set_delay(d),
            None => reply,
        }
    }
}

impl FakeResend {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(ResendState::default()));
        Mock::given(method("POST"))
            .and(path("/emails"))
            .respond_with(ResendResponder(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The next `n` sends answer 429 rate_limit_exceeded.
    pub fn rate_limit_next(&self, n: u32) {
        self.state.lock().unwrap().rate_limit_next = n;
    }

    /// The next `n` sends answer 500 application_error.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().fail_next = n;
    }

    /// The next accepted email is answered only after `d`.
    pub fn delay_next(&self, d: std::time::Duration) {
        self.state.lock().unwrap().delay_next = Some(d);
    }

    /// Emails actually delivered (replays of an idempotency key excluded).
    pub fn delivered(&self) -> Vec<Value> {
        self.state.lock().unwrap().delivered.clone()
    }

    pub fn requests(&self) -> u32 {
        self.state.lock().unwrap().requests
    }
}

/// Gemini generateContent: scripted answers first, then a valid answer
/// shaped by the request's responseSchema.
pub struct FakeGemini {
    pub server: MockServer,
    script: Arc<Mutex<VecDeque<ResponseTemplate>>>,
}

struct GeminiResponder(Arc<Mutex<VecDeque<ResponseTemplate>>>);

pub fn gemini_text(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
        "modelVersion": "gemini-2.5-flash"
    }))
}

pub fn gemini_error(code: u16, status: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"error": {"code": code, "message": "The model is overloaded. Please try again later.", "status": status}}))
}

impl Respond for GeminiResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.headers.get("x-goog-api-key").is_none() {
            return gemini_error(403, "PERMISSION_DENIED");
        }
        if let Some(scripted) = self.0.lock().unwrap().pop_front() {
            return scripted;
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let props = &body["generationConfig"]["responseSchema"]["properties"];
        let answer = if props.get("score").is_some() {
            json!({"score": 88, "nextAction": "schedule_meeting", "reason": "Owner of a growing practice with budget and urgency."})
        } else if let Some(slots) = props["chosenSlot"]["enum"].as_array() {
            json!({"chosenSlot": slots[0], "reason": "earliest slot"})
        } else {
            json!({"subject": "Quick question about your enquiry", "body": "Hi there, when would suit you for a short call?"})
        };
        gemini_text(&answer.to_string())
    }
}

impl FakeGemini {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let script = Arc::new(Mutex::new(VecDeque::new()));
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1beta/models/[^/]+:generateContent$"))
            .respond_with(GeminiResponder(script.clone()))
            .mount(&server)
            .await;
        Self { server, script }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn then(&self, r: ResponseTemplate) {
        self.script.lock().unwrap().push_back(r);
    }
}
