#![doc = include_str!("../README.md")]

pub mod config;
pub mod gateway;
mod routes;
pub mod session;
mod views;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
pub use config::AppConfig;
use gateway::Gateway;
use session::CookieNames;
use shared_types::{ProductConfig, ProductSlug};
use std::net::TcpListener;

/// What every request shares.
pub struct AppState {
    pub cfg: AppConfig,
    /// The product's configuration from `apps/<slug>/product.toml`.
    pub product: &'static ProductConfig,
    pub gateway: Gateway,
    pub cookies: CookieNames,
}

/// One product app bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(cfg: AppConfig) -> anyhow::Result<Self> {
        let product = rules_engine::Catalog::embedded().get(cfg.product);
        let state = web::Data::new(AppState {
            gateway: Gateway::new(&cfg.gateway_url, product.slug.as_str())?,
            cookies: CookieNames::new(product.slug.as_str(), cfg.secure_cookies()),
            product,
            cfg: cfg.clone(),
        });
        let listener = TcpListener::bind((cfg.host.as_str(), cfg.port))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(32 * 1024))
                .configure(routes::configure)
        })
        .workers(2)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The whole `main` of a product binary: configuration from the
/// environment, logs, then the server until SIGINT/SIGTERM.
pub fn run_main(product: ProductSlug) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cfg = AppConfig::from_env(product)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let public = cfg.public_url.clone();
            let app = Application::build(cfg)?;
            tracing::info!(port = app.port(), url = %public, product = %product, "listening");
            app.run().await?;
            Ok(())
        })
}
