use super::send::{Email, send};
use super::{StepOutput, agent_log, classify};
use crate::context::StepContext;
use crate::emails;
use crate::process::{Inner, ProcessError};
use action_layer::{
    Attachment, Calendar, CalendarEvent, ProviderCall, calendar_event_id, invite_ics,
};
use agents::{AgentError, AgentRun, SlotRequest};
use chrono::Duration;
use diesel_async::AsyncConnection;
use memory::{AsyncPgConnection, Meeting, MemoryError};
use shared_types::{AgentDecision, AgentType, MeetingSlot, SlotChoice};
use uuid::Uuid;

/// Slot conflicts tolerated before the booking gives up for this step.
const BOOKING_TRIES: usize = 5;

/// Picks a free slot, books it (the database refuses overlaps), creates the
/// calendar event and emails the lead a confirmation with an invite.
pub(super) async fn run(
    inner: &Inner,
    conn: &mut AsyncPgConnection,
    ctx: &StepContext,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    let horizon = inner.settings.booking_horizon_days;
    let until = ctx.now + Duration::days(i64::from(horizon));
    memory::repo::meetings::lock_calendar(conn, ctx.tenant.id).await?;
    let mut busy =
        memory::repo::meetings::busy_between(conn, ctx.tenant.id, ctx.now, until).await?;
    let calendar = &inner.providers.calendar;
    let calendar_id = ctx
        .tenant
        .calendar_id
        .clone()
        .unwrap_or_else(|| "primary".into());
    if matches!(calendar, Calendar::Google(_)) {
        let (result, c) = calendar.free_busy(&calendar_id, ctx.now, until).await;
        calls.extend(c);
        match result {
            Ok(periods) => busy.extend(periods),
            Err(e) => {
                let why = classify(e)?;
                return Ok(StepOutput {
                    failure: Some(format!("calendar unavailable: {why}")),
                    ..Default::default()
                });
            }
        }
    }
    let lead = ctx.lead_context()?;
    let duration = ctx.tenant.meeting_duration_minutes;
    let event_id = calendar_event_id(ctx.wf.id, ctx.wf.step);
    let mut booked: Option<(AgentRun<SlotChoice>, Meeting)> = None;
    for _ in 0..BOOKING_TRIES {
        let req = SlotRequest {
            tz: ctx.tz,
            business_hours: ctx.business_hours(),
            duration_minutes: duration.max(1) as u32,
            now: ctx.now,
            busy: busy
                .iter()
                .map(|&(starts_at, ends_at)| MeetingSlot { starts_at, ends_at })
                .collect(),
            horizon_days: horizon,
        };
        let run = match inner.providers.agents.schedule(&lead, &req).await {
            Ok(run) => run,
            Err(AgentError::NoFreeSlot) => break,
            Err(e) => return Err(ProcessError::Transient(e.to_string())),
        };
        let slot = run.output.chosen;
        let meeting = Meeting {
            id: Uuid::new_v4(),
            tenant_id: ctx.tenant.id,
            lead_id: ctx.lead.id,
            workflow_id: Some(ctx.wf.id),
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            status: "confirmed".into(),
            calendar_provider: match calendar {
                Calendar::Google(_) => "google",
                Calendar::Internal => "internal",
            }
            .into(),
            external_event_id: Some(event_id.clone()),
            reminder_sent_at: None,
            created_at: ctx.now,
        };
        // A savepoint: losing the race for a slot must not abort the step.
        let inserted: Result<Meeting, MemoryError> = conn
            .transaction(async |c| memory::repo::meetings::insert(c, &meeting).await)
            .await;
        match inserted {
            Ok(m) => {
                booked = Some((run, m));
                break;
            }
            Err(e) if e.is_overlap() => {
                tracing::info!("slot taken concurrently; trying the next one");
                busy.push((slot.starts_at, slot.ends_at));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let Some((mut run, meeting)) = booked else {
        return Ok(StepOutput {
            failure: Some("no free slot in the booking horizon".into()),
            ..Default::default()
        });
    };
    let event = CalendarEvent {
        id: event_id,
        summary: format!("Call with {}", ctx.lead.name),
        description: format!(
            "Booked by GrowthOS for lead {} <{}>. Source: {}.",
            ctx.lead.name, ctx.lead.email, ctx.lead.source
        ),
        starts_at: meeting.starts_at,
        ends_at: meeting.ends_at,
        time_zone: ctx.tz.name().to_owned(),
    };
    let (result, c) = calendar.insert_event(&calendar_id, &event).await;
    calls.extend(c);
    if let Err(e) = result {
        let why = classify(e)?;
        // The booking falls back to following up: the slot must not stay
        // taken by a meeting that is on no calendar.
        memory::repo::meetings::delete(conn, ctx.tenant.id, meeting.id).await?;
        return Ok(StepOutput {
            failure: Some(format!("calendar refused the event: {why}")),
            ..Default::default()
        });
    }
    let ics = invite_ics(
        &format!("{}@growthos", meeting.id),
        &format!("Call with {}", ctx.tenant.name),
        &format!("{} will call you at the agreed time.", ctx.sender_name()),
        ctx.reply_to()
            .as_deref()
            .unwrap_or(&inner.settings.email_from),
        &ctx.lead.email,
        meeting.starts_at,
        meeting.ends_at,
        ctx.now,
    );
    let email = Email {
        to: &ctx.lead.email,
        kind: "transactional",
        step_key: "confirmation".into(),
        rendered: emails::meeting_confirmation(
            &ctx.tenant,
            &ctx.lead,
            meeting.starts_at,
            duration,
            ctx.tz,
        ),
        attachments: vec![Attachment {
            filename: "invite.ics".into(),
            content_type: "text/calendar; method=REQUEST; charset=UTF-8".into(),
            content: ics.into_bytes(),
        }],
        reply_to: ctx.reply_to(),
        blocks: ctx.lead_blocks,
    };
    // The meeting stands even if the confirmation cannot be delivered; the
    // refusal is in the action log for the tenant to see.
    let messages = match send(inner, ctx, email, calls).await? {
        Ok(message) => vec![message],
        Err(why) => {
            tracing::warn!(reason = %why, "meeting confirmation not sent");
            Vec::new()
        }
    };
    Ok(StepOutput {
        messages,
        agent_log: Some(agent_log(ctx, AgentType::Scheduler, &mut run, true)),
        decision: Some(AgentDecision::Scheduler(run.output)),
        acted_at: Some(ctx.now),
        ..Default::default()
    })
}
