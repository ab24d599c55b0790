//! The public HTTP API (API.md). Handlers validate input and record intent
//! in PostgreSQL; they never call an LLM or send an email themselves.

mod auth;
mod dev_tools;
mod error;
mod leads;
mod request_id;
mod routes;
mod state;

use actix_cors::Cors;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use core_engine::probes::{self, Probes};
use core_engine::{Config, Infra};
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

pub use error::ApiError;

/// Largest accepted body (API.md: 413 beyond it).
const BODY_LIMIT: usize = 64 * 1024;

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

impl Application {
    pub fn build(config: &Config, infra: &Infra) -> anyhow::Result<Self> {
        let state = web::Data::new(state::AppState::new(config, infra));
        let mut health_extra = serde_json::Map::new();
        health_extra.insert("paymentMode".into(), config.payment_mode.as_str().into());
        let probes = web::Data::new(Probes {
            service: "api-gateway",
            health_extra,
            pool: infra.pool.clone(),
            redis: infra.redis.clone(),
            heartbeat: None,
        });
        let production = config.is_production();
        let origins = config.cors_allowed_origins.clone();
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            let cors = match &origins {
                Some(list) => list
                    .iter()
                    .fold(Cors::default(), |c, o| c.allowed_origin(o)),
                None => Cors::default().allow_any_origin(),
            }
            .allow_any_method()
            .allow_any_header()
            .expose_headers(["x-request-id"])
            .max_age(3600);
            App::new()
                .app_data(state.clone())
                .app_data(probes.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(BODY_LIMIT)
                        .error_handler(ApiError::from_json),
                )
                .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::invalid(e.to_string()).into()),
                )
                .wrap(cors)
                .wrap(TracingLogger::<request_id::RequestIdSpan>::new())
                .wrap(from_fn(request_id::request_id))
                .configure(probes::configure)
                .configure(|c| routes::configure(c, production))
                .default_service(web::to(routes::not_found))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
