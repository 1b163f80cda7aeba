//! The seed-shaped fleet (`tests/fixtures/seed/`) end to end: twelve servers written the way the seed project's
//! are — standalone `fastmcp` 2.x and 4.x, `mcp` 1.x `FastMCP`, `mcp` 2.x `MCPServer`, plain Node — ten built
//! online into images from `fleet.yaml`, two run as host processes, with a backend that stands in for Chroma and
//! Ollama in the same compose file.
//!
//! - In compose: up, registered by service name with the least-privilege token (the processes by the address the
//!   gateway's container reaches the host at), every expected tool listed, every smoke call passed; 60 concurrent
//!   calls with distinct arguments through the gateway to a server of each style and bridge, each answered with
//!   its own result; the stateful servers recreated (new containers, same volumes) read back what they wrote; no
//!   container log holds the secret the servers share with the backend.
//! - On a single-node swarm: the same images as a stack, registered, verified, a stateful task killed and
//!   replaced by the engine with its state intact.
//! - Health that tells the truth: a server whose port stays open but which answers no MCP (its process stopped)
//!   turns unhealthy, and healthy again when it resumes, for the in-process launcher and behind mcp-proxy.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::{FleetPlan, SwarmSpec};
use mcpfleet_gateway_client::Client;
use mcpfleet_harness::{
    ComposeProject, Docker, FleetImages, SeedFleet, SeedProcesses, free_port,
    fresh_gateway_secrets, record_figure, seed_concurrency_call, seed_fleet, seed_manifest,
    with_cleanup,
};
use mcpfleet_registry::{ContextForge, Mode, Registry, VerifyOptions, VerifyReport};
use serde_json::Value;

use super::containers::{
    blocking, containerized_admin_token, docker_and_images, least_privilege_registry, serial,
};
use crate::common::client;

/// The services whose state lives on a volume, and a read-back that proves it survived (tool, arguments, what
/// the answer contains), after the smoke calls wrote it.
const READ_BACKS: &[(&str, &str, &str, &str)] = &[
    ("adr", "adr_get", r#"{"number": 1}"#, "Use smoke tests"),
    (
        "chronicle",
        "chronicle_get_entry",
        r#"{"entry_number": 1}"#,
        "The fleet woke up.",
    ),
    (
        "protocol",
        "protocol_get",
        r#"{"number": 1}"#,
        "Always verify before trusting.",
    ),
    (
        "task",
        "get_task",
        r#"{"task_number": 1}"#,
        "Prove the board works",
    ),
    (
        "agent_persona",
        "persona_get_state",
        r#"{"role": "auditor"}"#,
        "verify the smoke test",
    ),
    (
        "code",
        "code_read",
        r#"{"path": "smoke/hello.py"}"#,
        "print('hello')",
    ),
    (
        "rag_cortex",
        "cortex_cache_get",
        r#"{"query": "smoke question"}"#,
        "smoke answer",
    ),
    ("git", "git_get_status", "{}", "feature/task-1-smoke-test"),
    (
        "config",
        "config_read",
        r#"{"filename": "smoke.json"}"#,
        "\"mode\": \"smoke\"",
    ),
];

/// A server of each style and bridge: standalone fastmcp 2.x and 4.x, mcp 1.x, mcp 2.x (all in-process behind
/// the launcher) and plain Node behind mcp-proxy.
const CONCURRENT: &[&str] = &["adr", "code", "git", "forge_llm", "config"];
/// Calls in flight at once per server.
const CONCURRENT_CALLS: u64 = 60;

/// The compose (or stack) service of a manifest server: `agent_persona` runs as `agent-persona`.
fn service_of(server: &str) -> String {
    server.replace('_', "-")
}

/// The seed fleet's images, the fixture fleet's (for the gateway image), Docker; `None` when Docker is unusable
/// outside CI (said loudly).
async fn seed(
    test: &'static str,
) -> Option<(&'static Docker, &'static FleetImages, &'static SeedFleet)> {
    let (docker, images) = blocking(move || docker_and_images(test)).await?;
    let seed = blocking(move || seed_fleet(docker))
        .await
        .unwrap_or_else(|e| panic!("{test}: the seed fleet's images could not be built: {e}"));
    Some((docker, images, seed))
}

/// The seed fleet's plan with the containerized gateway published on `port`.
fn plan_with_gateway(seed: &SeedFleet, images: &FleetImages, port: u16) -> FleetPlan {
    let mut spec = seed.spec.clone();
    spec.gateway = Some(images.gateway_service(port).unwrap());
    FleetPlan::from_spec(&spec).unwrap()
}

/// The secret the servers share with the model backend, and the rest of what compose needs of the environment.
fn secrets(key: &str) -> Vec<(String, String)> {
    let mut env = fresh_gateway_secrets().unwrap();
    for name in ["OPENAI_API_KEY", "OLLAMA_API_KEY", "BACKEND_API_KEY"] {
        env.push((name.to_owned(), key.to_owned()));
    }
    env.push(("GITHUB_TOKEN".to_owned(), format!("ghp_{key}")));
    env
}

fn random_key() -> String {
    format!(
        "seed-{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}

/// The text of a tool result (every content item's text, joined).
fn text_of(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Calls `tool` of the server registered as `upstream` through `/rpc`; returns (is_error, text). A tool that
/// answers with an error result is an answer here, not a failure.
async fn call(client: &Client, upstream: &str, tool: &str, arguments: &Value) -> (bool, String) {
    let resolved = client.tools().resolve(upstream, tool).await.unwrap();
    match client.tools().call(&resolved.name, arguments).await {
        Ok(result) => (false, text_of(&serde_json::to_value(&result).unwrap())),
        Err(mcpfleet_gateway_client::Error::ToolFailed(failure)) => (
            true,
            text_of(&serde_json::to_value(&failure.result).unwrap()),
        ),
        Err(other) => panic!("{tool}: {other}"),
    }
}

fn upstreams(report: &VerifyReport) -> BTreeMap<String, String> {
    report
        .servers
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.upstream_id.clone()?)))
        .collect()
}

async fn verify_seed(registry: &Registry<ContextForge>) -> VerifyReport {
    registry
        .verify(&VerifyOptions::default().deadline(Duration::from_secs(60)))
        .await
        .unwrap()
}

/// Every expected tool found and every smoke call passed, per server; records what the closing note reports.
fn assert_whole_fleet(report: &VerifyReport, servers: usize, label: &str) {
    assert!(report.passed, "{}", report.to_markdown());
    assert_eq!(report.servers.len(), servers, "{label}");
    let mut tools = 0;
    for server in &report.servers {
        let mut expected = server.expected_tools.clone();
        let mut found = server.found_tools.clone();
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{label}: {}", server.name);
        assert!(
            !server.calls.is_empty() && server.calls.iter().all(|c| c.passed),
            "{label}: {}",
            server.name
        );
        tools += found.len();
        record_figure(&format!(
            "[seed {label}] {}: {} tools, {} smoke calls passed, tools after {} ms",
            server.name,
            found.len(),
            server.calls.len(),
            server.tools_after_ms
        ));
    }
    assert!(tools >= 40, "{label}: {tools} tools");
    record_figure(&format!(
        "[seed {label}] {} servers, {tools} tools, verify {} ms",
        report.servers.len(),
        report.elapsed_ms
    ));
}

/// `CONCURRENT_CALLS` calls at once to each server of [`CONCURRENT`], every one with its own arguments: each must
/// come back with its own answer.
async fn calls_keep_their_answers(client: &Client, upstreams: &BTreeMap<String, String>) {
    for server in CONCURRENT {
        let upstream = &upstreams[*server];
        let started = Instant::now();
        let calls = (0..CONCURRENT_CALLS).map(|i| {
            let expected = seed_concurrency_call(server, 1000 + i).unwrap();
            async move {
                let (is_error, text) =
                    call(client, upstream, &expected.tool, &expected.arguments).await;
                (expected, is_error, text)
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        let crossed: Vec<String> = answers
            .iter()
            .filter(|(expected, is_error, text)| {
                *is_error != expected.is_error || !text.contains(&expected.expect)
            })
            .map(|(expected, _, text)| {
                format!(
                    "{} wanted `{}`, got `{text}`",
                    expected.tool, expected.expect
                )
            })
            .collect();
        record_figure(&format!(
            "[seed concurrency] {server}: {CONCURRENT_CALLS} concurrent calls in {:.1} s, {} wrong",
            started.elapsed().as_secs_f64(),
            crossed.len()
        ));
        assert!(
            crossed.is_empty(),
            "{server}: {} of {CONCURRENT_CALLS} answers were not their own: {crossed:#?}",
            crossed.len()
        );
    }
}

/// The read-backs of [`READ_BACKS`] through the gateway (after the gateway noticed the servers are back).
async fn read_back(client: &Client, upstreams: &BTreeMap<String, String>, label: &str) {
    for (server, tool, arguments, expect) in READ_BACKS {
        let Some(upstream) = upstreams.get(*server) else {
            continue;
        };
        let arguments: Value = serde_json::from_str(arguments).unwrap();
        let mut last: String;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let resolved = client.tools().resolve(upstream, tool).await.unwrap();
            match client.tools().call(&resolved.name, &arguments).await {
                Ok(result) => {
                    last = text_of(&serde_json::to_value(&result).unwrap());
                    break;
                }
                Err(e) => last = e.to_string(),
            }
            assert!(
                Instant::now() < deadline,
                "{label}: {server} never answered {tool}: {last}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(
            last.contains(expect),
            "{label}: {server} lost its state: {tool} gave `{last}`"
        );
    }
}

/// The address a container on `network` reaches the host at: the network's gateway.
fn host_address(docker: &Docker, network: &str) -> IpAddr {
    docker
        .cmd(&[
            "network",
            "inspect",
            "--format",
            "{{(index .IPAM.Config 0).Gateway}}",
            network,
        ])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_fleet_runs_registers_and_keeps_its_state_in_compose() {
    let _serial = serial().await;
    let test_started = Instant::now();
    let Some((docker, images, seed)) =
        seed("the_seed_fleet_runs_registers_and_keeps_its_state_in_compose").await
    else {
        return;
    };
    record_figure(&format!(
        "[seed] {} images built online in {:.1} s",
        seed.images.len(),
        seed.build_time.as_secs_f64()
    ));
    let port = free_port().unwrap();
    let plan = plan_with_gateway(seed, images, port);
    let key = random_key();
    let env = secrets(&key);
    let jwt = env
        .iter()
        .find(|(k, _)| k == "JWT_SECRET_KEY")
        .map(|(_, v)| v.clone())
        .unwrap();
    let compose = std::sync::Arc::new(
        ComposeProject::new(
            docker,
            "seedcompose",
            &plan,
            |service| seed.images.get(service).map(|image| image.context.clone()),
            env,
        )
        .unwrap(),
    );
    let gateway_url = format!("http://127.0.0.1:{port}");
    let state = tempfile::tempdir().unwrap();
    with_cleanup(
        async {
            // Up: the gateway waits for every server to be healthy, and each server for the backend it calls.
            let up = compose.clone();
            let took =
                blocking(move || up.up_healthy(&[], Duration::from_secs(300)).unwrap()).await;
            record_figure(&format!(
                "[seed compose] up to every container healthy: {:.1} s",
                took.as_secs_f64()
            ));

            // The two processes on the host, where the gateway's container reaches it, with a backend of their own.
            let egress = compose.network(&plan.compose.networks[1].name);
            let address = host_address(docker, &egress);
            let processes = blocking({
                let (key, state) = (key.clone(), state.path().to_owned());
                move || SeedProcesses::start(address, &key, &state).unwrap()
            })
            .await;

            // Registered with the least-privilege token, and verified: tools and smoke calls of all twelve.
            let admin_token = containerized_admin_token(jwt.clone()).await;
            let manifest = seed_manifest(&gateway_url, &processes.processes).unwrap();
            let (registry, options, _token) =
                least_privilege_registry(&manifest, &gateway_url, &admin_token).await;
            let applied = Instant::now();
            registry
                .apply(Mode::Apply, &options)
                .await
                .unwrap()
                .into_result()
                .unwrap();
            record_figure(&format!(
                "[seed compose] apply of 12 servers: {:.1} s",
                applied.elapsed().as_secs_f64()
            ));
            let report = verify_seed(&registry).await;
            assert_whole_fleet(&report, 12, "compose");
            let upstreams = upstreams(&report);

            // Concurrent calls through the gateway keep their own answers, for every style and bridge.
            let caller = client(&gateway_url, &admin_token);
            calls_keep_their_answers(&caller, &upstreams).await;

            // New containers on the same volumes: what the smoke calls wrote is still there.
            let stateful: Vec<String> = READ_BACKS
                .iter()
                .map(|(server, ..)| service_of(server))
                .collect();
            let recreate = compose.clone();
            let recreated = blocking(move || {
                let started = Instant::now();
                let mut args = vec![
                    "up",
                    "--detach",
                    "--no-build",
                    "--no-deps",
                    "--force-recreate",
                ];
                args.extend(stateful.iter().map(String::as_str));
                recreate.run(&args).unwrap();
                let services: Vec<&str> = stateful.iter().map(String::as_str).collect();
                recreate
                    .wait_healthy(&services, Duration::from_secs(120))
                    .unwrap();
                started.elapsed()
            })
            .await;
            record_figure(&format!(
                "[seed compose] {} stateful servers recreated and healthy in {:.1} s",
                READ_BACKS.len(),
                recreated.as_secs_f64()
            ));
            read_back(
                &caller,
                &upstreams,
                "compose, after recreating the containers",
            )
            .await;
            let report = verify_seed(&registry).await;
            assert!(report.passed, "{}", report.to_markdown());

            // The secret shared with the backend reached it (persona and forge calls passed) and no log holds it.
            let logs = compose.clone();
            let text = blocking(move || logs.run(&["logs", "--no-color"]).unwrap()).await;
            assert!(
                !text.contains(&key),
                "a container log holds the backend's key"
            );
            drop(processes);
        },
        async {
            let down = compose.clone();
            blocking(move || down.down()).await;
        },
    )
    .await;
    record_figure(&format!(
        "[seed compose] test took {:.1} s",
        test_started.elapsed().as_secs_f64()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_fleet_runs_as_a_swarm_stack_and_heals_with_its_state() {
    let _serial = serial().await;
    let test_started = Instant::now();
    let Some((docker, images, seed)) =
        seed("the_seed_fleet_runs_as_a_swarm_stack_and_heals_with_its_state").await
    else {
        return;
    };
    let swarm = super::swarm::SwarmGuard::join(docker, format!("seed{}", docker.run_id()));
    let port = free_port().unwrap();
    let plan = plan_with_gateway(seed, images, port);
    let stack_plan = plan.stack(&SwarmSpec::default()).unwrap();
    let key = random_key();
    let env = secrets(&key);
    let jwt = env
        .iter()
        .find(|(k, _)| k == "JWT_SECRET_KEY")
        .map(|(_, v)| v.clone())
        .unwrap();
    let took = blocking({
        let stack = swarm.stack.clone();
        let services: Vec<String> = stack_plan
            .services
            .iter()
            .map(|s| s.service.name.clone())
            .collect();
        move || {
            let started = Instant::now();
            super::swarm::deploy(docker, &stack, &stack_plan, &env);
            for service in &services {
                super::swarm::wait_replicas(docker, &stack, service, 1);
            }
            started.elapsed()
        }
    })
    .await;
    record_figure(&format!(
        "[seed swarm] deploy to every task healthy: {:.1} s",
        took.as_secs_f64()
    ));
    let gateway_url = format!("http://127.0.0.1:{port}");
    let admin_token = containerized_admin_token(jwt).await;
    let manifest = seed_manifest(&gateway_url, &[]).unwrap();
    with_cleanup(
        async {
            let (registry, options, _token) =
                least_privilege_registry(&manifest, &gateway_url, &admin_token).await;
            registry
                .apply(Mode::Apply, &options)
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let report = verify_seed(&registry).await;
            assert_whole_fleet(&report, 10, "swarm");
            let upstreams = upstreams(&report);

            // Kill the task of every stateful server: the engine replaces each, on the same volume.
            let stack = swarm.stack.clone();
            let healed = blocking(move || {
                let started = Instant::now();
                for (server, ..) in READ_BACKS {
                    let service = service_of(server);
                    let victim = super::swarm::task_containers(docker, &stack, &service)[0].clone();
                    docker.cmd(&["kill", &victim]).unwrap();
                }
                for (server, ..) in READ_BACKS {
                    super::swarm::wait_replicas(docker, &stack, &service_of(server), 1);
                }
                started.elapsed()
            })
            .await;
            record_figure(&format!(
                "[seed swarm] {} killed tasks replaced and healthy in {:.1} s",
                READ_BACKS.len(),
                healed.as_secs_f64()
            ));
            let caller = client(&gateway_url, &admin_token);
            read_back(
                &caller,
                &upstreams,
                "swarm, after the engine replaced the tasks",
            )
            .await;
            assert!(
                registry.plan(Mode::Apply).await.unwrap().is_converged(),
                "no re-registration needed"
            );
        },
        async {},
    )
    .await;
    drop(swarm);
    record_figure(&format!(
        "[seed swarm] test took {:.1} s",
        test_started.elapsed().as_secs_f64()
    ));
}

/// The pid of the process in container `id` whose command line contains `needle`: not the init process (which
/// carries the server's command line too), not a probe, not this search.
fn pid_of(docker: &Docker, id: &str, python: &str, needle: &str) -> String {
    let script = format!(
        "import os\nfor pid in os.listdir('/proc'):\n    if not pid.isdigit() or int(pid) in (1, os.getpid()): continue\n    try: cmd = open(f'/proc/{{pid}}/cmdline','rb').read().replace(b'\\0', b' ')\n    except OSError: continue\n    if b'{needle}' in cmd and b'probe' not in cmd and not cmd.startswith(b'/sbin/docker-init'):\n        print(pid); break\n"
    );
    let out = docker.cmd(&["exec", id, python, "-c", &script]).unwrap();
    let pid = out.trim().to_owned();
    assert!(!pid.is_empty(), "no process `{needle}` in {id}");
    pid
}

/// A server whose port stays open but which answers no MCP is unhealthy: the in-process launcher (its process
/// stopped: the kernel still accepts connections) and mcp-proxy (its stdio child stopped: the bridge still answers
/// `initialize`, but `tools/list` never comes back). Resumed, each is healthy again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wedged_server_turns_unhealthy_and_a_resumed_one_healthy() {
    let _serial = serial().await;
    let Some((docker, _images, seed)) =
        seed("a_wedged_server_turns_unhealthy_and_a_resumed_one_healthy").await
    else {
        return;
    };
    // (service, the Python that can run in its image, what to stop)
    let cases = [
        ("adr", "/opt/venv/bin/python", "launcher.py"),
        (
            "config",
            "/opt/bridge/bin/python",
            "config_server/server.js",
        ),
    ];
    for (service, python, needle) in cases {
        let image = seed.image(service).unwrap().tag.clone();
        blocking(move || {
            let name = format!("{}-wedge-{service}", docker.project("c"));
            let mut args = mcpfleet_harness::HARDENED_RUN.to_vec();
            args.extend(["--init", "--name", &name, "--hostname", service, "--tmpfs", "/data:uid=10001", &image]);
            let id = docker.run(&args).unwrap();
            docker.wait_health(&id, "healthy", Duration::from_secs(60)).unwrap();
            let pid = pid_of(docker, &id, python, needle);
            // The port is still open: a TCP connect from inside succeeds while the server is stopped.
            let signal = |sig: &str| {
                docker
                    .cmd(&["exec", &id, python, "-c", &format!("import os, signal; os.kill({pid}, signal.{sig})")])
                    .unwrap();
            };
            signal("SIGSTOP");
            let connect = "import socket; a = socket.gethostbyname(socket.gethostname()); socket.create_connection((a, 8000), timeout=2).close(); print('open')";
            assert_eq!(docker.cmd(&["exec", &id, python, "-c", connect]).unwrap().trim(), "open");
            let unhealthy = docker.wait_health(&id, "unhealthy", Duration::from_secs(60)).unwrap();
            signal("SIGCONT");
            let healthy = docker.wait_health(&id, "healthy", Duration::from_secs(60)).unwrap();
            record_figure(&format!(
                "[health] {service} ({needle} stopped): unhealthy after {:.1} s, healthy {:.1} s after resuming",
                unhealthy.as_secs_f64(),
                healthy.as_secs_f64()
            ));
            docker.cmd(&["rm", "-f", &id]).unwrap();
        })
        .await;
    }
}
