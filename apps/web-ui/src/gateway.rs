//! The gateway over HTTP: every call names this app's product in
//! `X-GrowthOS-Product`, so a token of another product is refused.

use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    base: String,
    product: &'static str,
}

/// An error answer of the gateway (API.md), or a transport failure as 503.
#[derive(Debug, Clone)]
pub struct GatewayError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Field name (as the form names it) -> problem.
    pub fields: BTreeMap<String, String>,
}

impl GatewayError {
    fn unreachable() -> Self {
        Self {
            status: 503,
            code: "service_unavailable".into(),
            message: "The service is not reachable right now. Please try again in a moment.".into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// A field error, for a problem found before calling the gateway.
    pub fn field(field: &str, problem: &str) -> Self {
        Self::invalid(BTreeMap::from([(field.to_owned(), problem.to_owned())]))
    }

    /// Field errors found before calling the gateway.
    pub fn invalid(fields: BTreeMap<String, String>) -> Self {
        Self {
            status: 400,
            code: "validation_failed".into(),
            message: "Please check the highlighted fields.".into(),
            fields,
        }
    }
}

impl Gateway {
    pub fn new(base: &str, product: &'static str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            product,
        })
    }

    #[tracing::instrument(skip_all, fields(http.method = %method, http.path = path))]
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, GatewayError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-growthos-product", self.product);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await.map_err(|e| {
            tracing::warn!(error = %e, "gateway unreachable");
            GatewayError::unreachable()
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|_| GatewayError::unreachable())?;
        let json: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let fields = json["fields"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let k = k.strip_prefix("metadata.").unwrap_or(k).to_owned();
                        (k, v.as_str().unwrap_or("is invalid").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Err(GatewayError {
            status,
            code: json["code"].as_str().unwrap_or("internal").to_owned(),
            message: json["error"]
                .as_str()
                .unwrap_or("Something went wrong. Please try again.")
                .to_owned(),
            fields,
        })
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Result<Value, GatewayError> {
        self.call(Method::GET, path, token, None, None).await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Result<Value, GatewayError> {
        self.call(method, path, Some(token), Some(body), None).await
    }

    pub async fn post_public(&self, path: &str, body: &Value) -> Result<Value, GatewayError> {
        self.call(Method::POST, path, None, Some(body), None).await
    }
}
