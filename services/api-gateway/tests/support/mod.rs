//! TestApp: the real gateway on a random port over a fresh database and a
//! private Redis prefix, with a `drain` that runs queued work through the
//! worker's own handler until nothing is left.
#![allow(dead_code)]

use core_engine::{Config, Infra, Service};
use diesel_async::RunQueryDsl;
use event_bus::dispatch;
use memory::DbConn;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use test_support::{TestDatabase, TestRedis};
use worker::WorkflowHandler;

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
        let handler = WorkflowHandler::new(self.infra.orchestrator.clone());
        let bus = &self.infra.bus;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "work left after 30 s"
            );
            self.infra
                .orchestrator
                .relay()
                .sweep(Duration::ZERO, 1000)
                .await
                .expect("sweep");
            bus.promote_due_retries(1000).await.expect("promote");
            let batch = bus
                .read("test-drain", 100, Duration::from_millis(5))
                .await
                .expect("read");
            if batch.is_empty() {
                if bus.in_flight().await.unwrap() == 0 && self.unpublished().await == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            for d in batch {
                dispatch(bus, &handler, d).await;
            }
        }
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
