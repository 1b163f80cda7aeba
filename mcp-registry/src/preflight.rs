//! Permission preflight (feature `preflight`, on `mcpfleet-scope-audit`): the permissions a plan needs, the
//! token's scope checked against them before any write, the least-privilege token recipe, and a ContextForge
//! bootstrap role file for a fleet-registrar role.
//!
//! The operations come from the plan itself ([`Plan::calls`](crate::Plan::calls) and
//! [`Registry::verify_calls`](crate::Registry::verify_calls)): a plan that deletes nothing needs no delete
//! permission, a fleet without smoke calls needs no `tools.execute`.
//!
//! Only the token's own scope (layer 1) can be read offline; what its owner's roles grant (layer 2) lives in
//! the gateway's database, which scoped tokens may not read. A preflight that passes can therefore still meet a
//! 403 for a role the user lacks — the recipe says which role permissions the owner needs.

use std::collections::BTreeSet;

use mcpfleet_scope_audit::{
    Access, BearerToken, Catalogue, LeastPrivilege, RoleRecipe, TokenRecipe,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, GatewayCall, Result};
use crate::plan::Plan;

/// The catalogue operation each gateway call is (the ids `mcpfleet-scope-audit` and
/// `mcpfleet-gateway-client` share).
pub fn operation_id(call: GatewayCall) -> &'static str {
    match call {
        GatewayCall::ListUpstreams => "gateways.list",
        GatewayCall::CreateUpstream => "gateways.create",
        GatewayCall::UpdateUpstream => "gateways.update",
        GatewayCall::DeleteUpstream => "gateways.delete",
        GatewayCall::ListVirtualServers => "servers.list",
        GatewayCall::CreateVirtualServer => "servers.create",
        GatewayCall::UpdateVirtualServer => "servers.update",
        GatewayCall::DeleteVirtualServer => "servers.delete",
        GatewayCall::ListTools => "tools.list",
        GatewayCall::CallTool => "tools.call_rpc",
        GatewayCall::ListVirtualServerTools => "tools.list_mcp",
        GatewayCall::CallToolViaVirtualServer => "tools.call_mcp",
    }
}

/// What a preflight found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PreflightReport {
    /// The operations checked, in catalogue id form.
    pub operations: Vec<String>,
    /// Permissions the token's scope lacks, with the operations that need each.
    pub missing: Vec<MissingPermission>,
    /// Whether the token's scope restricts nothing (`*` or empty): it passes, and is over-privileged.
    pub unrestricted: bool,
    /// The smallest grant that runs these operations.
    pub least_privilege: LeastPrivilege,
}

/// One permission a token lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MissingPermission {
    /// The permission.
    pub permission: String,
    /// The operations that need it.
    pub operations: Vec<String>,
}

impl PreflightReport {
    /// `Ok(self)` when nothing is missing, else [`Error::InsufficientPermissions`] naming what.
    pub fn into_result(self) -> Result<Self> {
        if self.missing.is_empty() {
            return Ok(self);
        }
        let operations: BTreeSet<String> = self
            .missing
            .iter()
            .flat_map(|m| m.operations.iter().cloned())
            .collect();
        Err(Error::InsufficientPermissions {
            missing: self.missing.iter().map(|m| m.permission.clone()).collect(),
            operations: operations.into_iter().collect(),
        })
    }

    /// The ContextForge bootstrap roles file (`MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_FILE`, read when
    /// `MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_ENABLED=true`) that creates a global `role_name` holding what the
    /// operations need in the roles layer. Assign the role to the registrar's user afterwards.
    pub fn bootstrap_roles_file(&self, role_name: &str) -> String {
        bootstrap_roles_file(self.least_privilege.role.as_ref(), role_name)
    }
}

/// Checks `token`'s scope against every operation in `calls`.
///
/// ```
/// use std::collections::BTreeSet;
/// use mcpfleet_registry::{GatewayCall, preflight};
/// use mcpfleet_scope_audit::BearerToken;
/// # use base64::Engine as _;
/// # let claims = r#"{"sub":"ci@example.com","token_use":"api","scopes":{"permissions":["gateways.read","gateways.create","tools.read","servers.read"]}}"#;
/// # let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims));
/// let calls = BTreeSet::from([GatewayCall::ListUpstreams, GatewayCall::CreateUpstream, GatewayCall::DeleteUpstream]);
/// let report = preflight(&calls, &BearerToken::new(jwt))?;
/// assert_eq!(report.missing[0].permission, "gateways.delete");
/// assert!(report.into_result().unwrap_err().to_string().contains("gateways.delete"));
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn preflight(calls: &BTreeSet<GatewayCall>, token: &BearerToken) -> Result<PreflightReport> {
    let catalogue = Catalogue::contextforge_1_1_0();
    let ids: BTreeSet<&str> = calls.iter().map(|c| operation_id(*c)).collect();
    let rules = catalogue.resolve(&ids).map_err(Error::Audit)?;
    let scope = token.claims_unverified().map_err(Error::Audit)?.scope();
    let mut missing: Vec<MissingPermission> = Vec::new();
    for rule in &rules {
        let lacking: Vec<String> = match &rule.access {
            Access::Scoped { checks } => checks
                .iter()
                .filter(|check| !scope.grants(&check.permission, check.matcher))
                .map(|check| check.permission.to_string())
                .collect(),
            Access::UnrestrictedScopeOnly if !scope.is_unrestricted() => vec!["*".to_owned()],
            _ => Vec::new(),
        };
        for permission in lacking {
            match missing.iter_mut().find(|m| m.permission == permission) {
                Some(entry) => entry.operations.push(rule.id.clone()),
                None => missing.push(MissingPermission {
                    permission,
                    operations: vec![rule.id.clone()],
                }),
            }
        }
    }
    missing.sort_by(|a, b| a.permission.cmp(&b.permission));
    Ok(PreflightReport {
        operations: ids.iter().map(|id| (*id).to_owned()).collect(),
        missing,
        unrestricted: scope.is_unrestricted(),
        least_privilege: catalogue.least_privilege(&ids).map_err(Error::Audit)?,
    })
}

/// A hook for [`ApplyOptions::before_writes`](crate::ApplyOptions::before_writes): refuses the apply, before
/// any write, when `token` cannot run the plan's calls plus `also` (the verify that follows, say).
pub fn preflight_hook(
    token: BearerToken,
    also: BTreeSet<GatewayCall>,
) -> impl Fn(&Plan) -> Result<()> + Send + Sync + 'static {
    move |plan: &Plan| {
        let mut calls = plan.calls();
        calls.extend(also.iter().copied());
        preflight(&calls, &token)?.into_result().map(drop)
    }
}

/// The least-privilege token for an MCP *client* of one virtual server: it may list and call that server's tools
/// through its MCP endpoint (`tools.list_mcp`, `tools.call_mcp`) and nothing else, bound to `server_id` so the gateway refuses it
/// any other server's endpoint. The token the generated client configurations ([`crate::clients`]) expect.
///
/// ```
/// let recipe = mcpfleet_registry::caller_token("6f1c…")?.name("claude-desktop");
/// assert_eq!(recipe.scope.server_id.as_deref(), Some("6f1c…"));
/// // servers.use is added by the gateway
/// assert_eq!(recipe.scope.permissions.to_strings(), ["tools.execute", "tools.read"]);
/// // An empty binding would bind nothing: refused.
/// assert!(mcpfleet_registry::caller_token(" ").is_err());
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn caller_token(server_id: &str) -> Result<TokenRecipe> {
    // An empty binding would be no binding at all: a token for every server.
    if server_id.trim().is_empty() {
        return Err(Error::InvalidClientTarget {
            field: "server_id",
            reason: "must name the virtual server the caller token is bound to".into(),
        });
    }
    let least = Catalogue::contextforge_1_1_0()
        .least_privilege([
            operation_id(GatewayCall::ListVirtualServerTools),
            operation_id(GatewayCall::CallToolViaVirtualServer),
        ])
        .map_err(Error::Audit)?;
    let recipe = least.token.ok_or_else(|| Error::ClientConfig {
        message: "the catalogue has no scoped token for calling a virtual server's tools".into(),
    })?;
    Ok(recipe
        .name(format!("mcp-client-{server_id}"))
        .server_id(server_id))
}

/// The bootstrap roles file for a role holding `recipe`'s permissions (an empty role when there is none).
pub fn bootstrap_roles_file(recipe: Option<&RoleRecipe>, role_name: &str) -> String {
    let permissions: Vec<String> = recipe
        .map(|r| r.permissions.to_strings())
        .unwrap_or_default();
    let roles = serde_json::json!([{
        "name": role_name,
        "description": "Registers and verifies the MCP servers of an mcpfleet manifest (least privilege, generated)",
        "scope": "global",
        "permissions": permissions,
        "is_system_role": false,
    }]);
    // A literal of strings always serializes.
    serde_json::to_string_pretty(&roles).unwrap_or_default() + "\n"
}

/// The `POST /v1/tokens` body for a recipe, as `mcpfleet-gateway-client` sends it.
#[cfg(feature = "contextforge")]
#[cfg_attr(docsrs, doc(cfg(all(feature = "preflight", feature = "contextforge"))))]
pub fn token_create(
    recipe: &mcpfleet_scope_audit::TokenRecipe,
) -> mcpfleet_gateway_client::TokenCreate {
    let mut body = mcpfleet_gateway_client::TokenCreate::new(&recipe.name)
        .description(&recipe.description)
        .expires_in_days(recipe.expires_in_days)
        .permissions(&recipe.scope.permissions);
    if let Some(server) = &recipe.scope.server_id {
        body = body.server_id(server);
    }
    if let Some(team) = &recipe.team_id {
        body = body.team_id(team);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_file_has_what_contextforge_requires() {
        let calls = BTreeSet::from([
            GatewayCall::ListUpstreams,
            GatewayCall::CreateUpstream,
            GatewayCall::CallTool,
        ]);
        let least = Catalogue::contextforge_1_1_0()
            .least_privilege(calls.iter().map(|c| operation_id(*c)))
            .unwrap();
        let file: serde_json::Value = serde_json::from_str(&bootstrap_roles_file(
            least.role.as_ref(),
            "fleet-registrar",
        ))
        .unwrap();
        // bootstrap_db.py skips roles without name, scope and permissions.
        let role = &file.as_array().unwrap()[0];
        assert_eq!(role["name"], "fleet-registrar");
        assert_eq!(role["scope"], "global");
        let permissions: Vec<&str> = role["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(
            permissions,
            ["gateways.create", "gateways.read", "tools.execute"]
        );
    }
}
