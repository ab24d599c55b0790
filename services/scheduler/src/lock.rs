use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;
use memory::DbPool;
use std::future::Future;

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `work` only if this process wins the advisory lock `key`; returns
/// `None` when another replica holds it. The lock is held on a dedicated
/// connection for exactly the duration of the work.
pub async fn run_exclusive<T, F>(pool: &DbPool, key: i64, work: F) -> anyhow::Result<Option<T>>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let mut conn = pool.get().await?;
    let got: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(key)
        .get_result(&mut conn)
        .await?;
    if !got.locked {
        return Ok(None);
    }
    let result = work.await;
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(key)
        .execute(&mut conn)
        .await?;
    result.map(Some)
}
