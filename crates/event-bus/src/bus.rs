use crate::keys::Keys;
use crate::shared::SharedConnection;
use deadpool_redis::Pool;
use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{self, AsyncCommands, RedisResult, Value};
use shared_types::{DomainEvent, metrics};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct BusConfig {
    /// Prefix of every key (streams, retry set, dead letters).
    pub prefix: String,
    pub group: String,
    /// Deliveries (first try plus retries) before an event is dead-lettered.
    pub max_deliveries: u32,
    /// First retry delay; doubled per attempt, capped at `max_backoff`.
    pub backoff_base: Duration,
    pub max_backoff: Duration,
    /// A pending message idle this long belongs to a dead consumer.
    pub claim_idle: Duration,
}

impl BusConfig {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            group: "workers".into(),
            max_deliveries: 5,
            backoff_base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            claim_idle: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("redis error: {0}")]
    Redis(#[from] redis::RedisError),
}

impl From<deadpool_redis::PoolError> for BusError {
    fn from(e: deadpool_redis::PoolError) -> Self {
        BusError::Unavailable(e.to_string())
    }
}

/// One message handed to a consumer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub entry_id: String,
    pub event: DomainEvent,
}

/// An event that exhausted its retries.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub id: String,
    pub event: DomainEvent,
    pub error: String,
}

#[derive(Clone)]
pub struct EventBus {
    pool: Pool,
    cfg: BusConfig,
    keys: Keys,
    /// One multiplexed connection for every non-blocking command. Blocking
    /// reads take their own pooled connection, so they never hold up this one.
    shared: SharedConnection,
}

/// Moves due retries into the main stream atomically, so two consumers
/// promoting at once never duplicate an event.
const PROMOTE_DUE: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'envelope', m)
  redis.call('ZREM', KEYS[1], m)
end
return #due
";

impl EventBus {
    pub fn new(pool: Pool, cfg: BusConfig) -> Self {
        let keys = Keys::new(&cfg.prefix);
        Self {
            shared: SharedConnection::new(pool.clone()),
            pool,
            cfg,
            keys,
        }
    }

    async fn conn(&self) -> Result<MultiplexedConnection, BusError> {
        Ok(self.shared.get().await?)
    }

    fn settle<T>(&self, r: RedisResult<T>) -> Result<T, BusError> {
        Ok(self.shared.settle(r)?)
    }

    pub fn config(&self) -> &BusConfig {
        &self.cfg
    }

    /// Creates the consumer group (and the stream) when missing.
    pub async fn ensure_group(&self) -> Result<(), BusError> {
        let mut c = self.pool.get().await?;
        let r: Result<(), _> = c
            .xgroup_create_mkstream(&self.keys.stream, &self.cfg.group, "0")
            .await;
        match r {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Appends an event to the main stream. Trimming is `trim_acknowledged`'s
    /// job: a length cap here would also drop entries no one has read yet.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.event_type))]
    pub async fn publish(&self, event: &DomainEvent) -> Result<String, BusError> {
        let mut ids = self.publish_all(std::slice::from_ref(event)).await?;
        Ok(ids.pop().expect("one id per event"))
    }

    /// Publishes `events` in order, in one round trip (a pipeline of XADDs).
    pub async fn publish_all(&self, events: &[DomainEvent]) -> Result<Vec<String>, BusError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn().await?;
        let mut pipe = redis::pipe();
        for event in events {
            let envelope = serde_json::to_string(event).expect("events serialize");
            pipe.cmd("XADD")
                .arg(&self.keys.stream)
                .arg("*")
                .arg("envelope")
                .arg(envelope);
        }
        let ids: Vec<String> = self.settle(pipe.query_async(&mut c).await)?;
        for event in events {
            metrics::inc(
                "growthos_events_published_total",
                &[("type", event.event_type.as_str())],
            );
        }
        Ok(ids)
    }

    /// Reads up to `count` new messages for `consumer`, blocking up to
    /// `block`. A Redis that restarted without its data has lost the group:
    /// it is recreated and the read retried once.
    pub async fn read(
        &self,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Delivery>, BusError> {
        match self.read_once(consumer, count, block).await {
            Err(BusError::Redis(e)) if e.code() == Some("NOGROUP") => {
                tracing::warn!("consumer group missing (Redis restarted?); recreating it");
                self.ensure_group().await?;
                self.read_once(consumer, count, block).await
            }
            other => other,
        }
    }

    async fn read_once(
        &self,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Delivery>, BusError> {
        let mut c = self.pool.get().await?;
        let reply: Option<redis::streams::StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.cfg.group)
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.keys.stream)
            .arg(">")
            .query_async(&mut c)
            .await?;
        let entries = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .map(|e| (e.id.clone(), e.map));
        Ok(self.decode(entries).await)
    }

    /// Takes over messages that another consumer read but never acked for
    /// longer than `claim_idle`: that consumer died mid-work.
    pub async fn reclaim(&self, consumer: &str, count: usize) -> Result<Vec<Delivery>, BusError> {
        let mut c = self.conn().await?;
        let reply: RedisResult<redis::streams::StreamAutoClaimReply> = c
            .xautoclaim_options(
                &self.keys.stream,
                &self.cfg.group,
                consumer,
                self.cfg.claim_idle.as_millis() as u64,
                "0-0",
                redis::streams::StreamAutoClaimOptions::default().count(count),
            )
            .await;
        let reply = self.settle(reply)?;
        let entries = reply.claimed.into_iter().map(|e| (e.id.clone(), e.map));
        Ok(self.decode(entries).await)
    }

    /// Entries whose envelope does not parse can never succeed: they go
    /// straight to the dead-letter stream with the raw text kept.
    async fn decode(
        &self,
        entries: impl Iterator<Item = (String, std::collections::HashMap<String, Value>)>,
    ) -> Vec<Delivery> {
        let mut out = Vec::new();
        for (entry_id, fields) in entries {
            let raw = fields
                .get("envelope")
                .and_then(|v| redis::from_redis_value::<String>(v.clone()).ok())
                .unwrap_or_default();
            match serde_json::from_str::<DomainEvent>(&raw) {
                Ok(event) => out.push(Delivery { entry_id, event }),
                Err(e) => {
                    tracing::error!(entry.id = %entry_id, error = %e, "undecodable event dead-lettered");
                    match self.bury_raw(&entry_id, &raw, &e.to_string()).await {
                        Ok(()) => metrics::inc(
                            "growthos_events_dead_lettered_total",
                            &[("type", "undecodable")],
                        ),
                        Err(err) => {
                            tracing::error!(error = %err, "could not dead-letter undecodable event")
                        }
                    }
                }
            }
        }
        out
    }

    pub async fn ack(&self, d: &Delivery) -> Result<(), BusError> {
        self.ack_all(&[d]).await
    }

    /// Acks deliveries in one call.
    pub async fn ack_all(&self, ds: &[&Delivery]) -> Result<(), BusError> {
        if ds.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = ds.iter().map(|d| d.entry_id.as_str()).collect();
        let mut c = self.conn().await?;
        let r: RedisResult<i64> = c.xack(&self.keys.stream, &self.cfg.group, &ids).await;
        self.settle(r)?;
        for d in ds {
            metrics::inc(
                "growthos_events_consumed_total",
                &[("type", d.event.event_type.as_str())],
            );
        }
        Ok(())
    }

    /// Schedules another delivery with exponential backoff, or dead-letters
    /// the event once it has had `max_deliveries`. Either way the current
    /// entry is acked in the same MULTI, so nothing is lost or doubled.
    pub async fn retry_later(&self, d: &Delivery, error: &str) -> Result<bool, BusError> {
        if d.event.attempt >= self.cfg.max_deliveries {
            self.dead_letter(d, error).await?;
            return Ok(false);
        }
        let mut next = d.event.clone();
        next.attempt += 1;
        let due = chrono::Utc::now().timestamp_millis()
            + self.backoff(d.event.attempt).as_millis() as i64;
        let member = serde_json::to_string(&next).expect("events serialize");
        let mut c = self.conn().await?;
        let r: RedisResult<()> = redis::pipe()
            .atomic()
            .zadd(&self.keys.retry, member, due)
            .ignore()
            .xack(&self.keys.stream, &self.cfg.group, &[&d.entry_id])
            .ignore()
            .query_async(&mut c)
            .await;
        self.settle(r)?;
        metrics::inc(
            "growthos_events_retried_total",
            &[("type", d.event.event_type.as_str())],
        );
        Ok(true)
    }

    fn backoff(&self, attempt: u32) -> std::time::Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.cfg.max_backoff);
        // Jitter spreads retries of a burst so they do not return together.
        let jitter = rand::random_range(0.8..1.2);
        capped.mul_f64(jitter)
    }

    pub async fn dead_letter(&self, d: &Delivery, error: &str) -> Result<(), BusError> {
        let envelope = serde_json::to_string(&d.event).expect("events serialize");
        tracing::warn!(event.id = %d.event.id, event.type = %d.event.event_type, error, "event dead-lettered");
        self.bury_raw(&d.entry_id, &envelope, error).await?;
        metrics::inc(
            "growthos_events_dead_lettered_total",
            &[("type", d.event.event_type.as_str())],
        );
        Ok(())
    }

    async fn bury_raw(&self, entry_id: &str, envelope: &str, error: &str) -> Result<(), BusError> {
        let mut c = self.conn().await?;
        let r: RedisResult<()> = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(&self.keys.dead)
            .arg("*")
            .arg("envelope")
            .arg(envelope)
            .arg("error")
            .arg(error)
            .ignore()
            .xack(&self.keys.stream, &self.cfg.group, &[entry_id])
            .ignore()
            .query_async(&mut c)
            .await;
        self.settle(r)
    }

    /// Moves retries whose time has come back into the main stream.
    pub async fn promote_due_retries(&self, limit: usize) -> Result<usize, BusError> {
        let mut c = self.conn().await?;
        let n: RedisResult<usize> = redis::cmd("EVAL")
            .arg(PROMOTE_DUE)
            .arg(2)
            .arg(&self.keys.retry)
            .arg(&self.keys.stream)
            .arg(chrono::Utc::now().timestamp_millis())
            .arg(limit)
            .query_async(&mut c)
            .await;
        self.settle(n)
    }

    /// Trims (approximately) the entries below the group's oldest unacked
    /// entry, or below its last delivered one when nothing is pending:
    /// everything trimmed has been read and acknowledged.
    pub async fn trim_acknowledged(&self) -> Result<(), BusError> {
        let mut c = self.conn().await?;
        let groups: RedisResult<redis::streams::StreamInfoGroupsReply> =
            c.xinfo_groups(&self.keys.stream).await;
        let groups = self.settle(groups)?;
        let Some(group) = groups.groups.iter().find(|g| g.name == self.cfg.group) else {
            return Ok(());
        };
        let pending: RedisResult<redis::streams::StreamPendingReply> =
            c.xpending(&self.keys.stream, &self.cfg.group).await;
        let floor = match self.settle(pending)? {
            redis::streams::StreamPendingReply::Data(d) => d.start_id,
            // Empty (or a future variant): nothing is pending.
            _ => group.last_delivered_id.clone(),
        };
        let r: RedisResult<i64> = redis::cmd("XTRIM")
            .arg(&self.keys.stream)
            .arg("MINID")
            .arg("~")
            .arg(floor)
            .query_async(&mut c)
            .await;
        self.settle(r).map(|_| ())
    }

    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, BusError> {
        let mut c = self.conn().await?;
        let reply: RedisResult<redis::streams::StreamRangeReply> =
            c.xrevrange_count(&self.keys.dead, "+", "-", limit).await;
        let reply = self.settle(reply)?;
        Ok(reply
            .ids
            .into_iter()
            .filter_map(|e| {
                let env: String = e.get("envelope")?;
                let error: String = e.get("error").unwrap_or_default();
                let event = serde_json::from_str(&env).ok()?;
                Some(DeadLetter {
                    id: e.id,
                    event,
                    error,
                })
            })
            .collect())
    }

    /// Puts a dead letter back on the main stream with a fresh retry budget.
    pub async fn replay_dead_letter(&self, id: &str) -> Result<bool, BusError> {
        let Some(dl) = self
            .dead_letters(10_000)
            .await?
            .into_iter()
            .find(|d| d.id == id)
        else {
            return Ok(false);
        };
        let mut event = dl.event;
        event.attempt = 1;
        let mut c = self.conn().await?;
        let r: RedisResult<()> = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(&self.keys.stream)
            .arg("*")
            .arg("envelope")
            .arg(serde_json::to_string(&event).expect("events serialize"))
            .ignore()
            .xdel(&self.keys.dead, &[id])
            .ignore()
            .query_async(&mut c)
            .await;
        self.settle(r).map(|_| true)
    }

    /// Messages read by some consumer and not yet acked, plus those waiting
    /// in the retry set: work that is in flight somewhere.
    pub async fn in_flight(&self) -> Result<u64, BusError> {
        let mut c = self.conn().await?;
        let pending: RedisResult<redis::streams::StreamPendingReply> =
            c.xpending(&self.keys.stream, &self.cfg.group).await;
        let pending = self.settle(pending)?;
        let retries: RedisResult<u64> = c.zcard(&self.keys.retry).await;
        Ok(pending.count() as u64 + self.settle(retries)?)
    }

    /// Stream lag for GET /metrics: entries of the main stream the group has
    /// not read yet (XINFO GROUPS `lag`; `None` when Redis cannot tell),
    /// delivered but unacked entries, the retry set and the dead letters.
    pub async fn backlog(&self) -> Result<Backlog, BusError> {
        let mut c = self.conn().await?;
        let groups: RedisResult<Vec<HashMap<String, redis::Value>>> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.keys.stream)
            .query_async(&mut c)
            .await;
        let mut backlog = Backlog::default();
        if let Ok(groups) = groups
            && let Some(g) = groups
                .iter()
                .find(|g| g.get("name").and_then(as_string).as_deref() == Some(&self.cfg.group))
        {
            backlog.lag = g.get("lag").and_then(as_u64);
            backlog.pending = g.get("pending").and_then(as_u64).unwrap_or(0);
        }
        let retries: RedisResult<u64> = c.zcard(&self.keys.retry).await;
        backlog.retrying = self.settle(retries)?;
        let dead: RedisResult<u64> = c.xlen(&self.keys.dead).await;
        backlog.dead_letters = self.settle(dead)?;
        Ok(backlog)
    }
}

/// See [`EventBus::backlog`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub lag: Option<u64>,
    pub pending: u64,
    pub retrying: u64,
    pub dead_letters: u64,
}

impl Backlog {
    /// The backlog as gauges for [`metrics::render`].
    pub fn gauges(&self) -> Vec<metrics::Gauge> {
        let g = |name, help, value: u64| metrics::Gauge {
            name,
            help,
            labels: Vec::new(),
            value: value as f64,
        };
        let mut out = vec![
            g(
                "growthos_stream_pending",
                "Events delivered to a worker and not yet acknowledged.",
                self.pending,
            ),
            g(
                "growthos_stream_retrying",
                "Events waiting in the retry set.",
                self.retrying,
            ),
            g(
                "growthos_stream_dead_letters",
                "Entries in the dead-letter stream.",
                self.dead_letters,
            ),
        ];
        if let Some(lag) = self.lag {
            out.push(g(
                "growthos_stream_lag",
                "Stream entries the worker group has not read yet.",
                lag,
            ));
        }
        out
    }
}

fn as_string(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

fn as_u64(v: &redis::Value) -> Option<u64> {
    match v {
        redis::Value::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}
