//! Development-only conveniences (absent in production): an active tenant
//! in one call, and the emails the outbox mailer stored instead of sending.

use crate::error::ApiError;
use crate::state::AppState;
use diesel_async::AsyncConnection;
use memory::{MemoryError, NewTenant, Tenant, User, repo};
use serde::Deserialize;
use serde_json::{Value, json};
use shared_types::{LeadEmail, ProductSlug};
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootstrapInput {
    pub tenant_name: Option<String>,
    pub user_email: Option<String>,
    pub product: Option<String>,
}

pub struct Bootstrapped {
    pub tenant: Tenant,
    pub user: User,
    pub token: String,
}

pub async fn bootstrap(state: &AppState, input: BootstrapInput) -> Result<Bootstrapped, ApiError> {
    let product = match input.product.as_deref() {
        None => ProductSlug::Booker,
        Some(p) => p.parse().map_err(|_| {
            ApiError::field(
                "product",
                "must be saas-booker, saas-leadqualifier or saas-followup",
            )
        })?,
    };
    let name = input
        .tenant_name
        .unwrap_or_else(|| "Demo Plumbing Co".into());
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(ApiError::field("tenantName", "must be 1 to 200 characters"));
    }
    let tenant_id = Uuid::new_v4();
    let email = match input.user_email {
        Some(e) => LeadEmail::parse(&e)
            .map_err(|p| ApiError::field("userEmail", p))?
            .as_str()
            .to_owned(),
        None => format!("owner+{}@example.com", tenant_id.simple()),
    };
    let new_tenant = NewTenant {
        id: tenant_id,
        name: name.trim().to_owned(),
        product: product.to_string(),
        subscription_status: "active".into(),
        timezone: "UTC".into(),
        notification_email: Some(email.clone()),
    };
    let user = User {
        id: Uuid::new_v4(),
        tenant_id,
        product: product.to_string(),
        email,
        // No password login for bootstrap users: "!" matches no hash.
        password_hash: "!".into(),
        role: "owner".into(),
        created_at: chrono::Utc::now(),
    };
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let (tenant, user) = conn
        .transaction(async |c| repo::tenants::create(c, &new_tenant, &user).await)
        .await?;
    let token = state.jwt.issue(user.id, tenant.id, product, &user.role);
    Ok(Bootstrapped {
        tenant,
        user,
        token,
    })
}

/// Stored outbox emails, newest first.
pub async fn outbox(state: &AppState, limit: i64) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let emails: Vec<Value> = repo::messages::outbox_emails(&mut conn, limit)
        .await?
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id, "tenantId": m.tenant_id, "leadId": m.lead_id, "workflowId": m.workflow_id,
                "kind": m.kind, "to": m.to_address, "from": m.from_address, "subject": m.subject,
                "text": m.content, "createdAt": m.created_at,
            })
        })
        .collect();
    Ok(json!({ "emails": emails }))
}
