use anyhow::Context;
use core_engine::{Config, Infra, Service, shutdown_signal, telemetry};
use secrecy::ExposeSecret;

const USAGE: &str = "usage: api-gateway [serve|migrate]";

// jemalloc instead of glibc's malloc, whose allocation and free paths were
// about 30 % of this service's CPU at saturation: in paired benchmark runs it
// took 8-18 % off each service's CPU per lead for 2-3 MiB more peak RSS.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if !matches!(command.as_str(), "serve" | "migrate") {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let config = Config::from_env_or_exit(Service::Gateway);
    let _telemetry = telemetry::init(&config);
    // actix runs the HTTP workers on threads of their own; this runtime only
    // carries the lead batch writer and the database and Redis connections,
    // and one thread spares the wake-ups of a work-stealing pool.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            if command == "migrate" {
                let url = config.database_url.expose_secret();
                if memory::ensure_database(url)
                    .await
                    .context("creating the database")?
                {
                    tracing::info!("database created");
                }
                let applied = memory::run_migrations(url)
                    .await
                    .context("applying migrations")?;
                tracing::info!(applied, "migrations are up to date");
                return Ok(());
            }
            let infra = Infra::build(&config)?;
            let app = api_gateway::Application::build(&config, &infra)?;
            tracing::info!(port = app.port(), "api-gateway listening");
            let handle = app.handle();
            tokio::spawn(async move {
                shutdown_signal().await;
                handle.stop(true).await;
            });
            app.run().await?;
            Ok(())
        })
}
