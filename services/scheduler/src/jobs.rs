//! The job table and the loop that fires each job on its cron schedule.
//! Every job is a plain async function of (infra, now), so tests call it
//! directly with a manual clock; the loop runs each under its own advisory
//! lock with the orchestrator's clock.

mod followups;
mod insights;
mod paging;
mod reminders;
mod stale;

pub use followups::followups_due;
pub use insights::{INSIGHT_WINDOW_DAYS, insights};
pub use reminders::{REMINDER_LEAD, meeting_reminders};
pub use stale::{STALE_AFTER, stale_recovery};

use crate::lock::run_exclusive;
use chrono::{DateTime, Utc};
use core_engine::{Config, Infra};
use cron::Schedule;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobName {
    /// Relays outbox rows nothing published (Redis was down) and deletes
    /// the once-only events kept since they were published, after a day.
    OutboxSweep,
    /// Folds the metric deltas the triggers wrote into the per-tenant
    /// counters, so GET /metrics reads a handful of rows.
    MetricsFold,
    /// Publishes `followup_due` for workflows whose follow-up time came.
    FollowupsDue,
    /// Publishes one `meeting_reminder_due` per meeting, an hour ahead.
    MeetingReminders,
    /// Re-publishes the event of workflows stuck in a step.
    StaleRecovery,
    /// Upserts the per-tenant, per-day pattern insights.
    Insights,
}

impl JobName {
    pub fn as_str(self) -> &'static str {
        match self {
            JobName::OutboxSweep => "outbox_sweep",
            JobName::MetricsFold => "metrics_fold",
            JobName::FollowupsDue => "followups_due",
            JobName::MeetingReminders => "meeting_reminders",
            JobName::StaleRecovery => "stale_recovery",
            JobName::Insights => "insights",
        }
    }

    /// Advisory-lock key: one per job, shared by every replica.
    pub fn lock_key(self) -> i64 {
        match self {
            JobName::OutboxSweep => 7_301_001,
            JobName::MetricsFold => 7_301_002,
            JobName::FollowupsDue => 7_301_003,
            JobName::MeetingReminders => 7_301_004,
            JobName::StaleRecovery => 7_301_005,
            JobName::Insights => 7_301_006,
        }
    }
}

const METRICS_FOLD_BATCH: i64 = 10_000;
const METRICS_FOLD_BATCHES: usize = 20;

pub struct Job {
    name: JobName,
    schedule: Schedule,
}

pub fn all(config: &Config) -> anyhow::Result<Vec<Job>> {
    let s = &config.schedules;
    [
        (JobName::OutboxSweep, &s.outbox_sweep),
        (JobName::MetricsFold, &s.metrics_fold),
        (JobName::FollowupsDue, &s.followups),
        (JobName::MeetingReminders, &s.reminders),
        (JobName::StaleRecovery, &s.stale_recovery),
        (JobName::Insights, &s.insights),
    ]
    .into_iter()
    .map(|(name, cron)| {
        Ok(Job {
            name,
            schedule: Schedule::from_str(cron)?,
        })
    })
    .collect()
}

/// Runs one job under its advisory lock at `now`; `None` when another
/// replica holds the lock. `Some(n)`: how many things the run did.
pub async fn run_job(
    name: JobName,
    infra: &Infra,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<usize>> {
    // Boxed: the jobs' futures nest deeply enough to overflow the compiler's
    // layout query depth in release builds.
    let work = Box::pin(run_unlocked(name, infra, now));
    run_exclusive(&infra.pool, name.lock_key(), work).await
}

async fn run_unlocked(name: JobName, infra: &Infra, now: DateTime<Utc>) -> anyhow::Result<usize> {
    match name {
        JobName::OutboxSweep => {
            let relayed = infra
                .orchestrator
                .relay()
                .sweep(Duration::from_secs(1), 1000)
                .await?;
            let mut conn = infra.pool.get().await?;
            let day_ago = now - chrono::Duration::days(1);
            memory::repo::outbox::purge_published(&mut conn, day_ago, 5000).await?;
            // Housekeeping rides along: rows whose purpose has expired.
            memory::repo::housekeeping::purge_idempotency_keys(&mut conn, day_ago, 5000).await?;
            let week_ago = now - chrono::Duration::days(7);
            memory::repo::housekeeping::purge_resend_events(&mut conn, week_ago, 5000).await?;
            Ok(relayed)
        }
        JobName::MetricsFold => {
            let mut conn = infra.pool.get().await?;
            let mut folded = 0;
            // Bounded batches keep each transaction short; a backlog
            // after a burst is gone within a few runs.
            for _ in 0..METRICS_FOLD_BATCHES {
                let n = memory::repo::metrics::fold_deltas(&mut conn, METRICS_FOLD_BATCH).await?;
                folded += n;
                if n < METRICS_FOLD_BATCH as usize {
                    break;
                }
            }
            Ok(folded)
        }
        JobName::FollowupsDue => followups_due(infra, now).await,
        JobName::MeetingReminders => meeting_reminders(infra, now).await,
        JobName::StaleRecovery => stale_recovery(infra, now).await,
        JobName::Insights => insights(infra, now).await,
    }
}

pub async fn run(jobs: Vec<Job>, infra: Infra, mut stop: watch::Receiver<bool>) {
    loop {
        let now = Utc::now();
        let next = jobs
            .iter()
            .filter_map(|j| j.schedule.after(&now).next().map(|t| (t, j)))
            .min_by_key(|(t, _)| *t);
        let Some((at, _)) = next else { return };
        let wait = (at - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        for job in jobs
            .iter()
            .filter(|j| j.schedule.after(&now).next() == Some(at))
        {
            let span = tracing::info_span!("job", job.name = job.name.as_str());
            let job_now = infra.orchestrator.clock().now();
            let result = run_job(job.name, &infra, job_now)
                .instrument(span.clone())
                .await;
            span.in_scope(|| report(job.name, &result));
        }
    }
}

/// Logs and counts one run. A failure is an `error!` event, which the
/// Sentry layer (when SENTRY_DSN is set) turns into a Sentry event.
pub fn report(name: JobName, result: &anyhow::Result<Option<usize>>) {
    let outcome = match result {
        Ok(Some(n)) if *n > 0 => {
            tracing::info!(count = n, "job ran");
            "ok"
        }
        Ok(Some(_)) => {
            tracing::debug!("job ran; nothing to do");
            "ok"
        }
        Ok(None) => {
            tracing::debug!("another replica holds the job lock");
            "locked"
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "job failed");
            "failed"
        }
    };
    shared_types::metrics::inc(
        "growthos_scheduler_job_runs_total",
        &[("job", name.as_str()), ("outcome", outcome)],
    );
}
