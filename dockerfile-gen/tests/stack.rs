//! The Docker Swarm stack file: snapshotted, accepted by `docker stack config` (the Docker CLI's own parser,
//! which needs no swarm), and checked for what Swarm schedules by.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use mcpfleet_dockerfile_gen::{Renderer, SwarmSpec};
use yaml_serde::Value;

fn stack_text() -> String {
    let (plan, _) = common::fleet();
    let stack = plan
        .stack(&SwarmSpec::default().replicas("utils", 3))
        .unwrap();
    Renderer::new().unwrap().render_stack(&stack).unwrap()
}

#[test]
fn the_stack_file_is_snapshotted() {
    insta::assert_snapshot!("fleet.stack.yml", stack_text());
}

#[test]
fn replicas_for_unknown_or_stateful_services_are_refused() {
    let (plan, _) = common::fleet();
    let err = plan
        .stack(&SwarmSpec::default().replicas("utlis", 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("swarm.replicas.utlis") && err.contains("utils"),
        "{err}"
    );
    // `notes` writes to a volume: two replicas would split its state.
    let err = plan
        .stack(&SwarmSpec::default().replicas("notes", 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("swarm.replicas.notes") && err.contains("volume"),
        "{err}"
    );
}

#[test]
fn docker_stack_config_accepts_the_stack_and_swarm_gets_what_it_schedules_by() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), stack_text()).unwrap();
    let mut command = Command::new("docker");
    command
        .args(["stack", "config", "-c", "stack.yml"])
        .current_dir(dir.path());
    for name in [
        "JWT_SECRET_KEY",
        "AUTH_ENCRYPTION_SECRET",
        "PLATFORM_ADMIN_EMAIL",
        "PLATFORM_ADMIN_PASSWORD",
        "DEFAULT_USER_PASSWORD",
        "NOTES_TOKEN",
        "NOTES_TITLE",
    ] {
        command.env(name, "x");
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("the docker CLI is needed for `docker stack config`: {e}"));
    assert!(
        output.status.success(),
        "docker stack config refused the stack:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config: Value = yaml_serde::from_slice(&output.stdout).unwrap();
    let utils = &config["services"]["utils"];
    assert_eq!(utils["deploy"]["replicas"], 3);
    assert_eq!(utils["deploy"]["endpoint_mode"], "dnsrr");
    assert_eq!(utils["deploy"]["update_config"]["order"], "start-first");
    assert_eq!(
        utils["deploy"]["update_config"]["failure_action"],
        "rollback"
    );
    assert_eq!(utils["read_only"], true);
    assert_eq!(utils["cap_drop"][0], "ALL");
    assert_eq!(utils["volumes"][0]["type"], "tmpfs");
    let gateway = config["services"]
        .as_mapping()
        .unwrap()
        .iter()
        .find(|(_, s)| s["ports"].as_sequence().is_some_and(|p| !p.is_empty()))
        .map(|(_, s)| s.clone())
        .unwrap();
    assert_eq!(
        gateway["ports"][0]["mode"], "host",
        "no routing mesh (it needs IPVS)"
    );
    for (name, network) in config["networks"].as_mapping().unwrap() {
        assert_eq!(network["driver"], "overlay", "{name:?}");
    }
}
