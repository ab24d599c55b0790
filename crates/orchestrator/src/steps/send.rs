//! Sending one email for a step and storing it as a message of the lead.

use super::classify;
use crate::context::StepContext;
use crate::emails::{Rendered, escape_html, from_header};
use crate::process::{Inner, ProcessError};
use action_layer::{Attachment, EmailMessage, ProviderCall};
use chrono::Utc;
use memory::Message;
use memory::repo::suppressions::Blocks;
use uuid::Uuid;

pub(super) struct Email<'a> {
    pub to: &'a str,
    pub kind: &'static str,
    pub step_key: String,
    pub rendered: Rendered,
    pub attachments: Vec<Attachment>,
    /// Replies to the lead go to the tenant; mail to the tenant has none.
    pub reply_to: Option<String>,
    /// What the recipient's suppressions block (read with what the step
    /// reads, so sending costs no query of its own).
    pub blocks: Blocks,
}

/// The keys that make sending an email idempotent.
pub(super) struct SendKeys {
    /// The provider's Idempotency-Key.
    pub idempotency: String,
    /// The stored message's `step_key`, unique per workflow.
    pub message: String,
}

/// Sends through the configured mailer with an idempotency key derived from
/// (workflow, step) and returns the message for the caller to store with
/// its other writes. `Ok(Err(reason))` is a permanent refusal (bad address,
/// suppressed); `Err` rolls the step back.
pub(super) async fn send(
    inner: &Inner,
    ctx: &StepContext,
    email: Email<'_>,
    calls: &mut Vec<ProviderCall>,
) -> Result<Result<Message, String>, ProcessError> {
    let keys = SendKeys {
        idempotency: ctx.action_key(&email.step_key),
        message: format!("{}-{}", ctx.wf.step, email.step_key),
    };
    send_keyed(inner, ctx, email, keys, calls).await
}

/// `send` with keys of the caller's choosing (a meeting's reminder is keyed
/// by the meeting, whatever step its workflow is at).
pub(super) async fn send_keyed(
    inner: &Inner,
    ctx: &StepContext,
    email: Email<'_>,
    keys: SendKeys,
    calls: &mut Vec<ProviderCall>,
) -> Result<Result<Message, String>, ProcessError> {
    let marketing = email.kind == "marketing";
    if email.blocks.mail(marketing) {
        return Ok(Err(format!("{} is suppressed", email.kind)));
    }
    let from = from_header(&ctx.tenant, &inner.settings.email_from);
    let mut rendered = email.rendered;
    let mut headers = Vec::new();
    if marketing {
        // RFC 8058 one-click for mail clients, and a visible link for people.
        let link = format!(
            "{}/unsubscribe?token={}",
            inner.settings.public_url,
            inner.settings.unsubscribe.token(ctx.tenant.id, email.to)
        );
        headers.push(("List-Unsubscribe".to_owned(), format!("<{link}>")));
        headers.push((
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
        rendered.text.push_str(&format!("\n\nUnsubscribe: {link}"));
        rendered.html.push_str(&format!(
            "<p style=\"font-size:12px;color:#555\"><a href=\"{}\">Unsubscribe</a></p>",
            escape_html(&link)
        ));
    }
    let msg = EmailMessage {
        to: email.to.to_owned(),
        from: from.clone(),
        reply_to: email.reply_to,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        headers,
        attachments: email.attachments,
        tags: vec![
            ("tenant_id".into(), ctx.tenant.id.to_string()),
            ("lead_id".into(), ctx.lead.id.to_string()),
            ("kind".into(), email.kind.into()),
        ],
        idempotency_key: keys.idempotency,
    };
    let (result, provider_calls) = inner.providers.mailer.send(&msg).await;
    calls.extend(provider_calls);
    let sent = match result {
        Ok(sent) => sent,
        Err(e) => return classify(e).map(Err),
    };
    Ok(Ok(Message {
        id: Uuid::new_v4(),
        tenant_id: ctx.tenant.id,
        lead_id: ctx.lead.id,
        workflow_id: Some(ctx.wf.id),
        direction: "outbound".into(),
        channel: "email".into(),
        kind: email.kind.into(),
        to_address: Some(msg.to),
        from_address: Some(from),
        subject: Some(msg.subject),
        content: msg.text,
        html: Some(msg.html),
        step_key: Some(keys.message),
        status: if sent.provider == "outbox" {
            "stored"
        } else {
            "sent"
        }
        .into(),
        provider: Some(sent.provider.into()),
        provider_message_id: sent.provider_message_id,
        created_at: Utc::now(),
    }))
}
