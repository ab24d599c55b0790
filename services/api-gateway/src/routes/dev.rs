use crate::dev_tools::{self, BootstrapInput};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// An active tenant for local trials (absent in production). An empty body is fine.
#[utoipa::path(tag = "development", request_body(content = BootstrapInput, description = "every field optional"), responses((status = 201, description = "`{tenant, user, token, usage}`")))]
#[post("/bootstrap")]
pub async fn bootstrap(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: BootstrapInput = if body.iter().all(u8::is_ascii_whitespace) {
        BootstrapInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?
    };
    let b = dev_tools::bootstrap(&state, input).await?;
    let usage = format!(
        "export TOKEN={token}\ncurl -s -X POST localhost:8080/api/leads -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"name\":\"Sam Lee\",\"email\":\"sam@acme-dental.com\",\"source\":\"referral\",\"metadata\":{{\"jobTitle\":\"Owner\",\"companySize\":12,\"intent\":\"need a quote this week\",\"timeline\":\"this week\"}}}}'\ncurl -s localhost:8080/dev/outbox",
        token = b.token
    );
    Ok(HttpResponse::Created()
        .json(json!({"tenant": b.tenant, "user": b.user, "token": b.token, "usage": usage})))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct OutboxParams {
    limit: Option<i64>,
}

/// Emails the outbox mailer stored instead of sending (absent in production).
#[utoipa::path(tag = "development", params(OutboxParams), responses((status = 200, description = "`{emails}`")))]
#[get("/outbox")]
pub async fn outbox(
    state: web::Data<AppState>,
    q: web::Query<OutboxParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(HttpResponse::Ok().json(dev_tools::outbox(&state, limit).await?))
}
