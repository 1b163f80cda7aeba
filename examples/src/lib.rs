//! Support code of the `fleet` example (`cargo run -p mcpfleet-examples --example fleet`): the seed project's
//! deliverables under `docs/` and the step printer. Not published.
//!
//! The example itself is `examples/fleet.rs`; this library exists so that the `docs/` freshness test
//! (`examples/tests/fleet/deliverables.rs`) runs the very code the example runs.

pub mod deliverables;
pub mod steps;

pub use mcpfleet_harness::workspace_root;

/// The example's error type: any error, with its cause chain.
pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Result with [`AnyError`].
pub type AnyResult<T> = Result<T, AnyError>;

/// An error and its causes on one line: `what: cause: cause`.
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
        .collect::<Vec<_>>()
        .join("; ")
}

/// Prints a line on stdout, ignoring a closed pipe (`fleet plan … | head` must not panic).
pub fn print_line(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
