//! Composition shared by the three binaries: typed configuration with
//! production guardrails, telemetry, the PostgreSQL and Redis pools, the
//! orchestrator wired to its providers, health and readiness probes, and
//! shutdown signals.

pub mod config;
mod infra;
pub mod probes;
mod shutdown;
pub mod telemetry;

pub use config::{AppEnv, Config, PaymentMode, Service};
pub use infra::{Infra, providers_from};
pub use shutdown::shutdown_signal;
