//! Names and sources of the built-in templates.
//!
//! Override one with [`crate::Renderer::register_template`] under the same
//! name. Templates are handlebars in strict mode with HTML escaping off; the
//! data is the serialized [`crate::BuildPlan`] (server files) or
//! [`crate::FleetPlan`] (compose file). Two helpers are available:
//! `json` (JSON text of a value; `{{json argv}}` gives an exec-form array,
//! `prefix="CMD"` prepends an element) and the built-in `eq`.

/// `Dockerfile` of one server; data: [`crate::BuildPlan`].
pub const DOCKERFILE: &str = "Dockerfile";
/// `.dockerignore` of one server; data: [`crate::BuildPlan`].
pub const DOCKERIGNORE: &str = "dockerignore";
/// The fleet's compose file; data: [`crate::FleetPlan`].
pub const COMPOSE: &str = "compose";
/// The fleet's Docker Swarm stack file; data: [`crate::StackPlan`].
pub const STACK: &str = "stack";
/// The FastMCP launcher (supporting file); data: [`crate::BuildPlan`].
pub const FASTMCP_LAUNCHER: &str = "fastmcp_launcher.py";
/// The MCP health probe for images with a Python (supporting file
/// [`crate::PROBE_FILE`]); data: [`crate::BuildPlan`].
pub const PROBE: &str = "mcpfleet_probe.py";
/// The MCP health probe for Node images (supporting file
/// [`crate::NODE_PROBE_FILE`]); data: [`crate::BuildPlan`].
pub const NODE_PROBE: &str = "mcpfleet_probe.js";

/// Every built-in template as `(name, source)`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (DOCKERFILE, include_str!("../templates/Dockerfile.hbs")),
    (DOCKERIGNORE, include_str!("../templates/dockerignore.hbs")),
    (COMPOSE, include_str!("../templates/compose.hbs")),
    (STACK, include_str!("../templates/stack.hbs")),
    (
        FASTMCP_LAUNCHER,
        include_str!("../templates/fastmcp_launcher.py.hbs"),
    ),
    (PROBE, include_str!("../templates/mcpfleet_probe.py.hbs")),
    (
        NODE_PROBE,
        include_str!("../templates/mcpfleet_probe.js.hbs"),
    ),
];
