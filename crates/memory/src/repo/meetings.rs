use crate::schema::meetings;
use crate::{Meeting, MemoryError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Inserts a meeting. An overlap with another live meeting of the tenant is
/// refused by the exclusion constraint: see `MemoryError::is_overlap`.
pub async fn insert(conn: &mut AsyncPgConnection, m: &Meeting) -> Result<Meeting, MemoryError> {
    Ok(diesel::insert_into(meetings::table)
        .values(m)
        .returning(Meeting::as_returning())
        .get_result(conn)
        .await?)
}

/// Live meetings of the tenant that overlap [from, to).
pub async fn busy_between(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, MemoryError> {
    Ok(meetings::table
        .filter(meetings::tenant_id.eq(tenant_id))
        .filter(meetings::status.ne("cancelled"))
        .filter(meetings::starts_at.lt(to))
        .filter(meetings::ends_at.gt(from))
        .select((meetings::starts_at, meetings::ends_at))
        .load(conn)
        .await?)
}

pub async fn for_workflow(
    conn: &mut AsyncPgConnection,
    workflow_id: Uuid,
) -> Result<Option<Meeting>, MemoryError> {
    Ok(meetings::table
        .filter(meetings::workflow_id.eq(workflow_id))
        .filter(meetings::status.ne("cancelled"))
        .select(Meeting::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn for_lead(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    lead_id: Uuid,
) -> Result<Vec<Meeting>, MemoryError> {
    Ok(meetings::table
        .filter(meetings::tenant_id.eq(tenant_id))
        .filter(meetings::lead_id.eq(lead_id))
        .order(meetings::starts_at.asc())
        .select(Meeting::as_select())
        .load(conn)
        .await?)
}

/// Serializes bookings of one tenant until the transaction ends, so each
/// booking sees the meetings booked just before it. The exclusion
/// constraint stays the guarantee; this only spares needless conflicts.
pub async fn lock_calendar(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<(), MemoryError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 42))")
        .bind::<diesel::sql_types::Uuid, _>(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(), MemoryError> {
    diesel::delete(
        meetings::table
            .filter(meetings::tenant_id.eq(tenant_id))
            .filter(meetings::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the tenant's meeting until the transaction ends, so two deliveries
/// of its reminder run one after the other; `None` when it is gone.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Meeting>, MemoryError> {
    Ok(meetings::table
        .filter(meetings::tenant_id.eq(tenant_id))
        .filter(meetings::id.eq(id))
        .select(Meeting::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn mark_reminder_sent(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), MemoryError> {
    diesel::update(
        meetings::table
            .filter(meetings::tenant_id.eq(tenant_id))
            .filter(meetings::id.eq(id)),
    )
    .set(meetings::reminder_sent_at.eq(at))
    .execute(conn)
    .await?;
    Ok(())
}
