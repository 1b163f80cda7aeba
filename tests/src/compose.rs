//! A fleet plan run with `docker-compose`: its generated compose file in a directory of its own, the images
//! already built (compose builds nothing), secrets passed through compose's environment only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::{FleetPlan, GatewayService, Renderer};

use crate::docker::Docker;
use crate::error::{HarnessError, Result, io_err};
use crate::images::FleetImages;

/// A compose project of this test run; `down --volumes` is left to the caller (or to the janitor, which removes
/// everything of the run's projects).
#[derive(Debug)]
pub struct ComposeProject {
    docker: &'static Docker,
    /// The project name (`mcpfleettest<run><name>`).
    pub project: String,
    /// The compose file.
    pub file: PathBuf,
    /// The services, in the plan's order.
    pub services: Vec<String>,
    env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl ComposeProject {
    /// Writes `plan`'s compose file into a new directory, each build context a link to `context_of(service)`
    /// (compose checks that contexts exist even when it builds nothing). `env` holds the values of its `${…}`
    /// interpolations.
    pub fn new(
        docker: &'static Docker,
        name: &str,
        plan: &FleetPlan,
        context_of: impl Fn(&str) -> Option<PathBuf>,
        env: Vec<(String, String)>,
    ) -> Result<ComposeProject> {
        let dir =
            tempfile::tempdir().map_err(io_err("creating", Path::new("a temporary directory")))?;
        let file = dir.path().join("docker-compose.yml");
        let text = Renderer::new()
            .and_then(|r| r.render_compose(plan))
            .map_err(|e| HarnessError::Command {
                what: format!("rendering the compose file of {}", plan.name),
                status: "refused".to_owned(),
                output: e.to_string(),
            })?;
        std::fs::write(&file, text).map_err(io_err("writing", &file))?;
        for service in &plan.compose.services {
            let (Some(context), Some(target)) = (&service.build_context, context_of(&service.name))
            else {
                continue;
            };
            let link = dir.path().join(context);
            if let Some(parent) = link.parent() {
                std::fs::create_dir_all(parent).map_err(io_err("creating directory", parent))?;
            }
            std::os::unix::fs::symlink(&target, &link).map_err(io_err("linking", &link))?;
        }
        Ok(ComposeProject {
            docker,
            project: docker.project(name),
            file,
            services: plan
                .compose
                .services
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            env,
            _dir: dir,
        })
    }

    /// The engine.
    pub fn docker(&self) -> &'static Docker {
        self.docker
    }

    /// `docker-compose <args>` in this project.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.docker.compose(&self.project, &self.file, &env, args)
    }

    /// The container of `service`.
    pub fn container(&self, service: &str) -> Result<String> {
        Ok(self.run(&["ps", "-q", service])?.trim().to_owned())
    }

    /// `up --detach --no-build` (of `services`, or all), then waits until every container that has a
    /// healthcheck is healthy; returns the time from `up` to the last one healthy.
    pub fn up_healthy(&self, services: &[&str], timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        let mut args = vec!["up", "--detach", "--no-build"];
        args.extend_from_slice(services);
        self.run(&args)?;
        self.wait_healthy(services, timeout.saturating_sub(started.elapsed()))?;
        Ok(started.elapsed())
    }

    /// Waits until every container of `services` (or all) is healthy.
    pub fn wait_healthy(&self, services: &[&str], timeout: Duration) -> Result<()> {
        let wanted: Vec<&str> = if services.is_empty() {
            self.services.iter().map(String::as_str).collect()
        } else {
            services.to_vec()
        };
        for service in wanted {
            let id = self.container(service)?;
            self.docker.wait_healthy(&id, timeout)?;
        }
        Ok(())
    }

    /// `down --volumes --remove-orphans`; a failure is printed, not returned (cleanup must go on).
    pub fn down(&self) {
        if let Err(err) = self.run(&["down", "--volumes", "--remove-orphans"]) {
            eprintln!("[harness] compose down of {}: {err}", self.project);
        }
    }

    /// The project's network `name` (as the plan names it) on the engine: `<project>_<name>`.
    pub fn network(&self, name: &str) -> String {
        format!("{}_{name}", self.project)
    }
}

impl FleetImages {
    /// The containerized ContextForge (the `contextforge` image) as a fleet's gateway service on `port`, published
    /// on 127.0.0.1, with the settings the tests run it with.
    pub fn gateway_service(&self, port: u16) -> Result<GatewayService> {
        let image = self.get("contextforge")?;
        let (repository, tag) = image.tag.split_once(':').unwrap_or((&image.tag, "latest"));
        serde_json::from_value(serde_json::json!({
            "image": {"name": repository, "tag": tag},
            "port": port,
            "publish_address": "127.0.0.1",
            "env": [
                {"name": "BASIC_AUTH_PASSWORD", "secret": true},
                {"name": "AUTH_REQUIRED", "default": "true"},
                {"name": "MCPGATEWAY_UI_ENABLED", "default": "false"},
                {"name": "MCPGATEWAY_ADMIN_API_ENABLED", "default": "false"},
                {"name": "CACHE_TYPE", "default": "memory"},
                {"name": "RATE_LIMITING_ENABLED", "default": "false"},
            ],
        }))
        .map_err(|e| HarnessError::Command {
            what: "the gateway service".to_owned(),
            status: "invalid".to_owned(),
            output: e.to_string(),
        })
    }
}
