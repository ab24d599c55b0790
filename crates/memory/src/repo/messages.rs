use crate::schema::messages;
use crate::{MemoryError, Message};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Stores a message; an outbound message whose (workflow, step) is already
/// stored is left as it was and `false` is returned.
pub async fn insert(conn: &mut AsyncPgConnection, m: &Message) -> Result<bool, MemoryError> {
    Ok(insert_all(conn, std::slice::from_ref(m)).await? == 1)
}

/// Stores messages; one already stored for its (workflow, step key) is
/// left as it is. Returns how many were new.
pub async fn insert_all<C>(conn: &mut C, rows: &[Message]) -> Result<usize, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(diesel::insert_into(messages::table)
        .values(rows)
        .on_conflict((messages::workflow_id, messages::step_key))
        .do_nothing()
        .execute(conn)
        .await?)
}

pub async fn for_lead(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    lead_id: Uuid,
) -> Result<Vec<Message>, MemoryError> {
    Ok(messages::table
        .filter(messages::tenant_id.eq(tenant_id))
        .filter(messages::lead_id.eq(lead_id))
        .order(messages::created_at.asc())
        .select(Message::as_select())
        .load(conn)
        .await?)
}

/// Emails the outbox mailer stored instead of sending, newest first.
pub async fn outbox_emails(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> Result<Vec<Message>, MemoryError> {
    Ok(messages::table
        .filter(messages::provider.eq("outbox"))
        .order(messages::created_at.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)
        .await?)
}
