//! TestApp: the real gateway on a random port over a fresh database and a
//! private Redis prefix, with a `drain` that runs queued work through the
//! worker's own handler until nothing is left.
#![allow(dead_code)]

use core_engine::{Config, Infra, Service};
use diesel_async::RunQueryDsl;
use memory::DbConn;
use reqwest::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use test_support::fakes::{FakeResend, FakeStripe, stripe_signature, webhook_secret};
use test_support::{TestDatabase, TestRedis};
use uuid::Uuid;

/// The product apps a production gateway serves (CORS origins, checkout
/// return pages).
pub const BOOKER_APP: &str = "https://booker.example.com";
pub const LEADQUALIFIER_APP: &str = "https://leadqualifier.example.com";
pub const FOLLOWUP_APP: &str = "https://followup.example.com";
/// The sender of every email a production gateway's worker sends.
pub const EMAIL_FROM: &str = "Ops <ops@example.com>";

/// `STRIPE_PRICE_ID_*` of a [`StripeApp`], per product slug.
pub fn stripe_price(product: &str) -> &'static str {
    match product {
        "saas-booker" => "price_booker_test",
        "saas-leadqualifier" => "price_leadq_test",
        "saas-followup" => "price_followup_test",
        other => panic!("no such product: {other}"),
    }
}

/// 64 random hex characters, made at run time.
pub fn random_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub infra: Infra,
    pub config: Config,
    server: actix_web::dev::ServerHandle,
    pub db: TestDatabase,
    pub redis: TestRedis,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the gateway with extra environment variables on top of the
    /// test database and Redis prefix.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let db = TestDatabase::new().await.expect("test database");
        let redis = TestRedis::new();
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("REDIS_URL".into(), test_support::redis_url()),
            ("REDIS_KEY_PREFIX".into(), redis.prefix.clone()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
        ]);
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        let config = Config::from_vars(Service::Gateway, &vars).expect("test config");
        let infra = Infra::build(&config).expect("infra");
        infra.bus.ensure_group().await.expect("consumer group");
        let app = api_gateway::Application::build(&config, &infra).expect("gateway");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        tokio::spawn(app.run());
        Self {
            addr,
            client: reqwest::Client::new(),
            infra,
            config,
            server,
            db,
            redis,
        }
    }

    /// A gateway with `APP_ENV=production` and every guardrail that holds
    /// whatever the payment mode satisfied with secrets made now (JWT
    /// secret, https PUBLIC_URL, CORS limited to the product apps, Resend
    /// key and sender), plus `extra`, which wins. Resend points at a closed
    /// local port unless `extra` names a `RESEND_API_BASE`: nothing a test
    /// does can reach the real provider.
    pub async fn spawn_production(extra: &[(&str, &str)]) -> Self {
        let jwt = random_secret();
        let resend_key = format!("re_{}", Uuid::new_v4().simple());
        let origins = [BOOKER_APP, LEADQUALIFIER_APP, FOLLOWUP_APP].join(",");
        let mut vars = vec![
            ("APP_ENV", "production"),
            ("JWT_SECRET", jwt.as_str()),
            ("PUBLIC_URL", "https://api.example.com"),
            ("CORS_ALLOWED_ORIGINS", origins.as_str()),
            ("BOOKER_URL", BOOKER_APP),
            ("LEADQUALIFIER_URL", LEADQUALIFIER_APP),
            ("FOLLOWUP_URL", FOLLOWUP_APP),
            ("RESEND_API_KEY", resend_key.as_str()),
            ("RESEND_API_BASE", "http://127.0.0.1:9"),
            ("EMAIL_FROM", EMAIL_FROM),
        ];
        vars.extend_from_slice(extra);
        Self::spawn_with(&vars).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn conn(&self) -> DbConn {
        self.infra.pool.get().await.expect("db connection")
    }

    /// A bootstrapped, active tenant of `product`: (token, tenant id).
    pub async fn tenant(&self, product: &str) -> (String, String) {
        let r: Value = self
            .client
            .post(self.url("/dev/bootstrap"))
            .json(&json!({"product": product}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            r["token"].as_str().unwrap().into(),
            r["tenant"]["id"].as_str().unwrap().into(),
        )
    }

    /// POST /api/tenant/create for `product` with a fresh owner email,
    /// asserting the 201: the whole body.
    pub async fn sign_up_body(&self, product: &str) -> Value {
        let r = self
            .client
            .post(self.url("/api/tenant/create"))
            .json(&json!({"name": "Joe's Plumbing", "email": format!("owner+{}@joes.example", Uuid::new_v4().simple()),
                "password": "correct horse battery", "product": product}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Signs up through POST /api/tenant/create: (token, tenant id).
    pub async fn sign_up(&self, product: &str) -> (String, Uuid) {
        let v = self.sign_up_body(product).await;
        (
            v["token"].as_str().unwrap().to_owned(),
            v["tenant"]["id"].as_str().unwrap().parse().unwrap(),
        )
    }

    /// POST /api/billing/checkout, with `body` as JSON when given.
    pub async fn checkout(&self, token: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .post(self.url("/api/billing/checkout"))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// GET without credentials, body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn post_lead(&self, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/leads"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a lead and returns its id, asserting the 201.
    pub async fn new_lead(&self, token: &str, body: &Value) -> String {
        let r = self.post_lead(token, body).await;
        assert_eq!(r.status(), 201, "lead refused: {}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        v["lead"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn lead(&self, token: &str, id: &str) -> Value {
        let r = self
            .client
            .get(self.url(&format!("/api/leads/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["lead"].clone()
    }

    /// Runs every queued event (and the events they cause) through the
    /// worker's handler until the outbox, the stream and the retry set are
    /// all empty. Fails the test if work is still left after 30 s.
    pub async fn drain(&self) {
        worker::drain_until_idle(&self.infra, "test-drain", Duration::from_secs(30))
            .await
            .expect("drain");
    }

    /// The events of `event_type` published to the Redis stream, oldest
    /// first, once the outbox is empty: the gateway answers a lead before it
    /// publishes the lead's event, and a published event leaves the outbox.
    pub async fn published(&self, event_type: &str) -> Vec<shared_types::DomainEvent> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.unpublished().await > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "events still unpublished after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut events = self.redis.stream_events().await;
        events.retain(|e| e.event_type.as_str() == event_type);
        events
    }

    pub async fn unpublished(&self) -> i64 {
        memory::repo::outbox::unpublished_count(&mut *self.conn().await)
            .await
            .unwrap()
    }

    /// A single-number SQL query over the test database.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(sql)
            .get_result(&mut *self.conn().await)
            .await
            .expect(sql);
        n.n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let s = self.server.clone();
        tokio::spawn(async move { s.stop(false).await });
    }
}

/// A production gateway in `PAYMENT_MODE=stripe` whose Stripe is a
/// FakeStripe and whose Resend is a FakeResend.
pub struct StripeApp {
    pub app: TestApp,
    pub stripe: FakeStripe,
    pub resend: FakeResend,
    /// The first configured webhook secret.
    pub whsec: String,
    pub admin: String,
}

impl StripeApp {
    pub async fn start() -> Self {
        let secret = webhook_secret();
        Self::start_with(&secret, &secret).await
    }

    /// `webhook_secrets` is STRIPE_WEBHOOK_SECRET as configured (maybe
    /// several); `first` is the one [`StripeApp::post_event`] signs with.
    pub async fn start_with(webhook_secrets: &str, first: &str) -> Self {
        let stripe = FakeStripe::start().await;
        let resend = FakeResend::start().await;
        let admin = random_secret();
        let (stripe_base, resend_base) = (stripe.uri(), resend.uri());
        let app = TestApp::spawn_production(&[
            ("PAYMENT_MODE", "stripe"),
            ("ADMIN_SECRET", &admin),
            ("STRIPE_SECRET_KEY", stripe.secret_key()),
            ("STRIPE_WEBHOOK_SECRET", webhook_secrets),
            ("STRIPE_PRICE_ID_BOOKER", stripe_price("saas-booker")),
            (
                "STRIPE_PRICE_ID_LEADQUALIFIER",
                stripe_price("saas-leadqualifier"),
            ),
            ("STRIPE_PRICE_ID_FOLLOWUP", stripe_price("saas-followup")),
            ("STRIPE_API_BASE", &stripe_base),
            ("RESEND_API_BASE", &resend_base),
        ])
        .await;
        Self {
            app,
            stripe,
            resend,
            whsec: first.to_owned(),
            admin,
        }
    }

    /// Posts `event` to POST /api/stripe/webhook with a valid signature (or
    /// the given header; `None` sends no header at all).
    pub async fn post_event(&self, event: &Value, header: Option<Option<String>>) -> Response {
        let body = event.to_string();
        let header = header.unwrap_or_else(|| Some(stripe_signature(&body, &self.whsec)));
        let mut req = self
            .app
            .client
            .post(self.app.url("/api/stripe/webhook"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(h) = header {
            req = req.header("stripe-signature", h);
        }
        req.send().await.unwrap()
    }

    /// Delivers `event` signed, as Stripe does, asserting the 200.
    pub async fn deliver(&self, event: &Value) {
        let r = self.post_event(event, None).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"received": true}));
    }
}

/// Lead bodies that the heuristic qualifier scores hot, warm and cold.
pub fn hot_lead() -> Value {
    json!({"name": "Dana Whitfield", "email": "dana@brightsmiles-dental.com", "source": "referral",
        "phone": "+1 555 010 2030",
        "metadata": {"company": "Bright Smiles Dental", "jobTitle": "Owner", "companySize": 25,
            "intent": "Need a quote to book an install this week", "budgetRange": "$10k-20k", "timeline": "this week"}})
}

pub fn warm_lead() -> Value {
    json!({"name": "Jordan Price", "email": "jordan@harbor-logistics.com", "source": "website",
        "metadata": {"jobTitle": "Office Manager", "companySize": "11-50", "intent": "pricing information", "timeline": "next quarter"}})
}

pub fn cold_lead() -> Value {
    json!({"name": "Kelly", "email": "kelly1987@gmail.com", "source": "cold list",
        "metadata": {"intent": "just browsing", "budgetRange": "none", "timeline": "next year"}})
}
