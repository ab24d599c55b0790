//! The consumer loop: read, hand the events read together to the handler
//! as a batch on its own task (bounded concurrency), then ack, retry later
//! or dead-letter each by its outcome.

use crate::bus::{Delivery, EventBus};
use crate::trace::set_parent_from;
use shared_types::DomainEvent;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth another delivery later (a provider or the database hiccuped).
    #[error("transient: {0}")]
    Transient(String),
    /// Will fail the same way every time: dead-letter it now.
    #[error("permanent: {0}")]
    Permanent(String),
}

pub trait Handler: Send + Sync + 'static {
    fn handle(&self, event: &DomainEvent) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Handles events read together; one result per event, in order. By
    /// default each on its own, side by side; a handler that can share work
    /// between them (one transaction for all) overrides it.
    fn handle_batch(
        &self,
        events: &[DomainEvent],
    ) -> impl Future<Output = Vec<Result<(), HandlerError>>> + Send {
        futures::future::join_all(events.iter().map(|e| self.handle(e)))
    }
}

/// Unix milliseconds of the consumer loop's last turn, for readiness.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    pub fn beat(&self) {
        self.0
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Time since the last beat; `None` before the first.
    pub fn age(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(
                (chrono::Utc::now().timestamp_millis() - ms).max(0) as u64,
            )),
        }
    }
}

/// How often acknowledged entries are trimmed from the stream.
const TRIM_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    pub consumer: String,
    /// Events in flight at most.
    pub concurrency: usize,
    /// Events handed to the handler together at most. Batches form only
    /// when events wait: a quiet stream hands them over one by one.
    pub batch_size: usize,
    /// Longest a read blocks; also bounds heartbeat age while idle.
    pub block: Duration,
    /// How often due retries are promoted and dead consumers' work reclaimed.
    pub maintenance_every: Duration,
    /// How long shutdown waits for in-flight handlers.
    pub drain_timeout: Duration,
}

impl ConsumerOptions {
    pub fn new(consumer: impl Into<String>) -> Self {
        Self {
            consumer: consumer.into(),
            // Two full batches in flight: one commits while the next runs.
            // A batch of 64 events (a lead brings its notifications along)
            // shares one transaction's fixed costs among about twenty leads.
            concurrency: 128,
            batch_size: 64,
            // Below redis-rs's default 500 ms response timeout, so an idle
            // blocking read returns empty instead of timing out.
            block: Duration::from_millis(250),
            maintenance_every: Duration::from_millis(250),
            drain_timeout: Duration::from_secs(25),
        }
    }
}

/// Runs until `shutdown` turns true, then stops reading and drains the
/// handlers already running (their messages are acked as usual).
pub async fn run_consumer<H: Handler>(
    bus: EventBus,
    handler: Arc<H>,
    opts: ConsumerOptions,
    heartbeat: Heartbeat,
    mut shutdown: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(opts.concurrency));
    let mut last_maintenance = Instant::now() - opts.maintenance_every;
    let mut last_trim = Instant::now();
    while !*shutdown.borrow() {
        heartbeat.beat();
        if last_maintenance.elapsed() >= opts.maintenance_every {
            last_maintenance = Instant::now();
            maintenance(&bus, &opts.consumer).await;
            if last_trim.elapsed() >= TRIM_EVERY {
                last_trim = Instant::now();
                if let Err(e) = bus.trim_acknowledged().await {
                    tracing::warn!(error = %e, "stream trim failed");
                }
            }
        }
        let free = permits.available_permits();
        if free == 0 {
            tokio::select! {
                _ = shutdown.changed() => {}
                p = permits.clone().acquire_owned() => drop(p),
            }
            continue;
        }
        let read = tokio::select! {
            _ = shutdown.changed() => break,
            r = bus.read(&opts.consumer, free, opts.block) => r,
        };
        match read {
            Ok(mut read) => {
                while !read.is_empty() {
                    let batch: Vec<Delivery> = read
                        .drain(..read.len().min(opts.batch_size.max(1)))
                        .collect();
                    let permit = permits
                        .clone()
                        .acquire_many_owned(batch.len() as u32)
                        .await
                        .expect("semaphore open");
                    let (bus, handler) = (bus.clone(), handler.clone());
                    tokio::spawn(async move {
                        dispatch_batch(&bus, handler.as_ref(), batch).await;
                        drop(permit);
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "event read failed; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    tracing::info!("consumer draining in-flight events");
    let all = opts.concurrency as u32;
    if tokio::time::timeout(opts.drain_timeout, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("drain timed out; unfinished events will be redelivered");
    }
}

async fn maintenance(bus: &EventBus, consumer: &str) {
    if let Err(e) = bus.promote_due_retries(1000).await {
        tracing::warn!(error = %e, "promoting retries failed");
    }
    match bus.reclaim(consumer, 100).await {
        Ok(orphans) => {
            for d in orphans {
                tracing::warn!(event.id = %d.event.id, "reclaimed an event a dead consumer left");
                // Counted as a failed delivery, so an event that kills its
                // worker every time ends in the dead-letter stream.
                if let Err(e) = bus.retry_later(&d, "consumer stopped before acking").await {
                    tracing::warn!(error = %e, "re-queueing reclaimed event failed");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "reclaim failed"),
    }
}

/// The span of one event's handling, in the trace the event was published in.
fn event_span(d: &Delivery) -> tracing::Span {
    let span = tracing::info_span!(
        "event",
        event.id = %d.event.id,
        event.type = %d.event.event_type,
        event.attempt = d.event.attempt,
        tenant.id = %d.event.tenant_id,
    );
    set_parent_from(&span, d.event.traceparent.as_deref());
    span
}

/// Hands deliveries read together to the handler and settles each by its
/// outcome: the handled ones are acked in one call, the others retried
/// later or dead-lettered. Each delivery has its `event` span in its own
/// trace, whatever batch it came in; a batch's shared work runs under an
/// `events` span (the handler's per-event spans join the events' traces).
pub async fn dispatch_batch<H: Handler>(bus: &EventBus, handler: &H, batch: Vec<Delivery>) {
    let spans: Vec<tracing::Span> = batch.iter().map(event_span).collect();
    let shared = match spans.as_slice() {
        [one] => one.clone(),
        _ => tracing::info_span!("events", count = batch.len()),
    };
    // The handler borrows the events as one slice; the deliveries are put
    // back together afterwards to settle them, so nothing is copied.
    let (entry_ids, events): (Vec<String>, Vec<DomainEvent>) =
        batch.into_iter().map(|d| (d.entry_id, d.event)).unzip();
    let outcomes = handler
        .handle_batch(&events)
        .instrument(shared.clone())
        .await;
    let batch: Vec<Delivery> = entry_ids
        .into_iter()
        .zip(events)
        .map(|(entry_id, event)| Delivery { entry_id, event })
        .collect();
    let mut handled = Vec::with_capacity(batch.len());
    for ((d, outcome), span) in batch.iter().zip(outcomes).zip(spans) {
        let settled = match outcome {
            Ok(()) => {
                handled.push(d);
                continue;
            }
            Err(HandlerError::Transient(why)) => {
                async {
                    tracing::warn!(error = %why, "event failed; will retry");
                    bus.retry_later(d, &why).await.map(drop)
                }
                .instrument(span)
                .await
            }
            Err(HandlerError::Permanent(why)) => bus.dead_letter(d, &why).instrument(span).await,
        };
        if let Err(e) = settled {
            // The entry stays pending and is reclaimed later; handlers are
            // idempotent, so the second run changes nothing.
            tracing::error!(error = %e, event.id = %d.event.id, "could not settle event");
        }
    }
    if let Err(e) = bus.ack_all(&handled).instrument(shared).await {
        tracing::error!(error = %e, count = handled.len(), "could not ack events");
    }
}
