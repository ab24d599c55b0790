//! The billing columns of `tenants` and the `stripe_events` ledger.

use crate::error::ApiError;
use action_layer::SubscriptionSnapshot;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use memory::schema::{stripe_events, tenants};
use uuid::Uuid;

/// Subscription statuses the tenants table accepts from Stripe.
const STRIPE_STATUSES: [&str; 8] = [
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
];

/// Stores `customer` as the tenant's Stripe customer unless it has one,
/// and answers the one it has now.
pub async fn set_customer_if_missing(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    customer: &str,
) -> Result<String, ApiError> {
    diesel::update(
        tenants::table
            .find(tenant_id)
            .filter(tenants::stripe_customer_id.is_null()),
    )
    .set((
        tenants::stripe_customer_id.eq(customer),
        tenants::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    let stored = customer_of(conn, tenant_id).await?;
    Ok(stored.unwrap_or_else(|| customer.to_owned()))
}

pub async fn customer_of(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
) -> Result<Option<String>, ApiError> {
    Ok(tenants::table
        .find(tenant_id)
        .select(tenants::stripe_customer_id)
        .get_result(conn)
        .await?)
}

pub async fn event_seen(conn: &mut AsyncPgConnection, id: &str) -> Result<bool, ApiError> {
    Ok(
        diesel::select(diesel::dsl::exists(stripe_events::table.find(id)))
            .get_result(conn)
            .await?,
    )
}

/// Records the event as processed; false when it already was (a replay
/// that raced this one). Call inside the transaction of the state change.
pub async fn claim_event(
    conn: &mut AsyncPgConnection,
    id: &str,
    event_type: &str,
    tenant_id: Option<Uuid>,
    created: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let inserted = diesel::insert_into(stripe_events::table)
        .values((
            stripe_events::id.eq(id),
            stripe_events::event_type.eq(event_type),
            stripe_events::tenant_id.eq(tenant_id),
            stripe_events::stripe_created_at.eq(created),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

pub async fn tenant_exists(conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(tenants::table.find(id)))
        .get_result(conn)
        .await?)
}

pub async fn tenant_by_customer(
    conn: &mut AsyncPgConnection,
    customer: &str,
) -> Result<Option<Uuid>, ApiError> {
    Ok(tenants::table
        .filter(tenants::stripe_customer_id.eq(customer))
        .select(tenants::id)
        .first(conn)
        .await
        .optional()?)
}

pub async fn tenant_by_subscription(
    conn: &mut AsyncPgConnection,
    subscription: &str,
) -> Result<Option<Uuid>, ApiError> {
    Ok(tenants::table
        .filter(tenants::stripe_subscription_id.eq(subscription))
        .select(tenants::id)
        .first(conn)
        .await
        .optional()?)
}

/// Records the ids a completed Checkout reports, where none is stored yet.
pub async fn record_checkout(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    customer: Option<&str>,
    subscription: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(c) = customer {
        let taken = tenant_by_customer(conn, c).await?;
        if taken.is_none() {
            set_customer_if_missing(conn, tenant_id, c).await?;
        }
    }
    if let Some(s) = subscription
        && tenant_by_subscription(conn, s).await?.is_none()
    {
        diesel::update(
            tenants::table
                .find(tenant_id)
                .filter(tenants::stripe_subscription_id.is_null()),
        )
        .set((
            tenants::stripe_subscription_id.eq(s),
            tenants::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Writes a subscription as Stripe reported it at `fetched_at`, unless
/// the tenant already holds a newer reading, belongs to another Stripe
/// customer, the customer or subscription belongs to another tenant, or the subscription has ended and is not the tenant's current
/// one (an old subscription ending must not cancel a newer one). Returns
/// whether the tenant row changed.
pub async fn apply_subscription(
    conn: &mut AsyncPgConnection,
    tenant_id: Uuid,
    sub: &SubscriptionSnapshot,
    fetched_at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    if !STRIPE_STATUSES.contains(&sub.status.as_str()) {
        tracing::warn!(stripe.status = %sub.status, "unknown subscription status left unapplied");
        return Ok(false);
    }
    let ended = matches!(sub.status.as_str(), "canceled" | "incomplete_expired");
    let changed = diesel::sql_query(
        "UPDATE tenants SET subscription_status = $2, stripe_subscription_id = $3, \
             price_amount_cents = $4, stripe_customer_id = COALESCE(stripe_customer_id, $5), \
             subscription_updated_at = $6, updated_at = now() \
         WHERE id = $1 \
           AND (subscription_updated_at IS NULL OR subscription_updated_at <= $6) \
           AND (stripe_customer_id IS NULL OR stripe_customer_id = $5) \
           AND (NOT $7 OR stripe_subscription_id IS NULL OR stripe_subscription_id = $3) \
           AND NOT EXISTS (SELECT 1 FROM tenants o WHERE o.id <> $1 \
                           AND (o.stripe_customer_id = $5 OR o.stripe_subscription_id = $3))",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant_id)
    .bind::<Text, _>(&sub.status)
    .bind::<Text, _>(&sub.id)
    .bind::<Nullable<diesel::sql_types::BigInt>, _>(sub.amount_cents)
    .bind::<Text, _>(&sub.customer_id)
    .bind::<Timestamptz, _>(fetched_at)
    .bind::<Bool, _>(ended)
    .execute(conn)
    .await?;
    Ok(changed == 1)
}
