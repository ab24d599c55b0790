use crate::auth::Auth;
use crate::billing::{self, CheckoutInput, WebhookOutcome};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::json;

/// A Stripe Checkout Session for the caller's subscription. Open to
/// tenants that have not paid yet; 409 in manual activation mode.
#[utoipa::path(tag = "billing", security(("bearer" = [])),
    request_body(content = CheckoutInput, description = "optional; defaults come from the product app URL"),
    responses(
        (status = 200, description = "`{checkoutUrl, sessionId}`"),
        (status = 400, description = "validation_failed: a return URL is not absolute http(s)"),
        (status = 401, description = "unauthorized"),
        (status = 409, description = "manual activation mode, or already subscribed"),
        (status = 503, description = "Stripe is unavailable or not configured"),
    ))]
#[post("/billing/checkout")]
pub async fn checkout(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: CheckoutInput = if body.iter().all(u8::is_ascii_whitespace) {
        CheckoutInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?
    };
    let started = billing::checkout(&state, &auth, input).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"checkoutUrl": started.checkout_url, "sessionId": started.session_id})))
}

/// Stripe's webhook: the raw event, verified against `Stripe-Signature`.
/// A replayed event id answers 200 and changes nothing.
#[utoipa::path(tag = "billing",
    request_body(content = String, content_type = "application/json", description = "a Stripe Event, signed"),
    params(("Stripe-Signature" = String, Header, description = "t=<unix>,v1=<hex hmac>[,v1=...]")),
    responses(
        (status = 200, description = "`{received: true}`, or `{status: \"ignored\"}` in manual mode"),
        (status = 400, description = "validation_failed: signature missing, invalid or older than 5 minutes"),
        (status = 503, description = "Stripe could not be read; Stripe delivers the event again"),
    ))]
#[post("/stripe/webhook")]
pub async fn stripe_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    Ok(
        match billing::handle_webhook(&state, signature, &body).await? {
            WebhookOutcome::Ignored => HttpResponse::Ok()
                .json(json!({"status": "ignored", "reason": "manual activation mode"})),
            WebhookOutcome::Processed | WebhookOutcome::Duplicate => {
                HttpResponse::Ok().json(json!({"received": true}))
            }
        },
    )
}
