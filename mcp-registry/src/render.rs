//! Text renderings of the plain-data results: the plan as a table, the apply report as a table, the verify
//! report as Markdown. The data types stay free of presentation; JSON comes from serde.
//!
//! Names, reasons, values and messages that came from the gateway or from a file go through [`printable`]: a
//! terminal would act on their control characters (an escape code that erases the previous line could hide a
//! `- delete`, a line break could forge one).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use crate::engine::{ApplyReport, Outcome, describe};
use crate::plan::{Action, FieldChange, Plan};
use crate::verify::VerifyReport;

impl Plan {
    /// The plan as a table, one line per upstream and virtual server with its changed fields below it.
    ///
    /// ```text
    /// Plan: fleet `demo` on http://127.0.0.1:4444 (apply), basis 1f2e3d4c5b6a7980
    ///   + create     upstream        utils    http://utils:8000/mcp (streamable-http)
    ///   ~ update     upstream        notes
    ///       description: "notes" → "notes, kept"
    /// 1 to create, 1 to update, 0 to adopt, 0 to delete, 1 unchanged, 0 retained, 0 conflicts
    /// ```
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "Plan: fleet `{}` on {} ({}), basis {}\n",
            printable(&self.fleet),
            printable(&self.gateway),
            self.mode.as_str(),
            printable(&self.basis)
        );
        let rows = self
            .upstreams
            .iter()
            .map(|s| {
                let detail = s
                    .spec
                    .as_ref()
                    .filter(|_| s.action == Action::Create)
                    .map(|spec| format!("{} ({})", printable(&spec.url), spec.transport))
                    .unwrap_or_default();
                ("upstream", s.action, &s.name, detail, &s.changes, &s.reason)
            })
            .chain(self.virtual_servers.iter().map(|s| {
                let detail = s
                    .want
                    .as_ref()
                    .filter(|_| s.action == Action::Create)
                    .map(|w| format!("{} tool selection(s)", w.tools.len()))
                    .unwrap_or_default();
                (
                    "virtual server",
                    s.action,
                    &s.name,
                    detail,
                    &s.changes,
                    &s.reason,
                )
            }));
        let width = self
            .upstreams
            .iter()
            .map(|s| printable(&s.name).len())
            .chain(
                self.virtual_servers
                    .iter()
                    .map(|s| printable(&s.name).len()),
            )
            .max()
            .unwrap_or(0);
        for (kind, action, name, detail, changes, reason) in rows {
            let line = format!(
                "  {} {:<10} {:<15} {:<width$} {}",
                action.sign(),
                action.label(),
                kind,
                printable(name),
                detail
            );
            let _ = writeln!(out, "{}", line.trim_end());
            for change in changes.iter() {
                let _ = writeln!(out, "      {}", change_line(change));
            }
            if let Some(reason) = reason
                .as_ref()
                .filter(|_| action != Action::Adopt || changes.is_empty())
            {
                let _ = writeln!(out, "      ({})", printable(reason));
            }
        }
        let s = self.summary();
        let _ = writeln!(
            out,
            "{} to create, {} to update, {} to adopt, {} to delete, {} unchanged, {} retained, {} conflicts",
            s.create, s.update, s.adopt, s.delete, s.unchanged, s.retain, s.conflict
        );
        out
    }
}

fn change_line(change: &FieldChange) -> String {
    format!(
        "{}: {} → {}",
        printable(&change.field),
        printable(&short(&change.before)),
        printable(&short(&change.after))
    )
}

/// `text` with every control character (C0, DEL, C1 — line breaks and escape codes included) and every Unicode
/// direction override written as a `\u{…}` escape, so that a terminal shows it instead of acting on it; borrowed
/// when there is nothing to escape.
///
/// ```
/// use mcpfleet_registry::printable;
/// assert_eq!(printable("utils"), "utils");
/// assert_eq!(printable("a\u{1b}[2Kb\nc"), "a\\u{1b}[2Kb\\u{a}c");
/// assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn short(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

impl ApplyReport {
    /// The report as a table: one line per step with its outcome, attempts and time.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "{} of fleet `{}` on {}: {} write(s) in {} ms\n",
            self.mode.as_str(),
            printable(&self.fleet),
            printable(&self.gateway),
            self.writes,
            self.elapsed_ms
        );
        let width = self
            .steps
            .iter()
            .map(|s| printable(&s.name).len())
            .max()
            .unwrap_or(0);
        for step in &self.steps {
            let subject = match step.subject {
                crate::engine::Subject::Upstream => "upstream",
                crate::engine::Subject::VirtualServer => "virtual server",
            };
            let retried = if step.attempts > 1 {
                format!(", {} attempts", step.attempts)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {} {:<10} {:<15} {:<width$} {} ({} ms{retried})",
                step.action.sign(),
                step.action.label(),
                subject,
                printable(&step.name),
                printable(&describe(&step.outcome)),
                step.elapsed_ms,
            );
            for note in &step.notes {
                let _ = writeln!(out, "      {}", printable(note));
            }
        }
        let failed = self
            .steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. }))
            .count();
        let _ = writeln!(out, "{} step(s), {failed} failed", self.steps.len());
        out
    }
}

impl VerifyReport {
    /// The report as Markdown: a table per server and per virtual server, with timings.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Verify: fleet `{}` on {}\n\n**{}** in {} ms.\n\n",
            printable(&self.fleet),
            printable(&self.gateway),
            if self.passed { "Passed" } else { "Failed" },
            self.elapsed_ms
        );
        out.push_str("| server | result | tools found / expected | smoke calls (/rpc) | tools after | problems |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for server in &self.servers {
            let passed_calls = server.calls.iter().filter(|c| c.passed).count();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} / {} | {passed_calls}/{} | {} ms | {} |",
                cell(&server.name),
                if server.passed { "pass" } else { "**fail**" },
                server.found_tools.len(),
                server.expected_tools.len(),
                server.calls.len(),
                server.tools_after_ms,
                cell(&server.problems.join("; ")),
            );
        }
        if !self.virtual_servers.is_empty() {
            out.push_str("\n| virtual server | result | tools listed (MCP) | smoke calls (MCP) | problems |\n");
            out.push_str("|---|---|---|---|---|\n");
            for vs in &self.virtual_servers {
                let passed_calls = vs.calls.iter().filter(|c| c.passed).count();
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {passed_calls}/{} | {} |",
                    cell(&vs.name),
                    if vs.passed { "pass" } else { "**fail**" },
                    vs.listed_tools,
                    vs.calls.len(),
                    cell(&vs.problems.join("; ")),
                );
            }
        }
        let calls: Vec<_> = self
            .servers
            .iter()
            .flat_map(|s| s.calls.iter())
            .chain(self.virtual_servers.iter().flat_map(|v| v.calls.iter()))
            .collect();
        if !calls.is_empty() {
            out.push_str("\n| call | route | result | time |\n|---|---|---|---|\n");
            for call in calls {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} `{}` | {} ms |",
                    cell(&call.gateway_name),
                    call.route,
                    if call.passed { "ok" } else { "**failed**" },
                    cell(&call.detail),
                    call.elapsed_ms
                );
            }
        }
        out
    }
}

/// A Markdown table cell: escaped for the terminal, `|` escaped for the table.
fn cell(text: &str) -> String {
    printable(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name from the gateway that moves the cursor up and erases a line would hide the `- delete` above it;
    /// one with a line break would forge a row. Both are shown, not obeyed.
    #[test]
    fn gateway_text_cannot_drive_the_terminal() {
        let hostile = "notes\u{1b}[1A\u{1b}[2K\n  + create     upstream        harmless";
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "format": crate::plan::PLAN_FORMAT, "fleet": "demo", "gateway": "http://gw:4444", "mode": "sync",
            "basis": "0", "virtual_servers": [],
            "upstreams": [
                {"name": "utils", "action": "delete", "id": "1", "reason": "owned\u{7}"},
                {"name": hostile, "action": "unchanged", "id": "2",
                 "changes": [{"field": "description", "before": "a\u{9b}b", "after": "c"}]}
            ]
        }))
        .unwrap();
        let table = plan.to_table();
        assert!(
            !table.chars().any(|c| c.is_control() && c != '\n'),
            "{table:?}"
        );
        // One line per step, plus the header, the reason, the change and the summary: no forged row.
        assert_eq!(table.lines().count(), 6, "{table}");
        assert!(table.contains("\\u{1b}[1A\\u{1b}[2K\\u{a}"), "{table}");
        assert!(table.contains("- delete"), "{table}");
    }
}
