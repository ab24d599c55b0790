//! The parts of Resend's webhook events we act on. Envelope:
//! `{"type": "email.bounced", "created_at": "...", "data": {...}}`; `data`
//! carries `email_id`, `from`, `to` (an array, or one string), `subject`,
//! `tags` (`[{name, value}]`, or an object map in some payloads) and, per
//! type, `bounce: {type, subType, message}`.
//!
//! `email.received` (inbound) carries metadata only in Resend's documented
//! payload (`from`, `to`, `cc`, `subject`, ...; the body is fetched with
//! `GET /emails/receiving/{email_id}`). We also read, when present, `text`
//! (or `html`) and `headers` (an object map or `[{name, value}]`): a relay
//! that forwards inbound mail to this endpoint may include them, and they
//! make the out-of-office check exact. Without them the subject decides.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// Longest message text stored for a lead (as POST /api/leads/{id}/messages).
pub const MAX_CONTENT_CHARS: usize = 20_000;

#[derive(Debug, Deserialize)]
pub struct ResendEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: Value,
}

impl ResendEvent {
    pub fn email_id(&self) -> Option<String> {
        self.data["email_id"]
            .as_str()
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_owned)
    }

    /// The addresses the email went to (`to`), lowercased, without names.
    pub fn recipients(&self) -> Vec<String> {
        addresses(&self.data["to"])
    }

    /// `email.bounced` is Resend's permanent rejection; its `bounce.type`
    /// (`Permanent`, `Transient`, `Undetermined`, as SES reports them)
    /// refines it when present. Only a permanent bounce is hard.
    pub fn hard_bounce(&self) -> bool {
        match self.data["bounce"]["type"].as_str() {
            None => true,
            Some(t) => t.trim().eq_ignore_ascii_case("permanent"),
        }
    }

    /// `tags` as name → value, from either shape.
    pub fn tags(&self) -> HashMap<String, String> {
        pairs(&self.data["tags"]).into_iter().collect()
    }

    /// An inbound email's fields.
    pub fn inbound(&self) -> Option<Inbound> {
        let d = &self.data;
        let from = addresses(&d["from"]).into_iter().next()?;
        let mut to = addresses(&d["to"]);
        to.extend(addresses(&d["cc"]));
        let subject = d["subject"]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(998).collect::<String>());
        let text = d["text"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| d["html"].as_str().map(strip_tags))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        Some(Inbound {
            from,
            to,
            subject,
            text: text.map(|t| t.chars().take(MAX_CONTENT_CHARS).collect()),
            headers: pairs(&d["headers"]),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub from: String,
    /// `to` and `cc`.
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Inbound {
    /// What the lead's message shows: the text, else the subject.
    pub fn content(&self) -> String {
        self.text
            .clone()
            .or_else(|| self.subject.clone())
            .unwrap_or_else(|| "(empty message)".into())
    }
}

/// Addresses from a string or an array of strings, each `addr` or
/// `Name <addr>`, lowercased; anything that is not an address is dropped.
pub fn addresses(v: &Value) -> Vec<String> {
    let raw: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    raw.into_iter().filter_map(address).collect()
}

fn address(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    let addr = inner.trim().to_lowercase();
    let (local, domain) = addr.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
        && addr.len() <= 320
        && !addr.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(addr)
}

/// `{name: value}` or `[{name, value}]` as (name, value) pairs; values
/// that are not strings are dropped.
fn pairs(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Object(m) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|p| {
                Some((
                    p["name"].as_str()?.to_owned(),
                    p["value"].as_str()?.to_owned(),
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Text of an HTML body, good enough to read and to spot an automatic
/// answer: tags dropped, line breaks kept.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> ResendEvent {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn recipients_come_without_names_and_lowercased() {
        let e = event(json!({"type": "email.bounced", "data": {
            "to": ["Sam <Sam@Example.NET>", "x@y.example", "not an address", 5]}}));
        assert_eq!(e.recipients(), vec!["sam@example.net", "x@y.example"]);
        let e = event(json!({"type": "email.bounced", "data": {"to": "only@one.example"}}));
        assert_eq!(e.recipients(), vec!["only@one.example"]);
    }

    #[test]
    fn only_permanent_bounces_are_hard() {
        let bounce = |b: Value| event(json!({"type": "email.bounced", "data": {"bounce": b}}));
        assert!(bounce(json!({"type": "Permanent", "subType": "General"})).hard_bounce());
        assert!(bounce(json!({"type": "permanent"})).hard_bounce());
        assert!(
            bounce(Value::Null).hard_bounce(),
            "email.bounced is permanent"
        );
        assert!(!bounce(json!({"type": "Transient", "subType": "MailboxFull"})).hard_bounce());
        assert!(!bounce(json!({"type": "Undetermined"})).hard_bounce());
    }

    #[test]
    fn tags_and_headers_read_in_either_shape() {
        let e = event(json!({"type": "email.sent", "data": {
            "tags": [{"name": "lead_id", "value": "7781"}, {"name": "n", "value": 3}]}}));
        assert_eq!(e.tags().get("lead_id").map(String::as_str), Some("7781"));
        assert_eq!(e.tags().len(), 1);
        let e = event(json!({"type": "email.sent", "data": {"tags": {"lead_id": "7781"}}}));
        assert_eq!(e.tags().get("lead_id").map(String::as_str), Some("7781"));
    }

    #[test]
    fn an_inbound_email_reads_its_sender_text_and_headers() {
        let e = event(json!({"type": "email.received", "data": {
            "email_id": "e1", "from": "Dana <DANA@example.com>", "to": ["owner@biz.example"],
            "cc": ["partner@biz.example"], "subject": " Re: quote ",
            "html": "<p>Yes,<br>Tuesday</p>",
            "headers": {"Auto-Submitted": "no"}}}));
        let i = e.inbound().unwrap();
        assert_eq!(i.from, "dana@example.com");
        assert_eq!(i.to, vec!["owner@biz.example", "partner@biz.example"]);
        assert_eq!(i.subject.as_deref(), Some("Re: quote"));
        assert_eq!(i.content(), "Yes, Tuesday");
        assert_eq!(i.headers, vec![("Auto-Submitted".into(), "no".into())]);
        let bare = event(
            json!({"type": "email.received", "data": {"from": "a@b.example", "subject": "Hi"}}),
        );
        assert_eq!(bare.inbound().unwrap().content(), "Hi");
        assert!(
            event(json!({"type": "email.received", "data": {}}))
                .inbound()
                .is_none()
        );
    }
}
