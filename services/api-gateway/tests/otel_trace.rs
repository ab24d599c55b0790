//! One OpenTelemetry trace from POST /api/leads through Redis into the
//! worker and out to the provider: the spans the OTLP/HTTP exporter sends
//! to a local receiver share the trace id of the incoming traceparent.
//! Its own test binary: it installs the process-wide subscriber.

mod support;

use core_engine::telemetry;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use std::collections::BTreeSet;
use support::{TestApp, warm_lead};
use test_support::fakes::FakeResend;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn a_lead_its_worker_event_and_the_provider_call_share_one_trace() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let receiver = rt.block_on(async {
        let receiver = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/traces"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&receiver)
            .await;
        receiver
    });
    let (provider, guard) = telemetry::otlp_tracer(&receiver.uri(), "growthos-test").unwrap();
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(telemetry::otel_layer(&provider, "growthos-test"))
        .init();

    let provider_traceparent = rt.block_on(async {
        let resend = FakeResend::start().await;
        let app = TestApp::spawn_with(&[
            ("RESEND_API_KEY", "re_test_key"),
            ("RESEND_API_BASE", &resend.uri()),
        ])
        .await;
        let (token, _) = app.tenant("saas-followup").await;
        let r = app
            .client
            .post(app.url("/api/leads"))
            .bearer_auth(&token)
            .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
            .json(&warm_lead())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        // Delivered twice (at least once is the bus's promise): the
        // gateway's own publish goes out once more, so the event reaches the
        // worker in a batch of two, and each delivery keeps its trace.
        let created = app.published("lead_created").await.remove(0);
        app.infra.bus.publish(&created).await.unwrap();
        // The worker's handler, fed from the Redis stream.
        app.drain().await;
        assert_eq!(resend.delivered().len(), 1);
        let requests = resend.server.received_requests().await.unwrap();
        requests[0]
            .headers
            .get("traceparent")
            .map(|v| v.to_str().unwrap().to_owned())
    });
    let traceparent = provider_traceparent.expect("Resend got a traceparent header");
    assert!(
        traceparent.starts_with(&format!("00-{TRACE_ID}-")),
        "{traceparent}"
    );

    drop(guard); // flushes the batch exporter
    let bodies = rt.block_on(receiver.received_requests()).unwrap();
    assert!(!bodies.is_empty(), "the exporter sent spans");
    let trace_id = (0..16)
        .map(|i| u8::from_str_radix(&TRACE_ID[2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    let mut names = BTreeSet::new();
    for req in bodies {
        let export = ExportTraceServiceRequest::decode(req.body.as_slice()).expect("OTLP protobuf");
        for span in export
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .filter(|s| s.trace_id == trace_id)
        {
            names.insert(span.name.clone());
        }
    }
    // The gateway's root span, the worker's span for the event it read
    // from Redis, and the Resend call inside it.
    for expected in ["POST /api/leads", "event", "attempt"] {
        assert!(
            names.contains(expected),
            "no `{expected}` span in the trace: {names:?}"
        );
    }
}
