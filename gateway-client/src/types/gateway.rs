//! Gateways: the upstream MCP servers registered with ContextForge.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Sensitive, Tag, Transport, Visibility};
use super::extra::Extra;

/// How the gateway authenticates to the upstream MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthType {
    /// No authentication.
    None,
    /// HTTP basic (`auth_username` + `auth_password`).
    Basic,
    /// `Authorization: Bearer` (`auth_token`).
    Bearer,
    /// Arbitrary headers (`auth_headers`).
    #[serde(rename = "authheaders")]
    AuthHeaders,
    /// OAuth 2 (configured through the gateway's own `oauth_config`, not modelled here).
    #[serde(rename = "oauth")]
    OAuth,
    /// A query parameter (needs `INSECURE_ALLOW_QUERYPARAM_AUTH=true` on the gateway).
    QueryParam,
    /// A kind this client does not know (only ever read, never sent).
    #[serde(other, skip_serializing)]
    #[schemars(skip)]
    Unknown,
}

/// One header the gateway sends to the upstream (`auth_type = authheaders`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct AuthHeader {
    /// Header name.
    pub key: String,
    /// Header value; redacted in `Debug`.
    pub value: Sensitive,
}

impl AuthHeader {
    /// A header for the upstream.
    pub fn new(key: impl Into<String>, value: impl Into<Sensitive>) -> Self {
        AuthHeader {
            key: key.into(),
            value: value.into(),
        }
    }
}

macro_rules! gateway_setters {
    () => {
        /// Sets the description.
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.description = Some(description.into());
            self
        }

        /// Replaces the tags.
        pub fn tags<I, S>(mut self, tags: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.tags = Some(tags.into_iter().map(Into::into).collect());
            self
        }

        /// Sets who can see the gateway (the gateway defaults to `public`).
        pub fn visibility(mut self, visibility: Visibility) -> Self {
            self.visibility = Some(visibility);
            self
        }

        /// Owns the gateway by a team. Non-admin callers must name a (non-personal) team.
        pub fn team_id(mut self, team_id: impl Into<String>) -> Self {
            self.team_id = Some(team_id.into());
            self
        }

        /// The gateway authenticates to the upstream with `Authorization: Bearer <token>`.
        pub fn bearer_auth(mut self, token: impl Into<Sensitive>) -> Self {
            self.auth_type = Some(AuthType::Bearer);
            self.auth_token = Some(token.into());
            self
        }

        /// The gateway authenticates to the upstream with HTTP basic auth.
        pub fn basic_auth(
            mut self,
            username: impl Into<String>,
            password: impl Into<Sensitive>,
        ) -> Self {
            self.auth_type = Some(AuthType::Basic);
            self.auth_username = Some(username.into());
            self.auth_password = Some(password.into());
            self
        }

        /// Adds a header the gateway sends to the upstream (sets `auth_type = authheaders`).
        pub fn auth_header(mut self, key: impl Into<String>, value: impl Into<Sensitive>) -> Self {
            self.auth_type = Some(AuthType::AuthHeaders);
            self.auth_headers
                .get_or_insert_with(Vec::new)
                .push(AuthHeader::new(key, value));
            self
        }

        /// Headers from the calling client that the gateway passes through to the upstream.
        pub fn passthrough_headers<I, S>(mut self, headers: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.passthrough_headers = Some(headers.into_iter().map(Into::into).collect());
            self
        }

        /// Re-discover the upstream's tools every `seconds` (the gateway requires at least 60).
        pub fn refresh_interval_seconds(mut self, seconds: u32) -> Self {
            self.refresh_interval_seconds = Some(seconds);
            self
        }
    };
}

/// Body of `POST /v1/gateways`: register an upstream MCP server.
///
/// The gateway connects to the URL, runs the MCP handshake and discovers the tools before it answers, so an
/// unreachable URL fails with [`crate::Error::UpstreamUnreachable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GatewayCreate {
    /// Unique name: letters, digits, `_`, `.`, `-` and spaces, at most 255 characters. Its slug prefixes the
    /// names of the gateway's tools.
    pub name: String,
    /// The upstream's MCP endpoint, e.g. `http://host:8000/mcp` or `…/sse`.
    pub url: String,
    /// `STREAMABLEHTTP` or `SSE`; the gateway defaults to `SSE` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Who can see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Owning team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// How the gateway authenticates to the upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    /// Bearer token for the upstream (`auth_type = bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<Sensitive>,
    /// Basic-auth user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<String>,
    /// Basic-auth password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<Sensitive>,
    /// Headers for the upstream (`auth_type = authheaders`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_headers: Option<Vec<AuthHeader>>,
    /// Client headers passed through to the upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough_headers: Option<Vec<String>>,
    /// Automatic tool re-discovery interval in seconds (≥ 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval_seconds: Option<u32>,
}

impl GatewayCreate {
    /// A registration of `url` under `name`, every other field left to the gateway's defaults.
    ///
    /// ```
    /// use mcpfleet_gateway_client::{GatewayCreate, Transport, Visibility};
    /// let body = GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp")
    ///     .transport(Transport::StreamableHttp)
    ///     .description("small utilities")
    ///     .tags(["fleet"])
    ///     .visibility(Visibility::Public)
    ///     .auth_header("X-Api-Key", "s3cret");
    /// assert!(!format!("{body:?}").contains("s3cret"));
    /// ```
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        GatewayCreate {
            name: name.into(),
            url: url.into(),
            transport: None,
            description: None,
            tags: None,
            visibility: None,
            team_id: None,
            auth_type: None,
            auth_token: None,
            auth_username: None,
            auth_password: None,
            auth_headers: None,
            passthrough_headers: None,
            refresh_interval_seconds: None,
        }
    }

    /// Sets the transport (the gateway defaults to SSE).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    gateway_setters!();
}

/// Body of `PUT /v1/gateways/{id}`: only the fields set are changed.
///
/// The gateway reconnects to the upstream and bumps `version` on every update, even one that changes
/// nothing, so send an update only when something differs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GatewayUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New tags (replace the old ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// New visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// New owning team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// New auth kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    /// New bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<Sensitive>,
    /// New basic-auth user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<String>,
    /// New basic-auth password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<Sensitive>,
    /// New upstream headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_headers: Option<Vec<AuthHeader>>,
    /// New pass-through headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough_headers: Option<Vec<String>>,
    /// New refresh interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval_seconds: Option<u32>,
}

impl GatewayUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the gateway (its tools are renamed with it).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Points the gateway at another URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Changes the transport.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    gateway_setters!();
}

/// A registered gateway, as `GET /v1/gateways/{id}` returns it (camelCase on the wire).
///
/// Fields this type does not name are kept in [`GatewayRead::extra`], except credential fields, which are
/// dropped so that `Debug` output never carries an upstream secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GatewayRead {
    /// 32-hex id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The upstream URL as stored (`127.0.0.1` is stored as `localhost`).
    pub url: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Transport.
    pub transport: Transport,
    /// The upstream's MCP capabilities.
    #[serde(default)]
    pub capabilities: Value,
    /// Lifecycle status, e.g. `active`.
    #[serde(default)]
    pub status: Option<String>,
    /// Lifecycle status detail.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The last connection or handshake error.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Whether the gateway is enabled (see [`crate::Gateways::set_enabled`]).
    pub enabled: bool,
    /// Whether the last health check reached the upstream.
    #[serde(default)]
    pub reachable: bool,
    /// Last successful health check.
    #[serde(default)]
    pub last_seen: Option<String>,
    /// How the gateway authenticates upstream (the values themselves are masked by the gateway).
    #[serde(default)]
    pub auth_type: Option<AuthType>,
    /// The names of the headers sent upstream (`authHeaders`, with [`AuthType::AuthHeaders`]), in order. Only the
    /// names are read: the values, masked or not, are never kept.
    #[serde(
        default,
        rename = "authHeaders",
        with = "header_names",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub auth_header_names: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Owning team.
    #[serde(default)]
    pub team_id: Option<String>,
    /// Owner.
    #[serde(default)]
    pub owner_email: Option<String>,
    /// Visibility.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Incremented by every update.
    #[serde(default)]
    pub version: Option<i64>,
    /// Slug of the name; prefixes tool names.
    #[serde(default)]
    pub slug: Option<String>,
    /// Number of tools (0 in the create answer even though discovery already ran).
    #[serde(default)]
    pub tool_count: u32,
    /// Number of prompts.
    #[serde(default)]
    pub prompt_count: u32,
    /// Number of resources.
    #[serde(default)]
    pub resource_count: u32,
    /// `cache` (default) or `direct_proxy`.
    #[serde(default)]
    pub gateway_mode: Option<String>,
    /// Automatic refresh interval.
    #[serde(default)]
    pub refresh_interval_seconds: Option<u32>,
    /// Last tool refresh.
    #[serde(default)]
    pub last_refresh_at: Option<String>,
    /// Creation time (ISO 8601, no zone).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Every other field of the answer, minus credentials.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Answer of `POST /v1/gateways/{id}/tools/refresh`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefreshReport {
    /// The gateway refreshed.
    pub gateway_id: String,
    /// Whether discovery succeeded.
    #[serde(default)]
    pub success: bool,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Tools discovered for the first time.
    #[serde(default)]
    pub tools_added: u32,
    /// Tools whose definition changed.
    #[serde(default)]
    pub tools_updated: u32,
    /// Tools that disappeared upstream.
    #[serde(default)]
    pub tools_removed: u32,
    /// Validation problems with discovered items.
    #[serde(default)]
    pub validation_errors: Vec<Value>,
    /// How long the refresh took.
    #[serde(default)]
    pub duration_ms: f64,
    /// When.
    #[serde(default)]
    pub refreshed_at: Option<String>,
    /// Resource and prompt counters and anything newer.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Answer of `POST /v1/gateways/{id}/state` (and the servers/tools equivalents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StateChange {
    /// `success`.
    #[serde(default)]
    pub status: String,
    /// E.g. `Gateway <id> deactivated`.
    #[serde(default)]
    pub message: String,
    /// The record after the change, as the gateway sent it (snake_case, unlike the GET answers), minus
    /// credentials.
    #[serde(default, alias = "gateway", alias = "server", alias = "tool")]
    pub record: Option<Extra>,
}

impl StateChange {
    /// The `enabled` flag of the returned record, when present.
    pub fn enabled(&self) -> Option<bool> {
        self.record
            .as_ref()
            .and_then(|r| r.get("enabled"))
            .and_then(Value::as_bool)
    }
}

/// `authHeaders` read as its names: `[{"key": "X-Api-Key", "value": "*****"}]` is `["X-Api-Key"]`, and `null` is
/// empty. Written back as `[{"key": …}]`, without values.
mod header_names {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Named {
        key: String,
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        // `value` and anything else in an entry is skipped unread into any type: it is the secret.
        let entries = Option::<Vec<Named>>::deserialize(d)?;
        Ok(entries
            .into_iter()
            .flatten()
            .map(|entry| entry.key)
            .collect())
    }

    pub(super) fn serialize<S: Serializer>(names: &[String], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(names.iter().map(|key| Named { key: key.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ContextForge lists header auth as names with masked values; the names are what a caller compares.
    #[test]
    fn header_names_are_read_and_values_never_kept() {
        let listed = serde_json::json!({
            "id": "0123", "name": "inventory", "url": "http://inventory:8000/mcp", "transport": "STREAMABLEHTTP",
            "enabled": true, "authType": "authheaders",
            "authHeaders": [{"key": "X-Inventory-Key", "value": "*****"}, {"key": "X-Team", "value": "unmasked-secret"}]
        });
        let read: GatewayRead = serde_json::from_value(listed).unwrap();
        assert_eq!(read.auth_header_names, ["X-Inventory-Key", "X-Team"]);
        let shown = format!("{read:?}{}", serde_json::to_string(&read).unwrap());
        assert!(
            !shown.contains("unmasked-secret") && !shown.contains("*****"),
            "{shown}"
        );
        // What it writes reads back the same.
        let again: GatewayRead =
            serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
        assert_eq!(again, read);
        // No headers: `null` or absent.
        let none: GatewayRead = serde_json::from_value(serde_json::json!({
            "id": "1", "name": "n", "url": "http://n/mcp", "transport": "SSE", "enabled": true, "authHeaders": null
        }))
        .unwrap();
        assert!(none.auth_header_names.is_empty());
    }
}
