//! The worker binary as operators run it: killed mid-step it loses nothing
//! and sends nothing twice; on SIGTERM it finishes what it started.

use diesel_async::{AsyncConnection, RunQueryDsl};
use memory::{NewTenant, User, repo};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use test_support::fakes::FakeResend;
use test_support::{TestDatabase, TestRedis};
use uuid::Uuid;

struct Env {
    db: TestDatabase,
    redis: TestRedis,
    resend: FakeResend,
    pool: memory::DbPool,
}

impl Env {
    async fn new() -> Self {
        let db = TestDatabase::new().await.unwrap();
        let pool = memory::create_pool(&db.url, 4).unwrap();
        Self {
            db,
            redis: TestRedis::new(),
            resend: FakeResend::start().await,
            pool,
        }
    }

    fn spawn_worker(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_worker"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("REDIS_URL", test_support::redis_url())
            .env("REDIS_KEY_PREFIX", &self.redis.prefix)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("RESEND_API_KEY", "re_test_key")
            .env("RESEND_API_BASE", self.resend.uri())
            .env("EVENT_CLAIM_IDLE_MS", "300")
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("worker binary starts")
    }

    /// A FollowUp tenant's lead whose `lead_created` event is on the stream.
    async fn lead(&self) -> Uuid {
        let mut conn = self.pool.get().await.unwrap();
        let tenant_id = Uuid::new_v4();
        let tenant = NewTenant {
            id: tenant_id,
            name: "Kill Test Ltd".into(),
            product: "saas-followup".into(),
            subscription_status: "active".into(),
            timezone: "UTC".into(),
            notification_email: None,
        };
        let user = User {
            id: Uuid::new_v4(),
            tenant_id,
            product: "saas-followup".into(),
            email: "owner@killtest.example".into(),
            password_hash: "!".into(),
            role: "owner".into(),
            created_at: chrono::Utc::now(),
        };
        let profile = shared_types::LeadInput {
            name: Some("Robin".into()),
            email: Some("robin@clinic.example".into()),
            source: Some("website".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let accepted = conn
            .transaction(async |c| {
                let (t, _) = repo::tenants::create(c, &tenant, &user).await?;
                orchestrator::accept_lead(c, &t, profile, None).await
            })
            .await
            .unwrap();
        accepted.lead.id
    }

    async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(sql)
            .get_result(&mut *self.pool.get().await.unwrap())
            .await
            .unwrap();
        n.n
    }

    async fn wait_for(&self, what: &str, sql: &str, want: i64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.count(sql).await != want {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    let env = Env::new().await;
    env.resend.delay_next(Duration::from_secs(5));
    let mut first = env.spawn_worker();
    let lead = env.lead().await;
    // The provider has the email; the worker dies before it commits.
    wait_until("the first send", || env.resend.requests() >= 1).await;
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE lead_id = '{lead}'"
        ))
        .await,
        0
    );

    let mut second = env.spawn_worker();
    env.wait_for(
        "the reclaimed step",
        &format!("SELECT count(*) AS n FROM workflows WHERE lead_id = '{lead}' AND current_state = 'following_up'"),
        1,
    )
    .await;
    second.kill().unwrap();
    second.wait().unwrap();

    assert_eq!(
        env.resend.delivered().len(),
        1,
        "the lead got exactly one email"
    );
    assert_eq!(
        env.resend.requests(),
        2,
        "the retry reused the idempotency key"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE lead_id = '{lead}'"
        ))
        .await,
        1
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM agent_logs WHERE lead_id = '{lead}'"
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_worker_finish_the_step_in_flight() {
    let env = Env::new().await;
    env.resend.delay_next(Duration::from_millis(1500));
    let mut worker = env.spawn_worker();
    let lead = env.lead().await;
    wait_until("the send to start", || env.resend.requests() >= 1).await;
    let status = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = worker.wait().unwrap();
    assert!(exit.success(), "graceful exit, got {exit:?}");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE lead_id = '{lead}'"
        ))
        .await,
        1
    );
    assert_eq!(
        env.count(&format!("SELECT count(*) AS n FROM workflows WHERE lead_id = '{lead}' AND current_state = 'following_up'"))
            .await,
        1
    );
    assert_eq!(env.resend.delivered().len(), 1);
}
