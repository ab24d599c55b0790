//! GET /metrics: the caller's own numbers, never another tenant's.

use crate::access::{self, Gate};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use memory::repo::metrics::TenantCounts;
use memory::{MemoryError, repo};
use serde_json::{Value, json};

/// Ratios as fractions with four decimals; 0 when nothing to divide by.
pub fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

/// The pipeline numbers shared by tenant metrics and experiment stats.
pub fn pipeline(t: &TenantCounts) -> serde_json::Map<String, Value> {
    let c = &t.counters;
    let avg = (c.scored_leads > 0)
        .then(|| (c.score_sum as f64 / c.scored_leads as f64 * 10.0).round() / 10.0);
    let v = json!({
        "leads": c.leads,
        "qualifiedLeads": c.qualified_leads,
        "disqualifiedLeads": c.disqualified_leads,
        "avgScore": avg,
        "meetingsBooked": c.meetings_booked,
        "emailsSent": c.emails_sent,
        "followupsSent": c.followups_sent,
        "webhooksFired": c.webhooks_fired,
        "replyRate": ratio(c.replied_workflows, c.contacted_leads),
        "conversionRate": ratio(c.converted_leads, c.leads),
        "totalWorkflows": c.total_workflows,
        "activeWorkflows": c.active_workflows,
        "completedWorkflows": c.completed_workflows,
        "escalatedLeads": c.escalated_workflows,
        "medianSpeedToLeadMs": t.median_speed_to_lead_ms.map(|m| m.round() as i64),
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id))]
pub async fn for_caller(state: &AppState, auth: &Auth) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(
        &mut conn,
        state,
        auth.tenant_id,
        auth.product,
        Gate::Subscribed,
    )
    .await?;
    let counts = repo::metrics::for_tenant(&mut conn, tenant.id).await?;
    let mut body = pipeline(&counts);
    body.insert(
        "subscriptionStatus".into(),
        tenant.subscription_status.into(),
    );
    body.insert("activationMode".into(), state.payment_mode.as_str().into());
    body.insert("product".into(), tenant.product.into());
    Ok(Value::Object(body))
}
