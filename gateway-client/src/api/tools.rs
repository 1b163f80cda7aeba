//! `client.tools()`: the tool catalogue, and calling tools through `POST /rpc`.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::TryStreamExt;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::item_path;
use crate::client::{Client, Request, decode};
use crate::error::{Error, JsonRpcError, Result, ToolFailure};
use crate::operation::Operation;
use crate::pagination::ListBuilder;
use crate::types::{RpcTool, ToolRead, ToolResult};

const COLLECTION: &str = "/v1/tools";

/// JSON-RPC ids only need to be unique per connection; a process-wide counter is simplest.
static NEXT_RPC_ID: AtomicU64 = AtomicU64::new(1);

/// Tools discovered from registered gateways. Get it from [`Client::tools`].
#[derive(Debug, Clone, Copy)]
pub struct Tools<'c> {
    client: &'c Client,
}

#[derive(Serialize)]
struct RpcRequest<'a, P: Serialize> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: P,
}

#[derive(Serialize)]
struct CallParams<'a> {
    name: &'a str,
    arguments: &'a Map<String, Value>,
}

#[derive(Deserialize)]
struct RpcResponse<T> {
    #[serde(default = "none")]
    result: Option<T>,
    #[serde(default)]
    error: Option<RpcErrorObject>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
struct RpcErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Deserialize)]
struct ToolList {
    tools: Vec<RpcTool>,
}

impl<'c> Tools<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Tools { client }
    }

    /// Lists tools, 50 a page unless you set a limit; filter with
    /// [`ListBuilder::gateway_id`](crate::ListBuilder::gateway_id) or tags.
    ///
    /// Operation id: `tools.list`. Needs `tools.read`.
    pub fn list(&self) -> ListBuilder<'c, ToolRead> {
        ListBuilder::new(self.client, Operation::ToolsList, COLLECTION.to_owned())
    }

    /// Lists the tools of one gateway (`GET /v1/tools?gateway_id=…`).
    ///
    /// Operation id: `tools.list`. Needs `tools.read`.
    pub fn list_by_gateway(&self, gateway_id: impl Into<String>) -> ListBuilder<'c, ToolRead> {
        self.list().gateway_id(gateway_id)
    }

    /// One tool.
    ///
    /// Operation id: `tools.get`. Needs `tools.read`.
    pub async fn get(&self, id: &str) -> Result<ToolRead> {
        let path = item_path(Operation::ToolsGet, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(Operation::ToolsGet, Method::GET, path))
            .await
    }

    /// Finds the tool an upstream calls `original_name` on gateway `gateway_id`, from the gateway's
    /// listing (`gatewayId` + `originalName`) rather than by rebuilding the gateway's lossy slug rule.
    /// [`Error::ToolNotResolved`] if there is none. Disabled tools are included (check
    /// [`ToolRead::enabled`](crate::ToolRead)), so that a verifier can tell "disabled" from "missing".
    ///
    /// Operation id: `tools.list`.
    pub async fn resolve(&self, gateway_id: &str, original_name: &str) -> Result<ToolRead> {
        let mut tools = std::pin::pin!(
            self.list_by_gateway(gateway_id)
                .include_inactive(true)
                .stream()
        );
        while let Some(tool) = tools.try_next().await? {
            if tool.original_name == original_name && tool.gateway_id.as_deref() == Some(gateway_id)
            {
                return Ok(tool);
            }
        }
        Err(Error::ToolNotResolved {
            gateway_id: gateway_id.to_owned(),
            original_name: original_name.to_owned(),
        })
    }

    /// Calls a tool by its gateway name through `POST /rpc` (JSON-RPC `tools/call`).
    ///
    /// `arguments` must serialize to a JSON object (or `null` / `()` for none). The gateway answers HTTP 200
    /// even when the call fails; this method turns that into errors:
    /// - a JSON-RPC `error` → [`Error::JsonRpc`] (`-32601` unknown tool, `-32603` arguments that fail the
    ///   input schema, `-32003` access denied);
    /// - a result with `isError: true` (the tool raised, its upstream is down) → [`Error::ToolFailed`].
    ///
    /// Never retried: a tool may have side effects.
    ///
    /// Operation id: `tools.call_rpc`. Needs `servers.use` and `tools.execute`.
    pub async fn call<A: Serialize + ?Sized>(
        &self,
        name: &str,
        arguments: &A,
    ) -> Result<ToolResult> {
        let arguments = arguments_object(Operation::ToolsCallRpc, arguments)?;
        let params = CallParams {
            name,
            arguments: &arguments,
        };
        let (result, body): (ToolResult, String) = self
            .rpc(Operation::ToolsCallRpc, "tools/call", Some(name), &params)
            .await?;
        if result.is_error {
            return Err(Error::ToolFailed(Box::new(ToolFailure {
                tool: name.to_owned(),
                result,
                body: Some(body),
            })));
        }
        Ok(result)
    }

    /// Lists every tool the caller can see through `POST /rpc` (JSON-RPC `tools/list`).
    ///
    /// Operation id: `tools.list_rpc`. Needs `servers.use`.
    pub async fn list_rpc(&self) -> Result<Vec<RpcTool>> {
        let (list, _): (ToolList, String) = self
            .rpc(Operation::ToolsListRpc, "tools/list", None, &Map::new())
            .await?;
        Ok(list.tools)
    }

    async fn rpc<P: Serialize, T: DeserializeOwned>(
        &self,
        operation: Operation,
        rpc_method: &str,
        tool: Option<&str>,
        params: &P,
    ) -> Result<(T, String)> {
        let envelope = RpcRequest {
            jsonrpc: "2.0",
            id: NEXT_RPC_ID.fetch_add(1, Ordering::Relaxed),
            method: rpc_method,
            params,
        };
        let request = Request::new(operation, Method::POST, "/rpc".to_owned()).json(&envelope)?;
        let answer = self.client.send(&request).await?;
        let response: RpcResponse<T> = decode(&request, answer.status, &answer.body)?;
        match (response.result, response.error) {
            (_, Some(error)) => Err(rpc_error(
                rpc_method,
                tool,
                error,
                answer.status,
                answer.body,
            )),
            (Some(result), None) => Ok((result, answer.body)),
            (None, None) => Err(rpc_error(
                rpc_method,
                tool,
                RpcErrorObject {
                    code: JsonRpcError::INTERNAL_ERROR,
                    message: "the answer has neither `result` nor `error`".to_owned(),
                    data: None,
                },
                answer.status,
                answer.body,
            )),
        }
    }
}

fn rpc_error(
    rpc_method: &str,
    tool: Option<&str>,
    error: RpcErrorObject,
    status: StatusCode,
    body: String,
) -> Error {
    Error::JsonRpc(Box::new(JsonRpcError {
        rpc_method: rpc_method.to_owned(),
        tool: tool.map(str::to_owned),
        code: error.code,
        message: error.message,
        data: error.data,
        status,
        body,
    }))
}

/// Tool arguments as a JSON object; `null` means none.
pub(crate) fn arguments_object<A: Serialize + ?Sized>(
    operation: Operation,
    arguments: &A,
) -> Result<Map<String, Value>> {
    let invalid = |message: String| Error::InvalidRequest {
        operation: operation.as_str(),
        message,
    };
    match serde_json::to_value(arguments) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(invalid(format!(
            "tool arguments must be a JSON object, not {}",
            match other {
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                _ => "this value",
            }
        ))),
        Err(e) => Err(invalid(format!(
            "tool arguments could not be serialized: {e}"
        ))),
    }
}
