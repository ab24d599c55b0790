//! Landing, sign up, log in, log out.

use super::{check_csrf, value};
use crate::gateway::GatewayError;
use crate::session::Ctx;
use crate::views::{self, Errors, Values};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

/// The status of a page re-shown after the gateway refused its form.
fn refusal(e: &GatewayError) -> StatusCode {
    match e.status {
        400 | 422 => StatusCode::UNPROCESSABLE_ENTITY,
        409 => StatusCode::CONFLICT,
        429 => StatusCode::TOO_MANY_REQUESTS,
        s if s >= 500 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

pub async fn landing(ctx: Ctx) -> HttpResponse {
    views::landing(&ctx)
}

pub async fn signup_form(ctx: Ctx) -> HttpResponse {
    views::signup(&ctx, StatusCode::OK, &Values::new(), &Errors::new(), None)
}

pub async fn login_form(ctx: Ctx) -> HttpResponse {
    views::login(&ctx, StatusCode::OK, &Values::new(), &Errors::new(), None)
}

/// The session from a `{token,...}` answer, then the dashboard.
fn signed_in(mut ctx: Ctx, answer: &Value) -> HttpResponse {
    match answer["token"].as_str() {
        Some(t) => {
            ctx.start_session(t.to_owned());
            ctx.redirect("/dashboard")
        }
        None => views::error_page(
            &ctx,
            actix_web::http::StatusCode::BAD_GATEWAY,
            "Something went wrong",
            "Please try again.",
        ),
    }
}

pub async fn signup(ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let mut form = form.into_inner();
    if let Err(r) = check_csrf(&ctx, &form) {
        return *r;
    }
    let mut body = json!({
        "name": value(&form, "name").unwrap_or(""),
        "email": value(&form, "email").unwrap_or(""),
        "password": form.get("password").map(String::as_str).unwrap_or(""),
        "product": ctx.state.product.slug.as_str(),
    });
    if let Some(tz) = value(&form, "timezone") {
        body["timezone"] = tz.into();
    }
    let result = ctx
        .state
        .gateway
        .post_public("/api/tenant/create", &body)
        .await;
    form.remove("password");
    match result {
        Ok(answer) => signed_in(ctx, &answer),
        Err(mut e) => {
            if e.status == 409 {
                e.fields.insert(
                    "email".into(),
                    "is already registered for this product: log in instead".into(),
                );
            }
            views::signup(&ctx, refusal(&e), &form, &e.fields, Some(&e.message))
        }
    }
}

pub async fn login(ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let mut form = form.into_inner();
    if let Err(r) = check_csrf(&ctx, &form) {
        return *r;
    }
    let body = json!({
        "email": value(&form, "email").unwrap_or(""),
        "password": form.get("password").map(String::as_str).unwrap_or(""),
        "product": ctx.state.product.slug.as_str(),
    });
    let result = ctx
        .state
        .gateway
        .post_public("/api/auth/login", &body)
        .await;
    form.remove("password");
    match result {
        Ok(answer) => signed_in(ctx, &answer),
        Err(e) if e.status == 401 => views::login(
            &ctx,
            StatusCode::UNAUTHORIZED,
            &form,
            &Errors::new(),
            Some("Wrong email or password."),
        ),
        Err(e) => views::login(&ctx, refusal(&e), &form, &e.fields, Some(&e.message)),
    }
}

pub async fn logout(mut ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    if let Err(r) = check_csrf(&ctx, &form) {
        return *r;
    }
    ctx.end_session();
    ctx.redirect("/")
}
