//! Supervised child processes, free ports and a minimal readiness probe.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result, io_err};
use crate::paths::harness_dir;
use crate::python::{Python, tail};

const SUPERVISOR: &str = include_str!("supervisor.py");

/// A program started under `supervisor.py` in its own process group.
///
/// The group is torn down when this value is dropped, and also when the whole test process dies (even by SIGKILL or
/// Ctrl-C), because the supervisor watches the pipe on its stdin. Ctrl-C in a terminal does not reach the group
/// directly (it is not the foreground group), so shutdown always goes through the supervisor: SIGTERM, then SIGKILL.
#[derive(Debug)]
pub(crate) struct Supervised {
    what: String,
    child: Child,
    /// Held open for the lifetime of the harness; dropping it is the stop signal.
    lifeline: Option<ChildStdin>,
    log: PathBuf,
}

/// How to start a supervised program.
pub(crate) struct Launch<'a> {
    pub(crate) what: String,
    pub(crate) python: &'a Python,
    pub(crate) program: &'a Path,
    pub(crate) args: Vec<String>,
    pub(crate) env: &'a [(String, String)],
    pub(crate) cwd: &'a Path,
    pub(crate) log: PathBuf,
    /// Seconds between SIGTERM and SIGKILL when the group is stopped.
    pub(crate) grace_secs: u32,
}

impl Supervised {
    pub(crate) fn spawn(launch: Launch<'_>) -> Result<Supervised> {
        let supervisor = supervisor_script()?;
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&launch.log)
            .map_err(io_err("opening log", &launch.log))?;
        let log_err = log_file
            .try_clone()
            .map_err(io_err("opening log", &launch.log))?;
        let mut cmd = Command::new(&launch.python.path);
        cmd.arg(supervisor)
            .arg(launch.program)
            .args(&launch.args)
            .env_clear()
            .envs(base_env())
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("MCPFLEET_SUPERVISOR_GRACE", launch.grace_secs.to_string())
            .current_dir(launch.cwd)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err)
            .process_group(0);
        let mut child = cmd.spawn().map_err(|source| HarnessError::Command {
            what: launch.what.clone(),
            status: "could not start".to_owned(),
            output: source.to_string(),
        })?;
        let lifeline = child.stdin.take();
        Ok(Supervised {
            what: launch.what,
            child,
            lifeline,
            log: launch.log,
        })
    }

    /// The process group id (the supervisor leads its group).
    pub(crate) fn pgid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Whether the supervised program is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Polls `probe` until it succeeds, the program exits, or `timeout` passes.
    pub(crate) fn wait_ready(
        &mut self,
        timeout: Duration,
        mut probe: impl FnMut() -> bool,
    ) -> Result<Duration> {
        let started = Instant::now();
        loop {
            if probe() {
                return Ok(started.elapsed());
            }
            let reason = if !self.is_running() {
                Some("the process exited during start-up".to_owned())
            } else if started.elapsed() > timeout {
                Some(format!("no answer within {}s", timeout.as_secs()))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(HarnessError::NotReady {
                    what: self.what.clone(),
                    reason,
                    log: self.log.clone(),
                    log_tail: read_tail(&self.log, 40),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (bounded) for the supervisor to exit after its group was killed from outside.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && self.is_running() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process group and waits (bounded) for the supervisor to finish.
    pub(crate) fn stop(&mut self) {
        self.lifeline.take();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The supervisor ignores SIGTERM; SIGKILL on it alone would orphan the group, so report instead.
        eprintln!(
            "[harness] {} did not stop within 20s (process group {})",
            self.what,
            self.pgid()
        );
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Variables every supervised program inherits from the test process; everything else is set explicitly.
fn base_env() -> Vec<(String, String)> {
    ["PATH", "LANG", "LC_ALL", "TMPDIR", "TZ"]
        .iter()
        .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
        .collect()
}

fn supervisor_script() -> Result<&'static Path> {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    if let Some(path) = PATH.get() {
        return Ok(path);
    }
    let dir = harness_dir();
    fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
    // One file per process: concurrent test processes never see a half-written script. Scripts of processes that
    // are gone are removed (their supervisors, if any still run, already read them).
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix("supervisor-")?.strip_suffix(".py"));
            if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let path = dir.join(format!("supervisor-{}.py", std::process::id()));
    fs::write(&path, SUPERVISOR).map_err(io_err("writing", &path))?;
    Ok(PATH.get_or_init(|| path))
}

/// The last `n` lines of a log file (empty if unreadable). Reads at most the last 256 KiB, lossily: logs may hold
/// bytes that are not UTF-8.
pub(crate) fn read_tail(path: &Path, n: usize) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(256 * 1024)));
        let _ = f.read_to_end(&mut bytes);
    }
    tail(&String::from_utf8_lossy(&bytes), n)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_err("binding", "127.0.0.1:0"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("reading local address of", "127.0.0.1:0"))?
        .port();
    Ok(port)
}

/// A minimal blocking HTTP/1.1 GET on loopback: returns the status code.
///
/// Used for readiness probes before any async runtime exists, so the harness does not depend on the caller's
/// runtime.
pub(crate) fn http_status(port: u16, path: &str, bearer: Option<&str>) -> Option<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 16];
    let n = stream.read(&mut head).ok()?;
    let line = std::str::from_utf8(&head[..n]).ok()?;
    // `HTTP/1.1 200 …`, or `HTTP/1.0` from a plain WSGI server (pypiserver).
    line.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
}
