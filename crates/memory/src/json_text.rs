//! JSON already serialized, written to a jsonb column as it is: a value
//! serialized once and written many times (a product's configuration), or
//! written once (an event's envelope), needs no `serde_json::Value` tree.

use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Jsonb;
use std::borrow::Cow;
use std::io::Write;

/// jsonb's binary format: this version byte, then the JSON text.
pub(crate) const JSONB_VERSION: u8 = 1;

/// JSON text written to a jsonb column as it is (PostgreSQL checks it).
#[derive(Debug, Clone, AsExpression)]
#[diesel(sql_type = Jsonb)]
pub struct JsonText(pub Cow<'static, str>);

impl ToSql<Jsonb, Pg> for JsonText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(&[JSONB_VERSION])?;
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}
