//! Prometheus metrics: GET /internal/metrics on the gateway (admin only)
//! and GET /metrics on a probe server (worker, scheduler).

mod support;

use core_engine::probes::{ProbeServer, Probes};
use support::{TestApp, random_secret, warm_lead};
use test_support::fakes::FakeResend;

/// Sum of the samples of `metric` whose labels contain every `labels` pair.
fn sum(text: &str, metric: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let name = series.split('{').next().unwrap_or_default();
            name == metric
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v.parse::<f64>().expect("a number"))
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_processed_lead_shows_in_the_gateway_and_probe_metrics() {
    let resend = FakeResend::start().await;
    let admin = random_secret();
    let app = TestApp::spawn_with(&[
        ("ADMIN_SECRET", &admin),
        ("RESEND_API_KEY", "re_test_key"),
        ("RESEND_API_BASE", &resend.uri()),
    ])
    .await;
    let (token, _) = app.tenant("saas-followup").await;
    app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    assert_eq!(resend.delivered().len(), 1);

    let anonymous = app
        .client
        .get(app.url("/internal/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let r = app
        .client
        .get(app.url("/internal/metrics"))
        .header("x-admin-secret", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let created = sum(
        &text,
        "growthos_http_requests_total",
        &[
            ("route", "/api/leads"),
            ("method", "POST"),
            ("status", "201"),
        ],
    );
    assert!(created >= 1.0, "POST /api/leads 201 counted:\n{text}");
    assert!(sum(&text, "growthos_http_requests_total", &[("status", "401")]) >= 1.0);
    assert!(sum(&text, "growthos_events_published_total", &[]) >= 1.0);
    assert!(sum(&text, "growthos_events_consumed_total", &[]) >= 1.0);
    let emails = sum(
        &text,
        "growthos_provider_call_duration_seconds_count",
        &[
            ("provider", "resend"),
            ("action", "email"),
            ("outcome", "ok"),
        ],
    );
    assert!(emails >= 1.0, "the Resend call timed:\n{text}");
    assert!(
        sum(&text, "growthos_agent_duration_seconds_count", &[]) >= 1.0,
        "an agent timed:\n{text}"
    );
    assert!(text.contains("# TYPE growthos_events_dead_lettered_total counter"));
    assert!(text.contains("# TYPE growthos_events_retried_total counter"));
    assert_eq!(sum(&text, "growthos_stream_pending", &[]), 0.0);
    assert!(text.contains("\ngrowthos_stream_lag "), "{text}");

    // The worker's and scheduler's probe servers serve the same registry.
    let probes = Probes {
        service: "worker",
        health_extra: Default::default(),
        pool: app.infra.pool.clone(),
        redis: app.infra.redis.clone(),
        heartbeat: None,
        bus: app.infra.bus.clone(),
    };
    let server = ProbeServer::start(probes, "127.0.0.1", 0).unwrap();
    let text = app
        .client
        .get(format!("http://127.0.0.1:{}/metrics", server.port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sum(&text, "growthos_events_consumed_total", &[]) >= 1.0,
        "{text}"
    );
    server.stop().await;
}
