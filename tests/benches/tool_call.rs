//! Benchmark: one `tools/call` of the `utils` fixture's `add` through `mcpfleet-gateway-client` versus the same
//! JSON-RPC request made with raw `reqwest` on a reused connection, against the real gateway, in the same run.
//!
//! Run with `cargo bench -p mcpfleet-harness --bench tool_call` (`BENCH_N` calls per side, default 200;
//! `BENCH_WARMUP`, default 20). Calls alternate between the two sides (and which goes first) so that gateway
//! drift affects both equally. Prints p50, p95, mean and the p50/p95 ratios (client / raw).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mcpfleet_gateway_client::{Client, GatewayCreate, RetryPolicy, Transport};
use mcpfleet_harness::{Fixtures, Gateway, env_or, millis, percentile};
use serde_json::{Value, json};

struct Summary {
    p50: Duration,
    p95: Duration,
    mean: Duration,
    min: Duration,
    max: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    Summary {
        p50: percentile(&samples, 50.0),
        p95: percentile(&samples, 95.0),
        mean: total / samples.len() as u32,
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}

async fn raw_call(http: &reqwest::Client, url: &str, token: &str, tool: &str) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": tool, "arguments": {"a": 2, "b": 3}}});
    let answer: Value = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["content"][0]["text"], "5", "{answer}");
}

async fn client_call(client: &Client, tool: &str) {
    let result = client
        .tools()
        .call(tool, &json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    assert_eq!(result.text(), "5");
}

fn main() {
    let n: usize = env_or("BENCH_N", 200);
    let warmup: usize = env_or("BENCH_WARMUP", 20);
    // Starting the gateway blocks; do it before entering the runtime.
    let gw = Gateway::shared();
    let fx = Fixtures::shared();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .base_url(gw.url())
            .bearer_token(gw.admin_token())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let _lease = fx.utils.exclusive();
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let gateway = client
            .gateways()
            .create(
                &GatewayCreate::new(format!("bench-{stamp}"), fx.utils.url.clone())
                    .transport(Transport::StreamableHttp),
            )
            .await
            .unwrap();
        let tool = client
            .tools()
            .resolve(&gateway.id, "add")
            .await
            .unwrap()
            .name;

        // Raw side: one reqwest client, so its connection is reused like the gateway-client's.
        let http = reqwest::Client::new();
        let rpc_url = format!("{}/rpc", gw.url());
        let token = gw.admin_token();

        for _ in 0..warmup {
            client_call(&client, &tool).await;
            raw_call(&http, &rpc_url, token, &tool).await;
        }
        let mut via_client = Vec::with_capacity(n);
        let mut via_raw = Vec::with_capacity(n);
        for i in 0..n {
            let client_first = i % 2 == 0;
            for side in [client_first, !client_first] {
                let started = Instant::now();
                if side {
                    client_call(&client, &tool).await;
                    via_client.push(started.elapsed());
                } else {
                    raw_call(&http, &rpc_url, token, &tool).await;
                    via_raw.push(started.elapsed());
                }
            }
        }
        client.gateways().delete(&gateway.id).await.unwrap();

        let c = summarize(via_client);
        let r = summarize(via_raw);
        println!("tool_call: {n} calls per side after {warmup} warm-up calls each, interleaved");
        for (name, s) in [("gateway-client", &c), ("raw reqwest", &r)] {
            println!(
                "  {name:<15} p50 {:7.2} ms  p95 {:7.2} ms  mean {:7.2} ms  min {:7.2} ms  max {:7.2} ms",
                millis(s.p50),
                millis(s.p95),
                millis(s.mean),
                millis(s.min),
                millis(s.max)
            );
        }
        println!(
            "  ratio (client / raw): p50 {:.3}  p95 {:.3}  (target p50 <= 1.05)",
            millis(c.p50) / millis(r.p50),
            millis(c.p95) / millis(r.p95)
        );
    });
}
