use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use std::time::Duration;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// A pool that fails fast when PostgreSQL is unreachable instead of
/// queueing requests forever.
pub fn create_pool(database_url: &str, max_size: usize) -> Result<DbPool, String> {
    // Fast recycling: a broken connection is detected when it is used, so a
    // `SELECT 1` round trip on every checkout would only cost time.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|url| Box::pin(establish(url.to_owned())));
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool_runtime())
        .build()
        .map_err(|e| e.to_string())
}

/// Plans every statement for its actual parameters. A cached generic plan
/// made while a table was still small (a new deployment, a new tenant) can
/// pick a tenant-wide index for a lookup by id and keep it for the life of
/// the connection; planning a primary-key lookup costs far less than that.
async fn establish(url: String) -> diesel::ConnectionResult<AsyncPgConnection> {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(&url).await?;
    diesel::sql_query("SET plan_cache_mode = force_custom_plan")
        .execute(&mut conn)
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

fn deadpool_runtime() -> deadpool::Runtime {
    deadpool::Runtime::Tokio1
}
