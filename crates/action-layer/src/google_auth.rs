//! Service-account OAuth for Google Calendar: the JWT-bearer grant (RS256
//! assertion form-POSTed to the token endpoint), with the access token cached
//! until a minute before it expires.

use std::time::{Duration, Instant};

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::provider_call::{ActionError, CallTimer, ProviderCall, transport_error, truncate};

const SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google refuses assertions that live longer than one hour.
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Refresh this long before expiry so a token never dies mid-request.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The two fields of the key file we use; `token_uri` is ignored in favour
/// of the configured token URL (tests point it at a fake).
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: SecretString,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    expires_in: u64,
}

struct CachedToken {
    access_token: SecretString,
    refresh_at: Instant,
}

pub(crate) struct GoogleAuth {
    client_email: String,
    key: EncodingKey,
    token_url: String,
    timeout: Duration,
    // A tokio Mutex so concurrent callers wait for one token fetch instead
    // of each fetching their own.
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

impl GoogleAuth {
    pub(crate) fn from_credentials(
        credentials_json: &SecretString,
        token_url: String,
        timeout: Duration,
    ) -> Result<Self, ActionError> {
        // serde's messages can quote the input, so only the position is kept.
        let parsed: ServiceAccountKey = serde_json::from_str(credentials_json.expose_secret())
            .map_err(|err| {
                ActionError::Permanent(format!(
                    "google credentials: not a service-account key file (line {}, column {})",
                    err.line(),
                    err.column()
                ))
            })?;
        let key = EncodingKey::from_rsa_pem(parsed.private_key.expose_secret().as_bytes())
            .map_err(|_| {
                ActionError::Permanent(
                    "google credentials: private_key is not an RSA PEM key".to_owned(),
                )
            })?;
        Ok(Self {
            client_email: parsed.client_email,
            key,
            token_url,
            timeout,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    pub(crate) fn client_email(&self) -> &str {
        &self.client_email
    }

    /// A valid access token, from the cache or from the token endpoint (one
    /// `ProviderCall` pushed to `calls` when the endpoint is hit).
    #[tracing::instrument(skip_all)]
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        calls: &mut Vec<ProviderCall>,
    ) -> Result<SecretString, ActionError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.access_token.clone());
        }
        let (result, call) = self.fetch(http).await;
        calls.push(call);
        let fresh = result?;
        let lifetime = Duration::from_secs(fresh.expires_in).saturating_sub(REFRESH_MARGIN);
        let token = fresh.access_token.clone();
        *cached = Some(CachedToken {
            access_token: fresh.access_token,
            refresh_at: Instant::now() + lifetime,
        });
        Ok(token)
    }

    /// Drops the cached token after the API rejected it (401).
    pub(crate) async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
    ) -> (Result<TokenResponse, ActionError>, ProviderCall) {
        let request = json!({
            "url": self.token_url,
            "grant_type": GRANT_TYPE,
            "iss": self.client_email,
            "scope": SCOPE,
        });
        let timer = CallTimer::start("calendar_token", "google", None, request);
        let assertion = match self.assertion() {
            Ok(assertion) => assertion,
            Err(err) => {
                let call = timer.finish(None, None, Some(err.to_string()));
                return (Err(err), call);
            }
        };
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", GRANT_TYPE)
            .append_pair("assertion", &assertion)
            .finish();
        let sent = http
            .post(&self.token_url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(USER_AGENT, crate::USER_AGENT)
            .timeout(self.timeout)
            .body(form)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                let reason = format!("google token: {}", transport_error(&err));
                let call = timer.finish(None, None, Some(reason.clone()));
                return (Err(ActionError::Transient(reason)), call);
            }
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return match serde_json::from_str::<TokenResponse>(&text) {
                Ok(token) => {
                    // Never the token itself.
                    let recorded =
                        json!({ "expires_in": token.expires_in, "token_type": "Bearer" });
                    (Ok(token), timer.finish(Some(status), Some(recorded), None))
                }
                Err(_) => {
                    let err = ActionError::Transient(
                        "google token: unreadable token response".to_owned(),
                    );
                    let call = timer.finish(Some(status), None, Some(err.to_string()));
                    (Err(err), call)
                }
            };
        }
        // OAuth errors are `{error, error_description}`: no secrets in them.
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| json!({ "body": truncate(&text, 300) }));
        let described = format!(
            "google token: {status} {} {}",
            body.get("error").and_then(Value::as_str).unwrap_or(""),
            body.get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        let err = if status == 429 || status >= 500 {
            ActionError::Transient(described)
        } else {
            ActionError::Permanent(described)
        };
        let call = timer.finish(Some(status), Some(body), Some(err.to_string()));
        (Err(err), call)
    }

    fn assertion(&self) -> Result<String, ActionError> {
        let iat = Utc::now().timestamp();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_url,
            iat,
            exp: iat + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key).map_err(|err| {
            ActionError::Permanent(format!("google token: signing the assertion failed: {err}"))
        })
    }
}
