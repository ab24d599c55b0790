use core_engine::{Config, Infra, Service, shutdown_signal, telemetry};

fn main() -> anyhow::Result<()> {
    let config = Config::from_env_or_exit(Service::Scheduler);
    let _telemetry = telemetry::init(&config);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let infra = Infra::build(&config)?;
            let scheduler = scheduler::Scheduler::start(&config, infra).await?;
            shutdown_signal().await;
            scheduler.shutdown().await;
            Ok(())
        })
}
