//! Resend client against a local fake speaking Resend's wire format.

use std::time::Duration;

use action_layer::{ActionError, Attachment, EmailMessage, Mailer, ResendConfig};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn mailer(server: &MockServer, max_attempts: u32, timeout: Duration) -> Mailer {
    Mailer::resend(ResendConfig {
        api_key: SecretString::from("re_fake_key"),
        api_base: server.uri(),
        timeout,
        max_attempts,
    })
}

fn message() -> EmailMessage {
    EmailMessage {
        to: "lead@example.net".to_owned(),
        from: "Joe's Plumbing <hello@mail.joesplumbing.example>".to_owned(),
        reply_to: Some("owner@joesplumbing.example".to_owned()),
        subject: "Your quote for the water heater".to_owned(),
        html: "<p>Hi Sam, here is your quote.</p>".to_owned(),
        text: "Hi Sam, here is your quote.".to_owned(),
        headers: vec![
            (
                "List-Unsubscribe".to_owned(),
                "<https://app.example/u/tok123>".to_owned(),
            ),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
        attachments: vec![Attachment {
            filename: "invite.ics".to_owned(),
            content_type: "text/calendar; method=REQUEST".to_owned(),
            content: b"BEGIN:VCALENDAR".to_vec(),
        }],
        tags: vec![
            ("lead_id".to_owned(), "7781".to_owned()),
            ("step".to_owned(), "follow up #2".to_owned()),
        ],
        idempotency_key: "followup/wf-7781/step-2".to_owned(),
    }
}

fn resend_error(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({ "statusCode": status, "name": name, "message": message }))
}

fn rate_limited() -> ResponseTemplate {
    resend_error(
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
    )
    .insert_header("retry-after", "1")
    .insert_header("ratelimit-limit", "2")
    .insert_header("ratelimit-remaining", "0")
    .insert_header("ratelimit-reset", "1")
}

#[tokio::test]
async fn rate_limited_twice_then_sent_once_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(rate_limited())
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .and(header("authorization", "Bearer re_fake_key"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c" })),
        )
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    // Two waits of `retry-after: 1`.
    assert!(started.elapsed() >= Duration::from_millis(1900));
    let outcome = result.expect("the third attempt succeeds");
    assert_eq!(outcome.provider, "resend");
    assert_eq!(
        outcome.provider_message_id.as_deref(),
        Some("4ef9a417-02e9-4d39-ad75-9611e0fcc33c")
    );
    assert!(!outcome.already_sent);
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls.iter().map(|c| c.status_code).collect::<Vec<_>>(),
        vec![Some(429), Some(429), Some(200)]
    );
    assert_eq!(calls.iter().filter(|c| c.success).count(), 1);
    for call in &calls {
        assert_eq!((call.action_type, call.provider), ("email", "resend"));
        assert_eq!(
            call.idempotency_key.as_deref(),
            Some("followup/wf-7781/step-2")
        );
        // Summaries, not bodies.
        assert!(!call.request.contains("here is your quote"));
    }

    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 3);
    for request in &requests {
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok());
        assert_eq!(key, Some("followup/wf-7781/step-2"));
        let agent = request
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(agent.starts_with("growthos/"), "user agent {agent:?}");
    }
    let body: Value = serde_json::from_slice(&requests[2].body).expect("json body");
    assert_eq!(body["to"], json!(["lead@example.net"]));
    assert_eq!(body["reply_to"], "owner@joesplumbing.example");
    assert_eq!(
        body["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(body["attachments"][0]["content"], "QkVHSU46VkNBTEVOREFS");
    assert_eq!(
        body["attachments"][0]["content_type"],
        "text/calendar; method=REQUEST"
    );
    assert_eq!(
        body["tags"][1],
        json!({ "name": "step", "value": "follow_up__2" })
    );
}

#[tokio::test]
async fn validation_error_is_permanent_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(resend_error(
            422,
            "missing_required_field",
            "Missing `to` field.",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    match result {
        Err(ActionError::Permanent(message)) => {
            assert!(message.contains("missing_required_field"), "{message}");
            assert!(message.contains("Missing `to` field."), "{message}");
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(calls.len(), 1);
    assert!(!calls[0].success);
    assert_eq!(calls[0].status_code, Some(422));
}

#[tokio::test]
async fn key_already_used_within_24_hours_counts_as_already_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(resend_error(
            409,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload.",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    let outcome = result.expect("already sent is not an error");
    assert!(outcome.already_sent);
    assert_eq!(outcome.provider_message_id, None);
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn concurrent_request_with_the_same_key_is_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(resend_error(
            409,
            "concurrent_idempotent_requests",
            "In progress.",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    assert!(
        matches!(result, Err(ActionError::Transient(_))),
        "{result:?}"
    );
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn daily_quota_is_transient_without_in_call_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(
            resend_error(429, "daily_quota_exceeded", "Daily quota reached.")
                .insert_header("retry-after", "0"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    assert!(
        matches!(result, Err(ActionError::Transient(_))),
        "{result:?}"
    );
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn server_errors_exhaust_attempts_then_are_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(resend_error(
            500,
            "internal_server_error",
            "Unexpected error.",
        ))
        .expect(3)
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 3, Duration::from_secs(5))
        .send(&message())
        .await;

    match result {
        Err(ActionError::Transient(message)) => {
            assert!(message.contains("3 attempts"), "{message}")
        }
        other => panic!("expected Transient, got {other:?}"),
    }
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|c| !c.success && c.status_code == Some(500))
    );
}

#[tokio::test]
async fn timeouts_are_retried_then_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .mount(&server)
        .await;

    let (result, calls) = mailer(&server, 2, Duration::from_millis(100))
        .send(&message())
        .await;

    assert!(
        matches!(result, Err(ActionError::Transient(_))),
        "{result:?}"
    );
    assert_eq!(calls.len(), 2);
    assert!(
        calls
            .iter()
            .all(|c| c.status_code.is_none() && c.error.as_deref() == Some("timeout"))
    );
}
