//! One HTTP client for every probe (timeout, no redirects, a User-Agent:
//! Resend refuses requests without one) and a small Stripe REST client
//! (form bodies, Bearer key, pinned Stripe-Version, Idempotency-Key).

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;

pub const USER_AGENT: &str = concat!("growthos-ops/", env!("CARGO_PKG_VERSION"));
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The API version the gateway's Stripe library parses; objects and the
/// webhook endpoint's events are rendered in it.
pub fn stripe_api_version() -> &'static str {
    stripe_shared::version::VERSION.as_str()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .expect("a client with rustls and no custom roots builds")
}

/// A response: status and JSON body (`Null` when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Stripe's `error.message`, Resend's `message`, Google's
    /// `error.message`, or the status alone.
    pub fn error_message(&self) -> String {
        let message = self.body["error"]["message"]
            .as_str()
            .or_else(|| self.body["message"].as_str())
            .or_else(|| self.body["error"].as_str());
        match message {
            Some(m) => format!("HTTP {}: {m}", self.status),
            None => format!("HTTP {}", self.status),
        }
    }
}

pub async fn read(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Reply, String> {
    let response = sent.map_err(describe)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(describe)?;
    Ok(Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    })
}

/// A transport error without the URL's query (it could hold a key).
pub fn describe(err: reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match err.url() {
        Some(u) => format!(
            "{kind}: {}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        None => kind.to_owned(),
    }
}

pub struct StripeApi {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl StripeApi {
    pub fn new(base: &str, key: &str) -> Self {
        Self {
            http: client(),
            base: base.trim_end_matches('/').to_owned(),
            key: SecretString::from(key.to_owned()),
        }
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<url::Url, String> {
        let mut url = url::Url::parse(&format!("{}{path}", self.base))
            .map_err(|_| format!("STRIPE_API_BASE `{}` is not a URL", self.base))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply, String> {
        let url = self.url(path, query)?;
        let sent = self
            .http
            .get(url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.key.expose_secret()),
            )
            .header("Stripe-Version", stripe_api_version())
            .send()
            .await;
        read(sent).await
    }

    pub async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Reply, String> {
        let url = self.url(path, &[])?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let sent = self
            .http
            .post(url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.key.expose_secret()),
            )
            .header("Stripe-Version", stripe_api_version())
            .header("Idempotency-Key", idempotency_key)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        read(sent).await
    }
}

/// A path segment from an id, refusing anything but Stripe id characters.
pub fn stripe_id(id: &str) -> Option<&str> {
    (!id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(id)
}
