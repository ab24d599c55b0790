use crate::schema::{tenants, users};
use crate::{MemoryError, NewTenant, Tenant, User};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Inserts a tenant and its first user.
pub async fn create(
    conn: &mut AsyncPgConnection,
    tenant: &NewTenant,
    user: &User,
) -> Result<(Tenant, User), MemoryError> {
    let t = diesel::insert_into(tenants::table)
        .values(tenant)
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await?;
    let u = diesel::insert_into(users::table)
        .values(user)
        .returning(User::as_returning())
        .get_result(conn)
        .await?;
    Ok((t, u))
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Tenant, MemoryError> {
    Ok(tenants::table
        .find(id)
        .select(Tenant::as_select())
        .get_result(conn)
        .await?)
}

pub async fn find_many<C>(conn: &mut C, ids: &[Uuid]) -> Result<Vec<Tenant>, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    Ok(tenants::table
        .filter(tenants::id.eq_any(ids))
        .select(Tenant::as_select())
        .load(conn)
        .await?)
}

/// Where tenant notifications go: the configured notification address,
/// else the owner's login email.
pub async fn notification_address(
    conn: &mut AsyncPgConnection,
    tenant: &Tenant,
) -> Result<Option<String>, MemoryError> {
    if let Some(e) = &tenant.notification_email {
        return Ok(Some(e.clone()));
    }
    Ok(users::table
        .filter(users::tenant_id.eq(tenant.id))
        .filter(users::role.eq("owner"))
        .order(users::created_at.asc())
        .select(users::email)
        .first(conn)
        .await
        .optional()?)
}

pub async fn update_settings(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    settings: &crate::TenantSettings,
) -> Result<Tenant, MemoryError> {
    Ok(diesel::update(tenants::table.find(id))
        .set((settings, tenants::updated_at.eq(chrono::Utc::now())))
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await?)
}
