use crate::schema::api_keys;
use crate::{ApiKey, MemoryError};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub async fn insert(conn: &mut AsyncPgConnection, key: &ApiKey) -> Result<ApiKey, MemoryError> {
    Ok(diesel::insert_into(api_keys::table)
        .values(key)
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await?)
}

/// The tenant's keys that still work, newest first.
pub async fn active(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<Vec<ApiKey>, MemoryError> {
    Ok(api_keys::table
        .filter(api_keys::tenant_id.eq(tenant_id))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::created_at.desc())
        .select(ApiKey::as_select())
        .load(conn)
        .await?)
}

/// Revokes a key of the tenant; NotFound when it has no such live key.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(), MemoryError> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::tenant_id.eq(tenant_id))
        .filter(api_keys::id.eq(id))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    if n == 0 {
        return Err(MemoryError::NotFound);
    }
    Ok(())
}

/// The live key with this hash, marking it used.
pub async fn use_by_hash(
    conn: &mut AsyncPgConnection,
    key_hash: &str,
) -> Result<Option<ApiKey>, MemoryError> {
    Ok(diesel::update(api_keys::table)
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::last_used_at.eq(Utc::now()))
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}
