//! Bearer JWTs (HS256, 24 h) carrying tenant, user, product and role.

use crate::api_keys;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use shared_types::ProductSlug;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const TOKEN_TTL_SECS: i64 = 24 * 3600;
/// Seconds a token is still accepted after its `exp` (clock skew).
const LEEWAY_SECS: i64 = 30;
/// Tokens whose verification is remembered at most; past it the memory
/// starts over (a small business has a handful of active sessions).
const VERIFIED_CAPACITY: usize = 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Tokens already verified, with their claims: a client sends the same
    /// token with every lead, and the signature check and the two base64 and
    /// JSON decodings were a few per cent of the gateway's CPU per lead. The
    /// key never changes while the process runs, so a token that verified
    /// once verifies again; only its expiry is checked anew.
    verified: Arc<Mutex<HashMap<Box<str>, Claims>>>,
}

impl JwtKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            verified: Arc::default(),
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
        let now = chrono::Utc::now().timestamp();
        let verified = self.verified.lock().expect("verified tokens lock");
        if let Some(claims) = verified.get(token) {
            return (claims.exp + LEEWAY_SECS > now).then(|| claims.clone());
        }
        drop(verified);
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = LEEWAY_SECS as u64;
        v.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .ok()?
            .claims;
        let mut verified = self.verified.lock().expect("verified tokens lock");
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Some(claims)
    }
}

/// The request's bearer token verified once: the rate limiter needs its
/// tenant before the handler's extractor runs, and both read this.
#[derive(Clone)]
struct VerifiedBearer(Option<Claims>);

/// The claims of the request's `Authorization: Bearer` token; `None` when
/// there is none or it does not verify.
fn bearer_claims(req: &HttpRequest) -> Option<Claims> {
    if let Some(v) = req.extensions().get::<VerifiedBearer>() {
        return v.0.clone();
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState registered");
    let claims = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| state.jwt.verify(t.trim()));
    req.extensions_mut().insert(VerifiedBearer(claims.clone()));
    claims
}

/// The tenant a verified bearer token names (the rate limiter counts
/// authenticated requests per tenant).
pub fn bearer_tenant(req: &HttpRequest) -> Option<Uuid> {
    bearer_claims(req).map(|c| c.tid)
}

/// Header a product app sends so that a token issued for another product
/// is refused on its routes (a tenant is bound to one product for life).
pub const PRODUCT_HEADER: &str = "x-growthos-product";

/// The authenticated user of a tenant, from a bearer JWT.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub product: ProductSlug,
    pub role: String,
}

impl Auth {
    fn from_claims(c: Claims) -> Self {
        Auth {
            user_id: c.sub,
            tenant_id: c.tid,
            product: c.product,
            role: c.role,
        }
    }
}

/// The bearer token of the request, verified, and consistent with the
/// product the calling app says it is.
fn bearer(req: &HttpRequest) -> Result<Option<Auth>, ApiError> {
    if !req.headers().contains_key("authorization") {
        return Ok(None);
    }
    let claims = bearer_claims(req).ok_or(ApiError::Unauthorized)?;
    if let Some(p) = req.headers().get(PRODUCT_HEADER)
        && p.to_str().ok() != Some(claims.product.as_str())
    {
        return Err(ApiError::Unauthorized);
    }
    let auth = Auth::from_claims(claims);
    let span = tracing::Span::current();
    span.record("tenant.id", tracing::field::display(auth.tenant_id));
    Ok(Some(auth))
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer(req).and_then(|a| a.ok_or(ApiError::Unauthorized)))
    }
}

/// Who may submit a lead: a signed-in user (bearer JWT) or a tenant API
/// key in `X-API-Key` (any scope).
#[derive(Debug, Clone, Copy)]
pub struct LeadSubmitter {
    pub tenant_id: Uuid,
    pub product: ProductSlug,
}

impl FromRequest for LeadSubmitter {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let from_token = match bearer(req) {
            Ok(Some(a)) => Ok(LeadSubmitter {
                tenant_id: a.tenant_id,
                product: a.product,
            }),
            Ok(None) => Err(ApiError::Unauthorized),
            Err(e) => Err(e),
        };
        let key = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState registered")
            .clone();
        Box::pin(async move {
            match (from_token, key) {
                (Ok(s), _) => Ok(s),
                (Err(ApiError::Unauthorized), Some(key)) => {
                    let (tenant_id, product) = api_keys::authenticate(&state, &key).await?;
                    tracing::Span::current()
                        .record("tenant.id", tracing::field::display(tenant_id));
                    Ok(LeadSubmitter { tenant_id, product })
                }
                (Err(e), _) => Err(e),
            }
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

    #[test]
    fn a_remembered_token_still_expires_and_only_its_exact_text_is_remembered() {
        let keys = JwtKeys::new(&SecretString::from("a".repeat(32)));
        let token = keys.issue(Uuid::new_v4(), Uuid::new_v4(), ProductSlug::Booker, "owner");
        assert!(keys.verify(&token).is_some());
        assert_eq!(keys.verified.lock().unwrap().len(), 1, "remembered");

        // A changed signature is a different text: verified, and refused.
        let at = token.len() - 5;
        let flipped = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
        assert!(keys.verify(&forged).is_none());

        let past = chrono::Utc::now().timestamp() - LEEWAY_SECS - 1;
        keys.verified
            .lock()
            .unwrap()
            .get_mut(token.as_str())
            .unwrap()
            .exp = past;
        assert!(keys.verify(&token).is_none(), "expired while remembered");
    }
}
