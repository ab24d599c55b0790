//! Pattern insights: per-tenant aggregates by UTC day, upserted on
//! (tenant, insight type, period start) so a rerun replaces a day's row and
//! never adds a second one.

use crate::MemoryError;
use crate::schema::pattern_insights;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The start of the UTC day a timestamp falls in, in SQL.
const UTC_DAY: &str = "date_trunc('day', {col} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

/// A tenant's leads that arrived on one UTC day, and what became of them.
#[derive(Debug, Clone, QueryableByName)]
pub struct LeadCohort {
    #[diesel(sql_type = SqlUuid)]
    pub tenant_id: Uuid,
    #[diesel(sql_type = Text)]
    pub product: String,
    #[diesel(sql_type = Timestamptz)]
    pub day: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    /// Leads that got a first real action (an email or a meeting).
    #[diesel(sql_type = BigInt)]
    pub contacted: i64,
    /// Contacted leads that answered (a workflow of theirs has `replied_at`).
    #[diesel(sql_type = BigInt)]
    pub replied: i64,
    #[diesel(sql_type = BigInt)]
    pub converted: i64,
}

/// Per tenant and UTC day of arrival in [`from`, `to`): the lead cohorts.
/// One query; each tenant's leads are read through `leads_tenant_created_idx`.
pub async fn lead_cohorts(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<LeadCohort>, MemoryError> {
    let sql = format!(
        "SELECT t.id AS tenant_id, t.product, s.day, s.leads, s.contacted, s.replied, s.converted \
         FROM tenants t CROSS JOIN LATERAL ( \
           SELECT {day} AS day, count(*) AS leads, \
             count(*) FILTER (WHERE l.first_action_at IS NOT NULL) AS contacted, \
             count(*) FILTER (WHERE l.first_action_at IS NOT NULL AND EXISTS ( \
               SELECT 1 FROM workflows w WHERE w.tenant_id = l.tenant_id AND w.lead_id = l.id \
                 AND w.replied_at IS NOT NULL)) AS replied, \
             count(*) FILTER (WHERE l.status = 'converted') AS converted \
           FROM leads l \
           WHERE l.tenant_id = t.id AND l.created_at >= $1 AND l.created_at < $2 \
           GROUP BY 1) s \
         ORDER BY t.id, s.day",
        day = UTC_DAY.replace("{col}", "l.created_at"),
    );
    Ok(diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)
        .await?)
}

/// How many of a tenant's replies on one UTC day fall in one category.
#[derive(Debug, Clone, QueryableByName)]
pub struct ObjectionCount {
    #[diesel(sql_type = SqlUuid)]
    pub tenant_id: Uuid,
    #[diesel(sql_type = Text)]
    pub product: String,
    #[diesel(sql_type = Timestamptz)]
    pub day: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub category: String,
    /// Every reply of the tenant that day (the same on each category's row).
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
    /// The replies mentioning one of the category's keywords.
    #[diesel(sql_type = BigInt)]
    pub mentions: i64,
}

/// Per tenant, UTC day and category: the leads' replies received in
/// [`from`, `to`) that mention any of the category's keywords, matched
/// case-insensitively at the start of a word ("cost" finds "Costs", not
/// "accost"). Automatic answers (out of office) are not replies.
pub async fn reply_objections(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    categories: &[(&str, &[&str])],
) -> Result<Vec<ObjectionCount>, MemoryError> {
    let names: Vec<String> = categories.iter().map(|(n, _)| (*n).to_owned()).collect();
    let patterns: Vec<String> = categories.iter().map(|(_, k)| keyword_pattern(k)).collect();
    let sql = format!(
        "SELECT m.tenant_id, t.product, {day} AS day, c.name AS category, \
           count(*) AS replies, count(*) FILTER (WHERE m.content ~* c.pattern) AS mentions \
         FROM messages m \
         JOIN tenants t ON t.id = m.tenant_id \
         CROSS JOIN unnest($3::text[], $4::text[]) AS c(name, pattern) \
         WHERE m.direction = 'inbound' AND m.kind = 'reply' AND m.status <> 'auto_reply' \
           AND m.created_at >= $1 AND m.created_at < $2 \
         GROUP BY 1, 2, 3, 4 \
         ORDER BY 1, 3, 4",
        day = UTC_DAY.replace("{col}", "m.created_at"),
    );
    Ok(diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Text>, _>(patterns)
        .load(conn)
        .await?)
}

/// A PostgreSQL regular expression matching any keyword at a word start;
/// spaces inside a keyword match any run of white space.
fn keyword_pattern(keywords: &[&str]) -> String {
    let alternatives: Vec<String> = keywords
        .iter()
        .map(|k| {
            k.split_whitespace()
                .map(escape_regex)
                .collect::<Vec<_>>()
                .join("\\s+")
        })
        .collect();
    format!("\\m(?:{})", alternatives.join("|"))
}

fn escape_regex(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pattern_insights)]
pub struct NewInsight {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product: String,
    pub insight_type: String,
    pub data: serde_json::Value,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// Inserts the rows, replacing the data of any row with the same tenant,
/// type and period start. Returns how many rows were written.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    rows: &[NewInsight],
) -> Result<usize, MemoryError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(diesel::insert_into(pattern_insights::table)
        .values(rows)
        .on_conflict((
            pattern_insights::tenant_id,
            pattern_insights::insight_type,
            pattern_insights::period_start,
        ))
        .do_update()
        .set((
            pattern_insights::product.eq(excluded(pattern_insights::product)),
            pattern_insights::data.eq(excluded(pattern_insights::data)),
            pattern_insights::period_end.eq(excluded(pattern_insights::period_end)),
        ))
        .execute(conn)
        .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Total {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// The numbers of one insight type summed over every tenant of a product
/// and every period, per key of the rows' data (non-numeric values skipped).
pub async fn totals(
    conn: &mut AsyncPgConnection,
    product: &str,
    insight_type: &str,
) -> Result<Vec<Total>, MemoryError> {
    Ok(diesel::sql_query(
        "SELECT d.key, sum(d.value::numeric)::bigint AS total \
         FROM pattern_insights p, jsonb_each(p.data) d \
         WHERE p.insight_type = $1 AND p.product = $2 AND jsonb_typeof(d.value) = 'number' \
         GROUP BY d.key ORDER BY d.key",
    )
    .bind::<Text, _>(insight_type)
    .bind::<Text, _>(product)
    .load(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_one_escaped_word_start_pattern() {
        assert_eq!(
            keyword_pattern(&["price", "already using", "a.b"]),
            "\\m(?:price|already\\s+using|a\\.b)"
        );
    }
}
