//! Google Calendar v3 through a service account: events.insert with a
//! client-chosen id (409 means "already booked") and freeBusy.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::USER_AGENT;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::calendar::{BusyPeriod, CalendarEvent, EventOutcome, event_summary, rfc3339};
use crate::google_auth::GoogleAuth;
use crate::provider_call::{ActionError, CallTimer, ProviderCall, transport_error, truncate};

#[derive(Debug, Clone)]
pub struct GoogleCalendarConfig {
    /// The service-account key file (JSON).
    pub credentials_json: SecretString,
    /// e.g. `https://oauth2.googleapis.com/token`
    pub token_url: String,
    /// e.g. `https://www.googleapis.com/calendar/v3`
    pub api_base: String,
    pub timeout: Duration,
}

/// Cheap to clone: clones share the HTTP client and the token cache.
#[derive(Clone)]
pub struct GoogleCalendar {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    auth: GoogleAuth,
    api_base: String,
    timeout: Duration,
}

/// One API request to make, and how to record it.
struct ApiRequest {
    action_type: &'static str,
    idempotency_key: Option<String>,
    summary: Value,
    url: String,
    body: Value,
}

/// A response not yet judged; its `ProviderCall` is finished by the caller.
struct Reply {
    status: u16,
    body: Option<Value>,
    timer: CallTimer,
}

impl fmt::Debug for GoogleCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleCalendar")
            .field("client_email", &self.inner.auth.client_email())
            .field("api_base", &self.inner.api_base)
            .finish_non_exhaustive()
    }
}

impl GoogleCalendar {
    pub(crate) fn new(cfg: GoogleCalendarConfig) -> Result<Self, ActionError> {
        let auth = GoogleAuth::from_credentials(&cfg.credentials_json, cfg.token_url, cfg.timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                auth,
                api_base: cfg.api_base.trim_end_matches('/').to_owned(),
                timeout: cfg.timeout,
            }),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn insert_event(
        &self,
        calendar_id: &str,
        ev: &CalendarEvent,
    ) -> (Result<EventOutcome, ActionError>, Vec<ProviderCall>) {
        let mut calls = Vec::new();
        // No attendees: a service account cannot invite without domain-wide
        // delegation (403 forbiddenForServiceAccounts).
        let request = ApiRequest {
            action_type: "calendar_event",
            idempotency_key: Some(ev.id.clone()),
            summary: event_summary(calendar_id, ev),
            url: format!(
                "{}/calendars/{}/events?sendUpdates=none",
                self.inner.api_base,
                encode_path_segment(calendar_id)
            ),
            body: json!({
                "id": ev.id,
                "summary": ev.summary,
                "description": ev.description,
                "start": { "dateTime": rfc3339(ev.starts_at), "timeZone": ev.time_zone },
                "end": { "dateTime": rfc3339(ev.ends_at), "timeZone": ev.time_zone },
            }),
        };
        let reply = match self.post_json(&request, &mut calls).await {
            Ok(reply) => reply,
            Err(err) => return (Err(err), calls),
        };
        let (result, recorded, error) = match reply.status {
            200..=299 => {
                let body = reply.body.unwrap_or(Value::Null);
                let event_id = body
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(&ev.id)
                    .to_owned();
                let recorded = json!({ "id": event_id, "status": body.get("status") });
                let outcome = EventOutcome {
                    provider: "google",
                    event_id,
                    already_existed: false,
                };
                (Ok(outcome), Some(recorded), None)
            }
            // The id is taken: an earlier delivery of this step booked it.
            409 => {
                let outcome = EventOutcome {
                    provider: "google",
                    event_id: ev.id.clone(),
                    already_existed: true,
                };
                (Ok(outcome), reply.body, None)
            }
            status => {
                let err = api_error(status, reply.body.as_ref());
                let error = Some(err.to_string());
                (Err(err), reply.body, error)
            }
        };
        calls.push(reply.timer.finish(Some(reply.status), recorded, error));
        (result, calls)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn free_busy(
        &self,
        calendar_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> (Result<Vec<BusyPeriod>, ActionError>, Vec<ProviderCall>) {
        let mut calls = Vec::new();
        let request = ApiRequest {
            action_type: "calendar_freebusy",
            idempotency_key: None,
            summary: json!({ "calendar_id": calendar_id, "time_min": rfc3339(from), "time_max": rfc3339(to) }),
            url: format!("{}/freeBusy", self.inner.api_base),
            body: json!({
                "timeMin": rfc3339(from),
                "timeMax": rfc3339(to),
                "items": [{ "id": calendar_id }],
            }),
        };
        let reply = match self.post_json(&request, &mut calls).await {
            Ok(reply) => reply,
            Err(err) => return (Err(err), calls),
        };
        let result = if (200..300).contains(&reply.status) {
            busy_periods(reply.body.as_ref(), calendar_id)
        } else {
            Err(api_error(reply.status, reply.body.as_ref()))
        };
        let recorded = match &result {
            Ok(busy) => Some(json!({ "busy_periods": busy.len() })),
            Err(_) => reply.body,
        };
        let error = result.as_ref().err().map(ToString::to_string);
        calls.push(reply.timer.finish(Some(reply.status), recorded, error));
        (result, calls)
    }

    /// POSTs JSON with a bearer token. A 401 means the cached token went bad
    /// early (revoked, clock skew): refresh once and try again.
    async fn post_json(
        &self,
        request: &ApiRequest,
        calls: &mut Vec<ProviderCall>,
    ) -> Result<Reply, ActionError> {
        let inner = &self.inner;
        let mut refreshed = false;
        loop {
            let token = inner.auth.token(&inner.http, calls).await?;
            let timer = CallTimer::start(
                request.action_type,
                "google",
                request.idempotency_key.clone(),
                request.summary.clone(),
            );
            let builder = inner
                .http
                .post(&request.url)
                .bearer_auth(token.expose_secret())
                .header(USER_AGENT, crate::USER_AGENT)
                .timeout(inner.timeout)
                .json(&request.body);
            let sent = crate::trace_context::propagate(builder).send().await;
            let response = match sent {
                Ok(response) => response,
                Err(err) => {
                    let reason = format!("google: {}", transport_error(&err));
                    calls.push(timer.finish(None, None, Some(reason.clone())));
                    return Err(ActionError::Transient(reason));
                }
            };
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text)
                .ok()
                .or_else(|| (!text.is_empty()).then(|| json!({ "body": truncate(&text, 300) })));
            if status == 401 && !refreshed {
                inner.auth.invalidate().await;
                calls.push(timer.finish(
                    Some(status),
                    body,
                    Some("google: token rejected, refreshing".to_owned()),
                ));
                refreshed = true;
                continue;
            }
            return Ok(Reply {
                status,
                body,
                timer,
            });
        }
    }
}

/// Busy periods for `calendar_id` from a freeBusy 200. Per-calendar errors
/// arrive inside the 200; ignoring them would make an inaccessible calendar
/// look free.
fn busy_periods(body: Option<&Value>, calendar_id: &str) -> Result<Vec<BusyPeriod>, ActionError> {
    let calendar = body
        .and_then(|b| b.get("calendars"))
        .and_then(|c| c.get(calendar_id))
        .ok_or_else(|| {
            ActionError::Permanent(format!(
                "google freeBusy: no entry for calendar {calendar_id}"
            ))
        })?;
    if let Some(first) = calendar
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        let reason = first
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let message = format!("google freeBusy: calendar {calendar_id}: {reason}");
        return Err(if reason == "backendError" || is_rate_limit(reason) {
            ActionError::Transient(message)
        } else {
            ActionError::Permanent(message)
        });
    }
    let periods = calendar
        .get("busy")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    periods
        .iter()
        .map(|period| {
            let at = |key: &str| {
                period
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| {
                        ActionError::Permanent(format!(
                            "google freeBusy: busy period without a valid {key}"
                        ))
                    })
            };
            Ok((at("start")?, at("end")?))
        })
        .collect()
}

/// Google's error envelope `{error: {code, message, errors: [{reason}]}}`
/// mapped to retry-later or give-up.
fn api_error(status: u16, body: Option<&Value>) -> ActionError {
    let error = body.and_then(|b| b.get("error"));
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let reason = error
        .and_then(|e| e.get("errors"))
        .and_then(|e| e.get(0))
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let described = format!("google: {status} {reason}: {message}");
    if status == 429 || status >= 500 || (status == 403 && is_rate_limit(reason)) {
        ActionError::Transient(described)
    } else {
        ActionError::Permanent(described)
    }
}

fn is_rate_limit(reason: &str) -> bool {
    matches!(
        reason,
        "rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded" | "dailyLimitExceeded"
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so ids
/// such as `owner@example.com` or group ids with `#` stay one path segment.
fn encode_path_segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_ids_are_one_path_segment() {
        assert_eq!(
            encode_path_segment("owner@shop.example"),
            "owner%40shop.example"
        );
        assert_eq!(encode_path_segment("a/b#c d"), "a%2Fb%23c%20d");
    }

    #[test]
    fn rate_limit_403_is_transient_but_forbidden_is_not() {
        let limited = json!({ "error": { "code": 403, "message": "Rate Limit Exceeded",
            "errors": [{ "domain": "usageLimits", "reason": "rateLimitExceeded" }] } });
        assert!(matches!(
            api_error(403, Some(&limited)),
            ActionError::Transient(_)
        ));
        let forbidden = json!({ "error": { "code": 403, "message": "no",
            "errors": [{ "domain": "calendar", "reason": "forbiddenForServiceAccounts" }] } });
        assert!(matches!(
            api_error(403, Some(&forbidden)),
            ActionError::Permanent(_)
        ));
    }
}
