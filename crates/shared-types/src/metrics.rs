//! Process-wide Prometheus metrics: counters and latency histograms, and
//! their text exposition format (version 0.0.4).
//!
//! Hand-rolled rather than the `prometheus` or `metrics` crates: a handful
//! of counters and two histograms need ~150 lines of std, no extra crates
//! to compile, and every crate (event bus, agents, action layer, gateway)
//! can record into it because it sits in the crate they all depend on.
//! The registry is process-wide like any Prometheus client's default
//! registry: a scrape reports the process, not one application value.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Every metric this process may report, with its type and help text.
const METRICS: &[(&str, &str, &str)] = &[
    (
        "growthos_http_requests_total",
        "counter",
        "HTTP requests answered, by route pattern, method and status.",
    ),
    (
        "growthos_events_published_total",
        "counter",
        "Events published to the Redis stream, by type.",
    ),
    (
        "growthos_events_consumed_total",
        "counter",
        "Events handled and acknowledged, by type.",
    ),
    (
        "growthos_events_retried_total",
        "counter",
        "Event deliveries that failed and were scheduled for a retry, by type.",
    ),
    (
        "growthos_events_dead_lettered_total",
        "counter",
        "Events moved to the dead-letter stream, by type.",
    ),
    (
        "growthos_scheduler_job_runs_total",
        "counter",
        "Scheduler job runs, by job and outcome (ok, failed, locked).",
    ),
    (
        "growthos_stale_workflows_republished_total",
        "counter",
        "Events of stuck workflows re-published by stale recovery.",
    ),
    (
        "growthos_agent_duration_seconds",
        "histogram",
        "Agent decision latency, by agent and implementation (llm, heuristic).",
    ),
    (
        "growthos_provider_call_duration_seconds",
        "histogram",
        "Provider call latency, by provider, action and outcome (ok, error).",
    ),
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// Adds one to the counter `name` with these labels.
pub fn inc(name: &'static str, pairs: &[(&'static str, &str)]) {
    add(name, pairs, 1);
}

/// Adds `n` to the counter `name` with these labels.
pub fn add(name: &'static str, pairs: &[(&'static str, &str)], n: u64) {
    let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
    *r.counters.entry((name, labels(pairs))).or_default() += n;
}

/// Records one observation (in seconds) in the histogram `name`.
pub fn observe(name: &'static str, pairs: &[(&'static str, &str)], seconds: f64) {
    let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
    let h = r.histograms.entry((name, labels(pairs))).or_default();
    for (i, bound) in BUCKETS.iter().enumerate() {
        if seconds <= *bound {
            h.buckets[i] += 1;
        }
    }
    h.count += 1;
    h.sum += seconds;
}

/// A gauge read at scrape time (e.g. stream lag), rendered after the
/// registry's metrics.
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// The whole registry plus `gauges` in the Prometheus text format.
pub fn render(gauges: &[Gauge]) -> String {
    let r = registry().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::new();
    for (name, kind, help) in METRICS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for ((_, l), v) in r
            .counters
            .range((*name, Vec::new())..)
            .take_while(|((n, _), _)| n == name)
        {
            let _ = writeln!(out, "{name}{} {v}", fmt_labels(l, None));
        }
        for ((_, l), h) in r
            .histograms
            .range((*name, Vec::new())..)
            .take_while(|((n, _), _)| n == name)
        {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let le = bound.to_string();
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    fmt_labels(l, Some(&le)),
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                fmt_labels(l, Some("+Inf")),
                h.count
            );
            let _ = writeln!(out, "{name}_sum{} {}", fmt_labels(l, None), h.sum);
            let _ = writeln!(out, "{name}_count{} {}", fmt_labels(l, None), h.count);
        }
    }
    let mut last = "";
    for g in gauges {
        if g.name != last {
            let _ = writeln!(out, "# HELP {} {}\n# TYPE {} gauge", g.name, g.help, g.name);
            last = g.name;
        }
        let _ = writeln!(out, "{}{} {}", g.name, fmt_labels(&g.labels, None), g.value);
    }
    out
}

fn fmt_labels(l: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = l
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        inc("growthos_events_published_total", &[("type", "unit\"test")]);
        inc("growthos_events_published_total", &[("type", "unit\"test")]);
        observe(
            "growthos_agent_duration_seconds",
            &[("agent", "unit_test"), ("implementation", "heuristic")],
            0.02,
        );
        let text = render(&[Gauge {
            name: "growthos_stream_lag",
            help: "lag",
            labels: vec![("stream", "s".into())],
            value: 3.0,
        }]);
        assert!(
            text.contains("growthos_events_published_total{type=\"unit\\\"test\"} 2"),
            "{text}"
        );
        assert!(text.contains(
            "growthos_agent_duration_seconds_bucket{agent=\"unit_test\",implementation=\"heuristic\",le=\"0.025\"} 1"
        ));
        assert!(text.contains(
            "growthos_agent_duration_seconds_bucket{agent=\"unit_test\",implementation=\"heuristic\",le=\"0.01\"} 0"
        ));
        assert!(
            text.contains("# TYPE growthos_stream_lag gauge\ngrowthos_stream_lag{stream=\"s\"} 3")
        );
    }
}
