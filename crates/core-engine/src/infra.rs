//! Pools and the orchestrator, built from the configuration.

use crate::config::{AgentMode, Config};
use action_layer::{
    Calendar, GoogleCalendarConfig, Mailer, ResendConfig, WebhookConfig, WebhookSender,
};
use agents::{Agents, GeminiConfig};
use anyhow::Context;
use event_bus::{BusConfig, EventBus};
use memory::DbPool;
use orchestrator::{Clock, Orchestrator, OutboxRelay, Providers, Settings};
use secrecy::ExposeSecret;
use std::time::Duration;

/// Everything a service needs to talk to PostgreSQL, Redis and providers.
#[derive(Clone)]
pub struct Infra {
    pub pool: DbPool,
    pub redis: deadpool_redis::Pool,
    pub bus: EventBus,
    pub orchestrator: Orchestrator,
}

impl Infra {
    /// Builds the pools lazily: nothing connects until first use, so a
    /// service starts (and reports not-ready) while a dependency is down.
    pub fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system())
    }

    /// `build` with the clock the workflow steps and scheduler jobs read
    /// "now" from (tests run weeks of follow-ups on a manual clock).
    pub fn build_with_clock(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        let pool = memory::create_pool(
            config.database_url.expose_secret(),
            config.database_pool_size,
        )
        .map_err(|e| anyhow::anyhow!(e))
        .context("building the PostgreSQL pool")?;
        let mut redis_cfg = deadpool_redis::Config::from_url(config.redis_url.expose_secret());
        redis_cfg.pool = Some(deadpool_redis::PoolConfig {
            max_size: config.database_pool_size.max(8),
            timeouts: deadpool_redis::Timeouts {
                wait: Some(Duration::from_secs(2)),
                create: Some(Duration::from_secs(2)),
                recycle: Some(Duration::from_secs(2)),
            },
            ..Default::default()
        });
        let redis = redis_cfg
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .context("building the Redis pool")?;
        let mut bus_config = BusConfig::new(&config.redis_key_prefix);
        bus_config.claim_idle = Duration::from_millis(config.event_claim_idle_ms);
        let bus = EventBus::new(redis.clone(), bus_config);
        let relay = OutboxRelay::new(pool.clone(), bus.clone());
        let settings = Settings {
            email_from: config.email_from.clone(),
            public_url: config.public_url.clone(),
            booking_horizon_days: 14,
            unsubscribe: orchestrator::UnsubscribeSigner::new(&config.jwt_secret),
            clock,
        };
        let orchestrator =
            Orchestrator::new(pool.clone(), relay, providers_from(config)?, settings);
        Ok(Self {
            pool,
            redis,
            bus,
            orchestrator,
        })
    }
}

/// Providers per configuration, each falling back to its embedded default.
pub fn providers_from(config: &Config) -> anyhow::Result<Providers> {
    let agents = match (&config.gemini, config.agent_mode) {
        (Some(g), AgentMode::Llm) => {
            let mut cfg = GeminiConfig::new(g.api_key.clone(), g.model.clone());
            cfg.api_base = g.api_base.clone();
            Agents::with_gemini(cfg)
        }
        _ => Agents::heuristic(),
    };
    let mailer = match &config.resend {
        Some(r) => Mailer::resend(ResendConfig {
            api_key: r.api_key.clone(),
            api_base: r.api_base.clone(),
            timeout: Duration::from_secs(10),
            max_attempts: 3,
        }),
        None => Mailer::Outbox,
    };
    let calendar = match &config.google {
        Some(g) => Calendar::google(GoogleCalendarConfig {
            credentials_json: g.credentials_json.clone(),
            token_url: g.token_url.clone(),
            api_base: g.api_base.clone(),
            timeout: Duration::from_secs(10),
        })
        .map_err(|e| anyhow::anyhow!("GOOGLE_CALENDAR_CREDENTIALS: {e}"))?,
        None => Calendar::Internal,
    };
    let webhooks = WebhookSender::new(WebhookConfig {
        timeout: Duration::from_secs(5),
        // Development lets a tenant point its webhook at a local receiver.
        allow_loopback: !config.is_production(),
    });
    Ok(Providers {
        agents,
        mailer,
        calendar,
        webhooks,
    })
}
