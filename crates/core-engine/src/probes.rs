//! GET /health (liveness: touches nothing), GET /ready (database, Redis,
//! migrations and, for the worker, a fresh consumer heartbeat) and, on the
//! worker's and scheduler's probe servers, GET /metrics (Prometheus text;
//! the gateway serves the same at the admin-protected /internal/metrics).

use actix_web::{HttpResponse, web};
use event_bus::{EventBus, Heartbeat};
use memory::DbPool;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The worker is not ready when its consumer loop has not turned for this long.
const MAX_HEARTBEAT_AGE: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Probes {
    pub service: &'static str,
    /// Extra fields of the /health body (the gateway adds paymentMode).
    pub health_extra: Map<String, Value>,
    pub pool: DbPool,
    pub redis: deadpool_redis::Pool,
    pub heartbeat: Option<Heartbeat>,
    /// Read at each scrape for the stream lag gauges.
    pub bus: EventBus,
}

impl Probes {
    pub async fn check(&self) -> (bool, Map<String, Value>) {
        let mut checks = Map::new();
        let (db, migrations) = match self.pool.get().await {
            Ok(mut conn) => match memory::pending_migrations(&mut conn).await {
                Ok(p) if p.is_empty() => ("ok".to_owned(), "ok".to_owned()),
                Ok(p) => ("ok".to_owned(), format!("{} pending", p.len())),
                Err(e) => ("ok".to_owned(), format!("error: {e}")),
            },
            Err(e) => (format!("error: {e}"), "unknown".to_owned()),
        };
        checks.insert("database".into(), db.into());
        checks.insert("migrations".into(), migrations.into());
        let redis = match self.redis.get().await {
            Ok(mut c) => {
                match deadpool_redis::redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                {
                    Ok(_) => "ok".to_owned(),
                    Err(e) => format!("error: {e}"),
                }
            }
            Err(e) => format!("error: {e}"),
        };
        checks.insert("redis".into(), redis.into());
        if let Some(hb) = &self.heartbeat {
            let state = match hb.age() {
                Some(age) if age <= MAX_HEARTBEAT_AGE => "ok".to_owned(),
                Some(age) => format!("stale: last turn {} ms ago", age.as_millis()),
                None => "not started".to_owned(),
            };
            checks.insert("consumer".into(), state.into());
        }
        let ready = checks.values().all(|v| v == "ok");
        (ready, checks)
    }
}

pub async fn health(p: web::Data<Probes>) -> HttpResponse {
    let mut body = Map::new();
    body.insert("status".into(), "ok".into());
    body.insert("service".into(), p.service.into());
    body.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    body.extend(p.health_extra.clone());
    HttpResponse::Ok().json(body)
}

pub async fn ready(p: web::Data<Probes>) -> HttpResponse {
    let (ready, checks) = p.check().await;
    if ready {
        HttpResponse::Ok().json(json!({"status": "ready", "checks": checks}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "not_ready", "checks": checks}))
    }
}

/// This process's metrics plus the stream backlog, in the Prometheus
/// text format. A Redis that does not answer only drops the gauges.
pub async fn render_metrics(bus: &EventBus) -> String {
    let gauges = match bus.backlog().await {
        Ok(b) => b.gauges(),
        Err(e) => {
            tracing::warn!(error = %e, "stream backlog unavailable for metrics");
            Vec::new()
        }
    };
    shared_types::metrics::render(&gauges)
}

pub async fn metrics(p: web::Data<Probes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(PROMETHEUS_TEXT)
        .body(render_metrics(&p.bus).await)
}

/// The content type of the Prometheus text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Mounts /health and /ready.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

/// A running probe server: the port it bound and its handles.
pub struct ProbeServer {
    pub port: u16,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ProbeServer {
    /// Serves /health, /ready and /metrics on one thread (the worker and
    /// the scheduler have no other HTTP traffic). The probe port is meant
    /// to stay internal: /metrics there takes no credentials.
    pub fn start(probes: Probes, host: &str, port: u16) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind((host, port))?;
        let port = listener.local_addr()?.port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(web::Data::new(probes.clone()))
                .configure(configure)
                .route("/metrics", web::get().to(metrics))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        Ok(Self {
            port,
            handle,
            task: tokio::spawn(server),
        })
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}
