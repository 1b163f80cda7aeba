//! The fleet compose file: accepted by `docker-compose config` (1.29.2, and
//! Compose v2 where installed as `docker-compose`), and hardened as promised.
//! A missing docker-compose fails the config test; it is never a skip.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use yaml_serde::Value;

const SECRETS: &[&str] = &[
    "JWT_SECRET_KEY",
    "AUTH_ENCRYPTION_SECRET",
    "PLATFORM_ADMIN_EMAIL",
    "PLATFORM_ADMIN_PASSWORD",
    "DEFAULT_USER_PASSWORD",
    "NOTES_TOKEN",
    "NOTES_TITLE",
];

fn docker_compose() -> PathBuf {
    if let Some(path) = std::env::var_os("DOCKER_COMPOSE") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("docker-compose"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!("docker-compose not found on PATH (or $DOCKER_COMPOSE): install docker-compose 1.29.2")
        })
}

/// Writes the fleet to a temporary directory and runs `docker-compose config -q`
/// with the given environment (and nothing inherited that could satisfy it).
fn compose_config(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = common::fleet();
    files.write_to(dir.path()).unwrap();
    let mut command = Command::new(docker_compose());
    command
        .args(["-f", "docker-compose.yml", "config", "-q"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn docker_compose_accepts_the_fleet_file() {
    let env: Vec<(&str, &str)> = SECRETS
        .iter()
        .map(|name| (*name, "set-at-run-time"))
        .collect();
    let output = compose_config(&env);
    assert!(
        output.status.success(),
        "docker-compose config failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn docker_compose_refuses_to_start_without_a_secret() {
    let env: Vec<(&str, &str)> = SECRETS
        .iter()
        .filter(|name| **name != "NOTES_TOKEN")
        .map(|name| (*name, "set-at-run-time"))
        .collect();
    let output = compose_config(&env);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NOTES_TOKEN must be set"), "{stderr}");
}

fn compose_yaml() -> Value {
    let (_, files) = common::fleet();
    yaml_serde::from_str(files.get("docker-compose.yml").unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_service_is_hardened_and_limited() {
    let compose = compose_yaml();
    assert!(
        compose.get("version").is_none(),
        "obsolete top-level version key"
    );
    assert!(
        compose.get("name").is_none(),
        "docker-compose 1.29 rejects a top-level name"
    );
    let services = compose["services"].as_mapping().unwrap();
    assert_eq!(services.len(), 5);
    for (name, service) in services {
        let name = name.as_str().unwrap();
        assert_eq!(strings(&service["cap_drop"]), ["ALL"], "{name}");
        assert_eq!(
            strings(&service["security_opt"]),
            ["no-new-privileges:true"],
            "{name}"
        );
        assert!(
            service["networks"]
                .as_sequence()
                .unwrap()
                .contains(&Value::from("demo-private"))
        );
        assert_eq!(service["healthcheck"]["test"][0], "CMD", "{name}");
        let limits = &service["deploy"]["resources"]["limits"];
        assert!(
            limits["cpus"].as_str().is_some() && limits["memory"].as_str().is_some(),
            "{name}"
        );
        assert_eq!(service["restart"], "unless-stopped", "{name}");
        if name == "gateway" {
            assert_eq!(strings(&service["ports"]), ["127.0.0.1:4444:4444"]);
            let depends = service["depends_on"].as_mapping().unwrap();
            for server in ["utils", "shout", "notes"] {
                assert_eq!(depends[server]["condition"], "service_healthy");
            }
        } else if name == "vector-db" {
            // A backend: the image's own user and command, never registered, on the private network only.
            assert!(service.get("user").is_none() && service.get("command").is_none());
            assert_eq!(service["read_only"], Value::from(true), "{name}");
            assert_eq!(strings(&service["networks"]), ["demo-private"]);
            assert!(service.get("ports").is_none());
        } else {
            assert_eq!(service["read_only"], Value::from(true), "{name}");
            assert!(
                service.get("ports").is_none(),
                "{name} must not publish ports"
            );
            assert_eq!(service["user"], "10001:10001", "{name}");
        }
    }
    // A server waits for the backend it calls to be healthy.
    assert_eq!(
        services["shout"]["depends_on"]["vector-db"]["condition"],
        "service_healthy"
    );
    assert_eq!(
        strings(&services["vector-db"]["volumes"]),
        ["vector-db-data:/data"]
    );
    assert_eq!(
        compose["networks"]["demo-private"]["internal"],
        Value::from(true)
    );
    assert_eq!(strings(&services["notes"]["volumes"]), ["notes-data:/data"]);
    assert!(compose["volumes"].get("notes-data").is_some());
}

#[test]
fn compose_never_points_at_localhost_and_holds_no_secret_values() {
    let (_, files) = common::fleet();
    let text = files.get("docker-compose.yml").unwrap();
    assert!(!text.contains("localhost"));
    let compose = compose_yaml();
    for (name, service) in compose["services"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        let Some(env) = service.get("environment").and_then(Value::as_mapping) else {
            continue;
        };
        for (key, value) in env {
            let key = key.as_str().unwrap();
            if SECRETS.contains(&key) {
                assert_eq!(
                    value.as_str().unwrap(),
                    format!("${{{key}:?{key} must be set in the environment}}"),
                    "{name}.{key}"
                );
            }
        }
    }
}
