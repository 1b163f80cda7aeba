//! A grant (credential + the user behind it) and the gateway's two-layer rule applied to one operation.

use serde::{Deserialize, Serialize};

use crate::catalogue::{Access, OperationRule, ServerBinding};
use crate::permission::{PermissionSet, TokenScope};
use crate::role::{TeamContext, TeamNarrowing, UserRoles};
use crate::token::{CredentialKind, TokenClaims};

/// What a request carries: a credential (kind, token scope, team narrowing, server binding) and the user behind
/// it (admin flag and roles, which live in the gateway's database, not in the token).
///
/// # The rule ([`Grant::evaluate`])
///
/// A request passes only if **every** clause below holds. Sources are ContextForge 1.1.0 files; clauses 2–6 are
/// exercised against a running gateway by the live proof (`tests/tests/live/scope_audit.rs`), which compares
/// this function's predictions with the gateway's answers.
///
/// 1. **Authentication** — every operation except [`Access::NoAuth`] needs a valid token
///    (`utils/verify_credentials.py`).
/// 2. **Credential kind** — token management ([`Access::InteractiveOnly`]) refuses API tokens whatever their scope
///    (`routers/tokens.py::_require_authenticated_session`).
/// 3. **Server binding** — a token with `scopes.server_id` reaches only general endpoints and that server's
///    paths (`middleware/token_scoping.py::_check_server_restriction`).
/// 4. **Token scope (layer 1)** — an empty `scopes.permissions` or `*` limits nothing. Otherwise each
///    [`ScopeCheck`](crate::ScopeCheck) must be granted under its matcher (`middleware/rbac.py::token_scope_grants`
///    for the path map and decorators; exact matching in `main.py::_ensure_rpc_permission` and
///    `transports/streamablehttp_transport.py::_check_scoped_permission`). Paths the middleware does not map are
///    refused to any restricted scope ([`Access::UnrestrictedScopeOnly`], `token_scoping.py` default deny).
/// 5. **Admin-only** — `/v1/version` additionally needs an un-narrowed admin (`version.py::require_admin_auth`).
/// 6. **Roles (layer 2)** — `services/permission_service.py::check_permission`: a database admin passes unless the
///    token is public-only (`teams` missing, `[]`, or `null` without an admin claim); otherwise the roles consulted
///    in the team context (see [`UserRoles::permissions_in`]) must hold the permission or `*`. The team context is
///    the explicit `team_id` the caller sends, else the token's single non-personal team, else any non-personal
///    team (`middleware/rbac.py`, `main.py::_ensure_rpc_permission`).
///
/// So an API token's effective permissions are its scope ∩ its owner's roles in that context
/// ([`Grant::effective_permissions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Grant {
    /// What kind of credential.
    pub credential: CredentialKind,
    /// Layer 1: the token's permission cap.
    pub scope: TokenScope,
    /// How the token narrows teams.
    pub narrowing: TeamNarrowing,
    /// `scopes.server_id`, when the token is bound to one virtual server.
    pub server_id: Option<String>,
    /// A `team_id` the caller sends with its requests (the RBAC team context), if any.
    pub team_id: Option<String>,
    /// Layer 2: the user behind the credential.
    pub user: UserRoles,
}

impl Grant {
    /// The grant a decoded token carries, for `user` (whose roles the token does not contain).
    pub fn from_claims(claims: &TokenClaims, user: UserRoles) -> Self {
        Self {
            credential: claims.credential_kind(),
            scope: claims.scope(),
            narrowing: claims.team_narrowing(),
            server_id: claims.scopes.as_ref().and_then(|s| s.server_id.clone()),
            team_id: None,
            user,
        }
    }

    /// The API token `POST /v1/tokens` would issue to `user` for `requested` permissions without a `team_id`:
    /// `servers.use` added when implied; an admin gets `teams: null` (un-narrowed); anyone else their personal
    /// team, taken from the user's personal-team assignment (public-only if there is none).
    pub fn api_token(requested: &PermissionSet, user: UserRoles) -> Self {
        let narrowing = if user.is_admin {
            TeamNarrowing::Unrestricted
        } else {
            match user
                .assignments
                .iter()
                .find_map(|a| a.team.as_ref().filter(|t| t.personal))
            {
                Some(team) => TeamNarrowing::Teams(vec![team.id.clone()]),
                None => TeamNarrowing::PublicOnly,
            }
        };
        Self {
            credential: CredentialKind::ApiToken,
            scope: TokenScope::as_issued(requested),
            narrowing,
            server_id: None,
            team_id: None,
            user,
        }
    }

    /// An interactive session of `user` (`scopes.permissions: ["*"]`, teams from the database).
    pub fn session(user: UserRoles) -> Self {
        Self {
            credential: CredentialKind::Session,
            scope: TokenScope::new(PermissionSet::from_static(&["*"])),
            narrowing: TeamNarrowing::Unrestricted,
            server_id: None,
            team_id: None,
            user,
        }
    }

    /// No credential at all.
    pub fn anonymous() -> Self {
        Self {
            credential: CredentialKind::Anonymous,
            scope: TokenScope::default(),
            narrowing: TeamNarrowing::PublicOnly,
            server_id: None,
            team_id: None,
            user: UserRoles::new("anonymous", false),
        }
    }

    /// Sends `team_id` with requests: RBAC then consults that team's roles.
    pub fn with_team(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }

    /// Whether the user bypasses layer 2 (database admin, token not public-only).
    pub fn admin_bypass(&self) -> bool {
        self.user.is_admin && self.narrowing != TeamNarrowing::PublicOnly
    }

    /// The team context layer 2 uses for this grant.
    pub fn team_context(&self) -> TeamContext {
        if let Some(team) = &self.team_id {
            return TeamContext::Team(team.clone());
        }
        match &self.narrowing {
            TeamNarrowing::Teams(teams)
                if teams.len() == 1 && !self.user.is_personal_team(&teams[0]) =>
            {
                TeamContext::Team(teams[0].clone())
            }
            _ => TeamContext::AnyTeam,
        }
    }

    /// The permissions the user's roles grant in this grant's context (everything, for an admin bypass).
    pub fn role_permissions(&self, universe: &PermissionSet) -> PermissionSet {
        if self.admin_bypass() {
            return universe.clone();
        }
        let held = self
            .user
            .permissions_in(&self.team_context(), &self.narrowing);
        universe
            .iter()
            .filter(|p| held.covers(p))
            .cloned()
            .collect()
    }

    /// Scope ∩ roles over `universe` (normally [`Catalogue::permissions`](crate::Catalogue::permissions)).
    pub fn effective_permissions(&self, universe: &PermissionSet) -> PermissionSet {
        if self.credential == CredentialKind::Anonymous {
            return PermissionSet::new();
        }
        self.scope
            .expand(universe)
            .intersection(&self.role_permissions(universe))
    }

    /// The requested permissions `POST /v1/tokens` would refuse as an escalation (HTTP 400) when this grant's
    /// user creates a token for themself, naming `team_id` or not (`routers/tokens.py::_get_caller_permissions`,
    /// `TokenCatalogService._validate_scope_containment`). Empty means the request is accepted.
    ///
    /// The ceiling is the caller's roles **in the named team only**: without `team_id` it is the global roles,
    /// so a plain user cannot put `tools.execute` (held through the personal team's `team_admin`) into a token
    /// unless the request names the personal team. An un-narrowed admin may delegate anything.
    ///
    /// ```
    /// use mcpfleet_scope_audit::{Grant, PermissionSet, UserRoles};
    ///
    /// let dev = Grant::session(UserRoles::new_user("dev@example.com", "personal"));
    /// let wanted = PermissionSet::parse(["tools.read", "tools.execute"])?;
    /// assert_eq!(dev.undelegable(&wanted, None).to_strings(), ["tools.execute"]);
    /// assert!(dev.undelegable(&wanted, Some("personal")).is_empty());
    /// # Ok::<(), mcpfleet_scope_audit::Error>(())
    /// ```
    pub fn undelegable(&self, requested: &PermissionSet, team_id: Option<&str>) -> PermissionSet {
        if requested.is_empty()
            || (self.user.is_admin && self.narrowing == TeamNarrowing::Unrestricted)
        {
            return PermissionSet::new();
        }
        let context = team_id.map_or(TeamContext::GlobalOnly, |team| {
            TeamContext::Team(team.to_owned())
        });
        let ceiling = self.user.permissions_in(&context, &self.narrowing);
        if ceiling.has_wildcard() {
            return PermissionSet::new();
        }
        requested
            .iter()
            .filter(|wanted| {
                let by_category = wanted
                    .as_str()
                    .split_once('.')
                    .is_some_and(|(category, _)| ceiling.contains_str(&format!("{category}.*")));
                !(ceiling.contains(wanted) || by_category)
            })
            .cloned()
            .collect()
    }

    /// Applies the rule (see the type docs) to one operation.
    pub fn evaluate(&self, operation: &OperationRule) -> OperationCheck {
        let mut blockers = Vec::new();
        let mut missing_scope = PermissionSet::new();
        let mut missing_roles = PermissionSet::new();

        if operation.access == Access::NoAuth {
            return OperationCheck {
                blockers,
                missing_scope,
                missing_roles,
            };
        }
        if self.credential == CredentialKind::Anonymous {
            blockers.push(Blocker::AuthenticationRequired);
            return OperationCheck {
                blockers,
                missing_scope,
                missing_roles,
            };
        }
        match &operation.access {
            Access::InteractiveOnly if self.credential == CredentialKind::ApiToken => {
                blockers.push(Blocker::InteractiveSessionRequired);
            }
            Access::UnrestrictedScopeOnly if !self.scope.is_unrestricted() => {
                blockers.push(Blocker::UnmappedForScopedTokens);
            }
            Access::Scoped { checks } => {
                missing_scope = checks
                    .iter()
                    .filter(|c| !self.scope.grants(&c.permission, c.matcher))
                    .map(|c| c.permission.clone())
                    .collect();
            }
            _ => {}
        }
        if let Some(server_id) = &self.server_id
            && operation.server_binding == ServerBinding::Other
        {
            blockers.push(Blocker::BoundToServer {
                server_id: server_id.clone(),
            });
        }
        if operation.admin_only
            && !(self.user.is_admin && self.narrowing == TeamNarrowing::Unrestricted)
        {
            blockers.push(Blocker::AdminOnly);
        }
        if !self.admin_bypass() {
            let held = self
                .user
                .permissions_in(&self.team_context(), &self.narrowing);
            missing_roles = operation
                .rbac
                .iter()
                .filter(|p| !held.covers(p))
                .cloned()
                .collect();
        }
        OperationCheck {
            blockers,
            missing_scope,
            missing_roles,
        }
    }
}

/// Why a credential cannot perform an operation whatever permissions are added to its scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Blocker {
    /// The operation needs a token; none was given.
    AuthenticationRequired,
    /// Token management refuses API tokens: use a session (login) or a self-signed admin JWT.
    InteractiveSessionRequired,
    /// The path is unmapped in the token-scoping middleware: only `*` or an empty scope passes.
    UnmappedForScopedTokens,
    /// Only an un-narrowed platform admin may call it.
    AdminOnly,
    /// The token is bound to one virtual server and this operation is elsewhere.
    BoundToServer {
        /// The bound server.
        server_id: String,
    },
}

impl Blocker {
    /// A one-line explanation.
    pub fn explain(&self) -> String {
        match self {
            Self::AuthenticationRequired => "needs a token".to_owned(),
            Self::InteractiveSessionRequired => {
                "API tokens are refused; needs a login session or admin JWT".to_owned()
            }
            Self::UnmappedForScopedTokens => {
                "path unmapped for scoped tokens; needs scope `*` or none".to_owned()
            }
            Self::AdminOnly => "platform admins only (un-narrowed)".to_owned(),
            Self::BoundToServer { server_id } => format!("token bound to server `{server_id}`"),
        }
    }
}

/// The result of [`Grant::evaluate`] for one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct OperationCheck {
    /// Reasons no permission can fix.
    pub blockers: Vec<Blocker>,
    /// Permissions the token scope lacks.
    pub missing_scope: PermissionSet,
    /// Permissions the user's roles lack (in the grant's team context).
    pub missing_roles: PermissionSet,
}

impl OperationCheck {
    /// Whether the gateway would let the request through.
    pub fn is_satisfied(&self) -> bool {
        self.blockers.is_empty() && self.missing_scope.is_empty() && self.missing_roles.is_empty()
    }

    /// Missing permissions in either layer.
    pub fn missing(&self) -> PermissionSet {
        self.missing_scope.union(&self.missing_roles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::role::{SystemRole, TeamRef};

    fn perms(values: &[&str]) -> PermissionSet {
        PermissionSet::parse(values).unwrap()
    }

    #[test]
    fn narrow_admin_token_is_decided_by_scope_alone() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let grant = Grant::api_token(
            &perms(&["tools.read", "tools.execute"]),
            UserRoles::platform_admin("a@x"),
        );
        assert!(
            grant
                .evaluate(catalogue.operation("tools.call_rpc").unwrap())
                .is_satisfied()
        );
        let register = grant.evaluate(catalogue.operation("gateways.create").unwrap());
        assert_eq!(register.missing_scope.to_strings(), ["gateways.create"]);
        assert!(register.missing_roles.is_empty());
    }

    #[test]
    fn plain_users_personal_token_lacks_tools_execute_in_roles() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let dev = UserRoles::new_user("dev@x", "p1");
        let grant = Grant::api_token(&perms(&["tools.read", "tools.execute"]), dev.clone());
        assert_eq!(grant.narrowing, TeamNarrowing::Teams(vec!["p1".into()]));
        assert_eq!(
            grant.team_context(),
            TeamContext::AnyTeam,
            "personal team is not a team context"
        );
        let call = grant.evaluate(catalogue.operation("tools.call_rpc").unwrap());
        assert!(call.missing_scope.is_empty());
        assert_eq!(call.missing_roles.to_strings(), ["tools.execute"]);
        // Membership of a real team with the viewer role fixes it, for a token narrowed to that team.
        let member = dev.with_team(
            SystemRole::Viewer.role(),
            TeamRef {
                id: "t1".into(),
                personal: false,
            },
        );
        let mut grant = Grant::api_token(&perms(&["tools.execute"]), member);
        grant.narrowing = TeamNarrowing::Teams(vec!["t1".into()]);
        assert_eq!(grant.team_context(), TeamContext::Team("t1".into()));
        assert!(
            grant
                .evaluate(catalogue.operation("tools.call_rpc").unwrap())
                .is_satisfied()
        );
    }

    #[test]
    fn explicit_personal_team_lets_a_user_register() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let session = Grant::session(UserRoles::new_user("dev@x", "p1"));
        let register = catalogue.operation("gateways.create").unwrap();
        assert_eq!(
            session.evaluate(register).missing_roles.to_strings(),
            ["gateways.create"]
        );
        assert!(session.with_team("p1").evaluate(register).is_satisfied());
    }

    #[test]
    fn blockers_cover_credential_kind_unmapped_paths_admin_only_and_server_binding() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let op = |id: &str| catalogue.operation(id).unwrap();
        let admin = UserRoles::platform_admin("a@x");
        let wildcard_api = Grant::api_token(&perms(&["*"]), admin.clone());
        assert_eq!(
            wildcard_api.evaluate(op("tokens.create")).blockers,
            [Blocker::InteractiveSessionRequired]
        );
        assert!(wildcard_api.evaluate(op("auth.me")).is_satisfied());
        assert!(wildcard_api.evaluate(op("version")).is_satisfied());

        let narrow = Grant::api_token(&catalogue.permissions, admin.clone());
        assert_eq!(
            narrow.evaluate(op("auth.me")).blockers,
            [Blocker::UnmappedForScopedTokens]
        );
        assert!(
            Grant::session(admin.clone())
                .evaluate(op("tokens.create"))
                .is_satisfied()
        );

        let dev_session = Grant::session(UserRoles::new_user("d@x", "p"));
        assert_eq!(
            dev_session.evaluate(op("version")).blockers,
            [Blocker::AdminOnly]
        );

        let mut bound = Grant::api_token(&perms(&["tools.execute", "tools.read"]), admin);
        bound.server_id = Some("s1".into());
        assert!(bound.evaluate(op("tools.call_mcp")).is_satisfied());
        assert!(bound.evaluate(op("tools.call_rpc")).is_satisfied());
        assert_eq!(
            bound.evaluate(op("tools.list")).blockers,
            [Blocker::BoundToServer {
                server_id: "s1".into()
            }]
        );

        assert_eq!(
            Grant::anonymous().evaluate(op("tools.list")).blockers,
            [Blocker::AuthenticationRequired]
        );
        assert!(Grant::anonymous().evaluate(op("health")).is_satisfied());
    }

    #[test]
    fn public_only_admin_still_passes_through_the_global_role() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let mut grant = Grant::api_token(
            &perms(&["gateways.create"]),
            UserRoles::platform_admin("a@x"),
        );
        grant.narrowing = TeamNarrowing::PublicOnly;
        assert!(!grant.admin_bypass());
        assert!(
            grant
                .evaluate(catalogue.operation("gateways.create").unwrap())
                .is_satisfied()
        );
    }

    #[test]
    fn effective_permissions_intersect_both_layers() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let universe = &catalogue.permissions;
        let dev = Grant::session(UserRoles::new_user("d@x", "p"));
        assert_eq!(
            dev.effective_permissions(universe),
            SystemRole::PlatformViewer.permissions()
        );
        let admin = Grant::api_token(&perms(&["tools.read"]), UserRoles::platform_admin("a@x"));
        assert_eq!(
            admin.effective_permissions(universe).to_strings(),
            ["servers.use", "tools.read"]
        );
        assert!(
            Grant::anonymous()
                .effective_permissions(universe)
                .is_empty()
        );
    }
}
