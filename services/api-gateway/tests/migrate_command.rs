//! `api-gateway migrate`: the first command of `make run` and of every
//! deployment, run as the binary a newcomer runs.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::process::Command;
use test_support::TestDatabase;

/// Runs `api-gateway migrate`: whether it exited 0, and what it logged.
fn migrate(database_url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_api-gateway"))
        .arg("migrate")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", test_support::redis_url())
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .output()
        .expect("api-gateway binary starts");
    let log =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), log)
}

/// On a server without the database, `migrate` creates it, applies every
/// migration and exits 0; run again, it finds nothing to apply.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_creates_the_database_and_applies_every_migration() {
    let name = format!("gos_migrate_{}", uuid::Uuid::new_v4().simple());
    // Built by hand, not from the template: the command must create it. Its
    // drop removes the database afterwards.
    let db = TestDatabase {
        url: format!("{}/{name}", test_support::server_url()),
        name,
    };

    let (ok, log) = migrate(&db.url);
    assert!(ok, "migrate failed:\n{log}");
    assert!(log.contains("database created"), "{log}");

    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let pending = memory::pending_migrations(&mut conn).await.unwrap();
    assert!(pending.is_empty(), "still pending: {pending:?}");

    let (ok, log) = migrate(&db.url);
    assert!(ok, "second migrate failed:\n{log}");
    assert!(log.contains(r#""applied":0"#), "{log}");
}
