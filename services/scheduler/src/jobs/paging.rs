//! What the publishing jobs share: they read due rows a page at a time and
//! put each row's event in the outbox unless its id is already there, then
//! publish what was new. The outbox sweep relays anything the fast publish
//! could not.

use anyhow::Context;
use core_engine::Infra;
use memory::repo::scheduling::PageKey;
use memory::{AsyncPgConnection, DbConn, MemoryError};
use shared_types::DomainEvent;

/// Rows per page.
pub(super) const PAGE: i64 = 500;
/// Pages per run: one run handles at most 10,000 rows, the next run the
/// rest, so a backlog never holds the job lock for long.
pub(super) const MAX_PAGES: usize = 20;

/// Enqueues the events the outbox does not hold yet (one transaction) and
/// publishes them; returns how many were new.
pub(super) async fn enqueue_and_publish(
    infra: &Infra,
    conn: &mut AsyncPgConnection,
    events: Vec<DomainEvent>,
) -> anyhow::Result<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    let added = orchestrator::enqueue_new(conn, events).await?;
    if let Err(e) = infra.orchestrator.relay().publish_now(&added).await {
        tracing::warn!(error = %e, "fast publish failed; the outbox sweep will relay it");
    }
    Ok(added.len())
}

/// A job's run: reads due rows a page at a time (`read` returns the rows
/// after a keyset cursor, `key` is a row's cursor) and publishes each row's
/// `event`. Returns how many events were new.
pub(super) async fn publish_due<R, F>(
    infra: &Infra,
    what: &str,
    read: impl Fn(DbConn, Option<PageKey>) -> F,
    key: impl Fn(&R) -> PageKey,
    event: impl Fn(&R) -> Option<DomainEvent>,
) -> anyhow::Result<usize>
where
    F: Future<Output = (DbConn, Result<Vec<R>, MemoryError>)>,
{
    let mut conn = infra.pool.get().await.context("database connection")?;
    let mut after = None;
    let mut published = 0;
    for _ in 0..MAX_PAGES {
        // The connection is lent to `read` by value: a closure borrowing it
        // would make this future's Send depend on a higher-ranked lifetime.
        let (back, rows) = read(conn, after).await;
        conn = back;
        let rows = rows.with_context(|| format!("reading {what}"))?;
        let Some(last) = rows.last() else { break };
        after = Some(key(last));
        let events = rows.iter().filter_map(&event).collect();
        published += enqueue_and_publish(infra, &mut conn, events)
            .await
            .with_context(|| format!("publishing {what}"))?;
        if rows.len() < PAGE as usize {
            break;
        }
    }
    Ok(published)
}
