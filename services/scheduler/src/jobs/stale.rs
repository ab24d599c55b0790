//! `stale_recovery`: workflows that should be moving but are not.

use super::paging::{PAGE, publish_due};
use chrono::{DateTime, Duration, Utc};
use core_engine::Infra;

/// How long a workflow may sit in a step that should run at once
/// (`lead_received`, `qualified`, or `following_up` without a follow-up
/// time) before its event is presumed lost. A step normally runs within a
/// second; retries with backoff of a failing provider stay well under ten
/// minutes, so this rarely duplicates an event that is only late (and a
/// duplicate is harmless: the worker runs each step once).
pub const STALE_AFTER: Duration = Duration::minutes(10);

/// Re-publishes the event of every workflow stuck in such a step for
/// longer than [`STALE_AFTER`] (e.g. Redis lost its data after the event
/// was relayed), once per (workflow, step). Events never relayed at all
/// are the outbox sweep's. Returns how many events were published.
#[tracing::instrument(skip_all)]
pub async fn stale_recovery(infra: &Infra, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let before = now - STALE_AFTER;
    let published = publish_due(
        infra,
        "stale workflows",
        |mut c, after| async move {
            let rows = memory::repo::scheduling::stale_workflows(&mut c, before, after, PAGE).await;
            (c, rows)
        },
        |wf| (wf.updated_at, wf.id),
        |wf| orchestrator::rerun_event(wf, now),
    )
    .await?;
    if published > 0 {
        shared_types::metrics::add(
            "growthos_stale_workflows_republished_total",
            &[],
            published as u64,
        );
        tracing::warn!(count = published, "stale workflows re-published");
    }
    Ok(published)
}
