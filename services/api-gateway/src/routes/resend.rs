use crate::error::ApiError;
use crate::resend_webhook::{self, Outcome, SvixHeaders};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::json;

/// Resend's webhook: delivery, bounce, complaint and inbound (`email.received`)
/// events, verified against the Svix headers over the raw body. A permanent
/// bounce or a complaint stops all mail to the address; a lead's reply stops
/// its follow-ups, an out-of-office answer pauses them. A replayed `svix-id`
/// answers 200 and changes nothing. Unsigned events are accepted only in
/// development without RESEND_WEBHOOK_SECRET.
#[utoipa::path(tag = "email",
    request_body(content = String, content_type = "application/json",
        description = "a Resend webhook event `{type, created_at, data}`, signed by Svix"),
    params(
        ("svix-id" = String, Header, description = "the message id, the same on every retry"),
        ("svix-timestamp" = String, Header, description = "unix seconds when this attempt was signed"),
        ("svix-signature" = String, Header, description = "space-separated `v1,<base64 HMAC-SHA256>` entries"),
    ),
    responses(
        (status = 200, description = "`{received: true, outcome}`: suppressed, ignored, replied, auto_reply, unmatched, recorded or duplicate"),
        (status = 400, description = "validation_failed: a Svix header missing, the signature wrong, or the timestamp more than 5 minutes old or in the future; nothing stored"),
        (status = 503, description = "service_unavailable: RESEND_WEBHOOK_SECRET is not set (production)"),
    ))]
#[post("/resend/webhook")]
pub async fn webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = SvixHeaders {
        id: header("svix-id"),
        timestamp: header("svix-timestamp"),
        signature: header("svix-signature"),
    };
    let outcome = resend_webhook::handle(&state, headers, &body).await?;
    let mut reply = json!({"received": true, "outcome": outcome.as_str()});
    if outcome == Outcome::Duplicate {
        reply["duplicate"] = json!(true);
    }
    Ok(HttpResponse::Ok().json(reply))
}
