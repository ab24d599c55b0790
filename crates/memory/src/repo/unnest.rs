//! Multi-row INSERTs that bind one array per column and unnest them in
//! PostgreSQL: `INSERT INTO t (a, b) SELECT * FROM unnest($1, $2)`.
//!
//! diesel's multi-row `insert_into(..).values(&rows)` binds every value of
//! every row on its own (a batch of twenty leads' logs is hundreds of
//! parameters, each serialized into its own buffer) and writes a new SQL
//! text, with a prepared statement of its own, for every batch size. Here a
//! batch of any size is one bind per column and one statement, prepared
//! once per connection (the query has a static id).

/// Declares `$name<'a>`, the INSERT of a slice of `$row` into `$table`:
/// each `column: SqlType => RustType = |row| value` names a column of the
/// table, the SQL type of its values, and how a row gives its value.
/// `$suffix` follows the SELECT (e.g. an ON CONFLICT clause).
macro_rules! unnest_insert {
    (
        $(#[$meta:meta])*
        $name:ident<$row:ty> into $table:literal $(, $suffix:literal)? {
            $($column:ident: $sql:ty => $rust:ty = |$r:ident| $value:expr),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        pub(crate) struct $name<'a> {
            $($column: Vec<$rust>,)+
            rows: std::marker::PhantomData<&'a $row>,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(rows: &'a [$row]) -> Self {
                Self {
                    $($column: rows.iter().map(|$r| -> $rust { $value }).collect(),)+
                    rows: std::marker::PhantomData,
                }
            }
        }

        impl diesel::query_builder::QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name<'_> {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql(concat!("INSERT INTO ", $table, " ("));
                for (i, column) in [$(stringify!($column)),+].into_iter().enumerate() {
                    if i > 0 {
                        out.push_sql(", ");
                    }
                    out.push_sql(column);
                }
                out.push_sql(") SELECT * FROM unnest(");
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<diesel::sql_types::Array<$sql>, _>(&self.$column)?;
                )+
                out.push_sql(")");
                $(out.push_sql(concat!(" ", $suffix));)?
                Ok(())
            }
        }
    };
}

pub(crate) use unnest_insert;
