//! The email side effect: one `Mailer` that is either Resend or the embedded
//! outbox default (stores nothing here, sends nothing; the caller keeps the
//! rendered message in its messages table).

use serde::Serialize;

use crate::provider_call::{ActionError, CallTimer, ProviderCall};
use crate::resend::{ResendClient, ResendConfig};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: String,
    pub from: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Extra MIME headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post`.
    pub headers: Vec<(String, String)>,
    pub attachments: Vec<Attachment>,
    pub tags: Vec<(String, String)>,
    /// Derived from (workflow id, step) so a redelivered event cannot send twice.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub provider: &'static str,
    pub provider_message_id: Option<String>,
    /// The provider says this idempotency key was already used for a send.
    pub already_sent: bool,
}

#[derive(Debug, Clone)]
pub enum Mailer {
    Resend(ResendClient),
    /// Embedded default when no Resend key is configured.
    Outbox,
}

impl Mailer {
    pub fn resend(cfg: ResendConfig) -> Self {
        Self::Resend(ResendClient::new(cfg))
    }

    /// Sends one email. Every HTTP attempt is returned as a `ProviderCall`,
    /// whatever the result, so the caller can log all of them.
    #[tracing::instrument(skip_all, fields(email.provider = self.provider_name()))]
    pub async fn send(
        &self,
        msg: &EmailMessage,
    ) -> (Result<SendOutcome, ActionError>, Vec<ProviderCall>) {
        match self {
            Self::Resend(client) => client.send(msg).await,
            Self::Outbox => {
                tracing::info!(
                    email.subject_chars = msg.subject.chars().count(),
                    "email kept in the outbox (no email provider configured)"
                );
                let call = CallTimer::start(
                    "email",
                    "outbox",
                    Some(msg.idempotency_key.clone()),
                    email_summary(msg),
                )
                .finish(None, None, None);
                let outcome = SendOutcome {
                    provider: "outbox",
                    provider_message_id: None,
                    already_sent: false,
                };
                (Ok(outcome), vec![call])
            }
        }
    }

    fn provider_name(&self) -> &'static str {
        match self {
            Self::Resend(_) => "resend",
            Self::Outbox => "outbox",
        }
    }
}

/// What an action log keeps of an email: addressing and sizes, not the body
/// or the attachment bytes.
#[derive(Serialize)]
pub(crate) struct EmailSummary<'a> {
    to: &'a str,
    from: &'a str,
    reply_to: Option<&'a str>,
    subject: &'a str,
    html_bytes: usize,
    text_bytes: usize,
    headers: Vec<&'a str>,
    attachments: Vec<AttachmentSummary<'a>>,
    tags: Vec<Tag<'a>>,
    /// Which HTTP attempt of the send (absent when nothing is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
}

#[derive(Serialize)]
struct AttachmentSummary<'a> {
    filename: &'a str,
    content_type: &'a str,
    bytes: usize,
}

#[derive(Serialize)]
pub(crate) struct Tag<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

pub(crate) fn email_summary(msg: &EmailMessage) -> EmailSummary<'_> {
    EmailSummary {
        to: &msg.to,
        from: &msg.from,
        reply_to: msg.reply_to.as_deref(),
        subject: &msg.subject,
        html_bytes: msg.html.len(),
        text_bytes: msg.text.len(),
        headers: msg.headers.iter().map(|(name, _)| name.as_str()).collect(),
        attachments: msg
            .attachments
            .iter()
            .map(|a| AttachmentSummary {
                filename: &a.filename,
                content_type: &a.content_type,
                bytes: a.content.len(),
            })
            .collect(),
        tags: msg
            .tags
            .iter()
            .map(|(name, value)| Tag { name, value })
            .collect(),
        attempt: None,
    }
}
