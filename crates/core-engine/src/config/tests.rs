use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn development_runs_with_no_variables_at_all() {
    let c = Config::from_vars(Service::Gateway, &HashMap::new()).unwrap();
    assert_eq!(c.app_env, AppEnv::Development);
    assert_eq!(c.port, 8080);
    assert_eq!(c.agent_mode, AgentMode::Heuristic);
    assert!(c.resend.is_none() && c.google.is_none() && c.stripe.is_none());
    assert!(c.warnings.iter().any(|w| w.contains("JWT_SECRET")));
    assert_eq!(
        Config::from_vars(Service::Worker, &HashMap::new())
            .unwrap()
            .port,
        8081
    );
}

#[test]
fn production_reports_every_missing_secret_at_once() {
    let err = Config::from_vars(Service::Gateway, &vars(&[("APP_ENV", "production")])).unwrap_err();
    let text = err.to_string();
    for needle in [
        "DATABASE_URL",
        "REDIS_URL",
        "JWT_SECRET",
        "PUBLIC_URL",
        "CORS_ALLOWED_ORIGINS",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PRICE_ID_BOOKER",
        "RESEND_API_KEY",
        "EMAIL_FROM",
        "BOOKER_URL",
        "FOLLOWUP_URL",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    assert!(text.lines().all(|l| l.starts_with("config error: ")));
}

#[test]
fn production_refuses_weak_or_development_values() {
    let err = Config::from_vars(
        Service::Gateway,
        &vars(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", DEV_JWT_SECRET),
            ("PUBLIC_URL", "http://api.example.com"),
            ("CORS_ALLOWED_ORIGINS", "*"),
            ("ADMIN_SECRET", "short"),
            ("SCHEDULE_FOLLOWUPS", "*/5 * * * *"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("development value"));
    assert!(err.contains("PUBLIC_URL must be the https"));
    assert!(err.contains("must not contain *"));
    assert!(err.contains("ADMIN_SECRET must be at least 32 bytes"));
    assert!(err.contains("SCHEDULE_FOLLOWUPS"));
}

#[test]
fn a_complete_production_configuration_loads() {
    let secret = "x".repeat(40);
    let c = Config::from_vars(
        Service::Worker,
        &vars(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://u:p@db:5432/growthos"),
            ("REDIS_URL", "redis://cache:6379/3"),
            ("JWT_SECRET", &secret),
            ("PUBLIC_URL", "https://api.example.com/"),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://booker.example.com, https://followup.example.com",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
            ("STRIPE_PRICE_ID_BOOKER", "price_1"),
            ("STRIPE_PRICE_ID_LEADQUALIFIER", "price_2"),
            ("STRIPE_PRICE_ID_FOLLOWUP", "price_3"),
            ("RESEND_API_KEY", "re_test"),
            ("EMAIL_FROM", "Joe <hello@mail.example.com>"),
            ("LOG_FORMAT", "json"),
        ]),
    )
    .unwrap();
    assert_eq!(c.public_url, "https://api.example.com");
    assert_eq!(c.cors_allowed_origins.as_ref().unwrap().len(), 2);
    assert!(c.warnings.iter().any(|w| w.contains("sk_test_")));
    assert_eq!(c.stripe.unwrap().price_followup, "price_3");
}

#[test]
fn llm_mode_without_a_key_is_an_error() {
    let err = Config::from_vars(Service::Worker, &vars(&[("AGENT_MODE", "llm")])).unwrap_err();
    assert!(err.to_string().contains("GEMINI_API_KEY"));
    let c = Config::from_vars(Service::Worker, &vars(&[("GEMINI_API_KEY", "k")])).unwrap();
    assert_eq!(c.agent_mode, AgentMode::Llm);
}

#[test]
fn rate_limits_default_and_refuse_nonsense() {
    let c = Config::from_vars(Service::Gateway, &HashMap::new()).unwrap();
    assert_eq!(
        c.rate_limits,
        RateLimits {
            public_per_min: 120,
            tenant_per_min: 1200,
            auth_per_min: 10,
        }
    );
    assert_eq!(c.trust_proxy_hops, 0);
    let c = Config::from_vars(
        Service::Gateway,
        &vars(&[
            ("RATE_LIMIT_TENANT_PER_MIN", "100000000"),
            ("TRUST_PROXY_HOPS", "2"),
        ]),
    )
    .unwrap();
    assert_eq!(c.rate_limits.tenant_per_min, 100_000_000);
    assert_eq!(c.trust_proxy_hops, 2);
    let err = Config::from_vars(
        Service::Gateway,
        &vars(&[
            ("RATE_LIMIT_PUBLIC_PER_MIN", "0"),
            ("RATE_LIMIT_AUTH_PER_MIN", "ten"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("RATE_LIMIT_PUBLIC_PER_MIN"), "{err}");
    assert!(err.contains("RATE_LIMIT_AUTH_PER_MIN"), "{err}");
}
