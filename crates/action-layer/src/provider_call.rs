//! The record of one provider call (one `action_logs` row) and the error
//! type every action returns.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// One provider HTTP call (or one recorded no-op), for the caller to store as
/// an `action_logs` row. `request` and `response` are summaries, as JSON
/// text (serialized once, straight into the log row, without a JSON tree):
/// they never carry secrets, tokens or full email bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCall {
    /// "email" | "calendar_event" | "calendar_freebusy" | "calendar_token" |
    /// "webhook" | "crm_update" | "billing_customer" | "billing_checkout" |
    /// "billing_subscription"
    pub action_type: &'static str,
    /// "resend" | "outbox" | "google" | "internal" | "webhook" | "stripe" | "none"
    pub provider: &'static str,
    pub idempotency_key: Option<String>,
    pub request: String,
    pub response: Option<String>,
    pub status_code: Option<u16>,
    pub success: bool,
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Why an action did not happen. The split decides what the caller does
/// next: retry later, give up, or give up and flag the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// Worth retrying later: 429, 5xx, timeouts (after any in-call retries).
    #[error("transient provider error: {0}")]
    Transient(String),
    /// Retrying unchanged cannot help: 4xx, bad credentials, bad input.
    #[error("permanent provider error: {0}")]
    Permanent(String),
    /// The SSRF guard refused the destination.
    #[error("destination blocked: {0}")]
    Blocked(String),
}

/// Measures one call from the moment the request is ready to go out.
pub(crate) struct CallTimer {
    action_type: &'static str,
    provider: &'static str,
    idempotency_key: Option<String>,
    request: String,
    started: Instant,
}

impl CallTimer {
    pub(crate) fn start(
        action_type: &'static str,
        provider: &'static str,
        idempotency_key: Option<String>,
        request: impl Serialize,
    ) -> Self {
        Self {
            action_type,
            provider,
            idempotency_key,
            request: json_text(&request),
            started: Instant::now(),
        }
    }

    /// `error: None` marks the call successful.
    pub(crate) fn finish(
        self,
        status_code: Option<u16>,
        response: Option<Value>,
        error: Option<String>,
    ) -> ProviderCall {
        self.finish_with_text(status_code, response.as_ref().map(json_text), error)
    }

    /// `finish` with the response already JSON text (a provider's reply as
    /// it came, once it parsed).
    pub(crate) fn finish_with_text(
        self,
        status_code: Option<u16>,
        response: Option<String>,
        error: Option<String>,
    ) -> ProviderCall {
        let elapsed = self.started.elapsed();
        if self.provider != "none" {
            shared_types::metrics::observe(
                "growthos_provider_call_duration_seconds",
                &[
                    ("provider", self.provider),
                    ("action", self.action_type),
                    ("outcome", if error.is_none() { "ok" } else { "error" }),
                ],
                elapsed.as_secs_f64(),
            );
        }
        ProviderCall {
            action_type: self.action_type,
            provider: self.provider,
            idempotency_key: self.idempotency_key,
            request: self.request,
            response,
            status_code,
            success: error.is_none(),
            error,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Records a CRM update. There is no CRM integration yet, so this is a
/// logged no-op: the row in `action_logs` shows what would have been sent.
pub fn crm_update(lead_id: Uuid, fields: &Value) -> ProviderCall {
    // Field names only: the values are lead data, not needed to audit the call.
    let field_names: Vec<&str> = fields
        .as_object()
        .map(|map| map.keys().map(String::as_str).collect())
        .unwrap_or_default();
    CallTimer::start(
        "crm_update",
        "none",
        None,
        serde_json::json!({ "lead_id": lead_id, "fields": field_names }),
    )
    .finish(None, None, None)
}

/// A summary as JSON text. Summaries are maps with string keys, which
/// always serialize; `null` stands in should one ever not.
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Keeps provider error bodies short enough for a log row.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// Describes a transport failure without the URL (reqwest's Display adds it).
pub(crate) fn transport_error(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "bad response body"
    } else if err.is_builder() {
        "invalid request"
    } else {
        "request failed"
    };
    kind.to_owned()
}
