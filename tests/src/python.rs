//! Finding a Python interpreter and keeping cached virtualenvs.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::error::{HarnessError, Result, io_err};
use crate::paths::harness_dir;

/// The Python minor versions ContextForge 1.1.0 supports (`Requires-Python >=3.12,<3.14`), preferred first.
const SUPPORTED: [&str; 2] = ["3.12", "3.13"];

/// A working Python 3.12 or 3.13 interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Python {
    /// Path of the interpreter.
    pub path: PathBuf,
    /// Its `major.minor` version.
    pub version: String,
}

impl Python {
    /// Finds an interpreter: `$MCPFLEET_PYTHON`, then `python3.12`, `python3.13`, `python3` on `PATH` (each checked by
    /// running it, since pyenv shims of inactive versions exist but fail), then pyenv's installed 3.12.x / 3.13.x.
    pub fn find() -> Result<Python> {
        if let Some(path) = std::env::var_os("MCPFLEET_PYTHON").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return match probe(&path) {
                Ok(version) if SUPPORTED.contains(&version.as_str()) => {
                    Ok(Python { path, version })
                }
                Ok(version) => Err(HarnessError::BadPythonOverride {
                    path,
                    found: format!("Python {version}"),
                }),
                Err(found) => Err(HarnessError::BadPythonOverride { path, found }),
            };
        }
        let mut tried = Vec::new();
        let mut candidates: Vec<PathBuf> = ["python3.12", "python3.13", "python3"]
            .iter()
            .map(PathBuf::from)
            .collect();
        candidates.extend(pyenv_candidates());
        for path in candidates {
            tried.push(path.display().to_string());
            if let Ok(version) = probe(&path)
                && SUPPORTED.contains(&version.as_str())
            {
                return Ok(Python { path, version });
            }
        }
        Err(HarnessError::NoPython {
            tried: tried.join(", "),
        })
    }
}

/// Runs the interpreter and returns its `major.minor`, or what went wrong.
fn probe(path: &Path) -> Result<String, String> {
    let out = Command::new(path)
        .args([
            "-c",
            "import sys, venv; print('%d.%d' % sys.version_info[:2])",
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("exited with {}", out.status));
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if version.is_empty() {
        return Err("it printed no version".to_owned());
    }
    Ok(version)
}

/// pyenv's installed 3.12.x and 3.13.x interpreters, newest patch release first, 3.12 before 3.13.
fn pyenv_candidates() -> Vec<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let Some(versions) = root.map(|r| r.join("versions")) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(&versions) else {
        return Vec::new();
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let mut found = Vec::new();
    for minor in SUPPORTED {
        let mut matching: Vec<(Vec<u32>, &String)> = names
            .iter()
            .filter(|n| {
                n.strip_prefix(minor)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
            .filter_map(|n| {
                Some((
                    n.split('.')
                        .map(|p| p.parse().ok())
                        .collect::<Option<Vec<u32>>>()?,
                    n,
                ))
            })
            .collect();
        matching.sort();
        found.extend(
            matching
                .into_iter()
                .rev()
                .map(|(_, n)| versions.join(n).join("bin").join("python3")),
        );
    }
    found
}

/// A virtualenv under the harness directory, created once and reused while its contents match a stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venv {
    /// The venv directory.
    pub dir: PathBuf,
}

impl Venv {
    /// Ensures `<harness>/venvs/<name>` exists with `pip install <install_args>` done.
    ///
    /// `stamp` describes the wanted contents (e.g. the requirements file's text); when the stamp stored in the venv
    /// differs, the venv is rebuilt. A file lock makes concurrent test processes wait for one installer.
    pub fn ensure(python: &Python, name: &str, install_args: &[&str], stamp: &str) -> Result<Venv> {
        let venvs = harness_dir().join("venvs");
        fs::create_dir_all(&venvs).map_err(io_err("creating directory", &venvs))?;
        let lock_path = venvs.join(format!("{name}.lock"));
        let lock = File::create(&lock_path).map_err(io_err("creating lock file", &lock_path))?;
        lock.lock().map_err(io_err("locking", &lock_path))?;

        let dir = venvs.join(name);
        let stamp_path = dir.join(".mcpfleet-stamp");
        let venv = Venv { dir };
        let wanted = format!("{}\n{}", python.version, stamp);
        if fs::read_to_string(&stamp_path).ok().as_deref() == Some(wanted.as_str())
            && venv.python().exists()
        {
            return Ok(venv);
        }
        let started = Instant::now();
        eprintln!(
            "[harness] creating virtualenv {} (Python {}) ...",
            venv.dir.display(),
            python.version
        );
        if venv.dir.exists() {
            fs::remove_dir_all(&venv.dir).map_err(io_err("removing stale venv", &venv.dir))?;
        }
        run(
            Command::new(&python.path)
                .arg("-m")
                .arg("venv")
                .arg(&venv.dir),
            &format!("{} -m venv {}", python.path.display(), venv.dir.display()),
        )?;
        run(
            Command::new(venv.python())
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--quiet",
                ])
                .args(install_args),
            &format!("pip install {}", install_args.join(" ")),
        )?;
        fs::write(&stamp_path, wanted).map_err(io_err("writing", &stamp_path))?;
        eprintln!(
            "[harness] {} ready in {:.1}s",
            venv.dir.display(),
            started.elapsed().as_secs_f64()
        );
        Ok(venv)
    }

    /// The venv's interpreter.
    pub fn python(&self) -> PathBuf {
        self.bin("python")
    }

    /// A program in the venv's `bin/`.
    pub fn bin(&self, program: &str) -> PathBuf {
        self.dir.join("bin").join(program)
    }
}

/// Runs a command to completion; a failure carries the tail of its output.
pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().map_err(|source| HarnessError::Command {
        what: what.to_owned(),
        status: "could not start".to_owned(),
        output: source.to_string(),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let mut all = stdout;
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(HarnessError::Command {
        what: what.to_owned(),
        status: out.status.to_string(),
        output: tail(&all, 40),
    })
}

/// The last `n` lines of a text.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
