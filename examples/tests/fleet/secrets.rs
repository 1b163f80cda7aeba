//! Secret hygiene under full tracing: the CLI's whole remote path — run (audit, least-privilege token, apply,
//! verify, tool calls, client configurations), plan saved to a file, apply, verify, diff, each with `--json` too —
//! with `RUST_LOG=trace`, then every line it printed and every file it wrote is scanned for the tokens it was given
//! or made: zero hits, except the one file whose purpose is the caller token, which is owner-only (0600).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use mcpfleet_harness::{Fixtures, Gateway};

use crate::common;

const TOKEN_ENV: &str = "SECRETS_TEST_TOKEN";

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_token_reaches_a_log_line_a_report_or_a_file_at_trace_level() {
    let gateway = Gateway::shared();
    let fixtures = Fixtures::shared();
    let dir = tempfile::tempdir().unwrap();
    let fleet_name = format!("secrets{}", std::process::id());
    let fleet_files = common::one_server_fleet(
        dir.path(),
        &fleet_name,
        TOKEN_ENV,
        "notes",
        &format!(
            "    url: \"{}\"\n    transport: streamable-http\n    expected_tools: [note_add, note_list]\n    \
             smoke: [{{tool: note_add, arguments: {{title: secrets}}, expect: {{contains: secrets}}}}]\n",
            fixtures.notes.url
        ),
    );
    let manifest = fleet_files.manifest.to_str().unwrap();
    let out = dir.path().join("out");
    let plan_file = dir.path().join("plan.json");
    let fleet = |args: &[&str]| -> Output {
        Command::new(common::example_binary())
            .args(args)
            .env("MCPGATEWAY_URL", gateway.url())
            .env(TOKEN_ENV, gateway.admin_token())
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    let runs = [
        fleet(&[
            "run",
            "--manifest",
            manifest,
            "--out",
            out.to_str().unwrap(),
        ]),
        fleet(&["plan", manifest, "--save", plan_file.to_str().unwrap()]),
        fleet(&["apply", manifest, "--verify"]),
        fleet(&["apply", manifest, "--verify", "--json"]),
        fleet(&["verify", manifest, "--json"]),
        fleet(&["diff", manifest, "--json"]),
        fleet(&["audit", manifest, "--json"]),
    ];
    for run in &runs {
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    // Tracing did run: the client's request spans are in the output.
    let stderr: String = runs
        .iter()
        .map(|r| String::from_utf8_lossy(&r.stderr).into_owned())
        .collect();
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "no tracing output at all"
    );

    let caller_token_file = out.join("caller-token");
    let caller_token = std::fs::read_to_string(&caller_token_file).unwrap();
    let mode = std::fs::metadata(&caller_token_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the caller token is readable by others"
    );

    // Every byte printed and written, but the caller token's own file.
    let mut haystacks: Vec<(String, String)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            [
                (
                    format!("run {i} stdout"),
                    String::from_utf8_lossy(&r.stdout).into_owned(),
                ),
                (
                    format!("run {i} stderr"),
                    String::from_utf8_lossy(&r.stderr).into_owned(),
                ),
            ]
        })
        .collect();
    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    for file in files.iter().filter(|f| **f != caller_token_file) {
        let bytes = std::fs::read(file).unwrap();
        haystacks.push((
            file.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    assert!(
        haystacks.len() > 14,
        "the run wrote its outputs: {}",
        haystacks.len()
    );
    let needles = [
        ("the admin token", gateway.admin_token().to_owned()),
        ("the caller token", caller_token.trim().to_owned()),
        // The signature of either: the part a leak in any encoding would still carry.
        (
            "the admin token's signature",
            gateway.admin_token().rsplit('.').next().unwrap().to_owned(),
        ),
        (
            "the caller token's signature",
            caller_token.trim().rsplit('.').next().unwrap().to_owned(),
        ),
    ];
    let mut leaks = Vec::new();
    for (name, text) in &haystacks {
        for (what, needle) in &needles {
            if text.contains(needle.as_str()) {
                leaks.push(format!("{what} in {name}"));
            }
        }
        // Any JWT at all (a header `{"` base64url-encodes to `eyJ`).
        if text.contains("eyJhbGciOi") {
            leaks.push(format!("a JWT in {name}"));
        }
    }
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");

    // Clean up the fleet.
    let synced = fleet(&["sync", fleet_files.empty.to_str().unwrap()]);
    assert!(synced.status.success());
    mcpfleet_harness::record_figure(&format!(
        "[secrets] RUST_LOG=trace over 7 CLI runs: {} outputs and files scanned, {} bytes of trace, 0 token hits",
        haystacks.len(),
        stderr.len()
    ));
}
