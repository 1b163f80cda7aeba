//! RBAC roles and a user's role assignments (layer 2 of the gateway's check).

use serde::{Deserialize, Serialize};

use crate::permission::{Permission, PermissionSet};

/// Where a role applies (`roles.scope` in the gateway's database).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoleScope {
    /// Everywhere (`platform_admin`, `platform_viewer`, custom global roles).
    Global,
    /// In one team (or in every team when the assignment names none).
    Team,
    /// In the user's personal space.
    Personal,
}

/// A role: a name, a scope and its permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Role {
    /// The role's name (`platform_admin`, `developer`, or a custom name).
    pub name: String,
    /// Where it applies.
    pub scope: RoleScope,
    /// Its effective permissions.
    pub permissions: PermissionSet,
}

impl Role {
    /// A custom role.
    pub fn new(name: impl Into<String>, scope: RoleScope, permissions: PermissionSet) -> Self {
        Self {
            name: name.into(),
            scope,
            permissions,
        }
    }
}

/// The five roles ContextForge 1.1.0 creates at startup (`mcpgateway/bootstrap_db.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SystemRole {
    /// Global, `*`. Given to admins (`DEFAULT_ADMIN_ROLE`).
    PlatformAdmin,
    /// Team role for team owners, including every user's personal team (`DEFAULT_TEAM_OWNER_ROLE`).
    TeamAdmin,
    /// Team role: `team_admin` minus team management and `tools.manage_plugins`.
    Developer,
    /// Team role for team members (`DEFAULT_TEAM_MEMBER_ROLE`); includes `tools.execute`.
    Viewer,
    /// Global role every non-admin user gets (`DEFAULT_USER_ROLE`); read-only, **no `tools.execute`**.
    PlatformViewer,
}

const TEAM_ADMIN: &[&str] = &[
    "admin.dashboard",
    "admin.overview",
    "gateways.read",
    "servers.read",
    "servers.use",
    "teams.read",
    "teams.update",
    "teams.join",
    "teams.delete",
    "teams.manage_members",
    "tools.read",
    "plugins.read",
    "tools.execute",
    "tools.preview",
    "resources.read",
    "prompts.read",
    "llm.read",
    "llm.invoke",
    "a2a.read",
    "gateways.create",
    "servers.create",
    "tools.create",
    "resources.create",
    "prompts.create",
    "a2a.create",
    "gateways.update",
    "servers.update",
    "tools.update",
    "resources.update",
    "prompts.update",
    "a2a.update",
    "gateways.delete",
    "servers.delete",
    "tools.delete",
    "resources.delete",
    "prompts.delete",
    "a2a.delete",
    "a2a.invoke",
    "tokens.create",
    "tokens.read",
    "tokens.update",
    "tokens.revoke",
    "tools.manage_plugins",
];

const DEVELOPER_REMOVES: &[&str] = &[
    "teams.update",
    "teams.delete",
    "teams.manage_members",
    "tools.manage_plugins",
];

const VIEWER: &[&str] = &[
    "admin.dashboard",
    "admin.overview",
    "gateways.read",
    "servers.read",
    "servers.use",
    "teams.read",
    "teams.join",
    "tools.read",
    "tools.execute",
    "tools.preview",
    "resources.read",
    "prompts.read",
    "llm.read",
    "a2a.read",
    "tokens.create",
    "tokens.read",
    "tokens.update",
    "tokens.revoke",
];

const PLATFORM_VIEWER: &[&str] = &[
    "admin.dashboard",
    "admin.overview",
    "gateways.read",
    "servers.read",
    "servers.use",
    "teams.read",
    "teams.join",
    "tools.read",
    "resources.read",
    "prompts.read",
    "llm.read",
    "a2a.read",
    "metrics:read",
    "tokens.create",
    "tokens.read",
    "tokens.update",
    "tokens.revoke",
];

impl SystemRole {
    /// All five, in a stable order.
    pub const ALL: [SystemRole; 5] = [
        Self::PlatformAdmin,
        Self::TeamAdmin,
        Self::Developer,
        Self::Viewer,
        Self::PlatformViewer,
    ];

    /// The role's name in the gateway.
    pub fn name(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::TeamAdmin => "team_admin",
            Self::Developer => "developer",
            Self::Viewer => "viewer",
            Self::PlatformViewer => "platform_viewer",
        }
    }

    /// The role's scope.
    pub fn scope(self) -> RoleScope {
        match self {
            Self::PlatformAdmin | Self::PlatformViewer => RoleScope::Global,
            Self::TeamAdmin | Self::Developer | Self::Viewer => RoleScope::Team,
        }
    }

    /// The role's permissions, as `bootstrap_db.py` writes them.
    pub fn permissions(self) -> PermissionSet {
        match self {
            Self::PlatformAdmin => PermissionSet::from_static(&["*"]),
            Self::TeamAdmin => PermissionSet::from_static(TEAM_ADMIN),
            Self::Developer => PermissionSet::from_static(TEAM_ADMIN)
                .difference(&PermissionSet::from_static(DEVELOPER_REMOVES)),
            Self::Viewer => PermissionSet::from_static(VIEWER),
            Self::PlatformViewer => PermissionSet::from_static(PLATFORM_VIEWER),
        }
    }

    /// The role as a [`Role`] value.
    pub fn role(self) -> Role {
        Role::new(self.name(), self.scope(), self.permissions())
    }
}

/// A team a role assignment is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TeamRef {
    /// The team id.
    pub id: String,
    /// Whether it is the user's personal team. Roles on personal teams do **not** count when the gateway checks
    /// "any team" (`permission_service.py::_get_user_roles`), which is why a plain user cannot call tools.
    pub personal: bool,
}

/// One role held by a user, with the team it is bound to (for team roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoleAssignment {
    /// The role.
    pub role: Role,
    /// For team roles: the team, or `None` for an assignment that applies in every team (`scope_id` NULL).
    pub team: Option<TeamRef>,
}

/// Which team's roles the gateway consults for a check (layer 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "team_id")]
#[non_exhaustive]
pub enum TeamContext {
    /// A specific team: from the route or body `team_id`, or the single non-personal team of an API token.
    Team(String),
    /// Any non-personal team (`check_any_team`): used when no team is named, and always for `/rpc` and
    /// server-scoped MCP calls.
    AnyTeam,
    /// No team at all: global and personal-scope roles, plus team roles bound to no team. The token API uses
    /// this to decide what a caller may delegate when the request names no `team_id`.
    GlobalOnly,
}

/// How a token narrows the teams it acts in (`auth_context.py::normalize_token_teams`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "teams")]
#[non_exhaustive]
pub enum TeamNarrowing {
    /// Not narrowed: an admin whose token says `teams: null`, or a session (teams come from the database).
    Unrestricted,
    /// Public items only: `teams` missing or `[]`, or `null` for a non-admin. Suppresses the admin bypass.
    PublicOnly,
    /// These teams (plus public items).
    Teams(Vec<String>),
}

/// A user's standing in RBAC: whether the database marks them admin, and their role assignments.
///
/// ```
/// use mcpfleet_scope_audit::{TeamContext, TeamNarrowing, UserRoles};
///
/// // A fresh user: platform_viewer globally + team_admin on the personal team.
/// let dev = UserRoles::new_user("dev@example.com", "personal-team-id");
/// let any_team = dev.permissions_in(&TeamContext::AnyTeam, &TeamNarrowing::Unrestricted);
/// assert!(!any_team.contains_str("tools.execute")); // personal-team roles don't count here
/// let personal = dev.permissions_in(&TeamContext::Team("personal-team-id".into()), &TeamNarrowing::Unrestricted);
/// assert!(personal.contains_str("gateways.create"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserRoles {
    /// The user's e-mail, for reports.
    pub email: String,
    /// `email_users.is_admin`: admins bypass layer 2 unless their token is public-only.
    pub is_admin: bool,
    /// The user's active role assignments.
    pub assignments: Vec<RoleAssignment>,
}

impl UserRoles {
    /// A user with no roles at all.
    pub fn new(email: impl Into<String>, is_admin: bool) -> Self {
        Self {
            email: email.into(),
            is_admin,
            assignments: Vec::new(),
        }
    }

    /// The platform admin as the gateway bootstraps it: `is_admin` and the global `platform_admin` role.
    pub fn platform_admin(email: impl Into<String>) -> Self {
        Self::new(email, true).with_global(SystemRole::PlatformAdmin.role())
    }

    /// A non-admin user as the gateway creates one: global `platform_viewer`, and `team_admin` on their personal
    /// team.
    pub fn new_user(email: impl Into<String>, personal_team_id: impl Into<String>) -> Self {
        Self::new(email, false)
            .with_global(SystemRole::PlatformViewer.role())
            .with_team(
                SystemRole::TeamAdmin.role(),
                TeamRef {
                    id: personal_team_id.into(),
                    personal: true,
                },
            )
    }

    /// Adds a global (or personal-scope) role.
    pub fn with_global(mut self, role: Role) -> Self {
        self.assignments.push(RoleAssignment { role, team: None });
        self
    }

    /// Adds a team role bound to `team`.
    pub fn with_team(mut self, role: Role, team: TeamRef) -> Self {
        self.assignments.push(RoleAssignment {
            role,
            team: Some(team),
        });
        self
    }

    /// Whether `team_id` is one of this user's personal teams (as far as the assignments tell).
    pub fn is_personal_team(&self, team_id: &str) -> bool {
        self.assignments.iter().any(|a| {
            a.team
                .as_ref()
                .is_some_and(|t| t.personal && t.id == team_id)
        })
    }

    /// The union of the permissions of the roles the gateway consults in `context` for a token narrowed by
    /// `narrowing` (`permission_service.py::_get_user_roles`): global and personal roles always; team roles
    /// bound to no team always; team roles bound to the context team (named team) or to any non-personal team
    /// (any-team); and a narrowed token only keeps team roles of its teams, a public-only token none.
    pub fn permissions_in(
        &self,
        context: &TeamContext,
        narrowing: &TeamNarrowing,
    ) -> PermissionSet {
        let team_in_token = |team_id: &str| match narrowing {
            TeamNarrowing::Unrestricted => true,
            TeamNarrowing::PublicOnly => false,
            TeamNarrowing::Teams(teams) => teams.iter().any(|t| t == team_id),
        };
        let mut permissions = PermissionSet::new();
        for assignment in &self.assignments {
            let counts = match (assignment.role.scope, &assignment.team) {
                (RoleScope::Global | RoleScope::Personal, _) | (RoleScope::Team, None) => true,
                (RoleScope::Team, Some(team)) => match context {
                    TeamContext::Team(id) => team.id == *id && team_in_token(id),
                    TeamContext::AnyTeam => !team.personal && team_in_token(&team.id),
                    TeamContext::GlobalOnly => false,
                },
            };
            if counts {
                permissions.extend(assignment.role.permissions.iter().cloned());
            }
        }
        permissions
    }

    /// Whether the roles consulted in `context` grant `permission` (exactly or through `*`).
    pub fn grants(
        &self,
        permission: &Permission,
        context: &TeamContext,
        narrowing: &TeamNarrowing,
    ) -> bool {
        self.permissions_in(context, narrowing).covers(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roles_match_bootstrap_db() {
        assert_eq!(SystemRole::TeamAdmin.permissions().len(), 43);
        assert_eq!(SystemRole::Developer.permissions().len(), 39);
        assert_eq!(SystemRole::Viewer.permissions().len(), 18);
        assert_eq!(SystemRole::PlatformViewer.permissions().len(), 17);
        assert!(
            !SystemRole::PlatformViewer
                .permissions()
                .contains_str("tools.execute")
        );
        assert!(
            SystemRole::Viewer
                .permissions()
                .contains_str("tools.execute")
        );
        assert!(
            !SystemRole::Developer
                .permissions()
                .contains_str("teams.manage_members")
        );
        assert!(SystemRole::PlatformAdmin.permissions().has_wildcard());
        assert_eq!(SystemRole::Developer.scope(), RoleScope::Team);
    }

    #[test]
    fn plain_user_gets_tools_execute_only_from_a_real_team() {
        let perm: Permission = "tools.execute".parse().unwrap();
        let dev = UserRoles::new_user("dev@example.com", "p1");
        assert!(!dev.grants(&perm, &TeamContext::AnyTeam, &TeamNarrowing::Unrestricted));
        let dev = dev.with_team(
            SystemRole::Viewer.role(),
            TeamRef {
                id: "t1".into(),
                personal: false,
            },
        );
        assert!(dev.grants(&perm, &TeamContext::AnyTeam, &TeamNarrowing::Unrestricted));
        // A token narrowed to another team, or public-only, loses that team role.
        assert!(!dev.grants(
            &perm,
            &TeamContext::AnyTeam,
            &TeamNarrowing::Teams(vec!["t2".into()])
        ));
        assert!(!dev.grants(&perm, &TeamContext::AnyTeam, &TeamNarrowing::PublicOnly));
        assert!(dev.grants(
            &perm,
            &TeamContext::Team("t1".into()),
            &TeamNarrowing::Teams(vec!["t1".into()])
        ));
    }

    #[test]
    fn global_roles_survive_public_only_narrowing() {
        let admin = UserRoles::platform_admin("admin@example.com");
        let anything: Permission = "admin.import".parse().unwrap();
        assert!(admin.grants(&anything, &TeamContext::AnyTeam, &TeamNarrowing::PublicOnly));
    }
}
