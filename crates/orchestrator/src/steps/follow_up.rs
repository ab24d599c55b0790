use super::send::{Email, send};
use super::{StepOutput, agent_log};
use crate::context::StepContext;
use crate::emails;
use crate::process::{Inner, ProcessError};
use action_layer::ProviderCall;
use agents::FollowupRequest;
use shared_types::{AgentDecision, AgentType, EventType, WorkflowState};

/// Writes and sends the next follow-up to the lead, then schedules the one
/// after it (or, after the last, the deadline for an answer).
pub(super) async fn run(
    inner: &Inner,
    ctx: &StepContext,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    let attempt = ctx.wf.followup_attempts.max(0) as u32 + 1;
    let lead = ctx.lead_context()?;
    let req = FollowupRequest {
        attempt,
        max_attempts: ctx.product.followup.max_attempts,
        product: ctx.product.clone(),
        from_name: ctx.sender_name(),
    };
    let mut run = inner.providers.agents.follow_up(&lead, &req).await;
    let email = Email {
        to: &ctx.lead.email,
        kind: "marketing",
        step_key: format!("followup-{attempt}"),
        rendered: emails::followup(&ctx.tenant, &run.output),
        attachments: Vec::new(),
        reply_to: ctx.reply_to(),
        blocks: ctx.lead_blocks,
    };
    let log = agent_log(ctx, AgentType::Followup, &mut run, true);
    let message = match send(inner, ctx, email, calls).await? {
        Ok(message) => message,
        Err(why) => {
            let suppressed = why.contains("suppressed");
            return Ok(StepOutput {
                agent_log: Some(log),
                // A lead who asked not to be contacted is done, not a
                // problem for the tenant to handle.
                redirect: suppressed
                    .then_some((WorkflowState::Completed, EventType::WorkflowCompleted)),
                failure: (!suppressed).then_some(why),
                ..Default::default()
            });
        }
    };
    let cadence = &ctx.product.followup;
    let tz = ctx.cadence_tz();
    let next = rules_engine::next_followup_at(ctx.now, attempt, cadence, tz).or_else(|| {
        // After the last attempt, wait one more cadence interval for an
        // answer before escalating, counted like the cadence itself.
        let wait = cadence.cadence_days.last().copied().unwrap_or(1);
        Some(rules_engine::add_days(
            ctx.now,
            wait,
            cadence.business_days_only,
            tz,
        ))
    });
    Ok(StepOutput {
        agent_log: Some(log),
        decision: Some(AgentDecision::Followup(run.output)),
        followup_attempts: Some(attempt as i32),
        next_followup_at: next,
        acted_at: Some(ctx.now),
        messages: vec![message],
        ..Default::default()
    })
}
