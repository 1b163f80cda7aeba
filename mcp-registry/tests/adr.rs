//! The containerization ADR for the seed-shaped fleet (`tests/fixtures/seed/manifest.yaml`: Project Sanctuary's
//! twelve servers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_registry::Manifest;
use mcpfleet_registry::adr::{ImageFigures, Measurements, Placement, RiskClass, containerization};

fn sanctuary() -> Manifest {
    Manifest::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/seed/manifest.yaml"
    ))
    .unwrap()
}

#[test]
fn the_seed_fleet_gets_one_container_each_but_for_its_composites() {
    let adr = containerization(&sanctuary(), Measurements::default());
    let decision = |server: &str| adr.decisions.iter().find(|d| d.server == server).unwrap();
    // The seed's answer too: the composites stay processes.
    for server in ["council", "orchestrator"] {
        assert_eq!(decision(server).placement, Placement::Process, "{server}");
    }
    let containers = adr
        .decisions
        .iter()
        .filter(|d| d.placement == Placement::Container)
        .count();
    assert_eq!(containers, 10);
    assert_eq!(decision("git").class, RiskClass::Isolated);
    assert_eq!(decision("git").secrets, ["GITHUB_TOKEN"]);
    // The GPU is the model server's; forge_llm only calls it.
    assert_eq!(decision("forge_llm").class, RiskClass::FleetBackend);
    for server in ["adr", "chronicle", "config", "protocol", "task", "code"] {
        assert_eq!(decision(server).class, RiskClass::Filesystem, "{server}");
    }
}

#[test]
fn without_figures_the_record_says_so_and_claims_none() {
    let text = containerization(&sanctuary(), Measurements::default()).to_markdown();
    assert!(text.contains("Status: proposed"));
    assert!(text.contains("No image of this fleet has been measured yet"));
    assert!(!text.contains(" MB |"));
}

#[test]
fn with_figures_every_container_has_them_and_the_text_adds_them_up() {
    let manifest = sanctuary();
    let mut measurements = Measurements::default();
    measurements.base_mb = Some(221.0);
    for (i, server) in manifest
        .servers
        .iter()
        .filter(|s| s.imports.is_empty())
        .enumerate()
    {
        let i = i as f64;
        measurements.servers.insert(
            server.name.clone(),
            ImageFigures::new(300.0 + i, 79.0 + i, 0.5, 2_000 + 100 * i as u64, 40.0, 12.0),
        );
    }
    let text = containerization(&manifest, measurements.clone()).to_markdown();
    assert!(text.contains("Status: accepted"));
    // 10 images of 300..309 MB = 3045 MB; 79..88 over the base = 835 MB; 10 × 0.5 unique = 5 MB.
    assert!(
        text.contains("the 10 images take 3045 MB and add 835 MB over their base (221 MB)"),
        "{text}"
    );
    assert!(
        text.contains("only 5.0 MB of those 835 MB is held by a single image"),
        "{text}"
    );
    assert!(text.contains("(`task`) is healthy 2.9 s"), "{text}");
    // Memory limits follow the measured idle memory (40 MiB idle: 256 MiB), CPU the class.
    assert!(
        text.contains("| `adr` | container | filesystem | — | — | 0.5 CPU, 256 MiB |"),
        "{text}"
    );
    assert!(
        text.contains(
            "| `rag_cortex` | container | fleet-backend | `chroma` | — | 1 CPU, 256 MiB |"
        ),
        "{text}"
    );
    assert!(!text.contains("not measured"));
    // A container without figures: the record does not pretend, it lists none.
    measurements.servers.remove("adr");
    let text = containerization(&manifest, measurements).to_markdown();
    assert!(text.contains("Status: proposed"));
}

#[test]
fn adr_markdown() {
    let adr = containerization(&sanctuary(), Measurements::default());
    insta::assert_snapshot!(adr.to_markdown());
}
