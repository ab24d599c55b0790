//! Routes: thin handlers that read the form, call the gateway and render.

mod account;
mod billing;
mod leads;
mod settings;

use crate::gateway::GatewayError;
use crate::session::Ctx;
use crate::views;
use crate::views::Values;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/static/app.css", web::get().to(stylesheet))
        .route("/static/refresh.js", web::get().to(refresh_script))
        .route("/", web::get().to(account::landing))
        .route("/signup", web::get().to(account::signup_form))
        .route("/signup", web::post().to(account::signup))
        .route("/login", web::get().to(account::login_form))
        .route("/login", web::post().to(account::login))
        .route("/logout", web::post().to(account::logout))
        .route("/dashboard", web::get().to(billing::dashboard))
        .route("/billing/activate", web::post().to(billing::activate))
        .route("/billing/success", web::get().to(billing::success))
        .route("/billing/cancel", web::get().to(billing::cancel))
        .route("/metrics", web::get().to(billing::metrics))
        .route("/leads", web::get().to(leads::list))
        .route("/leads", web::post().to(leads::create))
        .route("/leads/{id}", web::get().to(leads::detail))
        .route("/leads/{id}/status", web::post().to(leads::set_status))
        .route("/settings", web::get().to(settings::show))
        .route("/settings", web::post().to(settings::save))
        .route("/settings/api-keys", web::post().to(settings::create_key))
        .route(
            "/settings/api-keys/{id}/revoke",
            web::post().to(settings::revoke_key),
        )
        .default_service(web::to(not_found));
}

async fn health(ctx: Ctx) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "service": ctx.state.product.slug.as_str(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../style.css"))
}

async fn refresh_script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../refresh.js"))
}

async fn not_found(ctx: Ctx) -> HttpResponse {
    views::error_page(
        &ctx,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

/// The session's token, or the login page.
fn signed_in(ctx: &Ctx) -> Result<String, Box<HttpResponse>> {
    ctx.token()
        .map(str::to_owned)
        .ok_or_else(|| Box::new(ctx.redirect("/login")))
}

/// A signed-in user's POST: its CSRF token checked, then the session's API
/// token.
fn signed_in_post(ctx: &Ctx, form: &Values) -> Result<String, Box<HttpResponse>> {
    check_csrf(ctx, form)?;
    signed_in(ctx)
}

/// Every POST: refused unless it carries this session's CSRF token.
fn check_csrf(ctx: &Ctx, form: &Values) -> Result<(), Box<HttpResponse>> {
    if ctx.csrf_ok(form.get("csrf").map(String::as_str)) {
        Ok(())
    } else {
        Err(Box::new(views::error_page(
            ctx,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "For your security the form could not be sent. Go back, reload the page and try again.",
        )))
    }
}

/// A gateway refusal that is not about a form field.
fn failed(ctx: &mut Ctx, e: GatewayError, title: &str) -> HttpResponse {
    match e.status {
        401 => {
            ctx.end_session();
            ctx.redirect("/login")
        }
        403 if e.is("subscription_required") => views::subscription_required(ctx, title),
        404 => views::error_page(
            ctx,
            StatusCode::NOT_FOUND,
            "Not found",
            "This item does not exist or belongs to another account.",
        ),
        s => views::error_page(
            ctx,
            if s == 429 || s >= 500 {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_REQUEST
            },
            title,
            &e.message,
        ),
    }
}

/// Trimmed, non-empty form value.
fn value<'a>(form: &'a Values, key: &str) -> Option<&'a str> {
    form.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}
