//! Numbered steps with a spinner while they run and their time when done.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::{AnyResult, one_line};

/// One finished step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Its number, from 1.
    pub number: usize,
    /// What it did.
    pub title: String,
    /// How long it took, in seconds.
    pub seconds: f64,
    /// `ok`, or the error on one line.
    pub outcome: String,
}

/// The step printer. Output goes to stdout, the spinner to stderr (hidden when stderr is not a terminal, in
/// which case a plain "…" line says what is running).
#[derive(Debug, Clone)]
pub struct Steps {
    records: Arc<Mutex<Vec<StepRecord>>>,
    current: Arc<Mutex<Option<String>>>,
    quiet: bool,
}

impl Steps {
    /// A printer; `quiet` prints nothing (for `--json`).
    pub fn new(quiet: bool) -> Self {
        Steps {
            records: Arc::default(),
            current: Arc::default(),
            quiet,
        }
    }

    /// Prints a line (unless quiet).
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet {
            crate::print_line(line.as_ref());
        }
    }

    /// Prints a detail line under the current step, indented.
    pub fn detail(&self, line: impl AsRef<str>) {
        for line in line.as_ref().lines() {
            self.say(format!("      {line}"));
        }
    }

    /// The step running now, if any (for the Ctrl-C message).
    pub fn current(&self) -> Option<String> {
        self.current.lock().ok().and_then(|c| c.clone())
    }

    /// Every finished step.
    pub fn records(&self) -> Vec<StepRecord> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Runs one step: a spinner with its title and elapsed time while it runs, then `✓ title (time)` or
    /// `✗ title: error`.
    pub async fn run<T>(
        &self,
        title: impl Into<String>,
        step: impl Future<Output = AnyResult<T>>,
    ) -> AnyResult<T> {
        let title = title.into();
        let number = self.records().len() + 1;
        if let Ok(mut current) = self.current.lock() {
            *current = Some(title.clone());
        }
        let spinner = self.spinner(number, &title);
        let started = Instant::now();
        let result = step.await;
        let seconds = started.elapsed().as_secs_f64();
        spinner.finish_and_clear();
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => one_line(e.as_ref()),
        };
        match &result {
            Ok(_) => self.say(format!("  ✓ {number:>2}. {title}  ({seconds:.2} s)")),
            Err(_) => self.say(format!(
                "  ✗ {number:>2}. {title}  ({seconds:.2} s): {outcome}"
            )),
        }
        if let Ok(mut records) = self.records.lock() {
            records.push(StepRecord {
                number,
                title,
                seconds,
                outcome,
            });
        }
        if let Ok(mut current) = self.current.lock() {
            *current = None;
        }
        result
    }

    /// Runs a blocking step (installs, process starts) on the blocking pool, with the same output.
    pub async fn blocking<T: Send + 'static>(
        &self,
        title: impl Into<String>,
        step: impl FnOnce() -> AnyResult<T> + Send + 'static,
    ) -> AnyResult<T> {
        self.run(title, async move {
            tokio::task::spawn_blocking(step)
                .await
                .map_err(|e| format!("the step's thread failed: {e}"))?
        })
        .await
    }

    fn spinner(&self, number: usize, title: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::new_spinner();
        if spinner.is_hidden() {
            // Not a terminal (CI, a pipe): say what is running, once.
            crate::print_line(&format!("  … {number:>2}. {title}"));
            return spinner;
        }
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg}  [{elapsed}]") {
            spinner.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
        }
        spinner.set_message(format!("{number:>2}. {title}"));
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    }
}
