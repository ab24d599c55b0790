use super::unnest::unnest_insert;
use crate::schema::messages;
use crate::{MemoryError, Message};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

unnest_insert! {
    InsertMessages<Message> into "messages", "ON CONFLICT (workflow_id, step_key) DO NOTHING" {
        id: SqlUuid => Uuid = |r| r.id,
        tenant_id: SqlUuid => Uuid = |r| r.tenant_id,
        lead_id: SqlUuid => Uuid = |r| r.lead_id,
        workflow_id: Nullable<SqlUuid> => Option<Uuid> = |r| r.workflow_id,
        direction: Text => &'a str = |r| &r.direction,
        channel: Text => &'a str = |r| &r.channel,
        kind: Text => &'a str = |r| &r.kind,
        to_address: Nullable<Text> => Option<&'a str> = |r| r.to_address.as_deref(),
        from_address: Nullable<Text> => Option<&'a str> = |r| r.from_address.as_deref(),
        subject: Nullable<Text> => Option<&'a str> = |r| r.subject.as_deref(),
        content: Text => &'a str = |r| &r.content,
        html: Nullable<Text> => Option<&'a str> = |r| r.html.as_deref(),
        step_key: Nullable<Text> => Option<&'a str> = |r| r.step_key.as_deref(),
        status: Text => &'a str = |r| &r.status,
        provider: Nullable<Text> => Option<&'a str> = |r| r.provider.as_deref(),
        provider_message_id: Nullable<Text> => Option<&'a str> = |r| r.provider_message_id.as_deref(),
        created_at: Timestamptz => DateTime<Utc> = |r| r.created_at,
    }
}

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
    Ok(InsertMessages::new(rows).execute(conn).await?)
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
