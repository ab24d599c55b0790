//! A production-like deployment made of local fakes: Stripe (test-support's
//! FakeStripe with a live key), Resend's /domains, Google's token and
//! freeBusy endpoints, and a gateway answering /health, /ready,
//! /dev/bootstrap and CORS preflights. Every knob breaks one item.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::HashMap;
use test_support::fakes::FakeStripe;
use test_support::random_key;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PUBLIC_URL: &str = "https://api.rivera.example";
pub const APP_ORIGIN: &str = "https://booker.rivera.example";
pub const SENDER_DOMAIN: &str = "mail.rivera.example";

/// Runs one growthos-ops command in-process: (exit status, output).
pub async fn ops(args: &[&str], vars: &HashMap<String, String>) -> (u8, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut out = Vec::new();
    let code = growthos_ops::run(&args, vars, &mut out).await;
    (code, String::from_utf8(out).expect("utf-8 output"))
}

pub fn failures(output: &str) -> Vec<&str> {
    output.lines().filter(|l| l.starts_with('✗')).collect()
}

#[derive(Clone)]
pub struct Behaviour {
    pub domain_status: &'static str,
    /// A freeBusy per-calendar error reason (e.g. `notFound`).
    pub calendar_error: Option<&'static str>,
    pub ready_status: u16,
    pub bootstrap_status: u16,
    /// The gateway echoes any Origin (a CORS misconfiguration).
    pub cors_any_origin: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            domain_status: "verified",
            calendar_error: None,
            ready_status: 200,
            bootstrap_status: 404,
            cors_any_origin: false,
        }
    }
}

pub struct Deployment {
    pub stripe: FakeStripe,
    pub resend: MockServer,
    pub google: MockServer,
    pub gateway: MockServer,
    pub vars: HashMap<String, String>,
}

impl Deployment {
    /// Everything green: the Stripe catalogue made by `stripe-setup` itself.
    pub async fn green(behaviour: Behaviour) -> Self {
        Self::with_stripe_key(&random_key("sk_live_"), behaviour).await
    }

    pub async fn with_stripe_key(key: &str, behaviour: Behaviour) -> Self {
        let stripe = FakeStripe::start_with_key(key).await;
        let resend = MockServer::start().await;
        let google = MockServer::start().await;
        let gateway = MockServer::start().await;
        let resend_key = random_key("re_");
        let (private_pem, _) = test_support::rsa_key_pair();
        let credentials = json!({
            "type": "service_account", "project_id": "rivera",
            "private_key_id": "k1", "private_key": private_pem,
            "client_email": "growthos@rivera.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        });
        let mut vars: HashMap<String, String> = [
            ("APP_ENV", "production".to_owned()),
            (
                "DATABASE_URL",
                "postgres://growthos:pw@db.internal:5432/growthos".into(),
            ),
            ("REDIS_URL", "redis://default:pw@redis.internal:6379".into()),
            (
                "JWT_SECRET",
                format!("{}{}", random_key(""), random_key("")),
            ),
            ("PUBLIC_URL", PUBLIC_URL.into()),
            (
                "CORS_ALLOWED_ORIGINS",
                format!(
                    "{APP_ORIGIN},https://leads.rivera.example,https://followup.rivera.example"
                ),
            ),
            ("BOOKER_URL", APP_ORIGIN.into()),
            ("LEADQUALIFIER_URL", "https://leads.rivera.example".into()),
            ("FOLLOWUP_URL", "https://followup.rivera.example".into()),
            ("PAYMENT_MODE", "stripe".into()),
            ("STRIPE_SECRET_KEY", key.into()),
            ("STRIPE_API_BASE", stripe.uri()),
            ("RESEND_API_KEY", resend_key.clone()),
            ("RESEND_API_BASE", resend.uri()),
            (
                "RESEND_WEBHOOK_SECRET",
                test_support::fakes::webhook_secret(),
            ),
            (
                "EMAIL_FROM",
                format!("Rivera Plumbing <hello@{SENDER_DOMAIN}>"),
            ),
            ("GOOGLE_CALENDAR_CREDENTIALS", credentials.to_string()),
            ("GOOGLE_OAUTH_TOKEN_URL", format!("{}/token", google.uri())),
            (
                "GOOGLE_CALENDAR_API_BASE",
                format!("{}/calendar/v3", google.uri()),
            ),
            ("LOG_FORMAT", "json".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();

        let (code, out) = ops(
            &[
                "stripe-setup",
                "--price",
                "booker=4900",
                "--price",
                "leadqualifier=2900",
                "--price",
                "followup=1900",
            ],
            &vars,
        )
        .await;
        assert_eq!(code, 0, "stripe-setup failed:\n{out}");
        for line in out.lines() {
            if let Some((k, v)) = line.split_once('=')
                && k.starts_with("STRIPE_")
            {
                vars.insert(k.to_owned(), v.to_owned());
            }
        }
        let mut d = Self {
            stripe,
            resend,
            google,
            gateway,
            vars,
        };
        d.mount(&behaviour).await;
        d
    }

    /// (Re)mounts the Resend, Google and gateway fakes for `behaviour`.
    pub async fn mount(&mut self, b: &Behaviour) {
        self.resend.reset().await;
        Mock::given(method("GET"))
            .and(path("/domains"))
            .and(header(
                "authorization",
                format!("Bearer {}", self.vars["RESEND_API_KEY"]).as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "object": "list",
                "has_more": false,
                "data": [
                    {"id": "d91cd9bd-1176-453e-8fc1-35364d380206", "name": "old.rivera.example",
                     "status": "failed", "created_at": "2026-01-02T10:00:00.000Z", "region": "us-east-1",
                     "capabilities": {"sending": "enabled", "receiving": "disabled"}},
                    {"id": "4dd369bc-aa82-4ff3-97de-514ae3000ee0", "name": SENDER_DOMAIN,
                     "status": b.domain_status, "created_at": "2026-03-01T10:00:00.000Z",
                     "region": "us-east-1",
                     "capabilities": {"sending": "enabled", "receiving": "disabled"}},
                ],
            })))
            .mount(&self.resend)
            .await;

        self.google.reset().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "ya29.fake", "expires_in": 3599, "token_type": "Bearer"}),
            ))
            .mount(&self.google)
            .await;
        let calendar = match b.calendar_error {
            None => json!({"busy": []}),
            Some(reason) => json!({"errors": [{"domain": "global", "reason": reason}]}),
        };
        Mock::given(method("POST"))
            .and(path("/calendar/v3/freeBusy"))
            .and(header("authorization", "Bearer ya29.fake"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "kind": "calendar#freeBusy",
                "timeMin": "2026-11-27T10:00:00.000Z", "timeMax": "2026-11-27T11:00:00.000Z",
                "calendars": {"primary": calendar},
            })))
            .mount(&self.google)
            .await;

        self.gateway.reset().await;
        Mock::given(method("GET"))
            .and(path("/health"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "ok", "service": "api-gateway", "version": "0.1.0", "paymentMode": "stripe",
            })))
            .mount(&self.gateway)
            .await;
        let ready = if b.ready_status == 200 {
            json!({"status": "ready", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}})
        } else {
            json!({"status": "unavailable", "checks": {"database": "ok", "redis": "unreachable", "migrations": "ok"}})
        };
        Mock::given(method("GET"))
            .and(path("/ready"))
            .respond_with(ResponseTemplate::new(b.ready_status).set_body_json(ready))
            .mount(&self.gateway)
            .await;
        let bootstrap = if b.bootstrap_status == 404 {
            json!({"error": "not found", "code": "not_found"})
        } else {
            json!({"error": "malformed JSON", "code": "validation_failed"})
        };
        Mock::given(method("POST"))
            .and(path("/dev/bootstrap"))
            .respond_with(ResponseTemplate::new(b.bootstrap_status).set_body_json(bootstrap))
            .mount(&self.gateway)
            .await;
        Mock::given(method("OPTIONS"))
            .and(path("/api/leads"))
            .respond_with(Preflight {
                allowed: vec![APP_ORIGIN.to_owned()],
                any: b.cors_any_origin,
            })
            .mount(&self.gateway)
            .await;
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.insert(key.to_owned(), value.to_owned());
    }

    pub async fn check(&self) -> (u8, String) {
        let gateway = self.gateway.uri();
        ops(&["check", "--gateway-url", &gateway], &self.vars).await
    }

    /// A request to the Stripe fake's own API (to change its state as an
    /// operator in the Dashboard would).
    pub async fn stripe_post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        reqwest::Client::new()
            .post(format!("{}{path}", self.stripe.uri()))
            .header(
                "authorization",
                format!("Bearer {}", self.stripe.secret_key()),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("fake stripe answers")
            .json()
            .await
            .expect("json")
    }
}

/// actix-cors' answers: an allowed origin is echoed, any other gets a 400
/// without Access-Control-Allow-Origin.
struct Preflight {
    allowed: Vec<String>,
    any: bool,
}

impl Respond for Preflight {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let origin = req
            .headers
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if self.any || self.allowed.iter().any(|o| o == origin) {
            ResponseTemplate::new(200)
                .insert_header("access-control-allow-origin", origin)
                .insert_header(
                    "access-control-allow-methods",
                    "GET, POST, PUT, PATCH, DELETE",
                )
                .insert_header("vary", "Origin")
        } else {
            ResponseTemplate::new(400).set_body_string("Origin is not allowed to make this request")
        }
    }
}
