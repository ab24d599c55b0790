//! The job table and the loop that fires each job on its cron schedule.

use crate::lock::run_exclusive;
use chrono::Utc;
use core_engine::{Config, Infra};
use cron::Schedule;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobName {
    /// Relays outbox rows nothing published (Redis was down) and deletes
    /// rows published more than a day ago.
    OutboxSweep,
    /// Folds the metric deltas the triggers wrote into the per-tenant
    /// counters, so GET /metrics reads a handful of rows.
    MetricsFold,
}

impl JobName {
    fn as_str(self) -> &'static str {
        match self {
            JobName::OutboxSweep => "outbox_sweep",
            JobName::MetricsFold => "metrics_fold",
        }
    }

    /// Advisory-lock key: one per job, shared by every replica.
    fn lock_key(self) -> i64 {
        match self {
            JobName::OutboxSweep => 7_301_001,
            JobName::MetricsFold => 7_301_002,
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
    Ok(vec![
        Job {
            name: JobName::OutboxSweep,
            schedule: Schedule::from_str(&s.outbox_sweep)?,
        },
        Job {
            name: JobName::MetricsFold,
            schedule: Schedule::from_str(&s.metrics_fold)?,
        },
    ])
}

/// Runs one job under its lock; `None` when another replica is running it.
async fn run_one(job: &Job, infra: &Infra) -> anyhow::Result<Option<usize>> {
    run_exclusive(&infra.pool, job.name.lock_key(), async {
        match job.name {
            JobName::OutboxSweep => {
                let relayed = infra
                    .orchestrator
                    .relay()
                    .sweep(Duration::from_secs(1), 1000)
                    .await?;
                let mut conn = infra.pool.get().await?;
                let day_ago = Utc::now() - chrono::Duration::days(1);
                memory::repo::outbox::purge_published(&mut conn, day_ago, 5000).await?;
                Ok(relayed)
            }
            JobName::MetricsFold => {
                let mut conn = infra.pool.get().await?;
                let mut folded = 0;
                // Bounded batches keep each transaction short; a backlog
                // after a burst is gone within a few runs.
                for _ in 0..METRICS_FOLD_BATCHES {
                    let n =
                        memory::repo::metrics::fold_deltas(&mut conn, METRICS_FOLD_BATCH).await?;
                    folded += n;
                    if n < METRICS_FOLD_BATCH as usize {
                        break;
                    }
                }
                Ok(folded)
            }
        }
    })
    .await
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
            match run_one(job, &infra).instrument(span).await {
                Ok(Some(n)) if n > 0 => tracing::info!(count = n, "job ran"),
                Ok(Some(_)) => tracing::debug!("job ran; nothing to do"),
                Ok(None) => tracing::debug!("another replica holds the job lock"),
                Err(e) => tracing::warn!(error = %e, "job failed"),
            }
        }
    }
}
