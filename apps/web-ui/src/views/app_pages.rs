//! Signed-in pages without a form of their own: dashboard, billing
//! return pages, metrics.

use super::{alert, badge, csrf, notice, page, page_with};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{Markup, html};
use serde_json::Value;
use shared_types::ProductSlug;

pub fn is_active(status: &str) -> bool {
    matches!(status, "active" | "trialing")
}

/// Shown instead of leads or metrics until the subscription is active.
pub fn subscription_required(ctx: &Ctx, title: &str) -> HttpResponse {
    let body = html! {
        h1 { (title) }
        div.notice role="status" {
            p { "Your subscription is not active yet, so the AI is not working on leads." }
            p { a href="/dashboard" { "Activate your account on the dashboard" } }
        }
    };
    page(ctx, StatusCode::FORBIDDEN, title, body)
}

/// The activation block of the dashboard, per payment mode.
fn activation(ctx: &Ctx, status: &str, payment_mode: &str) -> Markup {
    html! {
        @if is_active(status) {
            p { "Your account is active: every new lead is handled within seconds." }
            p.actions {
                a.button href="/leads" { "Add a lead" }
                " "
                a.button.secondary href="/settings" { "Business hours and website form" }
            }
        } @else if payment_mode == "manual" {
            (notice("Payments are handled by hand for this installation: an administrator activates your account once payment is arranged. You can fill in your settings meanwhile."))
        } @else {
            p { "Activate your subscription to let the AI answer your leads. Payment is handled by Stripe; you can cancel at any time." }
            form method="post" action="/billing/activate" {
                (csrf(ctx))
                button type="submit" { "Activate" }
            }
        }
    }
}

pub fn dashboard(
    ctx: &Ctx,
    tenant: &Value,
    payment_mode: &str,
    message: Option<&str>,
) -> HttpResponse {
    let status = tenant["subscriptionStatus"].as_str().unwrap_or("none");
    let body = html! {
        h1 { (super::text(&tenant["name"])) }
        (alert(message))
        section.card aria-labelledby="sub-h" {
            h2 #sub-h { "Subscription " (badge(status)) }
            (activation(ctx, status, payment_mode))
        }
        section.card aria-labelledby="start-h" {
            h2 #start-h { "Getting started" }
            ol {
                li { a href="/settings" { "Set your time zone, business hours and notification email" } }
                li { a href="/settings#embed" { "Put the lead form on your website" } }
                li { a href="/leads" { "Add a lead by hand and watch the AI work" } }
                li { a href="/metrics" { "Check your speed-to-lead" } }
            }
        }
    };
    page(ctx, StatusCode::OK, "Dashboard", body)
}

/// Back from Stripe Checkout: active once Stripe's webhook has arrived
/// (usually within seconds), so the page refreshes itself until then.
pub fn billing_success(ctx: &Ctx, status: &str) -> HttpResponse {
    let active = is_active(status);
    let body = html! {
        h1 { "Thank you" }
        @if active {
            (notice("Your subscription is active. The AI now handles every new lead."))
            p { a.button href="/leads" { "Add your first lead" } }
        } @else {
            div.notice role="status" {
                p { "Payment received. Stripe is confirming it; this page refreshes by itself in a few seconds." }
                p { "Current status: " (badge(status)) }
            }
            p { a href="/dashboard" { "Back to the dashboard" } }
        }
    };
    page_with(
        ctx,
        StatusCode::OK,
        "Payment received",
        (!active).then_some(3),
        body,
    )
}

pub fn billing_cancel(ctx: &Ctx) -> HttpResponse {
    let body = html! {
        h1 { "Checkout canceled" }
        p { "No payment was taken. You can activate whenever you are ready." }
        p { a.button href="/dashboard" { "Back to the dashboard" } }
    };
    page(ctx, StatusCode::OK, "Checkout canceled", body)
}

fn count(v: &Value) -> String {
    v.as_i64()
        .map(|n| n.to_string())
        .or_else(|| v.as_f64().map(|f| format!("{f:.1}")))
        .unwrap_or_else(|| "—".into())
}

fn percent(v: &Value) -> String {
    v.as_f64()
        .map(|f| format!("{:.0}%", if f <= 1.0 { f * 100.0 } else { f }))
        .unwrap_or_else(|| "—".into())
}

/// `medianSpeedToLeadMs` for people: "850 ms", "1.2 s", "3 min".
pub fn speed(v: &Value) -> String {
    match v.as_f64() {
        None => "no lead contacted yet".into(),
        Some(ms) if ms < 1000.0 => format!("{ms:.0} ms"),
        Some(ms) if ms < 60_000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) => format!("{:.0} min", ms / 60_000.0),
    }
}

pub fn metrics(ctx: &Ctx, m: &Value) -> HttpResponse {
    let mut cards: Vec<(&str, String)> = vec![
        ("Median speed-to-lead", speed(&m["medianSpeedToLeadMs"])),
        ("Leads", count(&m["leads"])),
    ];
    let specific: &[(&str, &str, bool)] = match ctx.state.product.slug {
        ProductSlug::Booker => &[
            ("Meetings booked", "meetingsBooked", false),
            ("Qualified leads", "qualifiedLeads", false),
            ("Emails sent", "emailsSent", false),
            ("Conversion rate", "conversionRate", true),
        ],
        ProductSlug::LeadQualifier => &[
            ("Qualified leads", "qualifiedLeads", false),
            ("Disqualified leads", "disqualifiedLeads", false),
            ("Average score", "avgScore", false),
            ("Conversion rate", "conversionRate", true),
        ],
        ProductSlug::FollowUp => &[
            ("Follow-ups sent", "followupsSent", false),
            ("Reply rate", "replyRate", true),
            ("Active sequences", "activeWorkflows", false),
            ("Escalated to you", "escalatedLeads", false),
        ],
    };
    for (label, key, pct) in specific {
        cards.push((
            label,
            if *pct {
                percent(&m[*key])
            } else {
                count(&m[*key])
            },
        ));
    }
    let body = html! {
        h1 { "Metrics" }
        p { "Speed-to-lead is the time from a lead's arrival to its first real action (an email in its inbox or a meeting in the calendar)." }
        ul.cards {
            @for (label, value) in &cards {
                li.metric { span.label { (label) } span.value { (value) } }
            }
        }
    };
    page(ctx, StatusCode::OK, "Metrics", body)
}
