//! Without a suitable Python the harness fails loudly, saying what to install — it never falls back or skips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// Runs `mcpfleet-harness setup` with no Python 3.12/3.13 reachable: empty PATH, no pyenv.
fn setup_with(extra: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpfleet-harness"))
        .arg("setup")
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("HOME", "/nonexistent")
        .env("PYENV_ROOT", "/nonexistent")
        .env(
            "MCPFLEET_HARNESS_DIR",
            std::env::temp_dir().join("mcpfleet-setup-errors"),
        )
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn no_python_312_or_313_is_an_error_that_says_what_to_install() {
    let (ok, stderr) = setup_with(&[]);
    assert!(!ok, "setup must fail: {stderr}");
    assert!(
        stderr.contains("no working Python 3.12 or 3.13 found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("python3.12, python3.13, python3"),
        "lists what it tried: {stderr}"
    );
    assert!(
        stderr.contains("apt-get install python3.12 python3.12-venv"),
        "says what to install: {stderr}"
    );
    assert!(
        stderr.contains("MCPFLEET_PYTHON"),
        "names the override: {stderr}"
    );
}

#[test]
fn an_override_that_is_not_python_312_or_313_is_rejected() {
    let (ok, stderr) = setup_with(&[("MCPFLEET_PYTHON", "/bin/true")]);
    assert!(!ok, "setup must fail: {stderr}");
    assert!(
        stderr.contains(
            "MCPFLEET_PYTHON=/bin/true is not a working Python 3.12 or 3.13 (it printed no version)"
        ),
        "{stderr}"
    );
}
