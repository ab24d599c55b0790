//! The hot path end to end: POST /api/leads → worker → agent → action, for
//! each product and each kind of lead, on real PostgreSQL and Redis.

mod support;

use serde_json::{Value, json};
use support::{TestApp, cold_lead, hot_lead, warm_lead};

struct Expect {
    state: &'static str,
    status: &'static str,
    meetings: usize,
    /// Kind of the email the lead received, if any.
    email: Option<&'static str>,
}

async fn run(product: &str, lead: Value, e: Expect) {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant(product).await;
    let email = lead["email"].as_str().unwrap().to_owned();
    let id = app.new_lead(&token, &lead).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    let wf = &l["workflows"][0];
    assert_eq!(wf["currentState"], e.state, "{product}: {l:#}");
    assert_eq!(l["status"], e.status, "{product}");
    assert_eq!(
        l["meetings"].as_array().unwrap().len(),
        e.meetings,
        "{product}"
    );
    let outbound: Vec<&Value> = l["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    match e.email {
        Some(kind) => {
            assert_eq!(outbound.len(), 1, "{product}: exactly one email");
            assert_eq!(
                outbound[0]["toAddress"], email,
                "the email goes to the lead, never to nobody"
            );
            assert_eq!(outbound[0]["kind"], kind);
            assert!(!l["firstActionAt"].is_null(), "speed-to-lead is recorded");
        }
        None => assert!(outbound.is_empty(), "{product}: no email expected"),
    }
    if wf["allowedAgents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "qualifier")
    {
        let score = l["score"].as_i64().expect("a qualified lead has a score");
        assert!((0..=100).contains(&score));
        assert!(
            l["qualificationReason"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );
        let log = &wf["agentLogs"][0];
        assert_eq!(
            (log["agentType"].as_str(), log["implementation"].as_str()),
            (Some("qualifier"), Some("heuristic"))
        );
        assert_eq!(log["fallback"], false);
        let crm = app
            .count(&format!("SELECT count(*) AS n FROM action_logs WHERE lead_id = '{id}' AND action_type = 'crm_update'"))
            .await;
        assert_eq!(crm, 1, "the qualification is recorded as a CRM update");
        let qualified_events = app
            .count(&format!("SELECT count(*) AS n FROM outbox WHERE event_type = 'lead_qualified' AND envelope->'payload'->>'leadId' = '{id}'"))
            .await;
        assert_eq!(
            qualified_events, 1,
            "lead_qualified is published even when the next step ran at once"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn booker_books_a_meeting_for_a_hot_lead_and_emails_the_invite() {
    run(
        "saas-booker",
        hot_lead(),
        Expect {
            state: "meeting_scheduled",
            status: "meeting_scheduled",
            meetings: 1,
            email: Some("transactional"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn booker_follows_up_a_warm_lead() {
    run(
        "saas-booker",
        warm_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn booker_disqualifies_a_cold_lead_without_emailing_it() {
    run(
        "saas-booker",
        cold_lead(),
        Expect {
            state: "completed",
            status: "unqualified",
            meetings: 0,
            email: None,
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_qualifier_follows_up_a_hot_lead_because_it_does_not_book() {
    run(
        "saas-leadqualifier",
        hot_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_qualifier_follows_up_a_warm_lead() {
    run(
        "saas-leadqualifier",
        warm_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_qualifier_disqualifies_a_cold_lead() {
    run(
        "saas-leadqualifier",
        cold_lead(),
        Expect {
            state: "completed",
            status: "unqualified",
            meetings: 0,
            email: None,
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn followup_contacts_a_hot_lead_at_once() {
    run(
        "saas-followup",
        hot_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn followup_contacts_a_warm_lead_at_once() {
    run(
        "saas-followup",
        warm_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn followup_contacts_even_a_cold_lead_because_it_does_not_qualify() {
    run(
        "saas-followup",
        cold_lead(),
        Expect {
            state: "following_up",
            status: "contacted",
            meetings: 0,
            email: Some("marketing"),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_booking_confirmation_carries_an_ics_invite_for_the_booked_time() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-booker").await;
    let id = app.new_lead(&token, &hot_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &id).await;
    let meeting = &l["meetings"][0];
    let starts: chrono::DateTime<chrono::Utc> =
        meeting["startsAt"].as_str().unwrap().parse().unwrap();
    assert!(
        starts > chrono::Utc::now(),
        "meetings are booked in the future"
    );
    let calls = app
        .count(&format!("SELECT count(*) AS n FROM action_logs WHERE lead_id = '{id}' AND action_type = 'email' AND request::text LIKE '%invite.ics%'"))
        .await;
    assert_eq!(
        calls, 1,
        "the confirmation email carried the invite attachment"
    );
    let dev: Value = app.get_json("/dev/outbox").await;
    assert_eq!(
        dev["emails"][0]["to"],
        json!("dana@brightsmiles-dental.com")
    );
}
