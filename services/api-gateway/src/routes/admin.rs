//! /internal: operators' routes, each taking `AdminAuth` first.

use crate::admin::{self, ActivateInput, AdminAuth};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
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
