//! The one error type of the HTTP layer and its mapping to API.md's JSON:
//! `{"error": "...", "code": "...", "fields"?: {...}}`. 5xx bodies say
//! nothing internal; the cause is logged once, here.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use memory::MemoryError;
use serde_json::json;
use shared_types::ValidationErrors;
use std::fmt;

#[derive(Debug)]
pub enum ApiError {
    Validation {
        message: String,
        fields: Option<ValidationErrors>,
    },
    Unauthorized,
    Forbidden(String),
    NotFound,
    /// No route matches the method and path.
    NoRoute,
    /// The path exists, not with this method.
    MethodNotAllowed,
    Conflict(String),
    SubscriptionRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// 429 with `Retry-After` and `RateLimit-*` headers.
    RateLimited {
        retry_after_secs: u64,
        limit: u32,
    },
    Unavailable(String),
    /// 503 with `Retry-After`: more leads are arriving than the stack can
    /// take on right now (`load_shed`).
    Overloaded,
    /// 503 saying which setting is missing (the message is shown).
    NotConfigured(String),
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Validation {
            message: message.into(),
            fields: None,
        }
    }

    pub fn fields(fields: ValidationErrors) -> Self {
        ApiError::Validation {
            message: "some fields are invalid".into(),
            fields: Some(fields),
        }
    }

    pub fn field(name: &str, problem: &str) -> Self {
        Self::fields(ValidationErrors::from([(
            name.to_owned(),
            problem.to_owned(),
        )]))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound | ApiError::NoRoute => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::SubscriptionRequired => "subscription_required",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) | ApiError::NotConfigured(_) => "service_unavailable",
            ApiError::Overloaded => "overloaded",
            ApiError::Internal(_) => "internal",
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::Validation { message, .. } => message.clone(),
            ApiError::Unauthorized => "missing or invalid credentials".into(),
            ApiError::Forbidden(m) | ApiError::Conflict(m) | ApiError::NotConfigured(m) => {
                m.clone()
            }
            ApiError::NotFound => "not found".into(),
            ApiError::NoRoute => "no such route".into(),
            ApiError::SubscriptionRequired => "an active subscription is required".into(),
            ApiError::PayloadTooLarge => "the body is larger than 64 KiB".into(),
            ApiError::UnsupportedMediaType => "the body must be application/json".into(),
            ApiError::MethodNotAllowed => "this method is not allowed on this path".into(),
            ApiError::RateLimited {
                retry_after_secs, ..
            } => format!("too many requests; retry in {retry_after_secs} s"),
            ApiError::Unavailable(_) => "a dependency is unavailable; try again shortly".into(),
            ApiError::Overloaded => "too many leads are arriving at once; retry in 1 s".into(),
            ApiError::Internal(_) => "internal error".into(),
        }
    }

    /// actix's JSON extractor failures, in our format.
    pub fn from_json(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
        let api = match err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::PayloadTooLarge
            }
            JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
            JsonPayloadError::Payload(e) if e.status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            JsonPayloadError::Deserialize(e) => {
                ApiError::invalid(format!("malformed JSON body: {e}"))
            }
            other => ApiError::invalid(format!("unreadable body: {other}")),
        };
        api.into()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::SubscriptionRequired => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::NotConfigured(_) | ApiError::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            ApiError::Unavailable(e) => tracing::warn!(error = %e, "dependency unavailable"),
            _ => {}
        }
        let mut body = json!({"error": self.message(), "code": self.code()});
        if let ApiError::Validation {
            fields: Some(f), ..
        } = self
        {
            body["fields"] = json!(f);
        }
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited {
            retry_after_secs,
            limit,
        } = self
        {
            res.insert_header(("retry-after", *retry_after_secs))
                .insert_header(("ratelimit-limit", *limit))
                .insert_header(("ratelimit-remaining", 0))
                .insert_header(("ratelimit-reset", *retry_after_secs));
        }
        if let ApiError::Overloaded = self {
            res.insert_header(("retry-after", 1));
        }
        res.json(body)
    }
}

impl From<MemoryError> for ApiError {
    fn from(e: MemoryError) -> Self {
        match e {
            MemoryError::NotFound => ApiError::NotFound,
            MemoryError::Conflict(c) => {
                ApiError::Conflict(format!("conflicts with an existing record ({c})"))
            }
            MemoryError::Unavailable(u) => ApiError::Unavailable(u),
            MemoryError::Database(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        MemoryError::from(e).into()
    }
}
