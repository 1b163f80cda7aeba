//! Virtual servers: named bundles of tools, each with its own MCP endpoint.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Tag, Visibility};
use super::extra::Extra;

/// Body of `POST /v1/servers` (snake_case on the wire; the client wraps it in `{"server": …}` as the gateway
/// requires).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ServerCreate {
    /// Unique name (per visibility scope).
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Tool **ids** (not names; names are rejected with 422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_tools: Option<Vec<String>>,
    /// Resource ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_resources: Option<Vec<String>>,
    /// Prompt ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_prompts: Option<Vec<String>>,
    /// Who can see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Owning team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

impl ServerCreate {
    /// A virtual server called `name` with no tools yet.
    ///
    /// ```
    /// use mcpfleet_gateway_client::ServerCreate;
    /// let body = ServerCreate::new("fleet").tool_ids(["a547e190882341259886a7af13483fce"]);
    /// assert_eq!(body.associated_tools.as_ref().map(Vec::len), Some(1));
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        ServerCreate {
            name: name.into(),
            description: None,
            icon: None,
            tags: None,
            associated_tools: None,
            associated_resources: None,
            associated_prompts: None,
            visibility: None,
            team_id: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the tools, by tool id (see [`crate::ToolRead::id`]).
    pub fn tool_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.associated_tools = Some(ids.into_iter().map(Into::into).collect());
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

    /// Sets who can see it.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Owns it by a team.
    pub fn team_id(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }
}

/// The wrapper the gateway requires around [`ServerCreate`].
#[derive(Serialize)]
pub(crate) struct ServerCreateEnvelope<'a> {
    pub(crate) server: &'a ServerCreate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) team_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) visibility: Option<Visibility>,
}

/// Body of `PUT /v1/servers/{id}` (camelCase on the wire): only the fields set are changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServerUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// New tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// New tool ids (replace the old set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_tools: Option<Vec<String>>,
    /// New resource ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_resources: Option<Vec<String>>,
    /// New prompt ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_prompts: Option<Vec<String>>,
    /// New visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// New team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

impl ServerUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the server.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces the tools, by id.
    pub fn tool_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.associated_tools = Some(ids.into_iter().map(Into::into).collect());
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

    /// Sets who can see it.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }
}

/// A virtual server, as `GET /v1/servers/{id}` returns it (camelCase on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServerRead {
    /// 32-hex id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Icon URL.
    #[serde(default)]
    pub icon: Option<String>,
    /// Whether it is enabled.
    #[serde(default)]
    pub enabled: bool,
    /// The MCP URL the gateway advertises, built from its `APP_DOMAIN` setting (`http://localhost:4444`
    /// by default) and the legacy `/servers/{id}/mcp` path. Prefer [`crate::Servers::mcp_url`], which is
    /// built from the client's base URL and the versioned path.
    #[serde(default)]
    pub url: Option<String>,
    /// Names of the associated tools.
    #[serde(default)]
    pub associated_tools: Vec<String>,
    /// Ids of the associated tools.
    #[serde(default)]
    pub associated_tool_ids: Vec<String>,
    /// Associated resources.
    #[serde(default)]
    pub associated_resources: Vec<String>,
    /// Associated prompts.
    #[serde(default)]
    pub associated_prompts: Vec<String>,
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
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Every other field, minus credentials.
    #[serde(flatten)]
    pub extra: Extra,
}
