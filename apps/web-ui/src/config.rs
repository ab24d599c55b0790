//! The app's configuration, read once from the environment.

use anyhow::{Context, bail};
use shared_types::ProductSlug;
use std::collections::HashMap;

#[derive(Clone)]
pub struct AppConfig {
    pub product: ProductSlug,
    pub host: String,
    pub port: u16,
    /// This app's own public URL (`BOOKER_URL`, `LEADQUALIFIER_URL` or
    /// `FOLLOWUP_URL`), without a trailing slash.
    pub public_url: String,
    /// Where this app reaches the gateway (server to server).
    pub gateway_url: String,
    /// Where browsers reach the gateway (the embeddable form posts there):
    /// `GATEWAY_PUBLIC_URL`, else `GATEWAY_URL`.
    pub gateway_public_url: String,
    /// Key of the CSRF token MACs: `APP_SECRET` (at least 32 bytes), else
    /// random per process (forms open across a restart must be reloaded).
    pub secret: Vec<u8>,
}

/// `BOOKER_URL` etc. and the default port of each product.
pub fn url_var(product: ProductSlug) -> (&'static str, u16) {
    match product {
        ProductSlug::Booker => ("BOOKER_URL", 3001),
        ProductSlug::LeadQualifier => ("LEADQUALIFIER_URL", 3002),
        ProductSlug::FollowUp => ("FOLLOWUP_URL", 3003),
    }
}

impl AppConfig {
    pub fn from_env(product: ProductSlug) -> anyhow::Result<Self> {
        Self::from_vars(product, &std::env::vars().collect())
    }

    pub fn from_vars(product: ProductSlug, vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let (url_key, default_port) = url_var(product);
        let port = match get("PORT") {
            Some(p) => p.parse().context("PORT must be a port number")?,
            None => default_port,
        };
        let public_url = get(url_key)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("http://localhost:{default_port}"));
        let gateway_url = get("GATEWAY_URL")
            .unwrap_or("http://127.0.0.1:8080")
            .to_owned();
        for (k, v) in [(url_key, &public_url), ("GATEWAY_URL", &gateway_url)] {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                bail!("{k} must be an http(s) URL");
            }
        }
        let production = get("APP_ENV") == Some("production");
        let secret = match get("APP_SECRET") {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => bail!("APP_SECRET must be at least 32 bytes"),
            None => {
                let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
                key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
                key
            }
        };
        if production && !public_url.starts_with("https://") {
            bail!("{url_key} must be an https URL in production");
        }
        Ok(Self {
            product,
            host: get("HOST").unwrap_or("0.0.0.0").to_owned(),
            port,
            public_url: public_url.trim_end_matches('/').to_owned(),
            gateway_public_url: get("GATEWAY_PUBLIC_URL")
                .unwrap_or(&gateway_url)
                .trim_end_matches('/')
                .to_owned(),
            gateway_url: gateway_url.trim_end_matches('/').to_owned(),
            secret,
        })
    }

    /// Cookies are `Secure` except when the app itself is served over plain
    /// http on the loopback interface (local development and tests).
    pub fn secure_cookies(&self) -> bool {
        !["http://localhost", "http://127.0.0.1", "http://[::1]"]
            .iter()
            .any(|p| self.public_url.starts_with(p))
    }
}
