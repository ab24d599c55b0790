//! Bearer JWTs (HS256, 24 h) carrying tenant, user, product and role.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use shared_types::ProductSlug;
use std::future::{Ready, ready};
use uuid::Uuid;

const TOKEN_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    tid: Uuid,
    product: ProductSlug,
    role: String,
    iat: i64,
    exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
        }
    }

    pub fn issue(&self, user: Uuid, tenant: Uuid, product: ProductSlug, role: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            tid: tenant,
            product,
            role: role.into(),
            iat: now,
            exp: now + TOKEN_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding cannot fail")
    }

    /// Only HS256 is accepted: `alg: none` and other algorithms fail.
    fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}

/// The authenticated caller: the tenant, and the product its token was
/// issued for (a tenant is bound to one product for life).
#[derive(Debug, Clone)]
pub struct Auth {
    pub tenant_id: Uuid,
    pub product: ProductSlug,
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState registered");
        let claims = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| state.jwt.verify(t.trim()));
        ready(match claims {
            Some(c) => {
                tracing::Span::current().record("tenant.id", tracing::field::display(c.tid));
                Ok(Auth {
                    tenant_id: c.tid,
                    product: c.product,
                })
            }
            None => Err(ApiError::Unauthorized),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let keys = JwtKeys::new(&SecretString::from("a".repeat(32)));
        let (u, t) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(u, t, ProductSlug::Booker, "owner");
        let c = keys.verify(&token).unwrap();
        assert_eq!((c.sub, c.tid, c.product), (u, t, ProductSlug::Booker));

        let other = JwtKeys::new(&SecretString::from("b".repeat(32)));
        assert!(other.verify(&token).is_none(), "signed with another secret");

        // alg: none with the same claims.
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            r#"{"alg":"none","typ":"JWT"}"#,
        );
        assert!(
            keys.verify(&format!("{none_header}.{}.", parts[1]))
                .is_none()
        );
    }
}
