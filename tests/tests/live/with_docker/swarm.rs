//! The fleet on Docker Swarm, for real: a single-node swarm, the generated stack file deployed with a
//! containerized gateway, the servers registered by service name with the least-privilege token and verified;
//! a stateless server scaled to 3 replicas and rolled (`docker service update --force`) while tool calls run,
//! counting the failed ones; a replica killed and replaced by the engine with no re-registration. The swarm is
//! left at the end when this test made it, also after a failure.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::{Renderer, SwarmSpec};
use mcpfleet_harness::{Docker, free_port, fresh_gateway_secrets, with_cleanup};
use mcpfleet_registry::{Mode, slug};
use serde_json::json;

use super::containers::{
    blocking, containerized_admin_token, docker_and_images, fleet_manifest, fleet_with_gateway,
    least_privilege_registry, serial, verify,
};
use crate::common::{client, failing};

/// A stack on a single-node swarm: removed with its volumes on drop, and the swarm left when this guard made it.
pub(crate) struct SwarmGuard {
    docker: &'static Docker,
    /// The stack's name.
    pub(crate) stack: String,
    created: bool,
}

impl SwarmGuard {
    /// Makes this engine a single-node swarm unless it already is one, for the stack `stack`.
    pub(crate) fn join(docker: &'static Docker, stack: String) -> SwarmGuard {
        let state = docker
            .cmd(&["info", "--format", "{{.Swarm.LocalNodeState}}"])
            .unwrap();
        let created = state.trim() != "active";
        if created {
            docker
                .cmd(&["swarm", "init", "--advertise-addr", "127.0.0.1"])
                .unwrap();
        }
        SwarmGuard {
            docker,
            stack,
            created,
        }
    }
}

/// `docker stack deploy` of `plan` as `stack`, with `env` for the stack file's `${…}` interpolations.
pub(crate) fn deploy(
    docker: &Docker,
    stack: &str,
    plan: &mcpfleet_dockerfile_gen::StackPlan,
    env: &[(String, String)],
) {
    let dir = tempfile::tempdir().unwrap();
    let stack_file = dir.path().join("stack.yml");
    std::fs::write(
        &stack_file,
        Renderer::new().unwrap().render_stack(plan).unwrap(),
    )
    .unwrap();
    let deployed = Command::new("docker")
        .args(["stack", "deploy", "--compose-file"])
        .arg(&stack_file)
        .arg(stack)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        deployed.status.success(),
        "docker stack deploy of {stack} ({} services, engine {:?}): {}",
        plan.services.len(),
        docker.run_id(),
        String::from_utf8_lossy(&deployed.stderr)
    );
}

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        let _ = self.docker.cmd(&["stack", "rm", &self.stack]);
        // Task containers stop asynchronously; the volume can go once they have.
        for _ in 0..60 {
            let left = self
                .docker
                .cmd(&[
                    "ps",
                    "-aq",
                    "--filter",
                    &format!("label=com.docker.stack.namespace={}", self.stack),
                ])
                .unwrap_or_default();
            if left.trim().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let volumes = self
            .docker
            .cmd(&[
                "volume",
                "ls",
                "-q",
                "--filter",
                &format!("label=com.docker.stack.namespace={}", self.stack),
            ])
            .unwrap_or_default();
        for volume in volumes.split_whitespace() {
            let _ = self.docker.cmd(&["volume", "rm", "-f", volume]);
        }
        if self.created {
            let _ = self.docker.cmd(&["swarm", "leave", "--force"]);
            // `swarm init` made it; `swarm leave` keeps it.
            let _ = self.docker.cmd(&["network", "rm", "docker_gwbridge"]);
        }
    }
}

/// The running task containers of one service of the stack.
pub(crate) fn task_containers(docker: &Docker, stack: &str, service: &str) -> Vec<String> {
    docker
        .cmd(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.swarm.service.name={stack}_{service}"),
        ])
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Waits until `service` has `replicas` healthy task containers.
pub(crate) fn wait_replicas(docker: &Docker, stack: &str, service: &str, replicas: usize) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let healthy = task_containers(docker, stack, service)
            .iter()
            .filter(|id| {
                docker
                    .cmd(&["inspect", "--format", "{{.State.Health.Status}}", id])
                    .is_ok_and(|s| s.trim() == "healthy")
            })
            .count();
        if healthy == replicas {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{stack}_{service}: {healthy} of {replicas} replicas healthy after 180 s:\n{}",
            docker
                .cmd(&["service", "ps", "--no-trunc", &format!("{stack}_{service}")])
                .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_on_a_single_node_swarm_scales_rolls_and_heals() {
    let _serial = serial().await;
    let started = std::time::Instant::now();
    let Some((docker, images)) =
        blocking(|| docker_and_images("the_fleet_on_a_single_node_swarm_scales_rolls_and_heals"))
            .await
    else {
        return;
    };
    let guard = SwarmGuard::join(docker, format!("sw{}", docker.run_id()));
    let stack = guard.stack.clone();

    // The stack file, generated from the same specs the images were built from.
    let port = free_port().unwrap();
    let fleet_images = ["utils-launcher", "notes"];
    let plan = fleet_with_gateway(docker, images, "swfleet", &fleet_images, port);
    let stack_plan = plan
        .stack(&SwarmSpec::default().replicas("notes", 2))
        .unwrap();
    let env = fresh_gateway_secrets().unwrap();
    let jwt = env
        .iter()
        .find(|(k, _)| k == "JWT_SECRET_KEY")
        .map(|(_, v)| v.clone())
        .unwrap();
    deploy(docker, &stack, &stack_plan, &env);
    blocking({
        let stack = stack.clone();
        move || {
            wait_replicas(docker, &stack, "gateway", 1);
            wait_replicas(docker, &stack, "utils", 1);
            wait_replicas(docker, &stack, "notes", 2);
        }
    })
    .await;
    let admin_token = containerized_admin_token(jwt).await;
    let gateway_url = format!("http://127.0.0.1:{port}");
    let fleet = format!("swm{}", docker.run_id());
    let url_of = |service: &str| {
        plan.compose
            .services
            .iter()
            .find(|s| s.name == service)
            .and_then(|s| s.registration_url.clone())
            .unwrap()
    };
    let manifest = fleet_manifest(
        &fleet,
        &gateway_url,
        &[
            ("utils", url_of("utils"), "streamable-http"),
            ("notes", url_of("notes"), "streamable-http"),
        ],
    );

    with_cleanup(
        async {
            // Registered by service name with the least-privilege token, verified.
            let (registry, options, _token) =
                least_privilege_registry(&manifest, &gateway_url, &admin_token).await;
            registry
                .apply(Mode::Apply, &options)
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let report = verify(&registry).await;
            assert!(report.passed, "{}", report.to_markdown());

            // Scale the stateless notes server to 3.
            let service = format!("{stack}_notes");
            blocking({
                let (stack, service) = (stack.clone(), service.clone());
                move || {
                    docker
                        .cmd(&["service", "scale", "--detach", &format!("{service}=3")])
                        .unwrap();
                    wait_replicas(docker, &stack, "notes", 3);
                }
            })
            .await;
            let report = verify(&registry).await;
            assert!(report.passed, "{}", report.to_markdown());

            // A rolling update of all three while calls keep coming: count what fails.
            let caller = client(&gateway_url, &admin_token);
            let tool = format!("{}-note-list", slug(&format!("{fleet}-notes")));
            let stop = Arc::new(AtomicBool::new(false));
            let (made, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let calls = tokio::spawn({
                let (stop, made, failed, tool) =
                    (stop.clone(), made.clone(), failed.clone(), tool.clone());
                async move {
                    let mut errors = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        made.fetch_add(1, Ordering::Relaxed);
                        if let Err(e) = caller.tools().call(&tool, &json!({})).await {
                            failed.fetch_add(1, Ordering::Relaxed);
                            errors.push(e.to_string());
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    errors
                }
            });
            let update_started = Instant::now();
            blocking({
                let service = service.clone();
                move || {
                    docker
                        .cmd(&[
                            "service",
                            "update",
                            "--force",
                            "--detach=false",
                            "--quiet",
                            &service,
                        ])
                        .unwrap()
                }
            })
            .await;
            let update_took = update_started.elapsed();
            stop.store(true, Ordering::Relaxed);
            let errors = calls.await.unwrap();
            let (made, failed) = (made.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
            mcpfleet_harness::record_figure(&format!(
                "[swarm] rolling update of 3 replicas in {:.1} s: {made} calls, {failed} failed",
                update_took.as_secs_f64()
            ));
            assert!(made >= 20, "too few calls to mean anything: {made}");
            assert_eq!(
                failed, 0,
                "calls failed during the rolling update: {errors:#?}"
            );

            // Kill one replica: the engine replaces it; verify passes with no re-registration.
            let victim = blocking({
                let stack = stack.clone();
                move || task_containers(docker, &stack, "notes")[0].clone()
            })
            .await;
            blocking({
                let stack = stack.clone();
                move || {
                    docker.cmd(&["kill", &victim]).unwrap();
                    wait_replicas(docker, &stack, "notes", 3);
                }
            })
            .await;
            assert!(
                registry.plan(Mode::Apply).await.unwrap().is_converged(),
                "no re-registration needed"
            );
            let report = verify(&registry).await;
            assert!(report.passed, "{}", report.to_markdown());
            assert!(failing(&report).is_empty());
        },
        async {},
    )
    .await;
    // What the test costs a CI run (the images are built by the first container test).
    mcpfleet_harness::record_figure(&format!(
        "[swarm] test took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}
