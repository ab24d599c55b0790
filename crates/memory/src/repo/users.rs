use super::lower;
use crate::schema::users;
use crate::{MemoryError, User};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The account registered with `email` (any case) on `product`.
pub async fn find_by_email(
    conn: &mut AsyncPgConnection,
    product: &str,
    email: &str,
) -> Result<Option<User>, MemoryError> {
    // Matches the unique index users_product_email_key (product, lower(email)).
    Ok(users::table
        .filter(users::product.eq(product))
        .filter(lower(users::email).eq(lower(email)))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant_id: uuid::Uuid,
    id: uuid::Uuid,
) -> Result<User, MemoryError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq(id))
        .select(User::as_select())
        .first(conn)
        .await?)
}
