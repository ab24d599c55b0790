//! Rate limits kept in Redis, so every gateway replica spends the same
//! budget (API.md: 429 with `Retry-After` and `RateLimit-*` headers).
//!
//! Each (bucket, key) is a sliding-window counter: the current fixed window
//! plus the previous one weighted by how much of it still overlaps the last
//! `window`. One Lua script reads both counters and increments the current
//! one atomically, with Redis' own clock, so replicas with skewed clocks
//! still agree. Refused requests are not counted.
//!
//! A Redis outage never stops lead intake: the limiter then lets requests
//! through (fail open), warns once, and retries Redis at most once a second.
//!
//! Other code calls [`RateLimiter::check`], e.g. per email on login:
//! `state.limiter.check("login-email", &email, state.limiter.auth_limit()).await?`.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use core_engine::config::RateLimits;
use deadpool_redis::redis;
use deadpool_redis::redis::aio::MultiplexedConnection;
use event_bus::SharedConnection;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long one check may wait for Redis before failing open.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// After a Redis failure, checks skip Redis for this long.
const RETRY_REDIS_AFTER_MS: u64 = 1_000;

/// KEYS[1]: the counter's base key; ARGV[1]: limit; ARGV[2]: window in ms.
/// Returns {allowed (0/1), current count, previous count, ms into window}.
const SCRIPT: &str = r"
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idx = math.floor(now / window)
local elapsed = now - idx * window
local cur_key = KEYS[1] .. ':' .. string.format('%d', idx)
local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. string.format('%d', idx - 1)) or '0')
local cur = tonumber(redis.call('GET', cur_key) or '0')
local allowed = 0
if prev * (window - elapsed) / window + cur + 1 <= limit then
  cur = redis.call('INCR', cur_key)
  if cur == 1 then redis.call('PEXPIRE', cur_key, window * 2) end
  allowed = 1
end
return {allowed, cur, prev, elapsed}
";

/// At most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minute(max: u32) -> Self {
        Self {
            max,
            window: Duration::from_secs(60),
        }
    }

    fn window_ms(self) -> u64 {
        (self.window.as_millis() as u64).max(1)
    }
}

/// The budget left after an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the current window ends.
    pub reset_secs: u64,
    /// False when Redis could not be asked and the request went through
    /// uncounted (fail open); no headers are sent then.
    pub counted: bool,
}

impl RateState {
    fn uncounted(limit: Limit) -> Self {
        Self {
            limit: limit.max,
            remaining: limit.max,
            reset_secs: 0,
            counted: false,
        }
    }

    /// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        if !self.counted {
            return;
        }
        for (name, value) in [
            ("ratelimit-limit", u64::from(self.limit)),
            ("ratelimit-remaining", u64::from(self.remaining)),
            ("ratelimit-reset", self.reset_secs),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
}

/// Shared by every worker of one gateway (clones share the state).
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every check is one EVALSHA on a shared multiplexed connection: no
    /// pool checkout (and its PING) on the request path.
    redis: SharedConnection,
    prefix: String,
    limits: RateLimits,
    trust_proxy_hops: usize,
    /// SHA1 of the script, as SCRIPT LOAD reported it (it never changes).
    script_sha: OnceLock<String>,
    /// Unix ms until which Redis is not asked again after a failure.
    skip_redis_until_ms: AtomicU64,
    /// Whether the current outage was already logged.
    warned: AtomicBool,
}

impl RateLimiter {
    pub fn new(
        redis: deadpool_redis::Pool,
        key_prefix: &str,
        limits: RateLimits,
        trust_proxy_hops: usize,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                redis: SharedConnection::new(redis),
                prefix: key_prefix.to_owned(),
                limits,
                trust_proxy_hops,
                script_sha: OnceLock::new(),
                skip_redis_until_ms: AtomicU64::new(0),
                warned: AtomicBool::new(false),
            }),
        }
    }

    /// Public routes, per client IP (RATE_LIMIT_PUBLIC_PER_MIN).
    pub fn public_limit(&self) -> Limit {
        Limit::per_minute(self.inner.limits.public_per_min)
    }

    /// Authenticated routes, per tenant (RATE_LIMIT_TENANT_PER_MIN).
    pub fn tenant_limit(&self) -> Limit {
        Limit::per_minute(self.inner.limits.tenant_per_min)
    }

    /// Login and sign-up, per client IP (RATE_LIMIT_AUTH_PER_MIN); also the
    /// limit to use per email on login.
    pub fn auth_limit(&self) -> Limit {
        Limit::per_minute(self.inner.limits.auth_per_min)
    }

    /// Counts one request of `key` (an IP, a tenant id, an email...) in
    /// `bucket` (a short ASCII name such as `"login-email"`; buckets count
    /// separately). `Ok` with the budget left when the request may go on,
    /// `Err(ApiError::RateLimited)` (429 with `Retry-After` and
    /// `RateLimit-*`) when it exceeds `limit`. Keys are hashed, never stored
    /// as given; normalise them first (e.g. lowercase an email). When Redis
    /// is unavailable the request is allowed (`counted: false`).
    pub async fn check(
        &self,
        bucket: &str,
        key: &str,
        limit: Limit,
    ) -> Result<RateState, ApiError> {
        let i = &self.inner;
        let now = unix_ms();
        if now < i.skip_redis_until_ms.load(Ordering::Relaxed) {
            return Ok(RateState::uncounted(limit));
        }
        let redis_key = format!("{}:ratelimit:{bucket}:{}", i.prefix, digest(bucket, key));
        match tokio::time::timeout(REDIS_TIMEOUT, self.count(&redis_key, limit)).await {
            Ok(Ok(counts)) => {
                if i.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis is back: rate limits are enforced again");
                }
                decide(limit, counts)
            }
            outcome => {
                let error = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {} ms", REDIS_TIMEOUT.as_millis()),
                };
                i.skip_redis_until_ms
                    .store(now + RETRY_REDIS_AFTER_MS, Ordering::Relaxed);
                if !i.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "Redis unavailable: rate limits are not enforced until it is back");
                }
                Ok(RateState::uncounted(limit))
            }
        }
    }

    /// Runs the script (EVALSHA, loading it on first use or after a Redis
    /// restart emptied the script cache).
    async fn count(&self, key: &str, limit: Limit) -> anyhow::Result<Counts> {
        let redis = &self.inner.redis;
        let mut conn = redis.get().await?;
        let sha = match self.inner.script_sha.get() {
            Some(sha) => sha.clone(),
            None => self.load_script(&mut conn).await?,
        };
        let run = |sha: &str| {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(sha)
                .arg(1)
                .arg(key)
                .arg(limit.max)
                .arg(limit.window_ms());
            cmd
        };
        let reply: redis::RedisResult<(i64, i64, i64, i64)> =
            redis.settle(run(&sha).query_async(&mut conn).await);
        let (allowed, cur, prev, elapsed) = match reply {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                let sha = self.load_script(&mut conn).await?;
                redis.settle(run(&sha).query_async(&mut conn).await)?
            }
            other => other?,
        };
        Ok(Counts {
            allowed: allowed == 1,
            current: cur.max(0) as u64,
            previous: prev.max(0) as u64,
            elapsed_ms: elapsed.max(0) as u64,
        })
    }

    async fn load_script(&self, conn: &mut MultiplexedConnection) -> anyhow::Result<String> {
        let sha: String = self.inner.redis.settle(
            redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(SCRIPT)
                .query_async(conn)
                .await,
        )?;
        let _ = self.inner.script_sha.set(sha.clone());
        Ok(sha)
    }
}

/// What the script saw.
#[derive(Debug, Clone, Copy)]
struct Counts {
    allowed: bool,
    current: u64,
    previous: u64,
    elapsed_ms: u64,
}

/// The headers' numbers from the script's counts, or the 429.
fn decide(limit: Limit, c: Counts) -> Result<RateState, ApiError> {
    let w = limit.window_ms() as f64;
    let e = (c.elapsed_ms as f64).min(w);
    let (l, cur, prev) = (f64::from(limit.max), c.current as f64, c.previous as f64);
    let to_window_end = w - e;
    if c.allowed {
        let used = prev * to_window_end / w + cur;
        return Ok(RateState {
            limit: limit.max,
            remaining: (l - used).floor().max(0.0) as u32,
            reset_secs: (to_window_end / 1000.0).ceil() as u64,
            counted: true,
        });
    }
    // The earliest moment one more request fits.
    let wait_ms = if cur + 1.0 <= l && prev > 0.0 {
        // Later in this window, as the previous window's weight fades.
        to_window_end - (l - 1.0 - cur) * w / prev
    } else {
        // In the next window, where this window's count is the previous one.
        to_window_end + (w - (l - 1.0) * w / cur.max(1.0)).max(0.0)
    };
    Err(ApiError::RateLimited {
        retry_after_secs: (wait_ms.max(0.0) / 1000.0).ceil().max(1.0) as u64,
        limit: limit.max,
    })
}

fn digest(bucket: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(bucket.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Which budget a request spends.
#[derive(Debug, PartialEq, Eq)]
enum Budget {
    /// Probes: never limited.
    Exempt,
    /// Login and sign-up, per client IP.
    Auth(String),
    /// A verified bearer token's tenant, or a well-formed API key.
    Tenant(String),
    /// Everything else, per client IP.
    Public(String),
}

fn budget(req: &ServiceRequest, hops: usize) -> Budget {
    let path = req.path();
    let method = req.method();
    if *method == Method::GET && matches!(path, "/health" | "/ready") {
        return Budget::Exempt;
    }
    // Stripe and Resend send every customer's events from a few addresses;
    // a per-IP budget would delay activations (or bounces) in a busy hour.
    // The signature check refuses forgeries before any database work.
    if *method == Method::POST && matches!(path, "/api/stripe/webhook" | "/api/resend/webhook") {
        return Budget::Exempt;
    }
    if *method == Method::POST && matches!(path, "/api/auth/login" | "/api/tenant/create") {
        return Budget::Auth(client_ip(req, hops));
    }
    let headers = req.headers();
    if let Some(tenant) = crate::auth::bearer_tenant(req.request()) {
        return Budget::Tenant(tenant.to_string());
    }
    // A key is only checked against the database by the handler; a
    // well-formed one gets its own budget (the key is random, so it cannot
    // be guessed), anything else spends the caller's IP budget.
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| well_formed_api_key(k));
    if let Some(key) = api_key {
        return Budget::Tenant(format!("key:{key}"));
    }
    Budget::Public(client_ip(req, hops))
}

fn well_formed_api_key(key: &str) -> bool {
    key.strip_prefix("gos_").is_some_and(|rest| {
        (32..=96).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The client's address: the peer, or with `hops` trusted proxies in front,
/// the X-Forwarded-For entry the outermost trusted proxy appended (entries
/// further left are whatever the client claimed). IPv6 clients are
/// counted per /64, the block one subscriber usually holds.
fn client_ip(req: &ServiceRequest, hops: usize) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = (hops > 0)
        .then(|| {
            let entries: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let pick = entries.len().saturating_sub(hops);
            entries.get(pick).and_then(|e| e.parse::<IpAddr>().ok())
        })
        .flatten();
    match forwarded.or(peer).map(|ip| ip.to_canonical()) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(v4) => v4.to_string(),
        None => "unknown".into(),
    }
}

/// Middleware: spends the request's budget before the handler runs;
/// answers 429 when it is spent, adds `RateLimit-*` to other answers.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let limiter = &state.limiter;
    let checked = match budget(&req, limiter.inner.trust_proxy_hops) {
        Budget::Exempt => None,
        Budget::Auth(ip) => Some(limiter.check("auth", &ip, limiter.auth_limit()).await),
        Budget::Tenant(t) => Some(limiter.check("tenant", &t, limiter.tenant_limit()).await),
        Budget::Public(ip) => Some(limiter.check("public", &ip, limiter.public_limit()).await),
    };
    match checked {
        Some(Err(refused)) => Ok(req.error_response(refused).map_into_right_body()),
        Some(Ok(rate)) => {
            let mut res = next.call(req).await?;
            rate.write_headers(res.headers_mut());
            Ok(res.map_into_left_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(allowed: bool, current: u64, previous: u64, elapsed_ms: u64) -> Counts {
        Counts {
            allowed,
            current,
            previous,
            elapsed_ms,
        }
    }

    #[test]
    fn an_accepted_request_reports_what_is_left() {
        let s = decide(Limit::per_minute(10), counts(true, 3, 0, 15_000)).unwrap();
        assert_eq!((s.limit, s.remaining, s.reset_secs), (10, 7, 45));
        // Half of the previous window still weighs: 4 * 0.5 + 3 = 5 used.
        let s = decide(Limit::per_minute(10), counts(true, 3, 4, 30_000)).unwrap();
        assert_eq!(s.remaining, 5);
    }

    #[test]
    fn a_full_window_waits_for_the_next_one() {
        let Err(ApiError::RateLimited {
            retry_after_secs,
            limit,
        }) = decide(Limit::per_minute(10), counts(false, 10, 0, 50_000))
        else {
            panic!("refused");
        };
        // 10 s to the window's end, then 10 * (60 - t) / 60 + 1 <= 10 at t = 6 s.
        assert_eq!((retry_after_secs, limit), (16, 10));
    }

    #[test]
    fn a_fading_previous_window_frees_room_within_this_one() {
        // 10 * (60 - 20 - t) / 60 + 5 + 1 <= 10  <=>  t >= 16 s.
        let Err(ApiError::RateLimited {
            retry_after_secs, ..
        }) = decide(Limit::per_minute(10), counts(false, 5, 10, 20_000))
        else {
            panic!("refused");
        };
        assert_eq!(retry_after_secs, 16);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let Err(ApiError::RateLimited {
            retry_after_secs, ..
        }) = decide(Limit::per_minute(10), counts(false, 5, 10, 35_900))
        else {
            panic!("refused");
        };
        assert_eq!(retry_after_secs, 1);
    }

    #[test]
    fn api_keys_are_recognised_by_shape_only() {
        assert!(well_formed_api_key(&format!("gos_{}", "aB3-_".repeat(9))));
        assert!(!well_formed_api_key("gos_short"));
        assert!(!well_formed_api_key(&format!("key_{}", "a".repeat(43))));
        assert!(!well_formed_api_key(&format!("gos_{}", "a b".repeat(15))));
    }

    #[test]
    fn keys_are_hashed_per_bucket() {
        assert_ne!(digest("a", "b:c"), digest("a:b", "c"));
        assert_eq!(digest("public", "1.2.3.4").len(), 32);
        assert!(!digest("login-email", "x@y.z").contains('@'));
    }
}
