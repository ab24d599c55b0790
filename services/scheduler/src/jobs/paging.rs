//! What the publishing jobs share: they read due rows a page at a time and
//! put each row's event in the outbox unless its id is already there, then
//! publish what was new. The outbox sweep relays anything the fast publish
//! could not.

use core_engine::Infra;
use memory::AsyncPgConnection;
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
