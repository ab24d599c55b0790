//! The booking side effect: one `Calendar` that is either Google Calendar or
//! the embedded internal calendar (the meetings table is the calendar; the
//! caller sends an .ics invitation).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::google_calendar::{GoogleCalendar, GoogleCalendarConfig};
use crate::provider_call::{ActionError, CallTimer, ProviderCall};

/// Fixed namespace so the same (workflow, step) always maps to the same id.
const BOOKING_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_9b3d_4c8e_a1f0_5d7e_3b2c_9a18);

/// A busy interval `(start, end)` reported by a calendar.
pub type BusyPeriod = (DateTime<Utc>, DateTime<Utc>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Client-chosen id (see [`calendar_event_id`]): makes inserts idempotent.
    pub id: String,
    pub summary: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// IANA name, e.g. `America/New_York`.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    pub provider: &'static str,
    pub event_id: String,
    /// The id was already taken: an earlier delivery booked this meeting.
    pub already_existed: bool,
}

/// Event id for the booking of one workflow step. Google accepts only
/// base32hex (`a-v`, `0-9`), 5–1024 chars; lowercase hex of a UUIDv5 fits.
pub fn calendar_event_id(workflow_id: Uuid, step: i32) -> String {
    let name = format!("booking:{workflow_id}:{step}");
    Uuid::new_v5(&BOOKING_NAMESPACE, name.as_bytes())
        .simple()
        .to_string()
}

#[derive(Debug, Clone)]
pub enum Calendar {
    Google(GoogleCalendar),
    /// Embedded default when no Google credentials are configured.
    Internal,
}

impl Calendar {
    pub fn google(cfg: GoogleCalendarConfig) -> Result<Self, ActionError> {
        GoogleCalendar::new(cfg).map(Self::Google)
    }

    /// Busy periods of `calendar_id` between `from` and `to`. The internal
    /// calendar has no outside busy times (the caller checks its meetings).
    #[tracing::instrument(skip_all, fields(calendar.provider = self.provider_name()))]
    pub async fn free_busy(
        &self,
        calendar_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> (Result<Vec<BusyPeriod>, ActionError>, Vec<ProviderCall>) {
        match self {
            Self::Google(google) => google.free_busy(calendar_id, from, to).await,
            Self::Internal => (Ok(Vec::new()), Vec::new()),
        }
    }

    #[tracing::instrument(skip_all, fields(calendar.provider = self.provider_name(), calendar.event_id = %ev.id))]
    pub async fn insert_event(
        &self,
        calendar_id: &str,
        ev: &CalendarEvent,
    ) -> (Result<EventOutcome, ActionError>, Vec<ProviderCall>) {
        match self {
            Self::Google(google) => google.insert_event(calendar_id, ev).await,
            Self::Internal => {
                let call = CallTimer::start(
                    "calendar_event",
                    "internal",
                    Some(ev.id.clone()),
                    event_summary(calendar_id, ev),
                )
                .finish(None, None, None);
                let outcome = EventOutcome {
                    provider: "internal",
                    event_id: ev.id.clone(),
                    already_existed: false,
                };
                (Ok(outcome), vec![call])
            }
        }
    }

    fn provider_name(&self) -> &'static str {
        match self {
            Self::Google(_) => "google",
            Self::Internal => "internal",
        }
    }
}

/// What an action log keeps of a booking (no description text).
pub(crate) fn event_summary(calendar_id: &str, ev: &CalendarEvent) -> Value {
    json!({
        "calendar_id": calendar_id,
        "event_id": ev.id,
        "starts_at": rfc3339(ev.starts_at),
        "ends_at": rfc3339(ev.ends_at),
        "time_zone": ev.time_zone,
    })
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_stable_and_base32hex() {
        let workflow = Uuid::from_u128(42);
        let id = calendar_event_id(workflow, 3);
        assert_eq!(id, calendar_event_id(workflow, 3));
        assert_ne!(id, calendar_event_id(workflow, 4));
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='v')));
    }
}
