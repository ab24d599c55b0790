use crate::auth::JwtKeys;
use core_engine::{Config, Infra, PaymentMode};
use memory::DbPool;
use orchestrator::OutboxRelay;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub relay: OutboxRelay,
    pub jwt: JwtKeys,
    pub production: bool,
    pub payment_mode: PaymentMode,
}

impl AppState {
    pub fn new(config: &Config, infra: &Infra) -> Self {
        Self {
            pool: infra.pool.clone(),
            relay: infra.orchestrator.relay().clone(),
            jwt: JwtKeys::new(&config.jwt_secret),
            production: config.is_production(),
            payment_mode: config.payment_mode,
        }
    }
}
