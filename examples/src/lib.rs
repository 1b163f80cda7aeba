//! Support code of the `fleet` example (`cargo run -p mcpfleet-examples --example fleet`): the seed project's
//! deliverables under `docs/` and the step printer. Not published.
//!
//! The example itself is `examples/fleet.rs`; this library exists so that the `docs/` freshness test
//! (`examples/tests/fleet/deliverables.rs`) runs the very code the example runs.

pub mod deliverables;
pub mod steps;

use std::io::Write as _;
use std::sync::OnceLock;

pub use mcpfleet_harness::workspace_root;
use mcpfleet_registry::printable;

/// The example's error type: any error, with its cause chain.
pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Result with [`AnyError`].
pub type AnyResult<T> = Result<T, AnyError>;

/// An error and its causes on one line: `what: cause: cause`, with control characters escaped (an error can
/// carry a gateway's answer, which must not drive the terminal).
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some errors repeat their source in their own message.
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    // Multi-line messages (a manifest's list of problems) become `; `-separated.
    line.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(printable)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The first failure to write standard output other than a closed pipe, kept for [`stdout_failure`].
static STDOUT_FAILURE: OnceLock<String> = OnceLock::new();

/// Prints text on stdout, each line with its control characters escaped. A closed pipe is ignored (`fleet plan …
/// | head` must not fail); any other failure (a full disk) is kept for [`stdout_failure`], so that the run ends
/// with exit 1 instead of reporting success with nothing written.
pub fn print_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = text
        .split('\n')
        .try_for_each(|line| writeln!(out, "{}", printable(line)))
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = STDOUT_FAILURE.set(e.to_string());
    }
}

/// Why standard output could not be written, if it could not (after a last flush).
pub fn stdout_failure() -> Option<String> {
    if let Err(e) = std::io::stdout().lock().flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = STDOUT_FAILURE.set(e.to_string());
    }
    STDOUT_FAILURE.get().cloned()
}
