//! Each product app in a real headless Chromium (Debian's chromium and
//! chromedriver, driven over WebDriver), against a real gateway in
//! production mode with Stripe and Resend faked: sign up, Activate, the
//! Stripe Checkout (the test completes it at the fake Stripe and delivers
//! its signed webhooks, then the browser comes back to the success URL
//! Stripe would send it to), active, a lead typed into the form, its score
//! and its email or meeting appearing on the lead page as it refreshes
//! itself, and the metrics. Every page is screenshotted to
//! `target/e2e-screenshots/<product>/` and audited with axe-core: no
//! `serious` or `critical` violation is allowed.
//!
//! Built only with the `e2e` feature: `make e2e`.

mod support;

use shared_types::ProductSlug;
use support::chrome::Chrome;
use support::{Gateway, WebApp};
use test_support::fakes::{invoice_object, stripe_event};

struct Flow {
    product: ProductSlug,
    /// The product's own column of the leads table, for a hot lead.
    column: (&'static str, &'static str),
    scores: bool,
    books: bool,
    /// A metrics card only this product shows.
    metric: &'static str,
}

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

    c.assert_accessible();
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booker_in_chromium() {
    journey(Flow {
        product: ProductSlug::Booker,
        column: ("Meeting", "Booked"),
        scores: true,
        books: true,
        metric: "Meetings booked",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadqualifier_in_chromium() {
    journey(Flow {
        product: ProductSlug::LeadQualifier,
        column: ("Qualification", "Hot"),
        scores: true,
        books: false,
        metric: "Disqualified leads",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followup_in_chromium() {
    journey(Flow {
        product: ProductSlug::FollowUp,
        column: ("Follow-up", "Following up"),
        scores: false,
        books: false,
        metric: "Follow-ups sent",
    })
    .await;
}
