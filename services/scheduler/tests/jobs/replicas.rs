//! Two scheduler replicas running the same job at the same moment.

use crate::support::{App, followup_lead};
use chrono::{Duration, TimeZone, Utc};
use scheduler::JobName;
use shared_types::EventType;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_publish_each_due_follow_up_once() {
    // Monday 7 December 2026, 10:00 UTC.
    let app = App::start(Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()).await;
    let (token, _) = app.tenant("saas-followup", "UTC").await;
    const LEADS: usize = 12;
    for i in 0..LEADS {
        app.new_lead(
            &token,
            &followup_lead(
                &format!("Lead {i}"),
                &format!("lead{i}@clinic{i}.example.com"),
                None,
            ),
        )
        .await;
    }
    app.drain().await;
    let replica = app.replica();
    app.clock.advance(Duration::days(1));

    let (a, b) = tokio::join!(
        scheduler::run_job(JobName::FollowupsDue, &app.infra, app.now()),
        scheduler::run_job(JobName::FollowupsDue, &replica, app.now()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // Whichever ran (both, one after the other, or one while the other
    // held the lock), each follow-up was published once.
    assert_eq!(a.unwrap_or(0) + b.unwrap_or(0), LEADS, "{a:?} {b:?}");
    let due: Vec<_> = app
        .redis
        .stream_events()
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::FollowupDue)
        .collect();
    assert_eq!(due.len(), LEADS);
    let workflows: HashSet<_> = due
        .iter()
        .map(|e| e.workflow_payload().unwrap().workflow_id)
        .collect();
    assert_eq!(workflows.len(), LEADS);

    // Again, before the worker got to them: nothing new.
    let (a, b) = tokio::join!(
        scheduler::run_job(JobName::FollowupsDue, &app.infra, app.now()),
        scheduler::run_job(JobName::FollowupsDue, &replica, app.now()),
    );
    assert_eq!(a.unwrap().unwrap_or(0) + b.unwrap().unwrap_or(0), 0);

    app.drain().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'")
            .await,
        2 * LEADS as i64
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_lock_another_replica_holds_does_not_run() {
    let app = App::start(Utc::now()).await;
    let replica = app.replica();
    // Replica B holds the follow-ups lock while A's run comes.
    let held = scheduler::run_exclusive(&replica.pool, JobName::FollowupsDue.lock_key(), async {
        scheduler::run_job(JobName::FollowupsDue, &app.infra, app.now()).await
    })
    .await
    .unwrap();
    assert_eq!(held, Some(None));
    // Another job's lock is its own.
    let other = scheduler::run_exclusive(&replica.pool, JobName::FollowupsDue.lock_key(), async {
        scheduler::run_job(JobName::StaleRecovery, &app.infra, app.now()).await
    })
    .await
    .unwrap();
    assert_eq!(other, Some(Some(0)));
}
