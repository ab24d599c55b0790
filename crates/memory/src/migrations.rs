use crate::MemoryError;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Creates the database named in `database_url` when it does not exist
/// yet, so a newcomer's first `migrate` needs no psql.
pub async fn ensure_database(database_url: &str) -> Result<bool, MemoryError> {
    let unavailable = |e: &dyn std::fmt::Display| MemoryError::Unavailable(e.to_string());
    let url = url::Url::parse(database_url).map_err(|e| unavailable(&e))?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(MemoryError::Unavailable(
            "DATABASE_URL must name a database".into(),
        ));
    }
    let mut admin_url = url.clone();
    admin_url.set_path("/postgres");
    let mut admin = AsyncPgConnection::establish(admin_url.as_str())
        .await
        .map_err(|e| unavailable(&e))?;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<Text, _>(&name)
            .get_result(&mut admin)
            .await?;
    if !found.found {
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
    }
    Ok(!found.found)
}

/// Applies pending migrations and returns how many ran.
///
/// diesel's migration harness is synchronous. diesel-async's wrapper for it
/// blocks in place, which panics on a current-thread runtime (the
/// gateway's); on a blocking-pool thread the harness works under either
/// runtime flavour, its queries driven through the caller's runtime.
pub async fn run_migrations(database_url: &str) -> Result<usize, MemoryError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
            .map_err(|e| MemoryError::Unavailable(e.to_string()))?;
        let ran = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| MemoryError::Unavailable(format!("migration failed: {e}")))?;
        Ok(ran.len())
    })
    .await
    .map_err(|e| MemoryError::Unavailable(format!("migration task failed: {e}")))?
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Names of the embedded migrations the database has not applied yet.
/// Reads the bookkeeping table directly (no blocking harness), so it is
/// safe inside request handlers on any runtime.
pub async fn pending_migrations(conn: &mut AsyncPgConnection) -> Result<Vec<String>, MemoryError> {
    let applied: Vec<AppliedVersion> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load(conn)
            .await
            .or_else(|e| match e {
                // A database that never ran migrations has no bookkeeping table.
                diesel::result::Error::DatabaseError(_, ref info)
                    if info.message().contains("does not exist") =>
                {
                    Ok(Vec::new())
                }
                e => Err(e),
            })?;
    let embedded = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(|e| MemoryError::Unavailable(e.to_string()))?;
    Ok(embedded
        .iter()
        .map(|m| m.name().version().to_string())
        .filter(|v| !applied.iter().any(|a| &a.version == v))
        .collect())
}
