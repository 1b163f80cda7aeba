//! The diff engine: required vs granted per operation, excess, verdict, and the least-privilege recipe.

use serde::{Deserialize, Serialize};

use crate::catalogue::{Access, Catalogue, OperationRule, minimal_request};
use crate::error::Result;
use crate::grant::{Blocker, Grant};
use crate::permission::{PermissionSet, TokenScope};
use crate::role::TeamNarrowing;
use crate::token::CredentialKind;

/// The seed deliverable's title, used by the Markdown report.
pub const REPORT_TITLE: &str = "Permission audit: current vs required token scopes";

/// Per-operation outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// The gateway would let it through.
    Satisfied,
    /// Adding the missing permissions (to the scope, the roles, or both) would fix it.
    Missing,
    /// No permission fixes it for this credential (see the blockers).
    Blocked,
}

/// One operation's line in the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct OperationAudit {
    /// Operation id.
    pub operation: String,
    /// HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Every permission it needs in either layer.
    pub required: PermissionSet,
    /// Whether it needs a token at all (`false` for `/health` and login).
    pub token_required: bool,
    /// The outcome.
    pub status: Status,
    /// What the token scope lacks.
    pub missing_scope: PermissionSet,
    /// What the user's roles lack.
    pub missing_roles: PermissionSet,
    /// What no permission can fix.
    pub blockers: Vec<Blocker>,
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Every operation is satisfied and nothing is granted beyond what they need.
    LeastPrivilege,
    /// Every operation is satisfied, and the grant holds permissions none of them needs.
    OverPrivileged,
    /// At least one operation would be refused.
    Insufficient,
}

impl Verdict {
    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::LeastPrivilege => "satisfied, least privilege",
            Self::OverPrivileged => "satisfied, over-privileged",
            Self::Insufficient => "insufficient",
        }
    }
}

/// Counts for the headline.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[non_exhaustive]
pub struct Summary {
    /// Operations audited.
    pub operations: usize,
    /// Satisfied operations.
    pub satisfied: usize,
    /// Operations missing permissions.
    pub missing: usize,
    /// Blocked operations.
    pub blocked: usize,
    /// Excess permissions.
    pub excess: usize,
}

/// The credential as the audit saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct CredentialSummary {
    /// Credential kind.
    pub kind: CredentialKind,
    /// The user behind it.
    pub user: String,
    /// Whether the database marks the user admin.
    pub is_admin: bool,
    /// Whether layer 2 is bypassed (admin, token not public-only).
    pub admin_bypass: bool,
    /// The token's `scopes.permissions`, verbatim.
    pub scope: PermissionSet,
    /// Whether the scope limits nothing (`*` or empty).
    pub unrestricted_scope: bool,
    /// Team narrowing.
    pub narrowing: TeamNarrowing,
    /// Server binding.
    pub server_id: Option<String>,
    /// Scope entries this gateway version does not define (kept, but flagged: a newer gateway may know them).
    pub unknown_permissions: PermissionSet,
    /// Scope entries `POST /v1/tokens` would refuse (e.g. `tools.*`), possible only in self-signed JWTs.
    pub unrequestable_permissions: PermissionSet,
    /// How many of the gateway's permissions the grant effectively holds (scope ∩ roles).
    pub effective_count: usize,
}

/// The whole audit: serialize it as JSON (schema: [`AuditReport::json_schema`]) or render it as Markdown
/// ([`AuditReport::to_markdown`]). Ordering is stable: operations in the order asked, permissions sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct AuditReport {
    /// [`REPORT_TITLE`].
    pub title: String,
    /// Gateway product.
    pub gateway: String,
    /// Gateway version of the catalogue used.
    pub gateway_version: String,
    /// The credential.
    pub credential: CredentialSummary,
    /// The overall answer.
    pub verdict: Verdict,
    /// Counts.
    pub summary: Summary,
    /// One line per operation.
    pub operations: Vec<OperationAudit>,
    /// Everything the operations need, in either layer.
    pub needed: PermissionSet,
    /// Effectively granted but needed by none of the operations: over-privilege.
    pub excess: PermissionSet,
    /// The smallest grant that does the same work.
    pub least_privilege: LeastPrivilege,
}

impl AuditReport {
    /// The JSON Schema of the report (draft 2020-12).
    pub fn json_schema() -> schemars::Schema {
        schemars::schema_for!(AuditReport)
    }
}

/// An operation no scoped API token can perform, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct UnscopedOperation {
    /// Operation id.
    pub operation: String,
    /// Why.
    pub blocker: Blocker,
}

/// The scope part of `POST /v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenRecipeScope {
    /// Bind the token to one virtual server.
    pub server_id: Option<String>,
    /// The permission list. Never empty in a recipe: empty means unrestricted.
    pub permissions: PermissionSet,
}

/// A ready-to-send `POST /v1/tokens` body (send it with a session or admin JWT; API tokens cannot create tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenRecipe {
    /// 1–255 characters, unique per user and team.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Mandatory while the gateway requires token expiry (the default).
    pub expires_in_days: u32,
    /// Permission cap and server binding.
    pub scope: TokenRecipeScope,
    /// The team the token acts in. Without it a non-admin gets their personal team, whose roles do not count
    /// for `tools.execute` on `/rpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

impl TokenRecipe {
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the lifetime in days (at least 1).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = days.max(1);
        self
    }

    /// Binds the token to a team.
    pub fn team_id(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }

    /// Binds the token to one virtual server.
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.scope.server_id = Some(server_id.into());
        self
    }

    /// The body as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and string sets always serializes.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A ready-to-send `POST /v1/rbac/roles` body: a global custom role granting what the operations need in layer 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoleRecipe {
    /// Role name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `global`, so that it counts in every team context.
    pub scope: String,
    /// The permissions.
    pub permissions: PermissionSet,
}

/// The minimal grant for a list of operations.
///
/// ```
/// use mcpfleet_scope_audit::Catalogue;
///
/// let registration = ["gateways.create", "gateways.list", "gateways.get", "gateways.refresh_tools", "tools.list",
///                     "servers.create", "servers.get", "tools.call_rpc", "tools.call_mcp"];
/// let recipe = Catalogue::contextforge_1_1_0().least_privilege(registration)?;
/// assert_eq!(
///     recipe.request.to_strings(),
///     ["gateways.create", "gateways.read", "gateways.update", "servers.create", "servers.read", "tools.execute",
///      "tools.read"],
/// );
/// assert!(recipe.issued_scope.contains_str("servers.use")); // added by the gateway
/// let body = recipe.token.unwrap().name("fleet-ci").to_json();
/// assert_eq!(body["scope"]["permissions"][0], "gateways.create");
/// # Ok::<(), mcpfleet_scope_audit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct LeastPrivilege {
    /// The operations it covers, as asked.
    pub operations: Vec<String>,
    /// The `scope.permissions` to request: minimal, `servers.use` left to the gateway.
    pub request: PermissionSet,
    /// What the issued token will carry.
    pub issued_scope: PermissionSet,
    /// What the token owner's roles must grant (globally or in the token's non-personal team).
    pub role_permissions: PermissionSet,
    /// The token body, or `None` when no operation needs a scoped permission (an empty list would be unrestricted).
    pub token: Option<TokenRecipe>,
    /// A custom global role for a non-admin owner, or `None` when the operations need no role permission.
    pub role: Option<RoleRecipe>,
    /// Operations no scoped API token can perform; use a session, a `*` token, or an admin JWT for them.
    pub unscoped: Vec<UnscopedOperation>,
}

impl LeastPrivilege {
    fn for_operations(operations: &[&OperationRule]) -> Self {
        let mut scope_needed = PermissionSet::new();
        let mut role_permissions = PermissionSet::new();
        let mut unscoped = Vec::new();
        for op in operations {
            match &op.access {
                Access::Scoped { .. } => scope_needed = scope_needed.union(&op.scope_permissions()),
                Access::UnrestrictedScopeOnly => unscoped.push(UnscopedOperation {
                    operation: op.id.clone(),
                    blocker: Blocker::UnmappedForScopedTokens,
                }),
                Access::InteractiveOnly => unscoped.push(UnscopedOperation {
                    operation: op.id.clone(),
                    blocker: Blocker::InteractiveSessionRequired,
                }),
                Access::NoAuth => {}
            }
            if op.admin_only {
                unscoped.push(UnscopedOperation {
                    operation: op.id.clone(),
                    blocker: Blocker::AdminOnly,
                });
            }
            role_permissions = role_permissions.union(&op.rbac);
        }
        let request = minimal_request(&scope_needed);
        let issued_scope = TokenScope::as_issued(&request).permissions().clone();
        let token = (!request.is_empty()).then(|| TokenRecipe {
            name: "mcpfleet-least-privilege".to_owned(),
            description: format!("least privilege for: {}", join_ids(operations)),
            expires_in_days: 30,
            scope: TokenRecipeScope {
                server_id: None,
                permissions: request.clone(),
            },
            team_id: None,
        });
        let role = (!role_permissions.is_empty()).then(|| RoleRecipe {
            name: "mcpfleet-operator".to_owned(),
            description: format!("roles needed for: {}", join_ids(operations)),
            scope: "global".to_owned(),
            permissions: role_permissions.clone(),
        });
        Self {
            operations: operations.iter().map(|op| op.id.clone()).collect(),
            request,
            issued_scope,
            role_permissions,
            token,
            role,
            unscoped,
        }
    }
}

fn join_ids(operations: &[&OperationRule]) -> String {
    operations
        .iter()
        .map(|op| op.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Catalogue {
    /// Audits `grant` against the operations named by `ids` (see [`AuditReport`]).
    ///
    /// ```
    /// use mcpfleet_scope_audit::{Catalogue, Grant, PermissionSet, UserRoles, Verdict};
    ///
    /// let catalogue = Catalogue::contextforge_1_1_0();
    /// // "Does the current token have permission to register servers?" — a tools-only token: no.
    /// let grant = Grant::api_token(&PermissionSet::parse(["tools.read", "tools.execute"])?,
    ///                              UserRoles::platform_admin("admin@example.com"));
    /// let report = catalogue.audit(&grant, ["gateways.create", "tools.call_rpc"])?;
    /// assert_eq!(report.verdict, Verdict::Insufficient);
    /// assert_eq!(report.operations[0].missing_scope.to_strings(), ["gateways.create"]);
    /// # Ok::<(), mcpfleet_scope_audit::Error>(())
    /// ```
    pub fn audit<I, S>(&self, grant: &Grant, ids: I) -> Result<AuditReport>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let operations = self.resolve(ids)?;
        let universe = &self.permissions;
        let mut lines = Vec::with_capacity(operations.len());
        let mut needed = PermissionSet::new();
        for op in &operations {
            let check = grant.evaluate(op);
            let status = if !check.blockers.is_empty() {
                Status::Blocked
            } else if check.is_satisfied() {
                Status::Satisfied
            } else {
                Status::Missing
            };
            needed = needed.union(&op.required_permissions());
            lines.push(OperationAudit {
                operation: op.id.clone(),
                method: op.method.clone(),
                path: op.path.clone(),
                required: op.required_permissions(),
                token_required: op.access != Access::NoAuth,
                status,
                missing_scope: check.missing_scope,
                missing_roles: check.missing_roles,
                blockers: check.blockers,
            });
        }
        let effective = grant.effective_permissions(universe);
        let excess = effective.difference(&needed);
        let count = |status: Status| lines.iter().filter(|line| line.status == status).count();
        let summary = Summary {
            operations: lines.len(),
            satisfied: count(Status::Satisfied),
            missing: count(Status::Missing),
            blocked: count(Status::Blocked),
            excess: excess.len(),
        };
        let verdict = if summary.satisfied < summary.operations {
            Verdict::Insufficient
        } else if excess.is_empty() {
            Verdict::LeastPrivilege
        } else {
            Verdict::OverPrivileged
        };
        let scope = grant.scope.permissions().clone();
        let credential = CredentialSummary {
            kind: grant.credential,
            user: grant.user.email.clone(),
            is_admin: grant.user.is_admin,
            admin_bypass: grant.admin_bypass(),
            unrestricted_scope: grant.scope.is_unrestricted(),
            unknown_permissions: scope
                .iter()
                .filter(|p| !self.is_known(p))
                .cloned()
                .collect(),
            unrequestable_permissions: scope
                .iter()
                .filter(|p| !p.is_requestable())
                .cloned()
                .collect(),
            scope,
            narrowing: grant.narrowing.clone(),
            server_id: grant.server_id.clone(),
            effective_count: effective.len(),
        };
        Ok(AuditReport {
            title: REPORT_TITLE.to_owned(),
            gateway: self.gateway.clone(),
            gateway_version: self.version.clone(),
            credential,
            verdict,
            summary,
            operations: lines,
            needed,
            excess,
            least_privilege: LeastPrivilege::for_operations(&operations),
        })
    }

    /// The minimal grant for the operations named by `ids` (see [`LeastPrivilege`]).
    pub fn least_privilege<I, S>(&self, ids: I) -> Result<LeastPrivilege>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(LeastPrivilege::for_operations(&self.resolve(ids)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// The operations of a registration run.
    const FLEET_PLAN: [&str; 9] = [
        "gateways.create",
        "gateways.list",
        "gateways.get",
        "gateways.refresh_tools",
        "tools.list",
        "servers.create",
        "servers.get",
        "tools.call_rpc",
        "tools.call_mcp",
    ];
    use crate::role::UserRoles;

    #[test]
    fn admin_wildcard_is_over_privileged_for_the_fleet() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let grant = Grant::api_token(
            &PermissionSet::parse(["*"]).unwrap(),
            UserRoles::platform_admin("a@x"),
        );
        let report = catalogue.audit(&grant, FLEET_PLAN).unwrap();
        assert_eq!(report.verdict, Verdict::OverPrivileged);
        assert_eq!(report.summary.satisfied, FLEET_PLAN.len());
        assert_eq!(report.needed.len(), 8);
        assert_eq!(report.excess.len(), 76 - 8);
        assert!(!report.excess.contains_str("gateways.create"));
    }

    #[test]
    fn the_recipe_is_least_privilege_when_audited() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let recipe = catalogue.least_privilege(FLEET_PLAN).unwrap();
        let grant = Grant::api_token(&recipe.request, UserRoles::platform_admin("a@x"));
        let report = catalogue.audit(&grant, FLEET_PLAN).unwrap();
        assert_eq!(
            report.verdict,
            Verdict::LeastPrivilege,
            "{:?}",
            report.excess
        );
    }

    #[test]
    fn recipes_list_what_no_scoped_token_can_do_and_never_send_an_empty_scope() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let recipe = catalogue
            .least_privilege(["tokens.create", "auth.me", "version", "health"])
            .unwrap();
        assert!(recipe.token.is_none());
        let unscoped: Vec<_> = recipe
            .unscoped
            .iter()
            .map(|u| (u.operation.as_str(), u.blocker.clone()))
            .collect();
        assert_eq!(
            unscoped,
            [
                ("tokens.create", Blocker::InteractiveSessionRequired),
                ("auth.me", Blocker::UnmappedForScopedTokens),
                ("version", Blocker::UnmappedForScopedTokens),
                ("version", Blocker::AdminOnly),
            ]
        );
        assert_eq!(
            recipe.role.unwrap().permissions.to_strings(),
            ["tokens.create"]
        );
    }

    #[test]
    fn unknown_and_unrequestable_scope_entries_are_flagged_not_dropped() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let mut grant = Grant::api_token(&PermissionSet::new(), UserRoles::platform_admin("a@x"));
        grant.scope = TokenScope::new(
            PermissionSet::parse(["tools.*", "robots.dance", "gateways.read"]).unwrap(),
        );
        let report = catalogue.audit(&grant, ["gateways.list"]).unwrap();
        assert_eq!(
            report.credential.unknown_permissions.to_strings(),
            ["robots.dance"]
        );
        assert_eq!(
            report.credential.unrequestable_permissions.to_strings(),
            ["tools.*"]
        );
        assert_eq!(report.credential.scope.len(), 3);
        assert!(report.excess.contains_str("tools.execute"));
    }

    #[test]
    fn operations_without_authentication_are_not_reported_as_authenticated() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let report = catalogue
            .audit(&Grant::anonymous(), ["health", "auth.login", "auth.me"])
            .unwrap();
        let flags: Vec<bool> = report.operations.iter().map(|l| l.token_required).collect();
        assert_eq!(flags, [false, false, true]);
        let markdown = report.to_markdown();
        assert!(
            markdown.contains("| `health` | `GET /health` | none (no token) | satisfied |"),
            "{markdown}"
        );
        assert!(
            markdown
                .contains("| `auth.me` | `GET /v1/auth/email/me` | authenticated | **blocked** |"),
            "{markdown}"
        );
    }

    #[test]
    fn untrusted_claim_text_cannot_break_the_markdown_layout() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let mut grant = Grant::api_token(
            &PermissionSet::parse(["tools.read"]).unwrap(),
            UserRoles::platform_admin("a|b`\n# injected@x"),
        );
        grant.server_id = Some("s1 | x\n| forged |".into());
        grant.narrowing = TeamNarrowing::Teams(vec!["t`1\n- forged".into()]);
        let markdown = catalogue
            .audit(&grant, ["tools.list"])
            .unwrap()
            .to_markdown();
        assert!(!markdown.contains("\n# injected"), "{markdown}");
        assert!(!markdown.contains("\n| forged"), "{markdown}");
        assert!(!markdown.contains("\n- forged"), "{markdown}");
        let row = markdown
            .lines()
            .find(|l| l.starts_with("| `tools.list`"))
            .unwrap();
        assert_eq!(row.matches(" | ").count(), 4, "{row}");
    }

    #[test]
    fn token_request_builder() {
        let recipe = Catalogue::contextforge_1_1_0()
            .least_privilege(["tools.call_mcp"])
            .unwrap();
        let body = recipe
            .token
            .unwrap()
            .name("n")
            .expires_in_days(0)
            .team_id("t")
            .server_id("s")
            .to_json();
        assert_eq!(
            body,
            serde_json::json!({"name":"n","description":"least privilege for: tools.call_mcp","expires_in_days":1,
                "scope":{"server_id":"s","permissions":["tools.execute"]},"team_id":"t"})
        );
    }
}
