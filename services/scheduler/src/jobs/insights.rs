//! `insights`: per-tenant pattern insights by UTC day.
//!
//! Periods are UTC days ([00:00, 24:00) UTC), whatever the tenant's time
//! zone: one calendar for every tenant keeps the sums of experiment stats
//! simple. Rates are per cohort: the leads that arrived that day, and what
//! became of them since. Objections count the replies received that day.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use core_engine::Infra;
use memory::repo::insights::{LeadCohort, NewInsight, ObjectionCount};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Days each run recomputes, today (UTC) included: a day's leads keep
/// replying and converting after that day, so each run refreshes the week.
pub const INSIGHT_WINDOW_DAYS: i64 = 7;

/// Rows per INSERT (well under PostgreSQL's bind-parameter limit).
const UPSERT_CHUNK: usize = 1000;

/// Upserts, for every tenant and each UTC day of the window ending with
/// the day of `now`: `response_rate` (replied / contacted leads),
/// `conversion_stat` (converted / leads) and `objection_frequency`
/// (replies per objection category of `rules_engine::OBJECTIONS`). A rerun
/// replaces the rows (UNIQUE tenant, type, period start), never duplicates
/// them. Returns how many rows were written.
#[tracing::instrument(skip_all)]
pub async fn insights(infra: &Infra, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let today = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let from = today - Duration::days(INSIGHT_WINDOW_DAYS - 1);
    let to = today + Duration::days(1);
    let mut conn = infra.pool.get().await.context("database connection")?;
    let cohorts = memory::repo::insights::lead_cohorts(&mut conn, from, to)
        .await
        .context("reading lead cohorts")?;
    let categories: Vec<(&str, &[&str])> = rules_engine::OBJECTIONS
        .iter()
        .map(|o| (o.category, o.keywords))
        .collect();
    let objections = memory::repo::insights::reply_objections(&mut conn, from, to, &categories)
        .await
        .context("reading reply objections")?;
    let mut rows: Vec<NewInsight> = cohorts.iter().flat_map(cohort_rows).collect();
    rows.extend(objection_rows(&objections));
    let mut written = 0;
    for chunk in rows.chunks(UPSERT_CHUNK) {
        written += memory::repo::insights::upsert(&mut conn, chunk)
            .await
            .context("upserting pattern insights")?;
    }
    Ok(written)
}

/// A fraction with four decimals; 0 when there is nothing to divide by
/// (as the gateway's metrics round theirs).
fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

fn row(
    tenant_id: Uuid,
    product: &str,
    insight_type: &str,
    day: DateTime<Utc>,
    data: Value,
) -> NewInsight {
    NewInsight {
        id: Uuid::new_v4(),
        tenant_id,
        product: product.to_owned(),
        insight_type: insight_type.to_owned(),
        data,
        period_start: day,
        period_end: day + Duration::days(1),
    }
}

fn cohort_rows(c: &LeadCohort) -> [NewInsight; 2] {
    [
        row(
            c.tenant_id,
            &c.product,
            "response_rate",
            c.day,
            json!({"contacted": c.contacted, "replied": c.replied, "rate": ratio(c.replied, c.contacted)}),
        ),
        row(
            c.tenant_id,
            &c.product,
            "conversion_stat",
            c.day,
            json!({"leads": c.leads, "converted": c.converted, "rate": ratio(c.converted, c.leads)}),
        ),
    ]
}

/// One `objection_frequency` row per tenant and day: `replies` and a count
/// per category.
fn objection_rows(counts: &[ObjectionCount]) -> Vec<NewInsight> {
    /// (tenant, day) -> (product, data).
    type ByDay<'a> = BTreeMap<(Uuid, DateTime<Utc>), (&'a str, Map<String, Value>)>;
    let mut by_day = ByDay::new();
    for c in counts {
        let (_, data) = by_day
            .entry((c.tenant_id, c.day))
            .or_insert_with(|| (c.product.as_str(), Map::new()));
        data.insert("replies".into(), c.replies.into());
        data.insert(c.category.clone(), c.mentions.into());
    }
    by_day
        .into_iter()
        .map(|((tenant, day), (product, data))| {
            row(
                tenant,
                product,
                "objection_frequency",
                day,
                Value::Object(data),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_to_four_decimals_and_nothing_divides_to_zero() {
        assert_eq!(ratio(2, 3), 0.6667);
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(3, 3), 1.0);
    }
}
