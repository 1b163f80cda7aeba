//! Text renderings of the plain-data results: the plan as a table, the apply report as a table, the verify
//! report as Markdown. The data types stay free of presentation; JSON comes from serde.

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
            self.fleet,
            self.gateway,
            self.mode.as_str(),
            self.basis
        );
        let rows = self
            .upstreams
            .iter()
            .map(|s| {
                let detail = s
                    .spec
                    .as_ref()
                    .filter(|_| s.action == Action::Create)
                    .map(|spec| format!("{} ({})", spec.url, spec.transport))
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
            .map(|s| s.name.len())
            .chain(self.virtual_servers.iter().map(|s| s.name.len()))
            .max()
            .unwrap_or(0);
        for (kind, action, name, detail, changes, reason) in rows {
            let line = format!(
                "  {} {:<10} {:<15} {:<width$} {}",
                action.sign(),
                action.label(),
                kind,
                name,
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
                let _ = writeln!(out, "      ({reason})");
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
        change.field,
        short(&change.before),
        short(&change.after)
    )
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
            self.fleet,
            self.gateway,
            self.writes,
            self.elapsed_ms
        );
        let width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
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
                step.name,
                describe(&step.outcome),
                step.elapsed_ms,
            );
            for note in &step.notes {
                let _ = writeln!(out, "      {note}");
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
            self.fleet,
            self.gateway,
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
                server.name,
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
                    vs.name,
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
                    call.gateway_name,
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

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
