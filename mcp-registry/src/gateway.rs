//! The [`Gateway`] trait the engine is generic over, and the records it reads and writes.
//!
//! The records are the registry's own view of ContextForge's objects — an upstream MCP server ("gateway" in
//! ContextForge's words), a virtual server ("server"), a tool — with only the fields a plan compares and a
//! verify reads. The `contextforge` feature implements the trait on `mcpfleet-gateway-client`; the `testing`
//! feature has an in-memory model with fault injection.

use std::fmt;
use std::future::Future;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::GatewayFailure;
use crate::manifest::{UpstreamTransport, Visibility};

/// An upstream MCP server as the gateway has it registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Upstream {
    /// Gateway id.
    pub id: String,
    /// Registration name.
    pub name: String,
    /// URL as stored (ContextForge stores `127.0.0.1` as `localhost`).
    pub url: String,
    /// Transport, when the gateway reports one this crate knows.
    pub transport: Option<UpstreamTransport>,
    /// Description.
    pub description: Option<String>,
    /// Tags (normalized by the gateway).
    pub tags: Vec<String>,
    /// Visibility.
    pub visibility: Option<Visibility>,
    /// Owning team.
    pub team_id: Option<String>,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Whether the gateway's health checks reach it.
    pub reachable: bool,
    /// What kind of credentials the gateway sends it (values are masked by the gateway).
    pub auth: RegisteredAuth,
    /// Version counter (bumped by every update).
    pub version: Option<i64>,
    /// Creation time, as the gateway prints it.
    pub created_at: Option<String>,
}

/// The shape of an upstream's stored credentials; the gateway never returns their values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum RegisteredAuth {
    /// None.
    #[default]
    None,
    /// A bearer token.
    Bearer,
    /// Custom headers, by name.
    Headers {
        /// Header names.
        names: Vec<String>,
    },
    /// Something else (basic, OAuth, query parameter).
    Other {
        /// The gateway's name for it.
        kind: String,
    },
}

/// A virtual server as the gateway has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServer {
    /// Server id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Visibility.
    pub visibility: Option<Visibility>,
    /// Owning team.
    pub team_id: Option<String>,
    /// Ids of the tools it bundles.
    pub tool_ids: Vec<String>,
    /// Whether it is enabled.
    pub enabled: bool,
}

/// A tool the gateway discovered on an upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tool {
    /// Tool id.
    pub id: String,
    /// Its name through the gateway (`utils-add`).
    pub name: String,
    /// The upstream's own name for it (`add`).
    pub original_name: String,
    /// The upstream it belongs to.
    pub upstream_id: Option<String>,
    /// Whether it is enabled.
    pub enabled: bool,
}

/// What the registry wants registered for one upstream. Credentials are not here: they are read from the
/// environment when applying and passed beside the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpstreamSpec {
    /// Registration name.
    pub name: String,
    /// URL the gateway dials.
    pub url: String,
    /// Transport.
    pub transport: UpstreamTransport,
    /// Description, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags, the ownership tag included.
    pub tags: Vec<String>,
    /// Whether the declared tags are the whole set (`false`: only the ownership tag is required).
    #[serde(default)]
    pub exact_tags: bool,
    /// Visibility, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Team, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Credentials, by environment variable name, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<crate::manifest::UpstreamAuth>,
}

/// The fields of an upstream an update changes (absent: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpstreamPatch {
    /// New URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<UpstreamTransport>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New tag set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// New visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// New team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Whether the credentials are (re)sent.
    #[serde(default)]
    pub auth: bool,
}

impl UpstreamPatch {
    /// Whether the patch changes nothing (and so must not be sent: every update reconnects the upstream).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What the registry wants for one virtual server, with its tools resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServerSpec {
    /// Name.
    pub name: String,
    /// Description, when declared.
    pub description: Option<String>,
    /// Tags, the ownership tag included.
    pub tags: Vec<String>,
    /// Visibility, when declared.
    pub visibility: Option<Visibility>,
    /// Team, when declared.
    pub team_id: Option<String>,
    /// Tool ids.
    pub tool_ids: Vec<String>,
}

/// The fields of a virtual server an update changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServerPatch {
    /// New description.
    pub description: Option<String>,
    /// New tag set.
    pub tags: Option<Vec<String>>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New tool set.
    pub tool_ids: Option<Vec<String>>,
}

/// Credentials for an upstream, read from the environment when applying. `Debug` prints no value.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// None.
    #[default]
    None,
    /// A bearer token.
    Bearer(SecretString),
    /// Headers and their values.
    Headers(Vec<(String, SecretString)>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bearer(_) => f.write_str("Bearer([REDACTED])"),
            Self::Headers(headers) => f
                .debug_list()
                .entries(
                    headers
                        .iter()
                        .map(|(name, _)| format!("{name}: [REDACTED]")),
                )
                .finish(),
        }
    }
}

impl Credentials {
    /// The header values, for an implementation that sends them.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        match self {
            Self::None => Vec::new(),
            Self::Bearer(token) => vec![("Authorization", token.expose_secret())],
            Self::Headers(headers) => headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.expose_secret()))
                .collect(),
        }
    }
}

/// Where a tool call goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "via")]
#[non_exhaustive]
pub enum CallRoute {
    /// `POST /rpc`, by the tool's gateway name.
    Rpc,
    /// A virtual server's MCP endpoint.
    VirtualServer {
        /// The virtual server's id.
        id: String,
    },
}

/// A tool's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolOutput {
    /// The text content, joined.
    pub text: String,
    /// Structured content, when the tool returned some.
    pub structured: Option<Value>,
    /// Whether the tool reported failure.
    pub is_error: bool,
}

/// A gateway the engine can read and write. Each method is one logical call; implementations page through
/// listings themselves and map every failure to a [`GatewayFailure`] whose [`kind`](GatewayFailure::kind) says
/// whether the call may have taken effect.
///
/// Implementations may retry idempotent calls (reads, updates, deletes) but never a create: the engine decides
/// whether to send a create again, after looking.
pub trait Gateway: Send + Sync {
    /// Every registered upstream (all pages, disabled ones included).
    fn list_upstreams(&self) -> impl Future<Output = Result<Vec<Upstream>, GatewayFailure>> + Send;

    /// Every virtual server (all pages).
    fn list_virtual_servers(
        &self,
    ) -> impl Future<Output = Result<Vec<VirtualServer>, GatewayFailure>> + Send;

    /// Every tool, or the tools of one upstream (all pages).
    fn list_tools(
        &self,
        upstream_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Tool>, GatewayFailure>> + Send;

    /// Registers an upstream (the gateway connects to it and discovers its tools before answering).
    fn create_upstream(
        &self,
        spec: &UpstreamSpec,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Upstream, GatewayFailure>> + Send;

    /// Updates an upstream (the gateway reconnects to it).
    fn update_upstream(
        &self,
        id: &str,
        patch: &UpstreamPatch,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Upstream, GatewayFailure>> + Send;

    /// Deletes an upstream and its tools.
    fn delete_upstream(&self, id: &str) -> impl Future<Output = Result<(), GatewayFailure>> + Send;

    /// Creates a virtual server.
    fn create_virtual_server(
        &self,
        spec: &VirtualServerSpec,
    ) -> impl Future<Output = Result<VirtualServer, GatewayFailure>> + Send;

    /// Updates a virtual server.
    fn update_virtual_server(
        &self,
        id: &str,
        patch: &VirtualServerPatch,
    ) -> impl Future<Output = Result<VirtualServer, GatewayFailure>> + Send;

    /// Deletes a virtual server.
    fn delete_virtual_server(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), GatewayFailure>> + Send;

    /// The names of the tools a virtual server offers over MCP (`tools/list`, every page).
    fn list_virtual_server_tools(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<String>, GatewayFailure>> + Send;

    /// Calls a tool by its gateway name. A tool that reports failure is `Ok` with
    /// [`ToolOutput::is_error`] set.
    fn call_tool(
        &self,
        route: &CallRoute,
        tool: &str,
        arguments: &Value,
    ) -> impl Future<Output = Result<ToolOutput, GatewayFailure>> + Send;
}

/// A shared reference to a gateway is a gateway (several registries can share one).
impl<G: Gateway + ?Sized> Gateway for &G {
    fn list_upstreams(&self) -> impl Future<Output = Result<Vec<Upstream>, GatewayFailure>> + Send {
        (**self).list_upstreams()
    }

    fn list_virtual_servers(
        &self,
    ) -> impl Future<Output = Result<Vec<VirtualServer>, GatewayFailure>> + Send {
        (**self).list_virtual_servers()
    }

    fn list_tools(
        &self,
        upstream_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Tool>, GatewayFailure>> + Send {
        (**self).list_tools(upstream_id)
    }

    fn create_upstream(
        &self,
        spec: &UpstreamSpec,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Upstream, GatewayFailure>> + Send {
        (**self).create_upstream(spec, credentials)
    }

    fn update_upstream(
        &self,
        id: &str,
        patch: &UpstreamPatch,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Upstream, GatewayFailure>> + Send {
        (**self).update_upstream(id, patch, credentials)
    }

    fn delete_upstream(&self, id: &str) -> impl Future<Output = Result<(), GatewayFailure>> + Send {
        (**self).delete_upstream(id)
    }

    fn create_virtual_server(
        &self,
        spec: &VirtualServerSpec,
    ) -> impl Future<Output = Result<VirtualServer, GatewayFailure>> + Send {
        (**self).create_virtual_server(spec)
    }

    fn update_virtual_server(
        &self,
        id: &str,
        patch: &VirtualServerPatch,
    ) -> impl Future<Output = Result<VirtualServer, GatewayFailure>> + Send {
        (**self).update_virtual_server(id, patch)
    }

    fn delete_virtual_server(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), GatewayFailure>> + Send {
        (**self).delete_virtual_server(id)
    }

    fn list_virtual_server_tools(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<String>, GatewayFailure>> + Send {
        (**self).list_virtual_server_tools(id)
    }

    fn call_tool(
        &self,
        route: &CallRoute,
        tool: &str,
        arguments: &Value,
    ) -> impl Future<Output = Result<ToolOutput, GatewayFailure>> + Send {
        (**self).call_tool(route, tool, arguments)
    }
}
