//! Side effects with providers: email (Resend, or the outbox default),
//! calendar bookings (Google Calendar, or the internal default), signed
//! webhooks behind an SSRF guard, CRM updates (a recorded no-op) and Stripe
//! billing calls (customer, Checkout Session, subscription).
//!
//! This crate never touches the database. Every provider HTTP call comes
//! back as a [`ProviderCall`] that the caller stores as one `action_logs`
//! row; idempotency keys come from the caller, derived from
//! (workflow id, step), so a redelivered event cannot act twice.

mod calendar;
mod google_auth;
mod google_calendar;
mod ics;
mod linkedin;
mod mailer;
mod provider_call;
mod resend;
mod ssrf;
mod stripe;
mod trace_context;
mod webhook;

pub use self::stripe::{
    BillingError, CheckoutRequest, CheckoutSession, NewCustomer, StripeBilling, StripeConfig,
    SubscriptionSnapshot,
};
pub use calendar::{BusyPeriod, Calendar, CalendarEvent, EventOutcome, calendar_event_id};
pub use google_calendar::{GoogleCalendar, GoogleCalendarConfig};
pub use ics::invite_ics;
pub use linkedin::{LinkedinConfig, ProfileSummary, fetch_profile};
pub use mailer::{Attachment, EmailMessage, Mailer, SendOutcome};
pub use provider_call::{ActionError, ProviderCall, crm_update};
pub use resend::{ResendClient, ResendConfig};
pub use ssrf::{check_public_url, guarded_client};
pub use webhook::{WebhookConfig, WebhookSender};

/// Sent on every outbound request; Resend rejects requests without one.
const USER_AGENT: &str = concat!("growthos/", env!("CARGO_PKG_VERSION"));
