//! Where the harness keeps its state, and where the workspace's programs are.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::error::{HarnessError, Result};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // tests/ is one level below the workspace root; fixed at compile time so examples and binaries agree.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The harness state directory: `$MCPFLEET_HARNESS_DIR`, else `<workspace>/target/harness`.
///
/// It holds the cached virtualenvs (`venvs/`, reused across runs) and one directory per gateway run (`runs/`,
/// with the SQLite database, secrets and the gateway log; kept after the run for debugging and pruned later).
pub fn harness_dir() -> PathBuf {
    match std::env::var_os("MCPFLEET_HARNESS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target").join("harness"),
    }
}

/// The fixture MCP servers shipped with the harness (`tests/fixtures/`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The `fleet` example's binary (`mcpfleet-examples`), built once per process with the cargo running the tests
/// (`$CARGO`): the integration tests that run the CLI, and the live test that packs it into the registrar image.
pub fn example_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = workspace_root();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(&cargo)
                .args([
                    "build",
                    "-q",
                    "-p",
                    "mcpfleet-examples",
                    "--example",
                    "fleet",
                ])
                .current_dir(&root)
                .status()
                .map_err(|e| format!("{cargo}: {e}"))?;
            if !status.success() {
                return Err(format!("cargo build of the fleet example: {status}"));
            }
            Ok(std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root.join("target"), Into::into)
                .join("debug/examples/fleet"))
        })
        .clone()
        .map_err(|output| HarnessError::Command {
            what: "building the fleet example".to_owned(),
            status: "failed".to_owned(),
            output,
        })
}

/// Records a measured figure of a passing test (libtest hides a passing test's output): prints it, and appends it
/// to `<harness dir>/figures.log`, which `.ci/run` prints at the end of a run.
pub fn record_figure(line: &str) {
    use std::io::Write as _;
    eprintln!("{line}");
    let path = harness_dir().join("figures.log");
    let written = std::fs::create_dir_all(harness_dir()).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| writeln!(file, "{line}"))
    });
    if let Err(err) = written {
        eprintln!("cannot record a figure in {}: {err}", path.display());
    }
}
