//! What the scheduler looks for: workflows whose follow-up is due,
//! workflows stuck without an event, meetings that want their reminder.
//! Each query reads one page in a stable order; callers pass the last row's
//! key to get the next page, so rows already handled (waiting for the
//! worker) never hide the ones behind them.

use crate::MemoryError;
use crate::schema::{meetings, workflows};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The part of a workflow a scheduler job needs to name its next event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflows)]
pub struct WorkflowRef {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub current_state: String,
    pub step: i32,
    pub next_followup_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Where a page ends: the last row's sort time and id.
pub type PageKey = (DateTime<Utc>, Uuid);

/// Workflows in `following_up` whose next follow-up (or escalation
/// deadline) is at or before `now`, earliest first. Reads the partial index
/// `workflows_followup_due_idx`.
pub async fn due_followups(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    after: Option<PageKey>,
    limit: i64,
) -> Result<Vec<WorkflowRef>, MemoryError> {
    let mut q = workflows::table
        .filter(workflows::current_state.eq("following_up"))
        .filter(workflows::next_followup_at.le(now))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(workflows::next_followup_at.ge(at)).filter(
            workflows::next_followup_at
                .gt(at)
                .or(workflows::next_followup_at.eq(at).and(workflows::id.gt(id))),
        );
    }
    Ok(
        q.order((workflows::next_followup_at.asc(), workflows::id.asc()))
            .limit(limit)
            .select(WorkflowRef::as_select())
            .load(conn)
            .await?,
    )
}

/// Workflows that should be moving but were not touched since `before`:
/// in `lead_received` or `qualified`, or in `following_up` with no
/// follow-up time (a failed booking falls back to following up at once).
/// Oldest first; reads `workflows_active_idx`.
pub async fn stale_workflows(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    after: Option<PageKey>,
    limit: i64,
) -> Result<Vec<WorkflowRef>, MemoryError> {
    let mut q = workflows::table
        .filter(
            workflows::current_state
                .eq_any(["lead_received", "qualified"])
                .or(workflows::current_state
                    .eq("following_up")
                    .and(workflows::next_followup_at.is_null())),
        )
        .filter(workflows::updated_at.lt(before))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(workflows::updated_at.ge(at)).filter(
            workflows::updated_at
                .gt(at)
                .or(workflows::updated_at.eq(at).and(workflows::id.gt(id))),
        );
    }
    Ok(q.order((workflows::updated_at.asc(), workflows::id.asc()))
        .limit(limit)
        .select(WorkflowRef::as_select())
        .load(conn)
        .await?)
}

/// A confirmed meeting whose reminder has not been sent.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRef {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub starts_at: DateTime<Utc>,
}

/// Confirmed meetings without a reminder that start in (`from`, `to`],
/// soonest first. Reads the partial index `meetings_reminder_due_idx`.
pub async fn due_reminders(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<PageKey>,
    limit: i64,
) -> Result<Vec<MeetingRef>, MemoryError> {
    let mut q = meetings::table
        .filter(meetings::status.eq("confirmed"))
        .filter(meetings::reminder_sent_at.is_null())
        .filter(meetings::starts_at.gt(from))
        .filter(meetings::starts_at.le(to))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(meetings::starts_at.ge(at)).filter(
            meetings::starts_at
                .gt(at)
                .or(meetings::starts_at.eq(at).and(meetings::id.gt(id))),
        );
    }
    Ok(q.order((meetings::starts_at.asc(), meetings::id.asc()))
        .limit(limit)
        .select(MeetingRef::as_select())
        .load(conn)
        .await?)
}
