//! Sentry with SENTRY_DSN set: a panicking handler (its 500 included) and a
//! failed scheduler job reach a local fake Sentry, and the envelopes carry
//! none of the request's secrets. Its own test binary: Sentry and the
//! subscriber are process-wide.

mod support;

use actix_web::{HttpResponse, web};
use core_engine::{Config, Infra, Service, telemetry};
use std::collections::HashMap;
use support::random_secret;
use test_support::TestDatabase;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn panics() -> HttpResponse {
    panic!("boom in a handler")
}

#[test]
fn panics_5xx_and_failed_jobs_reach_sentry_without_secrets() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sentry_server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/1/envelope/"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        server
    });
    let dsn = format!("http://public@{}/1", sentry_server.address());
    // As in main: Sentry before the runtime does any work, then the layer.
    let guard = sentry::init(telemetry::sentry_options(&dsn, true));
    tracing_subscriber::registry()
        .with(telemetry::sentry_layer())
        .init();

    let jwt_secret = random_secret();
    let admin_secret = random_secret();
    let bearer = random_secret();
    let password = format!("pw-{}", random_secret());
    rt.block_on(async {
        let db = TestDatabase::new().await.expect("test database");
        let redis = test_support::TestRedis::new();
        let vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("REDIS_URL".into(), test_support::redis_url()),
            ("REDIS_KEY_PREFIX".into(), redis.prefix.clone()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("JWT_SECRET".into(), jwt_secret.clone()),
            ("ADMIN_SECRET".into(), admin_secret.clone()),
            ("SENTRY_DSN".into(), dsn.clone()),
        ]);
        let config = Config::from_vars(Service::Gateway, &vars).expect("config");
        let infra = Infra::build(&config).expect("infra");
        let app = api_gateway::Application::build_with_routes(&config, &infra, |c| {
            c.route("/test/panic", web::post().to(panics));
        })
        .expect("gateway");
        let url = format!("http://127.0.0.1:{}/test/panic", app.port());
        let handle = app.handle();
        tokio::spawn(app.run());
        let r = reqwest::Client::new()
            .post(url)
            .bearer_auth(&bearer)
            .header("x-admin-secret", &admin_secret)
            .header("cookie", format!("session={bearer}"))
            .json(&serde_json::json!({"email": "owner@example.com", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        // A scheduler job that failed, reported as the job loop does.
        scheduler::jobs::report(
            scheduler::JobName::Insights,
            &Err(anyhow::anyhow!("database unreachable")),
        );
        handle.stop(false).await;
    });
    drop(guard); // flushes the queued envelopes

    let bodies: Vec<String> = rt
        .block_on(sentry_server.received_requests())
        .unwrap()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    let all = bodies.join("\n");
    assert!(all.contains("boom in a handler"), "the panic: {all}");
    assert!(
        all.contains("request failed"),
        "the 500's error event: {all}"
    );
    assert!(all.contains("job failed"), "the failed job: {all}");
    for secret in [&jwt_secret, &admin_secret, &bearer, &password] {
        assert!(!all.contains(secret.as_str()), "a secret reached Sentry");
    }
    assert!(!all.contains("owner@example.com"));
}
