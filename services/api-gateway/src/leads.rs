//! Lead use cases behind the HTTP handlers.

use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use core_engine::PaymentMode;
use diesel_async::AsyncConnection;
use memory::{Lead, MemoryError, repo};
use orchestrator::{AcceptedLead, accept_lead};
use serde_json::{Value, json};
use shared_types::{LeadProfile, LeadStatus};
use uuid::Uuid;

/// Subscription states that may use the product. Manual mode lets pending
/// tenants in until an admin activates them.
fn may_use_product(production: bool, mode: PaymentMode, status: &str) -> bool {
    !production
        || matches!(status, "active" | "trialing")
        || (status == "pending" && mode == PaymentMode::Manual)
}

/// Stores the lead, its workflow and its `lead_created` event in one
/// transaction, then publishes the event at once. If Redis is down the
/// event waits in the outbox; the caller still gets its 201.
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id, lead.id))]
pub async fn create(
    state: &AppState,
    auth: &Auth,
    profile: LeadProfile,
) -> Result<AcceptedLead, ApiError> {
    let (tenant_id, product) = (auth.tenant_id, auth.product);
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let (production, mode) = (state.production, state.payment_mode);
    let accepted = conn
        .transaction(async move |conn| {
            // A valid token for a tenant that no longer exists, or for
            // another product, is not a credential for this one.
            let tenant = match repo::tenants::find(conn, tenant_id).await {
                Err(MemoryError::NotFound) => return Err(ApiError::Unauthorized),
                other => other?,
            };
            if tenant.product != product.as_str() {
                return Err(ApiError::Unauthorized);
            }
            if !may_use_product(production, mode, &tenant.subscription_status) {
                return Err(ApiError::SubscriptionRequired);
            }
            Ok::<_, ApiError>(accept_lead(conn, &tenant, profile, traceparent).await?)
        })
        .await?;
    drop(conn);
    tracing::Span::current().record("lead.id", tracing::field::display(accepted.lead.id));
    if let Err(e) = state
        .relay
        .publish_now(std::slice::from_ref(&accepted.event))
        .await
    {
        tracing::warn!(error = %e, "lead_created stays in the outbox until Redis is back");
    }
    Ok(accepted)
}

pub struct Page {
    pub leads: Vec<Lead>,
    pub next_cursor: Option<String>,
}

/// Query parameters as received; each is checked with a clear error.
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

pub async fn list(state: &AppState, tenant_id: Uuid, q: ListQuery) -> Result<Page, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<LeadStatus>()
                .map_err(|_| ApiError::field("status", "is not a lead status"))?,
        ),
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 200"))?,
    };
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| ApiError::field("cursor", "is not a cursor from this API"))?,
        ),
    };
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let mut leads = repo::leads::list(
        &mut conn,
        tenant_id,
        status.map(LeadStatus::as_str),
        after,
        limit + 1,
    )
    .await?;
    let next_cursor = if leads.len() as i64 > limit {
        leads.truncate(limit as usize);
        leads.last().map(|l| encode_cursor(l.created_at, l.id))
    } else {
        None
    };
    Ok(Page { leads, next_cursor })
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.timestamp_micros()))
}

fn decode_cursor(c: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
    let (micros, id) = raw.split_once('|')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

/// The lead with its meetings, messages and workflows (each with its agent
/// decisions and transitions), as API.md's GET /api/leads/{id}.
pub async fn detail(state: &AppState, tenant_id: Uuid, id: Uuid) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let lead = repo::leads::find(&mut conn, tenant_id, id).await?;
    let meetings = repo::meetings::for_lead(&mut conn, tenant_id, id).await?;
    let messages = repo::messages::for_lead(&mut conn, tenant_id, id).await?;
    let workflows = repo::workflows::for_lead(&mut conn, tenant_id, id).await?;
    let ids: Vec<Uuid> = workflows.iter().map(|w| w.id).collect();
    let logs = repo::logs::agent_logs_for(&mut conn, tenant_id, &ids).await?;
    let transitions = repo::workflows::transitions_for(&mut conn, tenant_id, &ids).await?;
    let workflows: Vec<Value> = workflows
        .into_iter()
        .map(|w| {
            let mut v = json!(w);
            v["agentLogs"] = json!(
                logs.iter()
                    .filter(|l| l.workflow_id == w.id)
                    .collect::<Vec<_>>()
            );
            v["transitions"] = json!(
                transitions
                    .iter()
                    .filter(|t| t.workflow_id == w.id)
                    .collect::<Vec<_>>()
            );
            v
        })
        .collect();
    let mut body = json!(lead);
    body["meetings"] = json!(meetings);
    body["messages"] = json!(messages);
    body["workflows"] = json!(workflows);
    Ok(json!({ "lead": body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(decode_cursor(&encode_cursor(at, id)), Some((at, id)));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}
