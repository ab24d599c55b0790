//! The tenant's webhook: every lead event as signed JSON, retried on a
//! transient failure, counted in GET /metrics.

mod support;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use support::{TestApp, warm_lead};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers 503 to the first `fail_first` requests, then 200; keeps them all.
#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Request>>>,
    fail_first: usize,
}

impl Respond for Receiver {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut seen = self.seen.lock().unwrap();
        seen.push(req.clone());
        if seen.len() <= self.fail_first {
            ResponseTemplate::new(503)
        } else {
            ResponseTemplate::new(200)
        }
    }
}

fn verify(req: &Request, secret: &str) -> bool {
    let header = req
        .headers
        .get("x-growthos-signature")
        .unwrap()
        .to_str()
        .unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let (t, v1) = (
        t.strip_prefix("t=").unwrap(),
        v1.strip_prefix("v1=").unwrap(),
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&req.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_events_reach_the_tenants_webhook_signed_and_retried() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-followup").await;
    let receiver = Receiver {
        seen: Arc::default(),
        fail_first: 1,
    };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/growthos"))
        .respond_with(receiver.clone())
        .mount(&server)
        .await;
    let r = app
        .client
        .put(app.url("/api/tenant/settings"))
        .bearer_auth(&token)
        .json(&json!({"webhookUrl": format!("{}/hooks/growthos", server.uri())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let me: Value = app
        .client
        .get(app.url("/api/tenant"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = me["tenant"]["webhookSigningSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 32);

    let lead = app.new_lead(&token, &warm_lead()).await;
    app.drain().await;

    let seen = receiver.seen.lock().unwrap().clone();
    let bodies: Vec<Value> = seen
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(
        seen.iter().all(|r| verify(r, &secret)),
        "every delivery is signed with the tenant's secret"
    );
    assert!(!seen.iter().any(|r| verify(r, "another secret")));
    // Each event reaches the receiver, lead_created again after its 503.
    // Delivery is at least once (a relay may publish an event twice), so
    // the receiver deduplicates on the event id, as this test does.
    let mut distinct: Vec<(String, String)> = Vec::new();
    for b in &bodies {
        let key = (
            b["id"].as_str().unwrap().to_owned(),
            b["type"].as_str().unwrap().to_owned(),
        );
        if !distinct.contains(&key) {
            distinct.push(key);
        }
    }
    let types: Vec<&str> = distinct.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(types, ["lead_created", "followup_sent"], "{bodies:#?}");
    assert_eq!(bodies[0]["type"], "lead_created");
    assert_eq!(
        bodies[1]["id"], bodies[0]["id"],
        "the failed delivery was retried"
    );
    assert_eq!(
        seen[0]
            .headers
            .get("x-growthos-event-id")
            .unwrap()
            .to_str()
            .unwrap(),
        bodies[0]["id"].as_str().unwrap()
    );
    let followup = bodies
        .iter()
        .find(|b| b["type"] == "followup_sent")
        .unwrap();
    assert_eq!(followup["data"]["lead"]["id"], lead.as_str());
    assert_eq!(followup["data"]["lead"]["status"], "contacted");

    // One follow-up was sent, once, whatever the webhook retry did.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'")
            .await,
        1
    );
    let m: Value = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        m["webhooksFired"],
        seen.len() - 1,
        "successful deliveries only, not the 503"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_without_a_webhook_gets_no_calls_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-leadqualifier").await;
    app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM action_logs WHERE action_type = 'webhook'")
            .await,
        0
    );
}
