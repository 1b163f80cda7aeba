//! Tools discovered from upstream MCP servers, and the results of calling them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Tag, Visibility};
use super::extra::Extra;

/// A tool, as `GET /v1/tools` returns it (camelCase on the wire).
///
/// Call it by [`ToolRead::name`] (the gateway's federated name). To find a tool from what you registered,
/// match [`ToolRead::gateway_id`] and [`ToolRead::original_name`] (see [`crate::Tools::resolve`]) rather
/// than rebuilding the name: the gateway's slug rule is lossy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolRead {
    /// 32-hex id; virtual servers reference tools by this id.
    pub id: String,
    /// The gateway's name for the tool: `slug(gateway name)` + separator + `slug(tool name)`.
    pub name: String,
    /// The name the upstream MCP server uses.
    pub original_name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Custom name (defaults to the original name).
    #[serde(default)]
    pub custom_name: Option<String>,
    /// Slug of the custom name.
    #[serde(default)]
    pub custom_name_slug: Option<String>,
    /// Slug of the owning gateway's name.
    #[serde(default)]
    pub gateway_slug: Option<String>,
    /// The owning gateway (absent for REST tools created directly).
    #[serde(default)]
    pub gateway_id: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[serde(default)]
    pub input_schema: Value,
    /// JSON Schema of the structured result, if the tool declares one.
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// MCP tool annotations.
    #[serde(default)]
    pub annotations: Option<Value>,
    /// `STREAMABLEHTTP`, `SSE`, or an HTTP method for REST tools.
    #[serde(default)]
    pub request_type: Option<String>,
    /// `MCP` for federated tools.
    #[serde(default)]
    pub integration_type: Option<String>,
    /// The upstream URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Whether the tool is enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Whether its upstream was reachable at the last check.
    #[serde(default)]
    pub reachable: bool,
    /// Owning team.
    #[serde(default)]
    pub team_id: Option<String>,
    /// Visibility.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Every other field, minus credentials.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One tool of a JSON-RPC `tools/list` answer (`POST /rpc`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RpcTool {
    /// The gateway's name for the tool.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[serde(default)]
    pub input_schema: Value,
    /// JSON Schema of the structured result.
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// MCP tool annotations.
    #[serde(default)]
    pub annotations: Option<Value>,
}

/// One block of a tool result's `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// A base64 image.
    Image {
        /// Base64 data.
        data: String,
        /// MIME type.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// Base64 audio.
    Audio {
        /// Base64 data.
        data: String,
        /// MIME type.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// A link to a resource.
    ResourceLink {
        /// Resource URI.
        uri: String,
        /// Resource name.
        #[serde(default)]
        name: Option<String>,
    },
    /// An embedded resource.
    Resource {
        /// The resource object.
        resource: Value,
    },
    /// A block type this client does not know.
    #[serde(other)]
    Other,
}

/// The result of a `tools/call`.
///
/// Calls through this crate return it only when `is_error` is false; a failing tool becomes
/// [`crate::Error::ToolFailed`], which carries the result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolResult {
    /// Content blocks.
    #[serde(default)]
    pub content: Vec<Content>,
    /// Structured result, for tools that declare an output schema (e.g. `{"result": 5}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// Whether the tool reported failure.
    #[serde(default)]
    pub is_error: bool,
    /// `_meta` (the gateway adds upstream server info here).
    #[serde(default, rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

impl ToolResult {
    /// The text blocks joined with newlines (empty if there are none).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|c| match c {
                Content::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rpc_result_with_unknown_blocks() {
        let r: ToolResult = serde_json::from_str(
            r#"{"content":[{"type":"text","text":"5"},{"type":"hologram","x":1}],"isError":false,"structuredContent":{"result":5},"_meta":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(r.text(), "5");
        assert_eq!(r.content[1], Content::Other);
        assert_eq!(r.structured_content.unwrap()["result"], 5);
    }
}
