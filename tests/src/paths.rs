//! Where the harness keeps its state.

use std::path::PathBuf;

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
