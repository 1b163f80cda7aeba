//! Benchmark: the seed-shaped twelve-server fleet (`tests/fixtures/seed/`) from nothing to verified, and the
//! figures of its containerization ADR, in one run on this machine's Docker engine.
//!
//! Run with `cargo bench -p mcpfleet-harness --bench seed_fleet` (as root, with Docker and debootstrap; `BENCH_RUNS`
//! starts per image, default 3; `BENCH_CALLS` tool calls per server, default 30; `BENCH_WRITE_DOCS=1` writes the
//! ADR's measurement file `docs/container-measurements.json`, from which `fleet -- docs` regenerates the ADR).
//!
//! - **cold**: the ten server images and the backend built online (pip from a local index, git from Debian), then
//!   `docker-compose up` until every container is healthy, the two host processes started, `apply` of the twelve
//!   servers with the admin token, `verify` (expected tools and every smoke call);
//! - **warm**: the same from `up` on, the images cached (the target: ≤ 60 s on 2 cores);
//! - **the seed's way**, against the same running fleet in the same run: its `fleet_setup.py` sequence per server,
//!   one after another — clean (delete a registration of that name), register (`POST /v1/gateways`), discover
//!   (poll the registration up to 5 times, 2 s apart, until reachable, then list its tools), verify (one `/rpc`
//!   call);
//! - per server image: size, what it adds over the base, what only it holds on disk, `docker run` to healthy
//!   (median of `BENCH_RUNS`), idle memory, and the p50 of `BENCH_CALLS` sequential tool calls through the gateway.
//!
//! Prints a table and writes `target/bench/seed-fleet.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::FleetPlan;
use mcpfleet_gateway_client::{Client, GatewayCreate, Transport};
use mcpfleet_harness::{
    ComposeProject, Docker, SeedProcesses, admin_jwt_signed_with, client, env_or, fleet_images,
    free_port, fresh_gateway_secrets, percentile, seed_concurrency_call, seed_fleet, seed_manifest,
    seed_smoke_calls, workspace_root,
};
use mcpfleet_registry::adr::{ImageFigures, Measurements};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Format, Manifest, Mode, Registry, VerifyOptions,
};
use serde_json::{Value, json};

fn mb(bytes: f64) -> f64 {
    (bytes / 1_000_000.0 * 10.0).round() / 10.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `12.3MB`, `4.1kB`, `1.2GB`, `0B` (docker's sizes, powers of 1000) → bytes.
fn bytes(text: &str) -> f64 {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let number: f64 = text[..split].parse().unwrap_or(0.0);
    number
        * match &text[split..] {
            "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            _ => 1.0,
        }
}

/// What each image holds that no other image does (`docker system df -v`: UNIQUE SIZE), by `repository:tag`.
fn unique_sizes(docker: &Docker) -> BTreeMap<String, f64> {
    let text = docker.cmd(&["system", "df", "-v"]).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("REPOSITORY"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let cols: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            // REPOSITORY TAG IMAGE-ID CREATED SIZE SHARED-SIZE UNIQUE-SIZE CONTAINERS
            (cols.len() >= 8).then(|| (format!("{}:{}", cols[0], cols[1]), bytes(cols[6])))
        })
        .collect()
}

/// Total size of the engine's images, layers counted once (`docker system df`).
fn images_disk(docker: &Docker) -> f64 {
    let text = docker
        .cmd(&["system", "df", "--format", "{{.Type}} {{.Size}}"])
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("Images "))
        .map_or(0.0, bytes)
}

/// One pass from nothing but the images to a verified fleet: the compose project made (networks, containers,
/// empty volumes), the host processes started where the gateway's container reaches the host, every container up
/// and healthy, then `apply` of the twelve servers and `verify`.
struct Pass {
    up: f64,
    apply: f64,
    verify: f64,
    total: f64,
    registry: Registry<ContextForge>,
    manifest: Manifest,
    _processes: SeedProcesses,
}

async fn from_nothing_to_verified(
    compose: &'static ComposeProject,
    egress: &str,
    gateway_url: &str,
    admin: &str,
    key: &str,
    state: &std::path::Path,
) -> Pass {
    let started = Instant::now();
    let egress = egress.to_owned();
    let address = tokio::task::spawn_blocking(move || {
        compose.run(&["up", "--no-start", "--no-build"]).unwrap();
        compose
            .docker()
            .cmd(&[
                "network",
                "inspect",
                "--format",
                "{{(index .IPAM.Config 0).Gateway}}",
                &egress,
            ])
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    })
    .await
    .unwrap();
    let processes = tokio::task::spawn_blocking({
        let (key, state) = (key.to_owned(), state.to_owned());
        move || SeedProcesses::start(address, &key, &state).unwrap()
    })
    .await
    .unwrap();
    let up = tokio::task::spawn_blocking(move || {
        compose.up_healthy(&[], Duration::from_secs(300)).unwrap()
    })
    .await
    .unwrap();
    let manifest = seed_manifest(gateway_url, &processes.processes).unwrap();
    let registry = Registry::new(
        manifest.clone(),
        ContextForge::new(client(gateway_url, admin)),
    )
    .unwrap();
    let applied = Instant::now();
    registry
        .apply(Mode::Apply, &ApplyOptions::default().lock_dir(None))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let apply = applied.elapsed();
    let verified = Instant::now();
    let report = registry
        .verify(&VerifyOptions::default().deadline(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(report.passed, "{}", report.to_markdown());
    Pass {
        up: up.as_secs_f64(),
        apply: apply.as_secs_f64(),
        verify: verified.elapsed().as_secs_f64(),
        total: started.elapsed().as_secs_f64(),
        registry,
        manifest,
        _processes: processes,
    }
}

/// Ours, doing what the seed's sequence checks: `apply` (registrations at once), then every server's tools
/// discovered and its first smoke call made, all servers at once.
async fn same_checks_as_the_seed(registry: &Registry<ContextForge>, client: &Client) -> f64 {
    let smoke = seed_smoke_calls().unwrap();
    let started = Instant::now();
    registry
        .apply(Mode::Apply, &ApplyOptions::default().lock_dir(None))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let report = registry
        .verify(&VerifyOptions::default().smoke(false))
        .await
        .unwrap();
    assert!(report.passed, "{}", report.to_markdown());
    let calls = report.servers.iter().map(|server| {
        let first = &smoke[&server.name][0];
        let upstream = server.upstream_id.clone().unwrap();
        async move {
            let resolved = client
                .tools()
                .resolve(&upstream, &first.tool)
                .await
                .unwrap();
            client
                .tools()
                .call(&resolved.name, &first.arguments)
                .await
                .unwrap();
        }
    });
    futures_util::future::join_all(calls).await;
    started.elapsed().as_secs_f64()
}

/// The seed's `fleet_setup.py`, one server after another: clean → register → discover → verify.
async fn seed_way(client: &Client, manifest: &Manifest) -> f64 {
    let smoke = seed_smoke_calls().unwrap();
    let started = Instant::now();
    for server in &manifest.servers {
        // clean
        for existing in client.gateways().list().limit(500).all().await.unwrap() {
            if existing.name == server.name {
                client.gateways().delete(&existing.id).await.unwrap();
            }
        }
        // register
        let created = client
            .gateways()
            .create(
                &GatewayCreate::new(server.name.clone(), server.url.clone().unwrap())
                    .transport(Transport::StreamableHttp),
            )
            .await
            .unwrap();
        // discover: the registration polled until reachable (at most 5 times, 2 s apart), then its tools
        for attempt in 0..5 {
            let read = client.gateways().get(&created.id).await.unwrap();
            if read.reachable {
                break;
            }
            if attempt < 4 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
        let first = &smoke[&server.name][0];
        // verify: one call
        let resolved = client
            .tools()
            .resolve(&created.id, &first.tool)
            .await
            .unwrap();
        client
            .tools()
            .call(&resolved.name, &first.arguments)
            .await
            .unwrap();
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = env_or("BENCH_RUNS", 3);
    let calls: usize = env_or("BENCH_CALLS", 30);
    let docker = Docker::shared().expect("the seed fleet benchmark needs Docker");
    let images = tokio::task::spawn_blocking(move || fleet_images(docker).unwrap())
        .await
        .unwrap();
    let base_bytes = bytes(
        &docker
            .cmd(&[
                "image",
                "inspect",
                "--format",
                "{{.Size}}",
                &images.base.tag,
            ])
            .unwrap(),
    );

    // Cold: every image of the fleet built (online, from the local index), then up to verified.
    let disk_before = images_disk(docker);
    let seed = tokio::task::spawn_blocking(move || seed_fleet(docker).unwrap())
        .await
        .unwrap();
    let fleet_disk = images_disk(docker) - disk_before;
    let build = seed.build_time.as_secs_f64();
    println!(
        "cold build: {} images in {build:.1} s, {:.0} MB of disk",
        seed.images.len(),
        mb(fleet_disk)
    );

    let port = free_port().unwrap();
    let mut spec = seed.spec.clone();
    spec.gateway = Some(images.gateway_service(port).unwrap());
    let plan = FleetPlan::from_spec(&spec).unwrap();
    let key = format!("bench{}", std::process::id());
    let mut env = fresh_gateway_secrets().unwrap();
    for name in [
        "OPENAI_API_KEY",
        "OLLAMA_API_KEY",
        "BACKEND_API_KEY",
        "GITHUB_TOKEN",
    ] {
        env.push((name.to_owned(), key.clone()));
    }
    let jwt = env
        .iter()
        .find(|(k, _)| k == "JWT_SECRET_KEY")
        .unwrap()
        .1
        .clone();
    let compose: &'static ComposeProject = Box::leak(Box::new(
        ComposeProject::new(
            docker,
            "seedbench",
            &plan,
            |s| seed.images.get(s).map(|i| i.context.clone()),
            env,
        )
        .unwrap(),
    ));
    let gateway_url = format!("http://127.0.0.1:{port}");

    let egress = compose.network(&plan.compose.networks[1].name);
    let admin = tokio::task::spawn_blocking(move || admin_jwt_signed_with(&jwt).unwrap())
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let cold =
        from_nothing_to_verified(compose, &egress, &gateway_url, &admin, &key, state.path()).await;
    println!(
        "cold: up {:.1} s, apply {:.1} s, verify {:.1} s (after the builds)",
        cold.up, cold.apply, cold.verify
    );
    let cold_figures = (cold.up, cold.apply, cold.verify, cold.total);
    drop(cold);

    // Warm: the same from nothing but the images (containers, networks and volumes removed).
    tokio::task::spawn_blocking(move || compose.down())
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let warm =
        from_nothing_to_verified(compose, &egress, &gateway_url, &admin, &key, state.path()).await;
    println!(
        "warm: up {:.1} s, apply {:.1} s, verify {:.1} s, total {:.1} s (target <= 60)",
        warm.up, warm.apply, warm.verify, warm.total
    );
    let warm_figures = (warm.up, warm.apply, warm.verify, warm.total);
    let (registry, manifest) = (&warm.registry, &warm.manifest);
    let teardown = Manifest::from_str_with_env(
        &format!(
            "fleet: {}\ngateway: {{url: \"{gateway_url}\"}}\n",
            manifest.fleet
        ),
        Format::Yaml,
        "teardown",
        |_| None,
    )
    .unwrap();

    // Per server: idle memory and call latency through the gateway.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let caller = client(&gateway_url, &admin);
    let report = registry
        .verify(&VerifyOptions::default().smoke(false))
        .await
        .unwrap();
    let mut figures: BTreeMap<String, ImageFigures> = BTreeMap::new();
    let unique = unique_sizes(docker);
    let mut rows = Vec::new();
    for server in report
        .servers
        .iter()
        .filter(|s| !["council", "orchestrator"].contains(&s.name.as_str()))
    {
        let service = server.name.replace('_', "-");
        let image = seed.image(&service).unwrap().clone();
        let id = compose.container(&service).unwrap();
        let idle = docker.memory_mib(&id).unwrap();
        let upstream = server.upstream_id.clone().unwrap();
        let mut latencies = Vec::new();
        for i in 0..calls {
            let call = seed_concurrency_call(&server.name, 5000 + i as u64).unwrap();
            let resolved = caller.tools().resolve(&upstream, &call.tool).await.unwrap();
            let started = Instant::now();
            match caller.tools().call(&resolved.name, &call.arguments).await {
                Ok(_) => assert!(
                    !call.is_error,
                    "{}: answered without the error it should give",
                    call.tool
                ),
                // A not-found answer is the answer this call asks for.
                Err(mcpfleet_gateway_client::Error::ToolFailed(_)) if call.is_error => {}
                Err(other) => panic!("{}: {other}", call.tool),
            }
            latencies.push(started.elapsed());
        }
        latencies.sort();
        let p50 = percentile(&latencies, 50.0).as_secs_f64() * 1000.0;
        // `docker run` to healthy, alone, hardened as compose runs it.
        let mut starts = Vec::new();
        for _ in 0..runs {
            let tag = image.tag.clone();
            let took = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let mut args = mcpfleet_harness::HARDENED_RUN.to_vec();
                args.extend([
                    "--init",
                    "--tmpfs",
                    "/data:uid=10001",
                    "--tmpfs",
                    "/workspace:uid=10001",
                    &tag,
                ]);
                let id = docker.run(&args).unwrap();
                docker.wait_healthy(&id, Duration::from_secs(120)).unwrap();
                let took = started.elapsed();
                docker.cmd(&["rm", "-f", &id]).unwrap();
                took
            })
            .await
            .unwrap();
            starts.push(took.as_secs_f64() * 1000.0);
        }
        let image_bytes = image.size as f64;
        let row = ImageFigures::new(
            mb(image_bytes),
            mb(image_bytes - base_bytes),
            // kB precision: what a single image holds alone may be a few kilobytes of sources.
            (unique.get(&image.tag).copied().unwrap_or(0.0) / 1000.0).round() / 1000.0,
            median(starts) as u64,
            (idle * 10.0).round() / 10.0,
            (p50 * 10.0).round() / 10.0,
        );
        println!(
            "{:<14} {:>6.1} MB  +{:>5.1} MB  unique {:>6.3} MB  healthy {:>4.1} s  idle {:>5.1} MiB  call p50 {:>5.1} ms",
            server.name,
            row.image_mb,
            row.over_base_mb,
            row.unique_mb,
            row.healthy_ms as f64 / 1000.0,
            row.idle_mib,
            row.call_p50_ms
        );
        rows.push(json!({"server": server.name, "figures": row}));
        figures.insert(server.name.clone(), row);
    }

    // Registering the running fleet with the seed's checks (registered, tools discovered, one call each), from no
    // registration: ours (apply, then a tools check and the first smoke call of every server at once), then the
    // seed's sequence. Everything of the fleet is deleted before each.
    let cleaner = Registry::new(teardown, ContextForge::new(client(&gateway_url, &admin))).unwrap();
    let clean = || async {
        cleaner
            .apply(Mode::Sync, &ApplyOptions::default().lock_dir(None))
            .await
            .unwrap();
    };
    clean().await;
    let ours = same_checks_as_the_seed(registry, &caller).await;
    clean().await;
    let seed_way = seed_way(&caller, manifest).await;
    println!(
        "register, discover and one call for 12: ours {ours:.1} s, the seed's sequential way {seed_way:.1} s ({:.1}x); \
         our full verify (every smoke call, the virtual server over MCP) {:.1} s",
        seed_way / ours,
        warm.verify
    );

    compose.down();
    drop(warm);

    let source = format!(
        "the seed-shaped fleet's own images (tests/fixtures/seed/), `cargo bench -p mcpfleet-harness --bench seed_fleet` on \
         {} cores, Docker {} (start: median of {runs} `docker run`s; call p50 of {calls} sequential `/rpc` calls through a \
         containerized ContextForge 1.1.0; BENCHMARKS.md § Seed fleet)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        docker
            .cmd(&["version", "--format", "{{.Server.Version}}"])
            .unwrap()
            .trim()
    );
    let mut measurements = Measurements::default();
    measurements.base_mb = Some(mb(base_bytes));
    measurements.fleet_disk_mb = Some(mb(fleet_disk));
    measurements.servers = figures;
    measurements.source = Some(source);
    let out = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&out).unwrap();
    let report: Value = json!({
        "cold": {"build_s": build, "up_s": cold_figures.0, "apply_s": cold_figures.1, "verify_s": cold_figures.2, "total_s": build + cold_figures.3},
        "warm": {"up_s": warm_figures.0, "apply_s": warm_figures.1, "verify_s": warm_figures.2, "total_s": warm_figures.3},
        "register_discover_call": {"ours_s": ours, "seed_way_s": seed_way},
        "images": rows,
        "measurements": measurements,
    });
    std::fs::write(
        out.join("seed-fleet.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    let text = serde_json::to_string_pretty(&measurements).unwrap() + "\n";
    std::fs::write(out.join("container-measurements.json"), &text).unwrap();
    if std::env::var("BENCH_WRITE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(
            workspace_root().join("docs/container-measurements.json"),
            &text,
        )
        .unwrap();
        println!(
            "wrote docs/container-measurements.json; run `cargo run -p mcpfleet-examples --example fleet -- docs`"
        );
    }
}
