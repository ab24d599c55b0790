use crate::auth::Auth;
use crate::error::ApiError;
use crate::leads::{self, ListQuery};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use shared_types::LeadInput;
use uuid::Uuid;

pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<LeadInput>,
) -> Result<HttpResponse, ApiError> {
    let profile = body.into_inner().parse().map_err(ApiError::fields)?;
    let accepted = leads::create(&state, &auth, profile).await?;
    Ok(HttpResponse::Created()
        .json(json!({"lead": accepted.lead, "workflowId": accepted.workflow.id})))
}

#[derive(Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let page = leads::list(
        &state,
        auth.tenant_id,
        ListQuery {
            status: p.status,
            limit: p.limit,
            cursor: p.cursor,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"leads": page.leads, "nextCursor": page.next_cursor})))
}

pub async fn detail(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // A malformed id cannot name a lead: the same 404 as another tenant's.
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(leads::detail(&state, auth.tenant_id, id).await?))
}
