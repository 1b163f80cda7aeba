//! Checks a fleet manifest offline: every problem at once with `file:line:column`, or — when it is valid — the
//! servers it declares, the names their tools get through the gateway, and the containerization ADR.
//!
//! ```text
//! cargo run -p mcpfleet-registry --example check_manifest -- tests/fixtures/seed/manifest.yaml
//! ```

use mcpfleet_registry::adr::{Measurements, containerization};
use mcpfleet_registry::{Manifest, tool_name};

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_manifest <fleet.yaml|.toml|.json>");
        return std::process::ExitCode::from(2);
    };
    let manifest = match Manifest::from_path(&path) {
        Ok(manifest) => manifest,
        Err(error) => {
            // One line per problem, each with its position, field path and a suggestion where there is one.
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("fleet `{}` → {}", manifest.fleet, manifest.gateway.url);
    for server in &manifest.servers {
        let tools: Vec<String> = server
            .expected_tools
            .iter()
            .map(|tool| tool_name(&server.name, tool))
            .collect();
        println!("  {} [{}]", server.name, tools.join(", "));
    }
    println!(
        "\n{}",
        containerization(&manifest, Measurements::default()).to_markdown()
    );
    std::process::ExitCode::SUCCESS
}
