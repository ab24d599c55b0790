//! `meeting_reminders`: exactly one reminder per meeting, about an hour
//! before it, however often the job runs and the event is delivered.

use crate::support::{App, hot_lead};
use chrono::{DateTime, Duration, TimeZone, Utc};
use orchestrator::Outcome;
use shared_types::EventType;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Booked {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    starts_at: DateTime<Utc>,
}

async fn meeting_of(app: &App, lead: Uuid) -> Booked {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!(
        "SELECT id, starts_at FROM meetings WHERE lead_id = '{lead}' AND status = 'confirmed'"
    ))
    .get_result(&mut *app.conn().await)
    .await
    .expect("a booked meeting")
}

/// Monday 30 November 2026, 08:00 in Chicago.
fn monday_morning() -> DateTime<Utc> {
    chrono_tz::America::Chicago
        .with_ymd_and_hms(2026, 11, 30, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_reminder_per_meeting_however_often_the_job_runs_and_the_event_is_delivered() {
    let app = App::start(monday_morning()).await;
    let (token, _) = app.tenant("saas-booker", "America/Chicago").await;
    let lead = app
        .new_lead(&token, &hot_lead("dana@brightsmiles-dental.com"))
        .await;
    app.drain().await;
    let meeting = meeting_of(&app, lead).await;
    let requests_before = app.resend.requests();
    let replica = app.replica();

    // Earlier than an hour before: nothing.
    app.clock.set(meeting.starts_at - Duration::minutes(61));
    assert_eq!(
        scheduler::meeting_reminders(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );

    // Every minute of the last hour, on two replicas: one event.
    let mut published = 0;
    let mut event = None;
    for minute in 0..60 {
        app.clock
            .set(meeting.starts_at - Duration::minutes(60) + Duration::minutes(minute));
        let (a, b) = tokio::join!(
            scheduler::run_job(scheduler::JobName::MeetingReminders, &app.infra, app.now()),
            scheduler::run_job(scheduler::JobName::MeetingReminders, &replica, app.now()),
        );
        published += a.unwrap().unwrap_or(0) + b.unwrap().unwrap_or(0);
        if event.is_none() {
            event = app
                .redis
                .stream_events()
                .await
                .into_iter()
                .find(|e| e.event_type == EventType::MeetingReminderDue);
            if let Some(e) = &event {
                // Two workers take the same event at once, then the bus
                // delivers it again: one email.
                let (x, y) = tokio::join!(
                    app.infra.orchestrator.process(e),
                    replica.orchestrator.process(e),
                );
                let mut outcomes = [x.unwrap(), y.unwrap()];
                outcomes.sort_by_key(|o| format!("{o:?}"));
                assert_eq!(
                    outcomes,
                    [
                        Outcome::ReminderSent,
                        Outcome::Skipped("reminder already sent")
                    ]
                );
                app.infra.bus.publish(e).await.unwrap();
            }
        }
        app.drain().await;
    }
    assert_eq!(published, 1);
    let event = event.expect("the reminder event was published");
    assert_eq!(
        event.meeting_payload().unwrap().meeting_id,
        meeting.id,
        "{event:?}"
    );

    let reminders = app.delivered_with_subject("Reminder:");
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(app.resend.requests() - requests_before, 1);
    let r = &reminders[0];
    assert_eq!(r["to"], serde_json::json!(["dana@brightsmiles-dental.com"]));
    // The time is the tenant's local time, with its zone named.
    let local = meeting
        .starts_at
        .with_timezone(&chrono_tz::America::Chicago);
    let when = format!("{} (America/Chicago)", local.format("%A %e %B %Y at %H:%M"));
    let text = r["text"].as_str().unwrap();
    assert!(text.contains(&when), "{when} not in {text}");
    assert!(!text.contains("Unsubscribe"), "transactional mail: {text}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE lead_id = '{lead}' \
             AND kind = 'transactional' AND step_key = 'meeting-{}-reminder'",
            meeting.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM meetings WHERE id = '{}' AND reminder_sent_at IS NOT NULL",
            meeting.id
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_reminder_for_a_meeting_cancelled_or_an_address_bounced_after_it_was_scheduled() {
    let app = App::start(monday_morning()).await;
    let (cancels, _) = app.tenant("saas-booker", "America/Chicago").await;
    let (bounces, _) = app.tenant("saas-booker", "America/Chicago").await;
    let cancelled = app
        .new_lead(&cancels, &hot_lead("dana@brightsmiles-dental.com"))
        .await;
    let bounced = app
        .new_lead(&bounces, &hot_lead("robin@clinic.example.com"))
        .await;
    app.drain().await;
    let (a, b) = (
        meeting_of(&app, cancelled).await,
        meeting_of(&app, bounced).await,
    );
    app.clock
        .set(a.starts_at.min(b.starts_at) - Duration::minutes(50));
    let due = scheduler::meeting_reminders(&app.infra, app.now())
        .await
        .unwrap();
    // Both due within the hour (each tenant's first free slot).
    assert_eq!(due, 2);

    app.exec(&format!(
        "UPDATE meetings SET status = 'cancelled' WHERE id = '{}'",
        a.id
    ))
    .await;
    app.exec(
        "INSERT INTO suppressions (id, tenant_id, email, reason) \
         VALUES (gen_random_uuid(), NULL, 'robin@clinic.example.com', 'bounced')",
    )
    .await;
    app.drain().await;

    assert!(app.delivered_with_subject("Reminder:").is_empty());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM meetings WHERE reminder_sent_at IS NOT NULL")
            .await,
        0
    );
    // Each was published once: running the job again adds nothing.
    assert_eq!(
        scheduler::meeting_reminders(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );
}
