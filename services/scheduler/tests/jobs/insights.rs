//! `insights`: per-tenant, per-UTC-day pattern insights, upserted so a
//! rerun replaces and never duplicates; experiment stats sum objections.

use crate::support::App;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// A lead of `tenant` that arrived at `at`; `contacted` gives it a first
/// action, `replied` a workflow the lead answered.
async fn lead(
    app: &App,
    tenant: Uuid,
    at: &str,
    status: &str,
    contacted: bool,
    replied: bool,
) -> Uuid {
    let id = Uuid::new_v4();
    app.exec(&format!(
        "INSERT INTO leads (id, tenant_id, name, email, source, status, first_action_at, created_at) \
         VALUES ('{id}', '{tenant}', 'Lead', 'lead-{id}@example.com', 'website', '{status}', {first}, '{at}')",
        first = if contacted { format!("'{at}'::timestamptz + interval '1 second'") } else { "NULL".into() },
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO workflows (id, tenant_id, lead_id, workflow_type, goal, allowed_agents, product, \
           product_config, current_state, replied_at) \
         SELECT gen_random_uuid(), '{tenant}', '{id}', 'followup_flow', 'automate_followups', '{{followup}}', \
           t.product, '{{}}', {state}, {replied_at} FROM tenants t WHERE t.id = '{tenant}'",
        state = if replied { "'completed'" } else { "'following_up'" },
        replied_at = if replied { format!("'{at}'::timestamptz + interval '1 hour'") } else { "NULL".into() },
    ))
    .await;
    id
}

async fn message(app: &App, tenant: Uuid, lead: Uuid, direction: &str, at: &str, content: &str) {
    let (kind, status) = match direction {
        "inbound" => ("reply", "received"),
        _ => ("marketing", "sent"),
    };
    app.exec(&format!(
        "INSERT INTO messages (id, tenant_id, lead_id, direction, kind, content, status, created_at) \
         VALUES (gen_random_uuid(), '{tenant}', '{lead}', '{direction}', '{kind}', '{}', '{status}', '{at}')",
        content.replace('\'', "''"),
    ))
    .await;
}

#[derive(diesel::QueryableByName, Debug)]
struct Insight {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    product: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    insight_type: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    data: Value,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    period_start: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    period_end: DateTime<Utc>,
}

async fn insights(app: &App) -> Vec<Insight> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "SELECT tenant_id, product, insight_type, data, period_start, period_end \
         FROM pattern_insights ORDER BY tenant_id, insight_type, period_start",
    )
    .load(&mut *app.conn().await)
    .await
    .unwrap()
}

fn find<'a>(rows: &'a [Insight], tenant: Uuid, kind: &str, day: DateTime<Utc>) -> &'a Insight {
    rows.iter()
        .find(|r| r.tenant_id == tenant && r.insight_type == kind && r.period_start == day)
        .unwrap_or_else(|| panic!("no {kind} for {tenant} on {day}: {rows:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn insights_are_upserted_per_tenant_and_utc_day_and_feed_experiment_stats() {
    let day = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let next_day = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = App::start(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()).await;
    let (_, a) = app.tenant("saas-followup", "America/New_York").await;
    let (_, b) = app.tenant("saas-booker", "UTC").await;

    // Tenant A, 23 November: four leads, three contacted, two of those
    // answered, one converted; the fourth answered without being contacted.
    let l1 = lead(&app, a, "2026-11-23T00:00:00Z", "converted", true, true).await;
    lead(&app, a, "2026-11-23T09:00:00Z", "contacted", true, true).await;
    let l3 = lead(&app, a, "2026-11-23T23:59:59Z", "contacted", true, false).await;
    lead(&app, a, "2026-11-23T12:00:00Z", "new", false, true).await;
    // 24 November (UTC), one contacted lead; and one long before the window.
    lead(&app, a, "2026-11-24T00:00:00Z", "contacted", true, false).await;
    lead(&app, a, "2026-11-01T10:00:00Z", "converted", true, true).await;
    for content in [
        "That's too expensive for us right now.",
        "Maybe LATER, we're busy until January.",
        "We are already   using another provider.",
        "Please stop emailing me",
        "Costs look fine. Nonstop questions though: what's the timeline?",
    ] {
        message(&app, a, l1, "inbound", "2026-11-23T15:00:00Z", content).await;
    }
    // Not replies: what we sent, and a reply from the day before the window.
    message(
        &app,
        a,
        l1,
        "outbound",
        "2026-11-23T15:00:00Z",
        "Our price list",
    )
    .await;
    message(
        &app,
        a,
        l1,
        "inbound",
        "2026-11-01T15:00:00Z",
        "too expensive",
    )
    .await;
    // Tenant B (another product), one lead and one reply.
    let lb = lead(&app, b, "2026-11-23T08:00:00Z", "new", false, false).await;
    message(
        &app,
        b,
        lb,
        "inbound",
        "2026-11-23T08:30:00Z",
        "The pricing is steep",
    )
    .await;

    let now = app.now();
    assert_eq!(scheduler::insights(&app.infra, now).await.unwrap(), 8);
    let first = insights(&app).await;
    assert_eq!(first.len(), 8, "{first:?}");

    let r = find(&first, a, "response_rate", day);
    assert_eq!(
        r.data,
        json!({"contacted": 3, "replied": 2, "rate": 0.6667})
    );
    assert_eq!(
        (r.product.as_str(), r.period_end),
        ("saas-followup", next_day)
    );
    let c = find(&first, a, "conversion_stat", day);
    assert_eq!(c.data, json!({"leads": 4, "converted": 1, "rate": 0.25}));
    let o = find(&first, a, "objection_frequency", day);
    assert_eq!(
        o.data,
        json!({"replies": 5, "price": 2, "timing": 1, "competitor": 1, "notInterested": 1})
    );
    let r2 = find(&first, a, "response_rate", next_day);
    assert_eq!(r2.data, json!({"contacted": 1, "replied": 0, "rate": 0.0}));
    let c2 = find(&first, a, "conversion_stat", next_day);
    assert_eq!(c2.data, json!({"leads": 1, "converted": 0, "rate": 0.0}));
    let ob = find(&first, b, "objection_frequency", day);
    assert_eq!(ob.product, "saas-booker");
    assert_eq!(
        ob.data,
        json!({"replies": 1, "price": 1, "timing": 0, "competitor": 0, "notInterested": 0})
    );
    find(&first, b, "response_rate", day);
    find(&first, b, "conversion_stat", day);

    // Run again: the same rows, the same numbers.
    assert_eq!(scheduler::insights(&app.infra, now).await.unwrap(), 8);
    let again = insights(&app).await;
    assert_eq!(
        again.iter().map(|r| &r.data).collect::<Vec<_>>(),
        first.iter().map(|r| &r.data).collect::<Vec<_>>()
    );

    // The day's leads move on; the next run replaces the day's numbers.
    message(
        &app,
        a,
        l3,
        "inbound",
        "2026-11-23T20:00:00Z",
        "What is the price?",
    )
    .await;
    app.exec(&format!(
        "UPDATE leads SET status = 'converted' WHERE id = '{l3}'"
    ))
    .await;
    assert_eq!(scheduler::insights(&app.infra, now).await.unwrap(), 8);
    let later = insights(&app).await;
    assert_eq!(later.len(), 8);
    assert_eq!(
        find(&later, a, "objection_frequency", day).data,
        json!({"replies": 6, "price": 3, "timing": 1, "competitor": 1, "notInterested": 1})
    );
    assert_eq!(
        find(&later, a, "conversion_stat", day).data,
        json!({"leads": 4, "converted": 2, "rate": 0.5})
    );

    // Experiment stats sum each product's objections.
    let r = app
        .client
        .get(app.url("/internal/experiment-stats"))
        .header("X-Admin-Secret", &app.admin_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stats: Value = r.json().await.unwrap();
    let objections = |product: &str| {
        stats["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product"] == product)
            .unwrap()["objections"]
            .clone()
    };
    assert_eq!(
        objections("saas-followup"),
        json!({"price": 3, "timing": 1, "competitor": 1, "notInterested": 1})
    );
    assert_eq!(
        objections("saas-booker"),
        json!({"price": 1, "timing": 0, "competitor": 0, "notInterested": 0})
    );
    assert_eq!(
        objections("saas-leadqualifier"),
        json!({"price": 0, "timing": 0, "competitor": 0, "notInterested": 0})
    );
}
