//! The scheduler's jobs against the real gateway, worker handler,
//! PostgreSQL and Redis, on a manual clock (no sleeping for days).

mod cadence;
mod housekeeping;
mod insights;
mod reminders;
mod replicas;
mod stale;
mod support;
