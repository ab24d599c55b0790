//! PostgreSQL through diesel-async: the schema, embedded migrations, the
//! connection pool and one repository module per aggregate. Every query on
//! a tenant-owned table filters by `tenant_id`.

pub mod schema;

mod error;
mod json_text;
mod migrations;
mod models;
mod pool;
pub mod repo;
mod snapshot;

pub use error::MemoryError;
pub use json_text::JsonText;
pub use migrations::{ensure_database, pending_migrations, run_migrations};
pub use models::*;
pub use pool::{DbConn, DbPool, create_pool};
pub use snapshot::ProductSnapshot;

pub use diesel_async::AsyncPgConnection;
