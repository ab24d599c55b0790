//! Repositories: plain async functions over a connection, so callers choose
//! the transaction boundary.

pub mod api_keys;
pub mod housekeeping;
pub mod idempotency;
pub mod insights;
pub mod intake;
pub mod leads;
pub mod logs;
pub mod meetings;
pub mod messages;
pub mod metrics;
pub mod outbox;
pub mod scheduling;
pub mod steps;
pub mod suppressions;
pub mod tenants;
pub mod users;
pub mod workflows;

diesel::define_sql_function! {
    /// SQL's `lower`, as a typed call: unlike an SQL literal, a query using
    /// it stays in diesel's prepared-statement cache, and it matches the
    /// `lower(email)` indexes.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
