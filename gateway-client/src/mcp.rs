//! Calling tools through a virtual server's MCP endpoint with the official Rust MCP SDK (feature `mcp`).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::{ClientInitializeError, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, HttpStatusError, InsufficientScopeError,
    StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::{RoleClient, ServiceExt};
use secrecy::ExposeSecret;

use crate::api::Servers;
use crate::client::{Request, status_error};
use crate::error::{Error, JsonRpcError, Result, ToolFailure};
use crate::operation::Operation;
use crate::types::ToolResult;

/// An MCP session with one virtual server's endpoint (`/v1/virtual-servers/{id}/mcp`), speaking MCP
/// streamable HTTP through [`rmcp`]. Open it with [`Servers::connect_mcp`].
///
/// The gateway's endpoint is stateless JSON by default: no `Mcp-Session-Id`, one upstream session per call.
/// Tool problems the MCP endpoint reports as results (unknown or unassociated tool, invalid arguments, a
/// tool that raised) become [`Error::ToolFailed`]; a JSON-RPC error (e.g. access denied, code 0) becomes
/// [`Error::JsonRpc`].
pub struct McpSession {
    service: RunningService<RoleClient, ()>,
    endpoint: String,
    timeout: Option<Duration>,
}

impl fmt::Debug for McpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpSession")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Servers<'_> {
    /// Opens an MCP session with a virtual server (runs `initialize`). The client's bearer token is sent
    /// through rmcp's auth-header setting and its connection pool is reused.
    ///
    /// Operation id: `tools.call_mcp` (the session's calls). Needs `servers.use`.
    #[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
    pub async fn connect_mcp(&self, server_id: &str) -> Result<McpSession> {
        let client = self.client();
        let endpoint = self.mcp_url(server_id)?;
        let mut config = StreamableHttpClientTransportConfig::with_uri(endpoint.clone());
        if let Some(token) = client.bearer() {
            config = config.auth_header(token.expose_secret().to_owned());
        }
        let transport = StreamableHttpClientTransport::with_client(client.http().clone(), config);
        let timeout = client.request_timeout();
        let service = with_timeout(timeout, ().serve(transport))
            .await
            .map_err(|elapsed| mcp_error(&endpoint, "initializing".to_owned(), Box::new(elapsed)))?
            .map_err(|e| classify(&endpoint, "initializing".to_owned(), Box::new(e)))?;
        Ok(McpSession {
            service,
            endpoint,
            timeout,
        })
    }
}

impl McpSession {
    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The underlying rmcp peer, for anything this wrapper does not cover (resources, prompts, …).
    pub fn peer(&self) -> &rmcp::Peer<RoleClient> {
        self.service.peer()
    }

    /// The server's tools (only those associated with the virtual server).
    ///
    /// Operation id: `tools.list_mcp`. Needs `servers.use` and `tools.read` (a token with `tools.execute` alone
    /// may call tools it already knows but not list them).
    pub async fn list_tools(&self) -> Result<Vec<Tool>> {
        let stage = "listing tools".to_owned();
        with_timeout(self.timeout, self.service.list_all_tools())
            .await
            .map_err(|elapsed| mcp_error(&self.endpoint, stage.clone(), Box::new(elapsed)))?
            .map_err(|e| self.service_error(stage, None, e))
    }

    /// Calls a tool by its gateway name. `arguments` must serialize to a JSON object (or `null`).
    ///
    /// Operation id: `tools.call_mcp`. Needs `servers.use` and `tools.execute`.
    pub async fn call_tool<A: serde::Serialize + ?Sized>(
        &self,
        name: &str,
        arguments: &A,
    ) -> Result<ToolResult> {
        let arguments = crate::api::arguments_object(Operation::ToolsCallMcp, arguments)?;
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        let stage = format!("calling tool `{name}`");
        let result = with_timeout(self.timeout, self.service.call_tool(params))
            .await
            .map_err(|elapsed| mcp_error(&self.endpoint, stage.clone(), Box::new(elapsed)))?
            .map_err(|e| self.service_error(stage.clone(), Some(name), e))?;
        // rmcp's result and ours describe the same JSON; going through it keeps one ToolResult type.
        let value = serde_json::to_value(&result)
            .map_err(|e| mcp_error(&self.endpoint, stage.clone(), Box::new(e)))?;
        let result: ToolResult = serde_json::from_value(value)
            .map_err(|e| mcp_error(&self.endpoint, stage, Box::new(e)))?;
        if result.is_error {
            return Err(Error::ToolFailed(Box::new(ToolFailure {
                tool: name.to_owned(),
                result,
                body: None,
            })));
        }
        Ok(result)
    }

    /// Ends the session.
    pub async fn close(mut self) -> Result<()> {
        self.service
            .close()
            .await
            .map(drop)
            .map_err(|e| mcp_error(&self.endpoint, "closing".to_owned(), Box::new(e)))
    }

    fn service_error(&self, stage: String, tool: Option<&str>, err: rmcp::ServiceError) -> Error {
        match err {
            rmcp::ServiceError::McpError(data) => Error::JsonRpc(Box::new(JsonRpcError {
                rpc_method: if tool.is_some() {
                    "tools/call"
                } else {
                    "tools/list"
                }
                .to_owned(),
                tool: tool.map(str::to_owned),
                code: i64::from(data.code.0),
                message: data.message.to_string(),
                body: serde_json::to_string(&data).unwrap_or_default(),
                data: data.data,
                status: StatusCode::OK,
            })),
            other => classify(&self.endpoint, stage, Box::new(other)),
        }
    }
}

impl Servers<'_> {
    fn mcp_request(endpoint: &str) -> Request {
        let path = reqwest::Url::parse(endpoint)
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| endpoint.to_owned());
        Request::new(Operation::ToolsCallMcp, Method::POST, path)
    }
}

async fn with_timeout<F: Future>(
    timeout: Option<Duration>,
    future: F,
) -> std::result::Result<F::Output, tokio::time::error::Elapsed> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, future).await,
        None => Ok(future.await),
    }
}

fn mcp_error(
    endpoint: &str,
    stage: String,
    source: Box<dyn std::error::Error + Send + Sync>,
) -> Error {
    Error::Mcp {
        endpoint: endpoint.to_owned(),
        stage,
        source,
    }
}

/// Maps an HTTP refusal buried in rmcp's error chain to the same typed errors the REST calls use.
fn classify(endpoint: &str, stage: String, err: Box<dyn std::error::Error + Send + Sync>) -> Error {
    let mut answer: Option<(StatusCode, Option<Duration>, String)> = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err.as_ref());
    // rmcp's initialize error holds the transport error in a field that is not its `source()`.
    if let Some(ClientInitializeError::TransportError { error, .. }) =
        err.downcast_ref::<ClientInitializeError>()
    {
        current = Some(error);
    }
    while let Some(e) = current {
        if let Some(auth) = e.downcast_ref::<AuthRequiredError>() {
            answer = Some((
                StatusCode::UNAUTHORIZED,
                None,
                auth.www_authenticate_header.clone(),
            ));
            break;
        }
        if let Some(scope) = e.downcast_ref::<InsufficientScopeError>() {
            answer = Some((
                StatusCode::FORBIDDEN,
                None,
                scope.www_authenticate_header.clone(),
            ));
            break;
        }
        if let Some(http) = e.downcast_ref::<HttpStatusError>() {
            if let Ok(status) = StatusCode::from_u16(http.status) {
                let retry_after = http
                    .retry_after
                    .as_deref()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                answer = Some((status, retry_after, String::new()));
            }
            break;
        }
        if let Some(StreamableHttpError::UnexpectedServerResponse(message)) =
            e.downcast_ref::<StreamableHttpError<reqwest::Error>>()
        {
            answer = parse_unexpected_response(message);
            break;
        }
        current = e.source();
    }
    match answer {
        Some((status, retry_after, body)) => {
            status_error(&Servers::mcp_request(endpoint), status, retry_after, body)
        }
        None => mcp_error(endpoint, stage, err),
    }
}

/// rmcp reports other refusals as `HTTP 404 Not Found: {"detail":"Server not found"}`; recover the status
/// and the gateway's body from that text.
fn parse_unexpected_response(message: &str) -> Option<(StatusCode, Option<Duration>, String)> {
    let rest = message.strip_prefix("HTTP ")?;
    let status = StatusCode::from_u16(rest.get(..3)?.parse().ok()?).ok()?;
    let body = rest
        .split_once(": ")
        .map(|(_, body)| body)
        .unwrap_or_default();
    Some((status, None, body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_status_and_body_from_rmcp_text() {
        let (status, _, body) =
            parse_unexpected_response(r#"HTTP 404 Not Found: {"detail":"Server not found"}"#)
                .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"detail":"Server not found"}"#);
        assert!(parse_unexpected_response("invalid www-authenticate header value").is_none());
    }
}
