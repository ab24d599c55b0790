//! Tenant metrics (GET /metrics) and per-product experiment statistics:
//! a few aggregates, each over one tenant's rows through a tenant-leading
//! index, so the answer is exact the moment the worker commits.

use crate::MemoryError;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, QueryableByName)]
pub struct TenantCounts {
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    #[diesel(sql_type = BigInt)]
    pub qualified_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub disqualified_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub converted_leads: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub avg_score: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub median_speed_to_lead_ms: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub meetings_booked: i64,
    #[diesel(sql_type = BigInt)]
    pub emails_sent: i64,
    #[diesel(sql_type = BigInt)]
    pub followups_sent: i64,
    #[diesel(sql_type = BigInt)]
    pub contacted_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub replied_leads: i64,
    #[diesel(sql_type = BigInt)]
    pub webhooks_fired: i64,
    #[diesel(sql_type = BigInt)]
    pub total_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub active_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub completed_workflows: i64,
    #[diesel(sql_type = BigInt)]
    pub escalated_leads: i64,
}

/// The aggregates of one tenant, or of every tenant of a product (experiment
/// statistics) when `tenant` is None and `product` is set.
const COUNTS: &str = "
WITH scope AS (
    SELECT id FROM tenants
    WHERE ($1::uuid IS NOT NULL AND id = $1) OR ($1::uuid IS NULL AND product = $2)
),
l AS (
    SELECT count(*) AS leads,
        count(*) FILTER (WHERE score IS NOT NULL AND status <> 'unqualified') AS qualified_leads,
        count(*) FILTER (WHERE status = 'unqualified') AS disqualified_leads,
        count(*) FILTER (WHERE status = 'converted') AS converted_leads,
        avg(score)::float8 AS avg_score,
        (percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM first_action_at - created_at) * 1000))::float8
            AS median_speed_to_lead_ms
    FROM leads WHERE tenant_id IN (SELECT id FROM scope)
),
m AS (
    SELECT count(*) FILTER (WHERE direction = 'outbound' AND channel = 'email'
                AND kind IN ('marketing', 'transactional') AND status IN ('sent', 'stored')) AS emails_sent,
        count(*) FILTER (WHERE direction = 'outbound' AND kind = 'marketing'
                AND status IN ('sent', 'stored')) AS followups_sent,
        count(DISTINCT lead_id) FILTER (WHERE direction = 'outbound'
                AND kind IN ('marketing', 'transactional') AND status IN ('sent', 'stored')) AS contacted_leads,
        count(DISTINCT lead_id) FILTER (WHERE direction = 'inbound') AS replied_leads
    FROM messages WHERE tenant_id IN (SELECT id FROM scope)
),
w AS (
    SELECT count(*) AS total_workflows,
        count(*) FILTER (WHERE current_state NOT IN ('escalated', 'completed', 'failed')) AS active_workflows,
        count(*) FILTER (WHERE current_state = 'completed') AS completed_workflows,
        count(DISTINCT lead_id) FILTER (WHERE current_state = 'escalated') AS escalated_leads
    FROM workflows WHERE tenant_id IN (SELECT id FROM scope)
)
SELECT l.*, m.*, w.*,
    (SELECT count(*) FROM meetings
        WHERE tenant_id IN (SELECT id FROM scope) AND status <> 'cancelled') AS meetings_booked,
    (SELECT count(*) FROM action_logs
        WHERE tenant_id IN (SELECT id FROM scope) AND action_type = 'webhook' AND success) AS webhooks_fired
FROM l, m, w";

pub async fn for_tenant(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<TenantCounts, MemoryError> {
    Ok(diesel::sql_query(COUNTS)
        .bind::<Nullable<SqlUuid>, _>(Some(tenant_id))
        .bind::<Text, _>("")
        .get_result(conn)
        .await?)
}

pub async fn for_product(
    conn: &mut AsyncPgConnection,
    product: &str,
) -> Result<TenantCounts, MemoryError> {
    Ok(diesel::sql_query(COUNTS)
        .bind::<Nullable<SqlUuid>, _>(None::<Uuid>)
        .bind::<Text, _>(product)
        .get_result(conn)
        .await?)
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
