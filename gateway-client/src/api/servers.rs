//! `client.servers()`: virtual servers.

use reqwest::Method;

use super::item_path;
use crate::client::{Client, Request};
use crate::error::Result;
use crate::operation::Operation;
use crate::pagination::ListBuilder;
use crate::types::{
    ServerCreate, ServerCreateEnvelope, ServerRead, ServerUpdate, StatusMessage, ToolRead,
};

const COLLECTION: &str = "/v1/servers";

/// Virtual servers: named sets of tools with their own MCP endpoint. Get it from [`Client::servers`].
#[derive(Debug, Clone, Copy)]
pub struct Servers<'c> {
    client: &'c Client,
}

impl<'c> Servers<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Servers { client }
    }

    #[cfg(feature = "mcp")]
    pub(crate) fn client(&self) -> &'c Client {
        self.client
    }

    /// Lists virtual servers, 50 a page unless you set a limit.
    ///
    /// Operation id: `servers.list`. Needs `servers.read`.
    pub fn list(&self) -> ListBuilder<'c, ServerRead> {
        ListBuilder::new(self.client, Operation::ServersList, COLLECTION.to_owned())
    }

    /// One virtual server.
    ///
    /// Operation id: `servers.get`. Needs `servers.read`.
    pub async fn get(&self, id: &str) -> Result<ServerRead> {
        let path = item_path(Operation::ServersGet, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(Operation::ServersGet, Method::GET, path))
            .await
    }

    /// Creates a virtual server. The body is sent wrapped in `{"server": …}` (with `team_id` and
    /// `visibility` repeated at the top level, where the gateway reads them). [`crate::Error::Conflict`]
    /// for a duplicate name, [`crate::Error::Validation`] for tool names instead of ids. Never retried.
    ///
    /// Operation id: `servers.create`. Needs `servers.create`.
    pub async fn create(&self, server: &ServerCreate) -> Result<ServerRead> {
        let envelope = ServerCreateEnvelope {
            server,
            team_id: server.team_id.as_deref(),
            visibility: server.visibility,
        };
        let request = Request::new(
            Operation::ServersCreate,
            Method::POST,
            COLLECTION.to_owned(),
        )
        .json(&envelope)?;
        self.client.execute(request).await
    }

    /// Changes the fields set in `update`.
    ///
    /// Operation id: `servers.update`. Needs `servers.update`.
    pub async fn update(&self, id: &str, update: &ServerUpdate) -> Result<ServerRead> {
        let path = item_path(Operation::ServersUpdate, COLLECTION, id, "")?;
        let request = Request::new(Operation::ServersUpdate, Method::PUT, path).json(update)?;
        self.client.execute(request).await
    }

    /// Deletes a virtual server (its tools stay).
    ///
    /// Operation id: `servers.delete`. Needs `servers.delete`.
    pub async fn delete(&self, id: &str) -> Result<StatusMessage> {
        let path = item_path(Operation::ServersDelete, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(Operation::ServersDelete, Method::DELETE, path))
            .await
    }

    /// The tools associated with a virtual server.
    ///
    /// Operation id: `servers.list_tools`. Needs `servers.read`.
    pub async fn tools(&self, id: &str) -> Result<Vec<ToolRead>> {
        let path = item_path(Operation::ServersListTools, COLLECTION, id, "/tools")?;
        self.client
            .execute(Request::new(Operation::ServersListTools, Method::GET, path))
            .await
    }

    /// The URL of a virtual server's MCP (streamable HTTP) endpoint, built from the client's base URL:
    /// `{base}/v1/virtual-servers/{id}/mcp`. (`/v1/servers/{id}/mcp` does not exist, and the gateway's own
    /// [`ServerRead::url`] uses its `APP_DOMAIN`, which may not be reachable from here.)
    pub fn mcp_url(&self, id: &str) -> Result<String> {
        let path = item_path(Operation::ToolsCallMcp, "/v1/virtual-servers", id, "/mcp")?;
        Ok(self.client.url_for(&path))
    }
}
