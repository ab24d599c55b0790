//! Each product app in a real headless Chromium (Debian's chromium and
//! chromedriver, driven over WebDriver), against a real gateway in
//! production mode with Stripe and Resend faked: sign up, Activate, the
//! Stripe Checkout (the test completes it at the fake Stripe and delivers
//! its signed webhooks, then the browser comes back to the success URL
//! Stripe would send it to), active, a lead typed into the form, its score
//! and its email or meeting appearing on the lead page as it refreshes
//! itself, and the metrics. Every page is screenshotted to
//! `target/e2e-screenshots/<product>/` and audited with axe-core: no
//! `serious` or `critical` violation is allowed. Then, at a phone's
//! 375×812 window, every main page must fit the width, and the login and
//! the lead form are done with the keyboard alone (`phone_and_keyboard`).
//!
//! Built only with the `e2e` feature: `make e2e`.

mod support;

use shared_types::ProductSlug;
use support::chrome::Chrome;
use support::{Flow, Gateway, WebApp};
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
];

/// A second lead, typed with the keyboard alone.
const KEYBOARD_LEAD: &[(&str, &str)] = &[
    ("name", "Sam Keyes"),
    ("email", "sam@keyes-roofing.example"),
    ("phone", "+1 555 010 4455"),
    ("source", "website"),
    ("company", "Keyes Roofing"),
    ("jobTitle", "Office manager"),
    ("companySize", "6"),
    ("intent", "Quote for a roof repair"),
    ("budgetRange", "$2k-5k"),
    ("timeline", "next month"),
    ("linkedinUrl", "https://www.linkedin.com/in/sam-keyes"),
];

/// The focused element is `tag` and its focus is drawn.
async fn assert_focus(c: &Chrome, p: ProductSlug, tag: &str, id: &str) {
    let f = c.focused().await;
    assert_eq!(
        (f.tag.as_str(), f.id.as_str()),
        (tag, id),
        "{p}: focus on {f:?}"
    );
    assert!(
        f.visible,
        "{p}: no visible focus on <{tag}#{id}>: {}",
        f.style
    );
}

/// The page at phone width: nothing wider than the window, screenshot
/// `NN-phone-<name>.png` and axe-core audit.
async fn phone_page(c: &mut Chrome, path: &str, name: &str) {
    c.goto(path).await;
    c.wait_text(10, &format!("{path} shown"), |t| !t.is_empty())
        .await;
    c.assert_no_horizontal_overflow(&format!("{} {path}", c.base))
        .await;
    c.check(&format!("phone-{name}")).await;
}

/// "Usable on a phone and with a keyboard", verified: at 375×812 every
/// main page fits the width, and a person logs in and adds a lead with the
/// keyboard alone (Tab from the top, the skip link first; Enter submits),
/// seeing where the focus is on a link, an input and a button. Starts
/// logged out; `lead_path` is an existing lead's page.
async fn phone_and_keyboard(c: &mut Chrome, p: ProductSlug, email: &str, lead_path: &str) {
    let width = c.set_window(375, 812).await;
    assert!(width <= 375, "{p}: a phone-wide viewport, not {width} px");

    phone_page(c, "/", "landing").await;
    phone_page(c, "/signup", "signup").await;

    // Log in with the keyboard: Tab from the top of the page.
    phone_page(c, "/login", "login").await;
    c.tab().await;
    let skip = c.focused().await;
    assert!(
        skip.tag == "a" && skip.class.split(' ').any(|k| k == "skip"),
        "{p}: the skip link first, not {skip:?}"
    );
    assert!(
        skip.visible,
        "{p}: no visible focus on the skip link: {}",
        skip.style
    );
    c.tab_to("f-email", 15).await;
    assert_focus(c, p, "input", "f-email").await;
    c.keys(email).await;
    c.tab().await;
    assert_focus(c, p, "input", "f-password").await;
    c.keys("correct horse battery").await;
    c.tab().await;
    let button = c.focused().await;
    assert_eq!(
        (button.tag.as_str(), button.kind.as_str()),
        ("button", "submit"),
        "{p}: {button:?}"
    );
    assert!(
        button.visible,
        "{p}: no visible focus on the Log in button: {}",
        button.style
    );
    c.enter().await;
    c.wait_for(10, "Your account is active").await;
    assert_eq!(c.path().await, "/dashboard", "{p}: logged in by keyboard");

    phone_page(c, "/dashboard", "dashboard").await;
    phone_page(c, lead_path, "lead-detail").await;
    phone_page(c, "/metrics", "metrics").await;
    phone_page(c, "/settings", "settings").await;
    phone_page(c, "/leads", "leads").await;

    // A lead with the keyboard: the skip link (Enter) lands on the page's
    // content, whose first stop is the form's first field; each field is
    // typed and left with Tab, up to the submit button.
    c.tab().await;
    assert_eq!(c.focused().await.class, "skip", "{p}: the skip link first");
    c.enter().await;
    c.tab().await;
    assert_focus(c, p, "input", "f-name").await;
    let mut typed = Vec::new();
    for _ in 0..KEYBOARD_LEAD.len() + 5 {
        let f = c.focused().await;
        if f.tag == "button" {
            break;
        }
        assert!(f.visible, "{p}: no visible focus on {f:?}");
        let name = f.id.strip_prefix("f-").unwrap_or(&f.id).to_owned();
        let (_, value) = KEYBOARD_LEAD
            .iter()
            .find(|(k, _)| *k == name)
            .unwrap_or_else(|| panic!("{p}: an unexpected stop in the lead form: {f:?}"));
        c.keys(value).await;
        typed.push(name);
        c.tab().await;
    }
    let order: Vec<&str> = KEYBOARD_LEAD.iter().map(|(k, _)| *k).collect();
    assert_eq!(typed, order, "{p}: every field, in order, by Tab");
    let button = c.focused().await;
    assert_eq!(
        (button.tag.as_str(), button.kind.as_str()),
        ("button", "submit"),
        "{p}: {button:?}"
    );
    assert!(
        button.visible,
        "{p}: no visible focus on Add lead: {}",
        button.style
    );
    c.enter().await;
    c.wait_for(10, "Sam Keyes").await;
    let path = c.path().await;
    assert!(
        path.starts_with("/leads/") && path != lead_path,
        "{p}: the new lead's page, not {path}"
    );
    c.assert_no_horizontal_overflow(&format!("{} {path}", c.base))
        .await;
    c.check("phone-keyboard-lead").await;
}

async fn journey(flow: Flow) {
    let p = flow.product;
    let config = rules_engine::Catalog::embedded().get(p);
    let gw = Gateway::start().await;
    let app = WebApp::start(p, &gw.addr);
    let mut c = Chrome::start(&app.addr, p.as_str()).await;

    // Landing.
    c.goto("/").await;
    c.wait_for(10, &config.marketing.headline).await;
    c.check("landing").await;

    // Sign up, with a field error first.
    c.goto("/signup").await;
    c.check("signup").await;
    let email = format!("owner+{}@joes.example", uuid::Uuid::new_v4().simple());
    c.fill(&[
        ("name", "Joe's Plumbing"),
        ("email", &email),
        ("password", "short"),
        ("timezone", "America/Chicago"),
    ])
    .await;
    c.submit("/signup").await;
    c.wait_for(10, "Password").await;
    assert!(
        c.client
            .find(fantoccini::Locator::Id("f-password-error"))
            .await
            .is_ok(),
        "{p}: the password error next to its field"
    );
    c.check("signup-error").await;
    c.fill(&[("password", "correct horse battery")]).await;
    c.submit("/signup").await;
    c.wait_for(10, "Joe's Plumbing").await;
    assert_eq!(c.path().await, "/dashboard");

    // Not paid yet.
    let dash = c.wait_for(10, "Activate").await;
    assert!(dash.contains("Subscription none"), "{p}: {dash}");
    c.check("dashboard-before-activation").await;

    // Activate: off to Stripe Checkout (unreachable here, by design).
    c.submit("/billing/activate").await;
    let checkout = "https://checkout.stripe.com/c/pay/";
    let started = std::time::Instant::now();
    let session_id = loop {
        let url = c.url().await;
        if let Some(id) = url.strip_prefix(checkout) {
            break id.to_owned();
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "{p}: sent to Stripe Checkout, not {url}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(gw.stripe.sessions_created(), 1);

    // Back on the success URL before Stripe's webhooks: it waits.
    c.goto(&format!("/billing/success?session_id={session_id}"))
        .await;
    c.wait_for(10, "Stripe is confirming it").await;
    c.check("billing-pending").await;

    // The buyer pays; Stripe's signed webhooks activate the tenant, and
    // the success page notices it by refreshing itself.
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
    c.wait_for(15, "Your subscription is active").await;
    c.check("billing-success").await;

    c.goto("/dashboard").await;
    let dash = c.wait_for(10, "Your account is active").await;
    assert!(dash.contains("Subscription active"), "{p}: {dash}");
    c.check("dashboard-after-activation").await;

    // A lead through the form.
    c.goto("/leads").await;
    c.wait_for(10, "Add a lead").await;
    c.check("leads-empty").await;
    c.fill(HOT_LEAD).await;
    c.submit("/leads").await;
    c.wait_for(10, "The AI is working on this lead").await;
    let lead_path = c.path().await;
    assert!(lead_path.starts_with("/leads/"), "{p}: {lead_path}");
    c.check("lead-working").await;

    // The worker acts; the lead page refreshes itself until it shows it.
    gw.drain().await;
    let lead = c
        .wait_text(15, "the AI's result", |t| {
            !t.is_empty() && !t.contains("The AI is working on this lead")
        })
        .await;
    assert_eq!(c.path().await, lead_path, "{p}: still on the lead");
    for needle in [
        "Bright Smiles Dental",
        "outbound email",
        "dana@brightsmiles-dental.com",
        "lead_received → ",
    ] {
        assert!(lead.contains(needle), "{p}: {needle:?} in\n{lead}");
    }
    if flow.scores {
        assert!(lead.contains(" / 100"), "{p}: a score in\n{lead}");
        assert!(lead.contains("qualifier agent"), "{p}: {lead}");
    } else {
        assert!(lead.contains("followup agent"), "{p}: {lead}");
    }
    if flow.books {
        assert!(
            lead.contains("internal calendar"),
            "{p}: a meeting in\n{lead}"
        );
    } else {
        assert!(lead.contains("No meeting."), "{p}: {lead}");
    }
    c.check("lead-detail").await;

    c.goto("/leads").await;
    let list = c.wait_for(10, "Dana Whitfield").await;
    assert!(
        list.contains(flow.column.0) && list.contains(flow.column.1),
        "{p}: {:?} in\n{list}",
        flow.column
    );
    c.check("leads").await;

    // Metrics moved.
    c.goto("/metrics").await;
    let metrics = c.wait_for(10, "Median speed-to-lead").await;
    assert!(
        !metrics.contains("no lead contacted yet"),
        "{p}: speed-to-lead measured:\n{metrics}"
    );
    assert!(metrics.contains(flow.metric), "{p}: {metrics}");
    let leads_card = c
        .client
        .find(fantoccini::Locator::XPath(
            "//li[span[@class='label' and text()='Leads']]/span[@class='value']",
        ))
        .await
        .expect("the Leads card")
        .text()
        .await
        .unwrap();
    assert_eq!(leads_card, "1", "{p}: one lead counted");
    c.check("metrics").await;

    // Settings.
    c.goto("/settings").await;
    c.wait_for(10, "Settings").await;
    c.check("settings").await;

    // Log out; the login page.
    c.client
        .find(fantoccini::Locator::Css(
            r#"form[action="/logout"] button[type="submit"]"#,
        ))
        .await
        .expect("a log-out button")
        .click()
        .await
        .unwrap();
    c.wait_for(10, &config.marketing.headline).await;
    c.goto("/login").await;
    c.wait_for(10, "Log in to").await;
    c.check("login").await;

    phone_and_keyboard(&mut c, p, &email, &lead_path).await;

    c.assert_accessible();
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booker_in_chromium() {
    journey(Flow::of(ProductSlug::Booker)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadqualifier_in_chromium() {
    journey(Flow::of(ProductSlug::LeadQualifier)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followup_in_chromium() {
    journey(Flow::of(ProductSlug::FollowUp)).await;
}
