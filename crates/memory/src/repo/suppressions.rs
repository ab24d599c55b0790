use super::lower;
use crate::MemoryError;
use crate::schema::suppressions;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Whether mail of this kind may not go to `email` for `tenant_id`.
/// Marketing stops on the tenant's own unsubscribes and on any bounce or
/// complaint; transactional mail stops only on bounces and complaints.
pub async fn blocks(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    email: &str,
    marketing: bool,
) -> Result<bool, MemoryError> {
    let global = suppressions::tenant_id
        .is_null()
        .and(suppressions::reason.eq_any(["bounced", "complained"]));
    // One statement for both kinds (a bound flag, not two query shapes), so
    // it is prepared once per connection: it runs for every email sent.
    let own = suppressions::tenant_id.eq(tenant_id).and(
        suppressions::reason
            .ne("unsubscribed")
            .or(marketing.into_sql::<diesel::sql_types::Bool>()),
    );
    let matching = suppressions::table
        .filter(lower(suppressions::email).eq(email.to_lowercase()))
        .filter(global.or(own));
    Ok(
        diesel::select(diesel::dsl::exists(matching.select(suppressions::id)))
            .get_result(conn)
            .await?,
    )
}

/// Records that `email` unsubscribed from the tenant's marketing; doing it
/// twice changes nothing.
pub async fn unsubscribe(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    email: &str,
) -> Result<(), MemoryError> {
    diesel::insert_into(suppressions::table)
        .values((
            suppressions::id.eq(Uuid::new_v4()),
            suppressions::tenant_id.eq(Some(tenant_id)),
            suppressions::email.eq(email.to_lowercase()),
            suppressions::reason.eq("unsubscribed"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Why an address gets no more mail from any tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalReason {
    /// A hard (permanent) bounce: the mailbox does not exist.
    Bounced,
    /// The recipient marked our mail as spam.
    Complained,
}

/// Stops all mail to `email` for every tenant (a row with no tenant);
/// doing it twice changes nothing. Returns whether the row is new.
pub async fn block_everywhere(
    conn: &mut AsyncPgConnection,
    email: &str,
    reason: GlobalReason,
) -> Result<bool, MemoryError> {
    let n = diesel::insert_into(suppressions::table)
        .values((
            suppressions::id.eq(Uuid::new_v4()),
            suppressions::tenant_id.eq(None::<Uuid>),
            suppressions::email.eq(email.to_lowercase()),
            suppressions::reason.eq(match reason {
                GlobalReason::Bounced => "bounced",
                GlobalReason::Complained => "complained",
            }),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}
