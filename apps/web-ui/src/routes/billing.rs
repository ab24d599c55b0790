//! Dashboard, Stripe Checkout and its return pages, metrics.

use super::{failed, signed_in, signed_in_post};
use crate::session::Ctx;
use crate::views::{self, Values};
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub async fn dashboard(mut ctx: Ctx) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let gw = &ctx.state.gateway;
    let (tenant, health) =
        tokio::join!(gw.get("/api/tenant", Some(&token)), gw.get("/health", None));
    let tenant = match tenant {
        Ok(t) => t,
        Err(e) => return failed(&mut ctx, e, "Dashboard"),
    };
    let mode = health
        .ok()
        .and_then(|h| h["paymentMode"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "stripe".into());
    views::dashboard(&ctx, &tenant["tenant"], &mode, None)
}

/// Activate: a Stripe Checkout Session, then the browser goes to Stripe.
pub async fn activate(mut ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let base = &ctx.state.cfg.public_url;
    let body = json!({
        "successUrl": format!("{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}"),
        "cancelUrl": format!("{base}/billing/cancel"),
    });
    let result = ctx
        .state
        .gateway
        .send(
            reqwest::Method::POST,
            "/api/billing/checkout",
            &token,
            &body,
        )
        .await;
    match result {
        Ok(v) => match v["checkoutUrl"].as_str() {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => ctx
                .finish(HttpResponse::SeeOther())
                .insert_header((header::LOCATION, url))
                .finish(),
            _ => failed(
                &mut ctx,
                crate::gateway::GatewayError::field("checkout", "no checkout URL"),
                "Activate",
            ),
        },
        // Already active: nothing to pay.
        Err(e) if e.status == 409 => ctx.redirect("/dashboard"),
        Err(e) if e.status == 401 => failed(&mut ctx, e, "Activate"),
        Err(e) => {
            let tenant = ctx.state.gateway.get("/api/tenant", Some(&token)).await;
            match tenant {
                Ok(t) => views::dashboard(&ctx, &t["tenant"], "stripe", Some(&e.message)),
                Err(e2) => failed(&mut ctx, e2, "Activate"),
            }
        }
    }
}

pub async fn success(mut ctx: Ctx) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    match ctx.state.gateway.get("/api/tenant", Some(&token)).await {
        Ok(t) => views::billing_success(
            &ctx,
            t["tenant"]["subscriptionStatus"].as_str().unwrap_or("none"),
        ),
        Err(e) => failed(&mut ctx, e, "Payment"),
    }
}

pub async fn cancel(ctx: Ctx) -> HttpResponse {
    match signed_in(&ctx) {
        Ok(_) => views::billing_cancel(&ctx),
        Err(r) => *r,
    }
}

pub async fn metrics(mut ctx: Ctx) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    match ctx.state.gateway.get("/metrics", Some(&token)).await {
        Ok(m) => views::metrics(&ctx, &m),
        Err(e) => failed(&mut ctx, e, "Metrics"),
    }
}
