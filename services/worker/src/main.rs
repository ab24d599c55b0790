use core_engine::{Config, Infra, Service, shutdown_signal, telemetry};

// jemalloc instead of glibc's malloc, whose allocation and free paths were
// about 30 % of this service's CPU at saturation: in paired benchmark runs it
// took 8-18 % off each service's CPU per lead for 2-3 MiB more peak RSS.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
