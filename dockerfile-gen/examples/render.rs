//! Renders a container spec — one server, or a fleet — to its Dockerfile, `.dockerignore` (and launcher script)
//! or compose file, offline.
//!
//! ```text
//! cargo run -p mcpfleet-dockerfile-gen --example render                           # a built-in stdio server
//! cargo run -p mcpfleet-dockerfile-gen --example render -- spec.yaml out/         # your spec (YAML or JSON)
//! ```
//!
//! A spec with a `servers:` list is a fleet (a compose file and one directory per server); otherwise one server.
//! Bad input is an error naming the field, never a panic.

use mcpfleet_dockerfile_gen::{BuildPlan, FleetPlan, FleetSpec, Renderer, ServerSpec, SpecFormat};

/// A legacy stdio FastMCP script, served over streamable HTTP by the launcher, non-root, with a healthcheck.
const BUILT_IN: &str = r#"
name: utils
runtime: {language: python, version: "3.13"}
entrypoint: {kind: script, path: utils_server.py}
transport: {kind: stdio, bridge: {kind: fastmcp_launcher}}
dependencies: {kind: requirements, path: requirements.txt}
labels: {tools: [add, now, uuid4]}
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (text, origin) = match args.next() {
        Some(path) => (
            std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?,
            path,
        ),
        None => (BUILT_IN.to_owned(), "built-in spec".to_owned()),
    };
    let format = SpecFormat::from_path(std::path::Path::new(&origin));
    let renderer = Renderer::new()?;
    // A fleet has a top-level `servers`; anything else is one server. Errors name the file, line and field.
    let is_fleet = text
        .lines()
        .any(|line| line.starts_with("servers:") || line.contains("\"servers\""));
    let files = if is_fleet {
        let spec = FleetSpec::from_text(&text, format, &origin)?;
        renderer.render_fleet(&FleetPlan::from_spec(&spec)?)?
    } else {
        let spec = ServerSpec::from_text(&text, format, &origin)?;
        let plan = BuildPlan::from_spec(&spec)?;
        println!(
            "# {} listens on port {} ({}), runs as {}",
            spec.name, plan.endpoint.port, plan.endpoint.path, plan.user
        );
        renderer.render(&plan)?
    };
    match args.next() {
        Some(out) => {
            files.write_to(&out)?;
            for file in &files.files {
                println!("wrote {out}/{}", file.path.display());
            }
        }
        None => {
            for file in &files.files {
                println!("==> {} <==\n{}", file.path.display(), file.contents);
            }
        }
    }
    Ok(())
}
