//! Writing new leads, their workflows and their first events.

use crate::schema::{leads, workflows};
use crate::{MemoryError, NewLead, NewWorkflow};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::TryFutureExt;
use shared_types::DomainEvent;

/// Three multi-row inserts, pipelined: sent together, executed in order by
/// PostgreSQL (so the foreign keys hold), one round trip for any number of
/// leads. Nothing is read back: `NewLead` holds every column of the row.
/// Call inside a transaction.
pub async fn insert_leads(
    conn: &AsyncPgConnection,
    leads: &[NewLead],
    workflows: &[NewWorkflow],
    events: &[DomainEvent],
) -> Result<(), MemoryError> {
    if leads.is_empty() {
        return Ok(());
    }
    let (mut c1, mut c2, mut c3) = (conn, conn, conn);
    let insert_leads = diesel::insert_into(leads::table)
        .values(leads)
        .execute(&mut c1)
        .map_err(MemoryError::from);
    let insert_workflows = diesel::insert_into(workflows::table)
        .values(workflows)
        .execute(&mut c2)
        .map_err(MemoryError::from);
    let insert_events = super::outbox::enqueue(&mut c3, events);
    futures::try_join!(insert_leads, insert_workflows, insert_events)?;
    Ok(())
}
