//! Which ContextForge permissions an operation needs, which ones a token really grants, and the difference.
//!
//! The question this crate answers exactly, offline: *does this token have permission to register MCP servers
//! with the gateway — and what is the least it should have?* Its facts come from the ContextForge 1.1.0 source and
//! were proven against a running gateway: for every catalogue entry, a token holding exactly the listed
//! permissions succeeds and a token missing one of them is refused (`tests/tests/live/scope_audit.rs` in the
//! repository).
//!
//! # Tour
//!
//! - [`Permission`] / [`PermissionSet`]: permission strings kept verbatim (`gateways.create`, `logs:read`,
//!   `tools.*`, `*`); unknown ones are preserved and flagged, never dropped.
//! - [`TokenScope`] and [`ScopeMatcher`]: the token's `scopes.permissions` cap with the gateway's two matching
//!   rules. **An empty list means unrestricted**, and `servers.use` is implied by (and added at issue time for)
//!   `tools.`/`resources.`/`prompts.` permissions.
//! - [`UserRoles`], [`SystemRole`], [`TeamContext`]: layer 2, the user's roles as the gateway consults them.
//! - [`BearerToken`] and [`TokenClaims`]: a secret-holding token type and **unverified** claim decoding, for
//!   inspection only.
//! - [`Grant`]: credential + user, and [`Grant::evaluate`], the two-layer rule with the source of each clause;
//!   [`Grant::undelegable`] says which permissions the token API would refuse to put in a new token.
//! - [`Catalogue`]: every `mcpfleet-gateway-client` operation → method, path, required permissions, accepted
//!   credential kinds; versioned by gateway version ([`Catalogue::for_version`]).
//! - [`credential_shape`] → [`CredentialShape`]: whether a text carries something shaped like a credential (a
//!   JWT, a vendor key, a private key, a password in a URL, a random-looking key), the one test the workspace
//!   uses wherever a value must not be a secret.
//! - [`Catalogue::audit`] → [`AuditReport`] (JSON with a schema, or Markdown), and [`Catalogue::least_privilege`]
//!   → [`LeastPrivilege`], with a ready-to-send `POST /v1/tokens` body.
//!
//! # Example: audit a token against a fleet plan
//!
//! ```
//! use mcpfleet_scope_audit::{BearerToken, Catalogue, Grant, UserRoles, Verdict};
//! # use base64::Engine as _;
//! # let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
//! #     r#"{"sub":"u1","token_use":"api","teams":null,"scopes":{"permissions":["tools.read","tools.execute","servers.use"]}}"#);
//! # let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln");
//!
//! let token = BearerToken::new(jwt); // e.g. from MCPGATEWAY_BEARER_TOKEN; Debug prints [REDACTED]
//! let claims = token.claims_unverified()?; // inspection, not validation
//! let grant = Grant::from_claims(&claims, UserRoles::platform_admin("admin@example.com"));
//!
//! // What a registration run does (`mcpfleet-registry` derives this list from its plan):
//! let plan = ["gateways.create", "gateways.list", "gateways.get", "gateways.refresh_tools", "tools.list",
//!             "servers.create", "servers.get", "tools.call_rpc", "tools.call_mcp"];
//! let catalogue = Catalogue::for_version("1.1.0")?;
//! let report = catalogue.audit(&grant, plan)?;
//! assert_eq!(report.verdict, Verdict::Insufficient); // it cannot register servers
//! let markdown = report.to_markdown();
//! assert!(markdown.starts_with("# Permission audit: current vs required token scopes"));
//! assert!(markdown.contains("| `gateways.create` | `POST /v1/gateways` | `gateways.create` | **missing** |"));
//!
//! // The smallest token that can run the whole plan:
//! let recipe = catalogue.least_privilege(plan)?;
//! let body = recipe.token.expect("the plan needs scoped permissions").name("fleet").to_json();
//! assert_eq!(body["scope"]["permissions"].as_array().map(Vec::len), Some(7));
//! # Ok::<(), mcpfleet_scope_audit::Error>(())
//! ```
//!
//! # Dependencies, and why each earns its place
//!
//! - `serde`, `serde_json`: the report, the catalogue and the token body are data; JWT claims are JSON.
//! - `schemars`: a JSON Schema for the report so consumers can validate what they parse.
//! - `base64`: decoding a JWT payload needs nothing more; a JWT crate would force a crypto backend on users for
//!   a signature this crate deliberately does not check.
//! - `secrecy`: tokens are secrets; its `SecretString` zeroizes on drop and keeps them out of `Debug`.
//! - `thiserror`: the one error enum, without hand-written `Display`/`Error` impls.
//!
//! No async runtime and no HTTP client: the crate is pure computation, usable from a CLI, a build script or a
//! gateway client alike.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod catalogue;
mod error;
mod grant;
mod permission;
mod report;
mod role;
mod shape;
mod token;

pub use audit::{
    AuditReport, CredentialSummary, LeastPrivilege, OperationAudit, REPORT_TITLE, RoleRecipe,
    Status, Summary, TokenRecipe, TokenRecipeScope, UnscopedOperation, Verdict,
};
pub use catalogue::{Access, Catalogue, Denial, OperationRule, ScopeCheck, ServerBinding};
pub use error::{Error, Result};
pub use grant::{Blocker, Grant, OperationCheck};
pub use permission::{
    Permission, PermissionSet, PermissionShape, SERVERS_USE, ScopeMatcher, TokenScope, WILDCARD,
};
pub use role::{
    Role, RoleAssignment, RoleScope, SystemRole, TeamContext, TeamNarrowing, TeamRef, UserRoles,
};
pub use shape::{CredentialShape, credential_shape};
pub use token::{BearerToken, CredentialKind, ScopesClaim, TeamsClaim, TokenClaims, UserClaim};
