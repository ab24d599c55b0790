//! The browser session and CSRF protection.
//!
//! * Session: the gateway's JWT in an HttpOnly, SameSite=Lax cookie whose
//!   name carries the product (`__Host-gos-saas-booker-session`; `Secure`
//!   and the `__Host-` prefix except on a plain-http loopback URL). A token
//!   whose `product` claim is another product, or that has expired, is
//!   treated as no session and cleared; the gateway refuses it anyway
//!   (`X-GrowthOS-Product`).
//! * CSRF: a random nonce in its own HttpOnly cookie; every form carries
//!   `HMAC-SHA256(APP_SECRET, nonce, session)`, checked on every POST, so
//!   a token is bound to the browser and to the session it was shown to.

use crate::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

const SESSION_MAX_AGE_SECS: i64 = 24 * 3600;

/// The two cookie names of one product app.
#[derive(Clone)]
pub struct CookieNames {
    pub session: String,
    pub csrf: String,
    pub secure: bool,
}

impl CookieNames {
    pub fn new(slug: &str, secure: bool) -> Self {
        let prefix = if secure { "__Host-gos" } else { "gos" };
        Self {
            session: format!("{prefix}-{slug}-session"),
            csrf: format!("{prefix}-{slug}-csrf"),
            secure,
        }
    }

    fn cookie(&self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }
}

/// What every handler needs about the request: the app, the session and
/// the CSRF nonce.
pub struct Ctx {
    pub state: web::Data<AppState>,
    /// The request path, for the navigation's `aria-current`.
    pub path: String,
    token: Option<String>,
    nonce: String,
    new_nonce: bool,
    set_session: Option<Option<String>>,
}

fn cookie_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The claims this app relies on, read without verifying the signature:
/// the gateway verifies it on every call. Only used to drop a token of
/// another product or an expired one early.
fn token_fits(token: &str, product: &str) -> bool {
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    let Some(claims) = B64
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return false;
    };
    claims["product"] == product
        && claims["exp"]
            .as_i64()
            .is_some_and(|exp| exp > chrono::Utc::now().timestamp())
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState registered")
            .clone();
        let names = &state.cookies;
        let raw_session = cookie_value(req, &names.session).map(str::to_owned);
        let token = raw_session
            .clone()
            .filter(|t| token_fits(t, state.product.slug.as_str()));
        let clear = raw_session.is_some() && token.is_none();
        let (nonce, new_nonce) = match cookie_value(req, &names.csrf) {
            Some(n) if n.len() >= 32 && n.chars().all(|c| c.is_ascii_alphanumeric()) => {
                (n.to_owned(), false)
            }
            _ => (
                format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                ),
                true,
            ),
        };
        ready(Ok(Ctx {
            state,
            path: req.path().to_owned(),
            token,
            nonce,
            new_nonce,
            set_session: clear.then_some(None),
        }))
    }
}

impl Ctx {
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn signed_in(&self) -> bool {
        self.token.is_some()
    }

    /// The CSRF token forms carry, bound to the nonce cookie and session.
    pub fn csrf_token(&self) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.state.cfg.secret).expect("any key length");
        mac.update(self.nonce.as_bytes());
        mac.update(&[0]);
        mac.update(self.token.as_deref().unwrap_or("").as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// A POST is accepted only with the token of this browser and session
    /// (a nonce made just now means the browser sent no cookie).
    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        !self.new_nonce
            && given.is_some_and(|g| g.as_bytes().ct_eq(self.csrf_token().as_bytes()).into())
    }

    /// Signs in: the response sets the session cookie.
    pub fn start_session(&mut self, token: String) {
        self.token = Some(token.clone());
        self.set_session = Some(Some(token));
    }

    /// Signs out (or drops a session the gateway refused).
    pub fn end_session(&mut self) {
        self.token = None;
        self.set_session = Some(None);
    }

    /// Adds the cookies this request made or changed.
    pub fn finish(&self, mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
        let names = &self.state.cookies;
        if self.new_nonce {
            builder.append_header((
                header::SET_COOKIE,
                names.cookie(&names.csrf, &self.nonce, 30 * 24 * 3600),
            ));
        }
        match &self.set_session {
            Some(Some(t)) => {
                builder.append_header((
                    header::SET_COOKIE,
                    names.cookie(&names.session, t, SESSION_MAX_AGE_SECS),
                ));
            }
            Some(None) => {
                builder.append_header((header::SET_COOKIE, names.cookie(&names.session, "", 0)));
            }
            None => {}
        }
        builder
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("x-frame-options", "DENY"))
            .insert_header(("x-content-type-options", "nosniff"))
            .insert_header(("referrer-policy", "same-origin"))
            .insert_header((
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ));
        builder
    }

    /// 303 to `to`, with this request's cookies.
    pub fn redirect(&self, to: &str) -> HttpResponse {
        self.finish(HttpResponse::SeeOther())
            .insert_header((header::LOCATION, to))
            .finish()
    }
}
