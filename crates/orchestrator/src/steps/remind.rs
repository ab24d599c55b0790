use super::send::{Email, SendKeys, send_keyed};
use crate::context::StepContext;
use crate::emails;
use crate::process::{Inner, ProcessError};
use action_layer::ProviderCall;
use memory::{Meeting, Message};

/// Emails the lead a reminder of the meeting: transactional (it still goes
/// to an unsubscribed lead, never to a bounced address), keyed by the
/// meeting so that however often it is asked for, the provider sends one.
/// Returns the message to store; `Ok(Err(reason))` is a permanent refusal.
pub(crate) async fn run(
    inner: &Inner,
    ctx: &StepContext,
    meeting: &Meeting,
    calls: &mut Vec<ProviderCall>,
) -> Result<Result<Message, String>, ProcessError> {
    let duration = (meeting.ends_at - meeting.starts_at).num_minutes();
    let email = Email {
        to: &ctx.lead.email,
        kind: "transactional",
        step_key: "reminder".into(),
        rendered: emails::meeting_reminder(
            &ctx.tenant,
            &ctx.lead,
            meeting.starts_at,
            duration,
            ctx.tz,
        ),
        attachments: Vec::new(),
        reply_to: ctx.reply_to(),
        blocks: ctx.lead_blocks,
    };
    let keys = SendKeys {
        idempotency: format!("meeting-{}-reminder", meeting.id),
        message: format!("meeting-{}-reminder", meeting.id),
    };
    send_keyed(inner, ctx, email, keys, calls).await
}
