//! What tests and benchmarks read back from the gateway through `mcpfleet-gateway-client`.

use std::time::Duration;

use mcpfleet_gateway_client::{Client, GatewayRead, RetryPolicy};

/// A client of the gateway at `url` acting with `token`, without retries (a test sees every answer) and with a
/// 60 s timeout.
pub fn client(url: &str, token: &str) -> Client {
    Client::builder()
        .base_url(url)
        .bearer_token(token)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|e| panic!("a client of {url}: {e}"))
}

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
