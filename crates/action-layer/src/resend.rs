//! Resend `POST /emails` with in-call retries for rate limits and server
//! errors. Every attempt carries the same `Idempotency-Key`, so a retry after
//! an ambiguous failure (timeout, 5xx) cannot send the email twice.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::{HeaderMap, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::mailer::{EmailMessage, SendOutcome, Tag, email_summary};
use crate::provider_call::{ActionError, CallTimer, ProviderCall, transport_error, truncate};

/// Longest wait between two attempts inside one call: the worker must not
/// hold an event for long; longer waits are the event bus's retry job.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(2);
const BACKOFF_BASE: Duration = Duration::from_millis(200);
const MAX_TAG_CHARS: usize = 256;

#[derive(Debug, Clone)]
pub struct ResendConfig {
    pub api_key: SecretString,
    /// e.g. `https://api.resend.com`
    pub api_base: String,
    pub timeout: Duration,
    pub max_attempts: u32,
}

#[derive(Debug, Clone)]
pub struct ResendClient {
    http: reqwest::Client,
    api_key: SecretString,
    emails_url: String,
    timeout: Duration,
    max_attempts: u32,
}

/// What one HTTP attempt means for the send as a whole.
enum Verdict {
    Done(Result<SendOutcome, ActionError>),
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
}

impl ResendClient {
    pub(crate) fn new(cfg: ResendConfig) -> Self {
        Self {
            // Timeout and User-Agent are set per request, so building the
            // client cannot fail on configuration.
            http: reqwest::Client::new(),
            api_key: cfg.api_key,
            emails_url: format!("{}/emails", cfg.api_base.trim_end_matches('/')),
            timeout: cfg.timeout,
            max_attempts: cfg.max_attempts.max(1),
        }
    }

    #[tracing::instrument(skip_all, fields(email.max_attempts = self.max_attempts))]
    pub(crate) async fn send(
        &self,
        msg: &EmailMessage,
    ) -> (Result<SendOutcome, ActionError>, Vec<ProviderCall>) {
        let tags = sanitized_tags(msg);
        let body = request_body(msg, &tags);
        let mut calls = Vec::new();
        let mut attempt = 1;
        loop {
            let (verdict, call) = self.attempt(msg, &body, attempt).await;
            calls.push(call);
            match verdict {
                Verdict::Done(result) => return (result, calls),
                Verdict::Retry { reason, wait } => {
                    if attempt >= self.max_attempts {
                        let error = format!("resend: {reason} (gave up after {attempt} attempts)");
                        return (Err(ActionError::Transient(error)), calls);
                    }
                    let wait = wait.unwrap_or_else(|| backoff(attempt));
                    tracing::warn!(
                        email.attempt = attempt,
                        retry.wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "resend attempt failed, retrying: {reason}"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    #[tracing::instrument(skip_all, fields(email.attempt = attempt))]
    async fn attempt(
        &self,
        msg: &EmailMessage,
        body: &RequestBody<'_>,
        attempt: u32,
    ) -> (Verdict, ProviderCall) {
        let mut summary = email_summary(msg);
        summary.attempt = Some(attempt);
        let timer = CallTimer::start(
            "email",
            "resend",
            Some(msg.idempotency_key.clone()),
            summary,
        );
        let request = self
            .http
            .post(&self.emails_url)
            .bearer_auth(self.api_key.expose_secret())
            .header(USER_AGENT, crate::USER_AGENT)
            .header("Idempotency-Key", &msg.idempotency_key)
            .timeout(self.timeout)
            .json(body);
        let sent = crate::trace_context::propagate(request).send().await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                let reason = transport_error(&err);
                let verdict = if err.is_builder() {
                    Verdict::Done(Err(ActionError::Permanent(format!("resend: {reason}"))))
                } else {
                    Verdict::Retry {
                        reason: reason.clone(),
                        wait: None,
                    }
                };
                return (verdict, timer.finish(None, None, Some(reason)));
            }
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = match response.text().await {
            Ok(text) => text,
            Err(err) => {
                // The send may have happened; the retry replays it safely
                // because the idempotency key is the same.
                let reason = format!("reading response: {}", transport_error(&err));
                let verdict = Verdict::Retry {
                    reason: reason.clone(),
                    wait: None,
                };
                return (verdict, timer.finish(Some(status), None, Some(reason)));
            }
        };
        let parsed: Option<Reply> = serde_json::from_str(&text).ok();
        let verdict = classify(status, parsed.as_ref(), retry_after);
        let error = match &verdict {
            Verdict::Done(Ok(_)) => None,
            Verdict::Done(Err(err)) => Some(err.to_string()),
            Verdict::Retry { reason, .. } => Some(reason.clone()),
        };
        // A reply that parsed is recorded as it came, without a JSON tree.
        let recorded = match parsed {
            Some(_) => text,
            None => json!({ "body": truncate(&text, 300) }).to_string(),
        };
        (
            verdict,
            timer.finish_with_text(Some(status), Some(recorded), error),
        )
    }
}

/// The fields of a Resend reply that decide what happens next: `id` on
/// success, `name` and `message` on an error.
#[derive(Deserialize)]
struct Reply {
    id: Option<String>,
    name: Option<String>,
    message: Option<String>,
}

/// Maps one Resend response to what the send should do next.
fn classify(status: u16, body: Option<&Reply>, retry_after: Option<Duration>) -> Verdict {
    let name = body.and_then(|b| b.name.as_deref()).unwrap_or("");
    let message = body.and_then(|b| b.message.as_deref()).unwrap_or("");
    let described = format!("{status} {name}: {message}");
    match status {
        200..=299 => Verdict::Done(Ok(SendOutcome {
            provider: "resend",
            provider_message_id: body.and_then(|b| b.id.clone()),
            already_sent: false,
        })),
        // Resend keeps keys for 24 h: this key was already used for a send.
        409 if name == "invalid_idempotent_request" => Verdict::Done(Ok(SendOutcome {
            provider: "resend",
            provider_message_id: None,
            already_sent: true,
        })),
        // The first request with this key is still running; its outcome is
        // unknown now, so the event bus should come back later.
        409 if name == "concurrent_idempotent_requests" => {
            Verdict::Done(Err(ActionError::Transient(format!("resend: {described}"))))
        }
        // Quotas reset daily or monthly: waiting seconds inside the call is pointless.
        429 if name == "daily_quota_exceeded" || name == "monthly_quota_exceeded" => {
            Verdict::Done(Err(ActionError::Transient(format!("resend: {described}"))))
        }
        429 => Verdict::Retry {
            reason: described,
            wait: retry_after,
        },
        500..=599 => Verdict::Retry {
            reason: described,
            wait: None,
        },
        _ => Verdict::Done(Err(ActionError::Permanent(format!("resend: {described}")))),
    }
}

/// The JSON body of `POST /emails` (Resend's wire names), borrowed from the
/// message and serialized straight into the request.
#[derive(Serialize)]
struct RequestBody<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    html: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Headers::is_empty")]
    headers: Headers<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<AttachmentBody<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Tag<'a>>,
}

/// Extra MIME headers, as the JSON object Resend expects.
struct Headers<'a>(&'a [(String, String)]);

impl Headers<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Headers<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

#[derive(Serialize)]
struct AttachmentBody<'a> {
    filename: &'a str,
    /// Base64 of the bytes.
    content: String,
    content_type: &'a str,
}

fn request_body<'a>(msg: &'a EmailMessage, tags: &'a [(String, String)]) -> RequestBody<'a> {
    RequestBody {
        from: &msg.from,
        to: [&msg.to],
        subject: &msg.subject,
        html: &msg.html,
        text: &msg.text,
        reply_to: msg.reply_to.as_deref(),
        headers: Headers(&msg.headers),
        attachments: msg
            .attachments
            .iter()
            .map(|a| AttachmentBody {
                filename: &a.filename,
                content: BASE64.encode(&a.content),
                content_type: &a.content_type,
            })
            .collect(),
        tags: tags
            .iter()
            .map(|(name, value)| Tag { name, value })
            .collect(),
    }
}

/// The message's tags as Resend accepts them.
fn sanitized_tags(msg: &EmailMessage) -> Vec<(String, String)> {
    msg.tags
        .iter()
        .map(|(name, value)| (sanitize_tag(name), sanitize_tag(value)))
        .collect()
}

/// Resend accepts only ASCII letters, digits, `_` and `-` in tags; anything
/// else would fail the whole send with a 422.
fn sanitize_tag(raw: &str) -> String {
    raw.chars()
        .take(MAX_TAG_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `retry-after` in seconds (Resend sends integers), clamped.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(
        seconds.min(MAX_RETRY_WAIT.as_secs_f64()),
    ))
}

/// Exponential backoff with jitter (half fixed, half random) so concurrent
/// workers do not retry in lockstep.
fn backoff(attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(8);
    let full = BACKOFF_BASE
        .saturating_mul(1 << exponent)
        .min(MAX_RETRY_WAIT);
    let half = full / 2;
    half + half.mul_f64(rand::random_range(0.0..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_only_resend_safe_characters() {
        assert_eq!(sanitize_tag("lead id/7781:ü"), "lead_id_7781__");
        assert_eq!(sanitize_tag("step-2_ok"), "step-2_ok");
    }

    #[test]
    fn backoff_grows_and_stays_clamped() {
        for attempt in 1..20 {
            let wait = backoff(attempt);
            assert!(wait <= MAX_RETRY_WAIT);
            assert!(wait >= BACKOFF_BASE / 2);
        }
    }

    #[test]
    fn quota_exhaustion_is_not_retried_in_call() {
        let body: Reply = serde_json::from_str(
            r#"{ "statusCode": 429, "name": "daily_quota_exceeded", "message": "quota" }"#,
        )
        .unwrap();
        assert!(matches!(
            classify(429, Some(&body), None),
            Verdict::Done(Err(ActionError::Transient(_)))
        ));
    }
}
