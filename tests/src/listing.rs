//! What tests and benchmarks read back from the gateway through `mcpfleet-gateway-client`.

use mcpfleet_gateway_client::{Client, GatewayRead};

/// Every upstream registration, enabled or not, whose name starts with `prefix` (the gateway has no name filter,
/// so this reads every page).
pub async fn registrations_named(
    client: &Client,
    prefix: &str,
) -> mcpfleet_gateway_client::Result<Vec<GatewayRead>> {
    let all = client
        .gateways()
        .list()
        .limit(500)
        .include_inactive(true)
        .all()
        .await?;
    Ok(all
        .into_iter()
        .filter(|gateway| gateway.name.starts_with(prefix))
        .collect())
}
