//! GET /openapi.json: the OpenAPI 3 document built from the registered
//! handlers' own annotations and types.

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GrowthOS gateway",
        description = "One backend for AI Booker, AI Lead Qualifier and AI FollowUp."
    ),
    modifiers(&Security)
)]
struct Base;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        c.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        c.add_security_scheme(
            "admin_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Admin-Secret"))),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// The finished document, serialized once per worker.
pub struct Document(String);

impl From<utoipa::openapi::OpenApi> for Document {
    fn from(doc: utoipa::openapi::OpenApi) -> Self {
        Self(doc.to_json().expect("an OpenAPI document serializes"))
    }
}

impl Document {
    pub fn json(&self) -> &str {
        &self.0
    }
}
