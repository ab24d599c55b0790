//! GET /metrics: the caller's own numbers, never another tenant's.

use crate::access::{self, Gate};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use memory::repo::metrics::{Counters, TenantCounts};
use memory::{MemoryError, repo};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The median speed-to-lead is the one figure that reads many rows (the
/// middle of an index). A lead's first action is recorded once and never
/// changes, so while a tenant's count and sum of speeds stay the same its
/// median does too: it is remembered under that pair and recomputed, exact,
/// as soon as either moves.
#[derive(Clone, Default)]
pub struct MedianCache(Arc<Mutex<HashMap<Uuid, Remembered>>>);

/// (contacted leads, sum of their speeds) and the median they had.
type Remembered = ((i64, i64), Option<f64>);

/// Bounds the memory of a gateway serving very many tenants.
const MEDIAN_CACHE_TENANTS: usize = 10_000;

impl MedianCache {
    fn key(c: &Counters) -> (i64, i64) {
        (c.contacted_leads, c.speed_to_lead_ms_sum)
    }

    pub fn get(&self, tenant: Uuid, c: &Counters) -> Option<Option<f64>> {
        let map = self.0.lock().expect("median cache lock");
        map.get(&tenant)
            .filter(|(k, _)| *k == Self::key(c))
            .map(|(_, m)| *m)
    }

    pub fn put(&self, tenant: Uuid, c: &Counters, median: Option<f64>) {
        let mut map = self.0.lock().expect("median cache lock");
        if map.len() >= MEDIAN_CACHE_TENANTS && !map.contains_key(&tenant) {
            map.clear();
        }
        map.insert(tenant, (Self::key(c), median));
    }
}

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
    let counters = repo::metrics::counters(&mut conn, tenant.id).await?;
    let median = match state.medians.get(tenant.id, &counters) {
        Some(m) => m,
        None => {
            let m = repo::metrics::median_speed_to_lead_ms(
                &mut conn,
                tenant.id,
                counters.contacted_leads,
            )
            .await?;
            state.medians.put(tenant.id, &counters, m);
            m
        }
    };
    let mut body = pipeline(&TenantCounts {
        counters,
        median_speed_to_lead_ms: median,
    });
    body.insert(
        "subscriptionStatus".into(),
        tenant.subscription_status.into(),
    );
    body.insert("activationMode".into(), state.payment_mode.as_str().into());
    body.insert("product".into(), tenant.product.into());
    Ok(Value::Object(body))
}
