//! The middleware every route runs behind, in one function ([`stack`]) so
//! that tests can mount extra routes behind exactly the same layers.
//!
//! Outermost first:
//! 1. x-request-id (echoed or generated, on every answer, errors included);
//!    [`count_requests`] counts every answer by route pattern and status;
//! 2. the request's root span and log line (method, route, status, duration;
//!    never headers or bodies);
//! 3. [`json_errors`]: any failure actix or a library produced (extractor
//!    errors, 405, payload errors, CORS refusals) becomes API.md's JSON;
//! 4. CORS: only CORS_ALLOWED_ORIGINS (any origin in development when unset);
//! 5. rate limits ([`crate::rate_limit::enforce`]);
//! 6. [`catch_panic`]: a panicking handler answers 500 `internal`.

use crate::error::ApiError;
use crate::request_id::{self, RequestIdSpan};
use crate::{load_shed, rate_limit};
use actix_cors::Cors;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpResponse};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use tracing_actix_web::TracingLogger;

/// Headers a browser app may read from our answers.
const EXPOSED: [&str; 5] = [
    "x-request-id",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
];

/// Request headers a browser app may send.
const ALLOWED_HEADERS: [&str; 8] = [
    "authorization",
    "content-type",
    "x-api-key",
    "idempotency-key",
    "x-request-id",
    "x-growthos-product",
    "traceparent",
    "tracestate",
];

/// CORS for `origins` (`None`: any origin, development only; the
/// configuration refuses that and `*` in production). An unknown origin
/// gets no `Access-Control-Allow-Origin`, and its preflight a 400.
pub fn cors(origins: Option<&[String]>) -> Cors {
    let cors = match origins {
        Some(list) => list
            .iter()
            .fold(Cors::default(), |c, o| c.allowed_origin(o)),
        None => Cors::default().allow_any_origin(),
    };
    cors.allowed_methods([
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ])
    .allowed_headers(ALLOWED_HEADERS)
    .expose_headers(EXPOSED)
    .max_age(3600)
}

/// Wraps an app (its routes, data and default service) in the gateway's
/// middleware, in the order the module documentation gives.
pub fn stack<T, B>(
    app: App<T>,
    cors: Cors,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    app.wrap(from_fn(catch_panic))
        .wrap(from_fn(rate_limit::enforce))
        .wrap(from_fn(load_shed::shed))
        .wrap(cors)
        .wrap(from_fn(json_errors))
        .wrap(TracingLogger::<RequestIdSpan>::new())
        .wrap(from_fn(count_requests))
        .wrap(from_fn(request_id::request_id))
}

/// Counts `growthos_http_requests_total` by route pattern (`/api/leads/{id}`,
/// never the raw path: unknown paths count as `unmatched`), method and the
/// status actually sent.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = req.method().clone();
    let res = next.call(req).await;
    let (route, status) = match &res {
        Ok(r) => (r.request().match_pattern(), r.status()),
        Err(e) => (None, e.as_response_error().status_code()),
    };
    shared_types::metrics::inc(
        "growthos_http_requests_total",
        &[
            ("route", route.as_deref().unwrap_or("unmatched")),
            ("method", method.as_str()),
            ("status", status.as_str()),
        ],
    );
    res
}

/// A handler that panics answers 500 `{"error":"internal error","code":"internal"}`
/// instead of a dropped connection; the panic message is logged, never sent.
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| next.call(req))) {
        Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".into());
        // The request went into the handler, so the answer is built from
        // the error on the way out (outer layers add their headers to it).
        Err(ApiError::Internal(anyhow::anyhow!("handler panicked: {message}")).into())
    })
}

/// API.md's JSON for every failure: errors that are not an [`ApiError`]
/// (actix extractors, 405 from a resource, payload limits, CORS refusals)
/// and 4xx/5xx answers with an empty body are replaced, keeping their
/// status family and headers (CORS, `Allow`...).
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(mut err) => {
            if err.as_error::<ApiError>().is_none() {
                let status = err.as_response_error().status_code();
                let detail = err.to_string();
                err.add_response_mapper(move |old| replace(old, standard(status, &detail)));
            }
            return Err(err);
        }
    };
    let status = res.status();
    if status.as_u16() < 400 {
        return Ok(res.map_into_left_body());
    }
    let detail = match res.response().error() {
        Some(e) if e.as_error::<ApiError>().is_some() => return Ok(res.map_into_left_body()),
        Some(e) => e.to_string(),
        // A body the handler chose (e.g. an HTML page) stays.
        None if !matches!(
            res.response().body().size(),
            BodySize::None | BodySize::Sized(0)
        ) =>
        {
            return Ok(res.map_into_left_body());
        }
        None => status.canonical_reason().unwrap_or("error").into(),
    };
    let api = standard(status, &detail);
    let (req, old) = res.into_parts();
    Ok(ServiceResponse::new(req, replace(old, api)).map_into_right_body())
}

/// Our error for an answer someone else produced, by status. 4xx messages
/// (actix's own, e.g. "Query deserialize error: ...") are safe to show;
/// 5xx ones are logged and replaced.
fn standard(status: StatusCode, detail: &str) -> ApiError {
    match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        StatusCode::FORBIDDEN => ApiError::Forbidden(detail.to_owned()),
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::CONFLICT => ApiError::Conflict(detail.to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable(detail.to_owned()),
        s if s.is_server_error() => ApiError::Internal(anyhow::anyhow!(
            "{} from the framework: {detail}",
            s.as_u16()
        )),
        _ => ApiError::invalid(detail),
    }
}

/// `api`'s JSON answer, keeping the old answer's headers except the body's.
fn replace(old: HttpResponse<impl MessageBody>, api: ApiError) -> HttpResponse {
    let mut new = HttpResponse::from_error(api);
    let own: Vec<HeaderName> = new.headers().keys().cloned().collect();
    for (name, value) in old.headers() {
        if !is_body_header(name) && !own.contains(name) {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    new
}

fn is_body_header(name: &HeaderName) -> bool {
    name == header::CONTENT_TYPE
        || name == header::CONTENT_LENGTH
        || name == header::CONTENT_ENCODING
}
