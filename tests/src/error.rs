use std::path::PathBuf;

/// Everything that can go wrong while preparing or running the harness.
///
/// Each variant says what the harness was doing and, where a program or server answered, what it said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// No Python 3.12 or 3.13 interpreter could be found.
    #[error(
        "no working Python 3.12 or 3.13 found (tried: {tried}). ContextForge 1.1.0 requires Python >=3.12,<3.14. \
         Install one (Debian/Ubuntu: `apt-get install python3.12 python3.12-venv` or `python3.13 python3.13-venv`; \
         or `pyenv install 3.12`), or point MCPFLEET_PYTHON at such an interpreter"
    )]
    NoPython {
        /// The candidates that were tried, comma-separated.
        tried: String,
    },
    /// `MCPFLEET_PYTHON` names something that is not Python 3.12/3.13.
    #[error("MCPFLEET_PYTHON={path} is not a working Python 3.12 or 3.13 ({found})")]
    BadPythonOverride {
        /// The configured path.
        path: PathBuf,
        /// What running it reported.
        found: String,
    },
    /// A filesystem operation failed.
    #[error("{action} {path}")]
    Io {
        /// What the harness was doing, e.g. "creating directory".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A helper program (python, pip, create_jwt_token, ...) failed.
    #[error("{what} failed ({status}); its output:\n{output}")]
    Command {
        /// What was run, for the reader.
        what: String,
        /// Exit status as text.
        status: String,
        /// Combined stdout/stderr, trimmed to the last lines.
        output: String,
    },
    /// A server did not become ready in time, or its process exited during start-up.
    #[error("{what} did not become ready: {reason}; log {log}:\n{log_tail}")]
    NotReady {
        /// Which server.
        what: String,
        /// Why the harness gave up.
        reason: String,
        /// The server's log file.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },
    /// An HTTP request made by the harness failed at the transport level.
    #[error("{what}: request failed")]
    Transport {
        /// The request, e.g. "POST /v1/tokens".
        what: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The gateway answered an HTTP request made by the harness with an unexpected status.
    #[error("{what}: unexpected HTTP {status}: {body}")]
    Http {
        /// The request, e.g. "POST /v1/tokens".
        what: String,
        /// The HTTP status code.
        status: u16,
        /// The raw response body.
        body: String,
    },
    /// The shared gateway failed to start earlier in this process; the first error is repeated.
    #[error("the shared gateway could not be started earlier in this test process: {0}")]
    SharedStartFailed(String),
}

/// Result alias for the harness.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;

pub(crate) fn io_err(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> HarnessError {
    let path = path.into();
    move |source| HarnessError::Io {
        action,
        path,
        source,
    }
}
