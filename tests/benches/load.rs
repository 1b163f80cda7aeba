//! Benchmark: 200 concurrent `tools/call`s through one `mcpfleet-gateway-client` against the real gateway, next
//! to the same load sent with raw `reqwest`, in the same run.
//!
//! Run with `cargo bench -p mcpfleet-harness --bench load`. Settings: `BENCH_CONCURRENCY` callers, default 200;
//! `BENCH_CALLS_PER_CALLER`, default 2; `BENCH_ROUNDS`, default 3; `BENCH_SERVER`, `notes` (default) or `utils`.
//! Each round runs one wave per side, alternating which side goes first. In a wave every caller sends its calls
//! one after another, so `BENCH_CONCURRENCY` calls are in flight the whole time and a caller's next call finds the
//! connection its last one freed: that is where reuse shows. A call's latency includes its wait in the gateway's
//! queue, the same for both sides. Bounded: loopback only, a 60 s timeout per call,
//! `BENCH_CONCURRENCY × BENCH_CALLS_PER_CALLER × BENCH_ROUNDS` calls per side.
//!
//! Connection reuse is read from the kernel, not assumed: after each wave the process's established TCP
//! connections to the gateway's port (`/proc/self/fd` and `/proc/self/net/tcp`), per side, and how many of them
//! are new. Prints p50/p95/p99 per side, their ratios and calls per new connection; writes
//! `target/bench/load.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;
use mcpfleet_gateway_client::{Client, GatewayCreate, RetryPolicy, Transport};
use mcpfleet_harness::{Fixtures, Gateway, env_or, millis, percentile, workspace_root};
use serde_json::{Value, json};

/// Local ports of this process's established TCP connections to `port` on loopback.
fn connections_to(port: u16) -> BTreeSet<u16> {
    let inodes: BTreeSet<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let mut ports = BTreeSet::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(inode)) =
                (fields.get(1), fields.get(2), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let port_of = |address: &str| {
                u16::from_str_radix(address.rsplit(':').next().unwrap_or(""), 16).ok()
            };
            // State 01 is ESTABLISHED.
            if *state == "01" && port_of(remote) == Some(port) && inodes.contains(*inode) {
                ports.extend(port_of(local));
            }
        }
    }
    ports
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Client,
    Raw,
}

struct Wave {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    took: Duration,
}

/// The fixture server the load goes to (`BENCH_SERVER`): `notes` (Python, native streamable HTTP; the default)
/// or `utils` (Python stdio behind `mcp-proxy`). Every call has its own arguments and must get its own answer
/// back.
#[derive(Clone, Copy)]
enum Target {
    Utils,
    Notes,
}

impl Target {
    fn tool(self) -> &'static str {
        match self {
            Target::Utils => "add",
            Target::Notes => "note_add",
        }
    }

    fn arguments(self, i: usize) -> Value {
        match self {
            Target::Utils => json!({"a": i, "b": 1000}),
            Target::Notes => json!({"title": format!("load-{i}-")}),
        }
    }

    fn answers(self, i: usize, text: &str) -> bool {
        match self {
            Target::Utils => text == (i + 1000).to_string(),
            Target::Notes => text.contains(&format!("\"load-{i}-\"")),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn wave(
    target: Target,
    side: Side,
    callers: usize,
    calls_per_caller: usize,
    client: &Client,
    http: &reqwest::Client,
    rpc_url: &str,
    token: &str,
    tool: &str,
) -> Wave {
    let started = Instant::now();
    let call = |i: usize| async move {
        let call_started = Instant::now();
        let arguments = target.arguments(i);
        let text = match side {
            Side::Client => client
                .tools()
                .call(tool, &arguments)
                .await
                .map(|result| result.text())
                .map_err(|e| e.to_string()),
            Side::Raw => {
                let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                  "params": {"name": tool, "arguments": arguments}});
                async {
                    let answer: Value = http
                        .post(rpc_url)
                        .bearer_auth(token)
                        .timeout(Duration::from_secs(60))
                        .json(&body)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    Ok::<_, reqwest::Error>(answer)
                }
                .await
                .map_err(|e| e.to_string())
                .and_then(|answer| {
                    answer["result"]["content"][0]["text"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| format!("no text in {answer}"))
                })
            }
        };
        let result = match text {
            Ok(text) if target.answers(i, &text) => Ok(()),
            Ok(text) => Err(format!("call {i} ({arguments}) was answered {text}")),
            Err(err) => Err(err),
        };
        (call_started.elapsed(), result)
    };
    // Caller `c`'s `k`-th call carries argument `k * callers + c`: every call in the wave has its own answer.
    let callers = (0..callers).map(|c| async move {
        let mut results = Vec::with_capacity(calls_per_caller);
        for k in 0..calls_per_caller {
            results.push(call(k * callers + c).await);
        }
        results
    });
    let results = join_all(callers).await;
    let mut out = Wave {
        latencies: Vec::new(),
        errors: Vec::new(),
        took: started.elapsed(),
    };
    for (latency, result) in results.into_iter().flatten() {
        out.latencies.push(latency);
        if let Err(err) = result {
            out.errors.push(err);
        }
    }
    out
}

struct SideStats {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    waves: Vec<Duration>,
    new_connections: Vec<usize>,
    open_connections: Vec<usize>,
    seen: BTreeSet<u16>,
}

impl SideStats {
    fn new() -> Self {
        SideStats {
            latencies: Vec::new(),
            errors: Vec::new(),
            waves: Vec::new(),
            new_connections: Vec::new(),
            open_connections: Vec::new(),
            seen: BTreeSet::new(),
        }
    }
}

fn main() {
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 200);
    let calls_per_caller: usize = env_or("BENCH_CALLS_PER_CALLER", 2);
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    let target = match std::env::var("BENCH_SERVER").as_deref() {
        Ok("notes") | Err(_) => Target::Notes,
        Ok("utils") => Target::Utils,
        Ok(other) => panic!("BENCH_SERVER={other}: use utils or notes"),
    };
    let gw = Gateway::shared();
    let fx = Fixtures::shared();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .base_url(gw.url())
            .bearer_token(gw.admin_token())
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let fixture = match target {
            Target::Utils => &fx.utils,
            Target::Notes => &fx.notes,
        };
        let _lease = fixture.exclusive();
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let gateway = client
            .gateways()
            .create(
                &GatewayCreate::new(format!("load-{stamp}"), fixture.url.clone())
                    .transport(Transport::StreamableHttp),
            )
            .await
            .unwrap();
        let tool = client
            .tools()
            .resolve(&gateway.id, target.tool())
            .await
            .unwrap()
            .name;
        // The raw side: one reqwest client with the same defaults (pooling, HTTP/1.1 on plain HTTP).
        let http = reqwest::Client::new();
        let rpc_url = format!("{}/rpc", gw.url());
        let token = gw.admin_token();

        let mut sides = [SideStats::new(), SideStats::new()];
        let index = |side: Side| usize::from(side == Side::Raw);
        // Warm-up: a small wave each, so the gateway's first-call costs fall outside the measurement (its
        // errors count: a wrong answer is wrong at any time).
        for side in [Side::Client, Side::Raw] {
            let warm = wave(target, side, 20, 1, &client, &http, &rpc_url, token, &tool).await;
            sides[index(side)].errors.extend(warm.errors);
        }

        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [Side::Client, Side::Raw]
            } else {
                [Side::Raw, Side::Client]
            };
            for side in order {
                let before = connections_to(gw.port());
                let result = wave(
                    target,
                    side,
                    concurrency,
                    calls_per_caller,
                    &client,
                    &http,
                    &rpc_url,
                    token,
                    &tool,
                )
                .await;
                let after = connections_to(gw.port());
                let stats = &mut sides[index(side)];
                // Connections of this side: the ones that appeared during its wave, plus those it already had.
                let mine: BTreeSet<u16> = after
                    .difference(&before)
                    .copied()
                    .chain(after.intersection(&stats.seen).copied())
                    .collect();
                stats.new_connections.push(mine.difference(&stats.seen).count());
                stats.open_connections.push(mine.len());
                stats.seen.extend(mine);
                stats.latencies.extend(result.latencies);
                stats.errors.extend(result.errors);
                stats.waves.push(result.took);
            }
        }
        client.gateways().delete(&gateway.id).await.unwrap();

        let mut report = Vec::new();
        println!(
            "load: {rounds} rounds of {concurrency} concurrent callers x {calls_per_caller} tools/call per side \
             against {}",
            gw.url()
        );
        let mut p = [[0.0; 3]; 2];
        for (i, name) in ["gateway-client", "raw reqwest"].iter().enumerate() {
            let stats = &mut sides[i];
            stats.latencies.sort_unstable();
            let [p50, p95, p99] = [50.0, 95.0, 99.0].map(|q| millis(percentile(&stats.latencies, q)));
            p[i] = [p50, p95, p99];
            let new_connections: usize = stats.new_connections.iter().sum();
            let calls_per_connection = stats.latencies.len() as f64 / new_connections.max(1) as f64;
            println!(
                "  {name:<15} p50 {p50:8.1} ms  p95 {p95:8.1} ms  p99 {p99:8.1} ms  errors {}  waves {:?} s  \
                 new connections per wave {:?} ({calls_per_connection:.1} calls per connection)",
                stats.errors.len(),
                stats.waves.iter().map(|d| (d.as_secs_f64() * 10.0).round() / 10.0).collect::<Vec<_>>(),
                stats.new_connections,
            );
            for err in stats.errors.iter().take(5) {
                println!("    error: {err}");
            }
            report.push(json!({
                "side": name, "calls": stats.latencies.len(), "errors": stats.errors.len(),
                "p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
                "wave_s": stats.waves.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
                "new_connections_per_wave": stats.new_connections,
                "open_connections_after_wave": stats.open_connections,
                "calls_per_new_connection": calls_per_connection,
            }));
        }
        let ratios = [0, 1, 2].map(|k| p[0][k] / p[1][k]);
        println!(
            "  ratio (client / raw): p50 {:.3}  p95 {:.3}  p99 {:.3}  (target p99 <= 1.10)",
            ratios[0], ratios[1], ratios[2]
        );
        let out = workspace_root().join("target/bench");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("load.json"),
            serde_json::to_string_pretty(&json!({
                "concurrency": concurrency, "calls_per_caller": calls_per_caller, "rounds": rounds,
                "sides": report,
                "ratio": {"p50": ratios[0], "p95": ratios[1], "p99": ratios[2]},
            }))
            .unwrap(),
        )
        .unwrap();
        let errors: usize = sides.iter().map(|s| s.errors.len()).sum();
        assert_eq!(errors, 0, "client-side errors under load");
        let client_side = &sides[index(Side::Client)];
        let opened: usize = client_side.new_connections.iter().sum();
        assert!(
            calls_per_caller < 2 || opened < client_side.latencies.len(),
            "gateway-client reused no connection: {opened} opened for {} calls",
            client_side.latencies.len()
        );
    });
}
