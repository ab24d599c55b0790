//! POST /api/resend/webhook: Resend's delivery, bounce, complaint and
//! inbound events, verified with their Svix signature and applied once.
//!
//! - `email.bounced` with a permanent bounce: no tenant mails the address
//!   again (a suppression with no tenant, reason `bounced`). A transient
//!   bounce changes nothing (Resend reports those as
//!   `email.delivery_delayed` and keeps trying).
//! - `email.complained`: the same, reason `complained`.
//! - `email.received`: a message from a lead. A person's reply stops its
//!   follow-ups and counts in replyRate; an automatic answer (out of
//!   office) pauses them. Exactly what POST /api/leads/{id}/messages does.
//! - anything else (`email.sent`, `email.delivered`, `email.opened`, ...):
//!   recorded as processed, nothing changes.
//!
//! The Svix message id goes into `resend_events` in the same transaction
//! as the change, so a redelivery changes nothing.
//!
//! Without `RESEND_WEBHOOK_SECRET` a production gateway answers 503 (Resend
//! keeps the events and retries): unsigned events would let anyone
//! suppress any address or close any lead. A development gateway accepts
//! them unsigned, so the flow can be tried locally with curl and no Resend
//! account (the dedup key is then `svix-id`, else a hash of the body).

mod payload;
mod store;
mod svix;

pub use svix::SvixHeaders;

use crate::error::ApiError;
use crate::state::AppState;
use chrono::Utc;
use core_engine::Config;
use diesel_async::AsyncConnection;
use memory::repo::suppressions::{GlobalReason, block_everywhere};
use memory::{AsyncPgConnection, MemoryError, repo};
use orchestrator::{InboundReply, ReplyOutcome, record_reply};
use payload::ResendEvent;
use sha2::{Digest, Sha256};
use shared_types::DomainEvent;
use svix::SvixVerifier;

/// The webhook's configuration, built once at start-up.
#[derive(Clone, Debug)]
pub struct ResendWebhook {
    /// `None`: RESEND_WEBHOOK_SECRET is not set.
    verifier: Option<SvixVerifier>,
    production: bool,
}

impl ResendWebhook {
    /// Fails at start-up when the secret is set but is not a Svix secret.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let verifier = config
            .resend_webhook_secret
            .as_ref()
            .map(SvixVerifier::new)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        Ok(Self {
            verifier,
            production: config.is_production(),
        })
    }
}

/// What one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A hard bounce or a complaint: the addresses get no more mail.
    Suppressed,
    /// A soft bounce: nothing changes.
    Ignored,
    /// A lead answered: its follow-ups stopped.
    Replied,
    /// A lead's automatic answer: its follow-ups paused.
    AutoReply,
    /// Inbound mail that is not from a lead we can name.
    Unmatched,
    /// A delivery, open, click...: noted, nothing changes.
    Recorded,
    /// This svix-id was handled before: nothing changed now.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Suppressed => "suppressed",
            Outcome::Ignored => "ignored",
            Outcome::Replied => "replied",
            Outcome::AutoReply => "auto_reply",
            Outcome::Unmatched => "unmatched",
            Outcome::Recorded => "recorded",
            Outcome::Duplicate => "duplicate",
        }
    }
}

#[tracing::instrument(skip_all, fields(svix.id, resend.event_type, lead.id))]
pub async fn handle(
    state: &AppState,
    headers: SvixHeaders<'_>,
    body: &[u8],
) -> Result<Outcome, ApiError> {
    let hook = &state.resend_webhook;
    let svix_id = match &hook.verifier {
        Some(v) => v
            .verify(&headers, body, Utc::now().timestamp())
            .map_err(|e| ApiError::invalid(e.message()))?
            .to_owned(),
        None if hook.production => {
            return Err(ApiError::NotConfigured(
                "Resend webhooks are not enabled: set RESEND_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...)"
                    .into(),
            ));
        }
        None => unsigned_id(headers.id, body)?,
    };
    let event: ResendEvent = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("the body is not a Resend webhook event"))?;
    let span = tracing::Span::current();
    span.record("svix.id", svix_id.as_str());
    span.record("resend.event_type", event.kind.as_str());

    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let (outcome, events) = conn
        .transaction(async |c| {
            let email_id = event.email_id();
            if !store::claim(c, &svix_id, &event.kind, email_id.as_deref()).await? {
                return Ok::<_, ApiError>((Outcome::Duplicate, Vec::new()));
            }
            let (outcome, events) = apply(c, &event, traceparent).await?;
            store::set_outcome(c, &svix_id, outcome.as_str()).await?;
            Ok((outcome, events))
        })
        .await?;
    drop(conn);
    crate::leads::publish(state, &events).await;
    tracing::info!(outcome = outcome.as_str(), "Resend event");
    Ok(outcome)
}

/// Development without a secret: the delivery's `svix-id` when sent, else
/// a hash of the body, so a repeated curl is still a duplicate.
fn unsigned_id(id: Option<&str>, body: &[u8]) -> Result<String, ApiError> {
    match id.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) if svix::valid_id(i) => Ok(i.to_owned()),
        Some(_) => Err(ApiError::invalid("malformed svix-id header")),
        None => {
            let digest = Sha256::digest(body);
            Ok(format!("unsigned_{}", hex::encode(&digest[..16])))
        }
    }
}

async fn apply(
    conn: &mut AsyncPgConnection,
    event: &ResendEvent,
    traceparent: Option<String>,
) -> Result<(Outcome, Vec<DomainEvent>), ApiError> {
    let reason = match event.kind.as_str() {
        "email.bounced" if event.hard_bounce() => GlobalReason::Bounced,
        "email.bounced" => return Ok((Outcome::Ignored, Vec::new())),
        "email.complained" => GlobalReason::Complained,
        "email.received" => return inbound(conn, event, traceparent).await,
        _ => return Ok((Outcome::Recorded, Vec::new())),
    };
    let recipients = event.recipients();
    for address in &recipients {
        block_everywhere(conn, address, reason).await?;
    }
    tracing::info!(
        addresses = recipients.len(),
        ?reason,
        "addresses suppressed for every tenant"
    );
    Ok((
        if recipients.is_empty() {
            Outcome::Recorded
        } else {
            Outcome::Suppressed
        },
        Vec::new(),
    ))
}

/// An inbound email: from one of our leads, it is recorded and stops or
/// pauses that lead's follow-ups, as POST /api/leads/{id}/messages does.
async fn inbound(
    conn: &mut AsyncPgConnection,
    event: &ResendEvent,
    traceparent: Option<String>,
) -> Result<(Outcome, Vec<DomainEvent>), ApiError> {
    let Some(mail) = event.inbound() else {
        return Ok((Outcome::Unmatched, Vec::new()));
    };
    let Some(found) = store::inbound_lead(conn, &mail.from, &mail.to, &event.tags()).await? else {
        tracing::info!("inbound email from no lead we can name; recorded, nothing changed");
        return Ok((Outcome::Unmatched, Vec::new()));
    };
    tracing::Span::current().record("lead.id", tracing::field::display(found.id));
    let lead = repo::leads::lock(conn, found.tenant_id, found.id).await?;
    let recorded = record_reply(
        conn,
        &lead,
        InboundReply {
            channel: "email".into(),
            content: mail.content(),
            subject: mail.subject.clone(),
            from_address: Some(mail.from.clone()),
            to_address: mail.to.first().cloned(),
            headers: mail.headers.clone(),
            provider: Some("resend".into()),
            provider_message_id: event.email_id(),
        },
        Utc::now(),
        traceparent,
    )
    .await?;
    let outcome = match recorded.outcome {
        ReplyOutcome::Replied { .. } => Outcome::Replied,
        ReplyOutcome::Paused { .. } => Outcome::AutoReply,
    };
    Ok((outcome, recorded.events))
}
