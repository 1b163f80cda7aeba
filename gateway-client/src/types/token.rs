//! API tokens (`/v1/tokens`; snake_case on the wire).

use std::fmt;

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::Tag;

/// What an API token may do (`scope` of [`TokenCreate`]).
///
/// A token's effective rights are these permissions intersected with its user's RBAC roles. An empty
/// permission list means "inherit the user's RBAC", not "deny everything". The gateway adds `servers.use`
/// by itself whenever a `tools.*`, `resources.*` or `prompts.*` permission is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TokenScopeRequest {
    /// Restrict the token to one virtual server's endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    /// Permission names such as `tools.read` or `tools.execute` (`*` for all).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// CIDRs the token may be used from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_restrictions: Vec<String>,
    /// E.g. `{"business_hours_only": true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_restrictions: Option<Value>,
    /// E.g. `{"requests_per_hour": 1000}` (stored, but not enforced by 1.1.0's middleware).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limits: Option<Value>,
}

/// Body of `POST /v1/tokens`.
///
/// Token management needs an interactive session (a login or a CLI-minted JWT): API tokens get
/// [`crate::Error::Forbidden`] on every `/v1/tokens` endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TokenCreate {
    /// Name, unique per user and team, 1–255 characters.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifetime in days (≥ 1). Required while the gateway runs with `REQUIRE_TOKEN_EXPIRATION=true`, its
    /// default; without it the gateway answers 400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// What the token may do; absent means the user's full RBAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<TokenScopeRequest>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Team context of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Mint for another user (needs an un-narrowed admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
}

impl TokenCreate {
    /// A token called `name`; set [`TokenCreate::expires_in_days`] too unless the gateway allows
    /// tokens without expiry.
    ///
    /// ```
    /// use mcpfleet_gateway_client::TokenCreate;
    /// let body = TokenCreate::new("ci-reader")
    ///     .expires_in_days(30)
    ///     .permissions(["tools.read", "tools.execute"]);
    /// assert_eq!(body.scope.as_ref().unwrap().permissions.len(), 2);
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        TokenCreate {
            name: name.into(),
            description: None,
            expires_in_days: None,
            scope: None,
            tags: None,
            team_id: None,
            user_email: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the lifetime in days.
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }

    /// Sets the whole scope.
    pub fn scope(mut self, scope: TokenScopeRequest) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Limits the token to these permissions: strings, or any type that reads as one (such as
    /// `mcpfleet-scope-audit`'s `&PermissionSet`, whose items are `&Permission`).
    pub fn permissions<I>(mut self, permissions: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.scope
            .get_or_insert_with(TokenScopeRequest::default)
            .permissions = permissions
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        self
    }

    /// Limits the token to one virtual server.
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.scope
            .get_or_insert_with(TokenScopeRequest::default)
            .server_id = Some(server_id.into());
        self
    }

    /// Sets the team context.
    pub fn team_id(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }

    /// Mints the token for another user (admin only).
    pub fn user_email(mut self, email: impl Into<String>) -> Self {
        self.user_email = Some(email.into());
        self
    }

    /// Sets the tags.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenInfo {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The user it acts as.
    pub user_email: String,
    /// Team context (`None` for an un-narrowed admin's own token).
    #[serde(default)]
    pub team_id: Option<String>,
    /// Virtual server it is limited to.
    #[serde(default)]
    pub server_id: Option<String>,
    /// The permissions requested at creation (without the implied `servers.use`).
    #[serde(default)]
    pub resource_scopes: Vec<String>,
    /// CIDR restrictions.
    #[serde(default)]
    pub ip_restrictions: Vec<String>,
    /// Time restrictions.
    #[serde(default)]
    pub time_restrictions: Value,
    /// Usage limits.
    #[serde(default)]
    pub usage_limits: Value,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Last use.
    #[serde(default)]
    pub last_used: Option<String>,
    /// Active flag.
    #[serde(default)]
    pub is_active: bool,
    /// Revoked flag.
    #[serde(default)]
    pub is_revoked: bool,
    /// Revocation time.
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// Who revoked it.
    #[serde(default)]
    pub revoked_by: Option<String>,
    /// Why.
    #[serde(default)]
    pub revocation_reason: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Answer of `POST /v1/tokens`: the record and the token itself, which the gateway shows only once.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct TokenCreated {
    /// The record.
    pub token: TokenInfo,
    /// The JWT; redacted in `Debug`.
    pub access_token: SecretString,
    /// E.g. that the token ended up public-only.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl TokenCreated {
    /// The JWT. Call only where it must leave the program (a secret store, a client).
    pub fn expose_token(&self) -> &str {
        self.access_token.expose_secret()
    }
}

impl fmt::Debug for TokenCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCreated")
            .field("token", &self.token)
            .field("access_token", &"[REDACTED]")
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// One page of `GET /v1/tokens` (offset pagination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenList {
    /// The tokens.
    pub tokens: Vec<TokenInfo>,
    /// How many tokens match in total.
    #[serde(default)]
    pub total: u64,
    /// Page size used.
    #[serde(default)]
    pub limit: u64,
    /// Offset used.
    #[serde(default)]
    pub offset: u64,
}
