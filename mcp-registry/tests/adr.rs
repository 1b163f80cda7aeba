//! The containerization ADR for the bundled seed-like manifest (Project Sanctuary's twelve servers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_registry::Manifest;
use mcpfleet_registry::adr::{Measurements, RiskClass, containerization};

fn sanctuary() -> Manifest {
    Manifest::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/sanctuary.yaml"
    ))
    .unwrap()
}

#[test]
fn the_seed_fleet_is_grouped_by_risk_and_dependencies() {
    let adr = containerization(&sanctuary(), Measurements::default());
    let group_of = |server: &str| {
        adr.decisions
            .iter()
            .find(|d| d.server == server)
            .and_then(|d| d.group.clone())
    };
    // The seed's answer too: the composites stay processes, git is isolated, the document servers share one image.
    assert_eq!(group_of("council"), None);
    assert_eq!(group_of("orchestrator"), None);
    assert_eq!(group_of("git").as_deref(), Some("isolated-git"));
    for server in ["adr", "chronicle", "config", "protocol", "task"] {
        assert_eq!(group_of(server).as_deref(), Some("filesystem"), "{server}");
    }
    assert_eq!(group_of("forge_llm").as_deref(), Some("gpu-ollama"));
    assert_ne!(
        group_of("code"),
        group_of("adr"),
        "code needs linters the others do not"
    );
    let isolated = adr
        .groups
        .iter()
        .filter(|g| g.class == RiskClass::Isolated)
        .count();
    assert_eq!(
        isolated, 2,
        "git and agent_persona write files and reach the internet"
    );
}

#[test]
fn adr_markdown() {
    let adr = containerization(&sanctuary(), Measurements::default());
    insta::assert_snapshot!(adr.to_markdown());
}
