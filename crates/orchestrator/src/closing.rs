//! Stopping a lead's automation from outside the worker: the lead replied,
//! or the tenant marked it converted or lost. Runs in the caller's
//! transaction and takes the same workflow row lock as a worker step, so a
//! follow-up that has not been sent yet never is: the worker then finds the
//! workflow at a later step and skips its stale event.

use crate::fsm::{self, Facts, Trigger};
use chrono::Utc;
use memory::repo::workflows::{self, StepResult};
use memory::{AsyncPgConnection, MemoryError, Workflow};
use shared_types::{DomainEvent, EventType, LeadStatus, WorkflowEventPayload, WorkflowState};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    Replied,
    Converted,
    Lost,
}

/// What `close_lead` did: the events to publish after commit (already in
/// the outbox) and how many workflows it completed.
#[derive(Debug, Default)]
pub struct ClosedLead {
    pub events: Vec<DomainEvent>,
    pub workflows_completed: usize,
}

/// Completes every running workflow of the lead through the FSM's `Closed`
/// row and records the lead's new status. Call inside a transaction.
#[tracing::instrument(skip_all, fields(tenant.id = %tenant_id, lead.id = %lead_id, ?closure))]
pub async fn close_lead(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    lead_id: Uuid,
    closure: Closure,
    traceparent: Option<String>,
) -> Result<ClosedLead, MemoryError> {
    let mut closed = ClosedLead::default();
    let mut last_step = None;
    for listed in workflows::for_lead(conn, tenant_id, lead_id).await? {
        let wf = workflows::lock(conn, listed.id).await?;
        last_step = Some((wf.id, wf.step));
        if let Some(step) = complete(conn, &wf, closure).await? {
            last_step = Some((wf.id, step));
            closed.workflows_completed += 1;
            closed
                .events
                .push(event(EventType::WorkflowCompleted, &wf, step, &traceparent));
        }
    }
    match closure {
        Closure::Converted => {
            memory::repo::leads::set_status(
                conn,
                tenant_id,
                lead_id,
                LeadStatus::Converted.as_str(),
            )
            .await?
        }
        Closure::Lost => {
            memory::repo::leads::set_status(conn, tenant_id, lead_id, LeadStatus::Lost.as_str())
                .await?
        }
        Closure::Replied => {
            // Webhooks and insights hear about the reply; a worker that
            // receives it finds the workflow already closed and skips it.
            if let Some((workflow_id, step)) = last_step {
                let mut e = DomainEvent::for_workflow(
                    EventType::LeadReplied,
                    tenant_id,
                    WorkflowEventPayload {
                        workflow_id,
                        lead_id,
                        step,
                    },
                );
                e.traceparent = traceparent.clone();
                closed.events.push(e);
            }
        }
    }
    memory::repo::outbox::enqueue(conn, &closed.events).await?;
    Ok(closed)
}

/// Moves one locked workflow to completed when the FSM allows it; returns
/// the new step.
async fn complete(
    conn: &mut AsyncPgConnection,
    wf: &Workflow,
    closure: Closure,
) -> Result<Option<i32>, MemoryError> {
    let Ok(state) = wf.current_state.parse::<WorkflowState>() else {
        return Ok(None);
    };
    let facts = Facts {
        allowed: wf
            .allowed_agents
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
        next_action: None,
        attempts: wf.followup_attempts.max(0) as u32,
        max_attempts: u32::MAX,
    };
    let Some(t) = fsm::select(state, Trigger::Closed, &facts) else {
        return Ok(None);
    };
    let step = workflows::advance(
        conn,
        wf,
        StepResult {
            to_state: t.to.to_string(),
            event: Some(t.emits.to_string()),
            followup_attempts: wf.followup_attempts,
            next_followup_at: None,
            last_output: wf.last_output.clone(),
            replied_at: match closure {
                Closure::Replied => Some(Utc::now()),
                _ => wf.replied_at,
            },
        },
    )
    .await?;
    tracing::info!(workflow.id = %wf.id, from = %state, "workflow closed");
    Ok(Some(step))
}

fn event(kind: EventType, wf: &Workflow, step: i32, traceparent: &Option<String>) -> DomainEvent {
    let mut e = DomainEvent::for_workflow(
        kind,
        wf.tenant_id,
        WorkflowEventPayload {
            workflow_id: wf.id,
            lead_id: wf.lead_id,
            step,
        },
    );
    e.traceparent = traceparent.clone();
    e
}

/// The event that runs a workflow's current step again (POST
/// /api/leads/{id}/process), or `None` when nothing is waiting to run: a
/// finished workflow, or a booked meeting. The event carries the current
/// step, so however often it is asked for, the step runs once. Call inside
/// a transaction; the event is in the outbox when it returns.
pub async fn requeue(
    conn: &mut AsyncPgConnection,
    wf: &Workflow,
    traceparent: Option<String>,
) -> Result<Option<DomainEvent>, MemoryError> {
    let Some(kind) = rerun_event_type(&wf.current_state) else {
        return Ok(None);
    };
    let e = event(kind, wf, wf.step, &traceparent);
    memory::repo::outbox::enqueue(conn, std::slice::from_ref(&e)).await?;
    Ok(Some(e))
}

/// The event that runs the step a workflow in `state` waits in, or `None`
/// when nothing is waiting to run (finished, or a booked meeting).
pub(crate) fn rerun_event_type(state: &str) -> Option<EventType> {
    match state.parse::<WorkflowState>() {
        Ok(WorkflowState::LeadReceived) => Some(EventType::LeadCreated),
        Ok(WorkflowState::Qualified) => Some(EventType::LeadQualified),
        Ok(WorkflowState::FollowingUp) => Some(EventType::FollowupDue),
        _ => None,
    }
}
