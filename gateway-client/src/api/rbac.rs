//! `client.rbac()`: roles and permissions.

use reqwest::Method;

use crate::client::{Client, Request};
use crate::error::Result;
use crate::operation::Operation;
use crate::types::{AvailablePermissions, RoleAssignmentRead, RoleRead};

/// Roles and permissions. Get it from [`Client::rbac`].
///
/// **Scoped API tokens are refused here** (403 on `/v1/rbac/my/*`, because those paths map to no
/// permission): use a session token, a CLI-minted JWT, or an API token with an empty permission list.
#[derive(Debug, Clone, Copy)]
pub struct Rbac<'c> {
    client: &'c Client,
}

impl<'c> Rbac<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Rbac { client }
    }

    /// The caller's role assignments.
    ///
    /// Operation id: `rbac.my_roles`.
    pub async fn my_roles(&self) -> Result<Vec<RoleAssignmentRead>> {
        self.client
            .execute(Request::new(
                Operation::RbacMyRoles,
                Method::GET,
                "/v1/rbac/my/roles".into(),
            ))
            .await
    }

    /// The caller's RBAC permissions (not narrowed by a token's scope; `["*"]` for a platform admin).
    ///
    /// Operation id: `rbac.my_permissions`.
    pub async fn my_permissions(&self) -> Result<Vec<String>> {
        self.client
            .execute(Request::new(
                Operation::RbacMyPermissions,
                Method::GET,
                "/v1/rbac/my/permissions".into(),
            ))
            .await
    }

    /// The caller's RBAC permissions in one team's context.
    ///
    /// Operation id: `rbac.my_permissions`.
    pub async fn my_permissions_in_team(&self, team_id: &str) -> Result<Vec<String>> {
        self.client
            .execute(
                Request::new(
                    Operation::RbacMyPermissions,
                    Method::GET,
                    "/v1/rbac/my/permissions".into(),
                )
                .query("team_id", team_id),
            )
            .await
    }

    /// Every permission the gateway knows.
    ///
    /// Operation id: `rbac.available_permissions`.
    pub async fn available_permissions(&self) -> Result<AvailablePermissions> {
        self.client
            .execute(Request::new(
                Operation::RbacAvailablePermissions,
                Method::GET,
                "/v1/rbac/permissions/available".into(),
            ))
            .await
    }

    /// Every active role. Needs `admin.user_management`.
    ///
    /// Operation id: `rbac.list_roles`.
    pub async fn roles(&self) -> Result<Vec<RoleRead>> {
        self.client
            .execute(Request::new(
                Operation::RbacListRoles,
                Method::GET,
                "/v1/rbac/roles".into(),
            ))
            .await
    }
}
