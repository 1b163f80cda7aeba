//! A local Python package index: `pypiserver` serving wheelhouses on loopback, so that `docker build` installs
//! online (pip from an index over HTTP, `--network host`) the way a user with internet builds, on a machine where
//! pip inside a container cannot reach PyPI.

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::docker::Wheelhouse;
use crate::error::{Result, io_err};
use crate::paths::harness_dir;
use crate::process::{Launch, Supervised, free_port, http_status};
use crate::python::{Python, Venv};

/// The pypiserver release the index runs.
const PYPISERVER: &str = "pypiserver==2.4.2";

/// A running package index; stopped when dropped (and, like every harness process, when the test process ends).
#[derive(Debug)]
pub struct PackageIndex {
    /// The loopback port.
    pub port: u16,
    /// The directory it serves.
    pub dir: PathBuf,
    _process: Supervised,
}

impl PackageIndex {
    /// Serves every wheel of `houses` (hard links in one directory) at `http://127.0.0.1:<port>/simple/`, with no
    /// fallback to PyPI: a package the wheelhouses lack fails the build instead of coming from elsewhere.
    pub fn serve(name: &str, houses: &[&Wheelhouse]) -> Result<PackageIndex> {
        let python = Python::find()?;
        let venv = prepare_index_venv(&python)?;
        let dir = harness_dir().join("index").join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err("removing", &dir))?;
        }
        crate::docker::link_wheels(houses, dir.parent().unwrap_or(&dir), name)?;
        let port = free_port()?;
        let log_dir = harness_dir().join("index");
        let mut process = Supervised::spawn(Launch {
            what: format!("package index {name} on 127.0.0.1:{port}"),
            python: &python,
            program: &venv.bin("pypi-server"),
            args: vec![
                "run".into(),
                "--port".into(),
                port.to_string(),
                "--host".into(),
                "127.0.0.1".into(),
                "--disable-fallback".into(),
                "--health-endpoint".into(),
                "/health".into(),
                dir.display().to_string(),
            ],
            env: &[],
            cwd: &log_dir,
            log: log_dir.join(format!("{name}-{port}.log")),
            grace_secs: 2,
        })?;
        process.wait_ready(Duration::from_secs(60), || {
            http_status(port, "/health", None) == Some(200)
        })?;
        Ok(PackageIndex {
            port,
            dir,
            _process: process,
        })
    }

    /// The index of the fixture fleet's online builds (started once per process): the fixture servers' wheels.
    pub fn fixtures() -> Result<&'static PackageIndex> {
        static FIXTURES: OnceLock<std::result::Result<PackageIndex, String>> = OnceLock::new();
        once(&FIXTURES, || {
            PackageIndex::serve("fixtures", &[&crate::docker::fixture_wheels()?])
        })
    }

    /// The index of the seed fleet's online builds (started once per process): its requirement sets and
    /// `mcp-proxy`.
    pub fn seed() -> Result<&'static PackageIndex> {
        static SEED: OnceLock<std::result::Result<PackageIndex, String>> = OnceLock::new();
        once(&SEED, || {
            let houses = crate::seed::seed_wheels()?;
            PackageIndex::serve("seed", &houses.iter().collect::<Vec<_>>())
        })
    }

    /// `http://127.0.0.1:<port>/simple/`: what `PIP_INDEX_URL` names.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// The build arguments of an online build against this index (plain HTTP, so its host must be trusted).
    pub fn build_args(&self) -> [(&'static str, String); 2] {
        [
            ("PIP_INDEX_URL", self.url()),
            ("PIP_TRUSTED_HOST", "127.0.0.1".to_owned()),
        ]
    }
}

/// The index in `cell`, started by `serve` on first use; a failure is kept and reported to every caller.
fn once(
    cell: &'static OnceLock<std::result::Result<PackageIndex, String>>,
    serve: impl FnOnce() -> Result<PackageIndex>,
) -> Result<&'static PackageIndex> {
    cell.get_or_init(|| serve().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|reason| crate::error::HarnessError::Command {
            what: "serving a local package index".to_owned(),
            status: "failed".to_owned(),
            output: reason.clone(),
        })
}

/// The venv pypiserver runs from.
pub fn prepare_index_venv(python: &Python) -> Result<Venv> {
    Venv::ensure(python, "pypiserver", &[PYPISERVER], PYPISERVER)
}
