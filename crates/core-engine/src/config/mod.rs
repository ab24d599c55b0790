//! Typed configuration, read once from the environment (CONFIG.md). Every
//! problem is collected and reported together, one line each.

mod reader;
#[cfg(test)]
mod tests;

use reader::Reader;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::fmt;

/// Development's JWT secret: refused in production.
pub const DEV_JWT_SECRET: &str = "growthos-development-jwt-secret-do-not-use-in-prod";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMode {
    Stripe,
    Manual,
}

impl PaymentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMode::Stripe => "stripe",
            PaymentMode::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentMode {
    Llm,
    Heuristic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which binary is reading the configuration (sets the default port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Gateway,
    Worker,
    Scheduler,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Gateway => "api-gateway",
            Service::Worker => "worker",
            Service::Scheduler => "scheduler",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Service::Gateway => 8080,
            Service::Worker => 8081,
            Service::Scheduler => 8082,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: SecretString,
    pub webhook_secret: SecretString,
    pub price_booker: String,
    pub price_leadqualifier: String,
    pub price_followup: String,
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct GeminiSettings {
    pub api_key: SecretString,
    pub model: String,
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct ResendSettings {
    pub api_key: SecretString,
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct GoogleSettings {
    pub credentials_json: SecretString,
    pub token_url: String,
    pub api_base: String,
}

/// Public URLs of the three product apps (checkout return pages, links).
#[derive(Debug, Clone)]
pub struct AppUrls {
    pub booker: String,
    pub leadqualifier: String,
    pub followup: String,
}

impl AppUrls {
    pub fn for_product(&self, product: shared_types::ProductSlug) -> &str {
        use shared_types::ProductSlug::*;
        match product {
            Booker => &self.booker,
            LeadQualifier => &self.leadqualifier,
            FollowUp => &self.followup,
        }
    }
}

/// The gateway's rate limits, requests per minute (kept in Redis, so they
/// hold across replicas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client IP on public routes.
    pub public_per_min: u32,
    /// Per tenant on authenticated routes.
    pub tenant_per_min: u32,
    /// Per client IP on POST /api/auth/login and POST /api/tenant/create.
    pub auth_per_min: u32,
}

#[derive(Debug, Clone)]
pub struct Schedules {
    pub followups: String,
    pub reminders: String,
    pub stale_recovery: String,
    pub insights: String,
    pub outbox_sweep: String,
    pub metrics_fold: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub service: Service,
    pub app_env: AppEnv,
    pub database_url: SecretString,
    pub database_pool_size: usize,
    pub redis_url: SecretString,
    /// Prefix of every Redis key (streams, rate limits), so deployments
    /// or tests can share one Redis.
    pub redis_key_prefix: String,
    pub jwt_secret: SecretString,
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub app_urls: AppUrls,
    /// `None` means any origin (development only).
    pub cors_allowed_origins: Option<Vec<String>>,
    pub payment_mode: PaymentMode,
    pub rate_limits: RateLimits,
    /// Reverse proxies in front of the gateway that append to
    /// X-Forwarded-For; 0 means the header is ignored (peer address only).
    pub trust_proxy_hops: usize,
    pub admin_secret: Option<SecretString>,
    pub stripe: Option<StripeSettings>,
    pub agent_mode: AgentMode,
    pub gemini: Option<GeminiSettings>,
    pub resend: Option<ResendSettings>,
    pub email_from: String,
    pub resend_webhook_secret: Option<SecretString>,
    pub google: Option<GoogleSettings>,
    pub sentry_dsn: Option<SecretString>,
    pub otel_endpoint: Option<String>,
    pub otel_service_name: String,
    pub log_format: LogFormat,
    pub worker_concurrency: usize,
    /// INTAKE_MAX_IN_FLIGHT: lead submissions the gateway works on at once;
    /// past it, POST /api/leads answers 503 with Retry-After at once. Under
    /// overload every admitted lead waits about this many divided by the
    /// intake rate (Little's law): the default of 32 is about 10 ms of a
    /// 2-core gateway's 3,000 leads/s (README, Performance); raise it with
    /// the cores.
    pub intake_max_in_flight: usize,
    /// A pending event idle this long is taken from its (dead) consumer.
    pub event_claim_idle_ms: u64,
    pub schedules: Schedules,
    /// Non-fatal remarks (development defaults, test keys) to log at start.
    pub warnings: Vec<String>,
}

/// Every problem found, one per line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            writeln!(f, "config error: {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    pub fn from_env(service: Service) -> Result<Self, ConfigErrors> {
        Self::from_vars(service, &std::env::vars().collect())
    }

    /// Reads the configuration, or prints every problem and exits with 2.
    pub fn from_env_or_exit(service: Service) -> Self {
        match Self::from_env(service) {
            Ok(c) => c,
            Err(e) => {
                eprint!("{e}");
                std::process::exit(2);
            }
        }
    }

    pub fn from_vars(
        service: Service,
        vars: &HashMap<String, String>,
    ) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(vars);
        let app_env = match r.text("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") | Some("test") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                r.problem(format!(
                    "APP_ENV must be development or production, not `{other}`"
                ));
                AppEnv::Development
            }
        };
        let prod = app_env == AppEnv::Production;
        let database_url = r.url_secret(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/growthos",
            prod,
            &["postgres", "postgresql"],
        );
        let redis_url = r.url_secret(
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            prod,
            &["redis", "rediss"],
        );
        let jwt_secret = r.jwt_secret(prod, service == Service::Gateway);
        let public_url = r.public_url(prod);
        let cors_allowed_origins = r.cors(prod);
        // The gateway sends customers back to their product's app after
        // Checkout; in production that must be the app's real address.
        let app_url = |r: &mut Reader, key: &str, default: &str| {
            if prod && service == Service::Gateway && r.text(key).is_none() {
                r.problem(format!(
                    "{key} is required in production (the product app's https URL)"
                ));
            }
            r.base_url(key, default)
        };
        let app_urls = AppUrls {
            booker: app_url(&mut r, "BOOKER_URL", "http://localhost:3001"),
            leadqualifier: app_url(&mut r, "LEADQUALIFIER_URL", "http://localhost:3002"),
            followup: app_url(&mut r, "FOLLOWUP_URL", "http://localhost:3003"),
        };
        let payment_mode = match r.text("PAYMENT_MODE").as_deref() {
            None | Some("stripe") => PaymentMode::Stripe,
            Some("manual") => PaymentMode::Manual,
            Some(other) => {
                r.problem(format!(
                    "PAYMENT_MODE must be stripe or manual, not `{other}`"
                ));
                PaymentMode::Stripe
            }
        };
        let admin_secret = r.admin_secret(prod, payment_mode);
        let stripe = r.stripe(prod, payment_mode);
        let gemini = r.secret("GEMINI_API_KEY").map(|api_key| GeminiSettings {
            api_key,
            model: r
                .text("GEMINI_MODEL")
                .unwrap_or_else(|| "gemini-2.5-flash".into()),
            api_base: r.base_url(
                "GEMINI_API_BASE",
                "https://generativelanguage.googleapis.com",
            ),
        });
        let agent_mode = match r.text("AGENT_MODE").as_deref() {
            None if gemini.is_some() => AgentMode::Llm,
            None | Some("heuristic") => AgentMode::Heuristic,
            Some("llm") if gemini.is_some() => AgentMode::Llm,
            Some("llm") => {
                r.problem("AGENT_MODE=llm needs GEMINI_API_KEY".into());
                AgentMode::Heuristic
            }
            Some(other) => {
                r.problem(format!(
                    "AGENT_MODE must be llm or heuristic, not `{other}`"
                ));
                AgentMode::Heuristic
            }
        };
        let resend = r.secret("RESEND_API_KEY").map(|api_key| ResendSettings {
            api_key,
            api_base: r.base_url("RESEND_API_BASE", "https://api.resend.com"),
        });
        if prod && resend.is_none() {
            r.problem(
                "RESEND_API_KEY is required in production (the outbox mailer never delivers)"
                    .into(),
            );
        }
        let email_from = r.email_from(prod);
        let resend_webhook_secret = r.secret("RESEND_WEBHOOK_SECRET");
        let google = r
            .secret("GOOGLE_CALENDAR_CREDENTIALS")
            .map(|credentials_json| GoogleSettings {
                credentials_json,
                token_url: r.base_url(
                    "GOOGLE_OAUTH_TOKEN_URL",
                    "https://oauth2.googleapis.com/token",
                ),
                api_base: r.base_url(
                    "GOOGLE_CALENDAR_API_BASE",
                    "https://www.googleapis.com/calendar/v3",
                ),
            });
        if let Some(g) = &google {
            r.check_google_credentials(g.credentials_json.expose_secret());
        }
        let log_format = match r.text("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                r.problem(format!("LOG_FORMAT must be pretty or json, not `{other}`"));
                LogFormat::Pretty
            }
        };
        if prod && log_format == LogFormat::Pretty {
            r.warn("LOG_FORMAT=json is recommended in production".into());
        }
        let schedules = Schedules {
            followups: r.cron("SCHEDULE_FOLLOWUPS", "0 * * * * *"),
            reminders: r.cron("SCHEDULE_REMINDERS", "30 * * * * *"),
            stale_recovery: r.cron("SCHEDULE_STALE_RECOVERY", "0 */5 * * * *"),
            insights: r.cron("SCHEDULE_INSIGHTS", "0 15 3 * * *"),
            outbox_sweep: r.cron("SCHEDULE_OUTBOX_SWEEP", "*/5 * * * * *"),
            metrics_fold: r.cron("SCHEDULE_METRICS_FOLD", "*/5 * * * * *"),
        };
        let config = Config {
            service,
            app_env,
            database_url,
            database_pool_size: r.number("DATABASE_POOL_SIZE", 10, 1..=200),
            redis_url,
            redis_key_prefix: r
                .text("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "growthos".into()),
            jwt_secret,
            host: r.text("HOST").unwrap_or_else(|| "0.0.0.0".into()),
            port: r.number("PORT", usize::from(service.default_port()), 0..=65535) as u16,
            public_url,
            app_urls,
            cors_allowed_origins,
            payment_mode,
            rate_limits: RateLimits {
                public_per_min: r.number("RATE_LIMIT_PUBLIC_PER_MIN", 120, 1..=100_000_000) as u32,
                tenant_per_min: r.number("RATE_LIMIT_TENANT_PER_MIN", 1200, 1..=100_000_000) as u32,
                auth_per_min: r.number("RATE_LIMIT_AUTH_PER_MIN", 10, 1..=100_000_000) as u32,
            },
            trust_proxy_hops: r.number("TRUST_PROXY_HOPS", 0, 0..=10),
            admin_secret,
            stripe,
            agent_mode,
            gemini,
            resend,
            email_from,
            resend_webhook_secret,
            google,
            sentry_dsn: r.secret("SENTRY_DSN"),
            otel_endpoint: r.text("OTEL_EXPORTER_OTLP_ENDPOINT"),
            otel_service_name: r
                .text("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| service.name().into()),
            log_format,
            worker_concurrency: r.number("WORKER_CONCURRENCY", 128, 1..=1024),
            intake_max_in_flight: r.number("INTAKE_MAX_IN_FLIGHT", 32, 1..=100_000),
            event_claim_idle_ms: r.number("EVENT_CLAIM_IDLE_MS", 30_000, 100..=3_600_000) as u64,
            schedules,
            warnings: Vec::new(),
        };
        r.finish(config)
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}
