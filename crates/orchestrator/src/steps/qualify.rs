use super::{StepOutput, agent_log};
use crate::context::StepContext;
use crate::process::{Inner, ProcessError};
use action_layer::ProviderCall;
use memory::repo::leads::LeadChange;
use shared_types::{AgentDecision, AgentType, LeadStatus, NextAction};

/// Scores the lead (score, reason and status reach the lead with the
/// step's other writes) and records the CRM update (no CRM integration
/// yet: a logged no-op).
pub(super) async fn run(
    inner: &Inner,
    ctx: &StepContext,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    let lead = ctx.lead_context()?;
    let mut run = inner
        .providers
        .agents
        .qualify(&lead, ctx.product.thresholds)
        .await;
    let q = &run.output;
    let status = match q.next_action {
        NextAction::Disqualify => LeadStatus::Unqualified,
        _ => LeadStatus::Qualified,
    };
    calls.push(action_layer::crm_update(
        ctx.lead.id,
        &serde_json::json!({"score": q.score, "status": status.as_str()}),
    ));
    Ok(StepOutput {
        lead: LeadChange {
            status: Some(status.as_str().to_owned()),
            score: Some(i32::from(q.score)),
            qualification_reason: Some(q.reason.clone()),
            acted_at: None,
        },
        agent_log: Some(agent_log(ctx, AgentType::Qualifier, &mut run, true)),
        decision: Some(AgentDecision::Qualifier(run.output)),
        ..Default::default()
    })
}
