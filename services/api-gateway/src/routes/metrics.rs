use crate::auth::Auth;
use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};

/// The caller's tenant metrics (API.md "Metrics").
#[utoipa::path(tag = "metrics", security(("bearer" = [])), responses(
    (status = 200, description = "leads, qualifiedLeads, disqualifiedLeads, avgScore, meetingsBooked, emailsSent, followupsSent, webhooksFired, replyRate, conversionRate, totalWorkflows, activeWorkflows, escalatedLeads, medianSpeedToLeadMs, subscriptionStatus, activationMode, product"),
    (status = 401, description = "unauthorized"),
    (status = 403, description = "subscription_required"),
))]
#[get("/metrics")]
pub async fn show(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(metrics::for_caller(&state, &auth).await?))
}
