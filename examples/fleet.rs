//! Fleet walkthrough (first version): start a real ContextForge gateway and three script-based MCP servers, register
//! them, list their tools and call one through the gateway.
//!
//! ```text
//! cargo run -p mcpfleet-examples --example fleet
//! ```
//!
//! Everything runs on loopback and is stopped when the example ends. Later versions of this walkthrough drive the
//! same steps through `mcpfleet-registry` (manifest → plan → apply → verify) with a least-privilege token.

use mcpfleet_harness::{Fixtures, Gateway, GatewayOptions};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "starting ContextForge and the fixture servers (the first run also installs them, about a minute)..."
    );
    let gateway =
        tokio::task::spawn_blocking(|| Gateway::start(GatewayOptions::default())).await??;
    let gateway = std::sync::Arc::new(gateway);
    let fixtures = {
        let gateway = gateway.clone();
        tokio::task::spawn_blocking(move || Fixtures::start(&gateway)).await??
    };
    let token = gateway.admin_token();
    println!("gateway: {}", gateway.url());

    for server in fixtures.all() {
        let body = json!({"name": server.name, "url": server.url, "transport": server.transport});
        let created = gateway
            .request_ok(
                Method::POST,
                "/v1/gateways",
                Some(token),
                Some(&body),
                &[200],
            )
            .await?;
        println!(
            "registered {:<8} {:<14} {} -> id {}",
            server.name,
            server.transport,
            server.url,
            created["id"].as_str().unwrap_or("?")
        );
    }

    let tools = gateway
        .request_ok(Method::GET, "/v1/tools?limit=0", Some(token), None, &[200])
        .await?;
    let tools = tools.as_array().cloned().unwrap_or_default();
    println!("{} tools behind the gateway:", tools.len());
    for tool in &tools {
        println!(
            "  {:<24} (upstream {}: {})",
            text(&tool["name"]),
            text(&tool["gatewaySlug"]),
            text(&tool["originalName"])
        );
    }

    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "utils-add", "arguments": {"a": 10, "b": 5}}});
    let answer = gateway
        .request_ok(Method::POST, "/rpc", Some(token), Some(&call), &[200])
        .await?;
    println!(
        "utils-add(10, 5) through the gateway = {}",
        text(&answer["result"]["content"][0]["text"])
    );
    Ok(())
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}
