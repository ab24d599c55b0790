//! Outbox relay: moves committed events from PostgreSQL to Redis Streams.
//! The fast path publishes right after a commit; the sweep catches whatever
//! the fast path could not publish (Redis down, process killed). Published
//! events are then taken out of the outbox (`settle_published`).

use event_bus::EventBus;
use memory::{DbPool, MemoryError, OutboxRow};
use shared_types::DomainEvent;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

#[derive(Clone)]
pub struct OutboxRelay {
    pool: DbPool,
    bus: EventBus,
    /// Ids published by the fast path, taken out of the outbox in batches:
    /// one statement for many events instead of one commit per event. A
    /// batch lost in a crash only means the sweep publishes those events
    /// again, which handlers shrug off (they are idempotent).
    published: mpsc::UnboundedSender<Uuid>,
}

/// How long published ids wait to be settled together.
const SETTLE_BATCH_WINDOW: Duration = Duration::from_millis(10);
const SETTLE_BATCH_MAX: usize = 2000;

async fn settle_in_batches(pool: DbPool, mut ids: mpsc::UnboundedReceiver<Uuid>) {
    while let Some(first) = ids.recv().await {
        let mut batch = vec![first];
        tokio::time::sleep(SETTLE_BATCH_WINDOW).await;
        while batch.len() < SETTLE_BATCH_MAX {
            match ids.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        let settled = async {
            let mut conn = pool.get().await.map_err(MemoryError::from)?;
            memory::repo::outbox::settle_published(&mut conn, &batch).await
        };
        if let Err(e) = settled.await {
            tracing::warn!(error = %e, count = batch.len(), "could not take published events out of the outbox; the sweep will resend them");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] MemoryError),
    #[error(transparent)]
    Bus(#[from] event_bus::BusError),
}

impl OutboxRelay {
    /// Starts the background settler: call inside a tokio runtime.
    pub fn new(pool: DbPool, bus: EventBus) -> Self {
        let (published, rx) = mpsc::unbounded_channel();
        tokio::spawn(settle_in_batches(pool.clone(), rx));
        Self {
            pool,
            bus,
            published,
        }
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Publishes just-committed events. A failure leaves them for the sweep,
    /// so callers log it and carry on: the lead is safe in PostgreSQL.
    pub async fn publish_now(&self, events: &[DomainEvent]) -> Result<(), RelayError> {
        self.bus.publish_all(events).await?;
        for e in events {
            // The settler lives as long as the runtime; if it is gone the
            // sweep republishes, which is safe.
            let _ = self.published.send(e.id);
        }
        Ok(())
    }

    /// Publishes up to `batch` unpublished events older than `min_age` (the
    /// fast path's window, so the two rarely publish the same event; when
    /// they do, handlers are idempotent). Returns how many went out.
    pub async fn sweep(&self, min_age: Duration, batch: i64) -> Result<usize, RelayError> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(min_age).unwrap_or_default();
        use diesel_async::AsyncConnection;
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let bus = self.bus.clone();
        conn.transaction(async move |conn| {
            let rows: Vec<OutboxRow> = memory::repo::outbox::claim_unpublished(conn, cutoff, batch).await?;
            let published: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            let events: Vec<DomainEvent> = rows
                .into_iter()
                .filter_map(|row| match serde_json::from_value(row.envelope) {
                    Ok(event) => Some(event),
                    Err(e) => {
                        tracing::error!(outbox.id = %row.id, error = %e, "unreadable outbox row skipped");
                        None
                    }
                })
                .collect();
            // In order, in one round trip.
            bus.publish_all(&events).await?;
            memory::repo::outbox::settle_published(conn, &published).await?;
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
