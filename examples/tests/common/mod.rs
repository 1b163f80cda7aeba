//! Helpers shared by the example's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use mcpfleet_examples::workspace_root;

/// The `fleet` example's binary, built (once per test binary) with the same cargo.
pub(crate) fn example_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = workspace_root();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let built = Command::new(&cargo)
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
                .unwrap();
            assert!(built.success(), "building the example failed");
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root.join("target"), Into::into)
                .join("debug/examples/fleet")
        })
        .clone()
}
