//! POST /api/resend/webhook: Svix-signed Resend events. Forged, stale and
//! replayed deliveries change nothing; a hard bounce or a complaint stops
//! all mail to the address; a lead's reply stops its follow-ups and counts
//! in replyRate; an out-of-office answer only pauses them.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use shared_types::{DomainEvent, EventType, WorkflowEventPayload};
use support::{TestApp, hot_lead, warm_lead};
use test_support::fakes::unix_now;
use uuid::Uuid;

/// A Svix endpoint secret made now: `whsec_` + base64 of 32 random bytes.
fn svix_secret() -> (String, Vec<u8>) {
    let key: Vec<u8> = [Uuid::new_v4(), Uuid::new_v4()]
        .iter()
        .flat_map(|u| u.as_bytes().to_vec())
        .collect();
    (format!("whsec_{}", STANDARD.encode(&key)), key)
}

/// One `v1,<base64 HMAC-SHA256>` entry over `{id}.{timestamp}.{body}`, as
/// Svix signs.
fn svix_signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn svix_id() -> String {
    format!("msg_{}", Uuid::new_v4().simple())
}

/// A gateway whose RESEND_WEBHOOK_SECRET is `key`.
struct Hook {
    app: TestApp,
    key: Vec<u8>,
}

impl Hook {
    async fn start() -> Self {
        let (secret, key) = svix_secret();
        let app = TestApp::spawn_with(&[("RESEND_WEBHOOK_SECRET", &secret)]).await;
        Self { app, key }
    }

    /// Posts `body` with the given Svix headers (`None`: header left out).
    async fn post(
        &self,
        body: &str,
        id: Option<&str>,
        timestamp: Option<String>,
        signature: Option<String>,
    ) -> reqwest::Response {
        post(&self.app, body, id, timestamp, signature).await
    }

    /// Delivers `event` as Resend does under svix-id `id`, signed now.
    async fn deliver_as(&self, id: &str, event: &Value) -> Value {
        let body = event.to_string();
        let t = unix_now();
        let sig = svix_signature(&self.key, id, t, &body);
        let r = self
            .post(&body, Some(id), Some(t.to_string()), Some(sig))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["received"], true);
        v
    }

    /// Delivers `event` under a fresh svix-id; answers the outcome.
    async fn deliver(&self, event: &Value) -> String {
        let v = self.deliver_as(&svix_id(), event).await;
        v["outcome"].as_str().unwrap().to_owned()
    }
}

/// svix-id, svix-timestamp and svix-signature as sent (`None`: left out).
type SvixSent<'a> = (Option<&'a str>, Option<String>, Option<String>);

async fn post(
    app: &TestApp,
    body: &str,
    id: Option<&str>,
    timestamp: Option<String>,
    signature: Option<String>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/resend/webhook"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(i) = id {
        req = req.header("svix-id", i);
    }
    if let Some(t) = timestamp {
        req = req.header("svix-timestamp", t);
    }
    if let Some(s) = signature {
        req = req.header("svix-signature", s);
    }
    req.send().await.unwrap()
}

fn bounced(to: &str, bounce_type: &str) -> Value {
    json!({"type": "email.bounced", "created_at": "2026-11-27T12:05:00.000Z", "data": {
        "email_id": Uuid::new_v4().to_string(), "created_at": "2026-11-27T12:00:00.000Z",
        "from": "Demo Plumbing Co <onboarding@resend.dev>", "to": [to], "subject": "Following up",
        "bounce": {"type": bounce_type, "subType": "General", "message": "550 5.1.1 user unknown"}}})
}

fn complained(to: &str) -> Value {
    json!({"type": "email.complained", "created_at": "2026-11-27T12:05:00.000Z", "data": {
        "email_id": Uuid::new_v4().to_string(), "from": "onboarding@resend.dev", "to": [to],
        "subject": "Following up"}})
}

fn received(from: &str, to: &str, subject: &str, text: &str, headers: Value) -> Value {
    json!({"type": "email.received", "created_at": "2026-11-27T12:05:00.000Z", "data": {
        "email_id": Uuid::new_v4().to_string(), "created_at": "2026-11-27T12:05:00.000Z",
        "from": format!("The Lead <{from}>"), "to": [to], "cc": [], "bcc": [], "subject": subject,
        "attachments": [], "text": text, "headers": headers}})
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

async fn stored(app: &TestApp) -> (i64, i64) {
    (
        count(app, "SELECT count(*) AS n FROM resend_events").await,
        count(app, "SELECT count(*) AS n FROM suppressions").await,
    )
}

/// Outbound emails to `address` (sent or stored by the outbox mailer).
async fn mail_to(app: &TestApp, address: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) AS n FROM messages WHERE direction = 'outbound' AND lower(to_address) = '{}'",
            address.to_lowercase()
        ),
    )
    .await
}

fn lead_with(body: Value, email: &str) -> Value {
    let mut b = body;
    b["email"] = json!(email);
    b
}

async fn metrics(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A lead that got its first follow-up: (lead id, workflow id, step).
async fn followed_up(app: &TestApp, token: &str, email: &str) -> (String, String, i32) {
    let id = app.new_lead(token, &lead_with(warm_lead(), email)).await;
    app.drain().await;
    let l = app.lead(token, &id).await;
    let wf = &l["workflows"][0];
    assert_eq!(wf["currentState"], "following_up", "{l:#}");
    let step = wf["transitions"].as_array().unwrap().len() as i32;
    (id, wf["id"].as_str().unwrap().to_owned(), step)
}

/// The `followup_due` the scheduler publishes for `step`, run to the end.
async fn followup_due(app: &TestApp, tenant: &str, wf: &str, lead: &str, step: i32) {
    let e = DomainEvent::for_workflow(
        EventType::FollowupDue,
        tenant.parse().unwrap(),
        WorkflowEventPayload {
            workflow_id: wf.parse().unwrap(),
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
}

async fn workflow_row(app: &TestApp, wf: &str) -> (i64, i64, i64) {
    let q = |col: &str| format!("SELECT ({col})::bigint AS n FROM workflows WHERE id = '{wf}'");
    (
        count(app, &q("extract(epoch FROM next_followup_at)")).await,
        count(app, &q("step")).await,
        count(app, &q("(replied_at IS NOT NULL)::int")).await,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_stale_future_and_unsigned_deliveries_are_refused_and_store_nothing() {
    let hook = Hook::start().await;
    let body = bounced("victim@example.org", "Permanent").to_string();
    let id = svix_id();
    let now = unix_now();
    let good = svix_signature(&hook.key, &id, now, &body);
    let (_, other_key) = svix_secret();
    let id = id.as_str();
    let signed = |key: &[u8], signed_id: &str, t: i64| -> SvixSent {
        (
            Some(id),
            Some(t.to_string()),
            Some(svix_signature(key, signed_id, t, &body)),
        )
    };
    let cases: Vec<(&str, SvixSent)> = vec![
        ("wrong secret", signed(&other_key, id, now)),
        (
            "signature of another id",
            signed(&hook.key, "msg_other", now),
        ),
        ("signed 6 minutes ago", signed(&hook.key, id, now - 360)),
        ("signed 6 minutes ahead", signed(&hook.key, id, now + 360)),
        (
            "timestamp moved",
            (Some(id), Some((now + 1).to_string()), Some(good.clone())),
        ),
        (
            "not v1",
            (
                Some(id),
                Some(now.to_string()),
                Some(good.replace("v1,", "v2,")),
            ),
        ),
        (
            "no svix-id",
            (None, Some(now.to_string()), Some(good.clone())),
        ),
        ("no svix-timestamp", (Some(id), None, Some(good.clone()))),
        ("no svix-signature", (Some(id), Some(now.to_string()), None)),
        ("no headers", (None, None, None)),
    ];
    for (what, (i, t, s)) in cases {
        let r = hook.post(&body, i, t, s).await;
        assert_eq!(r.status(), 400, "{what}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "validation_failed", "{what}: {v}");
        assert_eq!(stored(&hook.app).await, (0, 0), "{what}: nothing stored");
    }
    // A tampered body under a good signature.
    let tampered = bounced("someone-else@example.org", "Permanent").to_string();
    let r = hook
        .post(
            &tampered,
            Some(id),
            Some(now.to_string()),
            Some(good.clone()),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(stored(&hook.app).await, (0, 0));

    // The genuine delivery is accepted: the refusals were about the signature.
    let r = hook
        .post(&body, Some(id), Some(now.to_string()), Some(good))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(stored(&hook.app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn during_a_secret_rotation_any_matching_signature_is_accepted() {
    let hook = Hook::start().await;
    let (_, old_key) = svix_secret();
    let body = complained("rotated@example.org").to_string();
    let (id, now) = (svix_id(), unix_now());
    let old = svix_signature(&old_key, &id, now, &body);
    let current = svix_signature(&hook.key, &id, now, &body);

    let r = hook
        .post(&body, Some(&id), Some(now.to_string()), Some(old.clone()))
        .await;
    assert_eq!(r.status(), 400, "the old secret alone is not ours");
    let r = hook
        .post(
            &body,
            Some(&id),
            Some(now.to_string()),
            Some(format!("{old} {current}")),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(stored(&hook.app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_delivery_changes_nothing() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (token, _) = app.tenant("saas-followup").await;
    let (lead, _, _) = followed_up(app, &token, "replay@lead-co.example").await;
    let id = svix_id();
    let reply = |text: &str| {
        received(
            "replay@lead-co.example",
            "replies@inbound.example",
            "Re: your quote",
            text,
            json!({}),
        )
    };
    let first = hook.deliver_as(&id, &reply("Yes, call me")).await;
    assert_eq!(first["outcome"], "replied");
    let inbound = "SELECT count(*) AS n FROM messages WHERE direction = 'inbound'";
    assert_eq!(count(app, inbound).await, 1);

    // Svix retries with the same id, signed afresh; even another body under
    // that id changes nothing.
    for text in ["Yes, call me", "A different body"] {
        let again = hook.deliver_as(&id, &reply(text)).await;
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["outcome"], "duplicate");
    }
    assert_eq!(count(app, inbound).await, 1);
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM resend_events").await,
        1
    );
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["messages"].as_array().unwrap().len(), 2, "{l:#}");
    app.drain().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hard_bounce_stops_all_mail_to_the_address_for_every_tenant_and_a_soft_one_does_not() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (followup, _) = app.tenant("saas-followup").await;
    let (booker, _) = app.tenant("saas-booker").await;
    let (gone, full, fine) = (
        "dana@gone-dental.com",
        "dana@full-dental.com",
        "dana@fine-dental.com",
    );

    assert_eq!(
        hook.deliver(&bounced(gone, "Permanent")).await,
        "suppressed"
    );
    assert_eq!(hook.deliver(&bounced(full, "Transient")).await, "ignored");
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT count(*) AS n FROM suppressions WHERE tenant_id IS NULL AND reason = 'bounced' AND email = '{gone}'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM suppressions").await,
        1,
        "the soft bounce suppressed nothing"
    );

    for address in [gone, full, fine] {
        // Marketing (a follow-up) in one tenant, transactional (a booking
        // confirmation) in another.
        app.new_lead(&followup, &lead_with(warm_lead(), address))
            .await;
        app.new_lead(&booker, &lead_with(hot_lead(), address)).await;
    }
    app.drain().await;
    let kinds = |address: &str| {
        format!(
            "SELECT count(*) AS n FROM messages WHERE direction = 'outbound' AND to_address = '{address}' AND kind = "
        )
    };
    for address in [full, fine] {
        assert_eq!(
            count(app, &format!("{}'marketing'", kinds(address))).await,
            1,
            "{address} gets its follow-up"
        );
        assert_eq!(
            count(app, &format!("{}'transactional'", kinds(address))).await,
            1,
            "{address} gets its booking confirmation"
        );
    }
    assert_eq!(
        mail_to(app, gone).await,
        0,
        "no mail of any kind after a hard bounce"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_suppresses_the_address_everywhere() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (token, _) = app.tenant("saas-followup").await;
    let (spam, other) = ("jordan@annoyed-logistics.com", "jordan@happy-logistics.com");
    assert_eq!(hook.deliver(&complained(spam)).await, "suppressed");
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM suppressions WHERE tenant_id IS NULL AND reason = 'complained'"
        )
        .await,
        1
    );
    app.new_lead(&token, &lead_with(warm_lead(), spam)).await;
    app.new_lead(&token, &lead_with(warm_lead(), other)).await;
    app.drain().await;
    assert_eq!(mail_to(app, spam).await, 0);
    assert_eq!(mail_to(app, other).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inbound_reply_stops_the_follow_ups_and_counts_in_the_reply_rate() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (token, tenant) = app.tenant("saas-followup").await;
    let address = "sam@acme-dental.com";
    let (lead, wf, step) = followed_up(app, &token, address).await;
    assert_eq!(mail_to(app, address).await, 1);
    assert_eq!(metrics(app, &token).await["replyRate"], 0.0);

    // Deliveries and opens change nothing.
    for kind in ["email.delivered", "email.opened", "email.sent"] {
        let e = json!({"type": kind, "created_at": "2026-11-27T12:00:00.000Z",
            "data": {"email_id": Uuid::new_v4().to_string(), "to": [address]}});
        assert_eq!(hook.deliver(&e).await, "recorded");
    }
    assert_eq!(workflow_row(app, &wf).await.1, i64::from(step));

    let outcome = hook
        .deliver(&received(
            "Sam@Acme-Dental.com",
            "replies@inbound.example",
            "Re: Following up",
            "Sounds good, call me Tuesday",
            json!({"Auto-Submitted": "no"}),
        ))
        .await;
    assert_eq!(outcome, "replied");
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["workflows"][0]["currentState"], "completed");
    assert!(l["workflows"][0]["repliedAt"].is_string());
    let reply = l["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "inbound")
        .cloned()
        .unwrap_or_else(|| panic!("no inbound message: {l:#}"));
    assert_eq!(reply["kind"], "reply");
    assert_eq!(reply["status"], "received");
    assert_eq!(reply["provider"], "resend");
    assert_eq!(reply["content"], "Sounds good, call me Tuesday");

    // The follow-up the scheduler queued for the old step sends nothing.
    followup_due(app, &tenant, &wf, &lead, step).await;
    assert_eq!(mail_to(app, address).await, 1, "no email after the reply");
    assert_eq!(metrics(app, &token).await["replyRate"], 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_from_an_address_that_is_a_lead_of_two_tenants_goes_to_the_one_it_was_sent_to() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (a_token, _) = app.tenant("saas-followup").await;
    let (b_token, b_tenant) = app.tenant("saas-followup").await;
    let address = "riley@shared-lead.com";
    let (a_lead, _, _) = followed_up(app, &a_token, address).await;
    let (b_lead, _, _) = followed_up(app, &b_token, address).await;
    let b_owner = format!(
        "owner+{}@example.com",
        b_tenant.parse::<Uuid>().unwrap().simple()
    );

    // Sent to neither tenant's address: ambiguous, nobody's records change.
    let ambiguous = received(
        address,
        "someone@elsewhere.example",
        "Re: hi",
        "Yes!",
        json!({}),
    );
    assert_eq!(hook.deliver(&ambiguous).await, "unmatched");
    let to_b = received(address, &b_owner, "Re: hi", "Yes!", json!({}));
    assert_eq!(hook.deliver(&to_b).await, "replied");

    let a = app.lead(&a_token, &a_lead).await;
    let b = app.lead(&b_token, &b_lead).await;
    assert_eq!(a["workflows"][0]["currentState"], "following_up");
    assert_eq!(a["messages"].as_array().unwrap().len(), 1);
    assert_eq!(b["workflows"][0]["currentState"], "completed");
    assert_eq!(b["messages"].as_array().unwrap().len(), 2);
    // A stranger's mail matches nobody.
    let stranger = received("nobody@nowhere.example", &b_owner, "Hi", "Hello", json!({}));
    assert_eq!(hook.deliver(&stranger).await, "unmatched");
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM messages WHERE direction = 'inbound'"
        )
        .await,
        1
    );
    app.drain().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_office_answer_pauses_the_follow_ups_instead_of_stopping_them() {
    let hook = Hook::start().await;
    let app = &hook.app;
    let (token, tenant) = app.tenant("saas-followup").await;
    let address = "kim@away-dental.com";
    let (lead, wf, step) = followed_up(app, &token, address).await;
    let (due_before, _, _) = workflow_row(app, &wf).await;

    let outcome = hook
        .deliver(&received(
            address,
            "replies@inbound.example",
            "Automatic reply: Following up",
            "I am out of the office until Monday with limited access to email.",
            json!({"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}),
        ))
        .await;
    assert_eq!(outcome, "auto_reply");
    let (due_after, step_after, replied) = workflow_row(app, &wf).await;
    assert!(
        due_after >= unix_now() + 3 * 86_400 && due_after > due_before,
        "next follow-up pushed back: {due_before} -> {due_after}"
    );
    assert_eq!(step_after, i64::from(step) + 1);
    assert_eq!(replied, 0);
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
    let auto = l["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "inbound")
        .cloned()
        .unwrap();
    assert_eq!(
        (auto["kind"].as_str(), auto["status"].as_str()),
        (Some("reply"), Some("auto_reply"))
    );
    assert_eq!(metrics(app, &token).await["replyRate"], 0.0);

    // The follow-up queued before the pause is stale; the one the scheduler
    // queues when the new time comes is sent: paused, not stopped.
    followup_due(app, &tenant, &wf, &lead, step).await;
    assert_eq!(mail_to(app, address).await, 1);
    followup_due(app, &tenant, &wf, &lead, step + 1).await;
    assert_eq!(mail_to(app, address).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_office_message_posted_by_the_tenant_pauses_too() {
    let app = TestApp::spawn().await;
    let (token, _) = app.tenant("saas-followup").await;
    let (lead, wf, step) = followed_up(&app, &token, "lee@vacation-dental.com").await;
    let r = app
        .client
        .post(app.url(&format!("/api/leads/{lead}/messages")))
        .bearer_auth(&token)
        .json(&json!({"direction": "inbound", "channel": "email",
            "content": "Thank you for your email. I am on vacation until June 3rd."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"]["status"], "auto_reply");
    let l = app.lead(&token, &lead).await;
    assert_eq!(l["workflows"][0]["currentState"], "following_up");
    let (_, step_after, replied) = workflow_row(&app, &wf).await;
    assert_eq!((step_after, replied), (i64::from(step) + 1, 0));
    assert_eq!(metrics(&app, &token).await["replyRate"], 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn production_without_a_secret_refuses_every_event() {
    let admin = support::random_secret();
    let app =
        TestApp::spawn_production(&[("PAYMENT_MODE", "manual"), ("ADMIN_SECRET", &admin)]).await;
    let body = bounced("victim@example.org", "Permanent").to_string();
    let (_, key) = svix_secret();
    let (id, now) = (svix_id(), unix_now());
    let sig = svix_signature(&key, &id, now, &body);
    for (i, t, s) in [
        (None, None, None),
        (Some(id.as_str()), Some(now.to_string()), Some(sig)),
    ] {
        let r = post(&app, &body, i, t, s).await;
        assert_eq!(r.status(), 503);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "service_unavailable");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("RESEND_WEBHOOK_SECRET"),
            "{v}"
        );
    }
    assert_eq!(stored(&app).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn production_with_a_secret_accepts_signed_events() {
    let (secret, key) = svix_secret();
    let admin = support::random_secret();
    let app = TestApp::spawn_production(&[
        ("PAYMENT_MODE", "manual"),
        ("ADMIN_SECRET", &admin),
        ("RESEND_WEBHOOK_SECRET", &secret),
    ])
    .await;
    let body = complained("spam@example.org").to_string();
    let r = post(&app, &body, None, None, None).await;
    assert_eq!(r.status(), 400, "unsigned");
    let (id, now) = (svix_id(), unix_now());
    let sig = svix_signature(&key, &id, now, &body);
    let r = post(&app, &body, Some(&id), Some(now.to_string()), Some(sig)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(stored(&app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn development_without_a_secret_accepts_unsigned_events_once() {
    let app = TestApp::spawn().await;
    let body = bounced("typo@example.org", "Permanent").to_string();
    for duplicate in [false, true] {
        let r = post(&app, &body, None, None, None).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["duplicate"] == true, duplicate, "{v}");
    }
    assert_eq!(stored(&app).await, (1, 1));
    let r = post(&app, "not json", None, None, None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(stored(&app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_the_webhook() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/openapi.json").await;
    let op = &doc["paths"]["/api/resend/webhook"]["post"];
    let headers: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("no parameters: {op:#}"))
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(headers, ["svix-id", "svix-timestamp", "svix-signature"]);
    for status in ["200", "400", "503"] {
        assert!(op["responses"][status].is_object(), "{status}: {op:#}");
    }
}
