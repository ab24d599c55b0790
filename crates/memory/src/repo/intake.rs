//! Writing a new lead, its workflow and its first event.

use crate::schema::{leads, outbox, workflows};
use crate::{Lead, MemoryError, NewLead, NewWorkflow, Workflow};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared_types::DomainEvent;

/// The three inserts are pipelined: sent together, executed in order by
/// PostgreSQL (so the foreign keys hold), one round trip instead of three.
/// Call inside a transaction.
pub async fn insert_lead(
    conn: &AsyncPgConnection,
    lead: &NewLead,
    workflow: &NewWorkflow,
    event: &DomainEvent,
) -> Result<(Lead, Workflow), MemoryError> {
    let (mut c1, mut c2, mut c3) = (conn, conn, conn);
    let envelope = serde_json::to_value(event).expect("events serialize");
    let insert_lead = diesel::insert_into(leads::table)
        .values(lead)
        .returning(Lead::as_returning())
        .get_result::<Lead>(&mut c1);
    let insert_workflow = diesel::insert_into(workflows::table)
        .values(workflow)
        .returning(Workflow::as_returning())
        .get_result::<Workflow>(&mut c2);
    let insert_event = diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(event.id),
            outbox::tenant_id.eq(event.tenant_id),
            outbox::event_type.eq(event.event_type.as_str()),
            outbox::envelope.eq(envelope),
        ))
        .execute(&mut c3);
    let (lead, workflow, _) = futures::try_join!(insert_lead, insert_workflow, insert_event)?;
    Ok((lead, workflow))
}
