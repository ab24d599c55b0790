//! Side effects with providers: email (Resend, or the outbox default),
//! calendar bookings (Google Calendar, or the internal default), signed
//! webhooks behind an SSRF guard, and CRM updates (a recorded no-op).
//!
//! This crate never touches the database. Every provider HTTP call comes
//! back as a [`ProviderCall`] that the caller stores as one `action_logs`
//! row; idempotency keys come from the caller, derived from
//! (workflow id, step), so a redelivered event cannot act twice.

mod calendar;
mod google_auth;
mod google_calendar;
mod ics;
mod mailer;
mod provider_call;
mod resend;
mod ssrf;
mod webhook;

pub use calendar::{BusyPeriod, Calendar, CalendarEvent, EventOutcome, calendar_event_id};
pub use google_calendar::{GoogleCalendar, GoogleCalendarConfig};
pub use ics::invite_ics;
pub use mailer::{Attachment, EmailMessage, Mailer, SendOutcome};
pub use provider_call::{ActionError, ProviderCall, crm_update};
pub use resend::{ResendClient, ResendConfig};
pub use ssrf::check_public_url;
pub use webhook::{WebhookConfig, WebhookSender};

/// Sent on every outbound request; Resend rejects requests without one.
const USER_AGENT: &str = concat!("growthos/", env!("CARGO_PKG_VERSION"));
