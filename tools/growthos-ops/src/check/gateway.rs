//! The gateway from outside: HTTPS, /health and /ready, development routes
//! hidden, CORS closed to unknown origins and open to the product apps.

use super::Vars;
use crate::Checklist;
use crate::http::{client, describe, read};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

pub const UNKNOWN_ORIGIN: &str = "https://evil.example";

pub async fn check(vars: &Vars<'_>, override_url: Option<&str>, list: &mut Checklist<'_>) {
    let Some(public_url) = vars.public_url() else {
        return list.fail("gateway", "PUBLIC_URL is not set: nothing to probe");
    };
    if public_url.starts_with("https://") {
        list.pass(format!("PUBLIC_URL is https ({public_url})"));
    } else {
        list.fail(
            format!("PUBLIC_URL is https ({public_url})"),
            "Stripe live webhooks, unsubscribe links and tokens need TLS",
        );
    }
    let base = override_url
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or(public_url);
    let http = client();

    for (path, want) in [("/health", "ok"), ("/ready", "ready")] {
        let label = format!("GET {path} answers 200");
        match read(http.get(format!("{base}{path}")).send().await).await {
            Ok(r) if r.status == 200 && r.body["status"].as_str() == Some(want) => list.pass(label),
            Ok(r) if r.status == 200 => list.fail(
                label,
                format!("200 but not {{\"status\":\"{want}\"}}: {}", r.body),
            ),
            Ok(r) if r.body.is_null() => list.fail(label, format!("HTTP {}", r.status)),
            Ok(r) => list.fail(label, format!("HTTP {}: {}", r.status, r.body)),
            Err(e) => list.fail(label, e),
        }
    }

    // A malformed body: even a development gateway creates nothing.
    let label = "POST /dev/bootstrap answers 404 (development routes hidden)";
    let sent = http
        .post(format!("{base}/dev/bootstrap"))
        .header(CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await;
    match sent {
        Ok(r) if r.status().as_u16() == 404 => list.pass(label),
        Ok(r) => list.fail(
            label,
            format!(
                "HTTP {}: the development routes are served (APP_ENV is not production)",
                r.status().as_u16()
            ),
        ),
        Err(e) => list.fail(label, describe(e)),
    }

    let label = format!("CORS refuses {UNKNOWN_ORIGIN} (no Access-Control-Allow-Origin)");
    match preflight(&http, &base, UNKNOWN_ORIGIN).await {
        Ok(headers) => match allowed_origin(&headers) {
            None => list.pass(label),
            Some(v) => list.fail(label, format!("answered Access-Control-Allow-Origin: {v}")),
        },
        Err(e) => list.fail(label, e),
    }

    let first_app = vars
        .get("CORS_ALLOWED_ORIGINS")
        .and_then(|o| {
            o.split(',')
                .map(str::trim)
                .find(|o| !o.is_empty() && *o != "*")
        })
        .map(|o| o.trim_end_matches('/').to_owned());
    if let Some(origin) = first_app {
        let label = format!("CORS allows the product app {origin}");
        match preflight(&http, &base, &origin).await {
            Ok(headers) => match allowed_origin(&headers) {
                Some(v) if v == origin => list.pass(label),
                Some(v) => list.fail(label, format!("answered Access-Control-Allow-Origin: {v}")),
                None => list.fail(
                    label,
                    "no Access-Control-Allow-Origin: the app's browser calls would fail",
                ),
            },
            Err(e) => list.fail(label, e),
        }
    }
}

async fn preflight(http: &reqwest::Client, base: &str, origin: &str) -> Result<HeaderMap, String> {
    http.request(Method::OPTIONS, format!("{base}/api/leads"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .map(|r| r.headers().clone())
        .map_err(describe)
}

fn allowed_origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap_or("(not text)").to_owned())
}
