//! Roles and permissions (`/v1/rbac`; snake_case on the wire).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A role granted to a user (`GET /v1/rbac/my/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleAssignmentRead {
    /// Assignment id.
    pub id: String,
    /// The user.
    pub user_email: String,
    /// The role's id (see [`RoleRead::id`]).
    pub role_id: String,
    /// The role's name; 1.1.0 answers `null` here, so look the id up in [`crate::Rbac::roles`].
    #[serde(default)]
    pub role_name: Option<String>,
    /// `global`, `team` or `personal`.
    pub scope: String,
    /// The team, for team-scoped assignments.
    #[serde(default)]
    pub scope_id: Option<String>,
    /// Who granted it.
    #[serde(default)]
    pub granted_by: Option<String>,
    /// When.
    #[serde(default)]
    pub granted_at: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Active flag.
    #[serde(default)]
    pub is_active: bool,
    /// How it was granted.
    #[serde(default)]
    pub grant_source: Option<String>,
}

/// The permission catalogue (`GET /v1/rbac/permissions/available`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AvailablePermissions {
    /// Every permission name, sorted (76 in 1.1.0; the wildcard `*` is not listed).
    pub all_permissions: Vec<String>,
    /// Grouped by resource (`tools` → `tools.read`, …).
    #[serde(default)]
    pub permissions_by_resource: BTreeMap<String, Vec<String>>,
    /// `all_permissions.len()`.
    #[serde(default)]
    pub total_count: u32,
}

/// A role (`GET /v1/rbac/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleRead {
    /// UUID.
    pub id: String,
    /// Name, e.g. `platform_admin`, `developer`.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `global`, `team` or `personal`.
    pub scope: String,
    /// Permissions granted directly.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Permissions including inherited ones, when the gateway computes them.
    #[serde(default)]
    pub effective_permissions: Option<Vec<String>>,
    /// Parent role id.
    #[serde(default)]
    pub inherits_from: Option<String>,
    /// Creator.
    #[serde(default)]
    pub created_by: Option<String>,
    /// Built-in role.
    #[serde(default)]
    pub is_system_role: bool,
    /// Active flag.
    #[serde(default)]
    pub is_active: bool,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<String>,
}
