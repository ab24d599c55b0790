//! Google Calendar, when configured: the service account's token exchange
//! and a freeBusy query on each calendar, through action-layer's own client
//! (the worker's code path before every booking). Its token helper is
//! private to action-layer, so this asks freeBusy rather than
//! `GET calendars/{id}`: a calendar not shared with the service account
//! answers `notFound` there too.

use super::Vars;
use crate::Checklist;
use crate::http::TIMEOUT;
use action_layer::{Calendar, GoogleCalendarConfig};
use chrono::{Duration, Utc};
use secrecy::SecretString;

pub async fn check(vars: &Vars<'_>, calendar_ids: &[String], list: &mut Checklist<'_>) {
    let Some(credentials) = vars.get("GOOGLE_CALENDAR_CREDENTIALS") else {
        return list.pass(
            "Google Calendar not configured: bookings use the internal calendar and .ics invites",
        );
    };
    let client_email = serde_json::from_str::<serde_json::Value>(credentials)
        .ok()
        .and_then(|v| v["client_email"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into());
    let config = GoogleCalendarConfig {
        credentials_json: SecretString::from(credentials.to_owned()),
        token_url: vars
            .or(
                "GOOGLE_OAUTH_TOKEN_URL",
                "https://oauth2.googleapis.com/token",
            )
            .to_owned(),
        api_base: vars
            .or(
                "GOOGLE_CALENDAR_API_BASE",
                "https://www.googleapis.com/calendar/v3",
            )
            .to_owned(),
        timeout: TIMEOUT,
    };
    let calendar = match Calendar::google(config) {
        Ok(c) => c,
        Err(e) => return list.fail("Google Calendar credentials", e.to_string()),
    };
    let primary = ["primary".to_owned()];
    let ids = if calendar_ids.is_empty() {
        &primary[..]
    } else {
        calendar_ids
    };
    for id in ids {
        let label = format!("Google Calendar {id} reachable by {client_email}");
        let now = Utc::now();
        let (result, _calls) = calendar.free_busy(id, now, now + Duration::hours(1)).await;
        match result {
            Ok(_) => list.pass(format!("{label} (token exchange and freeBusy)")),
            Err(e) => list.fail(
                label,
                format!("{e} (share the calendar with {client_email}: \"Make changes to events\")"),
            ),
        }
    }
}
