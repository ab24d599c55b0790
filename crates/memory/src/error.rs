use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(DieselError),
}

impl MemoryError {
    /// True when the failing statement hit the meetings exclusion constraint.
    pub fn is_overlap(&self) -> bool {
        matches!(self, MemoryError::Conflict(c) if c.contains("meetings_tenant_id_tstzrange_excl"))
    }
}

impl From<DieselError> for MemoryError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => MemoryError::NotFound,
            DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ExclusionViolation,
                info,
            ) => MemoryError::Conflict(info.constraint_name().unwrap_or(info.message()).to_owned()),
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                MemoryError::Unavailable(info.message().to_owned())
            }
            other => MemoryError::Database(other),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for MemoryError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        MemoryError::Unavailable(e.to_string())
    }
}
