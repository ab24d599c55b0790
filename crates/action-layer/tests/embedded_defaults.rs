//! What runs with no provider accounts: the outbox mailer, the internal
//! calendar with its .ics invitation, and the recorded CRM no-op.

use action_layer::{
    Calendar, CalendarEvent, EmailMessage, Mailer, calendar_event_id, crm_update, invite_ics,
};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, hour, 0, 0)
        .single()
        .expect("valid time")
}

#[tokio::test]
async fn outbox_mailer_sends_nothing_and_records_one_call() {
    let message = EmailMessage {
        to: "lead@example.net".to_owned(),
        from: "GrowthOS <onboarding@resend.dev>".to_owned(),
        reply_to: None,
        subject: "Hello".to_owned(),
        html: "<p>private body text</p>".to_owned(),
        text: "private body text".to_owned(),
        headers: Vec::new(),
        attachments: Vec::new(),
        tags: Vec::new(),
        idempotency_key: "wf-1/step-1".to_owned(),
    };

    let (result, calls) = Mailer::Outbox.send(&message).await;

    let outcome = result.expect("the outbox always accepts");
    assert_eq!(outcome.provider, "outbox");
    assert_eq!(outcome.provider_message_id, None);
    assert!(!outcome.already_sent);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        (call.action_type, call.provider, call.success),
        ("email", "outbox", true)
    );
    assert_eq!(call.idempotency_key.as_deref(), Some("wf-1/step-1"));
    assert!(!call.request.contains("private body text"));
}

#[tokio::test]
async fn internal_calendar_books_without_calls_to_anyone() {
    let event = CalendarEvent {
        id: calendar_event_id(Uuid::from_u128(1), 2),
        summary: "Estimate".to_owned(),
        description: "Booked by GrowthOS".to_owned(),
        starts_at: at(15),
        ends_at: at(16),
        time_zone: "Europe/Berlin".to_owned(),
    };

    let (busy, busy_calls) = Calendar::Internal.free_busy("primary", at(0), at(23)).await;
    let (booked, calls) = Calendar::Internal.insert_event("primary", &event).await;

    assert_eq!(busy, Ok(Vec::new()));
    assert!(busy_calls.is_empty());
    let outcome = booked.expect("internal booking");
    assert_eq!(
        (outcome.provider, outcome.already_existed),
        ("internal", false)
    );
    assert_eq!(outcome.event_id, event.id);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].action_type, calls[0].provider),
        ("calendar_event", "internal")
    );
}

#[test]
fn crm_update_is_a_recorded_no_op() {
    let call = crm_update(
        Uuid::from_u128(9),
        &json!({ "status": "qualified", "score": 82 }),
    );
    assert_eq!(
        (call.action_type, call.provider, call.success),
        ("crm_update", "none", true)
    );
    let request: serde_json::Value = serde_json::from_str(&call.request).expect("JSON text");
    assert_eq!(request["fields"], json!(["score", "status"]));
}

#[test]
fn invitation_is_valid_rfc5545() {
    let description = "Water heater estimate, 60 minutes; bring the model number. \
                       A long description so the line has to be folded over several lines.\nSecond line.";
    let ics = invite_ics(
        "bk7781@growthos",
        "Estimate; Sam, Joe's Plumbing",
        description,
        "owner@joesplumbing.example",
        "lead@example.net",
        at(15),
        at(16),
        at(9),
    );

    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
    assert!(ics.contains("\r\nBEGIN:VEVENT\r\n"));
    assert!(ics.contains("\r\nDTSTART:20260105T150000Z\r\n"));
    assert!(ics.contains("\r\nDTEND:20260105T160000Z\r\n"));
    assert!(ics.contains("\r\nDTSTAMP:20260105T090000Z\r\n"));
    assert!(ics.contains("\r\nSUMMARY:Estimate\\; Sam\\, Joe's Plumbing\r\n"));
    assert!(ics.contains("\r\nORGANIZER:mailto:owner@joesplumbing.example\r\n"));
    // Every line ends in CRLF (no bare LF) and is at most 75 octets.
    assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    // Unfolding restores the escaped description.
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("bring the model number. A long description"));
    assert!(unfolded.contains("several lines.\\nSecond line.\r\n"));
    assert!(unfolded.contains(
        "\r\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:lead@example.net\r\n"
    ));
}
