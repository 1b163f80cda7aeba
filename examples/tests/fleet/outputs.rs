//! Where the example's output goes: a failed write is exit 1 naming what could not be written, and `--out` never
//! writes through a link left inside it. Offline verbs, no gateway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use mcpfleet_harness::workspace_root;

use crate::common;

/// `fleet adr … > /dev/full` used to exit 0 with nothing written.
#[test]
fn a_full_standard_output_is_exit_1_naming_it() {
    let manifest = workspace_root().join("tests/fixtures/seed/manifest.yaml");
    let output = Command::new(common::example_binary())
        .arg("adr")
        .arg(&manifest)
        .stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    assert!(
        stderr.contains("writing standard output"),
        "{}",
        common::text(&output)
    );
    assert!(
        stderr.contains("No space left"),
        "{}",
        common::text(&output)
    );
}

/// A closed pipe is not a failure: `fleet adr … | head -1` is how people read the start of a long answer.
#[test]
fn a_closed_pipe_is_not_a_failure() {
    let manifest = workspace_root().join("tests/fixtures/seed/manifest.yaml");
    let mut child = Command::new(common::example_binary())
        .arg("adr")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
}

/// `containers --out dir` where `dir/servers` is a link to a directory elsewhere: nothing lands there, and the
/// error names the link.
#[test]
fn containers_out_does_not_write_through_a_link_inside_it() {
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join("servers")).unwrap();
    let output = Command::new(common::example_binary())
        .arg("containers")
        .arg(workspace_root().join("examples/fleet-containers.yaml"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    assert!(
        stderr.contains(&out.path().join("servers").display().to_string())
            && stderr.contains("symbolic link"),
        "{}",
        common::text(&output)
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}
