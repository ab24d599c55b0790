//! `meeting_reminders`: one reminder per meeting, about an hour ahead.

use super::paging::{MAX_PAGES, PAGE, enqueue_and_publish};
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use core_engine::Infra;

/// How long before a meeting its reminder goes out.
pub const REMINDER_LEAD: Duration = Duration::hours(1);

/// Publishes `meeting_reminder_due` for every confirmed meeting without a
/// reminder that starts within the next [`REMINDER_LEAD`], once per meeting
/// (the event id derives from the meeting): the job runs every minute, the
/// lead gets one email. The worker sends it and sets `reminder_sent_at`.
/// Returns how many events were published.
#[tracing::instrument(skip_all)]
pub async fn meeting_reminders(infra: &Infra, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut conn = infra.pool.get().await.context("database connection")?;
    let until = now + REMINDER_LEAD;
    let mut after = None;
    let mut published = 0;
    for _ in 0..MAX_PAGES {
        let rows = memory::repo::scheduling::due_reminders(&mut conn, now, until, after, PAGE)
            .await
            .context("reading meetings due a reminder")?;
        let Some(last) = rows.last() else { break };
        after = Some((last.starts_at, last.id));
        let events = rows
            .iter()
            .map(|m| orchestrator::meeting_reminder_event(m, now))
            .collect();
        published += enqueue_and_publish(infra, &mut conn, events)
            .await
            .context("publishing meeting reminders")?;
        if rows.len() < PAGE as usize {
            break;
        }
    }
    Ok(published)
}
