//! `client.gateways()`: upstream MCP servers.

use reqwest::Method;

use super::item_path;
use crate::client::{Client, Request};
use crate::error::Result;
use crate::operation::Operation;
use crate::pagination::ListBuilder;
use crate::types::{
    GatewayCreate, GatewayRead, GatewayUpdate, RefreshReport, StateChange, StatusMessage,
};

const COLLECTION: &str = "/v1/gateways";

/// Upstream MCP servers ("gateways") registered with ContextForge. Get it from [`Client::gateways`].
#[derive(Debug, Clone, Copy)]
pub struct Gateways<'c> {
    client: &'c Client,
}

impl<'c> Gateways<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Gateways { client }
    }

    /// Lists gateways, 50 a page unless you set a limit.
    ///
    /// Operation id: `gateways.list`. Needs `gateways.read`.
    pub fn list(&self) -> ListBuilder<'c, GatewayRead> {
        ListBuilder::new(self.client, Operation::GatewaysList, COLLECTION.to_owned())
    }

    /// One gateway; [`crate::Error::NotFound`] if the id is unknown.
    ///
    /// Operation id: `gateways.get`. Needs `gateways.read`.
    pub async fn get(&self, id: &str) -> Result<GatewayRead> {
        let path = item_path(Operation::GatewaysGet, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(Operation::GatewaysGet, Method::GET, path))
            .await
    }

    /// Registers an upstream MCP server. The gateway connects to it and discovers its tools before
    /// answering.
    ///
    /// Errors: [`crate::Error::Conflict`] for a duplicate name or URL, [`crate::Error::UpstreamUnreachable`]
    /// when the upstream cannot be reached or fails the MCP handshake, [`crate::Error::Validation`] for a
    /// bad name, URL or transport. **Never retried** (see [`crate::RetryPolicy`]): the gateway has no lock
    /// against duplicate creates.
    ///
    /// Operation id: `gateways.create`. Needs `gateways.create`.
    pub async fn create(&self, gateway: &GatewayCreate) -> Result<GatewayRead> {
        let request = Request::new(
            Operation::GatewaysCreate,
            Method::POST,
            COLLECTION.to_owned(),
        )
        .json(gateway)?;
        self.client.execute(request).await
    }

    /// Changes the fields set in `update`. The gateway reconnects to the upstream and bumps `version`.
    ///
    /// Operation id: `gateways.update`. Needs `gateways.update`.
    pub async fn update(&self, id: &str, update: &GatewayUpdate) -> Result<GatewayRead> {
        let path = item_path(Operation::GatewaysUpdate, COLLECTION, id, "")?;
        let request = Request::new(Operation::GatewaysUpdate, Method::PUT, path).json(update)?;
        self.client.execute(request).await
    }

    /// Deletes a gateway and its tools.
    ///
    /// Operation id: `gateways.delete`. Needs `gateways.delete`.
    pub async fn delete(&self, id: &str) -> Result<StatusMessage> {
        let path = item_path(Operation::GatewaysDelete, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(
                Operation::GatewaysDelete,
                Method::DELETE,
                path,
            ))
            .await
    }

    /// Enables or disables a gateway. A disabled gateway's tools answer "Tool not found".
    ///
    /// Operation id: `gateways.set_state`. Needs `gateways.update`.
    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<StateChange> {
        let path = item_path(Operation::GatewaysSetState, COLLECTION, id, "/state")?;
        let request = Request::new(Operation::GatewaysSetState, Method::POST, path)
            .query("activate", enabled);
        self.client.execute(request).await
    }

    /// Enables a gateway; see [`Gateways::set_enabled`].
    ///
    /// Operation id: `gateways.set_state`.
    pub async fn enable(&self, id: &str) -> Result<StateChange> {
        self.set_enabled(id, true).await
    }

    /// Disables a gateway; see [`Gateways::set_enabled`].
    ///
    /// Operation id: `gateways.set_state`.
    pub async fn disable(&self, id: &str) -> Result<StateChange> {
        self.set_enabled(id, false).await
    }

    /// Re-discovers the upstream's tools (updates and state changes do not).
    ///
    /// Operation id: `gateways.refresh_tools`. Needs `gateways.update`.
    pub async fn refresh_tools(&self, id: &str) -> Result<RefreshReport> {
        let path = item_path(
            Operation::GatewaysRefreshTools,
            COLLECTION,
            id,
            "/tools/refresh",
        )?;
        self.client
            .execute(Request::new(
                Operation::GatewaysRefreshTools,
                Method::POST,
                path,
            ))
            .await
    }
}
