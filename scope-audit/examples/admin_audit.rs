//! Audit of the gateway's admin token against a three-server fleet, offline.
//!
//! Answers the seed's first question ("does the current token have permission to register servers?") for the
//! token `create_jwt_token --admin` mints, prints the Markdown report and the minimal token recipe.
//!
//! ```text
//! cargo run -p mcpfleet-scope-audit --example admin_audit            # the built-in admin claims
//! MCPGATEWAY_BEARER_TOKEN=eyJ... cargo run -p mcpfleet-scope-audit --example admin_audit   # a real token
//! ```
//!
//! With a real token, the claims are decoded **without verifying the signature** (inspection only), and the
//! token's owner is assumed to be the platform admin, since roles live in the gateway's database.

use mcpfleet_scope_audit::{
    BearerToken, Catalogue, Grant, TeamsClaim, TokenClaims, UserClaim, UserRoles,
};

/// What registering a fleet does: register, list, read back and refresh upstreams, list their tools, build a
/// virtual server and call tools through `/rpc` and MCP (`mcpfleet-registry` derives this list from its plan).
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

fn main() -> Result<(), mcpfleet_scope_audit::Error> {
    let claims = match std::env::var("MCPGATEWAY_BEARER_TOKEN") {
        Ok(token) => BearerToken::new(token).claims_unverified()?,
        // What `python -m mcpgateway.utils.create_jwt_token --admin` writes (signature aside).
        Err(_) => TokenClaims {
            sub: Some("admin@example.com".into()),
            user: Some(UserClaim {
                email: Some("admin@example.com".into()),
                full_name: Some("CLI User".into()),
                is_admin: true,
                auth_provider: Some("cli".into()),
            }),
            teams: TeamsClaim::Null,
            ..TokenClaims::default()
        },
    };
    let owner = claims
        .user
        .as_ref()
        .and_then(|u| u.email.clone())
        .unwrap_or_else(|| "admin@example.com".into());
    let grant = Grant::from_claims(&claims, UserRoles::platform_admin(owner));

    // Three upstream servers are registered, refreshed, verified, grouped and called: the fleet plan's
    // operations are the same for one server or thirty, so the audit is per operation.
    let report = Catalogue::contextforge_1_1_0().audit(&grant, FLEET_PLAN)?;
    println!("{}", report.to_markdown());
    Ok(())
}
