//! Google Calendar client against a local fake of the OAuth token endpoint
//! (verifying the RS256 JWT-bearer assertion) and Calendar v3.

mod google_fake;

use std::time::Duration;

use action_layer::{ActionError, Calendar, GoogleCalendarConfig};
use google_fake::{
    CALENDAR_ID, EVENTS_PATH, at, calendar, event, google_error, inserted, mount_token,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn insert_gets_a_token_then_books_with_the_client_chosen_id() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let ev = event();
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .and(query_param("sendUpdates", "none"))
        .and(header("authorization", "Bearer ya29.fake-token"))
        .respond_with(inserted(&ev))
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = calendar(&server).insert_event(CALENDAR_ID, &ev).await;

    let outcome = result.expect("booked");
    assert_eq!(
        (outcome.provider, outcome.already_existed),
        ("google", false)
    );
    assert_eq!(outcome.event_id, ev.id);
    let kinds: Vec<_> = calls
        .iter()
        .map(|c| (c.action_type, c.provider, c.success))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("calendar_token", "google", true),
            ("calendar_event", "google", true)
        ]
    );
    assert!(!format!("{calls:?}").contains("ya29"));

    let requests = server.received_requests().await.expect("recording is on");
    let body: Value = serde_json::from_slice(&requests[1].body).expect("json body");
    assert_eq!(body["id"], ev.id.as_str());
    assert_eq!(
        body["start"],
        json!({ "dateTime": "2026-01-05T15:00:00Z", "timeZone": "America/New_York" })
    );
    assert!(body.get("attendees").is_none());
}

#[tokio::test]
async fn token_is_cached_across_two_inserts() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let ev = event();
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted(&ev))
        .expect(2)
        .mount(&server)
        .await;
    let calendar = calendar(&server);

    let (first, _) = calendar.insert_event(CALENDAR_ID, &ev).await;
    let (second, calls) = calendar.clone().insert_event(CALENDAR_ID, &ev).await;

    assert!(first.is_ok() && second.is_ok());
    assert_eq!(calls.len(), 1, "no token call the second time");
}

#[tokio::test]
async fn duplicate_event_id_counts_as_already_existed() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(
            409,
            "duplicate",
            "The requested identifier already exists.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let ev = event();

    let (result, calls) = calendar(&server).insert_event(CALENDAR_ID, &ev).await;

    let outcome = result.expect("a duplicate is success");
    assert!(outcome.already_existed);
    assert_eq!(outcome.event_id, ev.id);
    assert_eq!(calls[1].status_code, Some(409));
    assert!(calls[1].success);
}

#[tokio::test]
async fn rejected_token_is_refreshed_once_and_the_insert_retried() {
    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    let ev = event();
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(401, "authError", "Invalid Credentials"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted(&ev))
        .with_priority(2)
        .mount(&server)
        .await;

    let (result, calls) = calendar(&server).insert_event(CALENDAR_ID, &ev).await;

    assert!(result.is_ok(), "{result:?}");
    let statuses: Vec<_> = calls
        .iter()
        .map(|c| (c.action_type, c.status_code))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("calendar_token", Some(200)),
            ("calendar_event", Some(401)),
            ("calendar_token", Some(200)),
            ("calendar_event", Some(200)),
        ]
    );
}

#[tokio::test]
async fn rate_limit_403_is_transient() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(
            403,
            "rateLimitExceeded",
            "Rate Limit Exceeded",
        ))
        .mount(&server)
        .await;

    let (result, _) = calendar(&server).insert_event(CALENDAR_ID, &event()).await;

    assert!(
        matches!(result, Err(ActionError::Transient(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn rejected_assertion_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_grant", "error_description": "Invalid JWT Signature." }),
        ))
        .mount(&server)
        .await;

    let (result, calls) = calendar(&server).insert_event(CALENDAR_ID, &event()).await;

    match result {
        Err(ActionError::Permanent(message)) => {
            assert!(message.contains("invalid_grant"), "{message}")
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action_type, "calendar_token");
}

#[tokio::test]
async fn free_busy_returns_the_busy_periods() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/calendar/v3/freeBusy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "calendar#freeBusy",
            "timeMin": "2026-01-05T00:00:00.000Z",
            "timeMax": "2026-01-06T00:00:00.000Z",
            "calendars": { CALENDAR_ID: { "busy": [
                { "start": "2026-01-05T14:00:00Z", "end": "2026-01-05T15:30:00Z" },
                { "start": "2026-01-05T12:00:00-05:00", "end": "2026-01-05T13:00:00-05:00" }
            ] } }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let (result, calls) = calendar(&server)
        .free_busy(CALENDAR_ID, at(0, 0), at(23, 59))
        .await;

    assert_eq!(
        result.expect("busy list"),
        vec![(at(14, 0), at(15, 30)), (at(17, 0), at(18, 0))]
    );
    assert_eq!(
        calls.last().map(|c| c.action_type),
        Some("calendar_freebusy")
    );
    let requests = server.received_requests().await.expect("recording is on");
    let body: Value = serde_json::from_slice(&requests[1].body).expect("json body");
    assert_eq!(body["items"], json!([{ "id": CALENDAR_ID }]));
    assert_eq!(body["timeMin"], "2026-01-05T00:00:00Z");
}

#[tokio::test]
async fn free_busy_calendar_errors_are_an_error_not_free() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/calendar/v3/freeBusy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "calendar#freeBusy",
            "calendars": { CALENDAR_ID: {
                "errors": [{ "domain": "global", "reason": "notFound" }], "busy": []
            } }
        })))
        .mount(&server)
        .await;

    let (result, calls) = calendar(&server)
        .free_busy(CALENDAR_ID, at(0, 0), at(23, 59))
        .await;

    match result {
        Err(ActionError::Permanent(message)) => assert!(message.contains("notFound"), "{message}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    let last = calls.last().expect("a freeBusy call");
    assert!(!last.success);
    assert_eq!(last.status_code, Some(200));
}

#[test]
fn credentials_that_are_not_a_key_file_are_refused_without_echoing_them() {
    let config = GoogleCalendarConfig {
        credentials_json: SecretString::from(
            r#"{"client_email": "x@y", "private_key": "not-a-pem-secret"}"#,
        ),
        token_url: "http://127.0.0.1:1/token".to_owned(),
        api_base: "http://127.0.0.1:1/calendar/v3".to_owned(),
        timeout: Duration::from_secs(1),
    };
    match Calendar::google(config) {
        Err(ActionError::Permanent(message)) => {
            assert!(!message.contains("not-a-pem-secret"), "{message}")
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
}
