//! The transactional outbox: events are written in the same transaction as
//! the state change that caused them, relayed to Redis afterwards, and then
//! taken out: the outbox is a hand-off, not history (transitions and logs
//! are the history).

use super::unnest::unnest_insert;
use crate::schema::outbox;
use crate::{JsonText, MemoryError, OutboxRow};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared_types::DomainEvent;
use uuid::Uuid;

unnest_insert! {
    Enqueue<DomainEvent> into "outbox" {
        id: SqlUuid => Uuid = |e| e.id,
        tenant_id: Nullable<SqlUuid> => Option<Uuid> = |e| Some(e.tenant_id),
        event_type: Text => &'a str = |e| e.event_type.as_str(),
        envelope: Jsonb => JsonText = |e| envelope_of(e),
    }
}

/// An event's outbox envelope: its JSON text, written to the jsonb column
/// as it is (no JSON tree built on the way).
pub(crate) fn envelope_of(event: &DomainEvent) -> JsonText {
    JsonText(
        serde_json::to_string(event)
            .expect("events serialize")
            .into(),
    )
}

/// Enqueues `events` in one statement (a step usually emits two or three).
pub async fn enqueue<C>(conn: &mut C, events: &[DomainEvent]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if events.is_empty() {
        return Ok(());
    }
    Enqueue::new(events).execute(conn).await?;
    Ok(())
}

/// Enqueues `event` unless an event with its id is already in the outbox
/// (published or not); returns whether it was added. With an id derived
/// from what the event is about, a job that runs again publishes nothing new:
/// such a row stays after publishing (see `settle_published`) until purged.
pub async fn enqueue_once(
    conn: &mut AsyncPgConnection,
    event: &DomainEvent,
) -> Result<bool, MemoryError> {
    let n = diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(event.id),
            outbox::tenant_id.eq(event.tenant_id),
            outbox::event_type.eq(event.event_type.as_str()),
            outbox::envelope.eq(envelope_of(event)),
            outbox::keep_published.eq(true),
        ))
        .on_conflict(outbox::id)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Oldest unpublished rows created before `created_before`, locked so
/// concurrent relays take disjoint sets. Call inside a transaction.
pub async fn claim_unpublished(
    conn: &mut AsyncPgConnection,
    created_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, MemoryError> {
    Ok(outbox::table
        .filter(outbox::published_at.is_null())
        .filter(outbox::created_at.lt(created_before))
        .order(outbox::created_at.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await?)
}

/// Takes published events out of the outbox: deleted, except the ones
/// `enqueue_once` added, which are stamped published and kept for the purge.
pub async fn settle_published(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<(), MemoryError> {
    let deleted = diesel::delete(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::keep_published.eq(false))
            .filter(super::planned_per_call()),
    )
    .execute(conn)
    .await?;
    // Lead and workflow events are all deleted: their settling is one
    // statement (outside a transaction, one commit), not two.
    if deleted == ids.len() {
        return Ok(());
    }
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::keep_published)
            .filter(super::planned_per_call()),
    )
    .set(outbox::published_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn unpublished_count(conn: &mut AsyncPgConnection) -> Result<i64, MemoryError> {
    Ok(outbox::table
        .filter(outbox::published_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}

/// Deletes up to `limit` kept events published before `before`: after a
/// day, no job run can enqueue them again.
pub async fn purge_published(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<usize, MemoryError> {
    let ids: Vec<Uuid> = outbox::table
        .filter(outbox::published_at.lt(before))
        .select(outbox::id)
        .limit(limit)
        .load(conn)
        .await?;
    Ok(
        diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids)))
            .execute(conn)
            .await?,
    )
}
