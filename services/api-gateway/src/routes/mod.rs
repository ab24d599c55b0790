//! Route table. Handlers only extract, call a use case and shape the reply.
//! Each handler carries its `#[utoipa::path]`, and registration goes through
//! utoipa-actix-web, so /openapi.json lists exactly what is served.

mod admin;
mod billing;
mod dev;
mod leads;
mod metrics;
mod resend;
mod system;
mod tenant;
mod unsubscribe;

use crate::error::ApiError;
use actix_web::HttpResponse;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn configure(cfg: &mut ServiceConfig, production: bool) {
    cfg.service(system::health)
        .service(system::ready)
        .service(system::openapi_json)
        .service(metrics::show)
        .service(unsubscribe::confirm_page)
        .service(unsubscribe::one_click)
        .service(
            scope("/api")
                .service(tenant::create)
                .service(tenant::login)
                .service(tenant::show)
                .service(tenant::settings)
                .service(tenant::create_key)
                .service(tenant::list_keys)
                .service(tenant::revoke_key)
                .service(leads::create)
                .service(leads::list)
                .service(leads::detail)
                .service(leads::update_status)
                .service(leads::process)
                .service(leads::add_message)
                .service(billing::checkout)
                .service(billing::stripe_webhook)
                .service(resend::webhook),
        )
        .service(
            scope("/internal")
                .service(admin::activate_tenant)
                .service(admin::experiment_stats)
                .service(admin::dead_letters)
                .service(admin::replay_dead_letter)
                .service(admin::metrics),
        );
    if !production {
        cfg.service(scope("/dev").service(dev::bootstrap).service(dev::outbox));
    }
}

/// Unknown routes: API.md's JSON 404.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}
