//! Lists what a ContextForge gateway has and calls one tool, through `/rpc` and, when a virtual server is named,
//! through its MCP endpoint.
//!
//! ```text
//! MCPGATEWAY_URL=http://127.0.0.1:4444 MCPGATEWAY_BEARER_TOKEN=… \
//!   cargo run -p mcpfleet-gateway-client --features mcp --example list_and_call -- utils-add '{"a":10,"b":5}' [VIRTUAL_SERVER_ID]
//! ```
//!
//! Every failure is a typed [`Error`]: a token without `tools.execute` gets `Error::JsonRpc` (code -32003), an
//! unknown tool `Error::JsonRpc` (-32601), a tool that raised `Error::ToolFailed`.

use mcpfleet_gateway_client::{Client, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = Client::from_env()?;
    println!("ContextForge {}", client.version().await?.app.version);
    for gateway in client.gateways().list().all().await? {
        println!(
            "upstream {} → {} ({:?})",
            gateway.name, gateway.url, gateway.transport
        );
    }
    let mut args = std::env::args().skip(1);
    let Some(tool) = args.next() else {
        for tool in client.tools().list().all().await? {
            println!("tool {}", tool.name);
        }
        return Ok(());
    };
    let arguments: serde_json::Value = match args.next() {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            eprintln!("arguments must be a JSON object: {e}");
            std::process::exit(2)
        }),
        None => serde_json::json!({}),
    };
    let result = client.tools().call(&tool, &arguments).await?;
    println!("/rpc {tool} = {}", result.text());
    #[cfg(feature = "mcp")]
    if let Some(server) = args.next() {
        let session = client.servers().connect_mcp(&server).await?;
        println!(
            "MCP  {tool} = {}",
            session.call_tool(&tool, &arguments).await?.text()
        );
        session.close().await?;
    }
    Ok(())
}
