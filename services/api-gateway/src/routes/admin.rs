//! /internal: operators' routes, each taking `AdminAuth` first.

use crate::admin::{self, ActivateInput, AdminAuth};
use crate::error::ApiError;
use crate::operations;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// Manual activation mode: activate a tenant. 404 in stripe mode.
#[utoipa::path(tag = "admin", request_body = ActivateInput, security(("admin_secret" = [])),
    responses(
        (status = 200, description = "`{tenant}`, now active"),
        (status = 400, description = "validation_failed: tenantId is not a uuid"),
        (status = 401, description = "missing or wrong X-Admin-Secret"),
        (status = 404, description = "no such tenant; or stripe mode; or no ADMIN_SECRET configured"),
    ))]
#[post("/activate-tenant")]
pub async fn activate_tenant(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<ActivateInput>,
) -> Result<HttpResponse, ApiError> {
    let tenant = admin::activate_tenant(&state, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "tenant": tenant })))
}

/// Per product: tenants, churn, MRR in cents and the pipeline numbers.
#[utoipa::path(tag = "admin", security(("admin_secret" = [])),
    responses((status = 200, description = "`{products: [...]}`"), (status = 401, description = "missing or wrong X-Admin-Secret")))]
#[get("/experiment-stats")]
pub async fn experiment_stats(
    _admin: AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(operations::experiment_stats(&state).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeadLetterParams {
    /// 1..1000, default 100.
    limit: Option<usize>,
}

/// Events that exhausted their retries, newest first.
#[utoipa::path(tag = "admin", params(DeadLetterParams), security(("admin_secret" = [])),
    responses((status = 200, description = "`{deadLetters: [{id, event, error}]}`"), (status = 401, description = "missing or wrong X-Admin-Secret")))]
#[get("/dead-letters")]
pub async fn dead_letters(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<DeadLetterParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let letters = operations::dead_letters(&state, limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "deadLetters": letters })))
}

/// Put a dead letter back on the stream with a fresh retry budget.
#[utoipa::path(tag = "admin", security(("admin_secret" = [])),
    responses((status = 202, description = "`{replayed: true}`"), (status = 404, description = "no such dead letter")))]
#[post("/dead-letters/{id}/replay")]
pub async fn replay_dead_letter(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    operations::replay(&state, &id).await?;
    Ok(HttpResponse::Accepted().json(json!({ "replayed": true })))
}

/// Prometheus text metrics of this gateway process (HTTP requests by route
/// and status, events published, agent and provider latency) and the
/// stream backlog. The worker and the scheduler serve theirs at GET /metrics
/// on their probe ports.
#[utoipa::path(tag = "admin", security(("admin_secret" = [])),
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
        (status = 401, description = "missing or wrong X-Admin-Secret"),
    ))]
#[get("/metrics")]
pub async fn metrics(
    _admin: AdminAuth,
    probes: web::Data<core_engine::probes::Probes>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(core_engine::probes::PROMETHEUS_TEXT)
        .body(core_engine::probes::render_metrics(&probes.bus).await)
}
