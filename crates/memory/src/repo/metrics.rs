//! Tenant metrics (GET /metrics) and per-product experiment statistics.
//! Counts come from `tenant_metrics` plus the tenant's not yet folded
//! `tenant_metric_deltas`, which triggers write in the same transaction as
//! the rows they count: exact the moment the worker commits, and as cheap
//! for a million leads as for ten. The median speed-to-lead reads the
//! middle of an index.

use crate::MemoryError;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Default, QueryableByName)]
pub struct Counters {
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    #[diesel(sql_type = BigInt)]
    pub qualified_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub disqualified_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub converted_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub score_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub scored_leads: i64,
    /// Leads that got a first real action (an email or a meeting).
    #[diesel(sql_type = BigInt)]
    pub contacted_leads: i64,
    /// Sum over contacted leads of the time to the first action.
    #[diesel(sql_type = BigInt)]
    pub speed_to_lead_ms_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub replied_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub total_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub active_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub completed_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub escalated_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub emails_sent: i64,
    #[diesel(sql_type = BigInt)]
    pub followups_sent: i64,
    #[diesel(sql_type = BigInt)]
    pub meetings_booked: i64,
    #[diesel(sql_type = BigInt)]
    pub webhooks_fired: i64,
}

/// The counters and the median time from lead to first action.
#[derive(Debug, Clone)]
pub struct TenantCounts {
    pub counters: Counters,
    pub median_speed_to_lead_ms: Option<f64>,
}

const COLUMNS: &str = "leads, qualified_leads, disqualified_leads, converted_leads, score_sum, \
    scored_leads, contacted_leads, speed_to_lead_ms_sum, replied_workflows, total_workflows, active_workflows, \
    completed_workflows, escalated_workflows, emails_sent, followups_sent, meetings_booked, \
    webhooks_fired";

fn sums() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("coalesce(sum({c}), 0)::bigint AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = Nullable<Double>)]
    ms: Option<f64>,
}

/// The tenant's counters.
pub async fn counters(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<Counters, MemoryError> {
    Ok(diesel::sql_query(format!(
        "SELECT {} FROM (SELECT {COLUMNS} FROM tenant_metrics WHERE tenant_id = $1 \
         UNION ALL SELECT {COLUMNS} FROM tenant_metric_deltas WHERE tenant_id = $1) c",
        sums()
    ))
    .bind::<SqlUuid, _>(tenant_id)
    .get_result(conn)
    .await?)
}

/// The median time from lead to first action over the tenant's
/// `contacted` leads (the count from its counters): the middle value of
/// an index, or the mean of the two middle ones.
pub async fn median_speed_to_lead_ms(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    contacted: i64,
) -> Result<Option<f64>, MemoryError> {
    if contacted == 0 {
        return Ok(None);
    }
    let m: Median = diesel::sql_query(
        "SELECT (avg(extract(epoch FROM s)) * 1000)::float8 AS ms FROM (
            SELECT first_action_at - created_at AS s FROM leads
            WHERE tenant_id = $1 AND first_action_at IS NOT NULL
            ORDER BY first_action_at - created_at OFFSET $2 LIMIT $3) middle",
    )
    .bind::<SqlUuid, _>(tenant_id)
    .bind::<BigInt, _>((contacted - 1) / 2)
    .bind::<BigInt, _>(2 - contacted % 2)
    .get_result(conn)
    .await?;
    Ok(m.ms)
}

pub async fn for_tenant(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<TenantCounts, MemoryError> {
    let counters = counters(conn, tenant_id).await?;
    let median = median_speed_to_lead_ms(conn, tenant_id, counters.contacted_leads).await?;
    Ok(TenantCounts {
        counters,
        median_speed_to_lead_ms: median,
    })
}

/// The same figures over every tenant of a product (operators' view).
pub async fn for_product(
    conn: &mut AsyncPgConnection,
    product: &str,
) -> Result<TenantCounts, MemoryError> {
    let counters: Counters = diesel::sql_query(format!(
        "SELECT {} FROM (SELECT {COLUMNS}, tenant_id FROM tenant_metrics \
         UNION ALL SELECT {COLUMNS}, tenant_id FROM tenant_metric_deltas) c \
         JOIN tenants t ON t.id = c.tenant_id WHERE t.product = $1",
        sums()
    ))
    .bind::<Text, _>(product)
    .get_result(conn)
    .await?;
    let m: Median = diesel::sql_query(
        "SELECT (percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM l.first_action_at - l.created_at)) * 1000)::float8 AS ms
         FROM leads l JOIN tenants t ON t.id = l.tenant_id
         WHERE t.product = $1 AND l.first_action_at IS NOT NULL",
    )
    .bind::<Text, _>(product)
    .get_result(conn)
    .await?;
    Ok(TenantCounts {
        counters,
        median_speed_to_lead_ms: m.ms,
    })
}

/// Folds up to `limit` deltas into `tenant_metrics`, in one statement: a
/// reader sees them either as deltas or as counters, never both and never
/// neither. Deltas of transactions still open are left for the next fold.
/// Returns how many were folded.
pub async fn fold_deltas(conn: &mut AsyncPgConnection, limit: i64) -> Result<usize, MemoryError> {
    let set = COLUMNS
        .split(", ")
        .map(|c| format!("{c} = tenant_metrics.{c} + EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    #[derive(QueryableByName)]
    struct Folded {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let folded: Folded = diesel::sql_query(format!(
        "WITH moved AS (
            DELETE FROM tenant_metric_deltas WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM tenant_metric_deltas LIMIT $1 FOR UPDATE SKIP LOCKED))
            RETURNING *),
         applied AS (
            INSERT INTO tenant_metrics (tenant_id, {COLUMNS})
            SELECT tenant_id, {} FROM moved GROUP BY tenant_id
            ON CONFLICT (tenant_id) DO UPDATE SET {set}
            RETURNING 1)
         SELECT count(*) AS n FROM moved",
        sums()
    ))
    .bind::<BigInt, _>(limit)
    .get_result(conn)
    .await?;
    Ok(folded.n as usize)
}

/// Subscription figures of a product's tenants.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProductTenants {
    #[diesel(sql_type = BigInt)]
    pub total_tenants: i64,
    #[diesel(sql_type = BigInt)]
    pub active_tenants: i64,
    #[diesel(sql_type = BigInt)]
    pub pending_tenants: i64,
    #[diesel(sql_type = BigInt)]
    pub canceled_tenants: i64,
    /// Tenants that ever paid: active, trialing, past due or canceled.
    #[diesel(sql_type = BigInt)]
    pub ever_paid_tenants: i64,
    #[diesel(sql_type = BigInt)]
    pub mrr_cents: i64,
}

pub async fn tenants_of_product(
    conn: &mut AsyncPgConnection,
    product: &str,
) -> Result<ProductTenants, MemoryError> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS total_tenants,
            count(*) FILTER (WHERE subscription_status IN ('active', 'trialing')) AS active_tenants,
            count(*) FILTER (WHERE subscription_status = 'pending') AS pending_tenants,
            count(*) FILTER (WHERE subscription_status = 'canceled') AS canceled_tenants,
            count(*) FILTER (WHERE subscription_status IN ('active', 'trialing', 'past_due', 'canceled', 'unpaid'))
                AS ever_paid_tenants,
            coalesce(sum(price_amount_cents) FILTER (WHERE subscription_status = 'active'), 0)::bigint
                AS mrr_cents
         FROM tenants WHERE product = $1",
    )
    .bind::<Text, _>(product)
    .get_result(conn)
    .await?)
}
