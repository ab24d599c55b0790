use super::{StepOutput, agent_log};
use crate::context::StepContext;
use crate::process::{Inner, ProcessError};
use action_layer::ProviderCall;
use memory::AsyncPgConnection;
use shared_types::{AgentDecision, AgentType, LeadStatus, NextAction};

/// Scores the lead and writes score, reason and status to it, then records
/// the CRM update (no CRM integration yet: a logged no-op).
pub(super) async fn run(
    inner: &Inner,
    conn: &mut AsyncPgConnection,
    ctx: &StepContext,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    let lead = ctx.lead_context()?;
    let run = inner
        .providers
        .agents
        .qualify(&lead, ctx.product.thresholds)
        .await;
    let q = &run.output;
    let status = match q.next_action {
        NextAction::Disqualify => LeadStatus::Unqualified,
        _ => LeadStatus::Qualified,
    };
    memory::repo::leads::record_qualification(
        conn,
        ctx.tenant.id,
        ctx.lead.id,
        i32::from(q.score),
        &q.reason,
        status.as_str(),
    )
    .await?;
    calls.push(action_layer::crm_update(
        ctx.lead.id,
        &serde_json::json!({"score": q.score, "status": status.as_str()}),
    ));
    Ok(StepOutput {
        agent_log: Some(agent_log(ctx, AgentType::Qualifier, &run, true)),
        decision: Some(AgentDecision::Qualifier(run.output)),
        ..Default::default()
    })
}
