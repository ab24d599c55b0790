//! AI FollowUp's cadence driven by the `followups_due` job on a manual
//! clock: the right local business days across a daylight-saving change,
//! one escalation, and nothing after a reply.

use crate::support::{App, followup_lead};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Sent {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    lead_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    to_address: String,
}

async fn outbound(app: &App) -> Vec<Sent> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "SELECT id, lead_id, kind, to_address FROM messages WHERE direction = 'outbound'",
    )
    .load(&mut *app.conn().await)
    .await
    .unwrap()
}

/// Stamps every outbound email not seen yet with the clock's time; mail
/// to the tenant goes to its notification address.
async fn record(app: &App, owner: &str, sent: &mut HashMap<Uuid, (Uuid, String, DateTime<Utc>)>) {
    let now = app.now();
    for m in outbound(app).await {
        if m.kind == "notification" {
            assert_eq!(m.to_address, owner);
        }
        sent.entry(m.id).or_insert((m.lead_id, m.kind, now));
    }
}

/// When each email went out, by lead and kind, as local times in `tz`.
fn local_times(
    sent: &HashMap<Uuid, (Uuid, String, DateTime<Utc>)>,
    lead: Uuid,
    kind: &str,
    tz: Tz,
) -> Vec<String> {
    let mut at: Vec<DateTime<Utc>> = sent
        .values()
        .filter(|(l, k, _)| *l == lead && k == kind)
        .map(|(_, _, t)| *t)
        .collect();
    at.sort();
    at.iter()
        .map(|t| {
            t.with_timezone(&tz)
                .format("%a %Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_followup_lead_gets_its_sequence_on_local_business_days_across_dst_then_one_escalation() {
    // Thursday 29 October 2026, 10:00 in New York. US daylight saving ends
    // on Sunday 1 November; the UK's ended on 25 October.
    let ny = chrono_tz::America::New_York;
    let london = chrono_tz::Europe::London;
    let start = ny
        .with_ymd_and_hms(2026, 10, 29, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = App::start(start).await;
    let (token, tenant) = app.tenant("saas-followup", "America/New_York").await;
    let owner: String = {
        #[derive(diesel::QueryableByName)]
        struct E {
            #[diesel(sql_type = diesel::sql_types::Text)]
            e: String,
        }
        use diesel_async::RunQueryDsl;
        let e: E = diesel::sql_query(format!(
            "SELECT notification_email AS e FROM tenants WHERE id = '{tenant}'"
        ))
        .get_result(&mut *app.conn().await)
        .await
        .unwrap();
        e.e
    };
    // One lead on the tenant's clock, one in its own time zone.
    let nyc = app
        .new_lead(
            &token,
            &followup_lead("Sam Lee", "sam@acme-dental.com", None),
        )
        .await;
    let uk = app
        .new_lead(
            &token,
            &followup_lead(
                "Alex Shaw",
                "alex@shaw-surveyors.co.uk",
                Some("Europe/London"),
            ),
        )
        .await;
    app.drain().await;

    // Four weeks, hour by hour, as the cron job would run: the job
    // publishes what is due, the worker acts; each email is stamped with
    // the hour it went out.
    let mut sent: HashMap<Uuid, (Uuid, String, DateTime<Utc>)> = HashMap::new();
    record(&app, &owner, &mut sent).await;
    let mut published = 0;
    while app.now() < start + Duration::days(28) {
        app.clock.advance(Duration::hours(1));
        let n = scheduler::followups_due(&app.infra, app.now())
            .await
            .unwrap();
        if n > 0 {
            published += n;
            app.drain().await;
            record(&app, &owner, &mut sent).await;
        }
    }

    // New York: +1, +3 and +7 business days at 10:00 local, whether the
    // city is on EDT (UTC-4) or EST (UTC-5); then the deadline for an
    // answer, seven more business days, counted like the cadence.
    assert_eq!(
        local_times(&sent, nyc, "marketing", ny),
        [
            "Thu 2026-10-29 10:00 EDT",
            "Fri 2026-10-30 10:00 EDT",
            "Wed 2026-11-04 10:00 EST",
            "Fri 2026-11-13 10:00 EST",
        ]
    );
    assert_eq!(
        local_times(&sent, nyc, "notification", ny),
        ["Tue 2026-11-24 10:00 EST"]
    );
    // London keeps 14:00 GMT: after New York's change that is 09:00 there,
    // not 10:00, so the lead's own zone was used.
    assert_eq!(
        local_times(&sent, uk, "marketing", london),
        [
            "Thu 2026-10-29 14:00 GMT",
            "Fri 2026-10-30 14:00 GMT",
            "Wed 2026-11-04 14:00 GMT",
            "Fri 2026-11-13 14:00 GMT",
        ]
    );
    assert_eq!(
        local_times(&sent, uk, "notification", london),
        ["Tue 2026-11-24 14:00 GMT"]
    );
    // 3 follow-ups and 1 escalation per lead came from the job.
    assert_eq!(published, 8);
    assert_eq!(sent.len(), 10);
    assert_eq!(app.resend.delivered().len(), 10);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM workflows WHERE tenant_id = '{tenant}' \
             AND current_state = 'escalated' AND followup_attempts = 4"
        ))
        .await,
        2
    );
    // Escalated is final: the job finds nothing more, however often it runs.
    for _ in 0..3 {
        app.clock.advance(Duration::days(30));
        assert_eq!(
            scheduler::followups_due(&app.infra, app.now())
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_between_scheduling_and_sending_means_nothing_is_sent() {
    let ny = chrono_tz::America::New_York;
    let start = ny
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = App::start(start).await;
    let (token, _) = app.tenant("saas-followup", "America/New_York").await;
    let lead = app
        .new_lead(
            &token,
            &followup_lead("Sam Lee", "sam@acme-dental.com", None),
        )
        .await;
    app.drain().await;
    let emails = "SELECT count(*) AS n FROM messages WHERE direction = 'outbound'";
    assert_eq!(app.count(emails).await, 1);

    // The next follow-up comes due and is scheduled: its event is on the
    // stream, waiting for a worker.
    app.clock.advance(Duration::days(1));
    assert_eq!(
        scheduler::followups_due(&app.infra, app.now())
            .await
            .unwrap(),
        1
    );
    let due = app
        .redis
        .stream_events()
        .await
        .into_iter()
        .filter(|e| e.event_type == shared_types::EventType::FollowupDue)
        .count();
    assert_eq!(due, 1);

    // The lead answers before the worker gets to it.
    app.reply(&token, lead, "Yes, let's talk on Thursday.")
        .await;
    app.drain().await;

    assert_eq!(app.count(emails).await, 1, "no follow-up after the reply");
    assert_eq!(app.resend.delivered().len(), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM workflows WHERE lead_id = '{lead}' \
             AND current_state = 'completed' AND replied_at IS NOT NULL"
        ))
        .await,
        1
    );
    // Nothing is due any more, now or later.
    app.clock.advance(Duration::days(30));
    assert_eq!(
        scheduler::followups_due(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );
}
