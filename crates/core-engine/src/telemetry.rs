//! Logs (pretty or JSON lines), OpenTelemetry traces over OTLP when an
//! endpoint is configured, and Sentry when a DSN is. Call `init` in a plain
//! `fn main` before the tokio runtime starts (Sentry's requirement).

use crate::config::{Config, LogFormat};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use secrecy::ExposeSecret;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes traces and Sentry events when dropped at the end of `main`.
pub struct TelemetryGuard {
    _sentry: Option<sentry::ClientInitGuard>,
    tracer: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(t) = self.tracer.take()
            && let Err(e) = t.shutdown()
        {
            eprintln!("trace exporter shutdown failed: {e}");
        }
    }
}

pub fn init(config: &Config) -> TelemetryGuard {
    let sentry = config.sentry_dsn.as_ref().map(|dsn| {
        sentry::init(
            sentry::ClientOptions::new()
                .dsn(dsn.expose_secret())
                .maybe_release(sentry::release_name!())
                .environment(if config.is_production() {
                    "production"
                } else {
                    "development"
                }),
        )
    });
    let tracer = config.otel_endpoint.as_ref().and_then(|endpoint| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .build()
            .map_err(|e| eprintln!("OTLP exporter not started: {e}"))
            .ok()?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(config.otel_service_name.clone())
            .build();
        Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build(),
        )
    });
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    let otel = tracer.as_ref().map(|p| {
        tracing_opentelemetry::layer().with_tracer(p.tracer(config.otel_service_name.clone()))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    TelemetryGuard {
        _sentry: sentry,
        tracer,
    }
}
