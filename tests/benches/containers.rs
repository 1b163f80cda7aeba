//! Benchmark: the generated images against a seed-style image of the same server, and the stdio bridges against
//! each other, in one run on this machine's Docker engine.
//!
//! Run with `cargo bench -p mcpfleet-harness --bench containers` (as root, with Docker and debootstrap;
//! `BENCH_RUNS` starts per image, default 3; `BENCH_CALLS` tool calls per bridge, default 30).
//!
//! - **seed-style**: what the seed project built for its servers — a base with build tools (its `python:3.11`),
//!   one stage, root, `COPY . .`, dependencies installed at build, no healthcheck — for the `utils` script, on a
//!   Debian trixie base with Python, pip, compilers, git and curl made here like the runtime base;
//! - **generated**: the same script from its `mcpfleet-dockerfile-gen` spec (FastMCP launcher), offline.
//!
//! Measured: image size (and what it adds over its base), a source-only rebuild (one comment appended to the
//! script), `docker run` to `healthy`, and per bridge (FastMCP launcher, `mcp-proxy` for Python and for Node):
//! image size, start time, idle memory, and the p50 of a tool call through the gateway (`/rpc`).
//! Prints a table and writes `target/bench/containers.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use mcpfleet_gateway_client::{Client, GatewayCreate, RetryPolicy, Transport};
use mcpfleet_harness::{
    BuiltImage, Docker, Gateway, build_tools_base_image, env_or, fixture_wheels, fleet_images,
    free_port, link_wheels, workspace_root,
};
use serde_json::json;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn size(docker: &Docker, tag: &str) -> u64 {
    docker
        .cmd(&["image", "inspect", "--format", "{{.Size}}", tag])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The seed's Dockerfile shape for the `utils` script.
fn seed_style_dockerfile(base: &str) -> String {
    format!(
        "FROM {base}\n\
         WORKDIR /app\n\
         COPY . .\n\
         RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links wheels -r requirements.txt\n\
         ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PORT=8000\n\
         CMD [\"python\", \"utils_server.py\"]\n"
    )
}

fn touch_source(context: &Path) {
    let script = context.join("utils_server.py");
    let mut text = fs::read_to_string(&script).unwrap();
    text.push_str(&format!("\n# rebuilt {:?}\n", Instant::now()));
    fs::write(&script, text).unwrap();
}

/// `docker run` → `healthy`, hardened like compose runs it; returns the container and the time.
fn start(docker: &Docker, image: &BuiltImage, host_port: u16) -> (String, Duration) {
    let started = Instant::now();
    let id = docker
        .run_hardened(&image.tag, None, image.plan.endpoint.port, host_port)
        .unwrap();
    docker.wait_healthy(&id, Duration::from_secs(120)).unwrap();
    (id, started.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = env_or("BENCH_RUNS", 3);
    let calls: usize = env_or("BENCH_CALLS", 30);
    let docker = Docker::shared().expect("the containers benchmark needs Docker");
    let images = tokio::task::spawn_blocking(move || fleet_images(docker).unwrap())
        .await
        .unwrap();
    let runtime_base = size(docker, &images.base.tag);

    // Seed-style image of utils on a base with build tools.
    let build_base = tokio::task::spawn_blocking(build_tools_base_image)
        .await
        .unwrap()
        .unwrap();
    let seed_context = workspace_root()
        .join("target")
        .join("bench")
        .join("seed-style-utils");
    let _ = fs::remove_dir_all(&seed_context);
    fs::create_dir_all(&seed_context).unwrap();
    fs::write(
        seed_context.join("Dockerfile"),
        seed_style_dockerfile(&build_base.tag),
    )
    .unwrap();
    fs::copy(
        mcpfleet_harness::fixtures_dir().join("utils_server.py"),
        seed_context.join("utils_server.py"),
    )
    .unwrap();
    fs::copy(
        mcpfleet_harness::fixtures_dir().join("requirements.txt"),
        seed_context.join("requirements.txt"),
    )
    .unwrap();
    link_wheels(&[&fixture_wheels().unwrap()], &seed_context, "wheels").unwrap();
    let seed_tag = format!("mcpfleet-test/seed-style-utils:{}", docker.run_id());
    let seed_build = docker.build(&seed_context, &seed_tag).unwrap();
    let seed_size = size(docker, &seed_tag);
    let build_base_size = size(docker, &build_base.tag);

    let generated = images.get("utils-launcher").unwrap();
    let generated_size = generated.size;

    // Source-only rebuilds: one comment appended to the script in each context.
    touch_source(&seed_context);
    let seed_rebuild = docker.build(&seed_context, &seed_tag).unwrap();
    touch_source(&generated.context);
    let generated_rebuild = generated.rebuild(docker).unwrap();

    println!(
        "seed-style image      {:>7.1} MB ({:.1} MB over its base of {:.1} MB), built in {:.1} s, source-only rebuild {:.1} s",
        mb(seed_size),
        mb(seed_size - build_base_size),
        mb(build_base_size),
        seed_build.as_secs_f64(),
        seed_rebuild.as_secs_f64()
    );
    println!(
        "generated image       {:>7.1} MB ({:.1} MB over its base of {:.1} MB), built in {:.1} s, source-only rebuild {:.1} s",
        mb(generated_size),
        mb(generated_size - runtime_base),
        mb(runtime_base),
        generated.build_time.as_secs_f64(),
        generated_rebuild.as_secs_f64()
    );

    // Start times and bridges.
    let gateway = tokio::task::spawn_blocking(Gateway::shared).await.unwrap();
    let client = Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for (image_name, tool, arguments) in [
        ("utils-launcher", "add", json!({"a": 10, "b": 5})),
        ("utils-proxy", "add", json!({"a": 10, "b": 5})),
        ("clock", "echo", json!({"text": "bench"})),
        ("notes", "note_list", json!({})),
        ("textkit", "upper", json!({"text": "bench"})),
    ] {
        let image = images.get(image_name).unwrap().clone();
        let mut starts = Vec::new();
        let mut last = None;
        for run in 0..runs {
            let port = free_port().unwrap();
            let image = image.clone();
            let (id, took) = tokio::task::spawn_blocking(move || start(docker, &image, port))
                .await
                .unwrap();
            starts.push(took.as_secs_f64());
            if run + 1 < runs {
                docker.cmd(&["rm", "-f", &id]).unwrap();
            } else {
                last = Some((id, port));
            }
        }
        let (id, port) = last.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let memory = docker.memory_mib(&id).unwrap();
        let path = image.plan.endpoint.path.clone();
        let transport = if path == "/sse" {
            Transport::Sse
        } else {
            Transport::StreamableHttp
        };
        let registered = client
            .gateways()
            .create(
                &GatewayCreate::new(
                    format!("bench-{image_name}-{}", docker.run_id()),
                    format!("http://127.0.0.1:{port}{path}"),
                )
                .transport(transport),
            )
            .await
            .unwrap();
        let resolved = client.tools().resolve(&registered.id, tool).await.unwrap();
        let mut latencies = Vec::new();
        for _ in 0..calls {
            let started = Instant::now();
            client
                .tools()
                .call(&resolved.name, &arguments)
                .await
                .unwrap();
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        client.gateways().delete(&registered.id).await.unwrap();
        docker.cmd(&["rm", "-f", &id]).unwrap();
        let row = json!({
            "image": image_name,
            "size_mb": mb(image.size), "over_base_mb": mb(image.size - runtime_base),
            "healthy_s_median": median(starts.clone()), "healthy_s": starts,
            "idle_memory_mib": memory, "call_p50_ms": median(latencies),
        });
        println!(
            "{image_name:<16} {:>6.1} MB  healthy {:>4.1} s (median of {runs})  idle {:>6.1} MiB  tool call p50 {:>6.1} ms",
            mb(image.size),
            median(starts),
            memory,
            row["call_p50_ms"].as_f64().unwrap()
        );
        rows.push(row);
    }

    let size_ratio = generated_size as f64 / seed_size as f64;
    let rebuild_ratio = generated_rebuild.as_secs_f64() / seed_rebuild.as_secs_f64();
    println!();
    println!("generated / seed-style size            = {size_ratio:.2}  (target <= 0.25)");
    println!(
        "generated over its base                = {:.1} MB (target <= 40)",
        mb(generated_size - runtime_base)
    );
    println!("generated / seed-style source rebuild  = {rebuild_ratio:.2}  (target <= 0.35)");
    let report = json!({
        "seed_style": {"size_mb": mb(seed_size), "base_mb": mb(build_base_size), "build_s": seed_build.as_secs_f64(), "source_rebuild_s": seed_rebuild.as_secs_f64()},
        "generated": {"size_mb": mb(generated_size), "base_mb": mb(runtime_base), "build_s": generated.build_time.as_secs_f64(), "source_rebuild_s": generated_rebuild.as_secs_f64()},
        "size_ratio": size_ratio, "rebuild_ratio": rebuild_ratio, "images": rows,
    });
    let out = workspace_root().join("target").join("bench");
    fs::create_dir_all(&out).unwrap();
    fs::write(
        out.join("containers.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
}
