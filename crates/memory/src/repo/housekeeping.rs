//! Rows kept only for a while: idempotency keys of lead creation (24 hours
//! by contract) and the ids of handled Resend webhook deliveries (Svix
//! stops retrying after about a day). Deleted in bounded batches through
//! their `created_at` / `received_at` indexes.

use crate::MemoryError;
use crate::schema::resend_events;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Idempotency keys created before `before`; a key that old is free again
/// anyway (see `idempotency::claim`), this only keeps the table small.
pub async fn purge_idempotency_keys(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<usize, MemoryError> {
    use diesel::sql_types::{BigInt, Timestamptz};
    Ok(diesel::sql_query(
        "DELETE FROM lead_idempotency_keys WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM lead_idempotency_keys WHERE created_at < $1 LIMIT $2))",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await?)
}

pub async fn purge_resend_events(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<usize, MemoryError> {
    let old: Vec<String> = resend_events::table
        .filter(resend_events::received_at.lt(before))
        .select(resend_events::svix_id)
        .limit(limit)
        .load(conn)
        .await?;
    Ok(
        diesel::delete(resend_events::table.filter(resend_events::svix_id.eq_any(&old)))
            .execute(conn)
            .await?,
    )
}
