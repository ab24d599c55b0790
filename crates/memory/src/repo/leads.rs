use crate::schema::leads;
use crate::{Lead, MemoryError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Lead, MemoryError> {
    Ok(leads::table
        .filter(leads::tenant_id.eq(tenant_id))
        .filter(leads::id.eq(id))
        .select(Lead::as_select())
        .get_result(conn)
        .await?)
}

/// The tenant's lead, locked until the transaction ends, so replies and
/// status changes to one lead apply one at a time.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Lead, MemoryError> {
    Ok(leads::table
        .filter(leads::tenant_id.eq(tenant_id))
        .filter(leads::id.eq(id))
        .select(Lead::as_select())
        .for_update()
        .get_result(conn)
        .await?)
}

/// Newest first, keyset-paginated on (created_at, id) so pages stay stable
/// while leads keep arriving.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    status: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Lead>, MemoryError> {
    let mut q = leads::table
        .filter(leads::tenant_id.eq(tenant_id))
        .select(Lead::as_select())
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(leads::status.eq(s.to_owned()));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            leads::created_at
                .lt(at)
                .or(leads::created_at.eq(at).and(leads::id.lt(id))),
        );
    }
    Ok(q.load(conn).await?)
}

pub async fn set_status(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
    status: &str,
) -> Result<(), MemoryError> {
    diesel::update(leads::table)
        .filter(leads::tenant_id.eq(tenant_id))
        .filter(leads::id.eq(id))
        .set((
            leads::status.eq(status),
            leads::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// What the steps run for one event change on their lead. A later step's
/// status, score and reason win; the first real action's time (email
/// accepted, meeting booked) is kept, as later actions leave it alone
/// (speed-to-lead).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadChange {
    pub status: Option<String>,
    pub score: Option<i32>,
    pub qualification_reason: Option<String>,
    pub acted_at: Option<DateTime<Utc>>,
}

impl LeadChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// This change followed by `later`.
    pub fn then(&mut self, later: LeadChange) {
        self.status = later.status.or(self.status.take());
        self.score = later.score.or(self.score);
        self.qualification_reason = later
            .qualification_reason
            .or(self.qualification_reason.take());
        self.acted_at = self.acted_at.or(later.acted_at);
    }

    /// The lead as it reads once the change is written.
    pub fn apply(&self, lead: &mut Lead) {
        if let Some(s) = &self.status {
            lead.status = s.clone();
        }
        if let Some(score) = self.score {
            lead.score = Some(score);
        }
        if let Some(r) = &self.qualification_reason {
            lead.qualification_reason = Some(r.clone());
        }
        lead.first_action_at = lead.first_action_at.or(self.acted_at);
    }
}

/// The change the steps made to one lead of a tenant.
pub struct LeadUpdate<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub change: &'a LeadChange,
}

/// Writes the changes of many leads in one statement (empty changes are
/// skipped). The columns are merged in SQL, not copied from memory, because
/// the lead is not locked by the workflow (the tenant may close it
/// meanwhile). Rows are written in id order, the order every batch takes
/// their locks in.
pub async fn record_changes<C>(conn: &mut C, updates: &[LeadUpdate<'_>]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    let mut updates: Vec<&LeadUpdate> = updates.iter().filter(|u| !u.change.is_empty()).collect();
    if updates.is_empty() {
        return Ok(());
    }
    updates.sort_by_key(|u| u.id);
    diesel::sql_query(
        "UPDATE leads AS l SET status = COALESCE(v.status, l.status), \
         score = COALESCE(v.score, l.score), \
         qualification_reason = COALESCE(v.reason, l.qualification_reason), \
         first_action_at = COALESCE(l.first_action_at, v.acted_at), updated_at = now() \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[], $5::text[], $6::timestamptz[]) \
         AS v(id, tenant_id, status, score, reason, acted_at) \
         WHERE l.id = v.id AND l.tenant_id = v.tenant_id",
    )
    .bind::<Array<SqlUuid>, _>(updates.iter().map(|u| u.id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(updates.iter().map(|u| u.tenant_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        updates.iter().map(|u| u.change.status.as_deref()).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Int4>>, _>(updates.iter().map(|u| u.change.score).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        updates
            .iter()
            .map(|u| u.change.qualification_reason.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(
        updates.iter().map(|u| u.change.acted_at).collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The leads `ids`, in one statement; those missing are absent. They are
/// fetched by primary key alone: the caller checks each belongs to the
/// tenant it expects.
pub async fn find_many<C>(conn: &mut C, ids: &[Uuid]) -> Result<Vec<Lead>, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    Ok(leads::table
        .filter(leads::id.eq_any(ids))
        .filter(super::planned_per_call())
        .select(Lead::as_select())
        .load(conn)
        .await?)
}

/// Sets one top-level key of the lead's metadata, leaving the others.
pub async fn merge_metadata(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
    key: &str,
    value: &serde_json::Value,
) -> Result<(), MemoryError> {
    use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
    diesel::sql_query(
        "UPDATE leads SET metadata = metadata || jsonb_build_object($1::text, $2::jsonb), \
         updated_at = now() WHERE tenant_id = $3 AND id = $4",
    )
    .bind::<Text, _>(key)
    .bind::<Jsonb, _>(value)
    .bind::<SqlUuid, _>(tenant_id)
    .bind::<SqlUuid, _>(id)
    .execute(conn)
    .await?;
    Ok(())
}
