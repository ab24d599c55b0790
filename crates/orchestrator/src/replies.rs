//! A message from the lead: stored, then either it stops the lead's
//! automation (a person answered: `close_lead(Replied)`) or, when it is an
//! automatic answer such as an out-of-office notice, it pauses the
//! follow-ups instead. Both entry points use it: POST
//! /api/leads/{id}/messages and Resend's inbound webhook.

use crate::auto_reply::{AutoReplySignal, PAUSE_BUSINESS_DAYS, detect_auto_reply};
use crate::closing::{Closure, close_lead};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use memory::repo::workflows::{self, StepResult};
use memory::{AsyncPgConnection, Lead, MemoryError, Message};
use shared_types::{DomainEvent, WorkflowState};
use uuid::Uuid;

/// The transition label of a paused follow-up (`workflow_transitions.event`).
pub const PAUSE_EVENT: &str = "followup_paused";

/// A message the lead sent us.
#[derive(Debug, Clone, Default)]
pub struct InboundReply {
    /// `email`, `sms` or `note`.
    pub channel: String,
    pub content: String,
    pub subject: Option<String>,
    /// Defaults to the lead's address.
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    /// MIME headers when known, (name, value).
    pub headers: Vec<(String, String)>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// A person answered: the lead's workflows completed with `replied_at`
    /// set, so nothing more is sent and replyRate counts it.
    Replied { workflows_completed: usize },
    /// An automatic answer: stored with status `auto_reply`; following-up
    /// workflows keep their state and wait until `resume_at`.
    Paused {
        signal: AutoReplySignal,
        workflows_paused: usize,
        resume_at: Option<DateTime<Utc>>,
    },
}

#[derive(Debug)]
pub struct RecordedReply {
    pub message: Message,
    pub outcome: ReplyOutcome,
    /// Already in the outbox; publish after commit.
    pub events: Vec<DomainEvent>,
}

/// Stores the lead's message and stops (a reply) or pauses (an automatic
/// answer) its follow-ups. Call inside a transaction, with the lead row
/// locked (`repo::leads::lock`), so replies to one lead apply one at a time.
#[tracing::instrument(skip_all, fields(tenant.id = %lead.tenant_id, lead.id = %lead.id))]
pub async fn record_reply(
    conn: &mut AsyncPgConnection,
    lead: &Lead,
    reply: InboundReply,
    now: DateTime<Utc>,
    traceparent: Option<String>,
) -> Result<RecordedReply, MemoryError> {
    let signal = detect_auto_reply(&reply.headers, reply.subject.as_deref(), &reply.content);
    let message = Message {
        id: Uuid::new_v4(),
        tenant_id: lead.tenant_id,
        lead_id: lead.id,
        workflow_id: None,
        direction: "inbound".into(),
        channel: reply.channel,
        kind: "reply".into(),
        to_address: reply.to_address,
        from_address: reply.from_address.or_else(|| Some(lead.email.clone())),
        subject: reply.subject,
        content: reply.content,
        html: None,
        step_key: None,
        status: if signal.is_some() {
            "auto_reply"
        } else {
            "received"
        }
        .into(),
        provider: reply.provider,
        provider_message_id: reply.provider_message_id,
        created_at: now,
    };
    memory::repo::messages::insert(conn, &message).await?;
    let Some(signal) = signal else {
        let closed =
            close_lead(conn, lead.tenant_id, lead.id, Closure::Replied, traceparent).await?;
        return Ok(RecordedReply {
            message,
            outcome: ReplyOutcome::Replied {
                workflows_completed: closed.workflows_completed,
            },
            events: closed.events,
        });
    };
    let (workflows_paused, resume_at) = pause_followups(conn, lead, now).await?;
    tracing::info!(%signal, workflows_paused, "automatic answer: follow-ups paused");
    Ok(RecordedReply {
        message,
        outcome: ReplyOutcome::Paused {
            signal,
            workflows_paused,
            resume_at,
        },
        events: Vec::new(),
    })
}

/// Moves each following-up workflow's next follow-up to at least
/// [`PAUSE_BUSINESS_DAYS`] business days from now (the lead's calendar),
/// under the workflow row lock. The step advances (same state, transition
/// [`PAUSE_EVENT`]), so a `followup_due` already queued for the old step
/// sends nothing; the scheduler queues the next one when its time comes.
async fn pause_followups(
    conn: &mut AsyncPgConnection,
    lead: &Lead,
    now: DateTime<Utc>,
) -> Result<(usize, Option<DateTime<Utc>>), MemoryError> {
    let following_up = WorkflowState::FollowingUp.as_str();
    let listed = workflows::for_lead(conn, lead.tenant_id, lead.id).await?;
    if !listed.iter().any(|w| w.current_state == following_up) {
        return Ok((0, None));
    }
    // The calendar follow-ups are timed in: the lead's, else the tenant's.
    let tz = match crate::context::lead_timezone(&lead.metadata) {
        Some(tz) => tz,
        None => {
            let tenant = memory::repo::tenants::find(conn, lead.tenant_id).await?;
            tenant.timezone.parse().unwrap_or(Tz::UTC)
        }
    };
    let earliest = pause_until(now, tz);
    let (mut paused, mut latest) = (0, None);
    for w in listed {
        let wf = workflows::lock(conn, w.id).await?;
        if wf.current_state != following_up {
            continue;
        }
        let resume = wf.next_followup_at.map_or(earliest, |t| t.max(earliest));
        workflows::advance(
            conn,
            &wf,
            StepResult {
                to_state: wf.current_state.clone(),
                event: Some(PAUSE_EVENT.into()),
                followup_attempts: wf.followup_attempts,
                next_followup_at: Some(resume),
                last_output: wf.last_output.clone(),
                replied_at: wf.replied_at,
            },
        )
        .await?;
        paused += 1;
        latest = latest.max(Some(resume));
    }
    Ok((paused, latest))
}

/// `now` plus [`PAUSE_BUSINESS_DAYS`] business days, same local time.
pub fn pause_until(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    rules_engine::add_days(now, PAUSE_BUSINESS_DAYS, true, tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    #[test]
    fn a_pause_counts_business_days_in_the_tenants_calendar() {
        // Thursday 2026-11-26 15:00 in Chicago: three business days later
        // is Tuesday, same local hour.
        let tz: Tz = "America/Chicago".parse().unwrap();
        let thu = tz.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).unwrap();
        let until = pause_until(thu.with_timezone(&Utc), tz).with_timezone(&tz);
        assert_eq!(until.weekday(), Weekday::Tue);
        assert_eq!(until.date_naive().day(), 1);
        assert_eq!(until.format("%H:%M").to_string(), "15:00");
    }
}
