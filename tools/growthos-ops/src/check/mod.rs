//! `check`: the production-readiness checklist, item by item, against the
//! deployment the environment describes. Every provider base URL comes from
//! the same variables the services read, so tests point them at fakes.

mod gateway;
mod google;
mod resend;
mod settings;
mod stripe;

use crate::Checklist;
use crate::cli::CheckOptions;
use std::collections::HashMap;

/// The six events the gateway's Stripe webhook handles.
pub const STRIPE_EVENTS: [&str; 6] = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
];

pub const STRIPE_WEBHOOK_PATH: &str = "/api/stripe/webhook";

/// Set, non-blank variables, trimmed (as core-engine reads them).
pub struct Vars<'a>(pub &'a HashMap<String, String>);

impl Vars<'_> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn or<'b>(&'b self, key: &str, default: &'b str) -> &'b str {
        self.get(key).unwrap_or(default)
    }

    /// PUBLIC_URL without its trailing slash.
    pub fn public_url(&self) -> Option<String> {
        self.get("PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_owned())
    }
}

pub async fn run(opts: &CheckOptions, vars: &HashMap<String, String>, list: &mut Checklist<'_>) {
    let vars = Vars(vars);
    let target = opts
        .gateway_url
        .clone()
        .or_else(|| vars.public_url())
        .unwrap_or_else(|| "(PUBLIC_URL not set)".into());
    list.note(format!("GrowthOS production readiness: {target}\n"));
    settings::check(&vars, list);
    if vars.get("PAYMENT_MODE") == Some("manual") {
        list.pass("Stripe not used: PAYMENT_MODE=manual (an operator activates tenants)");
    } else {
        stripe::check(&vars, list).await;
    }
    resend::check(&vars, list).await;
    google::check(&vars, &opts.calendar_ids, list).await;
    gateway::check(&vars, opts.gateway_url.as_deref(), list).await;
}
