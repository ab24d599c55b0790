use crate::schema::leads;
use crate::{Lead, MemoryError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz};
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

diesel::define_sql_function! {
    fn coalesce(x: Nullable<Timestamptz>, y: Nullable<Timestamptz>) -> Nullable<Timestamptz>;
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

#[derive(AsChangeset)]
#[diesel(table_name = leads)]
struct ScoredStatus<'a> {
    status: Option<&'a str>,
    score: Option<i32>,
    qualification_reason: Option<&'a str>,
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

/// Writes a `LeadChange` in one statement. The columns are merged in SQL,
/// not copied from memory, because the lead is not locked by the workflow
/// (the tenant may close it meanwhile). Does nothing for an empty change.
pub async fn record_change<C>(
    conn: &mut C,
    tenant_id: Uuid,
    id: Uuid,
    change: &LeadChange,
) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if change.is_empty() {
        return Ok(());
    }
    let scored = ScoredStatus {
        status: change.status.as_deref(),
        score: change.score,
        qualification_reason: change.qualification_reason.as_deref(),
    };
    diesel::update(leads::table)
        .filter(leads::tenant_id.eq(tenant_id))
        .filter(leads::id.eq(id))
        .set((
            scored,
            leads::first_action_at.eq(coalesce(leads::first_action_at, change.acted_at)),
            leads::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The lead and its tenant in one round trip. The lead is fetched by its
/// primary key alone and its tenant checked here: with a tenant condition in
/// SQL, PostgreSQL's cached generic plan (made while the table was small)
/// walked all the tenant's leads through a tenant-wide index instead.
pub async fn find_with_tenant<C>(
    conn: &mut C,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(Lead, crate::Tenant), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    use crate::schema::tenants;
    let (lead, tenant): (Lead, crate::Tenant) = leads::table
        .inner_join(tenants::table)
        .filter(leads::id.eq(id))
        .select((Lead::as_select(), crate::Tenant::as_select()))
        .get_result(conn)
        .await?;
    if lead.tenant_id != tenant_id {
        return Err(MemoryError::NotFound);
    }
    Ok((lead, tenant))
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
