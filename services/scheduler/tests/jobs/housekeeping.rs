//! The outbox sweep also deletes rows whose purpose has expired, and only
//! those: lead idempotency keys after 24 hours, Resend delivery ids after a
//! week, once-only events a day after they were published.

use crate::support::{App, followup_lead};
use chrono::{DateTime, Duration, Utc};
use scheduler::JobName;

#[tokio::test(flavor = "multi_thread")]
async fn expired_idempotency_keys_and_webhook_ids_are_purged() {
    let app = App::start(Utc::now()).await;
    let (_, tenant) = app.tenant("saas-booker", "UTC").await;
    let insert = |key: &str, age_hours: i64| {
        format!(
            "WITH i AS (INSERT INTO lead_idempotency_keys (tenant_id, key, request_hash, created_at) \
             VALUES ('{tenant}', '{key}', 'h', now() - interval '{age_hours} hours') RETURNING 1) \
             SELECT count(*) AS n FROM i"
        )
    };
    app.count(&insert("fresh", 23)).await;
    app.count(&insert("expired", 25)).await;
    for (id, age_days) in [("msg_recent", 6), ("msg_old", 8)] {
        app.count(&format!(
            "WITH i AS (INSERT INTO resend_events (svix_id, event_type, outcome, received_at) \
             VALUES ('{id}', 'email.delivered', 'ignored', now() - interval '{age_days} days') RETURNING 1) \
             SELECT count(*) AS n FROM i"
        ))
        .await;
    }

    sweep_outbox(&app, app.now() + Duration::seconds(1)).await;

    assert_eq!(
        app.count("SELECT count(*) AS n FROM lead_idempotency_keys WHERE key = 'fresh'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM lead_idempotency_keys WHERE key = 'expired'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM resend_events WHERE svix_id = 'msg_recent'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM resend_events WHERE svix_id = 'msg_old'")
            .await,
        0
    );
}

/// A published event leaves the outbox at once. A once-only event (here a
/// follow-up that came due) stays, stamped published, because its row is
/// what stops the next run of its job from enqueueing it again; the sweep
/// deletes it a day later.
#[tokio::test(flavor = "multi_thread")]
async fn published_events_leave_the_outbox_and_once_only_ones_stay_a_day() {
    let app = App::start(Utc::now()).await;
    let (token, _) = app.tenant("saas-followup", "UTC").await;
    app.new_lead(&token, &followup_lead("Ann", "ann@example.org", None))
        .await;
    app.drain().await;
    app.settle_outbox().await;
    assert_eq!(app.count("SELECT count(*) AS n FROM outbox").await, 0);

    let due = app
        .count("SELECT extract(epoch FROM next_followup_at)::bigint AS n FROM workflows")
        .await;
    app.clock
        .set(DateTime::from_timestamp(due, 0).unwrap() + Duration::minutes(1));
    assert_eq!(
        scheduler::followups_due(&app.infra, app.now())
            .await
            .unwrap(),
        1
    );
    app.settle_outbox().await;
    let kept = "SELECT count(*) AS n FROM outbox WHERE event_type = 'followup_due' AND published_at IS NOT NULL";
    assert_eq!(app.count(kept).await, 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM outbox").await, 1);
    assert_eq!(
        scheduler::followups_due(&app.infra, app.now())
            .await
            .unwrap(),
        0,
        "the kept row makes the job enqueue it once"
    );

    sweep_outbox(&app, app.now() + Duration::days(2)).await;
    assert_eq!(app.count(kept).await, 0);
}

/// Runs the housekeeping job (the outbox sweep and the purges) at `at`.
async fn sweep_outbox(app: &App, at: DateTime<Utc>) {
    scheduler::run_job(JobName::OutboxSweep, &app.infra, at)
        .await
        .unwrap()
        .expect("the lock is free");
}
