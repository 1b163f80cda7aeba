//! The generated MCP client configurations work as written: a real MCP client (rmcp) reads each one, resolves its
//! token reference the way the client would, lists the virtual server's tools and calls one — over streamable
//! HTTP for VS Code, Cursor and the generic `mcp.json`, and through the stdio bridge Claude Desktop launches. The
//! caller token those files expect is refused everything else.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use mcpfleet_gateway_client::Client;
use mcpfleet_harness::{FixtureKind, FixtureServer, Gateway, Python, Venv, with_cleanup};
use mcpfleet_registry::clients::{
    ClientEntry, ClientTarget, McpClient, STDIO_BRIDGE, client_configs,
};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Format, Manifest, Mode, Registry, caller_token, token_create,
};
use reqwest::Method;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};

const TOKEN_ENV: &str = "MCPFLEET_CALLER_TOKEN";

/// This module's own `utils` server (the gateway takes one registration per URL).
fn utils() -> &'static FixtureServer {
    static UTILS: OnceLock<FixtureServer> = OnceLock::new();
    UTILS.get_or_init(|| {
        FixtureServer::spawn(FixtureKind::Utils, Gateway::shared()).expect("utils fixture")
    })
}

fn admin() -> Client {
    let gateway = Gateway::shared();
    Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .build()
        .unwrap()
}

fn fleet_registry(fleet: &str, with_servers: bool) -> Registry<ContextForge> {
    let gateway = Gateway::shared();
    let servers = if with_servers {
        format!(
            r#"servers:
  - {{name: {fleet}-utils, url: "{url}", transport: streamable-http, expected_tools: [add, now, uuid4, fail]}}
virtual_servers:
  - {{name: {fleet}-vs, tools: [{{server: {fleet}-utils, tools: [add, uuid4]}}]}}
"#,
            url = utils().url
        )
    } else {
        String::new()
    };
    let text = format!(
        "fleet: {fleet}\ngateway: {{url: \"{}\"}}\n{servers}",
        gateway.url()
    );
    let manifest =
        Manifest::from_str_with_env(&text, Format::Yaml, "client-configs", |_| None).unwrap();
    Registry::new(manifest, ContextForge::new(admin())).unwrap()
}

/// Registers a one-server fleet with a virtual server, mints a caller token for it; returns the virtual
/// server's id, the caller token and its id.
async fn fleet_and_caller(fleet: &str) -> (String, String, String) {
    let registry = fleet_registry(fleet, true);
    registry
        .apply(Mode::Apply, &ApplyOptions::default().lock_dir(None))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let report = registry
        .verify(&mcpfleet_registry::VerifyOptions::default().smoke(false))
        .await
        .unwrap();
    assert!(report.passed, "{}", report.to_markdown());
    let servers = admin().servers().list().all().await.unwrap();
    let vs = servers
        .iter()
        .find(|s| s.name == format!("{fleet}-vs"))
        .unwrap();
    let recipe = caller_token(&vs.id)
        .unwrap()
        .name(format!("{fleet}-caller"));
    let minted = admin()
        .tokens()
        .create(&token_create(&recipe))
        .await
        .unwrap();
    (
        vs.id.clone(),
        minted.expose_token().to_owned(),
        minted.token.id.clone(),
    )
}

async fn teardown(fleet: &str, token_id: Option<String>) {
    if let Some(id) = token_id {
        let _ = admin().tokens().revoke(&id).await;
    }
    let registry = fleet_registry(fleet, false);
    if let Err(err) = registry
        .apply(Mode::Sync, &ApplyOptions::default().lock_dir(None))
        .await
    {
        eprintln!("teardown of {fleet}: {err}");
    }
}

fn fleet_name(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("cfg-{test}-{nanos}")
}

/// Lists and calls through one connected rmcp client; returns the tool names listed.
async fn list_and_call<S>(
    client: &rmcp::service::RunningService<rmcp::RoleClient, S>,
) -> Vec<String>
where
    S: rmcp::Service<rmcp::RoleClient>,
{
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let add = tools.iter().find(|t| t.ends_with("-add")).unwrap().clone();
    let result = client
        .call_tool(
            CallToolRequestParams::new(add)
                .with_arguments(json!({"a": 10, "b": 5}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let text = serde_json::to_value(&result.content).unwrap();
    assert_eq!(text[0]["text"], "15", "{result:?}");
    tools
}

/// The stdio bridge of the Claude Desktop config, installed at the version the config pins.
fn stdio_bridge() -> Venv {
    let spec = STDIO_BRIDGE.replace('@', "==");
    Venv::ensure(&Python::find().unwrap(), "fastmcp-remote", &[&spec], &spec).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_config_lists_and_calls_the_virtual_servers_tools() {
    let fleet = fleet_name("ok");
    let token_id = std::sync::Arc::new(std::sync::Mutex::new(None));
    let cleanup_id = token_id.clone();
    with_cleanup(
        async {
            let (vs_id, caller, id) = fleet_and_caller(&fleet).await;
            *token_id.lock().unwrap() = Some(id);
            let url = admin().servers().mcp_url(&vs_id).unwrap();
            let target = ClientTarget::new(format!("{fleet}-vs"), url.clone(), TOKEN_ENV).unwrap();
            let bridge = tokio::task::spawn_blocking(stdio_bridge).await.unwrap();
            let mut checked = Vec::new();
            for file in client_configs(&target) {
                assert!(
                    !file.contents.contains(&caller),
                    "{}: the token is inline",
                    file.client
                );
                let entry = ClientEntry::read(file.client, &file.contents, &target.name).unwrap();
                // What each client does with its reference: the env var, or VS Code's prompt answered.
                let resolved = entry
                    .resolve(|reference| {
                        let name = reference.trim_start_matches("env:");
                        (name == TOKEN_ENV || reference.starts_with("input:"))
                            .then(|| caller.clone())
                    })
                    .unwrap();
                let tools = match resolved.expose().clone() {
                    ClientEntry::Http {
                        url: endpoint,
                        headers,
                    } => {
                        assert_eq!(endpoint, url);
                        let headers: HashMap<_, _> = headers
                            .into_iter()
                            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                            .collect();
                        let config = StreamableHttpClientTransportConfig::with_uri(endpoint)
                            .custom_headers(headers);
                        let client =
                            ().serve(StreamableHttpClientTransport::from_config(config))
                                .await
                                .unwrap();
                        let tools = list_and_call(&client).await;
                        client.cancel().await.unwrap();
                        tools
                    }
                    ClientEntry::Stdio { command, .. } => {
                        // Claude Desktop runs `uvx fastmcp-remote@<pinned> <args>`; run the same bridge at the same
                        // version from its venv, with the config's own arguments, unresolved: the bridge expands
                        // `${NAME}` from its environment, where Claude Desktop's environment puts the token.
                        assert_eq!(command, "uvx");
                        let ClientEntry::Stdio { args, .. } = &entry else {
                            unreachable!()
                        };
                        assert_eq!(args[0], STDIO_BRIDGE);
                        let mut process =
                            tokio::process::Command::new(bridge.bin("fastmcp-remote"));
                        process
                            .args(&args[1..])
                            .env(TOKEN_ENV, &caller)
                            .kill_on_drop(true);
                        let client =
                            ().serve(TokioChildProcess::new(process).unwrap())
                                .await
                                .unwrap();
                        let tools = list_and_call(&client).await;
                        client.cancel().await.unwrap();
                        tools
                    }
                    other => panic!("unexpected entry {other:?}"),
                };
                assert_eq!(
                    tools.len(),
                    2,
                    "{}: only the virtual server's two tools: {tools:?}",
                    file.client
                );
                checked.push(file.client);
            }
            assert_eq!(checked, McpClient::ALL);
        },
        async {
            let id = cleanup_id.lock().unwrap().take();
            teardown(&fleet, id).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_token_is_refused_everything_else() {
    let fleet = fleet_name("refused");
    let token_id = std::sync::Arc::new(std::sync::Mutex::new(None));
    let cleanup_id = token_id.clone();
    with_cleanup(
        async {
            let (vs_id, caller, id) = fleet_and_caller(&fleet).await;
            *token_id.lock().unwrap() = Some(id);
            let gateway = Gateway::shared();
            // Another virtual server on the same gateway, which the bound token must not reach.
            let other = admin()
                .servers()
                .create(&mcpfleet_gateway_client::ServerCreate::new(format!("{fleet}-other")))
                .await
                .unwrap();
            // `now` is registered but not on the virtual server: the token's server binding must keep it out of reach.
            let rpc_call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                  "params": {"name": format!("{fleet}-utils-now"), "arguments": {}}});
            let mcp_list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
            let probes: Vec<(&str, Method, String, Option<Value>)> = vec![
                ("list gateways", Method::GET, "/v1/gateways".into(), None),
                ("register a gateway", Method::POST, "/v1/gateways".into(),
                 Some(json!({"name": "x", "url": "http://127.0.0.1:9/mcp"}))),
                ("list tools over REST", Method::GET, "/v1/tools".into(), None),
                ("list virtual servers", Method::GET, "/v1/servers".into(), None),
                ("delete its own virtual server", Method::DELETE, format!("/v1/servers/{vs_id}"), None),
                ("call a tool outside its virtual server over /rpc", Method::POST, "/rpc".into(), Some(rpc_call)),
                ("another virtual server's MCP endpoint", Method::POST,
                 format!("/v1/virtual-servers/{}/mcp", other.id), Some(mcp_list.clone())),
                ("list tokens", Method::GET, "/v1/tokens".into(), None),
            ];
            let mut allowed = Vec::new();
            for (what, method, path, body) in probes {
                let answer = gateway.request(method, &path, Some(&caller), body.as_ref()).await.unwrap();
                let refused = matches!(answer.status, 401 | 403 | 404)
                    || answer.json().get("error").is_some()
                    || answer.json()["result"]["isError"] == true;
                eprintln!("[client_configs] caller token, {what}: HTTP {} {}", answer.status, answer.text);
                if !refused {
                    allowed.push(format!("{what}: HTTP {} {}", answer.status, answer.text));
                }
            }
            // Its own endpoint answers (the same token, so the refusals above are about scope, not a bad token).
            let own = gateway
                .request(Method::POST, &format!("/v1/virtual-servers/{vs_id}/mcp"), Some(&caller), Some(&mcp_list))
                .await
                .unwrap();
            assert_eq!(own.status, 200, "{}", own.text);
            // `/rpc` is the other door to the same tools: the binding limits it to the virtual server's tools too.
            let own_rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                 "params": {"name": format!("{fleet}-utils-add"), "arguments": {"a": 1, "b": 2}}});
            let own_rpc = gateway.request(Method::POST, "/rpc", Some(&caller), Some(&own_rpc)).await.unwrap();
            assert_eq!(own_rpc.json()["result"]["content"][0]["text"], "3", "{}", own_rpc.text);
            let _ = admin().servers().delete(&other.id).await;
            assert!(allowed.is_empty(), "the caller token was allowed: {allowed:#?}");
        },
        async {
            let id = cleanup_id.lock().unwrap().take();
            teardown(&fleet, id).await;
        },
    )
    .await;
}
