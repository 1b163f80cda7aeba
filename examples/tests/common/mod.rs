//! Helpers shared by the example's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

/// The `fleet` example's binary, built (once per test binary) with the same cargo.
pub(crate) fn example_binary() -> PathBuf {
    mcpfleet_harness::example_binary().unwrap()
}
