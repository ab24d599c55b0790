//! The outbox sweep also deletes rows whose purpose has expired, and only
//! those: lead idempotency keys after 24 hours, Resend delivery ids after a
//! week.

use crate::support::App;
use chrono::{Duration, Utc};
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

    scheduler::run_job(
        JobName::OutboxSweep,
        &app.infra,
        app.now() + Duration::seconds(1),
    )
    .await
    .unwrap()
    .expect("the lock is free");

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
