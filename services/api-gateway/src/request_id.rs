//! x-request-id on every response (the client's, when it sent a sane one),
//! and the same id on the request's root span.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

const HEADER: &str = "x-request-id";

fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub async fn request_id(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).expect("validated header value");
    hide_query_token(&mut req);
    // Written back so the root span (built further in) sees the same id.
    req.headers_mut()
        .insert(HeaderName::from_static(HEADER), value.clone());
    match next.call(req).await {
        Ok(mut res) => {
            res.headers_mut()
                .insert(HeaderName::from_static(HEADER), value);
            Ok(res)
        }
        // An error still becomes an answer (further out): it carries the id too.
        Err(mut err) => {
            err.add_response_mapper(move |mut res| {
                res.headers_mut()
                    .insert(HeaderName::from_static(HEADER), value.clone());
                res
            });
            Err(err)
        }
    }
}

/// A `token` query parameter (the unsubscribe link's), taken out of the
/// URI before the root span records the URI, so it never reaches a log.
#[derive(Debug, Clone)]
pub struct QueryToken(pub String);

fn hide_query_token(req: &mut ServiceRequest) {
    let Some(query) = req.uri().query() else {
        return;
    };
    let (tokens, rest): (Vec<_>, Vec<_>) =
        url::form_urlencoded::parse(query.as_bytes()).partition(|(k, _)| k == "token");
    let Some((_, token)) = tokens.into_iter().next() else {
        return;
    };
    let token = token.into_owned();
    let rest = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    let target = if rest.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{rest}", req.path())
    };
    if let Ok(uri) = target.parse() {
        req.head_mut().uri = uri;
        req.extensions_mut().insert(QueryToken(token));
    }
}

/// Root span with our request id and an empty tenant id that the auth
/// extractor fills in.
pub struct RequestIdSpan;

impl RootSpanBuilder for RequestIdSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        tracing_actix_web::root_span!(request, request.id = %id, tenant.id = tracing::field::Empty)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
