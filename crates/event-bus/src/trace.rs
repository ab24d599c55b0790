//! W3C trace-context propagation through the event envelope.

use opentelemetry::propagation::{Extractor, Injector};
use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct Carrier(HashMap<String, String>);

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

impl Extractor for Carrier {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// The traceparent of the current span, when tracing exports anywhere.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut carrier = Carrier(HashMap::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    carrier.0.remove("traceparent")
}

/// Makes `span` a child of the trace the event was published in.
pub fn set_parent_from(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(tp) = traceparent {
        let carrier = Carrier(HashMap::from([("traceparent".to_owned(), tp.to_owned())]));
        let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        // Fails only when no OpenTelemetry layer is installed: then there
        // is no trace to join and nothing to do.
        let _ = span.set_parent(cx);
    }
}
