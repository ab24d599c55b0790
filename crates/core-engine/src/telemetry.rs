//! Logs (pretty or JSON lines), OpenTelemetry traces over OTLP when an
//! endpoint is configured, and Sentry when a DSN is. Call `init` in a plain
//! `fn main` before the tokio runtime starts (Sentry's requirement).
//!
//! Each piece is built by its own public function (`fmt_layer`,
//! `otlp_tracer` + `otel_layer`, `sentry_options` + `sentry_layer`), so tests
//! install exactly what production installs, with their own writer or
//! endpoint.

use crate::config::{Config, LogFormat};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes traces and Sentry events when dropped at the end of `main`.
pub struct TelemetryGuard {
    _sentry: Option<sentry::ClientInitGuard>,
    _tracer: Option<TracerGuard>,
}

/// Shuts the tracer provider down (exporting what is buffered) when dropped.
pub struct TracerGuard(Option<SdkTracerProvider>);

impl Drop for TracerGuard {
    fn drop(&mut self) {
        if let Some(t) = self.0.take()
            && let Err(e) = t.shutdown()
        {
            eprintln!("trace exporter shutdown failed: {e}");
        }
    }
}

pub fn init(config: &Config) -> TelemetryGuard {
    let sentry = config
        .sentry_dsn
        .as_ref()
        .map(|dsn| sentry::init(sentry_options(dsn.expose_secret(), config.is_production())));
    let tracer = config.otel_endpoint.as_ref().and_then(|endpoint| {
        otlp_tracer(endpoint, &config.otel_service_name)
            .map_err(|e| eprintln!("OTLP exporter not started: {e}"))
            .ok()
    });
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = tracer
        .as_ref()
        .map(|(p, _)| otel_layer(p, &config.otel_service_name));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer(config.log_format, std::io::stdout))
        .with(otel)
        .with(sentry.as_ref().map(|_| sentry_layer()))
        .try_init();
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    TelemetryGuard {
        _sentry: sentry,
        _tracer: tracer.map(|(_, guard)| guard),
    }
}

// ------------------------------------------------------------------ logs

/// The log layer writing to `writer`: compact text, or one JSON object per
/// line carrying the fields of every span the event is in (`request.id`,
/// `tenant.id`, `lead.id`, `workflow.id`... flattened, innermost wins).
pub fn fmt_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLine)
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(writer)
            .boxed(),
    }
}

/// `{"timestamp","level","target","span", <span fields>..., "message", <event fields>...}`.
struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        if let Some(scope) = ctx.event_scope() {
            let mut innermost = None;
            for span in scope.from_root() {
                innermost = Some(span.name());
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields)
                {
                    line.extend(map);
                }
            }
            if let Some(name) = innermost {
                line.insert("span".into(), name.into());
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        writeln!(writer, "{}", Value::Object(line))
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
}

// ---------------------------------------------------------------- traces

/// An OTLP/HTTP (protobuf) exporter to `{endpoint}/v1/traces` behind a
/// batch processor (its own thread: no runtime needed), and the W3C
/// trace-context propagator that the gateway, the event envelope and the
/// provider clients use. Drop the guard to flush.
pub fn otlp_tracer(
    endpoint: &str,
    service_name: &str,
) -> anyhow::Result<(SdkTracerProvider, TracerGuard)> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok((provider.clone(), TracerGuard(Some(provider))))
}

/// The layer turning tracing spans into OpenTelemetry spans of `provider`.
pub fn otel_layer<S>(
    provider: &SdkTracerProvider,
    service_name: &str,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer(service_name.to_owned()))
}

// ---------------------------------------------------------------- Sentry

/// Sentry without personal data: no default PII, and `scrub` removes what
/// an integration could still attach (request headers, cookies, bodies,
/// query strings, user).
pub fn sentry_options(dsn: &str, production: bool) -> sentry::ClientOptions {
    sentry::ClientOptions::new()
        .dsn(dsn)
        .maybe_release(sentry::release_name!())
        .environment(if production {
            "production"
        } else {
            "development"
        })
        .send_default_pii(false)
        .before_send(|event| Some(scrub(event)))
}

/// `ERROR` events become Sentry events (5xx answers, failed jobs, events
/// that could not be settled); panics are the panic integration's.
pub fn sentry_layer<S>() -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    sentry::integrations::tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR)
}

fn scrub(mut event: sentry::protocol::Event<'static>) -> sentry::protocol::Event<'static> {
    if let Some(req) = event.request.as_mut() {
        req.headers.clear();
        req.cookies = None;
        req.data = None;
        req.query_string = None;
        req.env.clear();
    }
    event.user = None;
    event.server_name = None;
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_every_span_id() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::registry().with(fmt_layer(LogFormat::Json, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!(
                "HTTP request",
                request.id = "req-1",
                tenant.id = tracing::field::Empty
            );
            let _r = request.enter();
            request.record("tenant.id", "tenant-1");
            let step = tracing::info_span!("step", lead.id = "lead-1", workflow.id = "wf-1");
            let _s = step.enter();
            tracing::info!(count = 2, "step done");
            tracing::warn!("second line");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        assert_eq!(first["message"], "step done");
        assert_eq!(first["count"], 2);
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["span"], "step");
        assert_eq!(first["request.id"], "req-1");
        assert_eq!(first["tenant.id"], "tenant-1");
        assert_eq!(first["lead.id"], "lead-1");
        assert_eq!(first["workflow.id"], "wf-1");
        assert!(first["timestamp"].is_string());
        assert_eq!(lines[1]["level"], "WARN");
    }

    #[test]
    fn scrub_drops_request_data_and_user() {
        let mut event = sentry::protocol::Event::new();
        event.request = Some(sentry::protocol::Request {
            headers: [("Authorization".to_owned(), "Bearer secret".to_owned())].into(),
            data: Some("password=hunter2".into()),
            ..Default::default()
        });
        event.user = Some(sentry::User {
            email: Some("a@b.c".into()),
            ..Default::default()
        });
        let out = scrub(event);
        let text = serde_json::to_string(&out).unwrap();
        assert!(!text.contains("secret") && !text.contains("hunter2") && !text.contains("a@b.c"));
    }
}
