//! `meeting_reminders`: one reminder per meeting, about an hour ahead.

use super::paging::{PAGE, publish_due};
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
    let until = now + REMINDER_LEAD;
    publish_due(
        infra,
        "meetings due a reminder",
        |mut c, after| async move {
            let rows =
                memory::repo::scheduling::due_reminders(&mut c, now, until, after, PAGE).await;
            (c, rows)
        },
        |m| (m.starts_at, m.id),
        |m| Some(orchestrator::meeting_reminder_event(m, now)),
    )
    .await
}
