use super::{StepOutput, agent_log};
use crate::context::StepContext;
use crate::process::{Inner, ProcessError};
use memory::AsyncPgConnection;
use shared_types::{AgentDecision, AgentType, LeadStatus, NextAction};

/// Scores the lead and writes score, reason and status to it.
pub(super) async fn run(
    inner: &Inner,
    conn: &mut AsyncPgConnection,
    ctx: &StepContext,
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
    Ok(StepOutput {
        agent_log: Some(agent_log(ctx, AgentType::Qualifier, &run, true)),
        decision: Some(AgentDecision::Qualifier(run.output)),
        ..Default::default()
    })
}
