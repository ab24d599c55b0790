//! Stripe billing calls through async-stripe: create a customer, create a
//! subscription Checkout Session, retrieve a subscription. Each call comes
//! back with its [`ProviderCall`] (one `action_logs` row for the caller to
//! store) whatever the result. Creates carry an `Idempotency-Key`, so a
//! retried request cannot create a second object.

use std::collections::HashMap;
use std::time::Duration;

use ::stripe::{IdempotencyKey, RequestStrategy, StripeRequest as _};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use stripe_billing::subscription::RetrieveSubscription;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_core::customer::CreateCustomer;
use stripe_shared::{CheckoutSessionMode, Subscription};
use uuid::Uuid;

use crate::provider_call::{CallTimer, ProviderCall, truncate};

const PROVIDER: &str = "stripe";

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: SecretString,
    /// e.g. `https://api.stripe.com` (a path, if any, is kept).
    pub api_base: String,
    /// Per attempt; the async client has none by default.
    pub timeout: Duration,
}

/// Why a Stripe call failed. The split decides what the caller does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// Worth retrying later: timeouts, connection failures, 409 (a request
    /// with the same idempotency key still running), 429, 5xx, unreadable
    /// answers (a proxy's HTML error page reads as one).
    #[error("transient stripe error: {0}")]
    Transient(String),
    /// 404: the object does not exist in this account.
    #[error("stripe object not found: {0}")]
    NotFound(String),
    /// Retrying unchanged cannot help: other 4xx, bad key, bad configuration.
    #[error("permanent stripe error: {0}")]
    Permanent(String),
}

/// A customer to create for a tenant.
#[derive(Debug, Clone)]
pub struct NewCustomer<'a> {
    pub tenant_id: Uuid,
    pub email: &'a str,
    pub name: &'a str,
}

/// A subscription Checkout Session for one tenant and one price.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    pub tenant_id: Uuid,
    pub customer_id: &'a str,
    pub price_id: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub idempotency_key: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    /// Where to send the buyer.
    pub url: String,
}

/// The parts of a Stripe Subscription that GrowthOS keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    pub id: String,
    pub customer_id: String,
    /// Stripe's status string: `active`, `past_due`, `canceled`, ...
    pub status: String,
    /// Recurring amount per period in the smallest currency unit: the sum
    /// of unit_amount × quantity over the items (`None` when a price has no
    /// unit amount, e.g. tiered pricing).
    pub amount_cents: Option<i64>,
    pub price_id: Option<String>,
    /// Unix seconds.
    pub created: i64,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    /// `metadata[tenant_id]` as set through Checkout's subscription_data.
    pub tenant_id: Option<String>,
}

/// The Stripe client GrowthOS uses. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StripeBilling {
    client: ::stripe::Client,
}

impl StripeBilling {
    /// Fails on a key or base URL that cannot go into a request.
    pub fn new(cfg: StripeConfig) -> Result<Self, BillingError> {
        // async-stripe appends "v1/..." to the base as a plain string.
        let base = format!("{}/", cfg.api_base.trim_end_matches('/'));
        let client = ::stripe::ClientBuilder::new(cfg.secret_key.expose_secret())
            .url(base)
            .timeout(cfg.timeout)
            .request_strategy(RequestStrategy::Once)
            .app_info("growthos", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(|e| BillingError::Permanent(format!("stripe client configuration: {e}")))?;
        Ok(Self { client })
    }

    /// `POST /v1/customers` with `Idempotency-Key: customer-{tenant_id}`:
    /// calling it again for the same tenant (within Stripe's 24 h) returns
    /// the same customer. Returns the customer id.
    #[tracing::instrument(skip_all, fields(tenant.id = %c.tenant_id))]
    pub async fn create_customer(
        &self,
        c: &NewCustomer<'_>,
    ) -> (Result<String, BillingError>, ProviderCall) {
        let key = format!("customer-{}", c.tenant_id);
        let timer = CallTimer::start(
            "billing_customer",
            PROVIDER,
            Some(key.clone()),
            json!({ "tenant_id": c.tenant_id, "email": c.email, "name": c.name }),
        );
        let request = CreateCustomer::new()
            .email(c.email)
            .name(c.name)
            .metadata(tenant_metadata(c.tenant_id));
        let sent = match idempotent(&key) {
            Ok(strategy) => {
                request
                    .customize()
                    .request_strategy(strategy)
                    .send(&self.client)
                    .await
            }
            Err(e) => return failed(timer, e),
        };
        match sent {
            Ok(customer) => {
                let id = customer.id.to_string();
                let call = timer.finish(Some(200), Some(json!({ "id": id })), None);
                (Ok(id), call)
            }
            Err(e) => finish_error(timer, e),
        }
    }

    /// `POST /v1/checkout/sessions`: mode subscription, one line item (the
    /// price, quantity 1), the tenant's customer, `client_reference_id` and
    /// `subscription_data[metadata][tenant_id]` set to the tenant id.
    #[tracing::instrument(skip_all, fields(tenant.id = %r.tenant_id))]
    pub async fn create_checkout_session(
        &self,
        r: &CheckoutRequest<'_>,
    ) -> (Result<CheckoutSession, BillingError>, ProviderCall) {
        let timer = CallTimer::start(
            "billing_checkout",
            PROVIDER,
            Some(r.idempotency_key.to_owned()),
            json!({
                "tenant_id": r.tenant_id, "customer": r.customer_id, "price": r.price_id,
                "success_url": r.success_url, "cancel_url": r.cancel_url,
            }),
        );
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(r.price_id.to_owned());
        item.quantity = Some(1);
        let mut subscription_data = CreateCheckoutSessionSubscriptionData::new();
        subscription_data.metadata = Some(tenant_metadata(r.tenant_id));
        let request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .line_items(vec![item])
            .customer(r.customer_id)
            .client_reference_id(r.tenant_id.to_string())
            .success_url(r.success_url)
            .cancel_url(r.cancel_url)
            .metadata(tenant_metadata(r.tenant_id))
            .subscription_data(subscription_data);
        let sent = match idempotent(r.idempotency_key) {
            Ok(strategy) => {
                request
                    .customize()
                    .request_strategy(strategy)
                    .send(&self.client)
                    .await
            }
            Err(e) => return failed(timer, e),
        };
        match sent {
            Ok(session) => {
                let id = session.id.to_string();
                let summary = json!({ "id": id, "url": session.url });
                match session.url {
                    Some(url) => {
                        let call = timer.finish(Some(200), Some(summary), None);
                        (Ok(CheckoutSession { id, url }), call)
                    }
                    None => failed_with(
                        timer,
                        Some(summary),
                        BillingError::Permanent(format!("checkout session {id} has no url")),
                    ),
                }
            }
            Err(e) => finish_error(timer, e),
        }
    }

    /// `GET /v1/subscriptions/{id}`: the subscription as Stripe has it now.
    #[tracing::instrument(skip_all, fields(stripe.subscription = %id))]
    pub async fn retrieve_subscription(
        &self,
        id: &str,
    ) -> (Result<SubscriptionSnapshot, BillingError>, ProviderCall) {
        let timer = CallTimer::start(
            "billing_subscription",
            PROVIDER,
            None,
            json!({ "subscription": id }),
        );
        match RetrieveSubscription::new(id).send(&self.client).await {
            Ok(sub) => {
                let snapshot = snapshot(sub);
                let summary = json!({
                    "id": snapshot.id, "customer": snapshot.customer_id, "status": snapshot.status,
                    "amount_cents": snapshot.amount_cents, "price": snapshot.price_id,
                });
                (Ok(snapshot), timer.finish(Some(200), Some(summary), None))
            }
            Err(e) => finish_error(timer, e),
        }
    }
}

fn tenant_metadata(tenant_id: Uuid) -> HashMap<String, String> {
    HashMap::from([("tenant_id".to_owned(), tenant_id.to_string())])
}

fn idempotent(key: &str) -> Result<RequestStrategy, BillingError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| BillingError::Permanent(format!("idempotency key: {e}")))
}

fn snapshot(sub: Subscription) -> SubscriptionSnapshot {
    let items = &sub.items.data;
    let amount_cents = items
        .iter()
        .map(|i| {
            i.price
                .unit_amount
                .map(|a| a.saturating_mul(i.quantity.unwrap_or(1).min(i64::MAX as u64) as i64))
        })
        .sum::<Option<i64>>()
        .filter(|_| !items.is_empty());
    SubscriptionSnapshot {
        id: sub.id.to_string(),
        customer_id: sub.customer.id().to_string(),
        status: sub.status.as_str().to_owned(),
        amount_cents,
        price_id: items.first().map(|i| i.price.id.to_string()),
        created: sub.created,
        current_period_start: items.iter().map(|i| i.current_period_start).min(),
        current_period_end: items.iter().map(|i| i.current_period_end).max(),
        tenant_id: sub.metadata.get("tenant_id").cloned(),
    }
}

fn failed<T>(timer: CallTimer, e: BillingError) -> (Result<T, BillingError>, ProviderCall) {
    failed_with(timer, None, e)
}

fn failed_with<T>(
    timer: CallTimer,
    response: Option<Value>,
    e: BillingError,
) -> (Result<T, BillingError>, ProviderCall) {
    let call = timer.finish(None, response, Some(e.to_string()));
    (Err(e), call)
}

fn finish_error<T>(
    timer: CallTimer,
    e: ::stripe::StripeError,
) -> (Result<T, BillingError>, ProviderCall) {
    let (status, response, err) = classify(e);
    let call = timer.finish(status, response, Some(err.to_string()));
    (Err(err), call)
}

/// Maps async-stripe's error to ours, with the status and a short error
/// summary for the log row.
fn classify(e: ::stripe::StripeError) -> (Option<u16>, Option<Value>, BillingError) {
    use ::stripe::StripeError as E;
    match e {
        E::Stripe(api, status) => {
            let code = api.code.as_ref().map(|c| c.as_str().to_owned());
            let message = api.message.as_deref().map(|m| truncate(m, 300));
            let described = format!(
                "{status} {} {}: {}",
                api.type_.as_str(),
                code.as_deref().unwrap_or("-"),
                message.as_deref().unwrap_or("")
            );
            let summary = json!({ "error": { "type": api.type_.as_str(), "code": code, "message": message } });
            let err = match status {
                404 => BillingError::NotFound(described),
                409 | 429 | 500..=599 => BillingError::Transient(described),
                _ => BillingError::Permanent(described),
            };
            (Some(status), Some(summary), err)
        }
        E::Timeout => (None, None, BillingError::Transient("timeout".into())),
        E::ClientError(m) => (
            None,
            None,
            BillingError::Transient(format!("request failed: {}", truncate(&m, 200))),
        ),
        E::JSONDeserialize(m) => (
            None,
            None,
            BillingError::Transient(format!("unreadable response: {}", truncate(&m, 200))),
        ),
        E::ConfigError(m) => (None, None, BillingError::Permanent(m)),
    }
}
