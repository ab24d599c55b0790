//! `followups_due`: the scheduler's half of the follow-up cadence.

use super::paging::{MAX_PAGES, PAGE, enqueue_and_publish};
use anyhow::Context;
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
    let mut conn = infra.pool.get().await.context("database connection")?;
    let mut after = None;
    let mut published = 0;
    for _ in 0..MAX_PAGES {
        let rows = memory::repo::scheduling::due_followups(&mut conn, now, after, PAGE)
            .await
            .context("reading due follow-ups")?;
        let Some(last) = rows.last() else { break };
        after = Some((last.next_followup_at.unwrap_or(now), last.id));
        let events = rows
            .iter()
            .filter_map(|wf| orchestrator::rerun_event(wf, now))
            .collect();
        published += enqueue_and_publish(infra, &mut conn, events)
            .await
            .context("publishing followup_due")?;
        if rows.len() < PAGE as usize {
            break;
        }
    }
    Ok(published)
}
