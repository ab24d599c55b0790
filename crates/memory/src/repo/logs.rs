use crate::schema::{action_logs, agent_logs};
use crate::{AgentLog, MemoryError, NewActionLog, NewAgentLog};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub async fn insert_agent_logs<C>(conn: &mut C, logs: &[NewAgentLog]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if logs.is_empty() {
        return Ok(());
    }
    diesel::insert_into(agent_logs::table)
        .values(logs)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_action_logs<C>(conn: &mut C, logs: &[NewActionLog]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if logs.is_empty() {
        return Ok(());
    }
    diesel::insert_into(action_logs::table)
        .values(logs)
        .execute(conn)
        .await?;
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
