use crate::openapi::Document;
use actix_web::{HttpResponse, get, web};
use core_engine::probes::{self, Probes};

/// Liveness: touches no dependency.
#[utoipa::path(tag = "system", responses((status = 200, description = "the process is alive")))]
#[get("/health")]
pub async fn health(p: web::Data<Probes>) -> HttpResponse {
    probes::health(p).await
}

/// Readiness: database, Redis and migrations.
#[utoipa::path(tag = "system", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "a dependency is failing; `checks` names it"),
))]
#[get("/ready")]
pub async fn ready(p: web::Data<Probes>) -> HttpResponse {
    probes::ready(p).await
}

/// This document.
#[utoipa::path(tag = "system", responses((status = 200, description = "OpenAPI 3 document")))]
#[get("/openapi.json")]
pub async fn openapi_json(doc: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.json().to_owned())
}
