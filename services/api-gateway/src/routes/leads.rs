use crate::auth::{Auth, LeadSubmitter};
use crate::error::ApiError;
use crate::leads::{self, ListQuery, MessageInput};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use serde_json::json;
use shared_types::LeadInput;
use utoipa::IntoParams;
use uuid::Uuid;

/// Accepts a lead: stored with its workflow, acted on by the worker.
#[utoipa::path(tag = "leads", request_body = LeadInput, security(("bearer" = []), ("api_key" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "the same key within 24 h returns the first response and creates nothing")),
    responses(
        (status = 201, description = "`{lead, workflowId}`"),
        (status = 409, description = "the Idempotency-Key was used with another body"),
        (status = 400, description = "validation_failed with fields"),
        (status = 401, description = "unauthorized"),
        (status = 403, description = "subscription_required"),
        (status = 429, description = "rate_limited, with Retry-After"),
        (status = 503, description = "overloaded: too many leads in progress; retry after Retry-After (1 s)"),
    ))]
#[post("/leads")]
pub async fn create(
    state: web::Data<AppState>,
    by: LeadSubmitter,
    req: HttpRequest,
    body: web::Json<LeadInput>,
) -> Result<HttpResponse, ApiError> {
    let profile = body.into_inner().parse().map_err(ApiError::fields)?;
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be printable ASCII"))?
                .to_owned(),
        ),
    };
    let created = leads::create(&state, by, profile, key).await?;
    let mut reply = HttpResponse::Created();
    if created.replayed {
        reply.insert_header(("idempotent-replayed", "true"));
    }
    Ok(reply.json(created.body))
}

#[derive(Deserialize, IntoParams)]
struct ListParams {
    /// A lead status.
    status: Option<String>,
    /// 1..200, default 50.
    limit: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// The tenant's leads, newest first.
#[utoipa::path(tag = "leads", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "`{leads, nextCursor}`"), (status = 400, description = "bad parameter")))]
#[get("/leads")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let page = leads::list(
        &state,
        &auth,
        ListQuery {
            status: p.status,
            limit: p.limit,
            cursor: p.cursor,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"leads": page.leads, "nextCursor": page.next_cursor})))
}

/// A malformed id cannot name a lead: the same 404 as another tenant's.
fn lead_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// One lead with its meetings, messages, workflows, decisions and transitions.
#[utoipa::path(tag = "leads", security(("bearer" = [])),
    responses((status = 200, description = "`{lead}`"), (status = 404, description = "not_found")))]
#[get("/leads/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(leads::detail(&state, &auth, lead_id(&id)?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// `converted` or `lost`.
    status: Option<String>,
}

/// Close the lead as converted or lost; its workflow completes.
#[utoipa::path(tag = "leads", request_body = StatusInput, security(("bearer" = [])),
    responses((status = 200, description = "`{lead}`"), (status = 400, description = "validation_failed"), (status = 404, description = "not_found")))]
#[patch("/leads/{id}")]
pub async fn update_status(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, ApiError> {
    let lead = leads::close(&state, &auth, lead_id(&id)?, body.status.as_deref()).await?;
    Ok(HttpResponse::Ok().json(json!({ "lead": lead })))
}

/// Re-queue the current step of the lead's workflow.
#[utoipa::path(tag = "leads", security(("bearer" = [])),
    responses((status = 202, description = "`{workflow}`"), (status = 404, description = "not_found"), (status = 409, description = "nothing waiting to run")))]
#[post("/leads/{id}/process")]
pub async fn process(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wf = leads::process(&state, &auth, lead_id(&id)?).await?;
    Ok(HttpResponse::Accepted().json(json!({ "workflow": wf })))
}

/// Record a reply from the lead; its follow-ups stop at once.
#[utoipa::path(tag = "leads", request_body = MessageInput, security(("bearer" = [])),
    responses((status = 201, description = "`{message}`"), (status = 400, description = "validation_failed"), (status = 404, description = "not_found")))]
#[post("/leads/{id}/messages")]
pub async fn add_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: web::Json<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    let message = leads::add_reply(&state, &auth, lead_id(&id)?, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({ "message": message })))
}
