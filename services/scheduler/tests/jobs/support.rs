//! The whole system on a manual clock: the real gateway on a random port,
//! the worker's handler behind `drain`, and the scheduler jobs called
//! directly with the clock's time. Fresh database, private Redis prefix,
//! and a fake Resend that records what it was asked to send.

use chrono::{DateTime, Utc};
use core_engine::{Config, Infra, Service};
use diesel_async::RunQueryDsl;
use memory::DbConn;
use orchestrator::Clock;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use test_support::fakes::FakeResend;
use test_support::{TestDatabase, TestRedis};
use uuid::Uuid;

pub struct App {
    pub addr: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub infra: Infra,
    pub clock: Clock,
    pub resend: FakeResend,
    pub admin_secret: String,
    server: actix_web::dev::ServerHandle,
    /// Dropped (with the database) when the app is.
    _db: TestDatabase,
    pub redis: TestRedis,
}

impl App {
    /// Everything running with the clock reading `now`.
    pub async fn start(now: DateTime<Utc>) -> Self {
        let db = TestDatabase::new().await.expect("test database");
        let redis = TestRedis::new();
        let resend = FakeResend::start().await;
        let admin_secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("REDIS_URL".into(), test_support::redis_url()),
            ("REDIS_KEY_PREFIX".into(), redis.prefix.clone()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("RESEND_API_KEY".into(), "re_test_key".into()),
            ("RESEND_API_BASE".into(), resend.uri()),
            ("ADMIN_SECRET".into(), admin_secret.clone()),
        ]);
        let config = Config::from_vars(Service::Gateway, &vars).expect("test config");
        let clock = Clock::manual(now);
        let infra = Infra::build_with_clock(&config, clock.clone()).expect("infra");
        infra.bus.ensure_group().await.expect("consumer group");
        let app = api_gateway::Application::build(&config, &infra).expect("gateway");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        tokio::spawn(app.run());
        Self {
            addr,
            client: reqwest::Client::new(),
            config,
            infra,
            clock,
            resend,
            admin_secret,
            server,
            _db: db,
            redis,
        }
    }

    /// A second scheduler replica: its own pools and relay over the same
    /// database, Redis prefix and clock.
    pub fn replica(&self) -> Infra {
        Infra::build_with_clock(&self.config, self.clock.clone()).expect("replica infra")
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn conn(&self) -> DbConn {
        self.infra.pool.get().await.expect("db connection")
    }

    /// A bootstrapped, active tenant of `product` in time zone `tz`:
    /// (token, tenant id).
    pub async fn tenant(&self, product: &str, tz: &str) -> (String, Uuid) {
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
        let token = r["token"].as_str().unwrap().to_owned();
        let r = self
            .client
            .put(self.url("/api/tenant/settings"))
            .bearer_auth(&token)
            .json(&json!({"timezone": tz}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let tenant = r.json::<Value>().await.unwrap()["tenant"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (token, tenant)
    }

    /// Posts a lead, asserting the 201; returns its id.
    pub async fn new_lead(&self, token: &str, body: &Value) -> Uuid {
        let r = self
            .client
            .post(self.url("/api/leads"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "lead refused: {}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        v["lead"]["id"].as_str().unwrap().parse().unwrap()
    }

    /// POST /api/leads/{id}/messages: the lead answered.
    pub async fn reply(&self, token: &str, lead: Uuid, content: &str) {
        let r = self
            .client
            .post(self.url(&format!("/api/leads/{lead}/messages")))
            .bearer_auth(token)
            .json(&json!({"direction": "inbound", "content": content}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            201,
            "reply refused: {}",
            r.text().await.unwrap()
        );
    }

    /// Runs every queued event (and those they cause) through the worker's
    /// handler until the outbox, the stream and the retry set are empty.
    pub async fn drain(&self) {
        worker::drain_until_idle(&self.infra, "test-drain", Duration::from_secs(30))
            .await
            .expect("drain");
    }

    pub async fn unpublished(&self) -> i64 {
        memory::repo::outbox::unpublished_count(&mut *self.conn().await)
            .await
            .unwrap()
    }

    /// Waits (briefly) until the relay has taken every published event out
    /// of the outbox, so a sweep cannot publish anything again.
    pub async fn settle_outbox(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.unpublished().await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "outbox not settled");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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

    /// Runs a statement over the test database.
    pub async fn exec(&self, sql: &str) {
        diesel::sql_query(sql)
            .execute(&mut *self.conn().await)
            .await
            .expect(sql);
    }

    /// Emails the fake Resend accepted whose subject starts with `prefix`.
    pub fn delivered_with_subject(&self, prefix: &str) -> Vec<Value> {
        self.resend
            .delivered()
            .into_iter()
            .filter(|e| e["subject"].as_str().unwrap_or("").starts_with(prefix))
            .collect()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let s = self.server.clone();
        tokio::spawn(async move { s.stop(false).await });
    }
}

/// A lead body for AI FollowUp, with an optional time zone of its own.
pub fn followup_lead(name: &str, email: &str, tz: Option<&str>) -> Value {
    let mut metadata = json!({"jobTitle": "Office Manager", "intent": "pricing information"});
    if let Some(tz) = tz {
        metadata["timezone"] = tz.into();
    }
    json!({"name": name, "email": email, "source": "website", "metadata": metadata})
}

/// A lead the heuristic qualifier scores hot (AI Booker books it).
pub fn hot_lead(email: &str) -> Value {
    json!({"name": "Dana Whitfield", "email": email, "source": "referral",
        "phone": "+1 555 010 2030",
        "metadata": {"company": "Bright Smiles Dental", "jobTitle": "Owner", "companySize": 25,
            "intent": "Need a quote to book an install this week", "budgetRange": "$10k-20k", "timeline": "this week"}})
}
