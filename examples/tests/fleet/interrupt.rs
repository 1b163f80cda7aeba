//! Ctrl-C in the middle of the main example: it says where it was interrupted, exits 130, and leaves no process
//! behind — the embedded gateway and the fixture servers stop with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcpfleet_examples::workspace_root;

use crate::common;

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(300),
    )
    .is_ok()
}

/// Ports of `http://127.0.0.1:<port>` URLs in a line.
fn ports_in(line: &str) -> Vec<u16> {
    line.match_indices("http://127.0.0.1:")
        .filter_map(|(at, prefix)| {
            let rest = &line[at + prefix.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

#[test]
fn ctrl_c_during_the_run_stops_everything_it_started() {
    let root = workspace_root();
    let binary = common::example_binary();

    let mut child = Command::new(&binary)
        .current_dir(&root)
        .env_remove("MCPGATEWAY_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    // The harness reports the gateway's URL on stderr; collect it on a thread.
    let stderr_lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });

    // Lines of stdout through a channel, so the pipe stays drained after the interrupt.
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut ports = Vec::new();
    let mut seen = Vec::new();
    let started = Instant::now();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(600)) {
        ports.extend(ports_in(&line));
        seen.push(line.clone());
        // Interrupt once the servers are registered, in the middle of the run.
        if line.contains("✓") && line.contains(". apply") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the example did not reach `apply`: {seen:#?}"
        );
    }
    assert!(
        seen.iter().any(|l| l.contains(". apply")),
        "the example ended before `apply`: {seen:#?}"
    );
    ports.sort_unstable();
    ports.dedup();
    assert!(
        ports.len() >= 4,
        "the gateway and three servers should have printed their ports: {seen:#?}"
    );
    assert!(
        ports.iter().all(|p| listening(*p)),
        "everything it started is up before the interrupt: {ports:?}"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let stderr = stderr_lines.join().unwrap().join("\n");
    assert_eq!(
        status.code(),
        Some(130),
        "exit status after Ctrl-C; stderr:\n{stderr}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");

    // The supervisors stop the gateway and the servers once the example's process is gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut still: Vec<u16> = ports.clone();
    while !still.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        still.retain(|p| listening(*p));
    }
    assert!(
        still.is_empty(),
        "still listening 30 s after Ctrl-C: {still:?} (of {ports:?})"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
