//! A fake Google: the OAuth token endpoint verifying the RS256 JWT-bearer
//! assertion like Google does, plus Calendar v3 response builders.

use std::collections::HashMap;
use std::time::Duration;

use action_layer::{Calendar, CalendarEvent, GoogleCalendarConfig, calendar_event_id};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CLIENT_EMAIL: &str = "growthos@fake-proj.iam.gserviceaccount.com";
pub const CALENDAR_ID: &str = "owner@joesplumbing.example";
pub const EVENTS_PATH: &str = "/calendar/v3/calendars/owner%40joesplumbing.example/events";

use test_support::rsa_key_pair as key_pair;

pub fn calendar(server: &MockServer) -> Calendar {
    let credentials = json!({
        "type": "service_account",
        "project_id": "fake-proj",
        "private_key_id": "0123456789abcdef",
        "private_key": key_pair().0,
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        // Ignored: the configured token URL wins.
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    Calendar::google(GoogleCalendarConfig {
        credentials_json: SecretString::from(credentials.to_string()),
        token_url: format!("{}/token", server.uri()),
        api_base: format!("{}/calendar/v3", server.uri()),
        timeout: Duration::from_secs(5),
    })
    .expect("valid credentials")
}

/// The fake token endpoint: checks the assertion like Google does.
pub struct TokenEndpoint {
    token_url: String,
}

impl TokenEndpoint {
    fn check(&self, request: &Request) -> Result<(), String> {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Err("unsupported grant_type".to_owned());
        }
        let assertion = form.get("assertion").ok_or("no assertion")?;
        // The claims as sent, decoded by hand from the payload segment.
        let payload = assertion.split('.').nth(1).ok_or("not a JWT")?;
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
        if claims["iss"] != CLIENT_EMAIL
            || claims["aud"] != self.token_url.as_str()
            || claims["scope"] != "https://www.googleapis.com/auth/calendar"
            || !(1..=3600).contains(&lifetime)
        {
            return Err(format!("bad claims {claims}"));
        }
        // And the RS256 signature, with the public half of the key.
        let key = DecodingKey::from_rsa_pem(key_pair().1.as_bytes()).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.token_url]);
        jsonwebtoken::decode::<Value>(assertion, &key, &validation).map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.check(request) {
            Ok(()) => ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "ya29.fake-token", "expires_in": 3599, "token_type": "Bearer"
            })),
            Err(description) => ResponseTemplate::new(400).set_body_json(
                json!({ "error": "invalid_grant", "error_description": description }),
            ),
        }
    }
}

pub async fn mount_token(server: &MockServer, expected_hits: u64) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(TokenEndpoint {
            token_url: format!("{}/token", server.uri()),
        })
        .expect(expected_hits)
        .mount(server)
        .await;
}

pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, hour, minute, 0)
        .single()
        .expect("valid time")
}

pub fn event() -> CalendarEvent {
    CalendarEvent {
        id: calendar_event_id(Uuid::from_u128(7781), 2),
        summary: "Water heater estimate - Sam".to_owned(),
        description: "Booked by GrowthOS".to_owned(),
        starts_at: at(15, 0),
        ends_at: at(16, 0),
        time_zone: "America/New_York".to_owned(),
    }
}

pub fn inserted(ev: &CalendarEvent) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "kind": "calendar#event", "etag": "\"3400000000000000\"", "id": ev.id, "status": "confirmed",
        "htmlLink": "https://www.google.com/calendar/event?eid=ZmFrZQ", "summary": ev.summary,
        "start": { "dateTime": "2026-01-05T10:00:00-05:00", "timeZone": "America/New_York" },
        "end": { "dateTime": "2026-01-05T11:00:00-05:00", "timeZone": "America/New_York" },
        "iCalUID": format!("{}@google.com", ev.id), "sequence": 0
    }))
}

pub fn google_error(status: u16, reason: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": {
        "errors": [{ "domain": "global", "reason": reason, "message": message }],
        "code": status, "message": message
    }}))
}
