//! Stripe billing: the tenant's Stripe customer, subscription Checkout, and
//! the webhook that keeps `tenants.subscription_status` in step with
//! Stripe. Access control reads that column on every request, so writing
//! `canceled` cuts access at once.
//!
//! In `PAYMENT_MODE=manual` none of this talks to Stripe: checkout answers
//! 409 and the webhook is ignored; an admin activates tenants instead.

mod signature;
mod store;
mod webhook;

pub use webhook::{WebhookOutcome, handle_webhook};

use crate::access::{self, Gate};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use action_layer::{BillingError, CheckoutRequest, NewCustomer, ProviderCall, StripeBilling};
use core_engine::config::{AppUrls, StripeSettings};
use core_engine::{Config, PaymentMode};
use memory::{MemoryError, NewActionLog, Tenant, repo};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared_types::ProductSlug;
use std::time::Duration;
use uuid::Uuid;

/// Per attempt. Checkout waits for Stripe inside a user's request and the
/// webhook inside Stripe's delivery; both must answer well before either
/// side gives up.
const STRIPE_TIMEOUT: Duration = Duration::from_secs(10);
/// Two checkout requests with the same parameters within this window get
/// the same Checkout Session (a double click opens one session, not two).
const CHECKOUT_WINDOW_SECS: i64 = 600;

/// Billing configuration and the Stripe client, built once at start-up.
#[derive(Clone)]
pub struct Billing {
    /// `None` in manual mode, and in development when Stripe is not configured.
    stripe: Option<StripeBilling>,
    settings: Option<StripeSettings>,
    /// `STRIPE_WEBHOOK_SECRET` may list several secrets, comma-separated,
    /// while an endpoint secret is being rolled.
    webhook_secrets: Vec<SecretString>,
    app_urls: AppUrls,
}

impl Billing {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let settings = match config.payment_mode {
            PaymentMode::Stripe => config.stripe.clone(),
            PaymentMode::Manual => None,
        };
        let stripe = settings
            .as_ref()
            .map(|s| {
                StripeBilling::new(action_layer::StripeConfig {
                    secret_key: s.secret_key.clone(),
                    api_base: s.api_base.clone(),
                    timeout: STRIPE_TIMEOUT,
                })
            })
            .transpose()?;
        let webhook_secrets = settings
            .as_ref()
            .map(|s| {
                s.webhook_secret
                    .expose_secret()
                    .split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(|w| SecretString::from(w.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            stripe,
            settings,
            webhook_secrets,
            app_urls: config.app_urls.clone(),
        })
    }

    /// The Stripe client, or why there is none.
    fn client(&self, mode: PaymentMode) -> Result<&StripeBilling, ApiError> {
        match (mode, &self.stripe) {
            (PaymentMode::Manual, _) => Err(ApiError::Conflict(
                "payments are not taken through Stripe here (PAYMENT_MODE=manual): an administrator activates the account"
                    .into(),
            )),
            (PaymentMode::Stripe, None) => Err(ApiError::Unavailable(
                "Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_ID_*)"
                    .into(),
            )),
            (PaymentMode::Stripe, Some(c)) => Ok(c),
        }
    }

    fn price_for(&self, product: ProductSlug) -> Option<&str> {
        let s = self.settings.as_ref()?;
        Some(match product {
            ProductSlug::Booker => &s.price_booker,
            ProductSlug::LeadQualifier => &s.price_leadqualifier,
            ProductSlug::FollowUp => &s.price_followup,
        })
    }
}

/// Whether tenants pay through Stripe here (stripe mode with Stripe
/// configured): when false, [`ensure_customer`] has nothing to do.
pub fn uses_stripe(state: &AppState) -> bool {
    state.payment_mode == PaymentMode::Stripe && state.billing.stripe.is_some()
}

/// The tenant's Stripe customer id, creating the customer the first time.
/// The create carries `Idempotency-Key: customer-{tenant id}`, so two
/// concurrent calls get one customer; the id is stored in
/// `tenants.stripe_customer_id`. In manual mode: 409; in stripe mode
/// without Stripe configured: 503 (see [`uses_stripe`]).
#[tracing::instrument(skip_all, fields(tenant.id = %tenant.id))]
pub async fn ensure_customer(
    state: &AppState,
    tenant: &Tenant,
    email: &str,
) -> Result<String, ApiError> {
    if let Some(id) = &tenant.stripe_customer_id {
        return Ok(id.clone());
    }
    let stripe = state.billing.client(state.payment_mode)?;
    // The caller's copy of the row may be older than a concurrent request's
    // write: a customer stored meanwhile is the one to use.
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    if let Some(id) = store::customer_of(&mut conn, tenant.id).await? {
        return Ok(id);
    }
    drop(conn);
    let (created, call) = stripe
        .create_customer(&NewCustomer {
            tenant_id: tenant.id,
            email,
            name: &tenant.name,
        })
        .await;
    record_calls(state, tenant.id, &[call]).await;
    let created = created.map_err(billing_error)?;
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    store::set_customer_if_missing(&mut conn, tenant.id, &created).await
}

/// POST /api/billing/checkout body; both optional.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckoutInput {
    /// Where Stripe sends the buyer after paying; may contain
    /// `{CHECKOUT_SESSION_ID}`. Default `{app}/billing/success?session_id={CHECKOUT_SESSION_ID}`.
    pub success_url: Option<String>,
    /// Where "back" goes. Default `{app}/billing/cancel`.
    pub cancel_url: Option<String>,
}

pub struct StartedCheckout {
    pub checkout_url: String,
    pub session_id: String,
}

/// A Stripe Checkout Session (subscription, the product's price) for the
/// caller's tenant. Open to tenants that have not paid yet.
#[tracing::instrument(skip_all, fields(tenant.id = %auth.tenant_id))]
pub async fn checkout(
    state: &AppState,
    auth: &Auth,
    input: CheckoutInput,
) -> Result<StartedCheckout, ApiError> {
    let app = state.billing.app_urls.for_product(auth.product);
    let success_url = return_url(
        "successUrl",
        input.success_url,
        format!("{app}/billing/success?session_id={{CHECKOUT_SESSION_ID}}"),
    )?;
    let cancel_url = return_url(
        "cancelUrl",
        input.cancel_url,
        format!("{app}/billing/cancel"),
    )?;
    let stripe = state.billing.client(state.payment_mode)?;
    let price = state
        .billing
        .price_for(auth.product)
        .ok_or_else(|| ApiError::Unavailable("no Stripe price for this product".into()))?;

    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let tenant = access::tenant(&mut conn, state, auth.tenant_id, auth.product, Gate::Open).await?;
    if matches!(tenant.subscription_status.as_str(), "active" | "trialing") {
        return Err(ApiError::Conflict(
            "this account already has an active subscription".into(),
        ));
    }
    let email = repo::tenants::notification_address(&mut conn, &tenant)
        .await?
        .ok_or_else(|| ApiError::Conflict("the account has no email address for billing".into()))?;
    // No connection held while Stripe answers.
    drop(conn);
    let customer = ensure_customer(state, &tenant, &email).await?;
    let key = checkout_key(tenant.id, &customer, price, &success_url, &cancel_url);
    let (session, call) = stripe
        .create_checkout_session(&CheckoutRequest {
            tenant_id: tenant.id,
            customer_id: &customer,
            price_id: price,
            success_url: &success_url,
            cancel_url: &cancel_url,
            idempotency_key: &key,
        })
        .await;
    record_calls(state, tenant.id, &[call]).await;
    let session = session.map_err(billing_error)?;
    Ok(StartedCheckout {
        checkout_url: session.url,
        session_id: session.id,
    })
}

/// A given return URL must be absolute http(s); absent means the default.
fn return_url(field: &str, given: Option<String>, default: String) -> Result<String, ApiError> {
    let Some(raw) = given else {
        return Ok(default);
    };
    let raw = raw.trim().to_owned();
    let ok = raw.len() <= 2048
        && url::Url::parse(&raw).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
    if ok {
        Ok(raw)
    } else {
        Err(ApiError::field(field, "must be an absolute http(s) URL"))
    }
}

/// Same tenant, customer, price and return URLs within one window: same
/// key, so Stripe answers the session it already created.
fn checkout_key(tenant: Uuid, customer: &str, price: &str, success: &str, cancel: &str) -> String {
    let window = chrono::Utc::now().timestamp() / CHECKOUT_WINDOW_SECS;
    let mut h = Sha256::new();
    for part in [customer, price, success, cancel] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = hex::encode(&h.finalize()[..8]);
    format!("checkout-{tenant}-{digest}-{window}")
}

/// Transient Stripe failures are 503 (try again shortly); anything else is
/// our bug or our configuration: 500, cause logged.
fn billing_error(e: BillingError) -> ApiError {
    match e {
        BillingError::Transient(m) => ApiError::Unavailable(format!("stripe: {m}")),
        other => ApiError::Internal(anyhow::Error::new(other)),
    }
}

/// The `action_logs` rows of provider calls made for a tenant (no lead).
fn action_logs(tenant_id: Uuid, calls: &[ProviderCall]) -> Vec<NewActionLog> {
    calls
        .iter()
        .map(|c| orchestrator::action_log(tenant_id, None, None, c.clone()))
        .collect()
}

/// Stores the calls' log rows. The Stripe call already happened, so a
/// failure to log it must not fail the request: it is logged instead.
async fn record_calls(state: &AppState, tenant_id: Uuid, calls: &[ProviderCall]) {
    let rows = action_logs(tenant_id, calls);
    let stored = async {
        let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
        repo::logs::insert_action_logs(&mut conn, &rows).await
    }
    .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "could not store the action log of a Stripe call");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_must_be_absolute_http() {
        let d = || "https://app.example/billing/cancel".to_owned();
        assert_eq!(return_url("u", None, d()).unwrap(), d());
        let ok = "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}";
        assert_eq!(return_url("u", Some(ok.into()), d()).unwrap(), ok);
        assert!(return_url("u", Some("http://localhost:3001/x".into()), d()).is_ok());
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "ftp://x.example/",
            "https://",
            "",
        ] {
            assert!(return_url("u", Some(bad.into()), d()).is_err(), "{bad}");
        }
    }

    #[test]
    fn checkout_keys_follow_the_parameters() {
        let t = Uuid::new_v4();
        let a = checkout_key(t, "cus_1", "price_1", "https://a/s", "https://a/c");
        assert_eq!(
            a,
            checkout_key(t, "cus_1", "price_1", "https://a/s", "https://a/c")
        );
        assert_ne!(
            a,
            checkout_key(t, "cus_1", "price_2", "https://a/s", "https://a/c")
        );
        assert!(a.starts_with(&format!("checkout-{t}-")) && a.len() <= 255);
    }
}
