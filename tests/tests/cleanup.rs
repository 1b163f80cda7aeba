//! Nothing is left behind: interrupting a process that runs the harness (as Ctrl-C does) stops the gateway, the
//! stdio bridge, the fixture servers and everything they forked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Live (not zombie) processes whose process group is in `groups`.
fn members_of(groups: &HashSet<u32>) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(state), Some(pgrp)) = (
            fields.first(),
            fields.get(2).and_then(|g| g.parse::<u32>().ok()),
        ) else {
            continue;
        };
        if groups.contains(&pgrp) && *state != "Z" {
            found.push(format!("{head}) {state} pgrp {pgrp}"));
        }
    }
    found
}

#[test]
fn sigint_to_the_harness_process_stops_every_process_group() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpfleet-harness"))
        .arg("up")
        .stdin(Stdio::piped()) // kept open: `up` runs until interrupted
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut groups = HashSet::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(list) = line.strip_prefix("PROCESS_GROUPS=") {
            groups = list.split(',').map(|g| g.parse().unwrap()).collect();
        }
        if line.starts_with("running;") {
            break;
        }
    }
    assert_eq!(groups.len(), 4, "gateway + three fixture servers");
    let running = members_of(&groups);
    // The gateway alone runs a main process and forked workers; each fixture has a supervisor and a server.
    assert!(
        running.len() >= 8,
        "processes before the interrupt: {running:#?}"
    );

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = members_of(&groups);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 30 s after the interrupt: {left:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
