//! [`ContextForge`]: the [`Gateway`] implementation on `mcpfleet-gateway-client` (feature `contextforge`).
//!
//! Listings ask for 500 items a page (ContextForge 1.1.0's maximum) and follow `nextCursor`; virtual server
//! tools are listed over MCP with the official SDK, which follows MCP paging (1.1.0 caps those pages at 100).
//! Every client error maps to a [`FailureKind`]: the three 409s of `POST /v1/gateways` are told apart by their
//! message, and a 5xx, timeout or broken connection is [`FailureKind::Ambiguous`] because the write may have
//! happened.

use futures_util::TryStreamExt;
use mcpfleet_gateway_client as client;
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::error::{Error, FailureKind, GatewayCall, GatewayFailure, Result};
use crate::gateway::{
    CallRoute, Credentials, Gateway, RegisteredAuth, Tool, ToolOutput, Upstream, UpstreamPatch,
    UpstreamSpec, VirtualServer, VirtualServerPatch, VirtualServerSpec,
};
use crate::manifest::{Manifest, UpstreamTransport, Visibility};

/// Items per listing page (ContextForge's `PAGINATION_MAX_PAGE_SIZE`).
const PAGE: u32 = 500;

/// A ContextForge gateway reached through `mcpfleet-gateway-client`.
#[derive(Debug, Clone)]
pub struct ContextForge {
    client: client::Client,
}

impl ContextForge {
    /// Wraps a client (its base URL and token are the gateway and the credential the registry uses).
    pub fn new(client: client::Client) -> Self {
        Self { client }
    }

    /// A client for the manifest's gateway, with the token read from the variable the manifest names.
    pub fn from_manifest(manifest: &Manifest) -> Result<Self> {
        let name = &manifest.gateway.token_env;
        let token = std::env::var(name).map_err(|_| Error::MissingEnv {
            name: name.clone(),
            purpose: format!("the token for {}", manifest.gateway.url),
        })?;
        let client = client::Client::builder()
            .base_url(&manifest.gateway.url)
            .bearer_token(token)
            .build()
            .map_err(|err| {
                Error::from(
                    GatewayFailure::new(
                        GatewayCall::ListUpstreams,
                        FailureKind::Rejected,
                        err.to_string(),
                    )
                    .source(err),
                )
            })?;
        Ok(Self::new(client))
    }

    /// The client.
    pub fn client(&self) -> &client::Client {
        &self.client
    }
}

/// Maps a client error to the engine's terms, keeping status, raw body and cause.
fn failure(call: GatewayCall, target: &str, err: client::Error) -> GatewayFailure {
    use client::Error as E;
    let kind = match &err {
        E::Unauthorized(_) => FailureKind::Unauthorized,
        E::Forbidden(_) => FailureKind::Forbidden,
        E::NotFound(_) => FailureKind::NotFound,
        E::Conflict(api) => conflict_kind(&api.message),
        E::BadRequest(_) | E::Validation(_) | E::InvalidRequest { .. } | E::Config { .. } => {
            FailureKind::Rejected
        }
        E::RateLimited(_) => FailureKind::RateLimited,
        E::UpstreamUnreachable(_) => FailureKind::UpstreamUnreachable,
        // The gateway may have done the work before failing or before the answer got back.
        E::Server(_) | E::Timeout { .. } | E::Transport { .. } => FailureKind::Ambiguous,
        E::Decode { .. } if call.is_write() => FailureKind::Ambiguous,
        E::ToolFailed(_) => FailureKind::ToolFailed,
        _ => FailureKind::Protocol,
    };
    let (status, body, message) = match err.api_error() {
        Some(api) => (
            Some(api.status.as_u16()),
            Some(api.body.clone()),
            api.message.clone(),
        ),
        None => (None, None, err.to_string()),
    };
    let mut failure = GatewayFailure::new(call, kind, message).target(target);
    if let (Some(status), Some(body)) = (status, body) {
        failure = failure.answer(status, body);
    }
    failure.source(err)
}

/// An unreachable upstream named as the manifest names it: its name, its URL as declared (ContextForge reports
/// `localhost` for `127.0.0.1`, and says "gateway" for an upstream) and the cause. The gateway's own answer stays
/// in the failure's raw body.
fn unreachable_in_our_words(mut failure: GatewayFailure, name: &str, url: &str) -> GatewayFailure {
    if failure.kind == FailureKind::UpstreamUnreachable {
        const PREFIX: &str = "Failed to initialize gateway at ";
        // The URL it names holds `:` but never `: `.
        let cause = failure
            .message
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(": "))
            .map_or(failure.message.as_str(), |(_, cause)| cause);
        failure.message = format!("the gateway cannot reach `{name}` at {url}: {cause}");
    }
    failure
}

/// `POST /v1/gateways` answers three 409s, told apart only by their message (1.1.0).
fn conflict_kind(message: &str) -> FailureKind {
    let lower = message.to_ascii_lowercase();
    if lower.contains("tool name") || lower.contains("collision") {
        FailureKind::ToolNameCollision
    } else if lower.contains("name already exists") || lower.contains("already exists with name") {
        FailureKind::NameTaken
    } else if lower.contains("gateway already exists") {
        FailureKind::UrlTaken
    } else {
        FailureKind::Conflict
    }
}

fn transport_from(transport: client::Transport) -> Option<UpstreamTransport> {
    match transport {
        client::Transport::StreamableHttp => Some(UpstreamTransport::StreamableHttp),
        client::Transport::Sse => Some(UpstreamTransport::Sse),
        _ => None,
    }
}

fn transport_to(transport: UpstreamTransport) -> client::Transport {
    match transport {
        UpstreamTransport::Sse => client::Transport::Sse,
        _ => client::Transport::StreamableHttp,
    }
}

fn visibility_from(visibility: Option<client::Visibility>) -> Option<Visibility> {
    match visibility? {
        client::Visibility::Private => Some(Visibility::Private),
        client::Visibility::Team => Some(Visibility::Team),
        client::Visibility::Public => Some(Visibility::Public),
        _ => None,
    }
}

fn visibility_to(visibility: Visibility) -> client::Visibility {
    match visibility {
        Visibility::Private => client::Visibility::Private,
        Visibility::Team => client::Visibility::Team,
        _ => client::Visibility::Public,
    }
}

fn upstream(read: client::GatewayRead) -> Upstream {
    let auth = match read.auth_type {
        None | Some(client::AuthType::None) => RegisteredAuth::None,
        Some(client::AuthType::Bearer) => RegisteredAuth::Bearer,
        // The names only: the client never keeps the values (and drops `authHeaders` from `extra`).
        Some(client::AuthType::AuthHeaders) => RegisteredAuth::Headers {
            names: read.auth_header_names.clone(),
        },
        Some(other) => RegisteredAuth::Other {
            kind: format!("{other:?}").to_ascii_lowercase(),
        },
    };
    Upstream {
        id: read.id,
        name: read.name,
        url: read.url,
        transport: transport_from(read.transport),
        description: read.description,
        tags: read.tags.into_iter().map(|t| t.id).collect(),
        visibility: visibility_from(read.visibility),
        team_id: read.team_id,
        enabled: read.enabled,
        reachable: read.reachable,
        auth,
        version: read.version,
        created_at: read.created_at,
    }
}

fn virtual_server(read: client::ServerRead) -> VirtualServer {
    VirtualServer {
        id: read.id,
        name: read.name,
        description: read.description,
        tags: read.tags.into_iter().map(|t| t.id).collect(),
        visibility: visibility_from(read.visibility),
        team_id: read.team_id,
        tool_ids: read.associated_tool_ids,
        enabled: read.enabled,
    }
}

fn tool(read: client::ToolRead) -> Tool {
    Tool {
        id: read.id,
        name: read.name,
        original_name: read.original_name,
        upstream_id: read.gateway_id,
        enabled: read.enabled,
    }
}

fn output(result: &client::ToolResult, is_error: bool) -> ToolOutput {
    ToolOutput {
        text: result.text(),
        structured: result.structured_content.clone(),
        is_error,
    }
}

/// Sets the credentials on a create or update body.
macro_rules! with_credentials {
    ($body:expr, $credentials:expr) => {{
        let mut body = $body;
        match $credentials {
            Credentials::None => {}
            Credentials::Bearer(token) => body = body.bearer_auth(token.expose_secret()),
            Credentials::Headers(headers) => {
                for (name, value) in headers {
                    body = body.auth_header(name.as_str(), value.expose_secret());
                }
            }
        }
        body
    }};
}

impl Gateway for ContextForge {
    async fn list_upstreams(&self) -> std::result::Result<Vec<Upstream>, GatewayFailure> {
        let call = GatewayCall::ListUpstreams;
        self.client
            .gateways()
            .list()
            .limit(PAGE)
            .include_inactive(true)
            .stream()
            .map_ok(upstream)
            .try_collect()
            .await
            .map_err(|e| failure(call, "gateways", e))
    }

    async fn list_virtual_servers(
        &self,
    ) -> std::result::Result<Vec<VirtualServer>, GatewayFailure> {
        let call = GatewayCall::ListVirtualServers;
        self.client
            .servers()
            .list()
            .limit(PAGE)
            .include_inactive(true)
            .stream()
            .map_ok(virtual_server)
            .try_collect()
            .await
            .map_err(|e| failure(call, "servers", e))
    }

    async fn list_tools(
        &self,
        upstream_id: Option<&str>,
    ) -> std::result::Result<Vec<Tool>, GatewayFailure> {
        let call = GatewayCall::ListTools;
        let listing = match upstream_id {
            Some(id) => self.client.tools().list_by_gateway(id),
            None => self.client.tools().list(),
        };
        listing
            .limit(PAGE)
            .include_inactive(true)
            .stream()
            .map_ok(tool)
            .try_collect()
            .await
            .map_err(|e| failure(call, upstream_id.unwrap_or("tools"), e))
    }

    async fn create_upstream(
        &self,
        spec: &UpstreamSpec,
        credentials: &Credentials,
    ) -> std::result::Result<Upstream, GatewayFailure> {
        let mut body = client::GatewayCreate::new(&spec.name, &spec.url)
            .transport(transport_to(spec.transport))
            .tags(spec.tags.iter().cloned());
        if let Some(description) = &spec.description {
            body = body.description(description);
        }
        if let Some(visibility) = spec.visibility {
            body = body.visibility(visibility_to(visibility));
        }
        if let Some(team) = &spec.team_id {
            body = body.team_id(team);
        }
        let body = with_credentials!(body, credentials);
        self.client
            .gateways()
            .create(&body)
            .await
            .map(upstream)
            .map_err(|e| failure(GatewayCall::CreateUpstream, &spec.name, e))
            .map_err(|f| unreachable_in_our_words(f, &spec.name, &spec.url))
    }

    async fn update_upstream(
        &self,
        id: &str,
        patch: &UpstreamPatch,
        credentials: &Credentials,
    ) -> std::result::Result<Upstream, GatewayFailure> {
        let mut body = client::GatewayUpdate::new();
        if let Some(url) = &patch.url {
            body = body.url(url);
        }
        if let Some(transport) = patch.transport {
            body = body.transport(transport_to(transport));
        }
        if let Some(description) = &patch.description {
            body = body.description(description);
        }
        if let Some(tags) = &patch.tags {
            body = body.tags(tags.iter().cloned());
        }
        if let Some(visibility) = patch.visibility {
            body = body.visibility(visibility_to(visibility));
        }
        if let Some(team) = &patch.team_id {
            body = body.team_id(team);
        }
        if patch.auth {
            body = with_credentials!(body, credentials);
        }
        self.client
            .gateways()
            .update(id, &body)
            .await
            .map(upstream)
            .map_err(|e| failure(GatewayCall::UpdateUpstream, id, e))
            .map_err(|f| match &patch.url {
                Some(url) => unreachable_in_our_words(f, id, url),
                None => f,
            })
    }

    async fn delete_upstream(&self, id: &str) -> std::result::Result<(), GatewayFailure> {
        self.client
            .gateways()
            .delete(id)
            .await
            .map(drop)
            .map_err(|e| failure(GatewayCall::DeleteUpstream, id, e))
    }

    async fn create_virtual_server(
        &self,
        spec: &VirtualServerSpec,
    ) -> std::result::Result<VirtualServer, GatewayFailure> {
        let mut body = client::ServerCreate::new(&spec.name)
            .tool_ids(spec.tool_ids.iter().cloned())
            .tags(spec.tags.iter().cloned());
        if let Some(description) = &spec.description {
            body = body.description(description);
        }
        if let Some(visibility) = spec.visibility {
            body = body.visibility(visibility_to(visibility));
        }
        if let Some(team) = &spec.team_id {
            body = body.team_id(team);
        }
        self.client
            .servers()
            .create(&body)
            .await
            .map(virtual_server)
            .map_err(|e| failure(GatewayCall::CreateVirtualServer, &spec.name, e))
    }

    async fn update_virtual_server(
        &self,
        id: &str,
        patch: &VirtualServerPatch,
    ) -> std::result::Result<VirtualServer, GatewayFailure> {
        let mut body = client::ServerUpdate::new();
        if let Some(description) = &patch.description {
            body = body.description(description);
        }
        if let Some(tags) = &patch.tags {
            body = body.tags(tags.iter().cloned());
        }
        if let Some(visibility) = patch.visibility {
            body = body.visibility(visibility_to(visibility));
        }
        if let Some(ids) = &patch.tool_ids {
            body = body.tool_ids(ids.iter().cloned());
        }
        self.client
            .servers()
            .update(id, &body)
            .await
            .map(virtual_server)
            .map_err(|e| failure(GatewayCall::UpdateVirtualServer, id, e))
    }

    async fn delete_virtual_server(&self, id: &str) -> std::result::Result<(), GatewayFailure> {
        self.client
            .servers()
            .delete(id)
            .await
            .map(drop)
            .map_err(|e| failure(GatewayCall::DeleteVirtualServer, id, e))
    }

    async fn list_virtual_server_tools(
        &self,
        id: &str,
    ) -> std::result::Result<Vec<String>, GatewayFailure> {
        let call = GatewayCall::ListVirtualServerTools;
        let session = self
            .client
            .servers()
            .connect_mcp(id)
            .await
            .map_err(|e| failure(call, id, e))?;
        let listed = session.list_tools().await.map_err(|e| failure(call, id, e));
        // Closing is best effort: the gateway's MCP endpoint is stateless by default.
        let _ = session.close().await;
        Ok(listed?.into_iter().map(|t| t.name.to_string()).collect())
    }

    async fn call_tool(
        &self,
        route: &CallRoute,
        tool: &str,
        arguments: &Value,
    ) -> std::result::Result<ToolOutput, GatewayFailure> {
        let call = match route {
            CallRoute::Rpc => GatewayCall::CallTool,
            _ => GatewayCall::CallToolViaVirtualServer,
        };
        let result = match route {
            CallRoute::Rpc => self.client.tools().call(tool, arguments).await,
            CallRoute::VirtualServer { id } => {
                let session = self
                    .client
                    .servers()
                    .connect_mcp(id)
                    .await
                    .map_err(|e| failure(call, tool, e))?;
                let result = session.call_tool(tool, arguments).await;
                let _ = session.close().await;
                result
            }
        };
        match result {
            Ok(result) => Ok(output(&result, false)),
            Err(client::Error::ToolFailed(failed)) => Ok(output(&failed.result, true)),
            Err(err) => Err(failure(call, tool, err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_409s_are_told_apart() {
        assert_eq!(
            conflict_kind("Gateway name already exists"),
            FailureKind::NameTaken
        );
        assert_eq!(
            conflict_kind("Gateway already exists"),
            FailureKind::UrlTaken
        );
        assert_eq!(
            conflict_kind("Gateway tool name conflicts with an existing tool"),
            FailureKind::ToolNameCollision
        );
        assert_eq!(
            conflict_kind("Public Server already exists with name: fleet"),
            FailureKind::NameTaken
        );
        assert_eq!(conflict_kind("something else"), FailureKind::Conflict);
    }
}
