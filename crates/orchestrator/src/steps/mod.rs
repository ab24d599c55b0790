//! One module per kind of step. Each runs its agent and action and says
//! what happened; `process` turns that into the state change.

mod book;
mod escalate;
mod follow_up;
mod qualify;
pub(crate) mod remind;
mod send;

use crate::context::StepContext;
use crate::fsm::Transition;
use crate::process::{Inner, ProcessError};
use action_layer::{ActionError, ProviderCall};
use agents::AgentRun;
use chrono::{DateTime, Utc};
use memory::repo::leads::LeadChange;
use memory::{AgentLog, AsyncPgConnection, JsonText, Message};
use serde::Serialize;
use shared_types::{AgentDecision, AgentType, EventType, WorkflowState};
use uuid::Uuid;

#[derive(Debug, Default)]
pub(crate) struct StepOutput {
    /// Score, reason and status the step gives the lead.
    pub lead: LeadChange,
    pub agent_log: Option<AgentLog>,
    pub decision: Option<AgentDecision>,
    /// A permanent failure: the transition's `on_failure` state applies.
    pub failure: Option<String>,
    /// Overrides the destination (e.g. an unsubscribed lead completes).
    pub redirect: Option<(WorkflowState, EventType)>,
    pub followup_attempts: Option<i32>,
    pub next_followup_at: Option<DateTime<Utc>>,
    /// Emails the step sent, to store with its other writes.
    pub messages: Vec<Message>,
    /// When the lead got a real action (email accepted, meeting booked).
    pub acted_at: Option<DateTime<Utc>>,
}

/// Runs the step of transition `t`, which `needs_database`.
pub(crate) async fn run_with_database(
    inner: &Inner,
    conn: &mut AsyncPgConnection,
    ctx: &StepContext,
    t: &Transition,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    match t.agent {
        Some(AgentType::Scheduler) => book::run(inner, conn, ctx, calls).await,
        _ => escalate::run(inner, conn, ctx, calls).await,
    }
}

/// Runs the step of transition `t`, which does not `need_database`: it only
/// returns its writes, so the steps of many workflows run side by side.
pub(crate) async fn run(
    inner: &Inner,
    ctx: &StepContext,
    t: &Transition,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    match t.agent {
        Some(AgentType::Qualifier) => qualify::run(inner, ctx, calls).await,
        Some(AgentType::Followup) => follow_up::run(inner, ctx, calls).await,
        _ => Ok(StepOutput::default()),
    }
}

/// Whether the step of this transition works in the database itself: a
/// booking holds its meeting row (undone under a savepoint if the step
/// fails), an escalation looks up the tenant's address.
pub(crate) fn needs_database(t: &Transition) -> bool {
    t.agent == Some(AgentType::Scheduler) || (t.agent.is_none() && t.to == WorkflowState::Escalated)
}

/// The agent log row for a run, whichever implementation decided; the
/// run's input moves into it.
pub(crate) fn agent_log<T: Serialize>(
    ctx: &StepContext,
    agent: AgentType,
    run: &mut AgentRun<T>,
    success: bool,
) -> AgentLog {
    AgentLog {
        id: Uuid::new_v4(),
        tenant_id: ctx.tenant.id,
        workflow_id: ctx.wf.id,
        lead_id: ctx.lead.id,
        agent_type: agent.to_string(),
        implementation: run.implementation.to_string(),
        model: run.model.clone(),
        rule_version: Some(run.rule_version.to_owned()),
        input: JsonText(std::mem::take(&mut run.input).into()),
        output: serde_json::to_string(&run.output)
            .ok()
            .map(|json| JsonText(json.into())),
        duration_ms: run.duration_ms.min(i32::MAX as u64) as i32,
        success,
        fallback: run.fallback,
        error: run.error.clone(),
        created_at: Utc::now(),
    }
}

/// Transient provider trouble rolls the step back for a later retry; the
/// rest is a failure of this step.
pub(crate) fn classify(e: ActionError) -> Result<String, ProcessError> {
    match e {
        ActionError::Transient(why) => Err(ProcessError::Transient(why)),
        ActionError::Permanent(why) | ActionError::Blocked(why) => Ok(why),
    }
}
