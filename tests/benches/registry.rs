//! Benchmark: registering a fleet of upstream MCP servers on the real gateway, four ways, in one run.
//!
//! Run with `cargo bench -p mcpfleet-harness --bench registry` (`BENCH_UPSTREAMS`, default 50;
//! `BENCH_INIT_DELAY` seconds each upstream's `initialize` takes, default 0.3; `BENCH_CONCURRENCY` overrides the
//! engine's width; `BENCH_ENGINE_ONLY=1` measures only the engine, the no-op re-apply and the floor). One process
//! (`tests/fixtures/slow_fleet_server.py`) serves every upstream.
//!
//! - **engine**: `mcpfleet-registry` applies a manifest of all of them (fresh gateway state);
//! - **no-op re-apply**: the same apply again, counting requests by method;
//! - **sequential**: one `POST /v1/gateways` after another with `mcpfleet-gateway-client`;
//! - **`/v1/import`**: ContextForge's own bulk import of the same registrations;
//! - **floor**: the engine again, against upstreams whose `initialize` answers at once.
//!
//! Everything is deleted between runs, so each starts from the same empty state. Prints a table and writes
//! `target/bench/registry.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mcpfleet_gateway_client::{Client, GatewayCreate, RetryPolicy, Transport};
use mcpfleet_harness::{
    Gateway, RequestCounter, ScriptServer, env_or, registrations_named, workspace_root,
};
use mcpfleet_registry::{ApplyOptions, ContextForge, Format, Manifest, Mode, Registry};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

fn manifest(
    gateway: &Gateway,
    fleet: &str,
    prefix: &str,
    upstreams: &ScriptServer,
    n: usize,
) -> Manifest {
    let mut text = format!(
        "fleet: {fleet}\ngateway: {{url: \"{}\"}}\nservers:\n",
        gateway.url()
    );
    for i in 0..n {
        text.push_str(&format!(
            "  - {{name: {prefix}-{i}, url: \"{}/s{i}/mcp\", transport: streamable-http, expected_tools: [ping]}}\n",
            upstreams.base_url()
        ));
    }
    Manifest::from_str_with_env(&text, Format::Yaml, fleet, |_| None).unwrap()
}

fn admin(gateway: &Gateway) -> Client {
    Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Deletes every registration whose name starts with `prefix`.
async fn delete_all(client: &Client, prefix: &str) {
    for gateway in registrations_named(client, prefix).await.unwrap() {
        client.gateways().delete(&gateway.id).await.unwrap();
    }
}

async fn engine(
    gateway: &Gateway,
    fleet: &str,
    prefix: &str,
    upstreams: &ScriptServer,
    n: usize,
) -> (Duration, usize) {
    let registry = Registry::new(
        manifest(gateway, fleet, prefix, upstreams, n),
        ContextForge::new(admin(gateway)),
    )
    .unwrap();
    let locks = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let report = registry
        .apply(
            Mode::Apply,
            &ApplyOptions::default().lock_dir(Some(locks.path().to_owned())),
        )
        .await
        .unwrap();
    let took = started.elapsed();
    let failed = report.failures().count();
    assert_eq!(failed, 0, "{}", report.to_table());
    (took, report.writes)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = env_or("BENCH_UPSTREAMS", 50);
    let delay: f64 = env_or("BENCH_INIT_DELAY", 0.3);
    let counter = RequestCounter::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(counter.clone()))
        .unwrap();

    let gateway = tokio::task::spawn_blocking(Gateway::shared).await.unwrap();
    let (count, init) = (n.to_string(), delay.to_string());
    let slow = ScriptServer::spawn(
        "slow_fleet_server.py",
        &[("COUNT", &count), ("INIT_DELAY", &init)],
        gateway,
    )
    .unwrap();
    let fast = ScriptServer::spawn(
        "slow_fleet_server.py",
        &[("COUNT", &count), ("INIT_DELAY", "0")],
        gateway,
    )
    .unwrap();
    let client = admin(gateway);
    println!(
        "registering {n} upstreams (initialize takes {delay} s) on ContextForge at {}",
        gateway.url()
    );

    // Warm the gateway (first registration pays imports and pool set-up) outside every measurement.
    engine(gateway, "bench-warm", "bw", &fast, 2).await;
    delete_all(&client, "bw-").await;

    let (engine_time, engine_writes) = engine(gateway, "bench-engine", "be", &slow, n).await;
    println!(
        "engine            {:>7.2} s  ({engine_writes} writes)",
        secs(engine_time)
    );

    counter.take();
    let registry = Registry::new(
        manifest(gateway, "bench-engine", "be", &slow, n),
        ContextForge::new(admin(gateway)),
    )
    .unwrap();
    let locks = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let again = registry
        .apply(
            Mode::Apply,
            &ApplyOptions::default().lock_dir(Some(locks.path().to_owned())),
        )
        .await
        .unwrap();
    let noop_time = started.elapsed();
    let noop_requests = counter.take();
    let noop_writes = RequestCounter::writes(&noop_requests);
    let noop_reads = noop_requests.get("GET").copied().unwrap_or(0);
    assert_eq!(again.writes, 0);
    println!(
        "no-op re-apply    {:>7.2} s  ({noop_writes} writes, {noop_reads} reads)",
        secs(noop_time)
    );
    delete_all(&client, "be-").await;

    if std::env::var_os("BENCH_ENGINE_ONLY").is_some() {
        let (floor_time, _) = engine(gateway, "bench-floor", "bf", &fast, n).await;
        println!("floor (no delay)  {:>7.2} s", secs(floor_time));
        delete_all(&client, "bf-").await;
        return;
    }
    let started = Instant::now();
    for i in 0..n {
        client
            .gateways()
            .create(
                &GatewayCreate::new(format!("bs-{i}"), format!("{}/s{i}/mcp", slow.base_url()))
                    .transport(Transport::StreamableHttp),
            )
            .await
            .unwrap();
    }
    let sequential_time = started.elapsed();
    println!("sequential REST   {:>7.2} s", secs(sequential_time));
    delete_all(&client, "bs-").await;

    let entities: Vec<_> = (0..n)
        .map(|i| json!({"name": format!("bi-{i}"), "url": format!("{}/s{i}/mcp", slow.base_url()), "transport": "STREAMABLEHTTP"}))
        .collect();
    let body = json!({"import_data": {"version": "2025-03-26", "exported_at": "2026-11-30T00:00:00Z",
                                      "entities": {"gateways": entities}},
                      "conflict_strategy": "update"});
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let started = Instant::now();
    let answer = http
        .post(format!("{}/v1/import", gateway.url()))
        .bearer_auth(gateway.admin_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let import_time = started.elapsed();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "/v1/import answered {status}: {text}");
    let imported = registrations_named(&client, "bi-").await.unwrap().len();
    assert_eq!(
        imported, n,
        "/v1/import registered {imported} of {n}: {text}"
    );
    println!("/v1/import        {:>7.2} s", secs(import_time));
    delete_all(&client, "bi-").await;

    let (floor_time, _) = engine(gateway, "bench-floor", "bf", &fast, n).await;
    println!("floor (no delay)  {:>7.2} s", secs(floor_time));
    delete_all(&client, "bf-").await;

    let ratio = |a: Duration, b: Duration| secs(a) / secs(b);
    println!();
    println!(
        "sequential / engine = {:.1}x   (target >= 6)",
        ratio(sequential_time, engine_time)
    );
    println!(
        "/v1/import / engine = {:.1}x   (target >= 6)",
        ratio(import_time, engine_time)
    );
    println!(
        "engine / floor      = {:.2}x  (target <= 1.5)",
        ratio(engine_time, floor_time)
    );
    println!(
        "no-op / engine      = {:.1}%   (target <= 5%), reads {noop_reads} (target <= list pages + 2 = 5)",
        100.0 * ratio(noop_time, engine_time)
    );

    let report = json!({
        "upstreams": n, "init_delay_s": delay,
        "engine_s": secs(engine_time), "sequential_s": secs(sequential_time), "import_s": secs(import_time),
        "floor_s": secs(floor_time), "noop_s": secs(noop_time), "noop_writes": noop_writes, "noop_reads": noop_reads,
        "sequential_over_engine": ratio(sequential_time, engine_time),
        "import_over_engine": ratio(import_time, engine_time),
        "engine_over_floor": ratio(engine_time, floor_time),
    });
    let out = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("registry.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
}
