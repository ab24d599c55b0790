//! Several scheduler replicas: each job run holds an advisory lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use test_support::TestDatabase;

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_starting_a_job_together_run_it_once() {
    let db = TestDatabase::new().await.unwrap();
    let replica_a = memory::create_pool(&db.url, 2).unwrap();
    let replica_b = memory::create_pool(&db.url, 2).unwrap();
    let runs = Arc::new(AtomicU32::new(0));
    let job = |runs: Arc<AtomicU32>| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(())
    };
    let (a, b) = tokio::join!(
        scheduler::run_exclusive(&replica_a, 42, job(runs.clone())),
        scheduler::run_exclusive(&replica_b, 42, job(runs.clone())),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(outcomes.iter().filter(|o| o.is_some()).count(), 1);
    // The lock is released afterwards: the next run goes ahead.
    assert!(
        scheduler::run_exclusive(&replica_b, 42, job(runs.clone()))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_events_published_long_ago_are_purged_from_the_outbox() {
    use diesel_async::RunQueryDsl;
    let db = TestDatabase::new().await.unwrap();
    let pool = memory::create_pool(&db.url, 2).unwrap();
    let mut conn = pool.get().await.unwrap();
    diesel::sql_query(
        "INSERT INTO outbox (id, event_type, envelope, published_at, keep_published) VALUES \
         (gen_random_uuid(), 'followup_due', '{}', now() - interval '2 days', true), \
         (gen_random_uuid(), 'followup_due', '{}', now(), true), \
         (gen_random_uuid(), 'followup_due', '{}', NULL, true)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    assert_eq!(
        memory::repo::outbox::purge_published(&mut conn, day_ago, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        memory::repo::outbox::unpublished_count(&mut conn)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        memory::repo::outbox::purge_published(&mut conn, day_ago, 100)
            .await
            .unwrap(),
        0
    );
}
