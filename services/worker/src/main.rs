use core_engine::{Config, Infra, Service, shutdown_signal, telemetry};

fn main() -> anyhow::Result<()> {
    let config = Config::from_env_or_exit(Service::Worker);
    let _telemetry = telemetry::init(&config);
    // One thread: the worker waits on I/O almost all the time, and a single
    // thread spares the cross-thread wake-ups a work-stealing pool pays for
    // every database and Redis reply.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let infra = Infra::build(&config)?;
            let worker = worker::Worker::start(&config, infra).await?;
            shutdown_signal().await;
            tracing::info!("shutdown requested; draining in-flight events");
            worker.shutdown().await;
            Ok(())
        })
}
