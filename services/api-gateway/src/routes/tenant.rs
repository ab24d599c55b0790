use crate::api_keys::{self, NewKeyInput};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tenants::{self, LoginInput, Session, SettingsInput, SignUpInput};
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde_json::json;
use uuid::Uuid;

fn session_body(s: Session) -> serde_json::Value {
    json!({"tenant": s.tenant, "user": s.user, "token": s.token})
}

/// Sign up: a tenant bound to one product, its owner, and a token.
#[utoipa::path(tag = "tenant", request_body = SignUpInput, responses(
    (status = 201, description = "`{tenant, user, token}`"),
    (status = 400, description = "validation_failed with fields"),
    (status = 409, description = "email already registered for this product"),
))]
#[post("/tenant/create")]
pub async fn create(
    state: web::Data<AppState>,
    body: web::Json<SignUpInput>,
) -> Result<HttpResponse, ApiError> {
    let session = tenants::sign_up(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(session_body(session)))
}

/// Log in to one product.
#[utoipa::path(tag = "auth", request_body = LoginInput, responses(
    (status = 200, description = "`{token, user, tenant}`"),
    (status = 401, description = "wrong email or password (one answer for both)"),
    (status = 429, description = "too many attempts"),
))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, ApiError> {
    let session = tenants::log_in(&state, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(session_body(session)))
}

/// The caller's tenant (and the signed-in user).
#[utoipa::path(tag = "tenant", security(("bearer" = [])),
    responses((status = 200, description = "`{tenant, user}`; the tenant includes `webhookSigningSecret`"), (status = 401, description = "unauthorized")))]
#[get("/tenant")]
pub async fn show(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let (tenant, user) = tenants::current(&state, &auth).await?;
    // The owner verifies the X-GrowthOS-Signature of webhook deliveries
    // with this secret; it is shown to the tenant and nowhere else.
    let mut body = json!(tenant);
    body["webhookSigningSecret"] = json!(tenant.webhook_secret);
    Ok(HttpResponse::Ok().json(json!({ "tenant": body, "user": user })))
}

/// Change settings; absent fields are kept, `null` clears optional ones.
#[utoipa::path(tag = "tenant", request_body = SettingsInput, security(("bearer" = [])),
    responses((status = 200, description = "`{tenant}`"), (status = 400, description = "validation_failed with fields")))]
#[put("/tenant/settings")]
pub async fn settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<SettingsInput>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenants::update_settings(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "tenant": tenant })))
}

/// Create an API key; the key is in this response only.
#[utoipa::path(tag = "api keys", request_body = NewKeyInput, security(("bearer" = [])),
    responses((status = 201, description = "`{id, name, scope, key}`"), (status = 400, description = "validation_failed")))]
#[post("/api-keys")]
pub async fn create_key(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<NewKeyInput>,
) -> Result<HttpResponse, ApiError> {
    let (row, key) = api_keys::create(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": row.id, "name": row.name, "scope": row.scope, "prefix": row.key_prefix,
        "createdAt": row.created_at, "key": key,
    })))
}

/// The tenant's live keys (never the keys themselves).
#[utoipa::path(tag = "api keys", security(("bearer" = [])), responses((status = 200, description = "`{apiKeys}`")))]
#[get("/api-keys")]
pub async fn list_keys(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let keys = api_keys::list(&state, &auth).await?;
    Ok(HttpResponse::Ok().json(json!({ "apiKeys": keys })))
}

/// Revoke a key at once.
#[utoipa::path(tag = "api keys", security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 404, description = "no such live key")))]
#[delete("/api-keys/{id}")]
pub async fn revoke_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    api_keys::revoke(&state, &auth, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
