//! Test isolation helpers: a fresh PostgreSQL database per test (cloned from
//! a migrated template) and a private Redis key prefix per test.
//!
//! The template is built once per schema version, guarded by an advisory
//! lock so parallel test processes (nextest runs one per test) share it.

pub mod fakes;
mod rsa_key;

pub use rsa_key::rsa_key_pair;

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Server to create test databases on; override with TEST_DATABASE_URL
/// (a URL without the database name's path, e.g. postgres://u@h:5432).
/// A credential-shaped value made at run time (`prefix` + 32 random hex
/// characters, e.g. `random_key("sk_live_")`): no test carries a key that
/// could be mistaken for a real one.
pub fn random_key(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A database that is dropped when the value goes out of scope.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn new() -> anyhow::Result<Self> {
        let template = ensure_template().await?;
        let name = format!("gos_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_conn().await?;
        // Two CREATE DATABASE ... TEMPLATE at the same instant can collide on
        // the template; a short retry settles it.
        let mut tries = 0;
        loop {
            let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            match diesel::sql_query(sql).execute(&mut admin).await {
                Ok(_) => break,
                Err(e) if tries < 20 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Self {
            url: format!("{}/{name}", server_url()),
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context: use a private runtime on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut admin = admin_conn().await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

async fn admin_conn() -> anyhow::Result<AsyncPgConnection> {
    Ok(AsyncPgConnection::establish(&format!("{}/postgres", server_url())).await?)
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Name of a template database migrated to the current schema; builds it
/// when missing. The name carries a hash of the migration files, so editing
/// a migration yields a new template.
async fn ensure_template() -> anyhow::Result<String> {
    let name = format!("gos_template_{}", migrations_hash());
    let mut admin = admin_conn().await?;
    diesel::sql_query("SELECT pg_advisory_lock(724301)")
        .execute(&mut admin)
        .await?;
    let result = async {
        let exists: Count =
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<Text, _>(&name)
                .get_result(&mut admin)
                .await?;
        if exists.n == 0 {
            let building = format!("{name}_building");
            diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .execute(&mut admin)
            .await?;
            diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                .execute(&mut admin)
                .await?;
            memory::run_migrations(&format!("{}/{building}", server_url())).await?;
            diesel::sql_query(format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .execute(&mut admin)
            .await?;
        }
        anyhow::Ok(())
    }
    .await;
    diesel::sql_query("SELECT pg_advisory_unlock(724301)")
        .execute(&mut admin)
        .await?;
    result.map(|_| name)
}

fn migrations_hash() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../memory/migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(&h.finalize()[..6])
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    rd.flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}

/// A Redis key prefix private to one test; its keys are deleted on drop.
pub struct TestRedis {
    pub prefix: String,
    pub pool: deadpool_redis::Pool,
}

impl TestRedis {
    pub fn new() -> Self {
        let pool = deadpool_redis::Config::from_url(redis_url())
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .expect("redis pool config");
        Self {
            prefix: format!("gos-test-{}", uuid::Uuid::new_v4().simple()),
            pool,
        }
    }

    /// Every event on the prefix's stream, consumed or not, oldest first
    /// (the stream keeps them until a running consumer trims it). A
    /// published event has left the outbox; this is where a test finds it.
    pub async fn stream_events(&self) -> Vec<shared_types::DomainEvent> {
        use deadpool_redis::redis;
        let mut c = self.pool.get().await.expect("redis connection");
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(format!("{}:events", self.prefix))
            .arg("-")
            .arg("+")
            .query_async(&mut c)
            .await
            .expect("XRANGE");
        reply
            .ids
            .iter()
            .map(|e| {
                let raw: String = e.get("envelope").expect("envelope field");
                serde_json::from_str(&raw).expect("envelope")
            })
            .collect()
    }
}

impl Default for TestRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let pattern = format!("{}:*", self.prefix);
        let url = redis_url();
        let _ = std::thread::spawn(move || {
            use deadpool_redis::redis;
            let client = redis::Client::open(url).ok()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut c = client.get_multiplexed_async_connection().await.ok()?;
                let keys: Vec<String> = redis::cmd("KEYS")
                    .arg(&pattern)
                    .query_async(&mut c)
                    .await
                    .ok()?;
                if !keys.is_empty() {
                    let _: () = redis::cmd("DEL").arg(keys).query_async(&mut c).await.ok()?;
                }
                Some(())
            })
        })
        .join();
    }
}

/// A Redis server of the test's own, on a free port, that the test can
/// stop and start again (nothing persisted, like a restarted cache).
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    pub fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut s = Self { port, child: None };
        s.start_again()?;
        Ok(s)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        anyhow::bail!("redis-server did not start on port {}", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
