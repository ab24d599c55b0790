//! Who may use what: the caller's tenant, its product, and (in production)
//! its subscription. One place, so every route applies the same rule.

use crate::error::ApiError;
use crate::state::AppState;
use core_engine::PaymentMode;
use memory::{AsyncPgConnection, MemoryError, Tenant, repo};
use shared_types::ProductSlug;
use uuid::Uuid;

/// Whether a route needs a paying tenant (API.md: leads and metrics do;
/// tenant settings, auth and checkout stay open so a customer can pay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Subscribed,
}

/// Subscription states that may use the product. Manual mode lets pending
/// tenants in until an admin activates them. Development enforces nothing.
pub fn may_use_product(production: bool, mode: PaymentMode, status: &str) -> bool {
    !production
        || matches!(status, "active" | "trialing")
        || (status == "pending" && mode == PaymentMode::Manual)
}

/// The rule that admits a tenant to a route, as this deployment applies it.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    pub production: bool,
    pub payment_mode: PaymentMode,
}

impl Admission {
    /// A valid token for another product is not a credential; a tenant
    /// without a usable subscription may not pass a `Subscribed` gate.
    pub fn check(&self, tenant: &Tenant, product: ProductSlug, gate: Gate) -> Result<(), ApiError> {
        if tenant.product != product.as_str() {
            return Err(ApiError::Unauthorized);
        }
        if gate == Gate::Subscribed
            && !may_use_product(
                self.production,
                self.payment_mode,
                &tenant.subscription_status,
            )
        {
            return Err(ApiError::SubscriptionRequired);
        }
        Ok(())
    }
}

/// The caller's tenant, read fresh on every request so that a canceled
/// subscription cuts access at once. A valid token for a tenant that no
/// longer exists is not a credential either.
pub async fn tenant(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    tenant_id: Uuid,
    product: ProductSlug,
    gate: Gate,
) -> Result<Tenant, ApiError> {
    let tenant = match repo::tenants::find(conn, tenant_id).await {
        Err(MemoryError::NotFound) => return Err(ApiError::Unauthorized),
        other => other?,
    };
    state.admission().check(&tenant, product, gate)?;
    Ok(tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_admits_paying_tenants_only() {
        use PaymentMode::*;
        assert!(may_use_product(false, Stripe, "none"));
        assert!(may_use_product(true, Stripe, "active"));
        assert!(may_use_product(true, Stripe, "trialing"));
        assert!(!may_use_product(true, Stripe, "pending"));
        assert!(may_use_product(true, Manual, "pending"));
        for s in [
            "none",
            "canceled",
            "past_due",
            "unpaid",
            "incomplete",
            "paused",
        ] {
            assert!(!may_use_product(true, Stripe, s), "{s}");
            assert!(!may_use_product(true, Manual, s), "{s}");
        }
    }
}
