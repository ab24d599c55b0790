//! The bus against a real Redis, each test under its own key prefix.

use event_bus::{
    BusConfig, ConsumerOptions, Delivery, EventBus, Handler, HandlerError, Heartbeat, run_consumer,
};
use shared_types::{DomainEvent, EventType};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use test_support::TestRedis;
use uuid::Uuid;

fn bus(redis: &TestRedis) -> EventBus {
    let mut cfg = BusConfig::new(&redis.prefix);
    cfg.backoff_base = Duration::from_millis(10);
    cfg.max_deliveries = 3;
    cfg.claim_idle = Duration::from_millis(200);
    EventBus::new(redis.pool.clone(), cfg)
}

fn event() -> DomainEvent {
    DomainEvent::new(
        EventType::LeadCreated,
        Uuid::new_v4(),
        serde_json::json!({"n": 1}),
    )
}

async fn read_all(bus: &EventBus, consumer: &str) -> Vec<Delivery> {
    bus.read(consumer, 10, Duration::from_millis(50))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_published_event_is_read_once_and_acked() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    let e = event();
    bus.publish(&e).await.unwrap();
    let got = read_all(&bus, "c1").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event, e);
    bus.ack(&got[0]).await.unwrap();
    assert!(read_all(&bus, "c2").await.is_empty());
    assert_eq!(bus.in_flight().await.unwrap(), 0);
}

#[tokio::test]
async fn events_published_together_arrive_in_order() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    let events: Vec<DomainEvent> = (0..5).map(|_| event()).collect();
    let ids = bus.publish_all(&events).await.unwrap();
    assert_eq!(ids.len(), 5);
    let got = read_all(&bus, "c1").await;
    let read: Vec<&DomainEvent> = got.iter().map(|d| &d.event).collect();
    assert_eq!(read, events.iter().collect::<Vec<_>>());
    assert!(bus.publish_all(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_event_is_retried_with_backoff_then_dead_lettered() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    let e = event();
    bus.publish(&e).await.unwrap();
    let mut attempts = Vec::new();
    for _ in 0..50 {
        bus.promote_due_retries(10).await.unwrap();
        for d in read_all(&bus, "c1").await {
            attempts.push(d.event.attempt);
            bus.retry_later(&d, "provider down").await.unwrap();
        }
        if !bus.dead_letters(10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(attempts, vec![1, 2, 3]);
    let dead = bus.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].event.id, e.id);
    assert_eq!(dead[0].error, "provider down");
    assert_eq!(bus.in_flight().await.unwrap(), 0);

    assert!(bus.replay_dead_letter(&dead[0].id).await.unwrap());
    let again = read_all(&bus, "c1").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].event.attempt, 1);
    assert!(bus.dead_letters(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn work_left_by_a_dead_consumer_is_reclaimed() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    bus.publish(&event()).await.unwrap();
    // c1 reads and "dies" without acking.
    assert_eq!(read_all(&bus, "c1").await.len(), 1);
    assert!(
        bus.reclaim("c2", 10).await.unwrap().is_empty(),
        "not idle long enough yet"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    let orphans = bus.reclaim("c2", 10).await.unwrap();
    assert_eq!(orphans.len(), 1);
}

struct FlakyHandler {
    calls: AtomicU32,
}

impl Handler for FlakyHandler {
    async fn handle(&self, _: &DomainEvent) -> Result<(), HandlerError> {
        // Fails the first delivery, succeeds on the retry.
        match self.calls.fetch_add(1, Ordering::SeqCst) {
            0 => Err(HandlerError::Transient("first try fails".into())),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn the_consumer_loop_retries_and_then_acks() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    bus.publish(&event()).await.unwrap();
    let handler = Arc::new(FlakyHandler {
        calls: AtomicU32::new(0),
    });
    let (tx, rx) = tokio::sync::watch::channel(false);
    let heartbeat = Heartbeat::default();
    let mut opts = ConsumerOptions::new("c1");
    opts.block = Duration::from_millis(20);
    opts.maintenance_every = Duration::from_millis(10);
    let task = tokio::spawn(run_consumer(
        bus.clone(),
        handler.clone(),
        opts,
        heartbeat.clone(),
        rx,
    ));
    for _ in 0..200 {
        if handler.calls.load(Ordering::SeqCst) >= 2 && bus.in_flight().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(handler.calls.load(Ordering::SeqCst), 2);
    assert_eq!(bus.in_flight().await.unwrap(), 0);
    assert!(heartbeat.age().unwrap() < Duration::from_secs(5));
}

/// Records the batches it is handed; fails the events whose payload says so.
#[derive(Default)]
struct BatchRecorder {
    batches: std::sync::Mutex<Vec<Vec<Uuid>>>,
}

impl Handler for BatchRecorder {
    async fn handle(&self, _: &DomainEvent) -> Result<(), HandlerError> {
        unreachable!("the consumer hands events over in batches")
    }

    async fn handle_batch(&self, events: &[DomainEvent]) -> Vec<Result<(), HandlerError>> {
        self.batches
            .lock()
            .unwrap()
            .push(events.iter().map(|e| e.id).collect());
        events
            .iter()
            .map(|e| match e.payload["fail"].as_bool() {
                Some(true) => Err(HandlerError::Permanent("told to fail".into())),
                _ => Ok(()),
            })
            .collect()
    }
}

#[tokio::test]
async fn waiting_events_reach_the_handler_in_batches_and_each_is_settled() {
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    let mut events: Vec<DomainEvent> = (0..10).map(|_| event()).collect();
    events[3].payload = serde_json::json!({"fail": true});
    bus.publish_all(&events).await.unwrap();
    let handler = Arc::new(BatchRecorder::default());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut opts = ConsumerOptions::new("c1");
    opts.batch_size = 4;
    opts.block = Duration::from_millis(20);
    let task = tokio::spawn(run_consumer(
        bus.clone(),
        handler.clone(),
        opts,
        Heartbeat::default(),
        rx,
    ));
    for _ in 0..200 {
        let handled: usize = handler.batches.lock().unwrap().iter().map(Vec::len).sum();
        if handled == 10 && bus.in_flight().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(true).unwrap();
    task.await.unwrap();
    let batches = handler.batches.lock().unwrap().clone();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![4, 4, 2],
        "ten waiting events, at most four at a time"
    );
    assert_eq!(
        batches.concat(),
        events.iter().map(|e| e.id).collect::<Vec<_>>(),
        "in stream order"
    );
    assert_eq!(bus.in_flight().await.unwrap(), 0, "every event settled");
    let dead = bus.dead_letters(10).await.unwrap();
    assert_eq!(
        dead.iter().map(|d| d.event.id).collect::<Vec<_>>(),
        vec![events[3].id]
    );
}

#[tokio::test]
async fn trimming_drops_acknowledged_entries_and_keeps_unread_and_pending_ones() {
    use deadpool_redis::redis::AsyncCommands;
    let redis = TestRedis::new();
    let bus = bus(&redis);
    bus.ensure_group().await.unwrap();
    for _ in 0..500 {
        bus.publish(&event()).await.unwrap();
    }
    let mut read = 0;
    while read < 500 {
        let batch = bus
            .read("c1", 100, Duration::from_millis(10))
            .await
            .unwrap();
        read += batch.len();
        for d in batch {
            bus.ack(&d).await.unwrap();
        }
    }
    let pending = event();
    bus.publish(&pending).await.unwrap();
    let got = read_all(&bus, "c1").await;
    assert_eq!(got.len(), 1, "read but never acked");
    let unread = event();
    bus.publish(&unread).await.unwrap();

    bus.trim_acknowledged().await.unwrap();
    let mut c = redis.pool.get().await.unwrap();
    let len: usize = c.xlen(format!("{}:events", redis.prefix)).await.unwrap();
    assert!(len < 500, "acknowledged entries were trimmed, {len} left");
    assert!(len >= 2);
    let next = read_all(&bus, "c2").await;
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].event.id, unread.id);
    bus.ack(&next[0]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let orphans = bus.reclaim("c2", 10).await.unwrap();
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].event.id, pending.id);
}
