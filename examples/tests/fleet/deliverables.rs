//! The committed deliverables under `docs/` are exactly what the code generates now.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcpfleet_examples::deliverables::{CALLER_TOKEN_ENV, deliverables, stale};
use mcpfleet_examples::workspace_root;

const REGENERATE: &str = "cargo run -p mcpfleet-examples --example fleet -- docs";

#[tokio::test]
async fn committed_docs_match_what_the_code_generates() {
    let stale = stale(&workspace_root()).await.unwrap();
    assert!(
        stale.is_empty(),
        "these files under docs/ differ from what the code generates now: {stale:?}\nregenerate with `{REGENERATE}` \
         and commit the result"
    );
}

fn files_under(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.insert(path);
        }
    }
}

#[tokio::test]
async fn no_generated_directory_holds_a_file_the_code_no_longer_generates() {
    let root = workspace_root();
    let generated: BTreeSet<PathBuf> = deliverables()
        .await
        .unwrap()
        .into_iter()
        .map(|d| root.join(d.path))
        .collect();
    let mut committed = BTreeSet::new();
    for dir in ["docs/containers", "docs/clients"] {
        files_under(&root.join(dir), &mut committed);
    }
    let orphans: Vec<_> = committed.difference(&generated).collect();
    assert!(
        orphans.is_empty(),
        "not generated any more (delete them): {orphans:?}"
    );
}

#[tokio::test]
async fn the_committed_client_configs_refer_to_the_token_and_hold_none() {
    let all = deliverables().await.unwrap();
    let configs: Vec<_> = all
        .iter()
        .filter(|d| d.path.starts_with("docs/clients"))
        .collect();
    assert_eq!(configs.len(), 4, "{configs:?}");
    for config in configs {
        assert!(
            config.contents.contains(CALLER_TOKEN_ENV) || config.contents.contains("${input:"),
            "{}: {}",
            config.path.display(),
            config.contents
        );
    }
    // No deliverable holds a token: a JWT starts with a base64url JSON header, `eyJ`.
    for deliverable in &all {
        assert!(
            !deliverable.contents.contains("eyJ"),
            "{} holds a token",
            deliverable.path.display()
        );
    }
}

#[tokio::test]
async fn every_deliverable_the_issue_lists_is_generated() {
    let paths: BTreeSet<String> = deliverables()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.path.display().to_string())
        .collect();
    for expected in [
        "docs/permission-audit.md",
        "docs/permission-audit.json",
        "docs/fleet-registrar-roles.json",
        "docs/adr-containerization.md",
        "docs/registration.md",
        "docs/e2e.md",
        "docs/containers/fleet/docker-compose.yml",
        "docs/containers/python-proxy/Dockerfile",
        "docs/containers/node-stdio/Dockerfile",
        "docs/containers/README.md",
        "docs/clients/claude_desktop_config.json",
        "docs/clients/.vscode/mcp.json",
        "docs/clients/.cursor/mcp.json",
        "docs/clients/mcp.json",
    ] {
        assert!(
            paths.contains(expected),
            "{expected} is not generated: {paths:?}"
        );
    }
}

/// The ADR is decided and measured for the fleet the tests run: every containerized server has every figure, the
/// containers are exactly the services of `tests/fixtures/seed/fleet.yaml` and the processes are not among them,
/// and the limits it states are the limits the fleet's compose file gives.
#[test]
fn the_adr_states_the_figures_and_limits_of_the_fleet_that_runs() {
    use mcpfleet_dockerfile_gen::{FleetPlan, FleetSpec};
    use mcpfleet_registry::Manifest;
    use mcpfleet_registry::adr::{Measurements, Placement, containerization};

    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("docs/adr-containerization.md")).unwrap();
    assert!(
        !text.contains("not measured") && text.contains("Status: accepted"),
        "{text}"
    );
    let measurements: Measurements = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/container-measurements.json")).unwrap(),
    )
    .unwrap();
    let manifest = Manifest::from_path(root.join("tests/fixtures/seed/manifest.yaml")).unwrap();
    let adr = containerization(&manifest, measurements.clone());
    let plan = FleetPlan::from_spec(
        &FleetSpec::from_path(root.join("tests/fixtures/seed/fleet.yaml")).unwrap(),
    )
    .unwrap();
    for decision in &adr.decisions {
        let service = plan
            .compose
            .services
            .iter()
            .find(|s| s.name == decision.server.replace('_', "-"));
        match decision.placement {
            Placement::Process => {
                assert!(service.is_none(), "{} runs as a process", decision.server)
            }
            _ => {
                let service =
                    service.unwrap_or_else(|| panic!("{} has no service", decision.server));
                assert!(
                    measurements.servers.contains_key(&decision.server),
                    "{}",
                    decision.server
                );
                assert_eq!(
                    service.cpus,
                    decision.limits.cpus.to_string(),
                    "{}",
                    decision.server
                );
                let memory = if decision.limits.memory_mib % 1024 == 0 {
                    format!("{}G", decision.limits.memory_mib / 1024)
                } else {
                    format!("{}M", decision.limits.memory_mib)
                };
                assert_eq!(service.memory, memory, "{}", decision.server);
            }
        }
    }
}
