//! `stale_recovery`: workflows that should be moving but are not.

use super::paging::{MAX_PAGES, PAGE, enqueue_and_publish};
use anyhow::Context;
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
    let mut conn = infra.pool.get().await.context("database connection")?;
    let before = now - STALE_AFTER;
    let mut after = None;
    let mut published = 0;
    for _ in 0..MAX_PAGES {
        let rows = memory::repo::scheduling::stale_workflows(&mut conn, before, after, PAGE)
            .await
            .context("reading stale workflows")?;
        let Some(last) = rows.last() else { break };
        after = Some((last.updated_at, last.id));
        let events = rows
            .iter()
            .filter_map(|wf| orchestrator::rerun_event(wf, now))
            .collect();
        published += enqueue_and_publish(infra, &mut conn, events)
            .await
            .context("re-publishing stale workflows")?;
        if rows.len() < PAGE as usize {
            break;
        }
    }
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
