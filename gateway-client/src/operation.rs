//! Stable operation ids, shared with `mcpfleet-scope-audit`'s permission catalogue.

use std::fmt;
use std::str::FromStr;

macro_rules! operations {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal, $method:literal, $path:literal; )+) => {
        /// Every gateway operation this client performs, by its stable id.
        ///
        /// The ids (`gateways.create`, `tools.call_rpc`, …) are the same strings `mcpfleet-scope-audit` uses,
        /// so an orchestrator can pair a client call with the permission it needs. Each client method names
        /// its operation id in its docs.
        ///
        /// ```
        /// use mcpfleet_gateway_client::Operation;
        /// let op: Operation = "gateways.create".parse().unwrap();
        /// assert_eq!(op, Operation::GatewaysCreate);
        /// assert_eq!(op.method(), "POST");
        /// assert_eq!(op.path_template(), "/v1/gateways");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $( $(#[$doc])* $variant, )+
        }

        impl Operation {
            /// Every operation, in catalogue order.
            pub const ALL: &'static [Operation] = &[ $( Operation::$variant, )+ ];

            /// The stable id, e.g. `gateways.create`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Operation::$variant => $id, )+ }
            }

            /// The HTTP method.
            pub const fn method(self) -> &'static str {
                match self { $( Operation::$variant => $method, )+ }
            }

            /// The path, with `{id}` placeholders (and the query that selects the operation, if any).
            pub const fn path_template(self) -> &'static str {
                match self { $( Operation::$variant => $path, )+ }
            }
        }

        impl FromStr for Operation {
            type Err = crate::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $id => Ok(Operation::$variant), )+
                    _ => Err(crate::Error::UnknownOperation { id: s.to_owned() }),
                }
            }
        }
    };
}

operations! {
    /// `GET /health` (no auth).
    Health => "health", "GET", "/health";
    /// `GET /v1/version`.
    Version => "version", "GET", "/v1/version";
    /// `GET /v1/gateways`.
    GatewaysList => "gateways.list", "GET", "/v1/gateways";
    /// `GET /v1/gateways/{id}`.
    GatewaysGet => "gateways.get", "GET", "/v1/gateways/{id}";
    /// `POST /v1/gateways`.
    GatewaysCreate => "gateways.create", "POST", "/v1/gateways";
    /// `PUT /v1/gateways/{id}`.
    GatewaysUpdate => "gateways.update", "PUT", "/v1/gateways/{id}";
    /// `DELETE /v1/gateways/{id}`.
    GatewaysDelete => "gateways.delete", "DELETE", "/v1/gateways/{id}";
    /// `POST /v1/gateways/{id}/state?activate=true|false`.
    GatewaysSetState => "gateways.set_state", "POST", "/v1/gateways/{id}/state";
    /// `POST /v1/gateways/{id}/tools/refresh`.
    GatewaysRefreshTools => "gateways.refresh_tools", "POST", "/v1/gateways/{id}/tools/refresh";
    /// `GET /v1/servers`.
    ServersList => "servers.list", "GET", "/v1/servers";
    /// `GET /v1/servers/{id}`.
    ServersGet => "servers.get", "GET", "/v1/servers/{id}";
    /// `POST /v1/servers` (body wrapped in `{"server": …}`).
    ServersCreate => "servers.create", "POST", "/v1/servers";
    /// `PUT /v1/servers/{id}`.
    ServersUpdate => "servers.update", "PUT", "/v1/servers/{id}";
    /// `DELETE /v1/servers/{id}`.
    ServersDelete => "servers.delete", "DELETE", "/v1/servers/{id}";
    /// `GET /v1/servers/{id}/tools`.
    ServersListTools => "servers.list_tools", "GET", "/v1/servers/{id}/tools";
    /// `GET /v1/tools` (also `?gateway_id=`).
    ToolsList => "tools.list", "GET", "/v1/tools";
    /// `GET /v1/tools/{id}`.
    ToolsGet => "tools.get", "GET", "/v1/tools/{id}";
    /// `POST /rpc` with `{"method":"tools/call"}`.
    ToolsCallRpc => "tools.call_rpc", "POST", "/rpc";
    /// `POST /rpc` with `{"method":"tools/list"}`.
    ToolsListRpc => "tools.list_rpc", "POST", "/rpc";
    /// `tools/call` over `POST /v1/virtual-servers/{id}/mcp` (MCP streamable HTTP).
    ToolsCallMcp => "tools.call_mcp", "POST", "/v1/virtual-servers/{id}/mcp";
    /// `tools/list` over `POST /v1/virtual-servers/{id}/mcp` (MCP streamable HTTP).
    ToolsListMcp => "tools.list_mcp", "POST", "/v1/virtual-servers/{id}/mcp";
    /// `POST /v1/tokens`.
    TokensCreate => "tokens.create", "POST", "/v1/tokens";
    /// `GET /v1/tokens`.
    TokensList => "tokens.list", "GET", "/v1/tokens";
    /// `GET /v1/tokens/{id}`.
    TokensGet => "tokens.get", "GET", "/v1/tokens/{id}";
    /// `DELETE /v1/tokens/{id}`.
    TokensRevoke => "tokens.revoke", "DELETE", "/v1/tokens/{id}";
    /// `GET /v1/rbac/my/roles`.
    RbacMyRoles => "rbac.my_roles", "GET", "/v1/rbac/my/roles";
    /// `GET /v1/rbac/my/permissions`.
    RbacMyPermissions => "rbac.my_permissions", "GET", "/v1/rbac/my/permissions";
    /// `GET /v1/rbac/permissions/available`.
    RbacAvailablePermissions => "rbac.available_permissions", "GET", "/v1/rbac/permissions/available";
    /// `GET /v1/rbac/roles`.
    RbacListRoles => "rbac.list_roles", "GET", "/v1/rbac/roles";
    /// `GET /v1/auth/email/me`.
    AuthMe => "auth.me", "GET", "/v1/auth/email/me";
    /// `POST /v1/auth/email/login` (no auth).
    AuthLogin => "auth.login", "POST", "/v1/auth/email/login";
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for op in Operation::ALL {
            assert!(seen.insert(op.as_str()), "duplicate id {op}");
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), *op);
        }
        assert_eq!(Operation::ALL.len(), 31);
        assert!("gateways.explode".parse::<Operation>().is_err());
    }
}
