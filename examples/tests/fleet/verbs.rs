//! The example's verbs against a real gateway it did not start (`MCPGATEWAY_URL` set): plan, diff (exit 2 on
//! drift), apply, verify, `--json`, sync, and bad input as one line without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use mcpfleet_harness::{FixtureKind, FixtureServer, Fixtures, Gateway, GatewayOptions};
use serde_json::Value;

use crate::common;

const TOKEN_ENV: &str = "VERBS_TEST_TOKEN";

fn fleet(args: &[&str], gateway: &Gateway) -> Output {
    Command::new(common::example_binary())
        .args(args)
        .env("MCPGATEWAY_URL", gateway.url())
        .env(TOKEN_ENV, gateway.admin_token())
        .output()
        .unwrap()
}

#[test]
fn plan_diff_apply_verify_sync_against_a_gateway_it_did_not_start() {
    let gateway = Gateway::shared();
    let fixtures = Fixtures::shared();
    let dir = tempfile::tempdir().unwrap();
    let fleet_name = format!("verbs{}", std::process::id());
    let manifest = dir.path().join("fleet.yaml");
    std::fs::write(
        &manifest,
        format!(
            r#"fleet: {fleet_name}
gateway: {{url: "${{MCPGATEWAY_URL}}", token_env: {TOKEN_ENV}}}
servers:
  - name: {fleet_name}-utils
    url: "{}"
    transport: streamable-http
    expected_tools: [add]
    smoke: [{{tool: add, arguments: {{a: 10, b: 5}}, expect: {{equals: 15}}}}]
"#,
            fixtures.utils.url
        ),
    )
    .unwrap();
    let empty = dir.path().join("empty.yaml");
    std::fs::write(
        &empty,
        format!("fleet: {fleet_name}\ngateway: {{url: \"${{MCPGATEWAY_URL}}\", token_env: {TOKEN_ENV}}}\n"),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    let empty = empty.to_str().unwrap();

    let plan = fleet(&["plan", manifest], gateway);
    assert!(plan.status.success(), "{}", common::text(&plan));
    assert!(
        String::from_utf8_lossy(&plan.stdout).contains("+ create"),
        "{}",
        common::text(&plan)
    );

    let drift = fleet(&["diff", manifest], gateway);
    assert_eq!(
        drift.status.code(),
        Some(2),
        "not applied yet is drift: {}",
        common::text(&drift)
    );

    let applied = fleet(&["apply", manifest, "--json"], gateway);
    assert!(applied.status.success(), "{}", common::text(&applied));
    let report: Value = serde_json::from_slice(&applied.stdout).unwrap();
    assert!(report.is_object(), "{}", common::text(&applied));

    let converged = fleet(&["diff", manifest], gateway);
    assert_eq!(
        converged.status.code(),
        Some(0),
        "{}",
        common::text(&converged)
    );

    let verified = fleet(&["verify", manifest, "--json"], gateway);
    assert!(verified.status.success(), "{}", common::text(&verified));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["passed"], true, "{}", common::text(&verified));
    assert_eq!(
        report["servers"][0]["calls"][0]["detail"],
        "15",
        "{}",
        common::text(&verified)
    );

    // Sync of the fleet with no servers removes what it registered; then nothing is left to converge.
    let synced = fleet(&["sync", empty], gateway);
    assert!(synced.status.success(), "{}", common::text(&synced));
    let after = fleet(&["diff", "--sync", empty], gateway);
    assert_eq!(after.status.code(), Some(0), "{}", common::text(&after));
}

/// A manifest with `targets`: the CLI plans, applies, diffs and verifies per gateway, each with the token its
/// target names, in one report. Two real gateways (the shared one as staging, a second as production), each with
/// servers of its own: a gateway takes one registration per URL, and the other tests register the shared fixtures.
#[test]
fn several_targets_are_planned_applied_and_verified_per_target_in_one_report() {
    let started = std::time::Instant::now();
    let staging = Gateway::shared();
    let production = Gateway::start(GatewayOptions::default()).unwrap();
    let utils = FixtureServer::spawn(FixtureKind::Utils, staging).unwrap();
    let textkit = FixtureServer::spawn(FixtureKind::Textkit, &production).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fleet_name = format!("targets{}", std::process::id());
    let manifest = dir.path().join("fleet.yaml");
    std::fs::write(
        &manifest,
        format!(
            r#"fleet: {fleet_name}
gateway: {{url: "${{MCPGATEWAY_URL}}", token_env: {TOKEN_ENV}}}
servers:
  - name: {fleet_name}-utils
    url: "{utils}"
    transport: streamable-http
    expected_tools: [add]
    smoke: [{{tool: add, arguments: {{a: 10, b: 5}}, expect: {{equals: 15}}}}]
  - name: {fleet_name}-textkit
    url: "{textkit}"
    transport: sse
    expected_tools: [upper]
    smoke: [{{tool: upper, arguments: {{text: fleet}}, expect: {{equals: FLEET}}}}]
targets:
  - {{name: staging, url: "${{MCPGATEWAY_URL}}", servers: [{fleet_name}-utils]}}
  - {{name: production, url: "{production_url}", token_env: PRODUCTION_TOKEN, servers: [{fleet_name}-textkit]}}
"#,
            utils = utils.url,
            textkit = textkit.url,
            production_url = production.url(),
        ),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    let run = |args: &[&str]| {
        Command::new(common::example_binary())
            .args(args)
            .env("MCPGATEWAY_URL", staging.url())
            .env(TOKEN_ENV, staging.admin_token())
            .env("PRODUCTION_TOKEN", production.admin_token())
            .output()
            .unwrap()
    };

    let plan = run(&["plan", manifest, "--json"]);
    assert!(plan.status.success(), "{}", common::text(&plan));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let targets: Vec<&str> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["staging", "production"]);
    assert_eq!(
        plan["targets"][0]["plan"]["upstreams"][0]["name"],
        format!("{fleet_name}-utils")
    );
    assert_eq!(
        plan["targets"][1]["plan"]["upstreams"][0]["name"],
        format!("{fleet_name}-textkit")
    );

    let drift = run(&["diff", manifest]);
    assert_eq!(drift.status.code(), Some(2), "{}", common::text(&drift));

    // One combined report: each target applied with its own token and preflight, then verified.
    let applied = run(&["apply", manifest]);
    assert!(applied.status.success(), "{}", common::text(&applied));
    let out = String::from_utf8_lossy(&applied.stdout);
    assert!(
        out.contains("staging") && out.contains("production"),
        "{}",
        common::text(&applied)
    );

    let converged = run(&["diff", manifest]);
    assert_eq!(
        converged.status.code(),
        Some(0),
        "{}",
        common::text(&converged)
    );
    let verified = run(&["verify", manifest, "--json"]);
    assert!(verified.status.success(), "{}", common::text(&verified));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(
        report["targets"][0]["verify"]["servers"][0]["calls"][0]["detail"],
        "15"
    );
    assert_eq!(
        report["targets"][1]["verify"]["servers"][0]["calls"][0]["detail"],
        "FLEET"
    );

    // A target whose token is missing fails alone, naming its variable; the other is still applied.
    let without = Command::new(common::example_binary())
        .args(["apply", manifest])
        .env("MCPGATEWAY_URL", staging.url())
        .env(TOKEN_ENV, staging.admin_token())
        .env_remove("PRODUCTION_TOKEN")
        .output()
        .unwrap();
    assert_eq!(without.status.code(), Some(1), "{}", common::text(&without));
    assert!(
        common::text(&without).contains("production")
            && common::text(&without).contains("PRODUCTION_TOKEN"),
        "{}",
        common::text(&without)
    );

    // Sync of the fleet with no servers removes what the staging target registered.
    let empty = dir.path().join("empty.yaml");
    std::fs::write(
        &empty,
        format!(
            "fleet: {fleet_name}\ngateway: {{url: \"${{MCPGATEWAY_URL}}\", token_env: {TOKEN_ENV}}}\n"
        ),
    )
    .unwrap();
    let synced = run(&["sync", empty.to_str().unwrap()]);
    assert!(synced.status.success(), "{}", common::text(&synced));
    mcpfleet_harness::record_figure(&format!(
        "[targets] the CLI on two gateways (the second started here) took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn bad_input_is_one_line_naming_where_and_never_a_panic() {
    let gateway = Gateway::shared();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "fleet: x\ngateway: {url: \"http://gw\"}\nservers:\n  - {name: a, urll: \"http://a/mcp\"}\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    for args in [
        vec!["plan", bad],
        vec!["audit", bad],
        vec!["plan", "/no/such/fleet.yaml"],
    ] {
        let output = fleet(&args, gateway);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "one line: {}",
            common::text(&output)
        );
        assert!(stderr.starts_with("error: "), "{}", common::text(&output));
        assert!(!stderr.contains("panicked"), "{}", common::text(&output));
    }
    let output = fleet(&["plan", bad], gateway);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.yaml:4:15") && stderr.contains("did you mean `url`"),
        "{stderr}"
    );
}

#[test]
fn run_against_a_gateway_it_did_not_start_starts_nothing_and_leaves_the_fleet_registered() {
    let gateway = Gateway::shared();
    let fixtures = Fixtures::shared();
    let dir = tempfile::tempdir().unwrap();
    let fleet_name = format!("run{}", std::process::id());
    let fleet_files = common::one_server_fleet(
        dir.path(),
        &fleet_name,
        TOKEN_ENV,
        "textkit",
        &format!(
            "    url: \"{}\"\n    transport: sse\n    expected_tools: [upper, word_count]\n    \
             smoke: [{{tool: upper, arguments: {{text: fleet}}, expect: {{equals: FLEET}}}}]\n",
            fixtures.textkit.url
        ),
    );
    let manifest = &fleet_files.manifest;
    let out = dir.path().join("out");
    let run = fleet(
        &[
            "run",
            "--manifest",
            manifest.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        gateway,
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{}", common::text(&run));
    assert!(
        stdout.contains("upper(\"fleet\") = FLEET"),
        "{}",
        common::text(&run)
    );
    assert!(
        !stderr.contains("[harness] ContextForge"),
        "it started a gateway: {}",
        common::text(&run)
    );
    assert!(
        !stdout.contains(gateway.admin_token()),
        "the token was printed"
    );
    // The caller token is the one output that holds a secret: owner-only.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(out.join("caller-token"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    for config in [
        "mcp.json",
        ".vscode/mcp.json",
        ".cursor/mcp.json",
        "claude_desktop_config.json",
    ] {
        let text = std::fs::read_to_string(out.join("clients").join(config)).unwrap();
        assert!(!text.contains("eyJ"), "{config} holds a token");
    }
    // The fleet stays registered and converged; remove it.
    let converged = fleet(&["diff", manifest.to_str().unwrap()], gateway);
    assert_eq!(
        converged.status.code(),
        Some(0),
        "{}",
        common::text(&converged)
    );
    let synced = fleet(&["sync", fleet_files.empty.to_str().unwrap()], gateway);
    assert!(synced.status.success(), "{}", common::text(&synced));
}
