//! The operation catalogue: every operation `mcpfleet-gateway-client` exposes → what the gateway requires for it.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::permission::{
    Permission, PermissionSet, SERVERS_USE, ScopeMatcher, TokenScope, WILDCARD,
};

/// How the gateway says "no" when a requirement is not met. Clients must treat every shape as a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Denial {
    /// HTTP 403 (`{"detail": "Access denied"}`, or a sentence for token management).
    Forbidden,
    /// HTTP 200 carrying JSON-RPC error `-32003 Access denied` (`/rpc` method checks).
    JsonRpcAccessDenied,
    /// HTTP 200 carrying `{"error": {"code": 0, "message": "Access denied"}}`: MCP method checks on a virtual
    /// server's streamable-HTTP endpoint (seen live).
    McpAccessDenied,
    /// HTTP 401: no or bad credentials.
    Unauthorized,
}

/// One thing a token's scope must grant, with the matcher that checks it and where the check lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScopeCheck {
    /// The permission.
    pub permission: Permission,
    /// Which matcher applies (category wildcards and `servers.use` implication only under `standard`).
    pub matcher: ScopeMatcher,
    /// How the gateway refuses when the scope lacks it.
    pub denial: Denial,
    /// Where the check is made (1.1.0 source).
    pub enforced_by: String,
}

/// Which credentials reach an operation, and what their token scope must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Access {
    /// No authentication: any caller, with or without a token.
    NoAuth,
    /// Any authenticated credential whose token scope grants every check.
    Scoped {
        /// The checks, in the order the gateway makes them.
        checks: Vec<ScopeCheck>,
    },
    /// The token-scoping middleware maps no permission to this path, so a token with a non-empty permission list
    /// is refused whatever it holds (default deny); only `*` or an empty list passes.
    UnrestrictedScopeOnly,
    /// API tokens are refused whatever their scope: token management needs an interactive session
    /// (`routers/tokens.py::_require_authenticated_session`). Sessions and self-signed JWTs pass.
    InteractiveOnly,
}

/// Whether a token bound to one virtual server (`scopes.server_id`) can reach the operation
/// (`token_scoping.py::_check_server_restriction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerBinding {
    /// A general endpoint (`/health`, `/rpc`, `/mcp`, ...): allowed.
    General,
    /// `/servers/{id}/...`: allowed for the bound server only.
    ServerPath,
    /// Anything else: refused.
    Other,
}

/// One catalogue entry: an operation and what ContextForge requires for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OperationRule {
    /// Operation id shared with `mcpfleet-gateway-client` (`gateways.create`).
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// What it does.
    pub summary: String,
    /// Layer 1: credentials and token scope.
    pub access: Access,
    /// Layer 2: permissions the user's roles must grant (admins bypass unless their token is public-only).
    pub rbac: PermissionSet,
    /// Only an un-narrowed platform admin may call it, whatever the permissions.
    pub admin_only: bool,
    /// Reachability for server-bound tokens.
    pub server_binding: ServerBinding,
    /// Where the rules come from (1.1.0 source), and what the live proof showed.
    pub source: String,
}

impl OperationRule {
    fn new(id: &str, method: &str, path: &str, summary: &str) -> Self {
        Self {
            id: id.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            summary: summary.to_owned(),
            access: Access::NoAuth,
            rbac: PermissionSet::new(),
            admin_only: false,
            server_binding: ServerBinding::Other,
            source: String::new(),
        }
    }

    fn check(
        mut self,
        permission: &'static str,
        matcher: ScopeMatcher,
        denial: Denial,
        by: &str,
    ) -> Self {
        let check = ScopeCheck {
            permission: Permission::from_static(permission),
            matcher,
            denial,
            enforced_by: by.to_owned(),
        };
        match &mut self.access {
            Access::Scoped { checks } => checks.push(check),
            _ => {
                self.access = Access::Scoped {
                    checks: vec![check],
                }
            }
        }
        self
    }

    /// The common case: one permission, checked by the middleware path map and the route decorator alike.
    fn guarded(self, permission: &'static str, source: &str) -> Self {
        self.check(
            permission,
            ScopeMatcher::Standard,
            Denial::Forbidden,
            "token_scoping.py path map + @require_permission",
        )
        .rbac(&[permission])
        .source(source)
    }

    fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    fn rbac(mut self, permissions: &[&'static str]) -> Self {
        self.rbac = PermissionSet::from_static(permissions);
        self
    }

    fn binding(mut self, binding: ServerBinding) -> Self {
        self.server_binding = binding;
        self
    }

    fn admin_only(mut self) -> Self {
        self.admin_only = true;
        self
    }

    fn source(mut self, source: &str) -> Self {
        self.source = source.to_owned();
        self
    }

    /// The permissions a token's scope must grant (empty unless [`Access::Scoped`]).
    pub fn scope_permissions(&self) -> PermissionSet {
        match &self.access {
            Access::Scoped { checks } => checks.iter().map(|c| c.permission.clone()).collect(),
            _ => PermissionSet::new(),
        }
    }

    /// Every permission the operation needs in either layer.
    pub fn required_permissions(&self) -> PermissionSet {
        self.scope_permissions().union(&self.rbac)
    }

    /// The smallest `scope.permissions` list to request from `POST /v1/tokens` for this operation alone, or `None`
    /// when no scoped API token can perform it. `servers.use` is left out when the gateway will add it anyway.
    pub fn scope_request(&self) -> Option<PermissionSet> {
        match &self.access {
            Access::Scoped { .. } => Some(minimal_request(&self.scope_permissions())),
            Access::NoAuth => Some(PermissionSet::new()),
            Access::UnrestrictedScopeOnly | Access::InteractiveOnly => None,
        }
    }

    /// Whether a token with this scope passes every scope check (ignores credential kind and RBAC).
    pub fn scope_allows(&self, scope: &TokenScope) -> bool {
        match &self.access {
            Access::NoAuth | Access::InteractiveOnly => true,
            Access::UnrestrictedScopeOnly => scope.is_unrestricted(),
            Access::Scoped { checks } => checks
                .iter()
                .all(|c| scope.grants(&c.permission, c.matcher)),
        }
    }
}

/// Drops `servers.use` from a request when another permission makes the gateway add it at issue time.
pub(crate) fn minimal_request(scope_permissions: &PermissionSet) -> PermissionSet {
    let mut request = scope_permissions.clone();
    let servers_use = Permission::from_static(SERVERS_USE);
    if request.iter().any(Permission::implies_servers_use) {
        request.remove(&servers_use);
    }
    request
}

/// A versioned catalogue: the gateway's permission list and one entry per operation.
///
/// ```
/// use mcpfleet_scope_audit::{Access, Catalogue};
///
/// let catalogue = Catalogue::contextforge_1_1_0();
/// assert_eq!(catalogue.version, "1.1.0");
/// assert_eq!(catalogue.permissions.len(), 76);
/// let register = catalogue.operation("gateways.create").unwrap();
/// assert_eq!((register.method.as_str(), register.path.as_str()), ("POST", "/v1/gateways"));
/// assert_eq!(register.required_permissions().to_strings(), ["gateways.create"]);
/// // Token management refuses every API token, whatever its scope:
/// assert_eq!(catalogue.operation("tokens.create").unwrap().access, Access::InteractiveOnly);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Catalogue {
    /// Gateway product.
    pub gateway: String,
    /// Gateway version the entries were proven against.
    pub version: String,
    /// Every permission the gateway defines (`Permissions` in `mcpgateway/db.py`), without `*`.
    pub permissions: PermissionSet,
    /// The operations, in catalogue order.
    pub operations: Vec<OperationRule>,
}

/// Versions with a built-in catalogue.
const KNOWN_VERSIONS: [&str; 1] = ["1.1.0"];

impl Catalogue {
    /// The built-in catalogue for ContextForge 1.1.0.
    pub fn contextforge_1_1_0() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(contextforge_1_1_0)
    }

    /// The built-in catalogue for a gateway version (as `/v1/version` reports it in `app.version`).
    pub fn for_version(version: &str) -> Result<&'static Catalogue> {
        match version.trim() {
            "1.1.0" => Ok(Self::contextforge_1_1_0()),
            other => Err(Error::UnsupportedGatewayVersion {
                version: other.to_owned(),
                known: KNOWN_VERSIONS.join(", "),
            }),
        }
    }

    /// Looks an operation up by id.
    pub fn operation(&self, id: &str) -> Option<&OperationRule> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// Looks several operations up; the first unknown id is the error.
    pub fn resolve<I, S>(&self, ids: I) -> Result<Vec<&OperationRule>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ids.into_iter()
            .map(|id| {
                let id = id.as_ref();
                self.operation(id).ok_or_else(|| Error::UnknownOperation {
                    id: id.to_owned(),
                    gateway_version: self.version.clone(),
                })
            })
            .collect()
    }

    /// Whether this gateway version defines `permission`: listed, `*`, or `<category>.*` of a listed category.
    /// Unknown permissions are kept in every result and flagged in reports.
    pub fn is_known(&self, permission: &Permission) -> bool {
        if permission.as_str() == WILDCARD || self.permissions.contains(permission) {
            return true;
        }
        permission
            .as_str()
            .strip_suffix(".*")
            .is_some_and(|category| {
                self.permissions
                    .iter()
                    .any(|p| p.category() == Some(category))
            })
    }
}

/// `Permissions` in `mcpgateway/db.py` (1.1.0), in declaration order; `GET /v1/rbac/permissions/available`
/// returns the same 76 (checked live).
const PERMISSIONS_1_1_0: [&str; 76] = [
    "users.create",
    "users.read",
    "users.update",
    "users.delete",
    "users.invite",
    "teams.create",
    "teams.read",
    "teams.update",
    "teams.delete",
    "teams.join",
    "teams.manage_members",
    "tools.create",
    "tools.read",
    "tools.update",
    "tools.delete",
    "tools.execute",
    "tools.preview",
    "tools.manage_plugins",
    "plugins.read",
    "resources.create",
    "resources.read",
    "resources.update",
    "resources.delete",
    "resources.share",
    "gateways.create",
    "gateways.read",
    "gateways.update",
    "gateways.delete",
    "prompts.create",
    "prompts.read",
    "prompts.update",
    "prompts.delete",
    "prompts.execute",
    "llm.read",
    "llm.invoke",
    "servers.create",
    "servers.read",
    "servers.use",
    "servers.update",
    "servers.delete",
    "servers.manage",
    "tokens.create",
    "tokens.read",
    "tokens.update",
    "tokens.revoke",
    "admin.system_config",
    "admin.user_management",
    "admin.security_audit",
    "admin.compliance",
    "admin.overview",
    "admin.dashboard",
    "admin.events",
    "admin.grpc",
    "admin.plugins",
    "admin.metrics",
    "admin.export",
    "admin.import",
    "admin.sso_providers:create",
    "admin.sso_providers:read",
    "admin.sso_providers:update",
    "admin.sso_providers:delete",
    "admin.oauth_clients:read",
    "admin.oauth_clients:delete",
    "logs:read",
    "metrics:read",
    "audit:read",
    "security:read",
    "a2a.create",
    "a2a.read",
    "a2a.update",
    "a2a.delete",
    "a2a.invoke",
    "tags.read",
    "tags.create",
    "tags.update",
    "tags.delete",
];

fn contextforge_1_1_0() -> Catalogue {
    use Denial::{Forbidden, JsonRpcAccessDenied, McpAccessDenied};
    use ScopeMatcher::{Exact, Standard};

    let operations = vec![
        OperationRule::new("health", "GET", "/health", "Liveness probe")
            .binding(ServerBinding::General)
            .source("main.py /health: no auth; token_scoping.py skips it"),
        OperationRule::new("version", "GET", "/v1/version", "Diagnostics: gateway and MCP protocol versions")
            .access(Access::UnrestrictedScopeOnly)
            .admin_only()
            .source("version.py version_endpoint Depends(require_admin_auth); /version is unmapped in token_scoping.py"),
        OperationRule::new("gateways.list", "GET", "/v1/gateways", "List registered upstream MCP servers")
            .guarded("gateways.read", "main.py list_gateways @require_permission(\"gateways.read\")"),
        OperationRule::new("gateways.get", "GET", "/v1/gateways/{id}", "Get one upstream")
            .guarded("gateways.read", "main.py get_gateway @require_permission(\"gateways.read\")"),
        OperationRule::new("gateways.create", "POST", "/v1/gateways", "Register an upstream MCP server")
            .guarded("gateways.create", "main.py register_gateway @require_permission(\"gateways.create\")"),
        OperationRule::new("gateways.update", "PUT", "/v1/gateways/{id}", "Update an upstream (reconnects)")
            .guarded("gateways.update", "main.py update_gateway @require_permission(\"gateways.update\")"),
        OperationRule::new("gateways.delete", "DELETE", "/v1/gateways/{id}", "Delete an upstream and its tools")
            .guarded("gateways.delete", "main.py delete_gateway @require_permission(\"gateways.delete\")"),
        OperationRule::new("gateways.set_state", "POST", "/v1/gateways/{id}/state", "Enable or disable an upstream")
            .guarded("gateways.update", "main.py set_gateway_state @require_permission(\"gateways.update\")"),
        OperationRule::new("gateways.refresh_tools", "POST", "/v1/gateways/{id}/tools/refresh", "Re-discover tools")
            .guarded("gateways.update", "main.py refresh_gateway_tools @require_permission(\"gateways.update\")"),
        OperationRule::new("servers.list", "GET", "/v1/servers", "List virtual servers")
            .guarded("servers.read", "main.py list_servers @require_permission(\"servers.read\")"),
        OperationRule::new("servers.get", "GET", "/v1/servers/{id}", "Get one virtual server")
            .guarded("servers.read", "main.py get_server @require_permission(\"servers.read\")")
            .binding(ServerBinding::ServerPath),
        OperationRule::new("servers.create", "POST", "/v1/servers", "Create a virtual server from tool ids")
            .guarded("servers.create", "main.py create_server @require_permission(\"servers.create\")"),
        OperationRule::new("servers.update", "PUT", "/v1/servers/{id}", "Update a virtual server")
            .guarded("servers.update", "main.py update_server @require_permission(\"servers.update\")")
            .binding(ServerBinding::ServerPath),
        OperationRule::new("servers.delete", "DELETE", "/v1/servers/{id}", "Delete a virtual server")
            .guarded("servers.delete", "main.py delete_server @require_permission(\"servers.delete\")")
            .binding(ServerBinding::ServerPath),
        OperationRule::new("servers.list_tools", "GET", "/v1/servers/{id}/tools", "List a virtual server's tools")
            // The middleware maps GET /servers/{id}/tools to tools.read, the route decorator wants servers.read:
            // a scoped token needs both, the roles only servers.read.
            .check("tools.read", Standard, Forbidden, "token_scoping.py GET ^/servers/[^/]+/tools")
            .check("servers.read", Standard, Forbidden, "main.py server_get_tools @require_permission(\"servers.read\")")
            .rbac(&["servers.read"])
            .binding(ServerBinding::ServerPath)
            .source("token_scoping.py maps the path to tools.read; main.py server_get_tools requires servers.read"),
        OperationRule::new("tools.list", "GET", "/v1/tools", "List tools (also ?gateway_id=)")
            .guarded("tools.read", "main.py list_tools @require_permission(\"tools.read\")"),
        OperationRule::new("tools.get", "GET", "/v1/tools/{id}", "Get one tool")
            .guarded("tools.read", "main.py get_tool @require_permission(\"tools.read\")"),
        OperationRule::new("tools.call_rpc", "POST", "/rpc", "Call a tool over JSON-RPC (tools/call)")
            .check("servers.use", Standard, Forbidden, "token_scoping.py POST ^/rpc")
            .check("tools.execute", Exact, JsonRpcAccessDenied, "main.py _ensure_rpc_permission(\"tools.execute\")")
            .rbac(&["tools.execute"])
            .binding(ServerBinding::General)
            .source("middleware needs servers.use (implied by tools.*); handle_rpc tools/call needs tools.execute, \
                     refused as HTTP 200 + JSON-RPC -32003; RBAC checked in any non-personal team"),
        OperationRule::new("tools.list_rpc", "POST", "/rpc", "List tools over JSON-RPC (tools/list)")
            .check("servers.use", Standard, Forbidden, "token_scoping.py POST ^/rpc")
            .check("tools.read", Exact, JsonRpcAccessDenied, "main.py _ensure_rpc_permission(\"tools.read\")")
            .rbac(&["tools.read"])
            .binding(ServerBinding::General)
            .source("middleware needs servers.use; handle_rpc tools/list needs tools.read (-32003 when missing)"),
        OperationRule::new("tools.call_mcp", "POST", "/v1/virtual-servers/{id}/mcp", "Call a tool on a virtual server (MCP)")
            .check("servers.use", Standard, Forbidden, "token_scoping.py POST ^/servers/[^/]+/mcp")
            .check("tools.execute", Exact, McpAccessDenied, "streamablehttp_transport.py call_tool _check_scoped_permission")
            .rbac(&["servers.use", "tools.execute"])
            .binding(ServerBinding::ServerPath)
            .source("middleware and transport need servers.use (403); tools/call needs tools.execute (exact), refused as \
                     HTTP 200 + error code 0 \"Access denied\"; RBAC checked in any non-personal team"),
        OperationRule::new("tools.list_mcp", "POST", "/v1/virtual-servers/{id}/mcp", "List a virtual server's tools (MCP)")
            .check("servers.use", Standard, Forbidden, "token_scoping.py POST ^/servers/[^/]+/mcp")
            .check("tools.read", Exact, McpAccessDenied, "streamablehttp_transport.py list_tools _check_scoped_permission")
            .rbac(&["servers.use", "tools.read"])
            .binding(ServerBinding::ServerPath)
            .source("middleware and transport need servers.use (403); tools/list needs tools.read (exact), refused as \
                     HTTP 200 + error code 0 \"Access denied\""),
        OperationRule::new("tokens.create", "POST", "/v1/tokens", "Create an API token")
            .access(Access::InteractiveOnly)
            .rbac(&["tokens.create"])
            .source("routers/tokens.py create_token: _require_authenticated_session + @require_permission(\"tokens.create\")"),
        OperationRule::new("tokens.list", "GET", "/v1/tokens", "List the caller's API tokens")
            .access(Access::InteractiveOnly)
            .rbac(&["tokens.read"])
            .source("routers/tokens.py list_tokens: _require_authenticated_session + @require_permission(\"tokens.read\")"),
        OperationRule::new("tokens.get", "GET", "/v1/tokens/{id}", "Get one API token's metadata")
            .access(Access::InteractiveOnly)
            .rbac(&["tokens.read"])
            .source("routers/tokens.py get_token: _require_authenticated_session + @require_permission(\"tokens.read\")"),
        OperationRule::new("tokens.revoke", "DELETE", "/v1/tokens/{id}", "Revoke an API token")
            .access(Access::InteractiveOnly)
            .rbac(&["tokens.revoke"])
            .source("routers/tokens.py revoke_token: _require_authenticated_session + @require_permission(\"tokens.revoke\")"),
        OperationRule::new("rbac.my_roles", "GET", "/v1/rbac/my/roles", "The caller's role assignments")
            .access(Access::UnrestrictedScopeOnly)
            .source("routers/rbac.py get_my_roles: authenticated only; path unmapped in token_scoping.py"),
        OperationRule::new("rbac.my_permissions", "GET", "/v1/rbac/my/permissions", "The caller's RBAC permissions")
            .access(Access::UnrestrictedScopeOnly)
            .source("routers/rbac.py get_my_permissions: authenticated only; path unmapped in token_scoping.py"),
        OperationRule::new("rbac.available_permissions", "GET", "/v1/rbac/permissions/available", "All permissions")
            .access(Access::UnrestrictedScopeOnly)
            .source("routers/rbac.py get_available_permissions: authenticated only; path unmapped"),
        OperationRule::new("rbac.list_roles", "GET", "/v1/rbac/roles", "List roles")
            .access(Access::UnrestrictedScopeOnly)
            .rbac(&["admin.user_management"])
            .source("routers/rbac.py list_roles @require_permission(\"admin.user_management\"); path unmapped"),
        OperationRule::new("auth.me", "GET", "/v1/auth/email/me", "The caller's user record")
            .access(Access::UnrestrictedScopeOnly)
            .source("routers/email_auth.py get_current_user_profile: authenticated only; path unmapped"),
        OperationRule::new("auth.login", "POST", "/v1/auth/email/login", "E-mail login → session token")
            .source("routers/email_auth.py login: no auth; token_scoping.py skips /auth/email/login"),
    ];

    Catalogue {
        gateway: "ContextForge".to_owned(),
        version: "1.1.0".to_owned(),
        permissions: PermissionSet::from_static(&PERMISSIONS_1_1_0),
        operations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_strings_are_valid_permissions() {
        let catalogue = Catalogue::contextforge_1_1_0();
        for permission in catalogue.permissions.iter() {
            assert_eq!(&Permission::parse(permission.as_str()).unwrap(), permission);
        }
        // Six permissions the gateway defines cannot be put in an API token (two separators fail its pattern).
        let unrequestable: Vec<&str> = catalogue
            .permissions
            .iter()
            .filter(|p| !p.is_requestable())
            .map(Permission::as_str)
            .collect();
        assert_eq!(
            unrequestable,
            [
                "admin.oauth_clients:delete",
                "admin.oauth_clients:read",
                "admin.sso_providers:create",
                "admin.sso_providers:delete",
                "admin.sso_providers:read",
                "admin.sso_providers:update",
            ]
        );
        for op in &catalogue.operations {
            for permission in op.required_permissions().iter() {
                assert!(
                    catalogue.permissions.contains(permission),
                    "{}: {permission}",
                    op.id
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_cover_the_shared_operation_list() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let mut ids: Vec<&str> = catalogue
            .operations
            .iter()
            .map(|op| op.id.as_str())
            .collect();
        assert_eq!(ids.len(), 31);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 31, "duplicate operation ids");
    }

    #[test]
    fn unknown_lookups_are_errors_naming_the_id() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let err = catalogue
            .resolve(["gateways.create", "gateways.explode"])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown operation \"gateways.explode\": not in the ContextForge 1.1.0 catalogue"
        );
        let err = Catalogue::for_version("9.9.9").unwrap_err();
        assert!(
            err.to_string().contains("9.9.9") && err.to_string().contains("1.1.0"),
            "{err}"
        );
        assert!(Catalogue::for_version(" 1.1.0").is_ok());
    }

    #[test]
    fn known_permissions_include_wildcards_of_known_categories() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let known = |s: &str| catalogue.is_known(&Permission::parse(s).unwrap());
        assert!(known("*") && known("tools.*") && known("logs:read") && known("admin.*"));
        assert!(!known("robots.dance") && !known("robots.*") && !known("tools.fly"));
    }

    #[test]
    fn token_requests_leave_out_implied_servers_use() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let request = |id: &str| {
            catalogue
                .operation(id)
                .unwrap()
                .scope_request()
                .map(|s| s.to_strings())
        };
        assert_eq!(
            request("tools.call_rpc"),
            Some(vec!["tools.execute".to_owned()])
        );
        assert_eq!(
            request("servers.list_tools"),
            Some(vec!["servers.read".to_owned(), "tools.read".to_owned()])
        );
        assert_eq!(request("tokens.create"), None);
        assert_eq!(request("auth.me"), None);
        assert_eq!(request("health"), Some(vec![]));
    }

    #[test]
    fn scope_allows_respects_matchers() {
        let catalogue = Catalogue::contextforge_1_1_0();
        let rpc = catalogue.operation("tools.call_rpc").unwrap();
        let scope = |perms: &[&str]| TokenScope::new(PermissionSet::parse(perms).unwrap());
        assert!(rpc.scope_allows(&scope(&["tools.execute"])));
        // tools.* passes the middleware (implied servers.use) but not the exact tools.execute check in /rpc.
        assert!(!rpc.scope_allows(&scope(&["tools.*"])));
        assert!(!rpc.scope_allows(&scope(&["servers.use"])));
        let me = catalogue.operation("auth.me").unwrap();
        assert!(me.scope_allows(&scope(&["*"])) && me.scope_allows(&scope(&[])));
        assert!(!me.scope_allows(&TokenScope::new(catalogue.permissions.clone())));
    }
}
