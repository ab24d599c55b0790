//! The worker's hot path: what the steps of a batch of events read, and
//! what they wrote, each sent to PostgreSQL in one round trip of a few
//! statements for the whole batch. The statements are pipelined and run in
//! order, inside the caller's transaction, so the worker pays one round
//! trip for each instead of one per query and per event.

use super::leads::{self, LeadUpdate};
use super::suppressions::{self, Blocks};
use super::{logs, messages, outbox, tenants, workflows};
use crate::{AgentLog, Lead, MemoryError, Message, NewActionLog, Tenant, Transition, Workflow};
use diesel_async::AsyncPgConnection;
use futures::future::BoxFuture;
use shared_types::DomainEvent;
use std::collections::HashMap;
use uuid::Uuid;

/// What the steps of a batch of events read, the workflows locked.
pub struct Opened {
    /// In id order; one that does not exist is absent.
    pub workflows: Vec<Workflow>,
    /// One that does not exist is absent.
    pub leads: Vec<Lead>,
    /// The leads' tenants, each read once however many of its leads the
    /// batch holds; one that does not exist is absent.
    pub tenants: Vec<Tenant>,
    /// What each lead's tenant may not send it; absent when nothing.
    pub blocks: HashMap<Uuid, Blocks>,
}

/// Locks workflows `workflow_ids` for the transaction and reads leads
/// `lead_ids`, tenants `tenant_ids` and the suppressions of the leads'
/// addresses, in one round trip (the four queries pipelined).
pub async fn open(
    conn: &AsyncPgConnection,
    workflow_ids: &[Uuid],
    lead_ids: &[Uuid],
    tenant_ids: &[Uuid],
) -> Result<Opened, MemoryError> {
    let (mut c1, mut c2, mut c3, mut c4) = (conn, conn, conn, conn);
    let (workflows, leads, tenants, blocks) = futures::try_join!(
        workflows::lock_many(&mut c1, workflow_ids),
        leads::find_many(&mut c2, lead_ids),
        tenants::find_many(&mut c3, tenant_ids),
        suppressions::blocks_of_leads(&mut c4, lead_ids),
    )?;
    Ok(Opened {
        workflows,
        leads,
        tenants,
        blocks,
    })
}

pub struct StepWrites<'a> {
    /// The workflows as the steps left them.
    pub workflows: &'a [&'a Workflow],
    pub leads: &'a [LeadUpdate<'a>],
    pub transitions: &'a [Transition],
    pub agent_logs: &'a [AgentLog],
    pub messages: &'a [Message],
    pub events: &'a [DomainEvent],
    pub action_logs: &'a [NewActionLog],
}

/// Call inside a transaction, holding the workflows' row locks.
pub async fn record(conn: &AsyncPgConnection, w: StepWrites<'_>) -> Result<(), MemoryError> {
    let writes: [BoxFuture<'_, Result<(), MemoryError>>; 7] = [
        Box::pin(async move {
            let mut c = conn;
            leads::record_changes(&mut c, w.leads).await
        }),
        Box::pin(async move {
            let mut c = conn;
            workflows::save_all(&mut c, w.workflows).await
        }),
        Box::pin(async move {
            let mut c = conn;
            workflows::insert_transitions(&mut c, w.transitions).await
        }),
        Box::pin(async move {
            let mut c = conn;
            logs::insert_agent_logs(&mut c, w.agent_logs).await
        }),
        Box::pin(async move {
            let mut c = conn;
            messages::insert_all(&mut c, w.messages).await.map(drop)
        }),
        Box::pin(async move {
            let mut c = conn;
            outbox::enqueue(&mut c, w.events).await
        }),
        Box::pin(async move {
            let mut c = conn;
            logs::insert_action_logs(&mut c, w.action_logs).await
        }),
    ];
    futures::future::try_join_all(writes).await?;
    Ok(())
}
