//! W3C trace context on outbound provider requests, so a provider call
//! joins the trace of the request and the event that caused it.

use opentelemetry::propagation::Injector;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct Headers(Vec<(&'static str, String)>);

impl Injector for Headers {
    fn set(&mut self, key: &str, value: String) {
        // The W3C propagator only ever sets these two.
        match key {
            "traceparent" => self.0.push(("traceparent", value)),
            "tracestate" if !value.is_empty() => self.0.push(("tracestate", value)),
            _ => {}
        }
    }
}

/// Adds `traceparent` (and `tracestate`) of the current span; nothing when
/// no trace is being recorded.
pub(crate) fn propagate(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let cx = tracing::Span::current().context();
    let mut headers = Headers(Vec::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut headers));
    headers
        .0
        .into_iter()
        .fold(req, |req, (name, value)| req.header(name, value))
}
