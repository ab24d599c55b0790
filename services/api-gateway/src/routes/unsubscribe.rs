use crate::error::ApiError;
use crate::request_id::QueryToken;
use crate::state::AppState;
use crate::unsubscribe;
use actix_web::{HttpResponse, get, post, web};
use orchestrator::emails::escape_html;

/// The signed token from the email's link, as `?token=`. The request-id
/// middleware moves it out of the URI so the request log never holds it.
fn token(t: &Option<web::ReqData<QueryToken>>) -> &str {
    t.as_ref().map(|t| t.0.as_str()).unwrap_or_default()
}

fn page(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem\">\
             <h1>{title}</h1>{body}</body></html>"
        ))
}

/// The confirmation page behind the visible link: a button, no side effect.
#[utoipa::path(tag = "unsubscribe", params(("token" = String, Query, description = "the signed token from the email's link")), responses(
    (status = 200, description = "HTML page with an Unsubscribe button"),
    (status = 400, description = "HTML page: the link is not valid"),
))]
#[get("/unsubscribe")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    t: Option<web::ReqData<QueryToken>>,
) -> HttpResponse {
    let token = token(&t);
    match unsubscribe::check(&state, token) {
        Ok(email) => page(
            actix_web::http::StatusCode::OK,
            "Unsubscribe",
            &format!(
                "<p>Stop marketing emails to <strong>{}</strong>?</p>\
                 <form method=\"post\" action=\"/unsubscribe?token={}\">\
                 <button type=\"submit\">Unsubscribe</button></form>",
                escape_html(&email),
                escape_html(token)
            ),
        ),
        Err(_) => page(
            actix_web::http::StatusCode::BAD_REQUEST,
            "This link is not valid",
            "<p>The unsubscribe link is incomplete or was changed. Use the link from the email itself.</p>",
        ),
    }
}

/// One-click unsubscribe (RFC 8058): the token in the query, as in the
/// List-Unsubscribe header; the body (`List-Unsubscribe=One-Click`) is
/// not needed.
#[utoipa::path(tag = "unsubscribe", params(("token" = String, Query, description = "the signed token from the email's link")), responses(
    (status = 200, description = "HTML page: unsubscribed (idempotent)"),
    (status = 400, description = "validation_failed: the token is not valid"),
))]
#[post("/unsubscribe")]
pub async fn one_click(
    state: web::Data<AppState>,
    t: Option<web::ReqData<QueryToken>>,
) -> Result<HttpResponse, ApiError> {
    let email = unsubscribe::unsubscribe(&state, token(&t)).await?;
    Ok(page(
        actix_web::http::StatusCode::OK,
        "You are unsubscribed",
        &format!(
            "<p><strong>{}</strong> will get no more marketing emails from this sender.</p>",
            escape_html(&email)
        ),
    ))
}
