//! Each product app driven over HTTP as a browser would, against a real
//! gateway in production mode: sign up, Activate, Stripe Checkout (fake)
//! and its signed webhooks, active, a hot lead added through the form and
//! acted on by the worker, its score and email or meeting on the lead page,
//! metrics, closing the lead, settings, API keys, log out and in. Plus the
//! refusals: no CSRF token, another product's session, field errors.

mod support;

use serde_json::json;
use shared_types::ProductSlug;
use support::{Browser, Flow, Gateway, WebApp, json_of, public_url};
use test_support::fakes::{invoice_object, stripe_event};

const HOT_LEAD: &[(&str, &str)] = &[
    ("name", "Dana Whitfield"),
    ("email", "dana@brightsmiles-dental.com"),
    ("phone", "+1 555 010 2030"),
    ("source", "referral"),
    ("company", "Bright Smiles Dental"),
    ("jobTitle", "Owner"),
    ("companySize", "25"),
    ("intent", "Need a quote to book an install this week"),
    ("budgetRange", "$10k-20k"),
    ("timeline", "this week"),
    ("linkedinUrl", ""),
];

async fn journey(flow: Flow) {
    let p = flow.product;
    let config = rules_engine::Catalog::embedded().get(p);
    let gw = Gateway::start().await;
    let app = WebApp::start(p, &gw.addr);
    let mut b = Browser::new(&app.addr);

    // Landing: this product's angle only.
    let landing = b.get("/").await;
    assert_eq!(landing.status, 200);
    landing.assert_has(&config.marketing.headline);
    landing.assert_has("fewer than 10 employees");
    for other in rules_engine::Catalog::embedded().all() {
        if other.slug != p {
            assert!(
                !landing.has(&other.marketing.headline),
                "{p}: shows {}",
                other.name
            );
        }
    }
    let health = b.get("/health").await;
    assert_eq!(json_of(&health.body)["service"], p.as_str());

    // Sign up: a gateway field error is shown next to its field, and the
    // password is never echoed back.
    let email = format!("owner+{}@joes.example", uuid::Uuid::new_v4().simple());
    let refused = b
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Joe's Plumbing"),
                ("email", &email),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_has(r#"id="f-password-error""#);
    refused.assert_has(r#"aria-describedby="f-password-hint f-password-error""#);
    assert!(!refused.has(r#"value="short""#));
    let signed = b
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Joe's Plumbing"),
                ("email", &email),
                ("password", "correct horse battery"),
                ("timezone", "America/Chicago"),
            ],
        )
        .await;
    signed.assert_redirect("/dashboard");
    let session = signed
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("gos-{p}-session=")))
        .unwrap_or_else(|| panic!("{p}: a session cookie in {:?}", signed.set_cookies));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{p}: {attr} in {session}");
    }

    // Not paid yet: the Activate button, and no leads.
    let dash = b.get("/dashboard").await;
    assert_eq!(dash.status, 200);
    dash.assert_has("<h1>Joe's Plumbing</h1>");
    dash.assert_has(r#"<span class="badge neutral">none</span>"#);
    dash.assert_has(r#"action="/billing/activate""#);
    let blocked = b.get("/leads").await;
    assert_eq!(blocked.status, 403, "{p}: {}", blocked.body);
    blocked.assert_has("subscription is not active");

    // Activate: straight to Stripe Checkout, coming back to this app.
    let no_csrf = b.post("/billing/activate", &[]).await;
    assert_eq!(no_csrf.status, 403, "{p}: a POST without a CSRF token");
    assert_eq!(gw.stripe.sessions_created(), 0);
    let to_stripe = b.submit("/dashboard", "/billing/activate", &[]).await;
    assert_eq!(to_stripe.status, 303, "{p}: {}", to_stripe.body);
    let checkout_url = to_stripe.location.clone().unwrap();
    let session_id = checkout_url
        .strip_prefix("https://checkout.stripe.com/c/pay/")
        .unwrap_or_else(|| panic!("{p}: {checkout_url}"))
        .to_owned();
    let form = &gw.stripe.requests_to("POST", "/v1/checkout/sessions")[0].form;
    let base = public_url(p);
    assert_eq!(
        form["success_url"],
        format!("{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}")
    );
    assert_eq!(form["cancel_url"], format!("{base}/billing/cancel"));
    let pending = b
        .get(&format!("/billing/success?session_id={session_id}"))
        .await;
    pending.assert_has(r#"data-refresh="3""#);
    pending.assert_has(r#"<script src="/static/refresh.js" defer>"#);
    assert!(!pending.has(r#"http-equiv="refresh""#), "no timed reload");
    b.get("/billing/cancel")
        .await
        .assert_has("No payment was taken");

    // The buyer pays; Stripe's signed webhooks activate the tenant.
    let session = gw.stripe.complete_checkout(&session_id, 4900);
    let sub_id = session["subscription"].as_str().unwrap().to_owned();
    let customer = session["customer"].as_str().unwrap().to_owned();
    let subscription = gw.stripe.subscription_object(&sub_id).unwrap();
    gw.deliver(&stripe_event("checkout.session.completed", session))
        .await;
    gw.deliver(&stripe_event("customer.subscription.created", subscription))
        .await;
    gw.deliver(&stripe_event(
        "invoice.paid",
        invoice_object(&sub_id, &customer, true, 4900),
    ))
    .await;
    let success = b
        .get(&format!("/billing/success?session_id={session_id}"))
        .await;
    success.assert_has("Your subscription is active");
    assert!(!success.has("data-refresh"));
    assert!(!success.has("refresh.js"));
    b.get("/dashboard")
        .await
        .assert_has(r#"<span class="badge good">active</span>"#);

    // A lead through the form: errors next to the field first.
    let bad = b
        .submit(
            "/leads",
            "/leads",
            &[
                ("name", "X"),
                ("email", "not-an-email"),
                ("source", "website"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{p}: {}", bad.body);
    bad.assert_has(r#"id="f-email-error""#);
    let bad_size = b
        .submit(
            "/leads",
            "/leads",
            &[
                ("name", "X"),
                ("email", "x@acme.example"),
                ("source", "web"),
                ("companySize", "ten"),
            ],
        )
        .await;
    bad_size.assert_has(r#"id="f-companySize-error""#);
    let added = b.submit("/leads", "/leads", HOT_LEAD).await;
    assert_eq!(added.status, 303, "{p}: {}", added.body);
    let lead_path = added.location.clone().unwrap();
    assert!(lead_path.starts_with("/leads/"), "{lead_path}");
    let waiting = b.get(&lead_path).await;
    waiting.assert_has("The AI is working on this lead");

    gw.drain().await;

    let lead = b.get(&lead_path).await;
    assert_eq!(lead.status, 200);
    assert!(!lead.has("The AI is working on this lead"), "{p}: done");
    lead.assert_has("Bright Smiles Dental");
    // Metadata shows under the form's labels, not its JSON keys.
    lead.assert_has("<dt>Budget</dt>");
    assert!(!lead.has("<dt>budgetRange</dt>"));
    lead.assert_has("outbound email");
    lead.assert_has("dana@brightsmiles-dental.com");
    lead.assert_has(r#"<span class="badge neutral">Rule</span>"#);
    lead.assert_has("lead_received → ");
    if flow.scores {
        lead.assert_has("qualifier agent");
        assert!(lead.has(" / 100"), "{p}: a score");
        assert!(!lead.has("Not scored yet."), "{p}: a reason");
    } else {
        lead.assert_has("followup agent");
        lead.assert_has("Not scored yet.");
    }
    if flow.books {
        lead.assert_has("internal calendar");
        assert!(!lead.has("No meeting."));
    } else {
        lead.assert_has("No meeting.");
    }
    let list = b.get("/leads").await;
    list.assert_has(&format!(r#"<th scope="col">{}</th>"#, flow.column.0));
    list.assert_has(&format!("<td>{}</td>", flow.column.1));

    let metrics = b.get("/metrics").await;
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    metrics.assert_has("Median speed-to-lead");
    assert!(
        !metrics.has("no lead contacted yet"),
        "{p}: speed-to-lead measured"
    );
    metrics.assert_has(r#"<span class="label">Leads</span><span class="value">1</span>"#);
    metrics.assert_has(flow.metric);

    // Closing the lead.
    let closed = b
        .submit(
            &lead_path,
            &format!("{lead_path}/status"),
            &[("status", "converted")],
        )
        .await;
    closed.assert_redirect(&lead_path);
    let after = b.get(&lead_path).await;
    after.assert_has(r#"<span class="badge good">converted</span>"#);
    assert!(!after.has("Mark converted"));

    // Settings, with the gateway's field errors next to the field.
    let wrong_tz = b
        .submit("/settings", "/settings", &[("timezone", "Mars/Olympus")])
        .await;
    assert_eq!(wrong_tz.status, 422, "{p}: {}", wrong_tz.body);
    wrong_tz.assert_has(r#"id="f-timezone-error""#);
    let half = b
        .submit(
            "/settings",
            "/settings",
            &[("timezone", "Europe/London"), ("monOpen", "09:00")],
        )
        .await;
    half.assert_has("need both an opening and a closing time on Monday");
    let saved = b
        .submit(
            "/settings",
            "/settings",
            &[
                ("timezone", "Europe/London"),
                ("monOpen", "08:30"),
                ("monClose", "17:00"),
                ("notificationEmail", "ana@rivera.example"),
                ("fromName", "Rivera Plumbing"),
                ("physicalAddress", "1 Main St, Springfield"),
            ],
        )
        .await;
    saved.assert_redirect("/settings?saved=1");
    let settings = b.get("/settings?saved=1").await;
    settings.assert_has("Settings saved.");
    for v in [
        "Europe/London",
        "08:30",
        "ana@rivera.example",
        "Rivera Plumbing",
        "1 Main St, Springfield",
    ] {
        settings.assert_has(&format!(r#"value="{v}""#));
    }

    // API keys: shown once, in the snippet, then revoked.
    let created = b
        .submit(
            "/settings",
            "/settings/api-keys",
            &[("name", "website form"), ("scope", "leads:create")],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    created.assert_has("it is shown only once");
    let key_start = created.body.find("gos_").expect("the key");
    let key: String = created.body[key_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    created.assert_has(&format!("&quot;X-API-Key&quot;: &quot;{key}&quot;"));
    created.assert_has(&format!("{}/api/leads", gw.addr));
    let r = reqwest::Client::new()
        .post(format!("{}/api/leads", gw.addr))
        .header("x-api-key", &key)
        .json(&json!({"name": "Web Form", "email": "form@acme-dental.com", "source": "website"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{p}: the snippet's key creates leads");
    let listed = b.get("/settings").await;
    assert!(!listed.has(&key), "{p}: the key is shown only once");
    listed.assert_has("<td>website form</td>");
    let revoke_start = listed.body.find(r#"action="/settings/api-keys/"#).unwrap() + 8;
    let revoke_len = listed.body[revoke_start..].find('"').unwrap();
    let revoke = listed.body[revoke_start..revoke_start + revoke_len].to_owned();
    b.submit("/settings", &revoke, &[])
        .await
        .assert_redirect("/settings");
    let after_revoke = b.get("/settings").await;
    assert!(!after_revoke.has("<td>website form</td>"), "{p}: revoked");

    // Log out, then in again.
    let csrf = b.get("/dashboard").await.csrf();
    b.post("/logout", &[("csrf", &csrf)])
        .await
        .assert_redirect("/");
    b.get("/dashboard").await.assert_redirect("/login");
    let wrong = b
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    wrong.assert_has("Wrong email or password.");
    b.submit(
        "/login",
        "/login",
        &[("email", &email), ("password", "correct horse battery")],
    )
    .await
    .assert_redirect("/dashboard");
    assert_eq!(b.get("/dashboard").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booker_journey_in_the_app() {
    journey(Flow::of(ProductSlug::Booker)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadqualifier_journey_in_the_app() {
    journey(Flow::of(ProductSlug::LeadQualifier)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followup_journey_in_the_app() {
    journey(Flow::of(ProductSlug::FollowUp)).await;
}

/// A session of one product is refused by another product's app, even
/// when the browser sends it under that app's cookie name (all apps share
/// `localhost` in development, and cookies ignore ports).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_one_product_is_refused_by_another() {
    let gw = Gateway::start().await;
    let booker = WebApp::start(ProductSlug::Booker, &gw.addr);
    let qualifier = WebApp::start(ProductSlug::LeadQualifier, &gw.addr);
    let mut b = Browser::new(&booker.addr);
    let email = format!("owner+{}@joes.example", uuid::Uuid::new_v4().simple());
    b.submit(
        "/signup",
        "/signup",
        &[
            ("name", "Joe"),
            ("email", &email),
            ("password", "correct horse battery"),
        ],
    )
    .await
    .assert_redirect("/dashboard");
    let token = b.cookies["gos-saas-booker-session"].clone();

    let mut other = Browser::new(&qualifier.addr);
    other.cookies = b.cookies.clone();
    other.get("/dashboard").await.assert_redirect("/login");
    other
        .cookies
        .insert("gos-saas-leadqualifier-session".into(), token.clone());
    let refused = other.get("/dashboard").await;
    refused.assert_redirect("/login");
    assert!(
        refused
            .set_cookies
            .iter()
            .any(|c| c.starts_with("gos-saas-leadqualifier-session=;") && c.contains("Max-Age=0")),
        "the foreign session is cleared: {:?}",
        refused.set_cookies
    );
    // The same account cannot log in to the other product either.
    let login = other
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(login.status, 401);
    // And the gateway refuses the token when an app names another product.
    let r = reqwest::Client::new()
        .get(format!("{}/api/tenant", gw.addr))
        .bearer_auth(&token)
        .header("x-growthos-product", "saas-leadqualifier")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// A CSRF token is bound to the browser's nonce cookie: one taken from
/// another browser is refused, and so is a form with none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_this_browsers_csrf_token_are_refused() {
    let gw = Gateway::start().await;
    let app = WebApp::start(ProductSlug::FollowUp, &gw.addr);
    let mut attacker = Browser::new(&app.addr);
    let stolen = attacker.get("/signup").await.csrf();
    let mut victim = Browser::new(&app.addr);
    victim.get("/").await;
    let email = format!("owner+{}@joes.example", uuid::Uuid::new_v4().simple());
    let fields = [
        ("name", "Joe"),
        ("email", email.as_str()),
        ("password", "correct horse battery"),
    ];
    let mut with_stolen = vec![("csrf", stolen.as_str())];
    with_stolen.extend_from_slice(&fields);
    assert_eq!(victim.post("/signup", &with_stolen).await.status, 403);
    assert_eq!(victim.post("/signup", &fields).await.status, 403);
    let ok = victim.submit("/signup", "/signup", &fields).await;
    ok.assert_redirect("/dashboard");
}

/// With the gateway down, a form answers 503 and says so, next to nothing
/// else; no session is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_is_reported_not_mistaken_for_a_wrong_password() {
    let app = WebApp::start(ProductSlug::Booker, "http://127.0.0.1:9");
    let mut b = Browser::new(&app.addr);
    let page = b
        .submit(
            "/login",
            "/login",
            &[("email", "a@b.example"), ("password", "a long passphrase")],
        )
        .await;
    assert_eq!(page.status, 503, "{}", page.body);
    page.assert_has("not reachable");
    assert!(!page.has("Wrong email or password."));
    assert!(!b.cookies.contains_key("gos-saas-booker-session"));
    b.get("/dashboard").await.assert_redirect("/login");
}
