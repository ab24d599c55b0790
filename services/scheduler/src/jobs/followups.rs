//! `followups_due`: the scheduler's half of the follow-up cadence.

use super::paging::{PAGE, publish_due};
use chrono::{DateTime, Utc};
use core_engine::Infra;

/// Publishes `followup_due` for every workflow in `following_up` whose
/// `next_followup_at` (a follow-up, or the escalation deadline after the
/// last one) is at or before `now`. The event carries the workflow's step
/// and an id derived from (workflow, step), so it is published once; the
/// worker sends the follow-up, or escalates, and sets the next time. A lead
/// who replied in between has a completed workflow at a later step: the
/// worker skips the event and nothing is sent. Returns how many events
/// were published.
#[tracing::instrument(skip_all)]
pub async fn followups_due(infra: &Infra, now: DateTime<Utc>) -> anyhow::Result<usize> {
    publish_due(
        infra,
        "due follow-ups",
        |mut c, after| async move {
            let rows = memory::repo::scheduling::due_followups(&mut c, now, after, PAGE).await;
            (c, rows)
        },
        |wf| (wf.next_followup_at.unwrap_or(now), wf.id),
        |wf| orchestrator::rerun_event(wf, now),
    )
    .await
}
