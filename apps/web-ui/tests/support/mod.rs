//! A real gateway (production mode, Stripe and Resend faked at their wire
//! formats, real PostgreSQL and Redis) and a product app in front of it,
//! both in-process on random ports, plus `Browser`: a cookie-keeping HTTP
//! client that does not follow redirects, so each test sees what a
//! browser would receive. With the `e2e` feature, `chrome::Chrome`: a real
//! headless Chromium over WebDriver, for `tests/browser.rs`.
#![allow(dead_code)]

#[cfg(feature = "e2e")]
pub mod chrome;

use core_engine::{Config, Infra, Service};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use shared_types::ProductSlug;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use test_support::fakes::{FakeResend, FakeStripe, stripe_signature, webhook_secret};
use test_support::{TestDatabase, TestRedis};
use uuid::Uuid;
use web_ui::{AppConfig, Application};

/// What the journey of one product checks that the others' do not.
pub struct Flow {
    pub product: ProductSlug,
    /// The product's own column of the leads table, for a hot lead.
    pub column: (&'static str, &'static str),
    /// Whether the hot lead gets a score (the product has a qualifier).
    pub scores: bool,
    pub books: bool,
    /// A metrics card only this product shows.
    pub metric: &'static str,
}

impl Flow {
    pub fn of(product: ProductSlug) -> Self {
        let (column, scores, books, metric) = match product {
            ProductSlug::Booker => (("Meeting", "Booked"), true, true, "Meetings booked"),
            ProductSlug::LeadQualifier => {
                (("Qualification", "Hot"), true, false, "Disqualified leads")
            }
            ProductSlug::FollowUp => (
                ("Follow-up", "Following up"),
                false,
                false,
                "Follow-ups sent",
            ),
        };
        Self {
            product,
            column,
            scores,
            books,
            metric,
        }
    }
}

/// The public URL the test apps believe they have.
pub fn public_url(product: ProductSlug) -> String {
    let port = web_ui::config::url_var(product).1;
    format!("http://localhost:{port}")
}

fn random_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

pub struct Gateway {
    pub addr: String,
    pub infra: Infra,
    pub stripe: FakeStripe,
    pub resend: FakeResend,
    whsec: String,
    server: actix_web::dev::ServerHandle,
    _db: TestDatabase,
    _redis: TestRedis,
}

impl Gateway {
    /// `APP_ENV=production`, `PAYMENT_MODE=stripe`: subscriptions enforced.
    pub async fn start() -> Self {
        let stripe = FakeStripe::start().await;
        let resend = FakeResend::start().await;
        let db = TestDatabase::new().await.expect("test database");
        let redis = TestRedis::new();
        let whsec = webhook_secret();
        let origins = [
            ProductSlug::Booker,
            ProductSlug::LeadQualifier,
            ProductSlug::FollowUp,
        ]
        .map(public_url)
        .join(",");
        let vars: HashMap<String, String> = [
            ("DATABASE_URL", db.url.clone()),
            ("REDIS_URL", test_support::redis_url()),
            ("REDIS_KEY_PREFIX", redis.prefix.clone()),
            ("HOST", "127.0.0.1".into()),
            ("PORT", "0".into()),
            ("APP_ENV", "production".into()),
            ("JWT_SECRET", random_secret()),
            ("PUBLIC_URL", "https://api.example.com".into()),
            ("CORS_ALLOWED_ORIGINS", origins),
            ("BOOKER_URL", "https://booker.example.com".into()),
            (
                "LEADQUALIFIER_URL",
                "https://leadqualifier.example.com".into(),
            ),
            ("FOLLOWUP_URL", "https://followup.example.com".into()),
            ("RESEND_API_KEY", format!("re_{}", Uuid::new_v4().simple())),
            ("RESEND_API_BASE", resend.uri()),
            ("EMAIL_FROM", "Ops <ops@example.com>".into()),
            ("PAYMENT_MODE", "stripe".into()),
            ("ADMIN_SECRET", random_secret()),
            ("STRIPE_SECRET_KEY", stripe.secret_key().to_owned()),
            ("STRIPE_WEBHOOK_SECRET", whsec.clone()),
            ("STRIPE_PRICE_ID_BOOKER", "price_booker_test".into()),
            ("STRIPE_PRICE_ID_LEADQUALIFIER", "price_leadq_test".into()),
            ("STRIPE_PRICE_ID_FOLLOWUP", "price_followup_test".into()),
            ("STRIPE_API_BASE", stripe.uri()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let config = Config::from_vars(Service::Gateway, &vars).expect("gateway config");
        let infra = Infra::build(&config).expect("infra");
        infra.bus.ensure_group().await.expect("consumer group");
        let app = api_gateway::Application::build(&config, &infra).expect("gateway");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        tokio::spawn(app.run());
        Self {
            addr,
            infra,
            stripe,
            resend,
            whsec,
            server,
            _db: db,
            _redis: redis,
        }
    }

    /// Delivers a Stripe event signed as Stripe does, asserting the 200.
    pub async fn deliver(&self, event: &Value) {
        let body = event.to_string();
        let r = reqwest::Client::new()
            .post(format!("{}/api/stripe/webhook", self.addr))
            .header("content-type", "application/json")
            .header("stripe-signature", stripe_signature(&body, &self.whsec))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    /// Runs queued work through the worker's handler until none is left.
    pub async fn drain(&self) {
        worker::drain_until_idle(&self.infra, "test-drain", Duration::from_secs(30))
            .await
            .expect("drain");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let s = self.server.clone();
        tokio::spawn(async move { s.stop(false).await });
    }
}

/// A product app on a random port in front of `gateway`.
pub struct WebApp {
    pub addr: String,
    server: actix_web::dev::ServerHandle,
}

impl WebApp {
    pub fn start(product: ProductSlug, gateway: &str) -> Self {
        let (url_var, _) = web_ui::config::url_var(product);
        let vars: HashMap<String, String> = [
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", "0".into()),
            ("GATEWAY_URL", gateway.to_owned()),
            (url_var, public_url(product)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let cfg = AppConfig::from_vars(product, &vars).expect("app config");
        let app = Application::build(cfg).expect("app");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        tokio::spawn(app.run());
        Self { addr, server }
    }
}

impl Drop for WebApp {
    fn drop(&mut self) {
        let s = self.server.clone();
        tokio::spawn(async move { s.stop(false).await });
    }
}

/// One answer as a browser gets it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let len = self.body[start..].find('"').unwrap();
        self.body[start..start + len].to_owned()
    }

    pub fn has(&self, needle: &str) -> bool {
        self.body.contains(needle)
    }

    #[track_caller]
    pub fn assert_has(&self, needle: &str) {
        assert!(self.has(needle), "expected {needle:?} in:\n{}", self.body);
    }

    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, 303, "{}", self.body);
        assert_eq!(self.location.as_deref(), Some(to));
    }
}

/// A browser: keeps cookies, never follows redirects by itself.
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header(COOKIE, self.cookie_header())
        };
        let r = req.send().await.unwrap();
        let set_cookies: Vec<String> = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: r.status(),
            location: r
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            set_cookies,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.finish(req).await
    }

    /// Posts a form as a browser does (urlencoded), fields as given.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.finish(req).await
    }

    /// Opens `page_path`, then submits its form with its CSRF token.
    pub async fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page_path).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

pub fn json_of(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| json!({ "raw": v }))
}
