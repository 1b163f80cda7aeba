//! insta snapshots of every generated file, one per template variant.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use mcpfleet_dockerfile_gen::{BuildPlan, FleetSpec, ServerSpec};

#[test]
fn every_variant_renders_the_snapshotted_files() {
    for variant in common::VARIANTS {
        let (_, files) = common::render(&common::server_spec(variant));
        insta::assert_snapshot!(
            format!("{variant}.Dockerfile"),
            files.get("Dockerfile").unwrap()
        );
        insta::assert_snapshot!(
            format!("{variant}.dockerignore"),
            files.get(".dockerignore").unwrap()
        );
    }
}

#[test]
fn fastmcp_launcher_renders_the_snapshotted_script() {
    let (_, files) = common::render(&common::server_spec("python-fastmcp"));
    insta::assert_snapshot!(
        "fastmcp_launcher.py",
        files.get("mcpfleet_launcher.py").unwrap()
    );
}

#[test]
fn probes_render_the_snapshotted_scripts() {
    let (_, files) = common::render(&common::server_spec("python-proxy"));
    insta::assert_snapshot!("mcpfleet_probe.py", files.get("mcpfleet_probe.py").unwrap());
    let (_, files) = common::render(&common::server_spec("node-http"));
    insta::assert_snapshot!("mcpfleet_probe.js", files.get("mcpfleet_probe.js").unwrap());
}

#[test]
fn three_server_fleet_renders_the_snapshotted_compose_file() {
    let (_, files) = common::fleet();
    insta::assert_snapshot!(
        "fleet.docker-compose.yml",
        files.get("docker-compose.yml").unwrap()
    );
    let paths: Vec<String> = files
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    insta::assert_debug_snapshot!("fleet.files", paths);
}

#[test]
fn plan_serializes_to_the_snapshotted_json() {
    let plan = BuildPlan::from_spec(&common::server_spec("python-proxy")).unwrap();
    insta::assert_json_snapshot!("python-proxy.plan", plan);
}

#[test]
fn spec_json_schemas_are_snapshotted() {
    insta::assert_json_snapshot!("server-spec.schema", schemars::schema_for!(ServerSpec));
    insta::assert_json_snapshot!("fleet-spec.schema", schemars::schema_for!(FleetSpec));
}
