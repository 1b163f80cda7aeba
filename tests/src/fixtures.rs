//! Real script-based MCP servers (official `mcp` Python SDK, FastMCP) used as the upstreams in tests.

use std::fmt;
use std::fs;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use mcpfleet_gateway_client::Transport;

use crate::error::{HarnessError, Result, io_err};
use crate::gateway::Gateway;
use crate::paths::fixtures_dir;
use crate::process::{Launch, Supervised, free_port, http_status};
use crate::python::{Python, Venv};

/// The fixture servers in `tests/fixtures/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FixtureKind {
    /// `utils_server.py`: stdio only (tools `add`, `now`, `uuid4`, `fail`), bridged to streamable HTTP by
    /// `mcp-proxy`.
    Utils,
    /// `notes_server.py`: native streamable HTTP (tools `note_add`, `note_list`).
    Notes,
    /// `textkit_server.py`: native SSE (tools `upper`, `word_count`).
    Textkit,
}

impl FixtureKind {
    /// All fixture kinds.
    pub const ALL: [FixtureKind; 3] =
        [FixtureKind::Utils, FixtureKind::Notes, FixtureKind::Textkit];

    /// The server's name (`utils`, `notes`, `textkit`).
    pub fn name(self) -> &'static str {
        match self {
            FixtureKind::Utils => "utils",
            FixtureKind::Notes => "notes",
            FixtureKind::Textkit => "textkit",
        }
    }

    /// The script file in `tests/fixtures/`.
    pub fn script(self) -> &'static str {
        match self {
            FixtureKind::Utils => "utils_server.py",
            FixtureKind::Notes => "notes_server.py",
            FixtureKind::Textkit => "textkit_server.py",
        }
    }

    /// The tools the server offers, by their original names.
    pub fn tools(self) -> &'static [&'static str] {
        match self {
            FixtureKind::Utils => &["add", "now", "uuid4", "fail"],
            FixtureKind::Notes => &["note_add", "note_list"],
            FixtureKind::Textkit => &["upper", "word_count"],
        }
    }

    /// The transport to register the server with.
    pub fn gateway_transport(self) -> Transport {
        match self {
            FixtureKind::Utils | FixtureKind::Notes => Transport::StreamableHttp,
            FixtureKind::Textkit => Transport::Sse,
        }
    }
}

/// One running fixture server.
pub struct FixtureServer {
    /// Which fixture.
    pub kind: FixtureKind,
    /// Its name (`utils`, `notes`, `textkit`).
    pub name: &'static str,
    /// The URL to register with the gateway, e.g. `http://127.0.0.1:40123/mcp` or `.../sse`.
    pub url: String,
    /// The transport to register it with (serializes as `STREAMABLEHTTP` or `SSE`).
    pub transport: Transport,
    /// The loopback port.
    pub port: u16,
    process: Mutex<Supervised>,
    registration: Mutex<()>,
}

/// Exclusive use of a shared fixture's URL, from [`FixtureServer::exclusive`]; released when dropped.
#[derive(Debug)]
pub struct FixtureLease<'a> {
    _guard: MutexGuard<'a, ()>,
}

impl fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixtureServer")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl FixtureServer {
    /// Starts a private instance of a fixture on a fresh port (stopped when dropped). The stdio `utils` runs
    /// behind `mcp-proxy` (from the fixtures' venv), as the generated images bridge stdio servers.
    pub fn spawn(kind: FixtureKind, gateway: &Gateway) -> Result<FixtureServer> {
        Self::spawn_with(kind, gateway, true)
    }

    /// Like [`FixtureServer::spawn`], but `utils` speaks streamable HTTP itself (`tests/fixtures/serve_http.py`)
    /// instead of through a bridge; the other fixtures are native anyway. For tests whose subject is the stdio
    /// script alone, with one process less.
    pub fn spawn_native(kind: FixtureKind, gateway: &Gateway) -> Result<FixtureServer> {
        Self::spawn_with(kind, gateway, false)
    }

    fn spawn_with(
        kind: FixtureKind,
        gateway: &Gateway,
        bridge_utils: bool,
    ) -> Result<FixtureServer> {
        let python = Python::find()?;
        let venv = prepare_fixtures_venv_with(&python)?;
        let port = free_port()?;
        let script = fixtures_dir().join(kind.script());
        let log_dir = gateway.run_dir().join("fixtures");
        fs::create_dir_all(&log_dir).map_err(io_err("creating directory", &log_dir))?;
        let log = log_dir.join(format!("{}-{port}.log", kind.name()));
        let (program, args, env, path) = match kind {
            // One stdio child, its environment passed through, the argv after `--` as written.
            FixtureKind::Utils if bridge_utils => (
                venv.bin("mcp-proxy"),
                vec![
                    "--host".into(),
                    "127.0.0.1".into(),
                    "--port".into(),
                    port.to_string(),
                    "--pass-environment".into(),
                    "--".into(),
                    venv.python().display().to_string(),
                    script.display().to_string(),
                ],
                Vec::new(),
                "/mcp",
            ),
            FixtureKind::Utils => (
                venv.python(),
                vec![
                    fixtures_dir().join("serve_http.py").display().to_string(),
                    script.display().to_string(),
                ],
                vec![
                    ("HOST".into(), "127.0.0.1".into()),
                    ("PORT".into(), port.to_string()),
                ],
                "/mcp",
            ),
            FixtureKind::Notes | FixtureKind::Textkit => (
                venv.python(),
                vec![script.display().to_string()],
                vec![
                    ("HOST".into(), "127.0.0.1".into()),
                    ("PORT".into(), port.to_string()),
                ],
                if kind == FixtureKind::Notes {
                    "/mcp"
                } else {
                    "/sse"
                },
            ),
        };
        let mut process = Supervised::spawn(Launch {
            what: format!("fixture MCP server {} on 127.0.0.1:{port}", kind.name()),
            python: &python,
            program: &program,
            args,
            env: &env,
            cwd: &log_dir,
            log,
            // Nothing here holds state worth waiting for.
            grace_secs: 3,
        })?;
        // mcp-proxy answers `/status`; the native fixtures `/healthz`.
        let ready_path = if kind == FixtureKind::Utils && bridge_utils {
            "/status"
        } else {
            "/healthz"
        };
        process.wait_ready(Duration::from_secs(60), || {
            http_status(port, ready_path, None) == Some(200)
        })?;
        Ok(FixtureServer {
            kind,
            name: kind.name(),
            url: format!("http://127.0.0.1:{port}{path}"),
            transport: kind.gateway_transport(),
            port,
            process: Mutex::new(process),
            registration: Mutex::new(()),
        })
    }

    /// Waits until no other test in this process uses this server's URL, then holds it until the lease drops.
    ///
    /// The gateway accepts one record per upstream URL (a second registration answers 409 "Gateway already
    /// exists"), so a test that registers a shared fixture holds a lease from registration until the record is
    /// deleted. Blocks the calling thread while waiting: each `#[tokio::test]` runs on its own thread.
    pub fn exclusive(&self) -> FixtureLease<'_> {
        // A test that panicked while holding the lease has still dropped it; the poison carries no state.
        let guard = self
            .registration
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        FixtureLease { _guard: guard }
    }

    /// Whether the server process is still running.
    pub fn is_running(&self) -> bool {
        self.process
            .lock()
            .map(|mut p| p.is_running())
            .unwrap_or(false)
    }

    /// The process group id of the server's supervisor.
    pub fn process_group(&self) -> u32 {
        self.process.lock().map(|p| p.pgid()).unwrap_or(0)
    }

    /// The server's log file.
    pub fn log_path(&self) -> std::path::PathBuf {
        self.process
            .lock()
            .map(|p| p.log().to_path_buf())
            .unwrap_or_default()
    }
}

/// The three fixture servers, one of each kind.
#[derive(Debug)]
#[non_exhaustive]
pub struct Fixtures {
    /// stdio server behind `mcp-proxy` (streamable HTTP).
    pub utils: FixtureServer,
    /// native streamable-HTTP server.
    pub notes: FixtureServer,
    /// native SSE server.
    pub textkit: FixtureServer,
}

impl Fixtures {
    /// The fixture servers shared by every test in this process (beside [`Gateway::shared`]), started on first use.
    ///
    /// A fixture URL can be registered by only one gateway record at a time (the gateway answers 409 for a second
    /// registration of the same URL): tests that register a shared fixture must delete the record afterwards, or
    /// use [`FixtureServer::spawn`] for a private instance.
    ///
    /// # Panics
    /// If a server cannot be started; the message says why and carries the server's log tail.
    pub fn shared() -> &'static Fixtures {
        static SHARED: OnceLock<Result<Fixtures, String>> = OnceLock::new();
        let started =
            SHARED.get_or_init(|| Fixtures::start(Gateway::shared()).map_err(|e| e.to_string()));
        match started {
            Ok(fixtures) => fixtures,
            Err(e) => panic!("fixture servers could not be started: {e}"),
        }
    }

    /// Starts one server of each kind.
    pub fn start(gateway: &Gateway) -> Result<Fixtures> {
        Ok(Fixtures {
            utils: FixtureServer::spawn(FixtureKind::Utils, gateway)?,
            notes: FixtureServer::spawn(FixtureKind::Notes, gateway)?,
            textkit: FixtureServer::spawn(FixtureKind::Textkit, gateway)?,
        })
    }

    /// The three servers, in a fixed order (utils, notes, textkit).
    pub fn all(&self) -> [&FixtureServer; 3] {
        [&self.utils, &self.notes, &self.textkit]
    }
}

/// A fixture script from `tests/fixtures/` run as an HTTP server on a free loopback port, for servers that are
/// not one of the [`FixtureKind`]s (the registration benchmark's many-upstream server). The script reads `HOST`
/// and `PORT` and answers `GET /healthz`. Stopped when dropped.
#[derive(Debug)]
pub struct ScriptServer {
    /// The loopback port.
    pub port: u16,
    _process: Supervised,
}

impl ScriptServer {
    /// Starts `script` with the fixtures' Python and `env` added to `HOST`/`PORT`; logs go to the gateway's run
    /// directory.
    pub fn spawn(script: &str, env: &[(&str, &str)], gateway: &Gateway) -> Result<ScriptServer> {
        ScriptServer::spawn_at(script, env, gateway, free_port()?)
    }

    /// Like [`ScriptServer::spawn`], on a given port: an upstream that died comes back at the same URL.
    pub fn spawn_at(
        script: &str,
        env: &[(&str, &str)],
        gateway: &Gateway,
        port: u16,
    ) -> Result<ScriptServer> {
        let python = Python::find()?;
        let venv = prepare_fixtures_venv_with(&python)?;
        let log_dir = gateway.run_dir().join("fixtures");
        fs::create_dir_all(&log_dir).map_err(io_err("creating directory", &log_dir))?;
        let mut all_env: Vec<(String, String)> = vec![
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), port.to_string()),
        ];
        all_env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut process = Supervised::spawn(Launch {
            what: format!("fixture script {script} on 127.0.0.1:{port}"),
            python: &python,
            program: &venv.python(),
            args: vec![fixtures_dir().join(script).display().to_string()],
            env: &all_env,
            cwd: &log_dir,
            log: log_dir.join(format!(
                "{}-{port}.log",
                script.rsplit('/').next().unwrap_or(script)
            )),
            grace_secs: 3,
        })?;
        process.wait_ready(Duration::from_secs(60), || {
            http_status(port, "/healthz", None) == Some(200)
        })?;
        Ok(ScriptServer {
            port,
            _process: process,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Prepares the fixtures' virtualenv (pinned `tests/fixtures/requirements.txt`) without starting anything.
pub fn prepare_fixtures_venv() -> Result<Venv> {
    prepare_fixtures_venv_with(&Python::find()?)
}

fn prepare_fixtures_venv_with(python: &Python) -> Result<Venv> {
    let requirements = fixtures_dir().join("requirements.txt");
    let pinned = fs::read_to_string(&requirements).map_err(io_err("reading", &requirements))?;
    let req = requirements.display().to_string();
    Venv::ensure(
        python,
        &format!("fixtures-py{}", python.version),
        &["-r", &req],
        &pinned,
    )
    .map_err(|e| match e {
        HarnessError::Command {
            what,
            status,
            output,
        } => HarnessError::Command {
            what: format!("installing the fixture servers' requirements ({what})"),
            status,
            output,
        },
        other => other,
    })
}
