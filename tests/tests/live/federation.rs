//! One manifest, two real gateways: `targets` registers a subset of the fleet on each, verified per gateway with
//! one combined report; then gateway B's virtual server is registered on gateway A as an upstream (a peer), and a
//! tool of a server that only B has is called through A.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use mcpfleet_gateway_client::Client;
use mcpfleet_harness::{FixtureKind, FixtureServer, Gateway, GatewayOptions, with_cleanup};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Format, Manifest, Mode, Registry, VerifyOptions, apply_targets,
    caller_token, token_create, tool_name,
};
use secrecy::SecretString;
use serde_json::json;

/// A second gateway, of this module only.
fn gateway_b() -> &'static Gateway {
    static B: OnceLock<Gateway> = OnceLock::new();
    B.get_or_init(|| Gateway::start(GatewayOptions::default()).expect("a second gateway"))
}

/// This module's own fixture servers (a gateway takes one registration per URL). `utils` speaks HTTP itself, one
/// process fewer.
fn servers() -> &'static (FixtureServer, FixtureServer) {
    static SERVERS: OnceLock<(FixtureServer, FixtureServer)> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let a = Gateway::shared();
        (
            FixtureServer::spawn_native(FixtureKind::Utils, a).expect("utils"),
            FixtureServer::spawn(FixtureKind::Textkit, a).expect("textkit"),
        )
    })
}

fn client(gateway: &Gateway) -> Client {
    Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .build()
        .unwrap()
}

fn registry(text: &str, gateway: &Gateway) -> Registry<ContextForge> {
    let manifest = Manifest::from_str_with_env(text, Format::Yaml, "federation", |_| None).unwrap();
    Registry::new(manifest, ContextForge::new(client(gateway))).unwrap()
}

async fn teardown(fleet: &str, gateway: &Gateway) {
    let empty = format!("fleet: {fleet}\ngateway: {{url: \"{}\"}}\n", gateway.url());
    if let Err(err) = registry(&empty, gateway)
        .apply(Mode::Sync, &ApplyOptions::default().lock_dir(None))
        .await
    {
        eprintln!("teardown of {fleet} on {}: {err}", gateway.url());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_manifest_two_gateways_and_a_peer_called_through_the_other() {
    let started = std::time::Instant::now();
    let a = tokio::task::spawn_blocking(Gateway::shared).await.unwrap();
    let b = tokio::task::spawn_blocking(gateway_b).await.unwrap();
    let (utils, textkit) = tokio::task::spawn_blocking(servers).await.unwrap();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let fleet = format!("fed{nanos}");
    let peers = format!("peer{nanos}");
    let caller_id = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let cleanup_id = caller_id.clone();
    with_cleanup(
        async {
            // 1. One manifest, two targets: A gets both servers, B only utils.
            let text = format!(
                r#"fleet: {fleet}
gateway: {{url: "{a}", token_env: A_TOKEN}}
servers:
  - name: {fleet}-utils
    url: "{utils}"
    transport: streamable-http
    expected_tools: [add]
    smoke: [{{tool: add, arguments: {{a: 10, b: 5}}, expect: {{equals: 15}}}}]
  - name: {fleet}-textkit
    url: "{textkit}"
    transport: sse
    expected_tools: [upper]
virtual_servers:
  - name: {fleet}-vs
    tools: [{{server: {fleet}-utils, tools: [add]}}, {{server: {fleet}-textkit}}]
targets:
  - {{name: a, url: "{a}"}}
  - {{name: b, url: "{b}", token_env: B_TOKEN, servers: [{fleet}-utils]}}
"#,
                a = a.url(),
                b = b.url(),
                utils = utils.url,
                textkit = textkit.url,
            );
            let manifest =
                Manifest::from_str_with_env(&text, Format::Yaml, "two-gateways", |_| None).unwrap();
            // Each target's gateway with its own admin token (the variable the target names, resolved here).
            let tokens = HashMap::from([
                ("A_TOKEN", (a.url(), a.admin_token())),
                ("B_TOKEN", (b.url(), b.admin_token())),
            ]);
            let connect = |target: &Manifest| {
                let (url, token) = tokens[target.gateway.token_env.as_str()];
                assert_eq!(url, target.gateway.url);
                let client = Client::builder()
                    .base_url(url)
                    .bearer_token(token)
                    .build()
                    .unwrap();
                Ok((
                    ContextForge::new(client),
                    ApplyOptions::default().lock_dir(None),
                ))
            };
            let report = apply_targets(
                &manifest,
                Mode::Apply,
                Some(&VerifyOptions::default()),
                connect,
            )
            .await;
            let markdown = report.to_markdown();
            assert!(report.passed, "{markdown}");
            let prefix = fleet.as_str();
            let registered = |gateway: &'static Gateway| async move {
                let mut names: Vec<String> = client(gateway)
                    .gateways()
                    .list()
                    .all()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|g| g.name)
                    .filter(|n| n.starts_with(prefix))
                    .collect();
                names.sort();
                names
            };
            assert_eq!(
                registered(a).await,
                [format!("{fleet}-textkit"), format!("{fleet}-utils")],
                "{markdown}"
            );
            assert_eq!(
                registered(b).await,
                [format!("{fleet}-utils")],
                "{markdown}"
            );
            assert_eq!(report.targets[1].verify.as_ref().unwrap().servers.len(), 1);

            // 2. Federation: B's virtual server is an upstream of A, reached with a caller token bound to it.
            let b_client = client(b);
            let vs = b_client
                .servers()
                .list()
                .all()
                .await
                .unwrap()
                .into_iter()
                .find(|s| s.name == format!("{fleet}-vs"))
                .unwrap();
            let recipe = caller_token(&vs.id)
                .unwrap()
                .name(format!("{peers}-caller"));
            let minted = b_client
                .tokens()
                .create(&token_create(&recipe))
                .await
                .unwrap();
            *caller_id.lock().unwrap() = Some(minted.token.id.clone());
            let b_tool = tool_name(&format!("{fleet}-utils"), "add");
            let peer_text = format!(
                r#"fleet: {peers}
gateway: {{url: "{a}"}}
servers:
  - name: {peers}-b
    description: gateway B's virtual server, federated into A
    url: "{url}"
    transport: streamable-http
    auth: {{type: bearer, token_env: PEER_B_TOKEN}}
    expected_tools: [{b_tool}]
    smoke: [{{tool: {b_tool}, arguments: {{a: 10, b: 5}}, expect: {{equals: 15}}}}]
"#,
                a = a.url(),
                url = b_client.servers().mcp_url(&vs.id).unwrap(),
            );
            let peer = registry(&peer_text, a);
            let options = ApplyOptions::default().lock_dir(None).env(HashMap::from([(
                "PEER_B_TOKEN".to_owned(),
                SecretString::from(minted.expose_token().to_owned()),
            )]));
            peer.apply(Mode::Apply, &options)
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let verified = peer.verify(&VerifyOptions::default()).await.unwrap();
            assert!(verified.passed, "{}", verified.to_markdown());
            // The call, spelled out: A's name for B's tool, answered by the utils server behind B.
            let through_a = tool_name(&format!("{peers}-b"), &b_tool);
            let sum = client(a)
                .tools()
                .call(&through_a, &json!({"a": 10, "b": 5}))
                .await
                .unwrap();
            assert_eq!(sum.text(), "15", "{through_a} through A");
        },
        async {
            let id = cleanup_id.lock().unwrap().take();
            if let Some(id) = id {
                let _ = client(gateway_b()).tokens().revoke(&id).await;
            }
            teardown(&peers, Gateway::shared()).await;
            teardown(&fleet, Gateway::shared()).await;
            teardown(&fleet, gateway_b()).await;
        },
    )
    .await;
    // What the test costs a CI run, gateway B's start included.
    mcpfleet_harness::record_figure(&format!(
        "[federation] test took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}
