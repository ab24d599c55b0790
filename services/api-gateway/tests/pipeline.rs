//! The hot path end to end: POST /api/leads → worker → agent → action, for
//! each product and each kind of lead, on real PostgreSQL and Redis.

mod support;

use serde_json::{Value, json};
use shared_types::{DomainEvent, EventType, WorkflowEventPayload};
use support::{TestApp, cold_lead, hot_lead, warm_lead};
use uuid::Uuid;

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
        // At least once: the drain's sweep may publish an event again before
        // the fast path's publish has been settled; it is the same event.
        let qualified_events: std::collections::HashSet<_> = app
            .published("lead_qualified")
            .await
            .iter()
            .filter(|e| {
                e.workflow_payload()
                    .is_some_and(|p| p.lead_id.to_string() == id)
            })
            .map(|e| e.id)
            .collect();
        assert_eq!(
            qualified_events.len(),
            1,
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

/// The outbound messages of a lead, as GET /api/leads/{id} lists them.
fn outbound(lead: &Value) -> Vec<&Value> {
    lead["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn leads_the_worker_reads_together_each_get_their_own_answer() {
    let app = TestApp::spawn().await;
    let (booker, _) = app.tenant("saas-booker").await;
    let (qualifier, _) = app.tenant("saas-leadqualifier").await;
    let (followup, followup_id) = app.tenant("saas-followup").await;
    let followup_id: Uuid = followup_id.parse().unwrap();
    let unsubscribed_address = warm_lead()["email"].as_str().unwrap().to_owned();
    memory::repo::suppressions::unsubscribe(
        &mut *app.conn().await,
        followup_id,
        &unsubscribed_address,
    )
    .await
    .unwrap();
    let hot = app.new_lead(&booker, &hot_lead()).await;
    let warm = app.new_lead(&booker, &warm_lead()).await;
    let cold = app.new_lead(&qualifier, &cold_lead()).await;
    let unsubscribed = app.new_lead(&followup, &warm_lead()).await;
    // An event naming a workflow that does not exist, among the others.
    let stray = DomainEvent::for_workflow(
        EventType::LeadCreated,
        followup_id,
        WorkflowEventPayload {
            workflow_id: Uuid::new_v4(),
            lead_id: Uuid::new_v4(),
            step: 0,
        },
    );
    app.infra.bus.publish(&stray).await.unwrap();
    // The drain hands everything it reads to the worker's handler at once.
    app.drain().await;

    let l = app.lead(&booker, &hot).await;
    assert_eq!(
        l["workflows"][0]["currentState"], "meeting_scheduled",
        "{l:#}"
    );
    assert_eq!(l["meetings"].as_array().unwrap().len(), 1);
    assert_eq!(outbound(&l).len(), 1, "one confirmation");
    assert_eq!(outbound(&l)[0]["toAddress"], hot_lead()["email"]);

    let l = app.lead(&booker, &warm).await;
    assert_eq!(l["workflows"][0]["currentState"], "following_up", "{l:#}");
    assert_eq!(l["status"], "contacted");
    assert_eq!(
        outbound(&l)[0]["toAddress"],
        unsubscribed_address,
        "the address is unsubscribed from another tenant only"
    );

    let l = app.lead(&qualifier, &cold).await;
    assert_eq!(l["workflows"][0]["currentState"], "completed", "{l:#}");
    assert_eq!(l["status"], "unqualified");
    assert!(outbound(&l).is_empty());

    let l = app.lead(&followup, &unsubscribed).await;
    assert_eq!(l["workflows"][0]["currentState"], "completed", "{l:#}");
    assert!(outbound(&l).is_empty(), "no email to an unsubscribed lead");

    let dead = app.infra.bus.dead_letters(10).await.unwrap();
    assert_eq!(
        dead.iter().map(|d| d.event.id).collect::<Vec<_>>(),
        vec![stray.id],
        "only the stray event is dead-lettered"
    );
}
