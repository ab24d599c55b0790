//! The deployment files agree with the code: Fly and Railway configs parse
//! and name existing binaries, their ports and health paths; the compose
//! files and images use the one Dockerfile; env.example documents every
//! variable core-engine reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SERVICES: [(&str, u16); 3] = [("api-gateway", 8080), ("worker", 8081), ("scheduler", 8082)];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The binaries the workspace builds: each service package's name.
fn binaries() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in ["services", "tools"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let manifest = entry.unwrap().path().join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest) {
                let doc: toml::Value = toml::from_str(&text).unwrap();
                out.insert(doc["package"]["name"].as_str().unwrap().to_owned());
            }
        }
    }
    out
}

/// The port core-engine gives a service when PORT is unset.
fn default_port(name: &str) -> u16 {
    let service = match name {
        "api-gateway" => core_engine::Service::Gateway,
        "worker" => core_engine::Service::Worker,
        _ => core_engine::Service::Scheduler,
    };
    core_engine::Config::from_vars(service, &Default::default())
        .unwrap()
        .port
}

#[test]
fn fly_configs_name_existing_binaries_ports_and_health_paths() {
    let bins = binaries();
    for (name, port) in SERVICES {
        assert_eq!(default_port(name), port);
        let doc: toml::Value =
            toml::from_str(&read(&format!("infrastructure/fly/{name}/fly.toml"))).unwrap();
        assert_eq!(
            doc["app"].as_str(),
            Some(format!("growthos-{name}").as_str())
        );
        let bin = doc["build"]["args"]["BIN"].as_str().unwrap();
        assert_eq!(bin, name);
        assert!(bins.contains(bin), "{bin} is not a workspace binary");
        assert_eq!(doc["env"]["PORT"].as_str(), Some(port.to_string().as_str()));
        assert_eq!(doc["env"]["APP_ENV"].as_str(), Some("production"));
        let paths: BTreeSet<&str> = if name == "api-gateway" {
            assert_eq!(
                doc["http_service"]["internal_port"].as_integer(),
                Some(i64::from(port))
            );
            assert_eq!(doc["http_service"]["force_https"].as_bool(), Some(true));
            doc["http_service"]["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["path"].as_str().unwrap())
                .collect()
        } else {
            assert!(
                doc.get("http_service").is_none(),
                "{name} must stay internal"
            );
            doc["checks"]
                .as_table()
                .unwrap()
                .values()
                .map(|c| {
                    assert_eq!(c["port"].as_integer(), Some(i64::from(port)));
                    c["path"].as_str().unwrap()
                })
                .collect()
        };
        assert_eq!(paths, BTreeSet::from(["/health", "/ready"]), "{name}");
        let release = doc
            .get("deploy")
            .and_then(|d| d.get("release_command"))
            .and_then(|r| r.as_str());
        if name == "api-gateway" {
            assert_eq!(release, Some("api-gateway migrate"));
        } else {
            assert_eq!(release, None, "only the gateway migrates");
        }
    }
}

#[test]
fn railway_configs_name_existing_binaries_and_health_paths() {
    let bins = binaries();
    for (name, _) in SERVICES {
        let doc: serde_json::Value = serde_json::from_str(&read(&format!(
            "infrastructure/railway/{name}/railway.json"
        )))
        .unwrap();
        assert_eq!(doc["build"]["builder"], "DOCKERFILE");
        let dockerfile = doc["build"]["dockerfilePath"].as_str().unwrap();
        assert!(root().join(dockerfile).is_file(), "{dockerfile}");
        let deploy = &doc["deploy"];
        let start = deploy["startCommand"].as_str().unwrap();
        assert_eq!(start, name);
        assert!(bins.contains(start));
        assert_eq!(deploy["healthcheckPath"], "/ready");
        assert_eq!(deploy["restartPolicyType"], "ON_FAILURE");
        let pre = deploy.get("preDeployCommand");
        if name == "api-gateway" {
            assert_eq!(pre, Some(&serde_json::json!(["api-gateway migrate"])));
        } else {
            assert_eq!(pre, None);
        }
    }
}

#[test]
fn the_dockerfile_is_parameterised_non_root_and_health_checked() {
    let dockerfile = read("infrastructure/docker/Dockerfile");
    for needle in [
        "ARG BIN",
        "cargo chef cook --release",
        "--bin growthos-healthcheck",
        "USER 10001",
        "HEALTHCHECK",
        "ca-certificates",
        "FROM debian:${DEBIAN_RELEASE}-slim AS runtime",
    ] {
        assert!(dockerfile.contains(needle), "Dockerfile lacks `{needle}`");
    }
    assert!(binaries().contains("growthos-healthcheck"));
    // Nothing secret is baked in: no ENV/ARG of a secret variable.
    for secret in [
        "JWT_SECRET",
        "STRIPE_SECRET_KEY",
        "RESEND_API_KEY",
        "DATABASE_URL",
        "ADMIN_SECRET",
    ] {
        assert!(!dockerfile.contains(secret), "Dockerfile mentions {secret}");
    }
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l == "target/"));
    assert!(
        !ignore.lines().any(|l| l.starts_with("apps")),
        "rules-engine embeds apps/*/product.toml"
    );
}

#[test]
fn compose_services_build_every_binary_from_the_one_dockerfile() {
    // `make lint` validates the YAML itself (docker-compose config); this
    // checks that it wires the binaries as the code expects.
    let text = read("infrastructure/docker-compose.yml");
    for (name, port) in SERVICES {
        assert!(
            text.contains(&format!("BIN: {name}")),
            "compose builds {name}"
        );
        assert!(
            text.contains(&format!("PORT: \"{port}\"")),
            "compose sets {name}'s port"
        );
    }
    assert!(text.contains(r#"command: ["api-gateway", "migrate"]"#));
    assert!(text.contains("condition: service_completed_successfully"));
    let production = read("infrastructure/docker-compose.production.yml");
    assert!(production.contains("env_file"));
    assert!(production.contains("restart: unless-stopped"));
    // Only the gateway publishes a port.
    assert_eq!(production.matches("ports:").count(), 1);
}

#[test]
fn env_example_documents_every_variable_core_engine_reads() {
    let documented: BTreeSet<String> = read("infrastructure/env.example")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| !k.starts_with('#'))
        .collect();
    let mut read_by_code: BTreeMap<String, &str> = BTreeMap::new();
    for file in [
        "crates/core-engine/src/config/mod.rs",
        "crates/core-engine/src/config/reader.rs",
    ] {
        let text = read(file);
        for literal in text.split('"').skip(1).step_by(2) {
            let is_var = literal.len() > 2
                && literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && literal.contains('_')
                && !literal.starts_with('_')
                && !literal.ends_with('_');
            if is_var {
                read_by_code.insert(literal.to_owned(), file);
            }
        }
    }
    assert!(read_by_code.len() > 30, "found only {read_by_code:?}");
    read_by_code.insert("PORT".into(), "config/mod.rs");
    read_by_code.insert("HOST".into(), "config/mod.rs");
    let missing: Vec<_> = read_by_code
        .keys()
        .filter(|k| !documented.contains(*k))
        .collect();
    assert!(missing.is_empty(), "env.example lacks {missing:?}");
}
