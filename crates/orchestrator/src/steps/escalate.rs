use super::StepOutput;
use super::send::{Email, send};
use crate::context::StepContext;
use crate::emails;
use crate::process::{Inner, ProcessError};
use action_layer::ProviderCall;
use memory::AsyncPgConnection;

/// Tells the tenant, once, that the lead never answered.
pub(super) async fn run(
    inner: &Inner,
    conn: &mut AsyncPgConnection,
    ctx: &StepContext,
    calls: &mut Vec<ProviderCall>,
) -> Result<StepOutput, ProcessError> {
    let Some(to) = memory::repo::tenants::notification_address(conn, &ctx.tenant).await? else {
        tracing::warn!("tenant has no notification address; escalation not emailed");
        return Ok(StepOutput::default());
    };
    let attempts = ctx.wf.followup_attempts.max(0) as u32;
    let email = Email {
        to: &to,
        kind: "notification",
        step_key: "escalation".into(),
        rendered: emails::escalation(&ctx.tenant, &ctx.lead, attempts),
        attachments: Vec::new(),
        reply_to: None,
        blocks: memory::repo::suppressions::blocks(conn, ctx.tenant.id, &to).await?,
    };
    match send(inner, ctx, email, calls).await? {
        Ok(message) => Ok(StepOutput {
            messages: vec![message],
            ..Default::default()
        }),
        Err(why) => {
            tracing::warn!(reason = %why, "escalation email refused");
            Ok(StepOutput::default())
        }
    }
}
