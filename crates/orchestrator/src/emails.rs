//! What the lead and the tenant read. Rendering is pure so it can be tested
//! (and snapshot-reviewed) without sending anything.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use memory::{Lead, Tenant};
use shared_types::FollowupMessage;

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The display name and address mail goes out under: the tenant's sender
/// name on the platform's verified address (EMAIL_FROM).
pub fn from_header(tenant: &Tenant, email_from: &str) -> String {
    let address = email_from
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.strip_suffix('>'))
        .unwrap_or(email_from)
        .trim();
    let name = tenant
        .from_name
        .as_deref()
        .unwrap_or(&tenant.name)
        .replace(['<', '>', '"'], "");
    format!("\"{name}\" <{address}>")
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn paragraphs_html(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect()
}

fn footer(tenant: &Tenant) -> String {
    match tenant.physical_address.as_deref() {
        Some(addr) => format!("\n\n--\n{}\n{}", tenant.name, addr),
        None => format!("\n\n--\n{}", tenant.name),
    }
}

/// A message to the lead: its text with the tenant's footer, and that text
/// as HTML paragraphs.
fn to_lead(tenant: &Tenant, subject: String, body: &str) -> Rendered {
    let text = format!("{}{}", body.trim(), footer(tenant));
    Rendered {
        subject,
        html: paragraphs_html(&text),
        text,
    }
}

fn first_name(lead: &Lead) -> &str {
    lead.name.split_whitespace().next().unwrap_or(&lead.name)
}

/// A meeting's start on the tenant's clock, and spelled out with the zone.
fn meeting_time(starts_at: DateTime<Utc>, tz: Tz) -> (DateTime<Tz>, String) {
    let local = starts_at.with_timezone(&tz);
    let when = format!("{} ({})", local.format("%A %e %B %Y at %H:%M"), tz.name());
    (local, when)
}

pub fn followup(tenant: &Tenant, msg: &FollowupMessage) -> Rendered {
    to_lead(tenant, msg.subject.clone(), &msg.body)
}

pub fn meeting_confirmation(
    tenant: &Tenant,
    lead: &Lead,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    tz: Tz,
) -> Rendered {
    let (local, when) = meeting_time(starts_at, tz);
    let body = format!(
        "Hi {first},\n\nThanks for getting in touch with {name}. Your {duration_minutes}-minute call is booked for {when}.\n\nThe invitation is attached: add it to your calendar. If the time does not suit you, just reply to this email and we will find another.",
        first = first_name(lead),
        name = tenant.name,
    );
    let subject = format!(
        "Your call with {} on {}",
        tenant.name,
        local.format("%a %e %b, %H:%M")
    );
    to_lead(tenant, subject, &body)
}

/// The reminder a lead gets about an hour before the meeting, with the
/// time in the tenant's time zone.
pub fn meeting_reminder(
    tenant: &Tenant,
    lead: &Lead,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    tz: Tz,
) -> Rendered {
    let (local, when) = meeting_time(starts_at, tz);
    let body = format!(
        "Hi {first},\n\nA quick reminder: your {duration_minutes}-minute call with {name} is coming up on {when}.\n\nIf the time no longer suits you, just reply to this email.",
        first = first_name(lead),
        name = tenant.name,
    );
    let subject = format!(
        "Reminder: your call with {} at {}",
        tenant.name,
        local.format("%H:%M")
    );
    to_lead(tenant, subject, &body)
}

pub fn escalation(tenant: &Tenant, lead: &Lead, attempts: u32) -> Rendered {
    let text = format!(
        "{lead_name} <{email}> has not answered after {attempts} follow-ups.\n\nSource: {source}. Score: {score}.\n\nA personal call may still win this one.",
        lead_name = lead.name,
        email = lead.email,
        source = lead.source,
        score = lead
            .score
            .map_or("not scored".to_owned(), |s| s.to_string()),
    );
    Rendered {
        subject: format!("No answer from {} after {attempts} follow-ups", lead.name),
        html: paragraphs_html(&text),
        text: format!("{text}{}", footer(tenant)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
        assert_eq!(paragraphs_html("a<b\n\nc"), "<p>a&lt;b</p><p>c</p>");
    }
}
