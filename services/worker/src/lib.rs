//! The worker: consumes workflow events from Redis Streams, runs the
//! orchestrator for each, relays the outbox, and serves /health and /ready.

mod drain;

pub use drain::drain_until_idle;

use core_engine::probes::{ProbeServer, Probes};
use core_engine::{Config, Infra};
use event_bus::{ConsumerOptions, Handler, HandlerError, Heartbeat, run_consumer};
use orchestrator::{Orchestrator, ProcessError};
use shared_types::DomainEvent;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs the orchestrator for each event and maps its errors to the bus's
/// retry policy.
pub struct WorkflowHandler {
    orchestrator: Orchestrator,
}

impl WorkflowHandler {
    pub fn new(orchestrator: Orchestrator) -> Self {
        Self { orchestrator }
    }
}

impl Handler for WorkflowHandler {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        self.handle_batch(std::slice::from_ref(event))
            .await
            .pop()
            .expect("one result per event")
    }

    /// One transaction for the events' workflow steps, then each event's
    /// webhook.
    async fn handle_batch(&self, events: &[DomainEvent]) -> Vec<Result<(), HandlerError>> {
        let processed = self.orchestrator.process_batch(events).await;
        let handled = events.iter().zip(processed).map(|(event, p)| async move {
            let handled = match p {
                Ok(_) => self.orchestrator.deliver_webhook(event).await,
                Err(e) => Err(e),
            };
            handled.map_err(|e| match e {
                ProcessError::Transient(e) => HandlerError::Transient(e),
                ProcessError::Permanent(e) => HandlerError::Permanent(e),
            })
        });
        futures::future::join_all(handled).await
    }
}

/// A started worker. Dropping it does not stop it: call `shutdown`.
pub struct Worker {
    stop: watch::Sender<bool>,
    consumer: JoinHandle<()>,
    relay: JoinHandle<()>,
    server: ProbeServer,
}

impl Worker {
    /// Binds the probe server and starts the consumer and relay loops.
    pub async fn start(config: &Config, infra: Infra) -> anyhow::Result<Self> {
        let heartbeat = Heartbeat::default();
        let (stop, stop_rx) = watch::channel(false);
        let consumer_name = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        let mut opts = ConsumerOptions::new(consumer_name);
        opts.concurrency = config.worker_concurrency;

        let bus = infra.bus.clone();
        let handler = Arc::new(WorkflowHandler {
            orchestrator: infra.orchestrator.clone(),
        });
        let hb = heartbeat.clone();
        let rx = stop_rx.clone();
        let consumer = tokio::spawn(async move {
            // Redis may still be starting: keep trying to create the group.
            while let Err(e) = bus.ensure_group().await {
                tracing::warn!(error = %e, "consumer group not ready; retrying");
                if *rx.borrow() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            run_consumer(bus, handler, opts, hb, rx).await;
        });
        let relay = tokio::spawn(relay_loop(infra.orchestrator.clone(), stop_rx));

        let probes = Probes {
            service: "worker",
            health_extra: Default::default(),
            pool: infra.pool.clone(),
            redis: infra.redis.clone(),
            heartbeat: Some(heartbeat),
            bus: infra.bus.clone(),
        };
        let server = ProbeServer::start(probes, &config.host, config.port)?;
        tracing::info!(port = server.port, "worker started");
        Ok(Self {
            stop,
            consumer,
            relay,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// Stops reading, finishes in-flight events (acking them), then stops
    /// the probe server.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.consumer.await;
        let _ = self.relay.await;
        self.server.stop().await;
        tracing::info!("worker stopped");
    }
}

/// Relays outbox rows the fast path could not publish (Redis was down, a
/// process died between commit and publish).
async fn relay_loop(orchestrator: Orchestrator, mut stop: watch::Receiver<bool>) {
    let relay = orchestrator.relay().clone();
    loop {
        match relay.sweep(Duration::from_secs(1), 500).await {
            Ok(n) if n > 0 => tracing::info!(count = n, "outbox events relayed"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "outbox sweep failed; will retry"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into())
}
