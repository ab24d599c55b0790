//! GET and POST /unsubscribe: signed tokens, no side effect on GET, and the
//! next marketing email is not sent.

mod support;

use secrecy::SecretString;
use serde_json::Value;
use shared_types::{DomainEvent, EventType, WorkflowEventPayload};
use support::{TestApp, warm_lead};

fn signer() -> orchestrator::UnsubscribeSigner {
    orchestrator::UnsubscribeSigner::new(&SecretString::from(core_engine::config::DEV_JWT_SECRET))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_link_unsubscribes_and_stops_the_next_follow_up() {
    let app = TestApp::spawn().await;
    let (token, tenant) = app.tenant("saas-followup").await;
    let lead = app.new_lead(&token, &warm_lead()).await;
    app.drain().await;
    let l = app.lead(&token, &lead).await;
    let email = l["email"].as_str().unwrap().to_owned();
    // The link the lead got, at the end of the follow-up it received.
    let text = l["messages"][0]["content"].as_str().unwrap();
    let url = text
        .rsplit_once("Unsubscribe: ")
        .map(|(_, u)| u.trim())
        .unwrap_or_else(|| panic!("no unsubscribe link in {text}"));
    let link = url
        .split_once("/unsubscribe?token=")
        .map(|(_, t)| t.to_owned())
        .unwrap();
    assert_eq!(
        signer().verify(&link),
        Some((tenant.parse().unwrap(), email.to_lowercase()))
    );
    let suppressed = "SELECT count(*) AS n FROM suppressions WHERE reason = 'unsubscribed'";

    // The page asks; it does not act (mail scanners open links).
    let r = app
        .client
        .get(app.url(&format!("/unsubscribe?token={link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&email) && html.contains("<form method=\"post\""),
        "{html}"
    );
    assert_eq!(app.count(suppressed).await, 0);

    // One-click, twice: one suppression.
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url(&format!("/unsubscribe?token={link}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.count(suppressed).await, 1);

    // The next follow-up comes due: nothing goes to the address.
    let before = app
        .count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'")
        .await;
    let wf = &l["workflows"][0];
    let step = wf["transitions"].as_array().unwrap().len() as i32;
    let e = DomainEvent::for_workflow(
        EventType::FollowupDue,
        tenant.parse().unwrap(),
        WorkflowEventPayload {
            workflow_id: wf["id"].as_str().unwrap().parse().unwrap(),
            lead_id: lead.parse().unwrap(),
            step,
        },
    );
    app.infra
        .orchestrator
        .relay()
        .publish_now(&[e])
        .await
        .unwrap();
    app.drain().await;
    let after = app
        .count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'")
        .await;
    assert_eq!(after, before, "no marketing email after the unsubscribe");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_link_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, tenant) = app.tenant("saas-followup").await;
    let good = signer().token(tenant.parse().unwrap(), "dana@example.com");
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged_email = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        "victim@example.com",
    );
    parts[1] = &forged_email;
    let forged = parts.join(".");
    for t in [forged.as_str(), "garbage", ""] {
        let r = app
            .client
            .get(app.url(&format!("/unsubscribe?token={t}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = app
            .client
            .post(app.url(&format!("/unsubscribe?token={t}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "validation_failed");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM suppressions").await, 0);
}
