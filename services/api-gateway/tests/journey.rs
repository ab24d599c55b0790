//! The customer success condition, end to end, in production mode, for each
//! product: sign up, pay through Stripe Checkout, have a hot lead acted on
//! (an email delivered through Resend, a meeting booked), see it in the
//! metrics, cancel, and lose access at once. Only public HTTP routes are
//! driven, as a customer would; Stripe and Resend are local fakes speaking
//! their wire formats, PostgreSQL and Redis are real.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use support::{
    BOOKER_APP, EMAIL_FROM, FOLLOWUP_APP, LEADQUALIFIER_APP, StripeApp, hot_lead, stripe_price,
};
use test_support::fakes::{invoice_object, stripe_event};

/// What a product does with a hot lead, per its `apps/<slug>/product.toml`.
struct Flow {
    product: &'static str,
    /// The product app (checkout returns there).
    app_url: &'static str,
    /// With a qualifier: `thresholds.hot`, which a hot lead's score reaches.
    hot_score: Option<i64>,
    /// The workflow's state once the worker has acted.
    state: &'static str,
    lead_status: &'static str,
    /// The email the lead receives: `transactional` (a booking
    /// confirmation) or `marketing` (a follow-up).
    email_kind: &'static str,
    books: bool,
}

/// $49 a month, what the buyer pays at Checkout.
const PRICE_CENTS: i64 = 4900;

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r: Response = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    (status, body)
}

fn assert_subscription_required((status, body): (StatusCode, Value), what: &str) {
    assert_eq!(status, 403, "{what}: {body}");
    assert_eq!(body["code"], "subscription_required", "{what}: {body}");
}

fn timestamp(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {v}"))
        .parse()
        .unwrap()
}

/// An .ics body with its folded lines joined (RFC 5545 §3.1).
fn unfolded_ics(attachment: &Value) -> String {
    let raw = BASE64
        .decode(attachment["content"].as_str().expect("base64 content"))
        .expect("attachment content is base64");
    String::from_utf8(raw)
        .expect("the invite is UTF-8")
        .replace("\r\n ", "")
}

async fn journey(flow: Flow) {
    let p = flow.product;
    let b = StripeApp::start().await;
    let app = &b.app;
    assert!(app.config.is_production(), "{p}: a production gateway");

    // 1. Sign up: the tenant exists but has not paid.
    let signed = app.sign_up_body(p).await;
    assert_eq!(signed["tenant"]["product"], p);
    assert_eq!(signed["tenant"]["subscriptionStatus"], "none", "{p}");
    let token = signed["token"].as_str().unwrap().to_owned();
    let tenant_id = signed["tenant"]["id"].as_str().unwrap().to_owned();
    let owner_email = signed["user"]["email"].as_str().unwrap().to_owned();
    let me = || app.client.get(app.url("/api/tenant")).bearer_auth(&token);
    let metrics = || app.client.get(app.url("/metrics")).bearer_auth(&token);
    let post_lead = || {
        app.client
            .post(app.url("/api/leads"))
            .bearer_auth(&token)
            .json(&hot_lead())
    };
    assert_subscription_required(send(metrics()).await, "metrics before paying");
    assert_subscription_required(send(post_lead()).await, "a lead before paying");
    for req in [
        app.client
            .post(app.url("/dev/bootstrap"))
            .json(&json!({"product": p})),
        app.client.get(app.url("/dev/outbox")),
    ] {
        let (status, body) = send(req).await;
        assert_eq!(status, 404, "{p}: /dev/* is absent in production: {body}");
        assert_eq!(body["code"], "not_found");
    }

    // 2. Checkout: a subscription session at this product's price.
    let r = app.checkout(&token, None).await;
    assert_eq!(r.status(), 200, "{p}: {}", r.text().await.unwrap());
    let started: Value = r.json().await.unwrap();
    let session_id = started["sessionId"].as_str().expect("sessionId").to_owned();
    assert_eq!(
        started["checkoutUrl"],
        format!("https://checkout.stripe.com/c/pay/{session_id}")
    );
    let sessions = b.stripe.requests_to("POST", "/v1/checkout/sessions");
    assert_eq!(sessions.len(), 1, "{p}: one Checkout Session");
    let form = &sessions[0].form;
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["line_items[0][price]"], stripe_price(p), "{p}");
    assert_eq!(form["client_reference_id"], tenant_id);
    assert_eq!(
        form["success_url"],
        format!(
            "{}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
            flow.app_url
        )
    );
    let (_, before_paying) = send(me()).await;
    assert_eq!(
        before_paying["tenant"]["subscriptionStatus"], "none",
        "{p}: opening Checkout is not paying"
    );
    assert_subscription_required(send(post_lead()).await, "a lead before the payment");

    // 3. The customer pays; Stripe tells the gateway as it would.
    let session = b.stripe.complete_checkout(&session_id, PRICE_CENTS);
    let sub_id = session["subscription"].as_str().unwrap().to_owned();
    let customer = session["customer"].as_str().unwrap().to_owned();
    let subscription = b.stripe.subscription_object(&sub_id).unwrap();
    assert_eq!(subscription["metadata"]["tenant_id"], tenant_id);
    b.deliver(&stripe_event("checkout.session.completed", session))
        .await;
    b.deliver(&stripe_event("customer.subscription.created", subscription))
        .await;
    b.deliver(&stripe_event(
        "invoice.paid",
        invoice_object(&sub_id, &customer, true, PRICE_CENTS),
    ))
    .await;
    let (status, paid) = send(me()).await;
    assert_eq!(status, 200);
    assert_eq!(
        paid["tenant"]["subscriptionStatus"], "active",
        "{p}: {paid}"
    );

    // 4. A hot lead arrives and gets its automated action.
    let (status, created) = send(post_lead()).await;
    assert_eq!(status, 201, "{p}: {created}");
    let lead_id = created["lead"]["id"].as_str().unwrap().to_owned();
    let lead_email = hot_lead()["email"].as_str().unwrap().to_owned();
    assert!(
        b.resend.delivered().is_empty(),
        "{p}: the gateway never sends inside the request"
    );
    app.drain().await;
    let lead = app.lead(&token, &lead_id).await;
    assert_eq!(lead["status"], flow.lead_status, "{p}: {lead:#}");
    let wf = &lead["workflows"][0];
    assert_eq!(lead["workflows"].as_array().unwrap().len(), 1);
    assert_eq!(wf["product"], p);
    assert_eq!(wf["currentState"], flow.state, "{p}: {lead:#}");
    match flow.hot_score {
        Some(hot) => {
            let score = lead["score"].as_i64().expect("the qualifier scored it");
            assert!((hot..=100).contains(&score), "{p}: hot lead scored {score}");
            assert!(
                lead["qualificationReason"]
                    .as_str()
                    .is_some_and(|r| !r.is_empty()),
                "{p}: the score comes with a reason"
            );
            assert_eq!(wf["agentLogs"][0]["agentType"], "qualifier");
        }
        None => {
            assert!(lead["score"].is_null(), "{p}: no qualifier, no score");
            assert_eq!(wf["followupAttempts"], 1, "{p}: the first follow-up");
            assert!(
                timestamp(&wf["nextFollowupAt"]) > Utc::now(),
                "{p}: the next follow-up is scheduled"
            );
        }
    }

    // The message as the tenant sees it, and the email as Resend got it.
    let messages = lead["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{p}: one email: {lead:#}");
    let message = &messages[0];
    assert_eq!(message["direction"], "outbound");
    assert_eq!(message["toAddress"], lead_email);
    assert_eq!(message["kind"], flow.email_kind, "{p}");
    assert_eq!(message["status"], "sent", "{p}: sent, not stored");
    assert_eq!(message["provider"], "resend");
    assert!(message["providerMessageId"].is_string(), "{message}");
    let delivered = b.resend.delivered();
    assert_eq!(delivered.len(), 1, "{p}: one email reached Resend");
    let email = &delivered[0];
    assert_eq!(email["to"], json!([lead_email]), "{p}: to the lead");
    let sender = EMAIL_FROM.rsplit_once('<').unwrap().1.trim_end_matches('>');
    assert!(
        email["from"]
            .as_str()
            .is_some_and(|f| f.ends_with(&format!("<{sender}>"))),
        "{p}: sent from EMAIL_FROM's address: {}",
        email["from"]
    );
    assert_eq!(email["subject"], message["subject"]);
    let tags = email["tags"].as_array().expect("tags");
    for (name, value) in [
        ("tenant_id", tenant_id.as_str()),
        ("lead_id", lead_id.as_str()),
        ("kind", flow.email_kind),
    ] {
        let tag = json!({"name": name, "value": value});
        assert!(tags.contains(&tag), "{p}: tag {tag} in {tags:?}");
    }
    // Replies reach the business (the owner, until settings say otherwise).
    assert_eq!(
        email["reply_to"],
        json!(owner_email),
        "{p}: replies go to the owner"
    );
    // Marketing mail carries RFC 8058 one-click unsubscribe; a booking
    // confirmation is transactional and does not.
    let headers = &email["headers"];
    if flow.email_kind == "marketing" {
        let list = headers["List-Unsubscribe"].as_str().unwrap_or_default();
        assert!(
            list.starts_with("<https://") && list.contains("/unsubscribe?token="),
            "{p}: List-Unsubscribe in {email}"
        );
        assert_eq!(
            headers["List-Unsubscribe-Post"],
            "List-Unsubscribe=One-Click"
        );
        let link = list.trim_matches(['<', '>']);
        assert!(
            email["text"].as_str().is_some_and(|t| t.contains(link)),
            "{p}: the visible link"
        );
    } else {
        assert!(headers.get("List-Unsubscribe").is_none(), "{p}: {email}");
    }
    let meetings = lead["meetings"].as_array().unwrap();
    if flow.books {
        assert_eq!(meetings.len(), 1, "{p}: a meeting is booked");
        let meeting = &meetings[0];
        assert_eq!(meeting["status"], "confirmed");
        let starts = timestamp(&meeting["startsAt"]);
        assert!(starts > Utc::now(), "{p}: booked in the future");
        let attachments = email["attachments"].as_array().expect("attachments");
        assert_eq!(attachments.len(), 1, "{p}: the invite");
        let invite = &attachments[0];
        assert!(
            invite["filename"]
                .as_str()
                .is_some_and(|f| f.ends_with(".ics")),
            "{invite}"
        );
        assert!(
            invite["content_type"]
                .as_str()
                .is_some_and(|c| c.starts_with("text/calendar")),
            "{invite}"
        );
        let ics = unfolded_ics(invite);
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"), "{ics}");
        let dtstart = format!("\r\nDTSTART:{}\r\n", starts.format("%Y%m%dT%H%M%SZ"));
        assert!(ics.contains(&dtstart), "{p}: the booked time: {ics}");
        assert!(
            ics.contains(&format!("RSVP=TRUE:mailto:{lead_email}\r\n")),
            "{p}: the lead is invited: {ics}"
        );
        let organizer = ics
            .lines()
            .find_map(|l| l.strip_prefix("ORGANIZER:mailto:"))
            .expect("an organizer");
        assert!(
            organizer.contains('@') && !organizer.contains(['<', '>', ' ', '"']),
            "{p}: ORGANIZER must be a bare address (RFC 5545 CAL-ADDRESS), not `{organizer}`"
        );
    } else {
        assert!(meetings.is_empty(), "{p}: this product does not book");
        assert!(
            email["attachments"].as_array().is_none_or(|a| a.is_empty()),
            "{p}: a follow-up has no attachment"
        );
    }

    // 5. The metrics say exactly that.
    let (status, m) = send(metrics()).await;
    assert_eq!(status, 200, "{m}");
    let speed_ms = {
        let took = timestamp(&lead["firstActionAt"]) - timestamp(&lead["createdAt"]);
        (took.num_microseconds().unwrap() as f64 / 1000.0).round() as i64
    };
    let qualified = i64::from(flow.hot_score.is_some());
    let expected = json!({
        "leads": 1,
        "qualifiedLeads": qualified,
        "disqualifiedLeads": 0,
        "avgScore": lead["score"].as_i64().map(|s| s as f64),
        "meetingsBooked": i64::from(flow.books),
        "emailsSent": 1,
        "followupsSent": i64::from(flow.email_kind == "marketing"),
        "webhooksFired": 0,
        "replyRate": 0.0,
        "conversionRate": 0.0,
        "totalWorkflows": 1,
        "activeWorkflows": 1,
        "escalatedLeads": 0,
        "medianSpeedToLeadMs": speed_ms,
        "subscriptionStatus": "active",
        "activationMode": "stripe",
        "product": p,
    });
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&m[key], want, "{p}: metrics {key}: {m:#}");
    }

    // 6. The customer cancels: access ends with the webhook.
    b.stripe.set_subscription_status(&sub_id, "canceled");
    let gone = b.stripe.subscription_object(&sub_id).unwrap();
    b.deliver(&stripe_event("customer.subscription.deleted", gone))
        .await;
    assert_subscription_required(send(post_lead()).await, "a lead after canceling");
    assert_subscription_required(send(metrics()).await, "metrics after canceling");
    let (status, after) = send(me()).await;
    assert_eq!(status, 200);
    assert_eq!(after["tenant"]["subscriptionStatus"], "canceled", "{p}");
    app.drain().await;
    assert_eq!(b.resend.delivered().len(), 1, "{p}: nothing more was sent");
    let leads = app
        .count(&format!(
            "SELECT count(*) AS n FROM leads WHERE tenant_id = '{tenant_id}'"
        ))
        .await;
    assert_eq!(leads, 1, "{p}: the refused lead was not stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn booker_customer_pays_gets_a_hot_lead_booked_and_loses_access_on_cancel() {
    journey(Flow {
        product: "saas-booker",
        app_url: BOOKER_APP,
        hot_score: Some(70),
        state: "meeting_scheduled",
        lead_status: "meeting_scheduled",
        email_kind: "transactional",
        books: true,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leadqualifier_customer_pays_gets_a_hot_lead_scored_and_emailed_and_loses_access_on_cancel()
{
    journey(Flow {
        product: "saas-leadqualifier",
        app_url: LEADQUALIFIER_APP,
        hot_score: Some(65),
        state: "following_up",
        lead_status: "contacted",
        email_kind: "marketing",
        books: false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn followup_customer_pays_gets_a_lead_followed_up_and_loses_access_on_cancel() {
    journey(Flow {
        product: "saas-followup",
        app_url: FOLLOWUP_APP,
        hot_score: None,
        state: "following_up",
        lead_status: "contacted",
        email_kind: "marketing",
        books: false,
    })
    .await;
}
