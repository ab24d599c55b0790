//! Idempotency keys of POST /api/leads: the first response under a key is
//! kept for 24 hours and returned again for the same key.

use crate::MemoryError;
use crate::schema::lead_idempotency_keys as k;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// A response already given under a key.
#[derive(Debug, Clone, Queryable)]
pub struct Recorded {
    pub request_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<serde_json::Value>,
}

/// Takes the key for this request, or returns what was recorded under it.
/// A key older than 24 hours is taken over. A concurrent request with the
/// same key waits here on the row lock until the first one commits, then
/// sees its response. Call inside a transaction.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    key: &str,
    request_hash: &str,
) -> Result<Option<Recorded>, MemoryError> {
    let taken = diesel::sql_query(
        "INSERT INTO lead_idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id, key) DO UPDATE \
         SET request_hash = EXCLUDED.request_hash, created_at = now(), \
             response_status = NULL, response_body = NULL \
         WHERE lead_idempotency_keys.created_at < now() - interval '24 hours'",
    )
    .bind::<SqlUuid, _>(tenant_id)
    .bind::<Text, _>(key)
    .bind::<Text, _>(request_hash)
    .execute(conn)
    .await?;
    if taken == 1 {
        return Ok(None);
    }
    Ok(Some(
        k::table
            .find((tenant_id, key))
            .select((k::request_hash, k::response_status, k::response_body))
            .get_result(conn)
            .await?,
    ))
}

pub async fn record_response(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    key: &str,
    status: i32,
    body: &serde_json::Value,
) -> Result<(), MemoryError> {
    diesel::update(k::table.find((tenant_id, key)))
        .set((k::response_status.eq(status), k::response_body.eq(body)))
        .execute(conn)
        .await?;
    Ok(())
}
