//! Route table. Handlers only extract, call a use case and shape the reply.

mod dev;
mod leads;

use crate::error::ApiError;
use actix_web::{HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig, production: bool) {
    cfg.service(
        web::scope("/api")
            .route("/leads", web::post().to(leads::create))
            .route("/leads", web::get().to(leads::list))
            .route("/leads/{id}", web::get().to(leads::detail)),
    );
    if !production {
        cfg.service(
            web::scope("/dev")
                .route("/bootstrap", web::post().to(dev::bootstrap))
                .route("/outbox", web::get().to(dev::outbox)),
        );
    }
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
