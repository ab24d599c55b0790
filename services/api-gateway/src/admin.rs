//! Operators' routes under /internal, behind `X-Admin-Secret`: 404 when no
//! ADMIN_SECRET is configured (the routes do not exist then), 401 when the
//! header is missing or wrong. The comparison is constant-time.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use core_engine::PaymentMode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use memory::schema::tenants;
use memory::{MemoryError, Tenant};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const ADMIN_HEADER: &str = "x-admin-secret";

/// Proof that the request carries the admin secret. Put it first among a
/// handler's extractors.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth;

fn check(req: &HttpRequest) -> Result<AdminAuth, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState registered");
    let Some(secret) = &state.admin_secret else {
        return Err(ApiError::NoRoute);
    };
    let given = req
        .headers()
        .get(ADMIN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    // Digests first, so the comparison does not even reveal the length.
    let matches = Sha256::digest(given).ct_eq(&Sha256::digest(secret.expose_secret().as_bytes()));
    if bool::from(matches) && !given.is_empty() {
        Ok(AdminAuth)
    } else {
        Err(ApiError::Unauthorized)
    }
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check(req))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivateInput {
    pub tenant_id: Option<String>,
}

/// Manual activation mode: the tenant becomes `active`. In stripe mode the
/// route does not exist (404): Stripe decides who is active there.
#[tracing::instrument(skip_all, fields(tenant.id))]
pub async fn activate_tenant(state: &AppState, input: ActivateInput) -> Result<Tenant, ApiError> {
    if state.payment_mode != PaymentMode::Manual {
        return Err(ApiError::NoRoute);
    }
    let tenant_id: Uuid = input
        .tenant_id
        .as_deref()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| ApiError::field("tenantId", "must be a tenant id (uuid)"))?;
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant_id));
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let now = Utc::now();
    let tenant = diesel::update(tenants::table.find(tenant_id))
        .set((
            tenants::subscription_status.eq("active"),
            tenants::subscription_updated_at.eq(now),
            tenants::updated_at.eq(now),
        ))
        .returning(Tenant::as_returning())
        .get_result(&mut conn)
        .await
        .map_err(MemoryError::from)?;
    tracing::info!("tenant activated by an administrator");
    Ok(tenant)
}
