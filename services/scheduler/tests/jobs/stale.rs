//! `stale_recovery`: a workflow whose event was lost is re-published once.

use crate::support::{App, followup_lead};
use chrono::{Duration, Utc};
use shared_types::EventType;
use std::time::Duration as StdDuration;

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_whose_event_redis_lost_is_recovered_and_processed_once() {
    // Workflows' updated_at is the database's clock: start at the real time.
    let app = App::start(Utc::now()).await;
    let (token, _) = app.tenant("saas-followup", "UTC").await;
    let lead = app
        .new_lead(
            &token,
            &followup_lead("Sam Lee", "sam@acme-dental.com", None),
        )
        .await;
    // The event was relayed, then Redis lost it: read and gone, unprocessed.
    app.settle_outbox().await;
    let lost = app
        .infra
        .bus
        .read("lost", 100, StdDuration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].event.event_type, EventType::LeadCreated);
    app.infra.bus.ack(&lost[0]).await.unwrap();
    app.drain().await;
    let emails = format!("SELECT count(*) AS n FROM messages WHERE lead_id = '{lead}'");
    assert_eq!(app.count(&emails).await, 0, "nothing happened to the lead");

    // Not stale yet.
    assert_eq!(
        scheduler::stale_recovery(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );
    // Past the threshold: its step's event is published again, once.
    app.clock
        .advance(scheduler::jobs::STALE_AFTER + Duration::minutes(1));
    assert_eq!(
        scheduler::stale_recovery(&app.infra, app.now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        scheduler::stale_recovery(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );
    let recovered: Vec<_> = app
        .redis
        .stream_events()
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::LeadCreated && e.id != lost[0].event.id)
        .collect();
    assert_eq!(recovered.len(), 1);
    // Delivered twice, processed once.
    app.infra.bus.publish(&recovered[0]).await.unwrap();
    app.drain().await;

    assert_eq!(app.count(&emails).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM workflow_transitions t JOIN workflows w ON w.id = t.workflow_id \
             WHERE w.lead_id = '{lead}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM workflows WHERE lead_id = '{lead}' \
             AND current_state = 'following_up' AND next_followup_at IS NOT NULL"
        ))
        .await,
        1
    );
    // Waiting for its follow-up is not stale.
    app.clock.advance(Duration::days(1));
    assert_eq!(
        scheduler::stale_recovery(&app.infra, app.now())
            .await
            .unwrap(),
        0
    );
}
