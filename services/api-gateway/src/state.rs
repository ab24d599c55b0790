use crate::auth::JwtKeys;
use crate::billing::Billing;
use crate::rate_limit::RateLimiter;
use crate::resend_webhook::ResendWebhook;
use core_engine::{Config, Infra, PaymentMode};
use memory::DbPool;
use orchestrator::{OutboxRelay, UnsubscribeSigner};
use secrecy::SecretString;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub relay: OutboxRelay,
    pub jwt: JwtKeys,
    pub unsubscribe: UnsubscribeSigner,
    pub production: bool,
    pub payment_mode: PaymentMode,
    /// Redis-backed rate limits (`limiter.check(bucket, key, limit)`).
    pub limiter: RateLimiter,
    /// Stripe client, prices, webhook secrets and the product app URLs.
    pub billing: Billing,
    /// Svix verification of Resend's webhooks (RESEND_WEBHOOK_SECRET).
    pub resend_webhook: ResendWebhook,
    /// Remembered medians of GET /metrics (see `MedianCache`).
    pub medians: crate::metrics::MedianCache,
    /// Load shedding of POST /api/leads (`load_shed`).
    pub intake_slots: crate::load_shed::IntakeSlots,
    /// Group commit of POST /api/leads.
    pub intake: crate::intake_queue::IntakeQueue,
    /// `None`: the /internal admin routes answer 404.
    pub admin_secret: Option<SecretString>,
}

impl AppState {
    pub fn admission(&self) -> crate::access::Admission {
        crate::access::Admission {
            production: self.production,
            payment_mode: self.payment_mode,
        }
    }

    pub fn new(config: &Config, infra: &Infra) -> anyhow::Result<Self> {
        Ok(Self {
            pool: infra.pool.clone(),
            relay: infra.orchestrator.relay().clone(),
            jwt: JwtKeys::new(&config.jwt_secret),
            unsubscribe: UnsubscribeSigner::new(&config.jwt_secret),
            production: config.is_production(),
            payment_mode: config.payment_mode,
            limiter: RateLimiter::new(
                infra.redis.clone(),
                &config.redis_key_prefix,
                config.rate_limits,
                config.trust_proxy_hops,
            ),
            billing: Billing::from_config(config)?,
            resend_webhook: ResendWebhook::from_config(config)?,
            admin_secret: config.admin_secret.clone(),
            medians: Default::default(),
            intake_slots: crate::load_shed::IntakeSlots::new(config.intake_max_in_flight),
            intake: crate::intake_queue::IntakeQueue::start(
                infra.pool.clone(),
                infra.orchestrator.relay().clone(),
                crate::access::Admission {
                    production: config.is_production(),
                    payment_mode: config.payment_mode,
                },
            ),
        })
    }
}
