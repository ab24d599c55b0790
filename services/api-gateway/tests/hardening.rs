//! Gateway hardening: Redis-backed rate limits, CORS, API.md's JSON for
//! every failure (panics included) and an OpenAPI document that matches
//! what is served. Real PostgreSQL and Redis, one database and one Redis
//! key prefix per gateway.

use actix_web::{HttpResponse, web};
use api_gateway::Application;
use core_engine::{Config, Infra, Service};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use test_support::{RedisServer, TestDatabase, TestRedis};

/// A gateway with the test-only routes below, over its own database.
struct Gateway {
    base: String,
    client: reqwest::Client,
    server: actix_web::dev::ServerHandle,
    _db: TestDatabase,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let s = self.server.clone();
        tokio::spawn(async move { s.stop(false).await });
    }
}

/// Routes that exist only in these tests, mounted behind the production
/// middleware stack (`Application::build_with_routes`).
fn test_routes(cfg: &mut web::ServiceConfig) {
    async fn panics() -> HttpResponse {
        panic!("boom: the database password is hunter2");
    }
    async fn item(n: web::Path<u32>) -> HttpResponse {
        HttpResponse::Ok().body(n.to_string())
    }
    cfg.route("/test/panic", web::get().to(panics))
        .service(
            web::resource("/test/only-get")
                .route(web::get().to(|| async { HttpResponse::NoContent().finish() })),
        )
        .route("/test/items/{n}", web::get().to(item))
        .route(
            "/test/page",
            web::get().to(|| async {
                HttpResponse::NotFound()
                    .content_type("text/html")
                    .body("<p>This link has expired.</p>")
            }),
        );
}

async fn start_on(redis_url: &str, prefix: &str, vars: &[(&str, &str)]) -> Gateway {
    let db = TestDatabase::new().await.expect("test database");
    let mut all: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("REDIS_URL".into(), redis_url.into()),
        ("REDIS_KEY_PREFIX".into(), prefix.into()),
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
    ]);
    for (k, v) in vars {
        all.insert((*k).into(), (*v).into());
    }
    let config = Config::from_vars(Service::Gateway, &all).expect("test config");
    let infra = Infra::build(&config).expect("infra");
    let app = Application::build_with_routes(&config, &infra, test_routes).expect("gateway");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    tokio::spawn(app.run());
    Gateway {
        base,
        client: reqwest::Client::new(),
        server,
        _db: db,
    }
}

async fn start(redis: &TestRedis, vars: &[(&str, &str)]) -> Gateway {
    start_on(&test_support::redis_url(), &redis.prefix, vars).await
}

impl Gateway {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    /// An active tenant's bearer token.
    async fn token(&self) -> String {
        let r = self
            .req(Method::POST, "/dev/bootstrap")
            .json(&json!({"product": "saas-booker"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "bootstrap");
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    async fn post_lead(&self, token: &str, n: u32) -> Response {
        self.req(Method::POST, "/api/leads")
            .bearer_auth(token)
            .json(&json!({"name": format!("Lead {n}"), "email": format!("lead{n}@acme-dental.com"), "source": "website"}))
            .send()
            .await
            .unwrap()
    }
}

fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

fn header_num(r: &Response, name: &str) -> u64 {
    header(r, name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// Asserts API.md's error shape, a request id, and returns the body.
async fn api_error(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status of {}", r.url());
    assert!(
        header(&r, "x-request-id").is_some_and(|v| !v.is_empty()),
        "x-request-id on every answer"
    );
    assert!(
        header(&r, "content-type").is_some_and(|v| v.starts_with("application/json")),
        "JSON content type, got {:?}",
        header(&r, "content-type")
    );
    let body: Value = r.json().await.expect("a JSON body");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "a message: {body}"
    );
    body
}

// ---------------------------------------------------------------- limits

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_public_limit_get_429_with_retry_after_and_ratelimit_headers() {
    let redis = TestRedis::new();
    let gw = start(&redis, &[("RATE_LIMIT_PUBLIC_PER_MIN", "3")]).await;
    for left in [2, 1, 0] {
        let r = gw.get("/openapi.json").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header_num(&r, "ratelimit-limit"), 3);
        assert_eq!(header_num(&r, "ratelimit-remaining"), left);
        assert!((1..=60).contains(&header_num(&r, "ratelimit-reset")));
    }
    let r = gw.get("/openapi.json").await;
    assert_eq!(r.status(), 429);
    let retry = header_num(&r, "retry-after");
    assert!((1..=120).contains(&retry), "Retry-After {retry}");
    assert_eq!(header_num(&r, "ratelimit-limit"), 3);
    assert_eq!(header_num(&r, "ratelimit-remaining"), 0);
    assert_eq!(header_num(&r, "ratelimit-reset"), retry);
    api_error(r, 429, "rate_limited").await;
    // Another public route shares the IP's budget; probes never spend it.
    assert_eq!(gw.get("/dev/outbox").await.status(), 429);
    for _ in 0..5 {
        assert_eq!(gw.get("/health").await.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn authenticated_requests_spend_their_tenant_budget_not_the_ip_one() {
    let redis = TestRedis::new();
    let gw = start(
        &redis,
        &[
            ("RATE_LIMIT_TENANT_PER_MIN", "3"),
            ("RATE_LIMIT_PUBLIC_PER_MIN", "1000"),
        ],
    )
    .await;
    let (a, b) = (gw.token().await, gw.token().await);
    for n in 0..3 {
        let r = gw.post_lead(&a, n).await;
        assert_eq!(r.status(), 201);
        assert_eq!(header_num(&r, "ratelimit-limit"), 3);
    }
    let r = gw.post_lead(&a, 3).await;
    api_error(r, 429, "rate_limited").await;
    let list = gw
        .req(Method::GET, "/api/leads")
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 429, "every route of the tenant shares it");
    // Same IP, another tenant; and anonymous traffic: unaffected.
    assert_eq!(gw.post_lead(&b, 4).await.status(), 201);
    assert_eq!(gw.get("/openapi.json").await.status(), 200);
    // A forged token does not escape to a tenant budget of its own.
    let r = gw
        .req(Method::GET, "/api/leads")
        .bearer_auth(format!("{a}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(header_num(&r, "ratelimit-limit"), 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_sign_up_have_a_stricter_budget_per_ip() {
    let redis = TestRedis::new();
    let gw = start(
        &redis,
        &[
            ("RATE_LIMIT_AUTH_PER_MIN", "2"),
            ("RATE_LIMIT_PUBLIC_PER_MIN", "1000"),
        ],
    )
    .await;
    let login = json!({"email": "nobody@acme-dental.com", "password": "wrong password", "product": "saas-booker"});
    for _ in 0..2 {
        let r = gw
            .req(Method::POST, "/api/auth/login")
            .json(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(header_num(&r, "ratelimit-limit"), 2);
    }
    let r = gw
        .req(Method::POST, "/api/auth/login")
        .json(&login)
        .send()
        .await
        .unwrap();
    api_error(r, 429, "rate_limited").await;
    let r = gw
        .req(Method::POST, "/api/tenant/create")
        .json(&json!({"name": "Acme", "email": "owner@acme-dental.com", "password": "long enough password", "product": "saas-booker"}))
        .send()
        .await
        .unwrap();
    api_error(r, 429, "rate_limited").await;
    assert_eq!(gw.get("/openapi.json").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_gateways_on_the_same_redis_prefix_share_one_budget() {
    let redis = TestRedis::new();
    let limit = [("RATE_LIMIT_PUBLIC_PER_MIN", "4")];
    let (a, b) = (start(&redis, &limit).await, start(&redis, &limit).await);
    for gw in [&a, &b, &a, &b] {
        assert_eq!(gw.get("/openapi.json").await.status(), 200);
    }
    assert_eq!(a.get("/openapi.json").await.status(), 429);
    assert_eq!(b.get("/openapi.json").await.status(), 429);
    // A deployment with another prefix counts on its own.
    let other = TestRedis::new();
    let c = start(&other, &limit).await;
    assert_eq!(c.get("/openapi.json").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn x_forwarded_for_counts_only_behind_trusted_proxies() {
    let redis = TestRedis::new();
    let gw = start(&redis, &[("RATE_LIMIT_PUBLIC_PER_MIN", "2")]).await;
    let from = |ip: &str| {
        gw.req(Method::GET, "/openapi.json")
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(from("1.1.1.1").await.unwrap().status(), 200);
    assert_eq!(from("2.2.2.2").await.unwrap().status(), 200);
    assert_eq!(
        from("3.3.3.3").await.unwrap().status(),
        429,
        "without TRUST_PROXY_HOPS the header is the client's word"
    );

    let redis = TestRedis::new();
    let gw = start(
        &redis,
        &[
            ("RATE_LIMIT_PUBLIC_PER_MIN", "2"),
            ("TRUST_PROXY_HOPS", "1"),
        ],
    )
    .await;
    let from = |ip: &str| {
        gw.req(Method::GET, "/openapi.json")
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(from("9.9.9.9, 1.1.1.1").await.unwrap().status(), 200);
    assert_eq!(from("8.8.8.8, 1.1.1.1").await.unwrap().status(), 200);
    assert_eq!(
        from("7.7.7.7, 1.1.1.1").await.unwrap().status(),
        429,
        "the entry our proxy appended is the client, not what it claimed"
    );
    assert_eq!(from("9.9.9.9, 2.2.2.2").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_outage_lets_leads_in_and_limits_come_back_with_redis() {
    let mut redis_server = RedisServer::start().expect("redis-server");
    let gw = start_on(
        &redis_server.url(),
        "outage",
        &[("RATE_LIMIT_TENANT_PER_MIN", "1")],
    )
    .await;
    let token = gw.token().await;
    redis_server.stop();
    for n in 0..3 {
        let r = gw.post_lead(&token, n).await;
        assert_eq!(r.status(), 201, "lead {n} accepted while Redis is down");
        assert!(
            header(&r, "ratelimit-limit").is_none(),
            "nothing was counted"
        );
    }
    redis_server.start_again().expect("redis-server again");
    // The limiter asks Redis again at most once a second after a failure.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let r = gw.post_lead(&token, 10).await;
    assert_eq!(r.status(), 201);
    assert_eq!(header_num(&r, "ratelimit-remaining"), 0);
    api_error(gw.post_lead(&token, 11).await, 429, "rate_limited").await;
}

/// Sends a lead, then GET /health, on one raw keep-alive connection; the
/// status line of each answer (an empty one if the connection was closed).
async fn refused_then_next_on_one_connection(gw: &Gateway, token: &str) -> [String; 2] {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let addr = gw.base.trim_start_matches("http://");
    let mut socket = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let body = json!({"name": "Lead 9", "email": "lead9@acme-dental.com", "source": "website"})
        .to_string();
    let requests = [
        format!(
            "POST /api/leads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
        format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    ];
    let mut statuses = [String::new(), String::new()];
    for (request, status) in requests.iter().zip(&mut statuses) {
        if socket
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .is_err()
        {
            break;
        }
        let mut line = String::new();
        socket.read_line(&mut line).await.unwrap_or_default();
        *status = line.get(..12).unwrap_or_default().to_owned();
        // Skip the headers, then read the body by its length.
        let mut length = 0;
        loop {
            let mut header = String::new();
            if socket.read_line(&mut header).await.unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut rest = vec![0; length];
        socket.read_exact(&mut rest).await.unwrap();
    }
    statuses
}

/// A connection left idle for longer than actix's default keep-alive (5 s)
/// still serves the next request: the gateway keeps idle connections open
/// longer than the load balancer in front of it does.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_connection_outlives_the_default_keep_alive() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let redis = TestRedis::new();
    let gw = start(&redis, &[]).await;
    let addr = gw.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    for pause in [0, 7] {
        tokio::time::sleep(std::time::Duration::from_secs(pause)).await;
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0; 4096];
        let read = socket.read(&mut answer).await.unwrap_or(0);
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "after {pause} s idle: {answer:?}"
        );
    }
}

/// Past INTAKE_MAX_IN_FLIGHT lead submissions in progress, the next one is
/// refused at once with 503 and Retry-After, and stores nothing.
#[tokio::test(flavor = "multi_thread")]
async fn lead_submissions_beyond_the_in_flight_bound_get_503_with_retry_after() {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let redis = TestRedis::new();
    let gw = start(&redis, &[("INTAKE_MAX_IN_FLIGHT", "2")]).await;
    let token = gw.token().await;
    // Two submissions stuck behind a lock on the leads table fill the bound.
    let mut lock = diesel_async::AsyncPgConnection::establish(&gw._db.url)
        .await
        .unwrap();
    lock.batch_execute("BEGIN; LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let stuck: Vec<_> = (0..2)
        .map(|n| {
            let (client, url, token) = (gw.client.clone(), gw.url("/api/leads"), token.clone());
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"name": format!("Lead {n}"), "email": format!("lead{n}@acme-dental.com"), "source": "website"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let refused = tokio::time::timeout(std::time::Duration::from_secs(5), gw.post_lead(&token, 2))
        .await
        .expect("answered at once, not queued behind the lock");
    assert_eq!(header(&refused, "retry-after"), Some("1"));
    api_error(refused, 503, "overloaded").await;
    // The refused client's connection stays open for its retry: its body is
    // read, so the next request on the same socket is answered.
    assert_eq!(
        refused_then_next_on_one_connection(&gw, &token).await,
        ["HTTP/1.1 503", "HTTP/1.1 200"]
    );
    // Other routes are not bounded by lead intake.
    assert_eq!(gw.get("/health").await.status(), 200);

    lock.batch_execute("COMMIT").await.unwrap();
    for s in stuck {
        assert_eq!(s.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(
        gw.post_lead(&token, 3).await.status(),
        201,
        "slots are freed"
    );
    let r = gw
        .req(Method::GET, "/api/leads?limit=100")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let names: Vec<String> = r.json::<Value>().await.unwrap()["leads"]
        .as_array()
        .expect("a page of leads")
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "the refused lead was not stored: {names:?}");
    assert!(!names.contains(&"Lead 2".to_owned()));
}

// ------------------------------------------------------------------ CORS

const APP_ORIGIN: &str = "https://booker.example.com";

async fn check_cors(gw: &Gateway) {
    let preflight = |origin: &str| {
        gw.req(Method::OPTIONS, "/api/leads")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let r = preflight(APP_ORIGIN).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(APP_ORIGIN));
    assert!(header(&r, "access-control-allow-methods").is_some_and(|m| m.contains("POST")));
    let allowed = header(&r, "access-control-allow-headers").unwrap_or_default();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    let r = preflight("https://evil.example.net").await.unwrap();
    assert!(header(&r, "access-control-allow-origin").is_none());
    api_error(r, 400, "validation_failed").await;

    let r = gw
        .req(Method::GET, "/health")
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), Some(APP_ORIGIN));
    let exposed = header(&r, "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for h in [
        "x-request-id",
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(exposed.contains(h), "{h} exposed: {exposed}");
    }
    let r = gw
        .req(Method::GET, "/health")
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "non-browser callers are not refused");
    assert!(header(&r, "access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_admits_the_configured_origins_only() {
    let redis = TestRedis::new();
    let gw = start(
        &redis,
        &[
            ("CORS_ALLOWED_ORIGINS", APP_ORIGIN),
            ("RATE_LIMIT_PUBLIC_PER_MIN", "1"),
        ],
    )
    .await;
    check_cors(&gw).await;
    // A 429 is readable by the app: it carries the CORS headers too.
    assert_eq!(gw.get("/openapi.json").await.status(), 200);
    let r = gw
        .req(Method::GET, "/openapi.json")
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(APP_ORIGIN));
}

#[tokio::test(flavor = "multi_thread")]
async fn production_cors_refuses_wildcards_and_unknown_origins() {
    let secret = "s".repeat(40);
    let production: Vec<(&str, &str)> = vec![
        ("APP_ENV", "production"),
        ("JWT_SECRET", &secret),
        ("ADMIN_SECRET", &secret),
        ("PAYMENT_MODE", "manual"),
        ("PUBLIC_URL", "https://api.example.com"),
        ("RESEND_API_KEY", "re_test_key"),
        ("EMAIL_FROM", "GrowthOS <hello@mail.example.com>"),
        ("LOG_FORMAT", "json"),
        ("BOOKER_URL", "https://booker.example.com"),
        ("LEADQUALIFIER_URL", "https://leadqualifier.example.com"),
        ("FOLLOWUP_URL", "https://followup.example.com"),
    ];
    let mut wildcard: HashMap<String, String> = production
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    wildcard.insert("CORS_ALLOWED_ORIGINS".into(), "*".into());
    let err = Config::from_vars(Service::Gateway, &wildcard).unwrap_err();
    assert!(
        err.to_string()
            .contains("CORS_ALLOWED_ORIGINS must not contain *"),
        "{err}"
    );

    let redis = TestRedis::new();
    let mut vars = production.clone();
    vars.push(("CORS_ALLOWED_ORIGINS", APP_ORIGIN));
    let gw = start(&redis, &vars).await;
    check_cors(&gw).await;
}

// ---------------------------------------------------------------- errors

#[tokio::test(flavor = "multi_thread")]
async fn every_failure_answers_api_md_json() {
    let redis = TestRedis::new();
    let gw = start(&redis, &[]).await;
    let token = gw.token().await;
    let lead_post = || gw.req(Method::POST, "/api/leads").bearer_auth(&token);

    let r = lead_post()
        .header("content-type", "application/json")
        .body(r#"{"name": "Sam", "#)
        .send()
        .await
        .unwrap();
    api_error(r, 400, "validation_failed").await;

    let r = lead_post()
        .header("content-type", "text/plain")
        .body("name=Sam")
        .send()
        .await
        .unwrap();
    api_error(r, 415, "unsupported_media_type").await;

    let big = json!({"name": "Sam", "email": "sam@acme-dental.com", "source": "web", "metadata": {"intent": "x".repeat(70 * 1024)}});
    api_error(
        lead_post().json(&big).send().await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;

    // A raw-bytes route: the payload limit, not the JSON one.
    let r = gw
        .req(Method::POST, "/dev/bootstrap")
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    api_error(r, 413, "payload_too_large").await;

    let body = api_error(gw.get("/no/such/route").await, 404, "not_found").await;
    assert_eq!(body["error"], "no such route");

    // Wrong method on a served path: 404 or 405, always with a JSON body.
    let r = gw.req(Method::DELETE, "/api/leads").send().await.unwrap();
    let status = r.status().as_u16();
    assert!(status == 404 || status == 405, "{status}");
    let code = if status == 404 {
        "not_found"
    } else {
        "method_not_allowed"
    };
    api_error(r, status, code).await;

    // actix's own 405 (a resource with a GET route only) keeps its Allow.
    let r = gw.req(Method::POST, "/test/only-get").send().await.unwrap();
    assert_eq!(header(&r, "allow"), Some("GET"));
    api_error(r, 405, "method_not_allowed").await;

    // Extractor failures: path and query.
    api_error(gw.get("/test/items/abc").await, 404, "not_found").await;
    api_error(
        gw.get("/dev/outbox?limit=abc").await,
        400,
        "validation_failed",
    )
    .await;

    // A page a handler chose to send (e.g. an expired unsubscribe link) stays.
    let r = gw.get("/test/page").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "<p>This link has expired.</p>");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_stripe_webhook_is_413_json() {
    let redis = TestRedis::new();
    let gw = start(&redis, &[]).await;
    let r = gw
        .req(Method::POST, "/api/stripe/webhook")
        .header("content-type", "application/json")
        .header("stripe-signature", "t=1,v1=00")
        .body(vec![b'{'; 70 * 1024])
        .send()
        .await
        .unwrap();
    api_error(r, 413, "payload_too_large").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_answers_500_json_with_a_request_id() {
    let redis = TestRedis::new();
    let gw = start(&redis, &[("CORS_ALLOWED_ORIGINS", APP_ORIGIN)]).await;
    let r = gw
        .req(Method::GET, "/test/panic")
        .header("x-request-id", "panic-probe-1")
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(header(&r, "x-request-id"), Some("panic-probe-1"));
    assert_eq!(header(&r, "access-control-allow-origin"), Some(APP_ORIGIN));
    let text = r.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(body, json!({"error": "internal error", "code": "internal"}));
    assert!(!text.contains("boom") && !text.contains("hunter2"));
    // More panics than workers; the server keeps answering.
    for _ in 0..4 {
        api_error(gw.get("/test/panic").await, 500, "internal").await;
    }
    assert_eq!(gw.get("/health").await.status(), 200);
}

// --------------------------------------------------------------- OpenAPI

/// Every route of API.md.
const API_MD_ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/openapi.json"),
    ("post", "/api/tenant/create"),
    ("post", "/api/auth/login"),
    ("post", "/api/stripe/webhook"),
    ("get", "/unsubscribe"),
    ("post", "/unsubscribe"),
    ("get", "/api/tenant"),
    ("put", "/api/tenant/settings"),
    ("post", "/api/billing/checkout"),
    ("post", "/api/api-keys"),
    ("get", "/api/api-keys"),
    ("delete", "/api/api-keys/{id}"),
    ("post", "/api/leads"),
    ("get", "/api/leads"),
    ("get", "/api/leads/{id}"),
    ("patch", "/api/leads/{id}"),
    ("post", "/api/leads/{id}/process"),
    ("post", "/api/leads/{id}/messages"),
    ("get", "/metrics"),
    ("post", "/internal/activate-tenant"),
    ("get", "/internal/experiment-stats"),
    ("get", "/internal/dead-letters"),
    ("post", "/internal/dead-letters/{id}/replay"),
    ("post", "/dev/bootstrap"),
    ("get", "/dev/outbox"),
];

/// Development, manual payments and an admin secret: every route on.
async fn full_gateway(redis: &TestRedis) -> Gateway {
    start(
        redis,
        &[
            ("ADMIN_SECRET", &"a".repeat(40)),
            ("PAYMENT_MODE", "manual"),
            ("RATE_LIMIT_PUBLIC_PER_MIN", "100000"),
            ("RATE_LIMIT_AUTH_PER_MIN", "100000"),
        ],
    )
    .await
}

async fn openapi(gw: &Gateway) -> Value {
    let r = gw.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_is_openapi_3_and_lists_every_api_md_route() {
    let redis = TestRedis::new();
    let gw = full_gateway(&redis).await;
    let doc = openapi(&gw).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "OpenAPI 3.x, got `{version}`");
    assert!(doc["info"]["title"].is_string());
    let missing: Vec<String> = API_MD_ROUTES
        .iter()
        .filter(|(method, path)| doc["paths"][*path][*method].is_null())
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "API.md routes missing from /openapi.json: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_of_the_openapi_document_is_served() {
    let redis = TestRedis::new();
    let gw = full_gateway(&redis).await;
    let doc = openapi(&gw).await;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 3, "a document with routes: {paths:?}");
    let mut unserved = Vec::new();
    let mut checked = 0;
    for (path, item) in paths {
        // Any value for a path parameter: the route must still match.
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "00000000-0000-0000-0000-000000000000"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, _) in item.as_object().expect("path item") {
            let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) {
                continue;
            }
            let mut req = gw.req(m.clone(), &concrete);
            if matches!(m, Method::POST | Method::PUT | Method::PATCH) {
                req = req.json(&json!({}));
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            checked += 1;
            if status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND && body["error"] == "no such route")
            {
                unserved.push(format!("{m} {path} -> {status} {body}"));
            }
        }
    }
    assert!(checked >= 3);
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
}
