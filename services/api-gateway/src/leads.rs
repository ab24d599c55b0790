//! Lead use cases behind the HTTP handlers.

use crate::access::{self, Gate};
use crate::auth::{Auth, LeadSubmitter};
use crate::enrichment;
use crate::error::ApiError;
use crate::intake_queue::Submission;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use memory::{Lead, MemoryError, Message, Workflow, repo};
use orchestrator::{
    AcceptedLead, Closure, InboundReply, accept_lead, close_lead, record_reply, requeue,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared_types::{DomainEvent, LeadProfile, LeadStatus};
use uuid::Uuid;

/// The answer to POST /api/leads: `{lead, workflowId}`, fresh or replayed
/// from an earlier request with the same Idempotency-Key.
pub struct Created {
    pub body: Value,
    pub replayed: bool,
}

/// Idempotency-Key values: printable ASCII, as Stripe and the IETF draft use.
fn check_idempotency_key(key: &str) -> Result<(), ApiError> {
    if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        ))
    }
}

fn request_hash(profile: &LeadProfile) -> String {
    let canonical = serde_json::to_vec(profile).expect("a profile serializes");
    hex::encode(Sha256::digest(canonical))
}

/// Stores the lead, its workflow and its `lead_created` event in one
/// transaction, then publishes the event at once. If Redis is down the
/// event waits in the outbox; the caller still gets its 201. Without an
/// Idempotency-Key the lead shares its transaction with the leads that
/// arrive with it (`intake_queue`); with one, a repeat within 24 hours gets
/// the first answer and creates nothing.
#[tracing::instrument(skip_all, fields(tenant.id = %by.tenant_id, lead.id))]
pub async fn create(
    state: &AppState,
    by: LeadSubmitter,
    profile: LeadProfile,
    idempotency_key: Option<String>,
) -> Result<Created, ApiError> {
    let linkedin = profile
        .metadata
        .get("linkedinUrl")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let accepted = match idempotency_key {
        None => {
            let lead = Submission {
                tenant_id: by.tenant_id,
                product: by.product,
                profile,
                traceparent: event_bus::current_traceparent(),
            };
            state.intake.submit(lead).await?
        }
        Some(key) => match create_once(state, by, profile, &key).await? {
            Ok(accepted) => accepted,
            Err(body) => {
                return Ok(Created {
                    body,
                    replayed: true,
                });
            }
        },
    };
    tracing::Span::current().record("lead.id", tracing::field::display(accepted.lead.id));
    if let Some(url) = linkedin {
        enrichment::spawn_linkedin(state, &accepted.lead, url);
    }
    Ok(Created {
        body: created_body(&accepted),
        replayed: false,
    })
}

fn created_body(accepted: &AcceptedLead) -> Value {
    json!({"lead": accepted.lead, "workflowId": accepted.workflow_id})
}

/// The Idempotency-Key path: the key is claimed in the lead's transaction.
/// `Err(body)` replays the first request's answer.
async fn create_once(
    state: &AppState,
    by: LeadSubmitter,
    profile: LeadProfile,
    key: &str,
) -> Result<Result<AcceptedLead, Value>, ApiError> {
    check_idempotency_key(key)?;
    let (tenant_id, product) = (by.tenant_id, by.product);
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let outcome = conn
        .transaction(async move |conn| {
            let tenant = access::tenant(conn, state, tenant_id, product, Gate::Subscribed).await?;
            let hash = request_hash(&profile);
            if let Some(earlier) = repo::idempotency::claim(conn, tenant.id, key, &hash).await? {
                if earlier.request_hash != hash {
                    return Err(ApiError::Conflict(
                        "this Idempotency-Key was used with a different request".into(),
                    ));
                }
                let body = earlier.response_body.ok_or_else(|| {
                    ApiError::Conflict("a request with this Idempotency-Key is in progress".into())
                })?;
                return Ok(Err(body));
            }
            let accepted = accept_lead(conn, &tenant, profile, traceparent).await?;
            repo::idempotency::record_response(conn, tenant.id, key, 201, &created_body(&accepted))
                .await?;
            Ok::<_, ApiError>(Ok(accepted))
        })
        .await?;
    drop(conn);
    if let Ok(accepted) = &outcome {
        publish(state, std::slice::from_ref(&accepted.event)).await;
    }
    Ok(outcome)
}

/// Publishes committed events at once; if Redis is down they wait in the
/// outbox for the relay's sweep, and the request still succeeds.
pub(crate) async fn publish(state: &AppState, events: &[DomainEvent]) {
    if let Err(e) = state.relay.publish_now(events).await {
        tracing::warn!(error = %e, "events stay in the outbox until Redis is back");
    }
}

/// The caller's lead, locked for the transaction; 404 for another
/// tenant's. Call inside a transaction.
async fn lead_for_update(
    conn: &mut memory::AsyncPgConnection,
    state: &AppState,
    auth: &Auth,
    id: Uuid,
) -> Result<Lead, ApiError> {
    let tenant =
        access::tenant(conn, state, auth.tenant_id, auth.product, Gate::Subscribed).await?;
    Ok(repo::leads::lock(conn, tenant.id, id).await?)
}

/// PATCH /api/leads/{id}: the tenant closes the lead as converted or lost;
/// its workflows complete and nothing more is sent.
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id, lead.id = %id))]
pub async fn close(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    status: Option<&str>,
) -> Result<Lead, ApiError> {
    let closure = match status {
        Some("converted") => Closure::Converted,
        Some("lost") => Closure::Lost,
        _ => return Err(ApiError::field("status", "must be converted or lost")),
    };
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let (lead, closed) = conn
        .transaction(async |conn| {
            let lead = lead_for_update(conn, state, auth, id).await?;
            let closed = close_lead(conn, lead.tenant_id, lead.id, closure, traceparent).await?;
            let lead = repo::leads::find(conn, lead.tenant_id, lead.id).await?;
            Ok::<_, ApiError>((lead, closed))
        })
        .await?;
    drop(conn);
    publish(state, &closed.events).await;
    Ok(lead)
}

/// POST /api/leads/{id}/process: runs the current step of the lead's
/// latest workflow again. 409 when nothing is waiting to run.
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id, lead.id = %id))]
pub async fn process(state: &AppState, auth: &Auth, id: Uuid) -> Result<Workflow, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let (wf, event) = conn
        .transaction(async |conn| {
            let lead = lead_for_update(conn, state, auth, id).await?;
            let wf = repo::workflows::for_lead(conn, lead.tenant_id, lead.id)
                .await?
                .pop()
                .ok_or(ApiError::NotFound)?;
            let event = requeue(conn, &wf, traceparent).await?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "the workflow is {} and has no step waiting to run",
                    wf.current_state
                ))
            })?;
            Ok::<_, ApiError>((wf, event))
        })
        .await?;
    drop(conn);
    publish(state, std::slice::from_ref(&event)).await;
    Ok(wf)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageInput {
    /// `inbound`: a reply from the lead.
    pub direction: Option<String>,
    /// `email` (default), `sms` or `note`.
    pub channel: Option<String>,
    pub content: Option<String>,
}

/// POST /api/leads/{id}/messages: records the lead's reply and stops its
/// follow-ups in the same transaction; an automatic answer (out of office)
/// is recorded with status `auto_reply` and pauses them instead
/// (`orchestrator::record_reply`, shared with Resend's inbound webhook).
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id, lead.id = %id))]
pub async fn add_reply(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    input: MessageInput,
) -> Result<Message, ApiError> {
    let mut problems = shared_types::ValidationErrors::new();
    if input.direction.as_deref() != Some("inbound") {
        problems.insert(
            "direction".into(),
            "must be inbound (a reply from the lead)".into(),
        );
    }
    let channel = input.channel.as_deref().unwrap_or("email");
    if !["email", "sms", "note"].contains(&channel) {
        problems.insert("channel".into(), "must be email, sms or note".into());
    }
    let content = input.content.as_deref().map(str::trim).unwrap_or_default();
    if content.is_empty() || content.chars().count() > 20_000 {
        problems.insert("content".into(), "must be 1 to 20000 characters".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::fields(problems));
    }
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let traceparent = event_bus::current_traceparent();
    let recorded = conn
        .transaction(async |conn| {
            let lead = lead_for_update(conn, state, auth, id).await?;
            let reply = InboundReply {
                channel: channel.into(),
                content: content.into(),
                ..Default::default()
            };
            Ok::<_, ApiError>(record_reply(conn, &lead, reply, Utc::now(), traceparent).await?)
        })
        .await?;
    drop(conn);
    publish(state, &recorded.events).await;
    Ok(recorded.message)
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

pub async fn list(state: &AppState, auth: &Auth, q: ListQuery) -> Result<Page, ApiError> {
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
    let tenant_id = access::tenant(
        &mut conn,
        state,
        auth.tenant_id,
        auth.product,
        Gate::Subscribed,
    )
    .await?
    .id;
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
pub async fn detail(state: &AppState, auth: &Auth, id: Uuid) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant_id = access::tenant(
        &mut conn,
        state,
        auth.tenant_id,
        auth.product,
        Gate::Subscribed,
    )
    .await?
    .id;
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
