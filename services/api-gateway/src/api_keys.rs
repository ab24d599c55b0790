//! Tenant API keys: `gos_` + 32 random bytes, shown once, stored as a
//! SHA-256 hash (the key is random, so a slow hash adds nothing), revocable.

use crate::access::{self, Gate};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use memory::{ApiKey, MemoryError, repo};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared_types::ProductSlug;
use uuid::Uuid;

const PREFIX: &str = "gos_";

/// What a key may do: everything a tenant's scripts need, or only create
/// leads (safe to embed in a public web form).
const SCOPES: [&str; 2] = ["full", "leads:create"];

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewKeyInput {
    pub name: Option<String>,
    /// `full` (default) or `leads:create`.
    pub scope: Option<String>,
}

/// Keys act for the whole tenant, so only its owner hands them out.
fn owner_only(auth: &Auth) -> Result<(), ApiError> {
    if auth.role == "owner" {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the account owner manages API keys".into(),
        ))
    }
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a key; the returned string is the only time it is visible.
pub async fn create(
    state: &AppState,
    auth: &Auth,
    input: NewKeyInput,
) -> Result<(ApiKey, String), ApiError> {
    owner_only(auth)?;
    let name = input.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field("name", "must be 1 to 100 characters"));
    }
    let scope = input.scope.as_deref().unwrap_or("full");
    if !SCOPES.contains(&scope) {
        return Err(ApiError::field("scope", "must be full or leads:create"));
    }
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let key = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    let row = ApiKey {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        name: name.to_owned(),
        key_hash: hash(&key),
        key_prefix: key[..PREFIX.len() + 6].to_owned(),
        scope: scope.to_owned(),
        created_at: chrono::Utc::now(),
        last_used_at: None,
        revoked_at: None,
    };
    let row = repo::api_keys::insert(&mut conn, &row).await?;
    Ok((row, key))
}

pub async fn list(state: &AppState, auth: &Auth) -> Result<Vec<ApiKey>, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    Ok(repo::api_keys::active(&mut conn, tenant.id).await?)
}

pub async fn revoke(state: &AppState, auth: &Auth, id: Uuid) -> Result<(), ApiError> {
    owner_only(auth)?;
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    Ok(repo::api_keys::revoke(&mut conn, tenant.id, id).await?)
}

/// The tenant and product a presented key belongs to; 401 for anything
/// that is not a live key.
pub async fn authenticate(state: &AppState, key: &str) -> Result<(Uuid, ProductSlug), ApiError> {
    if !key.starts_with(PREFIX) || key.len() > 100 {
        return Err(ApiError::Unauthorized);
    }
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let row = repo::api_keys::use_by_hash(&mut conn, &hash(key))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let tenant = repo::tenants::find(&mut conn, row.tenant_id).await?;
    let product = tenant
        .product
        .parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((tenant.id, product))
}
