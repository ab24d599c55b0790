use super::unnest::unnest_insert;
use crate::schema::agent_logs;
use crate::{AgentLog, JsonText, MemoryError, NewActionLog};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

unnest_insert! {
    InsertAgentLogs<AgentLog> into "agent_logs" {
        id: SqlUuid => Uuid = |r| r.id,
        tenant_id: SqlUuid => Uuid = |r| r.tenant_id,
        workflow_id: SqlUuid => Uuid = |r| r.workflow_id,
        lead_id: SqlUuid => Uuid = |r| r.lead_id,
        agent_type: Text => &'a str = |r| &r.agent_type,
        implementation: Text => &'a str = |r| &r.implementation,
        model: Nullable<Text> => Option<&'a str> = |r| r.model.as_deref(),
        rule_version: Nullable<Text> => Option<&'a str> = |r| r.rule_version.as_deref(),
        input: Jsonb => &'a JsonText = |r| &r.input,
        output: Nullable<Jsonb> => Option<&'a JsonText> = |r| r.output.as_ref(),
        duration_ms: Int4 => i32 = |r| r.duration_ms,
        success: Bool => bool = |r| r.success,
        fallback: Bool => bool = |r| r.fallback,
        error: Nullable<Text> => Option<&'a str> = |r| r.error.as_deref(),
        created_at: Timestamptz => DateTime<Utc> = |r| r.created_at,
    }
}

unnest_insert! {
    InsertActionLogs<NewActionLog> into "action_logs" {
        id: SqlUuid => Uuid = |r| r.id,
        tenant_id: SqlUuid => Uuid = |r| r.tenant_id,
        workflow_id: Nullable<SqlUuid> => Option<Uuid> = |r| r.workflow_id,
        lead_id: Nullable<SqlUuid> => Option<Uuid> = |r| r.lead_id,
        action_type: Text => &'a str = |r| &r.action_type,
        provider: Text => &'a str = |r| &r.provider,
        idempotency_key: Nullable<Text> => Option<&'a str> = |r| r.idempotency_key.as_deref(),
        request: Jsonb => &'a JsonText = |r| &r.request,
        response: Nullable<Jsonb> => Option<&'a JsonText> = |r| r.response.as_ref(),
        status_code: Nullable<Int4> => Option<i32> = |r| r.status_code,
        success: Bool => bool = |r| r.success,
        error: Nullable<Text> => Option<&'a str> = |r| r.error.as_deref(),
        duration_ms: Int4 => i32 = |r| r.duration_ms,
    }
}

pub async fn insert_agent_logs<C>(conn: &mut C, logs: &[AgentLog]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if logs.is_empty() {
        return Ok(());
    }
    InsertAgentLogs::new(logs).execute(conn).await?;
    Ok(())
}

pub async fn insert_action_logs<C>(conn: &mut C, logs: &[NewActionLog]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if logs.is_empty() {
        return Ok(());
    }
    InsertActionLogs::new(logs).execute(conn).await?;
    Ok(())
}

pub async fn agent_logs_for(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    workflow_ids: &[Uuid],
) -> Result<Vec<AgentLog>, MemoryError> {
    Ok(agent_logs::table
        .filter(agent_logs::tenant_id.eq(tenant_id))
        .filter(agent_logs::workflow_id.eq_any(workflow_ids))
        .order(agent_logs::created_at.asc())
        .select(AgentLog::as_select())
        .load(conn)
        .await?)
}
