//! One-shot draining: every queued event, and the events they cause, run
//! through the worker's handler in this process until the outbox, the
//! stream and the retry set are all empty. Tests use it instead of a
//! running consumer loop; it also suits a maintenance run after an outage.

use crate::WorkflowHandler;
use core_engine::Infra;
use event_bus::dispatch_batch;
use std::time::Duration;

/// Drains as `consumer`; fails when work is still left after `limit`.
pub async fn drain_until_idle(
    infra: &Infra,
    consumer: &str,
    limit: Duration,
) -> anyhow::Result<()> {
    let handler = WorkflowHandler::new(infra.orchestrator.clone());
    let bus = &infra.bus;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "work left after {limit:?}"
        );
        infra
            .orchestrator
            .relay()
            .sweep(Duration::ZERO, 1000)
            .await?;
        bus.promote_due_retries(1000).await?;
        let batch = bus.read(consumer, 100, Duration::from_millis(5)).await?;
        if batch.is_empty() {
            let mut conn = infra.pool.get().await?;
            let unpublished = memory::repo::outbox::unpublished_count(&mut conn).await?;
            if bus.in_flight().await? == 0 && unpublished == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        dispatch_batch(bus, &handler, batch).await;
    }
}
