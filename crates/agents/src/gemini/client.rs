//! One `generateContent` call with retries on transient failures, returning
//! the model's text. Knows Gemini's wire format; knows nothing about agents.

use super::GeminiConfig;
use super::structured::Prompt;
use rand::Rng;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Server hints ("retry in 30s") are honoured only up to this: a lead is
/// waiting, and after the retries the heuristic answers instantly anyway.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Error messages from the API are kept short in agent logs.
const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub(crate) enum GeminiError {
    #[error("gemini request timed out")]
    Timeout,
    #[error("gemini unreachable: {0}")]
    Connect(String),
    #[error("gemini request failed: {0}")]
    Transport(String),
    #[error("gemini returned HTTP {code} {status}: {message}")]
    Api {
        code: u16,
        status: String,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("gemini blocked the prompt (blockReason {0})")]
    Blocked(String),
    #[error("gemini returned no content (finishReason {0})")]
    NoContent(String),
    #[error("gemini response has an unexpected shape: {0}")]
    BadResponse(String),
    #[error("gemini output invalid after one repair attempt: {0}")]
    Invalid(String),
}

impl GeminiError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Connect(_) => true,
            Self::Api { code, .. } => matches!(code, 429 | 500 | 503 | 504),
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl From<reqwest::Error> for GeminiError {
    fn from(e: reqwest::Error) -> Self {
        // Strip the URL: it is harmless (the key travels in a header) but
        // noisy in agent logs.
        let e = e.without_url();
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_connect() {
            Self::Connect(e.to_string())
        } else {
            Self::Transport(e.to_string())
        }
    }
}

pub(crate) struct GeminiClient {
    http: reqwest::Client,
    config: GeminiConfig,
    url: String,
}

impl GeminiClient {
    pub(crate) fn new(config: GeminiConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("growthos-agents/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let model = config.model.trim_start_matches("models/");
        let url = format!(
            "{}/v1beta/models/{model}:generateContent",
            config.api_base.trim_end_matches('/')
        );
        Ok(Self { http, config, url })
    }

    pub(crate) fn model(&self) -> &str {
        &self.config.model
    }

    /// The model's text for `contents` (alternating user/model turns),
    /// retrying transient failures with exponential backoff.
    pub(crate) async fn generate(
        &self,
        prompt: &Prompt,
        contents: Vec<Value>,
    ) -> Result<String, GeminiError> {
        let body = json!({
            "systemInstruction": { "parts": [ { "text": prompt.system } ] },
            "contents": contents,
            "generationConfig": {
                "temperature": prompt.temperature,
                "responseMimeType": "application/json",
                "responseSchema": prompt.schema,
            },
        });
        let mut attempt = 0;
        loop {
            match self.send(&body).await {
                Err(e) if e.is_retryable() && attempt < self.config.max_retries => {
                    let delay = backoff(attempt, e.retry_after());
                    tracing::warn!(
                        error = %e,
                        attempt = attempt + 1,
                        delay_ms = delay.as_millis() as u64,
                        "gemini call failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send(&self, body: &Value) -> Result<String, GeminiError> {
        let resp = self
            .http
            .post(&self.url)
            .header("x-goog-api-key", self.config.api_key.expose_secret())
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(api_error(status, &text, retry_after));
        }
        let parsed: GenerateResponse =
            serde_json::from_str(&text).map_err(|e| GeminiError::BadResponse(e.to_string()))?;
        parsed.into_text()
    }
}

/// Exponential backoff with jitter, or the server's hint; never over 2 s.
fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
    let delay = hint.unwrap_or_else(|| {
        let exp = FIRST_BACKOFF.saturating_mul(2u32.saturating_pow(attempt));
        exp.mul_f64(rand::rng().random_range(0.8..1.2))
    });
    delay.min(MAX_BACKOFF)
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

fn api_error(status: StatusCode, body: &str, header_hint: Option<Duration>) -> GeminiError {
    let (message, status_text, details) = match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error }) => (error.message, error.status, error.details),
        Err(_) => (body.to_owned(), String::new(), Vec::new()),
    };
    let status_text = if status_text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        status_text
    };
    GeminiError::Api {
        code: status.as_u16(),
        status: status_text,
        message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
        retry_after: retry_info(&details).or(header_hint),
    }
}

/// `google.rpc.RetryInfo.retryDelay`, a protobuf Duration such as "2s" or "0.5s".
fn retry_info(details: &[Value]) -> Option<Duration> {
    details
        .iter()
        .filter(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .filter_map(|d| {
            d.get("retryDelay")?
                .as_str()?
                .strip_suffix('s')?
                .parse::<f64>()
                .ok()
        })
        .find_map(|secs| Duration::try_from_secs_f64(secs).ok())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

impl GenerateResponse {
    /// The answer text: text parts of the first candidate, thoughts skipped.
    fn into_text(self) -> Result<String, GeminiError> {
        if let Some(reason) = self.prompt_feedback.and_then(|f| f.block_reason) {
            return Err(GeminiError::Blocked(reason));
        }
        let Some(candidate) = self.candidates.into_iter().next() else {
            return Err(GeminiError::NoContent("none, no candidates".into()));
        };
        let text: String = candidate
            .content
            .map(|c| c.parts)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !p.thought)
            .filter_map(|p| p.text)
            .collect();
        if text.trim().is_empty() {
            let reason = candidate
                .finish_reason
                .unwrap_or_else(|| "unspecified".into());
            return Err(GeminiError::NoContent(reason));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(v: Value) -> Result<String, GeminiError> {
        serde_json::from_value::<GenerateResponse>(v)
            .unwrap()
            .into_text()
    }

    #[test]
    fn text_parts_are_joined_and_thoughts_skipped() {
        let v = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking...", "thought": true}, {"text": "{\"a\":"}, {"text": "1}"}]},
            "finishReason": "STOP"}]});
        assert_eq!(text_of(v).unwrap(), "{\"a\":1}");
    }

    #[test]
    fn a_stop_without_parts_is_a_failure() {
        let v = json!({"candidates": [{"finishReason": "MAX_TOKENS", "index": 0}]});
        assert!(matches!(text_of(v), Err(GeminiError::NoContent(r)) if r == "MAX_TOKENS"));
        let v = json!({"promptFeedback": {"blockReason": "SAFETY"}});
        assert!(matches!(text_of(v), Err(GeminiError::Blocked(r)) if r == "SAFETY"));
    }

    #[test]
    fn retry_delays_come_from_retry_info_and_are_clamped() {
        let body = json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]}});
        let e = api_error(StatusCode::TOO_MANY_REQUESTS, &body.to_string(), None);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(e.is_retryable());
        assert_eq!(backoff(0, e.retry_after()), MAX_BACKOFF);
        assert_eq!(
            backoff(0, Some(Duration::from_millis(500))),
            Duration::from_millis(500)
        );
        let first = backoff(0, None);
        assert!(first >= Duration::from_millis(160) && first <= Duration::from_millis(240));
        assert!(backoff(10, None) <= MAX_BACKOFF);
    }

    #[test]
    fn client_errors_are_not_retried() {
        let body = json!({"error": {"code": 404, "message": "models/x is not found",
            "status": "NOT_FOUND"}});
        let e = api_error(StatusCode::NOT_FOUND, &body.to_string(), None);
        assert!(!e.is_retryable());
        assert_eq!(
            e.to_string(),
            "gemini returned HTTP 404 NOT_FOUND: models/x is not found"
        );
        let e = api_error(StatusCode::SERVICE_UNAVAILABLE, "<html>oops</html>", None);
        assert!(e.is_retryable());
    }
}
