//! A workflow's product configuration, as the lead's product had it when
//! the lead came in. Written from JSON text serialized once per product
//! (`JsonText`) and read straight from the jsonb bytes into `ProductConfig`:
//! neither the gateway nor a worker step builds a JSON tree for it.

use crate::json_text::jsonb_bytes;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Jsonb;
use shared_types::ProductConfig;
use std::sync::Arc;

/// The configuration stored with a workflow. A row whose JSON no longer
/// fits `ProductConfig` still loads, with the error, so that only its own
/// step fails and not the batch it was read with.
#[derive(Debug, Clone, FromSqlRow)]
pub struct ProductSnapshot(Result<Arc<ProductConfig>, String>);

impl ProductSnapshot {
    pub fn config(&self) -> Result<&Arc<ProductConfig>, &str> {
        self.0.as_ref().map_err(String::as_str)
    }
}

impl FromSql<Jsonb, Pg> for ProductSnapshot {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(
            serde_json::from_slice(jsonb_bytes(value)?)
                .map(Arc::new)
                .map_err(|e| e.to_string()),
        ))
    }
}
