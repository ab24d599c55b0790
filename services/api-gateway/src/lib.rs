//! The public HTTP API (API.md). Handlers validate input and record intent
//! in PostgreSQL; they never call an LLM or send an email themselves.

mod access;
mod admin;
mod api_keys;
mod auth;
mod billing;
mod dev_tools;
mod enrichment;
mod error;
mod intake_queue;
mod leads;
mod load_shed;
mod metrics;
mod middleware;
mod openapi;
mod operations;
mod passwords;
mod rate_limit;
mod request_id;
mod resend_webhook;
mod routes;
mod state;
mod tenants;
mod unsubscribe;
mod webhook_signing;

use actix_web::{App, HttpServer, web};
use core_engine::probes::Probes;
use core_engine::{Config, Infra};
use std::net::TcpListener;
use utoipa_actix_web::AppExt;

pub use error::ApiError;
pub use rate_limit::{Limit, RateLimiter, RateState};

/// Largest accepted body (API.md: 413 beyond it).
const BODY_LIMIT: usize = 64 * 1024;

/// How long an idle client connection stays open. Longer than the idle
/// timeout of the load balancers in front of a gateway (60 s by default on
/// the common ones): a server that closes first races the balancer's next
/// request on that connection, which the client sees as a 502. actix's
/// default is 5 s.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(75);

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

impl Application {
    pub fn build(config: &Config, infra: &Infra) -> anyhow::Result<Self> {
        Self::build_with_routes(config, infra, |_| {})
    }

    /// The same application with `extra` routes mounted behind the same
    /// middleware (`middleware::stack`) and absent from the OpenAPI
    /// document. Tests use it, e.g. for a route that panics.
    pub fn build_with_routes<F>(config: &Config, infra: &Infra, extra: F) -> anyhow::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let state = web::Data::new(state::AppState::new(config, infra)?);
        let mut health_extra = serde_json::Map::new();
        health_extra.insert("paymentMode".into(), config.payment_mode.as_str().into());
        let probes = web::Data::new(Probes {
            service: "api-gateway",
            health_extra,
            pool: infra.pool.clone(),
            redis: infra.redis.clone(),
            heartbeat: None,
            bus: infra.bus.clone(),
        });
        let production = config.is_production();
        let origins = config.cors_allowed_origins.clone();
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            // Routes are registered through utoipa, so a route cannot exist
            // without its OpenAPI entry.
            let (app, doc) = App::new()
                .into_utoipa_app()
                .openapi(openapi::base())
                .configure(|c| routes::configure(c, production))
                .split_for_parts();
            let app = app
                .app_data(web::Data::new(openapi::Document::from(doc)))
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
                .configure(|c| extra(c))
                .default_service(web::to(routes::not_found));
            middleware::stack(app, middleware::cors(origins.as_deref()))
        })
        .workers(2)
        .keep_alive(KEEP_ALIVE)
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
