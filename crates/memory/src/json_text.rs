//! JSON already serialized, written to a jsonb column as it is: a value
//! serialized once and written many times (a product's configuration), or
//! written once (an event's envelope, a log's input), needs no
//! `serde_json::Value` tree. Read back, it stays text until it is served.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Jsonb;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::io::Write;

/// jsonb's binary format: this version byte, then the JSON text.
const JSONB_VERSION: u8 = 1;

/// The JSON text of a jsonb value as PostgreSQL sends it.
pub(crate) fn jsonb_bytes(value: PgValue<'_>) -> deserialize::Result<&[u8]> {
    match value.as_bytes().split_first() {
        Some((&JSONB_VERSION, json)) => Ok(json),
        _ => Err("unsupported jsonb encoding version".into()),
    }
}

/// JSON text written to a jsonb column as it is (PostgreSQL checks it).
#[derive(Debug, Clone, PartialEq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Jsonb)]
pub struct JsonText(pub Cow<'static, str>);

impl ToSql<Jsonb, Pg> for JsonText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(&[JSONB_VERSION])?;
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Jsonb, Pg> for JsonText {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(
            String::from_utf8(jsonb_bytes(value)?.to_vec())?.into(),
        ))
    }
}

/// Served as the JSON value it holds (parsed here, on the read path only).
impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<serde_json::Value>(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_served_as_the_value_it_holds_not_as_a_string() {
        let text = JsonText(r#"{"lead":{"hasPhone":true},"score":86}"#.into());
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            serde_json::json!({"lead": {"hasPhone": true}, "score": 86})
        );
    }
}
