//! Outbox relay: moves committed events from PostgreSQL to Redis Streams.
//! The fast path publishes right after a commit; the sweep catches whatever
//! the fast path could not publish (Redis down, process killed).

use event_bus::EventBus;
use memory::{DbPool, MemoryError, OutboxRow};
use shared_types::DomainEvent;
use uuid::Uuid;

#[derive(Clone)]
pub struct OutboxRelay {
    pool: DbPool,
    bus: EventBus,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] MemoryError),
    #[error(transparent)]
    Bus(#[from] event_bus::BusError),
}

impl OutboxRelay {
    pub fn new(pool: DbPool, bus: EventBus) -> Self {
        Self { pool, bus }
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Publishes just-committed events. A failure leaves them for the sweep,
    /// so callers log it and carry on: the lead is safe in PostgreSQL.
    pub async fn publish_now(&self, events: &[DomainEvent]) -> Result<(), RelayError> {
        for e in events {
            self.bus.publish(e).await?;
        }
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        memory::repo::outbox::mark_published(&mut conn, &ids).await?;
        Ok(())
    }

    /// Publishes up to `batch` unpublished events older than `min_age` (the
    /// fast path's window, so the two rarely publish the same event; when
    /// they do, handlers are idempotent). Returns how many went out.
    pub async fn sweep(
        &self,
        min_age: std::time::Duration,
        batch: i64,
    ) -> Result<usize, RelayError> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(min_age).unwrap_or_default();
        use diesel_async::AsyncConnection;
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let bus = self.bus.clone();
        conn.transaction(async move |conn| {
            let rows: Vec<OutboxRow> = memory::repo::outbox::claim_unpublished(conn, cutoff, batch).await?;
            let mut published = Vec::with_capacity(rows.len());
            for row in rows {
                match serde_json::from_value::<DomainEvent>(row.envelope) {
                    Ok(event) => {
                        bus.publish(&event).await?;
                    }
                    Err(e) => tracing::error!(outbox.id = %row.id, error = %e, "unreadable outbox row skipped"),
                }
                published.push(row.id);
            }
            memory::repo::outbox::mark_published(conn, &published).await?;
            Ok::<_, RelayError>(published.len())
        })
        .await
    }
}

impl From<diesel::result::Error> for RelayError {
    fn from(e: diesel::result::Error) -> Self {
        RelayError::Db(e.into())
    }
}
