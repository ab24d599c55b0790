//! Signed webhook delivery to tenant-supplied URLs, behind the SSRF guard.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use serde_json::{Value, json};
use sha2::Sha256;
use url::Url;

use crate::provider_call::{ActionError, CallTimer, ProviderCall, transport_error};
use crate::ssrf::guarded_client;

const SIGNATURE_HEADER: &str = "X-GrowthOS-Signature";
const EVENT_ID_HEADER: &str = "X-GrowthOS-Event-Id";

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub timeout: Duration,
    /// Lets webhooks reach 127.0.0.1 / ::1. Tests and development only.
    pub allow_loopback: bool,
}

#[derive(Debug, Clone)]
pub struct WebhookSender {
    cfg: WebhookConfig,
}

impl WebhookSender {
    pub fn new(cfg: WebhookConfig) -> Self {
        Self { cfg }
    }

    /// POSTs `body` as JSON, signed with `signing_secret`. Returns the HTTP
    /// status on 2xx. Exactly one `ProviderCall`, also when blocked.
    #[tracing::instrument(skip_all, fields(webhook.event_id = %idempotency_key))]
    pub async fn deliver(
        &self,
        url: &str,
        signing_secret: &[u8],
        body: &Value,
        idempotency_key: &str,
    ) -> (Result<u16, ActionError>, ProviderCall) {
        let payload = body.to_string();
        // The URL's path or query often is the receiver's secret (Zapier
        // style hooks), so only the origin is recorded.
        let request = json!({
            "method": "POST",
            "origin": origin(url),
            "body_bytes": payload.len(),
        });
        let timer = CallTimer::start(
            "webhook",
            "webhook",
            Some(idempotency_key.to_owned()),
            request,
        );
        let result = self
            .post(url, signing_secret, payload, idempotency_key)
            .await;
        let (status, error) = match &result {
            Ok(status) => (Some(*status), None),
            Err((status, err)) => (*status, Some(err.to_string())),
        };
        (
            result.map_err(|(_, err)| err),
            timer.finish(status, None, error),
        )
    }

    async fn post(
        &self,
        url: &str,
        signing_secret: &[u8],
        payload: String,
        idempotency_key: &str,
    ) -> Result<u16, (Option<u16>, ActionError)> {
        let client = guarded_client(url, self.cfg.allow_loopback, self.cfg.timeout)
            .await
            .map_err(|err| (None, err))?;
        let timestamp = Utc::now().timestamp();
        let signature = sign(signing_secret, timestamp, payload.as_bytes());
        let response = client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, crate::USER_AGENT)
            .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
            .header(EVENT_ID_HEADER, idempotency_key)
            .body(payload)
            .send()
            .await
            .map_err(|err| {
                (
                    None,
                    ActionError::Transient(format!("webhook: {}", transport_error(&err))),
                )
            })?;
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(status),
            // Rate limited or timed out at the receiver: worth another try.
            408 | 429 | 500..=599 => Err((
                Some(status),
                ActionError::Transient(format!("webhook: receiver answered {status}")),
            )),
            _ => Err((
                Some(status),
                ActionError::Permanent(format!("webhook: receiver answered {status}")),
            )),
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `"<t>.<body>"`, the Stripe-style scheme
/// receivers already know how to verify.
fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The host name of `url`, or `None` for IP literals (nothing to resolve).
fn origin(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "invalid".to_owned())
}
