//! POST /api/stripe/webhook: verify, deduplicate, and bring the tenant's
//! subscription columns to what Stripe says now.
//!
//! Stripe neither orders nor deduplicates deliveries. So an event is only a
//! prompt: the subscription it concerns is read back from Stripe, and the
//! reading is applied unless the tenant already holds a later one
//! (`tenants.subscription_updated_at`). The event id goes into
//! `stripe_events` in the same transaction as the change, so a replay
//! changes nothing.

use super::{Billing, action_logs, billing_error, record_calls, signature, store};
use crate::error::ApiError;
use crate::state::AppState;
use action_layer::{BillingError, SubscriptionSnapshot};
use chrono::{DateTime, Utc};
use core_engine::PaymentMode;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use memory::{MemoryError, repo};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Manual activation mode: Stripe events mean nothing here.
    Ignored,
    Processed,
    /// This event id was processed before; nothing changed.
    Duplicate,
}

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Value,
}

/// What an event asks us to look at.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Re-read this subscription from Stripe.
    subscription: Option<String>,
    customer: Option<String>,
    /// A tenant id the event names (client_reference_id, metadata).
    tenant_hint: Option<Uuid>,
    /// A completed Checkout: record its customer and subscription ids.
    checkout: bool,
}

#[tracing::instrument(skip_all, fields(stripe.event_id, stripe.event_type, tenant.id))]
pub async fn handle_webhook(
    state: &AppState,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, ApiError> {
    if state.payment_mode == PaymentMode::Manual {
        return Ok(WebhookOutcome::Ignored);
    }
    let billing: &Billing = &state.billing;
    let stripe = billing.client(state.payment_mode)?;
    signature::verify(
        signature_header,
        body,
        &billing.webhook_secrets,
        Utc::now().timestamp(),
    )
    .map_err(|e| ApiError::invalid(e.message()))?;
    let event: Event = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("the body is not a Stripe event"))?;
    let created = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| ApiError::invalid("the event's created time is out of range"))?;
    let span = tracing::Span::current();
    span.record("stripe.event_id", event.id.as_str());
    span.record("stripe.event_type", event.kind.as_str());

    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    if store::event_seen(&mut conn, &event.id).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    drop(conn);

    let plan = plan(&event.kind, &event.data.object);
    // Read before the call, so a reading can only be older than it claims.
    let fetched_at = Utc::now();
    let mut snapshot = None;
    let mut calls = Vec::new();
    let mut failure = None;
    if let Some(id) = &plan.subscription {
        let (result, call) = stripe.retrieve_subscription(id).await;
        calls.push(call);
        match result {
            Ok(s) => snapshot = Some(s),
            Err(BillingError::NotFound(m)) => {
                tracing::warn!(stripe.subscription = %id, "subscription not found at Stripe, nothing to apply: {m}");
            }
            Err(e) => failure = Some(e),
        }
    }

    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant_id = resolve_tenant(&mut conn, &plan, snapshot.as_ref()).await?;
    if let Some(t) = tenant_id {
        span.record("tenant.id", tracing::field::display(t));
    }
    if let Some(e) = failure {
        // Not recorded as processed: Stripe delivers it again later.
        if let Some(t) = tenant_id {
            drop(conn);
            record_calls(state, t, &calls).await;
        }
        return Err(billing_error(e));
    }
    let processed = conn
        .transaction(async |c| {
            if !store::claim_event(c, &event.id, &event.kind, tenant_id, created).await? {
                return Ok::<_, ApiError>(false);
            }
            let Some(t) = tenant_id else {
                if plan != Plan::default() {
                    tracing::warn!(
                        "Stripe event names no tenant of ours; recorded, nothing changed"
                    );
                }
                return Ok(true);
            };
            repo::logs::insert_action_logs(c, &action_logs(t, &calls)).await?;
            if plan.checkout {
                store::record_checkout(
                    c,
                    t,
                    plan.customer.as_deref(),
                    plan.subscription.as_deref(),
                )
                .await?;
            }
            if let Some(s) = &snapshot {
                let applied = store::apply_subscription(c, t, s, fetched_at).await?;
                tracing::info!(
                    stripe.subscription = %s.id,
                    stripe.status = %s.status,
                    applied,
                    "subscription reading"
                );
            }
            Ok(true)
        })
        .await?;
    Ok(if processed {
        WebhookOutcome::Processed
    } else {
        WebhookOutcome::Duplicate
    })
}

/// The tenant an event concerns: the owner of its Stripe customer, else of
/// its subscription, else the tenant it names (Checkout's
/// client_reference_id, `metadata[tenant_id]`), if that tenant exists.
async fn resolve_tenant(
    conn: &mut AsyncPgConnection,
    plan: &Plan,
    snapshot: Option<&SubscriptionSnapshot>,
) -> Result<Option<Uuid>, ApiError> {
    let customer = snapshot
        .map(|s| s.customer_id.as_str())
        .or(plan.customer.as_deref());
    if let Some(c) = customer
        && let Some(t) = store::tenant_by_customer(conn, c).await?
    {
        return Ok(Some(t));
    }
    let subscription = snapshot
        .map(|s| s.id.as_str())
        .or(plan.subscription.as_deref());
    if let Some(s) = subscription
        && let Some(t) = store::tenant_by_subscription(conn, s).await?
    {
        return Ok(Some(t));
    }
    let named = [
        plan.tenant_hint,
        snapshot
            .and_then(|s| s.tenant_id.as_deref())
            .and_then(parse_uuid),
    ];
    for t in named.into_iter().flatten() {
        if store::tenant_exists(conn, t).await? {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

fn plan(kind: &str, object: &Value) -> Plan {
    let tenant_in = |v: &Value| v.as_str().and_then(parse_uuid);
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if object["mode"] == "subscription" =>
        {
            Plan {
                subscription: id_of(&object["subscription"]),
                customer: id_of(&object["customer"]),
                tenant_hint: tenant_in(&object["client_reference_id"])
                    .or_else(|| tenant_in(&object["metadata"]["tenant_id"])),
                checkout: true,
            }
        }
        k if k.starts_with("customer.subscription.") => Plan {
            subscription: id_of(&object["id"]),
            customer: id_of(&object["customer"]),
            tenant_hint: tenant_in(&object["metadata"]["tenant_id"]),
            checkout: false,
        },
        "invoice.paid"
        | "invoice.payment_succeeded"
        | "invoice.payment_failed"
        | "invoice.payment_action_required" => {
            // Since API version 2025-03-31 the subscription is under `parent`.
            let details = &object["parent"]["subscription_details"];
            Plan {
                subscription: id_of(&details["subscription"])
                    .or_else(|| id_of(&object["subscription"])),
                customer: id_of(&object["customer"]),
                tenant_hint: tenant_in(&details["metadata"]["tenant_id"]),
                checkout: false,
            }
        }
        _ => Plan::default(),
    }
}

/// An id field that may be expanded into its object.
fn id_of(v: &Value) -> Option<String> {
    v.as_str()
        .or_else(|| v["id"].as_str())
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .map(str::to_owned)
}

fn parse_uuid(s: &str) -> Option<Uuid> {
    s.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_point_at_their_subscription_and_tenant() {
        let t = Uuid::new_v4();
        let session = json!({"mode": "subscription", "customer": "cus_1", "subscription": "sub_1",
            "client_reference_id": t.to_string()});
        let p = plan("checkout.session.completed", &session);
        assert_eq!(p.subscription.as_deref(), Some("sub_1"));
        assert_eq!((p.tenant_hint, p.checkout), (Some(t), true));
        let payment = json!({"mode": "payment", "customer": "cus_1"});
        assert_eq!(
            plan("checkout.session.completed", &payment),
            Plan::default()
        );

        let sub = json!({"id": "sub_2", "customer": {"id": "cus_2"}, "metadata": {}});
        let p = plan("customer.subscription.deleted", &sub);
        assert_eq!(
            (p.subscription.as_deref(), p.customer.as_deref()),
            (Some("sub_2"), Some("cus_2"))
        );

        let new_invoice = json!({"customer": "cus_3", "parent": {"type": "subscription_details",
            "subscription_details": {"subscription": "sub_3", "metadata": {"tenant_id": t.to_string()}}}});
        let p = plan("invoice.payment_failed", &new_invoice);
        assert_eq!(
            (p.subscription.as_deref(), p.tenant_hint),
            (Some("sub_3"), Some(t))
        );
        let old_invoice = json!({"customer": "cus_3", "subscription": "sub_4"});
        assert_eq!(
            plan("invoice.paid", &old_invoice).subscription.as_deref(),
            Some("sub_4")
        );
        let one_off = json!({"customer": "cus_3", "parent": null});
        assert_eq!(plan("invoice.paid", &one_off).subscription, None);

        assert_eq!(
            plan("customer.created", &json!({"id": "cus_9"})),
            Plan::default()
        );
    }
}
