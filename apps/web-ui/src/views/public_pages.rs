//! Pages seen before signing in: landing, sign up, log in, errors.

use super::{Errors, Field, Values, alert, csrf, page};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::html;
use shared_types::AgentType;

/// What the product does, from its configuration (allowed agents,
/// thresholds, cadence), so the landing page never disagrees with it.
fn features(ctx: &Ctx) -> Vec<String> {
    let p = ctx.state.product;
    let mut out = Vec::new();
    if p.allows(AgentType::Qualifier) {
        out.push(format!(
            "Every lead gets a score from 0 to 100 and the reason for it; {} and above is hot.",
            p.thresholds.hot
        ));
    }
    if p.allows(AgentType::Scheduler) {
        out.push(
            "Hot leads are offered a meeting inside your business hours, with a calendar invite."
                .into(),
        );
    }
    if p.allows(AgentType::Followup) {
        let days: Vec<String> = p.followup.cadence_days.iter().map(u32::to_string).collect();
        out.push(format!(
            "Up to {} polite follow-ups (after {} days){}, stopped the moment the lead replies.",
            p.followup.max_attempts,
            days.join(", "),
            if p.followup.business_days_only {
                ", on business days only"
            } else {
                ""
            }
        ));
    }
    out.push(
        "The first answer goes out within about a second, day or night, with nobody touching it."
            .into(),
    );
    out
}

pub fn landing(ctx: &Ctx) -> HttpResponse {
    let m = &ctx.state.product.marketing;
    let body = html! {
        section.hero {
            h1 { (m.headline) }
            p.lead { (m.pain) }
            p { (m.promise) }
            p.actions {
                a.button href="/signup" { "Start now" }
                " "
                a.button.secondary href="/login" { "Log in" }
            }
        }
        section {
            h2 { "Built for service businesses with fewer than 10 employees" }
            p { "Plumbers, clinics, agencies and consultants: no developer, no setup project. Sign up, add your business hours, and put the lead form on your website." }
            ul.features { @for f in features(ctx) { li { (f) } } }
        }
    };
    page(ctx, StatusCode::OK, &m.headline, body)
}

/// `status`: 200 for the blank form, else the refusal's status.
pub fn signup(
    ctx: &Ctx,
    status: StatusCode,
    values: &Values,
    errors: &Errors,
    message: Option<&str>,
) -> HttpResponse {
    let body = html! {
        h1 { "Create your " (ctx.state.product.name) " account" }
        (alert(message))
        form.card method="post" action="/signup" novalidate {
            (csrf(ctx))
            (Field::new("name", "Business name").required().auto("organization").render(values, errors))
            (Field::new("email", "Email").kind("email").required().auto("email").render(values, errors))
            (Field::new("password", "Password").kind("password").required().auto("new-password")
                .hint("At least 10 characters.").render(values, errors))
            (Field::new("timezone", "Time zone").auto("off")
                .hint("For example America/Chicago or Europe/London. You can change it later.").render(values, errors))
            button type="submit" { "Create account" }
        }
        p { "Already have an account? " a href="/login" { "Log in" } }
    };
    page(ctx, status, "Sign up", body)
}

/// `status`: 200 for the blank form, else the refusal's status.
pub fn login(
    ctx: &Ctx,
    status: StatusCode,
    values: &Values,
    errors: &Errors,
    message: Option<&str>,
) -> HttpResponse {
    let body = html! {
        h1 { "Log in to " (ctx.state.product.name) }
        (alert(message))
        form.card method="post" action="/login" novalidate {
            (csrf(ctx))
            (Field::new("email", "Email").kind("email").required().auto("email").render(values, errors))
            (Field::new("password", "Password").kind("password").required().auto("current-password").render(values, errors))
            button type="submit" { "Log in" }
        }
        p { "New here? " a href="/signup" { "Create an account" } }
    };
    page(ctx, status, "Log in", body)
}

/// A plain error page.
pub fn error_page(ctx: &Ctx, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = html! {
        h1 { (title) }
        div.alert role="alert" { p { (message) } }
        p { a href=(if ctx.signed_in() { "/dashboard" } else { "/" }) { "Back" } }
    };
    page(ctx, status, title, body)
}
