use super::lower;
use crate::MemoryError;
use crate::schema::suppressions;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use uuid::Uuid;

/// What a tenant's mail to one address may not be. Marketing stops on the
/// tenant's own unsubscribes and on any bounce or complaint; transactional
/// mail stops only on bounces and complaints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocks {
    pub marketing: bool,
    pub transactional: bool,
}

impl Blocks {
    /// Whether mail of this kind is blocked.
    pub fn mail(&self, marketing: bool) -> bool {
        if marketing {
            self.marketing
        } else {
            self.transactional
        }
    }

    /// Adds what one suppression row (its tenant, `None` for every tenant,
    /// and its reason) blocks for `tenant_id`.
    fn add(&mut self, tenant_id: Uuid, row_tenant: Option<Uuid>, reason: &str) {
        let undeliverable = matches!(reason, "bounced" | "complained");
        match row_tenant {
            None if undeliverable => {
                *self = Blocks {
                    marketing: true,
                    transactional: true,
                }
            }
            Some(t) if t == tenant_id => {
                self.marketing = true;
                self.transactional |= reason != "unsubscribed";
            }
            _ => {}
        }
    }
}

/// What tenant `tenant_id` may not send to `email`.
pub async fn blocks(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    email: &str,
) -> Result<Blocks, MemoryError> {
    let rows: Vec<(Option<Uuid>, String)> = suppressions::table
        .filter(lower(suppressions::email).eq(email.to_lowercase()))
        .select((suppressions::tenant_id, suppressions::reason))
        .load(conn)
        .await?;
    let mut b = Blocks::default();
    for (row_tenant, reason) in &rows {
        b.add(tenant_id, *row_tenant, reason);
    }
    Ok(b)
}

/// What each lead's tenant may not send to the lead's address, in one
/// statement; a lead missing from the map is not blocked.
pub async fn blocks_of_leads<C>(
    conn: &mut C,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Blocks>, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    use crate::schema::leads;
    let rows: Vec<(Uuid, Uuid, Option<Uuid>, String)> = leads::table
        .inner_join(suppressions::table.on(lower(suppressions::email).eq(lower(leads::email))))
        .filter(leads::id.eq_any(lead_ids))
        .filter(super::planned_per_call())
        .select((
            leads::id,
            leads::tenant_id,
            suppressions::tenant_id,
            suppressions::reason,
        ))
        .load(conn)
        .await?;
    let mut blocks: HashMap<Uuid, Blocks> = HashMap::new();
    for (lead, tenant, row_tenant, reason) in &rows {
        blocks
            .entry(*lead)
            .or_default()
            .add(*tenant, *row_tenant, reason);
    }
    Ok(blocks)
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
