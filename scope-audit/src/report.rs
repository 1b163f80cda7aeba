//! Markdown rendering of an [`AuditReport`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::audit::{AuditReport, LeastPrivilege, Status};
use crate::permission::PermissionSet;
use crate::role::TeamNarrowing;

fn code_list(set: &PermissionSet) -> String {
    if set.is_empty() {
        return "none".to_owned();
    }
    set.iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text from a token or a user record (user e-mail, team and server ids), made safe for one Markdown table cell
/// or code span: a line break, `|` or backtick in it would otherwise break the report's layout.
fn inline(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Like [`inline`], for a table cell whose code spans are intended: only `|` and line breaks are replaced.
fn table_cell(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn pretty_json<T: serde::Serialize>(value: &T) -> String {
    // Report types are plain data and always serialize.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

impl AuditReport {
    /// The report as Markdown, titled like the seed deliverable. Stable: same input, same bytes.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        let c = &self.credential;
        writeln!(out, "# {}\n", self.title)?;
        writeln!(out, "- Gateway: {} {}", self.gateway, self.gateway_version)?;
        let admin = match (c.is_admin, c.admin_bypass) {
            (true, true) => " (admin: role check bypassed)",
            (true, false) => " (admin, but the token is public-only: roles decide)",
            _ => "",
        };
        writeln!(
            out,
            "- Credential: {} of `{}`{admin}",
            c.kind.label(),
            inline(&c.user)
        )?;
        let scope = if c.scope.is_empty() {
            "none (inherits the roles)".to_owned()
        } else if c.unrestricted_scope {
            format!("{} (unrestricted)", code_list(&c.scope))
        } else {
            code_list(&c.scope)
        };
        writeln!(out, "- Token scope: {scope}")?;
        let teams = match &c.narrowing {
            TeamNarrowing::Unrestricted => "not narrowed".to_owned(),
            TeamNarrowing::PublicOnly => "public only".to_owned(),
            TeamNarrowing::Teams(teams) => teams
                .iter()
                .map(|t| format!("`{}`", inline(t)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        writeln!(out, "- Teams: {teams}")?;
        if let Some(server) = &c.server_id {
            writeln!(out, "- Bound to virtual server `{}`", inline(server))?;
        }
        if !c.unknown_permissions.is_empty() {
            writeln!(
                out,
                "- Unknown to {} {}: {}",
                self.gateway,
                self.gateway_version,
                code_list(&c.unknown_permissions)
            )?;
        }
        if !c.unrequestable_permissions.is_empty() {
            writeln!(
                out,
                "- Not accepted by `POST /v1/tokens`: {}",
                code_list(&c.unrequestable_permissions)
            )?;
        }
        let s = &self.summary;
        writeln!(
            out,
            "- Verdict: **{}**: {} of {} operations satisfied, {} lacking permissions, {} blocked, {} permissions in excess\n",
            self.verdict.label(),
            s.satisfied,
            s.operations,
            s.missing,
            s.blocked,
            s.excess
        )?;

        writeln!(out, "## Required vs granted\n")?;
        writeln!(
            out,
            "| Operation | Request | Required | Status | Missing or blocked by |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for line in &self.operations {
            let status = match line.status {
                Status::Satisfied => "satisfied",
                Status::Missing => "**missing**",
                Status::Blocked => "**blocked**",
            };
            let mut why = Vec::new();
            if !line.missing_scope.is_empty() {
                why.push(format!(
                    "token scope lacks {}",
                    code_list(&line.missing_scope)
                ));
            }
            if !line.missing_roles.is_empty() {
                why.push(format!("roles lack {}", code_list(&line.missing_roles)));
            }
            why.extend(line.blockers.iter().map(|b| b.explain()));
            let required = if !line.token_required {
                "none (no token)".to_owned()
            } else if line.required.is_empty() {
                "authenticated".to_owned()
            } else {
                code_list(&line.required)
            };
            writeln!(
                out,
                "| `{}` | `{} {}` | {} | {} | {} |",
                line.operation,
                line.method,
                line.path,
                required,
                status,
                table_cell(&why.join("; "))
            )?;
        }

        writeln!(
            out,
            "\n## Excess: granted but never needed ({})\n",
            self.excess.len()
        )?;
        if self.excess.is_empty() {
            writeln!(out, "None.")?;
        } else {
            let mut by_category: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for permission in self.excess.iter() {
                let text = permission.as_str();
                let category = text.split(['.', ':']).next().unwrap_or(text).to_owned();
                by_category.entry(category).or_default().push(text);
            }
            for (category, permissions) in by_category {
                let list = permissions
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                writeln!(out, "- {category}: {list}")?;
            }
        }

        writeln!(out)?;
        self.least_privilege.write_markdown(out)
    }
}

impl LeastPrivilege {
    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "## Minimal token recipe\n")?;
        match &self.token {
            Some(request) => {
                let added = self.issued_scope.difference(&self.request);
                write!(out, "Request exactly {}", code_list(&self.request))?;
                if !added.is_empty() {
                    write!(out, " (the gateway adds {})", code_list(&added))?;
                }
                writeln!(out, ".\n")?;
                writeln!(
                    out,
                    "`POST /v1/tokens`, sent with a login session or an admin JWT (API tokens cannot create tokens):\n"
                )?;
                writeln!(out, "```json\n{}\n```\n", pretty_json(request))?;
            }
            None => writeln!(
                out,
                "No scoped permission is needed; an empty list would mean unrestricted, so none is proposed.\n"
            )?,
        }
        if let Some(role) = &self.role {
            writeln!(
                out,
                "The token owner's roles must grant {} globally or in the token's non-personal team (platform admins \
                 bypass this). For a non-admin owner, `POST /v1/rbac/roles` then assign it:\n",
                code_list(&self.role_permissions)
            )?;
            writeln!(out, "```json\n{}\n```\n", pretty_json(role))?;
        }
        if !self.unscoped.is_empty() {
            writeln!(out, "Not possible with a scoped API token:\n")?;
            for item in &self.unscoped {
                writeln!(out, "- `{}`: {}", item.operation, item.blocker.explain())?;
            }
        }
        Ok(())
    }
}
