//! The worker's hot path: what a step reads, and what the steps run for one
//! event wrote, each sent to PostgreSQL in one round trip. The statements
//! are pipelined and run in order, inside the caller's transaction, so the
//! worker pays one round trip for each instead of one per query.

use super::leads::{self, LeadChange};
use super::{logs, messages, outbox, workflows};
use crate::{AgentLog, Lead, MemoryError, Message, NewActionLog, Tenant, Transition, Workflow};
use diesel_async::AsyncPgConnection;
use futures::future::BoxFuture;
use shared_types::DomainEvent;
use uuid::Uuid;

/// Locks workflow `workflow_id` for the transaction and reads the lead and
/// tenant an event names, in one round trip (both queries pipelined).
pub async fn lock_with_lead(
    conn: &AsyncPgConnection,
    workflow_id: Uuid,
    tenant_id: Uuid,
    lead_id: Uuid,
) -> Result<(Workflow, Lead, Tenant), MemoryError> {
    let (mut c1, mut c2) = (conn, conn);
    let (wf, (lead, tenant)) = futures::try_join!(
        workflows::lock(&mut c1, workflow_id),
        leads::find_with_tenant(&mut c2, tenant_id, lead_id),
    )?;
    Ok((wf, lead, tenant))
}

pub struct StepWrites<'a> {
    /// The workflow as the steps left it; `None` when no step ran.
    pub workflow: Option<&'a Workflow>,
    pub lead: &'a LeadChange,
    pub transitions: &'a [Transition],
    pub agent_logs: &'a [AgentLog],
    pub messages: &'a [Message],
    pub events: &'a [DomainEvent],
    pub action_logs: &'a [NewActionLog],
}

/// Call inside a transaction, holding the workflow's row lock.
pub async fn record(conn: &AsyncPgConnection, w: StepWrites<'_>) -> Result<(), MemoryError> {
    let mut writes: Vec<BoxFuture<'_, Result<(), MemoryError>>> = Vec::with_capacity(7);
    if let Some(wf) = w.workflow {
        writes.push(Box::pin(async move {
            let mut c = conn;
            leads::record_change(&mut c, wf.tenant_id, wf.lead_id, w.lead).await
        }));
        writes.push(Box::pin(async move {
            let mut c = conn;
            workflows::save(&mut c, wf).await
        }));
    }
    writes.push(Box::pin(async move {
        let mut c = conn;
        workflows::insert_transitions(&mut c, w.transitions).await
    }));
    writes.push(Box::pin(async move {
        let mut c = conn;
        logs::insert_agent_logs(&mut c, w.agent_logs).await
    }));
    writes.push(Box::pin(async move {
        let mut c = conn;
        messages::insert_all(&mut c, w.messages).await.map(drop)
    }));
    writes.push(Box::pin(async move {
        let mut c = conn;
        outbox::enqueue(&mut c, w.events).await
    }));
    writes.push(Box::pin(async move {
        let mut c = conn;
        logs::insert_action_logs(&mut c, w.action_logs).await
    }));
    futures::future::try_join_all(writes).await?;
    Ok(())
}
