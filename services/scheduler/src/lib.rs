//! The scheduler: time-driven jobs on cron expressions. Each run holds a
//! PostgreSQL advisory lock, so several replicas never run one job at once.
//! It only publishes work; the worker acts.

mod jobs;
mod lock;

use actix_web::{App, HttpServer, web};
use core_engine::probes::{self, Probes};
use core_engine::{Config, Infra};
use std::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Scheduler {
    port: u16,
    stop: watch::Sender<bool>,
    runner: JoinHandle<()>,
    server: actix_web::dev::ServerHandle,
    server_task: JoinHandle<std::io::Result<()>>,
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
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(probes.clone()))
                .configure(probes::configure)
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        let server_task = tokio::spawn(server);
        tracing::info!(port, "scheduler started");
        Ok(Self {
            port,
            stop,
            runner,
            server: handle,
            server_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Lets a running job finish, then stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.runner.await;
        self.server.stop(true).await;
        let _ = self.server_task.await;
    }
}

pub use lock::run_exclusive;
