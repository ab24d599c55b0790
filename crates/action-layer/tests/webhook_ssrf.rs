//! The SSRF guard and signed webhook delivery.

use std::net::SocketAddr;
use std::time::Duration;

use action_layer::{ActionError, WebhookConfig, WebhookSender, check_public_url};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &[u8] = b"whsec_tenant_test_secret";

fn sender(allow_loopback: bool) -> WebhookSender {
    WebhookSender::new(WebhookConfig {
        timeout: Duration::from_secs(2),
        allow_loopback,
    })
}

#[tokio::test]
async fn internal_destinations_are_blocked() {
    for url in [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook", // 127.0.0.1 as one decimal number
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://100.64.0.1/",
        "ftp://93.184.216.34/file",
        "file:///etc/passwd",
        "http://user:pw@93.184.216.34/",
    ] {
        let result = check_public_url(url, false).await;
        assert!(
            matches!(result, Err(ActionError::Blocked(_))),
            "{url}: {result:?}"
        );
    }
}

#[tokio::test]
async fn allow_loopback_still_blocks_private_and_metadata() {
    for url in [
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://192.168.0.10/",
    ] {
        let result = check_public_url(url, true).await;
        assert!(
            matches!(result, Err(ActionError::Blocked(_))),
            "{url}: {result:?}"
        );
    }
}

#[tokio::test]
async fn public_literal_is_accepted_without_connecting() {
    let addrs = check_public_url("https://93.184.216.34/hooks/lead", false).await;
    let expected: SocketAddr = "93.184.216.34:443".parse().expect("socket address");
    assert_eq!(addrs, Ok(vec![expected]));
}

fn verify_signature(header: &str, body: &[u8]) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signature = Some(value),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == signature
}

#[tokio::test]
async fn delivery_carries_a_verifiable_signature_and_event_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/lead"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let body = json!({ "type": "meeting_scheduled", "lead_id": "7781" });
    let url = format!("{}/hooks/lead?token=receiver-secret", server.uri());

    let (result, call) = sender(true)
        .deliver(&url, SECRET, &body, "evt-wf-7781-3")
        .await;

    assert_eq!(result, Ok(204));
    assert!(call.success);
    assert_eq!((call.action_type, call.provider), ("webhook", "webhook"));
    assert_eq!(call.idempotency_key.as_deref(), Some("evt-wf-7781-3"));
    assert!(!call.request.contains("receiver-secret"));

    let requests = server.received_requests().await.expect("recording is on");
    let request = &requests[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert!(verify_signature(
        header("x-growthos-signature"),
        &request.body
    ));
    assert_eq!(header("x-growthos-event-id"), "evt-wf-7781-3");
    assert_eq!(header("content-type"), "application/json");
    let received: Value = serde_json::from_slice(&request.body).expect("json body");
    assert_eq!(received, body);
}

#[tokio::test]
async fn delivery_by_host_name_connects_to_the_vetted_address() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let port = server.address().port();
    let url = format!("http://localhost:{port}/hook");

    let (result, _) = sender(true)
        .deliver(&url, SECRET, &json!({}), "evt-1")
        .await;

    assert_eq!(result, Ok(200));
}

#[tokio::test]
async fn loopback_delivery_is_blocked_without_the_dev_flag() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let url = format!("{}/hook", server.uri());

    let (result, call) = sender(false)
        .deliver(&url, SECRET, &json!({}), "evt-1")
        .await;

    assert!(matches!(result, Err(ActionError::Blocked(_))), "{result:?}");
    assert!(!call.success);
    assert_eq!(call.status_code, None);
}

#[tokio::test]
async fn receiver_errors_map_to_transient_and_permanent() {
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    let webhooks = sender(true);

    let (busy, call) = webhooks
        .deliver(&format!("{}/busy", server.uri()), SECRET, &json!({}), "e")
        .await;
    let (gone, _) = webhooks
        .deliver(&format!("{}/gone", server.uri()), SECRET, &json!({}), "e")
        .await;

    assert!(matches!(busy, Err(ActionError::Transient(_))), "{busy:?}");
    assert_eq!(call.status_code, Some(503));
    assert!(matches!(gone, Err(ActionError::Permanent(_))), "{gone:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/hook"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", "http://169.254.169.254/"),
        )
        .mount(&server)
        .await;

    let (result, call) = sender(true)
        .deliver(&format!("{}/hook", server.uri()), SECRET, &json!({}), "e")
        .await;

    assert!(
        matches!(result, Err(ActionError::Permanent(_))),
        "{result:?}"
    );
    assert_eq!(call.status_code, Some(307));
}

#[tokio::test]
async fn slow_receivers_time_out_as_transient() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .mount(&server)
        .await;
    let webhooks = WebhookSender::new(WebhookConfig {
        timeout: Duration::from_millis(100),
        allow_loopback: true,
    });

    let (result, _) = webhooks
        .deliver(&format!("{}/slow", server.uri()), SECRET, &json!({}), "e")
        .await;

    assert!(
        matches!(result, Err(ActionError::Transient(_))),
        "{result:?}"
    );
}
