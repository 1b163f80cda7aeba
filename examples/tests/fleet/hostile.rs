//! The example against hostile input (issue 25): a gateway that redirects elsewhere, lists one id twice, pages
//! forever or puts terminal escapes in what it says ([`HostileGateway`]), and file arguments that are not regular
//! files (`/dev/zero`, a FIFO, a directory). Every run has a deadline: a CLI that hangs fails the test instead of
//! hanging it. No real gateway: the token is a placeholder, never a JWT.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mcpfleet_harness::{HostileGateway, Hostility, TERMINAL_ESCAPES, workspace_root};

use crate::common;

const TOKEN_ENV: &str = "HOSTILE_TEST_TOKEN";
/// Not a JWT: nothing here needs one, and a recorded request must never carry a real-looking credential.
const TOKEN: &str = "hostile-test-placeholder-token";
/// A verb against a hostile gateway: the page cap alone is a thousand short-lived connections.
const NETWORK_DEADLINE: Duration = Duration::from_secs(120);
/// Refusing a file argument reads nothing and contacts nothing.
const FILE_DEADLINE: Duration = Duration::from_secs(30);

/// Whether a test that cannot run must fail rather than skip (as in `mcpfleet_harness::docker_required`).
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Runs the example with `args` and returns what it printed, killing it (and failing) when it outlives
/// `deadline`. The environment is pinned: the placeholder token, no proxy, no tracing, no `MCPGATEWAY_URL`.
fn fleet_within(args: &[&str], deadline: Duration, envs: &[(&str, &str)]) -> (Output, Duration) {
    let mut command = Command::new(common::example_binary());
    command
        .args(args)
        .current_dir(workspace_root())
        .env(TOKEN_ENV, TOKEN)
        .env_remove("MCPGATEWAY_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for proxy in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(proxy);
    }
    command.env("NO_PROXY", "*").env("no_proxy", "*");
    for (key, value) in envs {
        command.env(key, value);
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out.join().unwrap_or_default();
            let stderr = err.join().unwrap_or_default();
            panic!(
                "`fleet {}` did not finish within {deadline:?}\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, elapsed)
}

fn fleet(args: &[&str]) -> Output {
    fleet_within(args, NETWORK_DEADLINE, &[]).0
}

/// A manifest in `dir` for the gateway at `url` (literal, no variable), declaring one server: with it, a client
/// that trusted the gateway's answers would write (create it).
fn manifest(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("fleet.yaml");
    std::fs::write(
        &path,
        format!(
            "fleet: hostile\n\
             gateway: {{url: \"{url}\", token_env: {TOKEN_ENV}}}\n\
             servers:\n  \
               - name: hostile-utils\n    \
                 url: \"http://127.0.0.1:9/mcp\"\n    \
                 transport: streamable-http\n"
        ),
    )
    .unwrap();
    path
}

fn hostile(hostility: Hostility) -> HostileGateway {
    HostileGateway::start(hostility).unwrap()
}

/// The writes among what a gateway received, as `METHOD target`.
fn writes(gateway: &HostileGateway) -> Vec<String> {
    gateway
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

/// A gateway that answers everything with a 307 to another loopback origin: every verb that talks to it exits 1
/// naming where it was sent, and the other origin never gets a connection (so neither the token nor a body).
#[test]
fn a_redirect_to_another_origin_is_refused_naming_the_location() {
    let elsewhere = hostile(Hostility::Accepting);
    let location = format!("{}/v1/gateways", elsewhere.base_url());
    let gateway = hostile(Hostility::RedirectTo {
        status: 307,
        location: location.clone(),
    });
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), gateway.base_url());
    let manifest = manifest.to_str().unwrap();
    for verb in ["plan", "apply", "sync", "diff"] {
        let asked_before = gateway.requests().len();
        let output = fleet(&[verb, manifest]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{verb}: {}",
            common::text(&output)
        );
        assert!(
            stderr.contains(&location) && stderr.contains("redirected"),
            "{verb}: the error should name the redirect's location {location}: {}",
            common::text(&output)
        );
        assert!(
            gateway.requests().len() > asked_before,
            "{verb} never asked the redirecting gateway: {}",
            common::text(&output)
        );
        assert_eq!(
            elsewhere.connections(),
            0,
            "{verb} followed the redirect to {location}: {:?}",
            elsewhere.requests()
        );
    }
    assert!(writes(&gateway).is_empty(), "{:?}", gateway.requests());
    assert!(!elsewhere.received(TOKEN));
}

/// A listing with one id twice cannot be trusted: `plan --sync` shows the conflict and exits 1, `sync` exits 1 saying why,
/// and nothing is written — no DELETE, and not the POST that creating the declared server would be.
#[test]
fn duplicate_ids_make_sync_refuse_to_write() {
    let gateway = hostile(Hostility::DuplicateIds);
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), gateway.base_url());
    let manifest = manifest.to_str().unwrap();

    // The plan is shown, and exits 1: it cannot be applied.
    let planned = fleet(&["plan", "--sync", manifest]);
    let stdout = String::from_utf8_lossy(&planned.stdout);
    assert_eq!(planned.status.code(), Some(1), "{}", common::text(&planned));
    assert!(
        String::from_utf8_lossy(&planned.stderr).contains("the plan has 1 conflict(s)"),
        "{}",
        common::text(&planned)
    );
    assert!(
        stdout.contains("listed id `g1` 2 times"),
        "the plan should show the duplicate as a conflict: {}",
        common::text(&planned)
    );

    let synced = fleet(&["sync", manifest]);
    let stderr = String::from_utf8_lossy(&synced.stderr);
    assert_eq!(synced.status.code(), Some(1), "{}", common::text(&synced));
    assert!(
        stderr.contains("conflict")
            && stderr.contains("nothing was written")
            && stderr.contains("g1"),
        "sync should refuse because of the duplicate id: {}",
        common::text(&synced)
    );
    let requests = gateway.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == "GET" && r.target.starts_with("/v1/gateways")),
        "sync never listed the gateways: {requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.method == "DELETE"),
        "sync deleted on an untrustworthy listing: {requests:?}"
    );
    assert!(
        writes(&gateway).is_empty(),
        "sync wrote on an untrustworthy listing: {:?}",
        writes(&gateway)
    );
}

/// Escape sequences in the gateway's names and error details never reach the terminal raw: no ESC, BEL or CR
/// byte in anything the verbs print, and the escaped form (`\u{1b}`) is visible instead.
#[test]
fn terminal_escapes_from_the_gateway_are_printed_escaped() {
    let gateway = hostile(Hostility::EscapeCodes);
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), gateway.base_url());
    let manifest = manifest.to_str().unwrap();
    let raw: Vec<char> = TERMINAL_ESCAPES
        .chars()
        .filter(|c| c.is_control())
        .collect();
    assert!(raw.contains(&'\u{1b}') && raw.contains(&'\u{7}') && raw.contains(&'\r'));
    // Whether the verb prints what the gateway said (the 400's `detail`, after the escaped names were listed);
    // `verify` only says the declared server is not registered.
    for (args, shows_gateway_text) in [
        (vec!["plan", manifest], true),
        (vec!["plan", "--sync", manifest], true),
        (vec!["plan", "--json", manifest], true),
        (vec!["diff", manifest], true),
        (vec!["apply", manifest], true),
        (vec!["sync", manifest], true),
        (vec!["verify", manifest], false),
    ] {
        let output = fleet(&args);
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // Every verb fails: the gateway refuses all but its listing of gateways (and verify finds nothing).
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            common::text(&output)
        );
        assert!(
            !output.stdout.contains(&0x1b) && !output.stderr.contains(&0x1b),
            "{args:?} printed a raw ESC byte"
        );
        let leaked: Vec<char> = shown
            .chars()
            .filter(|c| raw.contains(c) || (c.is_control() && *c != '\n' && *c != '\t'))
            .collect();
        assert!(
            leaked.is_empty(),
            "{args:?} printed raw control characters {leaked:?}: {shown:?}"
        );
        assert!(
            !shows_gateway_text
                || shown.contains("refused\\u{1b}[2K")
                || shown.contains("refused\\u001b[2K"),
            "{args:?} should show the gateway's message with its escapes in escaped form: {}",
            common::text(&output)
        );
    }
    assert!(writes(&gateway).is_empty(), "{:?}", writes(&gateway));
}

/// A gateway that hands out a new cursor on every page: `plan` stops at the client's page cap, exits 1 naming
/// it, within a bounded time and a bounded number of requests.
#[test]
fn endless_cursors_stop_at_the_page_cap() {
    let gateway = hostile(Hostility::EndlessCursors);
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), gateway.base_url());
    let (output, took) = fleet_within(&["plan", manifest.to_str().unwrap()], NETWORK_DEADLINE, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    assert!(
        stderr.contains("page limit") && stderr.contains("/v1/gateways"),
        "the error should name the page cap and the listing: {}",
        common::text(&output)
    );
    let pages = gateway
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.target.starts_with("/v1/gateways"))
        .count();
    let cap = usize::try_from(mcpfleet_gateway_client::DEFAULT_MAX_PAGES).unwrap();
    assert!(
        pages > 1 && pages <= cap,
        "{pages} listing requests (cap {cap}) in {took:?}"
    );
    assert!(writes(&gateway).is_empty(), "{:?}", writes(&gateway));
}

/// What a path that is not a regular file is, for the assertion on the message.
struct NotAFile {
    path: PathBuf,
    kind: &'static str,
}

/// `/dev/zero` (never ends), a FIFO (opening it waits for a writer) and a directory, made in `dir`, each named
/// `…-<name>`; with `link_zero`, `/dev/zero` too is reached through a link so named (for an argument whose
/// extension is read, like a manifest's, the link lets the file's type be what is refused). One this machine
/// cannot provide is skipped loudly, or under `CI=true` fails the test.
fn not_files(dir: &Path, name: &str, link_zero: bool) -> Vec<NotAFile> {
    let mut paths = Vec::new();
    let zero = PathBuf::from("/dev/zero");
    if zero.exists() {
        let path = if link_zero {
            let link = dir.join(format!("zero-{name}"));
            std::os::unix::fs::symlink(&zero, &link).unwrap();
            link
        } else {
            zero
        };
        paths.push(NotAFile {
            path,
            kind: "a character device",
        });
    } else {
        assert!(!required(), "/dev/zero is missing (CI=true: not skipping)");
        eprintln!("skipping /dev/zero: it does not exist here");
    }
    let fifo = dir.join(format!("fifo-{name}"));
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(status) if status.success() => paths.push(NotAFile {
            path: fifo,
            kind: "a FIFO",
        }),
        other => {
            assert!(
                !required(),
                "cannot make a FIFO with mkfifo: {other:?} (CI=true: not skipping)"
            );
            eprintln!("skipping the FIFO: mkfifo failed: {other:?}");
        }
    }
    let directory = dir.join(format!("dir-{name}"));
    std::fs::create_dir(&directory).unwrap();
    paths.push(NotAFile {
        path: directory,
        kind: "a directory",
    });
    paths
}

fn assert_refused(args: &[&str], bad: &NotAFile, envs: &[(&str, &str)]) {
    let (output, took) = fleet_within(args, FILE_DEADLINE, envs);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?} (took {took:?}): {}",
        common::text(&output)
    );
    let named = bad.path.display().to_string();
    assert!(
        stderr.contains(&named)
            && stderr.contains("not a regular file")
            && stderr.contains(bad.kind),
        "{args:?}: the error should name {named} and say it is {}, not a regular file: {}",
        bad.kind,
        common::text(&output)
    );
}

/// `apply --plan` with a device, a FIFO or a directory: refused before it is opened, exit 1 naming the file,
/// and nothing reaches the gateway.
#[test]
fn apply_plan_refuses_what_is_not_a_regular_file() {
    let gateway = hostile(Hostility::Accepting);
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), gateway.base_url());
    let manifest = manifest.to_str().unwrap();
    let bad = not_files(dir.path(), "plan.json", false);
    assert!(!bad.is_empty());
    for bad in &bad {
        assert_refused(
            &["apply", manifest, "--plan", bad.path.to_str().unwrap()],
            bad,
            &[],
        );
    }
    assert_eq!(
        gateway.connections(),
        0,
        "a refused plan file still reached the gateway: {:?}",
        gateway.requests()
    );
}

/// The other file arguments the example reads itself — `adr --measurements`, `run --manifest` — and the manifest
/// argument of `plan`: the same refusal.
#[test]
fn other_file_arguments_refuse_what_is_not_a_regular_file() {
    let gateway = hostile(Hostility::Accepting);
    let dir = tempfile::tempdir().unwrap();
    let seed = workspace_root().join("tests/fixtures/seed/manifest.yaml");
    let seed = seed.to_str().unwrap();
    for bad in &not_files(dir.path(), "measurements.json", false) {
        let path = bad.path.to_str().unwrap();
        assert_refused(&["adr", seed, "--measurements", path], bad, &[]);
        // With MCPGATEWAY_URL set, `run` starts nothing: it reads the manifest first.
        assert_refused(
            &["run", "--manifest", path],
            bad,
            &[("MCPGATEWAY_URL", gateway.base_url())],
        );
    }
    // The manifest's format follows its extension: named like a manifest, so that its type is what is refused.
    for bad in &not_files(dir.path(), "fleet.yaml", true) {
        assert_refused(&["plan", bad.path.to_str().unwrap()], bad, &[]);
    }
    assert_eq!(gateway.connections(), 0, "{:?}", gateway.requests());
}
