//! Writing new leads, their workflows and their first events.

use crate::schema::{leads, workflows};
use crate::{Lead, MemoryError, NewLead, NewWorkflow};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::TryFutureExt;
use shared_types::DomainEvent;
use std::collections::HashMap;
use uuid::Uuid;

/// Three multi-row inserts, pipelined: sent together, executed in order by
/// PostgreSQL (so the foreign keys hold), one round trip for any number of
/// leads. `workflows[i]` and `events[i]` belong to `leads[i]`; the stored
/// leads come back in that order. Call inside a transaction.
pub async fn insert_leads(
    conn: &AsyncPgConnection,
    leads: &[NewLead],
    workflows: &[NewWorkflow],
    events: &[DomainEvent],
) -> Result<Vec<Lead>, MemoryError> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let (mut c1, mut c2, mut c3) = (conn, conn, conn);
    let insert_leads = diesel::insert_into(leads::table)
        .values(leads)
        .returning(Lead::as_returning())
        .get_results::<Lead>(&mut c1)
        .map_err(MemoryError::from);
    let insert_workflows = diesel::insert_into(workflows::table)
        .values(workflows)
        .execute(&mut c2)
        .map_err(MemoryError::from);
    let insert_events = super::outbox::enqueue(&mut c3, events);
    let (stored, _, _) = futures::try_join!(insert_leads, insert_workflows, insert_events)?;
    // RETURNING's order is not promised: match the rows up by id.
    let mut stored: HashMap<Uuid, Lead> = stored.into_iter().map(|l| (l.id, l)).collect();
    leads
        .iter()
        .map(|l| stored.remove(&l.id).ok_or(MemoryError::NotFound))
        .collect()
}
