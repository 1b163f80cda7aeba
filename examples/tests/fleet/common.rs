//! Helpers shared by the example's integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The `fleet` example's binary, built (once per test binary) with the same cargo.
pub(crate) fn example_binary() -> PathBuf {
    mcpfleet_harness::example_binary().unwrap()
}

/// A manifest (`fleet.yaml` in `dir`) for a gateway the test did not start — its URL from `MCPGATEWAY_URL`, its
/// token from `token_env` — declaring one server `<fleet>-<server>` (`entry`: its YAML fields after `name`) and a
/// virtual server `<fleet>-vs` over it; and `empty.yaml`, the same fleet declaring nothing, whose `sync` removes
/// what the fleet registered.
pub(crate) struct OneServerFleet {
    pub(crate) manifest: PathBuf,
    pub(crate) empty: PathBuf,
}

pub(crate) fn one_server_fleet(
    dir: &Path,
    fleet: &str,
    token_env: &str,
    server: &str,
    entry: &str,
) -> OneServerFleet {
    let head = format!(
        "fleet: {fleet}\ngateway: {{url: \"${{MCPGATEWAY_URL}}\", token_env: {token_env}}}\n"
    );
    let manifest = dir.join("fleet.yaml");
    std::fs::write(
        &manifest,
        format!(
            "{head}servers:\n  - name: {fleet}-{server}\n{entry}virtual_servers:\n  - name: {fleet}-vs\n    \
             tools: [{{server: {fleet}-{server}}}]\n"
        ),
    )
    .unwrap();
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, head).unwrap();
    OneServerFleet { manifest, empty }
}

/// A finished run, for assertion messages: its exit code, standard output and standard error.
pub(crate) fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
