//! The scheduler: time-driven jobs on cron expressions. Each run holds a
//! PostgreSQL advisory lock, so several replicas never run one job at once.
//! It only publishes work; the worker acts.

pub mod jobs;
mod lock;

use core_engine::probes::{ProbeServer, Probes};
use core_engine::{Config, Infra};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Scheduler {
    stop: watch::Sender<bool>,
    runner: JoinHandle<()>,
    server: ProbeServer,
}

impl Scheduler {
    pub async fn start(config: &Config, infra: Infra) -> anyhow::Result<Self> {
        let jobs = jobs::all(config)?;
        let (stop, stop_rx) = watch::channel(false);
        let runner = tokio::spawn(jobs::run(jobs, infra.clone(), stop_rx));
        let probes = Probes {
            service: "scheduler",
            health_extra: Default::default(),
            pool: infra.pool.clone(),
            redis: infra.redis.clone(),
            heartbeat: None,
            bus: infra.bus.clone(),
        };
        let server = ProbeServer::start(probes, &config.host, config.port)?;
        tracing::info!(port = server.port, "scheduler started");
        Ok(Self {
            stop,
            runner,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// Lets a running job finish, then stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.runner.await;
        self.server.stop().await;
    }
}

pub use jobs::{JobName, followups_due, insights, meeting_reminders, run_job, stale_recovery};
pub use lock::run_exclusive;
