use super::unnest::unnest_insert;
use crate::schema::{workflow_transitions, workflows};
use crate::{MemoryError, Transition, Workflow};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

unnest_insert! {
    InsertTransitions<Transition> into "workflow_transitions" {
        id: diesel::sql_types::Uuid => Uuid = |t| t.id,
        tenant_id: diesel::sql_types::Uuid => Uuid = |t| t.tenant_id,
        workflow_id: diesel::sql_types::Uuid => Uuid = |t| t.workflow_id,
        from_state: diesel::sql_types::Text => &'a str = |t| &t.from_state,
        to_state: diesel::sql_types::Text => &'a str = |t| &t.to_state,
        event: diesel::sql_types::Nullable<diesel::sql_types::Text> => Option<&'a str> = |t| t.event.as_deref(),
        step: diesel::sql_types::Int4 => i32 = |t| t.step,
        created_at: diesel::sql_types::Timestamptz => DateTime<Utc> = |t| t.created_at,
    }
}

/// Locks the workflow row until the surrounding transaction ends, so two
/// workers delivered the same event run one after the other, not together.
pub async fn lock<C>(conn: &mut C, id: Uuid) -> Result<Workflow, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    Ok(workflows::table
        .find(id)
        .select(Workflow::as_select())
        .for_update()
        .get_result(conn)
        .await?)
}

/// Locks workflows `ids` for the transaction, in id order, so that
/// transactions locking overlapping sets cannot deadlock.
pub async fn lock_many<C>(conn: &mut C, ids: &[Uuid]) -> Result<Vec<Workflow>, MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    Ok(workflows::table
        .filter(workflows::id.eq_any(ids))
        .filter(super::planned_per_call())
        .order(workflows::id)
        .select(Workflow::as_select())
        .for_update()
        .load(conn)
        .await?)
}

pub async fn for_lead(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    lead_id: Uuid,
) -> Result<Vec<Workflow>, MemoryError> {
    Ok(workflows::table
        .filter(workflows::tenant_id.eq(tenant_id))
        .filter(workflows::lead_id.eq(lead_id))
        .order(workflows::created_at.asc())
        .select(Workflow::as_select())
        .load(conn)
        .await?)
}

/// The state a step leaves the workflow in.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub to_state: String,
    pub event: Option<String>,
    pub followup_attempts: i32,
    pub next_followup_at: Option<DateTime<Utc>>,
    pub last_output: Option<serde_json::Value>,
    pub replied_at: Option<DateTime<Utc>>,
}

/// Moves the workflow one step on, in place; returns the transition that
/// records the step.
pub fn advanced(wf: &mut Workflow, r: StepResult) -> Transition {
    let step = wf.step + 1;
    let transition = Transition {
        id: Uuid::new_v4(),
        tenant_id: wf.tenant_id,
        workflow_id: wf.id,
        from_state: std::mem::replace(&mut wf.current_state, r.to_state.clone()),
        to_state: r.to_state,
        event: r.event,
        step,
        created_at: Utc::now(),
    };
    wf.step = step;
    wf.followup_attempts = r.followup_attempts;
    wf.next_followup_at = r.next_followup_at;
    wf.last_output = r.last_output;
    wf.replied_at = r.replied_at;
    wf.updated_at = transition.created_at;
    transition
}

/// Writes a workflow's step columns as they are in memory. Call with the
/// row locked (`lock`) in the same transaction.
pub async fn save<C>(conn: &mut C, wf: &Workflow) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    save_all(conn, &[wf]).await
}

/// `save` for many workflows, in one statement.
pub async fn save_all<C>(conn: &mut C, wfs: &[&Workflow]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    use diesel::sql_types::{Array, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    if wfs.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE workflows AS w SET current_state = v.current_state, step = v.step, \
         followup_attempts = v.followup_attempts, next_followup_at = v.next_followup_at, \
         last_output = v.last_output, replied_at = v.replied_at, updated_at = now() \
         FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::int4[], $5::timestamptz[], \
         $6::jsonb[], $7::timestamptz[]) \
         AS v(id, current_state, step, followup_attempts, next_followup_at, last_output, replied_at) \
         WHERE w.id = v.id",
    )
    .bind::<Array<SqlUuid>, _>(wfs.iter().map(|w| w.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(wfs.iter().map(|w| w.current_state.as_str()).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(wfs.iter().map(|w| w.step).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(wfs.iter().map(|w| w.followup_attempts).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        wfs.iter().map(|w| w.next_followup_at).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Jsonb>>, _>(
        wfs.iter().map(|w| w.last_output.as_ref()).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(wfs.iter().map(|w| w.replied_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_transitions<C>(conn: &mut C, rows: &[Transition]) -> Result<(), MemoryError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>,
{
    if rows.is_empty() {
        return Ok(());
    }
    InsertTransitions::new(rows).execute(conn).await?;
    Ok(())
}

/// Advances the locked workflow by one step and records the transition.
/// Returns the new step number.
pub async fn advance(
    conn: &mut AsyncPgConnection,
    wf: &Workflow,
    r: StepResult,
) -> Result<i32, MemoryError> {
    let mut next = wf.clone();
    let transition = advanced(&mut next, r);
    save(conn, &next).await?;
    insert_transitions(conn, std::slice::from_ref(&transition)).await?;
    Ok(next.step)
}

pub async fn transitions_for(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    workflow_ids: &[Uuid],
) -> Result<Vec<Transition>, MemoryError> {
    Ok(workflow_transitions::table
        .filter(workflow_transitions::tenant_id.eq(tenant_id))
        .filter(workflow_transitions::workflow_id.eq_any(workflow_ids))
        .order(workflow_transitions::step.asc())
        .select(Transition::as_select())
        .load(conn)
        .await?)
}
