//! Every name the generator owns: directories in the image, variables it
//! sets, secrets its bridges and the gateway need, label prefixes, the
//! gateway's service name and how compose volumes are named.
//!
//! Validation reserves these names and the planners write them, so each is
//! defined once, here. The module imports nothing from the crate, which keeps
//! the module graph acyclic: `spec`, `layout` ← `validate` ← `plan` ←
//! `fleet` ← `render`.

// ---- directories in the image -----------------------------------------------

/// Where the server's virtual environment lives in both stages.
pub const VENV_DIR: &str = "/opt/venv";
/// Where the virtual environment of the `mcp-proxy` bridge lives in both
/// stages: its own, so the bridge's dependencies (it pins its own `mcp`)
/// can never replace the server's.
pub const BRIDGE_VENV_DIR: &str = "/opt/bridge";
/// Where sources are copied in the final image.
pub const APP_DIR: &str = "/app";
/// Where dependency manifests are copied in the builder stage.
pub(crate) const BUILD_DIR: &str = "/build";
/// Where the bridge's lock is copied in the builder stage: a directory of
/// its own, so no manifest path of the server can land on it.
pub(crate) const BRIDGE_BUILD_DIR: &str = "/build-bridge";
/// Where an offline vendor directory is copied in the builder stage (which
/// never runs as a container, so it is not reserved).
pub(crate) const VENDOR_DIR: &str = "/tmp/vendor";
/// Directory of the generator's own files in the image (the launcher and
/// the health probe).
pub(crate) const LAUNCHER_DIR: &str = "/opt/mcpfleet";
/// File name of the FastMCP launcher in the build context.
pub const LAUNCHER_FILE: &str = "mcpfleet_launcher.py";
/// File name of the MCP health probe in the build context of an image that
/// has a Python (see [`crate::Probe::Mcp`]).
pub const PROBE_FILE: &str = "mcpfleet_probe.py";
/// File name of the MCP health probe in the build context of a Node image
/// without a Python.
pub const NODE_PROBE_FILE: &str = "mcpfleet_probe.js";
/// The tmpfs every compose service gets; writable already, so a spec may
/// not ask for it as a writable path.
pub(crate) const TMPFS_DIR: &str = "/tmp";

/// Absolute directories the generator owns in the final image; writable
/// paths may be neither these nor below them.
pub(crate) const RESERVED_DIRS: &[&str] = &[
    VENV_DIR,
    BRIDGE_VENV_DIR,
    LAUNCHER_DIR,
    BUILD_DIR,
    BRIDGE_BUILD_DIR,
];

/// Where the FastMCP launcher is installed in the image.
pub(crate) fn launcher_in_image() -> String {
    format!("{LAUNCHER_DIR}/launcher.py")
}

/// Where the health probe is installed in the image (`probe.py` or
/// `probe.js`, named after the build context's file).
pub(crate) fn probe_in_image(file: &str) -> String {
    let extension = file.rsplit('.').next().unwrap_or("py");
    format!("{LAUNCHER_DIR}/probe.{extension}")
}

// ---- build arguments --------------------------------------------------------------

/// The build argument every stage's `FROM` reads: its default is the spec's
/// base image, and `docker build --build-arg BASE_IMAGE=…` replaces it (a
/// mirror, a locally made base) without editing the Dockerfile.
pub const BASE_IMAGE_ARG: &str = "BASE_IMAGE";
/// Build arguments an online Python build passes to pip (which reads them
/// from the environment): a package index other than PyPI, such as a
/// mirror or a local index serving a wheelhouse over plain HTTP.
pub const PIP_INDEX_ARGS: [&str; 2] = ["PIP_INDEX_URL", "PIP_TRUSTED_HOST"];
/// Build arguments an online npm install passes to npm: a registry other
/// than npmjs.org.
pub const NPM_REGISTRY_ARGS: [&str; 1] = ["NPM_CONFIG_REGISTRY"];

// ---- environment --------------------------------------------------------------

/// Environment variables the generated images set (or, for `HOME`, fix
/// through the account they create); a spec may not redefine them. A unit
/// test in `plan` checks that every variable the planner writes is listed.
pub(crate) const RESERVED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "HOST",
    "PORT",
    "VIRTUAL_ENV",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "NODE_ENV",
];

// ---- the gateway service ------------------------------------------------------

/// Compose service name of the gateway.
pub const GATEWAY_SERVICE: &str = "gateway";

/// Non-secret gateway variables the generator sets (a unit test in `fleet`
/// checks the compose service sets exactly these).
pub(crate) const GATEWAY_SETTINGS: &[&str] = &[
    "HOST",
    "PORT",
    "MCG_HOST",
    "MCG_PORT",
    "DATABASE_URL",
    "SSRF_ALLOW_PRIVATE_NETWORKS",
];

/// Secrets the gateway refuses to start without; compose requires them from
/// the deployer's environment.
pub(crate) const GATEWAY_SECRETS: &[&str] = &[
    "JWT_SECRET_KEY",
    "AUTH_ENCRYPTION_SECRET",
    "PLATFORM_ADMIN_EMAIL",
    "PLATFORM_ADMIN_PASSWORD",
    "DEFAULT_USER_PASSWORD",
];

/// Whether the generator sets `name` for the gateway service (a setting or
/// a secret), so the spec may not.
pub(crate) fn is_gateway_owned_env(name: &str) -> bool {
    GATEWAY_SETTINGS.contains(&name) || GATEWAY_SECRETS.contains(&name)
}

// ---- labels ---------------------------------------------------------------------

/// Prefix of the OCI annotation labels.
const OCI_LABEL_PREFIX: &str = "org.opencontainers.image.";
/// Prefix of the generator's own labels.
const MCPFLEET_LABEL_PREFIX: &str = "dev.mcpfleet.";

/// Label key prefixes the generator writes; `labels.extra` may not use them.
pub(crate) const GENERATED_LABEL_PREFIXES: &[&str] = &[OCI_LABEL_PREFIX, MCPFLEET_LABEL_PREFIX];

/// `org.opencontainers.image.<field>`.
pub(crate) fn oci_label(field: &str) -> String {
    format!("{OCI_LABEL_PREFIX}{field}")
}

/// `dev.mcpfleet.mcp.<field>`: MCP metadata about the server.
pub(crate) fn mcp_label(field: &str) -> String {
    format!("{MCPFLEET_LABEL_PREFIX}mcp.{field}")
}

// ---- compose volumes ------------------------------------------------------------

/// The named volume for `path` of `service`: readable, but not one-to-one
/// (`/data/x` and `/data-x` give the same name), so validation rejects specs
/// where two mounts would share one.
pub(crate) fn volume_name(service: &str, path: &str) -> String {
    format!("{service}{}", path.replace(['/', '.', '_', '@', '+'], "-"))
}

/// The gateway's own data volume.
pub(crate) fn gateway_volume() -> String {
    format!("{GATEWAY_SERVICE}-data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launchers_and_venvs_live_in_reserved_directories() {
        assert!(RESERVED_DIRS.contains(&LAUNCHER_DIR));
        assert_eq!(launcher_in_image(), "/opt/mcpfleet/launcher.py");
        assert_eq!(probe_in_image(PROBE_FILE), "/opt/mcpfleet/probe.py");
        assert_eq!(probe_in_image(NODE_PROBE_FILE), "/opt/mcpfleet/probe.js");
        for dir in [VENV_DIR, BRIDGE_VENV_DIR, BRIDGE_BUILD_DIR] {
            assert!(RESERVED_DIRS.contains(&dir), "{dir}");
        }
        assert_ne!(VENV_DIR, BRIDGE_VENV_DIR);
    }

    #[test]
    fn generated_labels_use_the_reserved_prefixes() {
        for key in [oci_label("title"), mcp_label("server")] {
            assert!(
                GENERATED_LABEL_PREFIXES
                    .iter()
                    .any(|prefix| key.starts_with(prefix)),
                "{key}"
            );
        }
        assert_eq!(mcp_label("port"), "dev.mcpfleet.mcp.port");
    }
}
