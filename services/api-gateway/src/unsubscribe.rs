//! One-click unsubscribe (RFC 8058): the mail client POSTs to the
//! List-Unsubscribe URL; the visible link opens a page whose button POSTs.
//! A GET never unsubscribes, because mail scanners follow links.

use crate::error::ApiError;
use crate::state::AppState;
use memory::{MemoryError, repo};

/// The tenant and address a token names; 400 for a forged or mangled one.
fn verified(state: &AppState, token: &str) -> Result<(uuid::Uuid, String), ApiError> {
    state
        .unsubscribe
        .verify(token)
        .ok_or_else(|| ApiError::field("token", "is not a valid unsubscribe link"))
}

/// Checks a token without acting on it (the confirmation page).
pub fn check(state: &AppState, token: &str) -> Result<String, ApiError> {
    verified(state, token).map(|(_, email)| email)
}

/// Stops the tenant's marketing to the address at once: the worker checks
/// suppressions right before each send, in the sending transaction.
#[tracing::instrument(skip_all, fields(tenant.id))]
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<String, ApiError> {
    let (tenant_id, email) = verified(state, token)?;
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant_id));
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    // A token outlives nothing: a deleted tenant has no list to leave.
    repo::tenants::find(&mut conn, tenant_id)
        .await
        .map_err(|_| ApiError::field("token", "is not a valid unsubscribe link"))?;
    repo::suppressions::unsubscribe(&mut conn, tenant_id, &email).await?;
    tracing::info!("address unsubscribed");
    Ok(email)
}
