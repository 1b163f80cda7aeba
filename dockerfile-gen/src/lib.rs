//! Container images for script-based MCP servers that are small, safe and
//! reachable by a gateway — generated from a typed spec.
//!
//! The pipeline is `spec → validate → plan → render`:
//!
//! 1. A [`ServerSpec`] (or a [`FleetSpec`] of several) says what to run:
//!    runtime, entrypoint, transport, dependency manifest, env (secrets by
//!    name only), port, healthcheck, numeric non-root user, labels, base
//!    image (optionally digest-pinned), packages, limits, offline mode.
//! 2. [`BuildPlan::from_spec`] validates every string that can reach a file
//!    (errors name the field, e.g. `servers[2].env[0].name`) and produces
//!    plain data: ordered stages and steps, one per Dockerfile instruction,
//!    plus the [`Endpoint`] a gateway registers (port, path and
//!    [`EndpointTransport`]). Plans are `Serialize + Deserialize`, so they
//!    can be stored, diffed and read back.
//! 3. A [`Renderer`] lays plans out with handlebars templates (strict mode,
//!    no HTML escaping, embedded; override any by name) into a `Dockerfile`,
//!    an allow-list `.dockerignore`, supporting files, and for a fleet a
//!    `docker-compose.yml`.
//!
//! # Tour
//!
//! ```
//! use mcpfleet_dockerfile_gen::{
//!     Bridge, BuildPlan, Dependencies, Entrypoint, EndpointTransport, EnvVar, Renderer, Runtime,
//!     ServerSpec, ServerTransport,
//! };
//!
//! // A legacy FastMCP script that only speaks stdio.
//! let mut spec = ServerSpec::new(
//!     "utils",
//!     Runtime::python("3.12"),
//!     Entrypoint::script("server.py"),
//!     ServerTransport::Stdio { bridge: Bridge::fastmcp_launcher() },
//! );
//! spec.dependencies = Dependencies::Requirements {
//!     path: "requirements.txt".into(),
//!     require_hashes: true,
//! };
//! spec.env.push(EnvVar::secret("UPSTREAM_TOKEN"));
//!
//! let plan = BuildPlan::from_spec(&spec)?;
//! assert_eq!(plan.endpoint.url("utils"), "http://utils:8000/mcp");
//! // The bridge serves the stdio server as streamable HTTP: register it so.
//! assert_eq!(plan.endpoint.transport, EndpointTransport::StreamableHttp);
//! assert_eq!(plan.endpoint.transport.as_str(), "STREAMABLEHTTP");
//! assert_eq!(plan.stages.len(), 2); // builder + runtime
//!
//! let files = Renderer::new()?.render(&plan)?;
//! let dockerfile = files.get("Dockerfile").unwrap_or_default();
//! assert!(dockerfile.contains("USER 10001:10001"));
//! assert!(dockerfile.contains("pip install --no-cache-dir --require-hashes"));
//! assert!(files.get("mcpfleet_launcher.py").is_some());
//! // Secrets are runtime-only: compose requires them, no file holds them.
//! assert_eq!(plan.runtime_env[0].name, "UPSTREAM_TOKEN");
//!
//! // Bad input is an error that names the field, never a panic.
//! spec.env.push(EnvVar::with_default("GREETING", "hi\nRUN rm -rf /"));
//! let err = BuildPlan::from_spec(&spec).unwrap_err();
//! assert_eq!(err.field(), Some("env[1].default"));
//! # Ok::<(), mcpfleet_dockerfile_gen::Error>(())
//! ```
//!
//! A fleet ([`FleetPlan::from_spec`], [`Renderer::render_fleet`]) adds a
//! compose file: one internal network, [`BackendService`]s the servers call
//! (a vector database, a model server) from existing images, services
//! reached by DNS name (each
//! container's `hostname` is its service name too), an optional ContextForge
//! `gateway` service that waits for every server to be healthy, `init`,
//! `read_only`, `no-new-privileges`, `cap_drop: [ALL]`, CPU/memory limits,
//! named volumes for [`ServerSpec::writable_paths`], a restart policy, and
//! `${NAME:?…}` interpolation for every variable without a default, so a
//! missing secret stops compose before anything starts. All of it,
//! hardening included, is data in [`ComposeService`]: the template only lays
//! it out. Each server's [`ComposeService::registration_url`] is the URL a
//! gateway on the fleet network must register it with,
//! `http://<service name>:<port><path>`: the service name is the only name
//! the FastMCP launcher admits in the `Host` header, so any other name that
//! reaches the container (the compose container name `<project>_utils_1`)
//! gets `421`. The fleet is validated as a whole, each server once.
//!
//! # Types
//!
//! - Reading specs: [`ServerSpec::from_path`], [`FleetSpec::from_path`] (regular files up to [`LoadOptions`]'
//!   limit), `from_text` with a [`SpecFormat`]; errors are [`Error::Parse`] at `file:line:column` with the field's
//!   path (a repeated key names both its positions; nesting past [`MAX_DEPTH`] and alias bombs are refused).
//! - Spec (input, `Deserialize` + JSON Schema): [`ServerSpec`],
//!   [`FleetSpec`], [`BackendService`], [`Runtime`], [`Entrypoint`], [`ServerTransport`] (what
//!   the server speaks; the prefix lets it be imported next to the gateway
//!   client's `Transport`), [`Bridge`], [`Dependencies`], [`EnvVar`],
//!   [`Healthcheck`], [`Probe`], [`RunAs`], [`Labels`], [`ImageRef`],
//!   [`AptPackage`], [`InstallMode`], [`Resources`], [`RestartPolicy`],
//!   [`GatewayService`].
//! - Plan (output, `Serialize` + `Deserialize`): [`BuildPlan`], [`Stage`],
//!   [`Step`], [`KeyValue`], [`HealthcheckStep`], [`SupportingFile`],
//!   [`Endpoint`], [`EndpointTransport`] (what a gateway registers the
//!   endpoint with), [`RuntimeEnv`]; [`FleetPlan`], [`ComposePlan`],
//!   [`ComposeService`], [`ServiceRole`], [`DependsOn`], [`StartCondition`],
//!   [`ComposeEnv`], [`VolumeMount`], [`ComposeNetwork`].
//! - Swarm: [`SwarmSpec`] → [`StackPlan`] ([`StackService`], [`StackNetwork`]).
//! - Kubernetes (feature `kubernetes`): [`KubernetesSpec`], [`RegistrarSpec`], [`SecretKeyRef`] →
//!   [`KubernetesPlan`] ([`KubernetesServer`], [`RegistrarObjects`], [`ChartValues`]).
//! - Rendering: [`Renderer`], [`GeneratedFiles`], [`GeneratedFile`],
//!   [`templates`].
//! - Names the generator owns in images and compose files: [`VENV_DIR`],
//!   [`BRIDGE_VENV_DIR`], [`APP_DIR`], [`LAUNCHER_FILE`], [`PROBE_FILE`],
//!   [`NODE_PROBE_FILE`], [`GATEWAY_SERVICE`], [`COMPOSE_FILE`]; build
//!   arguments: [`BASE_IMAGE_ARG`], [`PIP_INDEX_ARGS`], [`NPM_REGISTRY_ARGS`].
//!
//! # What the images look like
//!
//! - Multi-stage: a `builder` stage installs from the manifests alone — the
//!   server's dependencies into [`VENV_DIR`] (Python) or `node_modules`
//!   (Node), the `mcp-proxy` bridge into [`BRIDGE_VENV_DIR`] — and runs
//!   `pip check` on every virtual environment in the `RUN` that fills it:
//!   pip only warns when one install breaks another's requirements, and the
//!   check turns that into a failed build instead of an image that dies at
//!   start. Then pip itself is uninstalled from the venv: nothing installs
//!   packages at run time, and pip is a quarter of a small server's venv. The `runtime` stage, on the same base, copies the results. A
//!   source-only change leaves the builder stage, and so the dependency
//!   layers, cached.
//! - In the `runtime` stage everything that does not depend on the sources
//!   comes first — environment, the account, the installed environments,
//!   the writable directories, the generator's launcher and probe, `WORKDIR`,
//!   `USER`, `EXPOSE`, `HEALTHCHECK`, `CMD`, default values, labels — and the
//!   sources' `COPY` is the last instruction. The classic builder rebuilds
//!   every instruction after a changed layer, each one a container commit, so
//!   a source-only rebuild redoes only the copies; and servers built from one
//!   base with one dependency manifest share every layer up to their
//!   writable directories, the installed environment included, so a fleet of
//!   such images takes the environment's disk once.
//! - The `HEALTHCHECK`, and the compose healthcheck (the same
//!   [`HealthcheckStep`]), is an MCP round trip by default ([`Probe::Mcp`]):
//!   a generated script ([`PROBE_FILE`], or [`NODE_PROBE_FILE`] in a Node
//!   image without a Python; standard library only) sends `initialize`,
//!   `notifications/initialized` and `tools/list` to the endpoint the
//!   gateway registers, and the container is healthy only when a tool list
//!   comes back. A port that accepts connections while the server, or a
//!   bridge's stdio child, is stuck is unhealthy: `tools/list` is answered
//!   by the server itself. It connects the way the gateway does: to the
//!   container's own address, its hostname resolved inside the container,
//!   never 127.0.0.1 (a probe of loopback passes for a server that listens
//!   on loopback only and refuses everyone else), and fails if the hostname
//!   resolves to loopback. It runs every 2 s by default: Docker Engines
//!   before 25.0 have no start interval, so the interval alone decides how
//!   soon after the server answers the container is healthy, which is what
//!   `depends_on: service_healthy` waits for ([`Healthcheck`] overrides it).
//!   [`Probe::Tcp`], [`Probe::Http`] and [`Probe::Command`] are for
//!   services that speak no MCP.
//! - Non-root numeric `USER`, exec-form `HEALTHCHECK` and `CMD`,
//!   `PYTHONDONTWRITEBYTECODE`/`PYTHONUNBUFFERED`, `pip --no-cache-dir`,
//!   apt packages pinned and lists removed, sources owned by root (read-only
//!   to the server).
//! - Native HTTP servers get `HOST=0.0.0.0` and `PORT=<port>`, for servers
//!   that bind what those say; a server that reads other variables needs
//!   them in its `env` or arguments.
//! - Only the classic builder is assumed (Docker 20.10 without BuildKit):
//!   no `RUN --mount`, heredocs, `COPY --chmod` or `# syntax=` lines.
//! - The base image is any `name:tag[@digest]` (defaults: `python:<v>-slim`,
//!   `node:<v>-slim`), written as the default of the [`BASE_IMAGE_ARG`]
//!   build argument that every `FROM` reads: `docker build --build-arg
//!   BASE_IMAGE=…` swaps in a mirror or a locally made base without editing
//!   the file, and the `org.opencontainers.image.base.name` label records
//!   the one really used. The Python interpreter is configurable, so a
//!   locally built Debian image with `python3` + `python3-venv` works.
//! - Online builds install from PyPI and the npm registry, or from the index
//!   the [`PIP_INDEX_ARGS`] / [`NPM_REGISTRY_ARGS`] build arguments name (a
//!   mirror, or a local index serving a wheelhouse over HTTP); they are
//!   declared in the builder stage only and reach no layer of the image.
//!   Offline mode ([`InstallMode::Offline`]) installs from a vendored
//!   wheelhouse (`pip install --no-index --find-links`) or npm cache
//!   (`npm ci --offline --cache`), with no network during `docker build`.
//!
//! # Stdio bridges
//!
//! A stdio server cannot be reached over the network, so the container serves
//! it as streamable HTTP on `0.0.0.0:<port>/mcp`:
//!
//! | bridge | runtime | how | cost |
//! |---|---|---|---|
//! | [`Bridge::FastmcpLauncher`] | Python | a generated launcher imports the server object of a FastMCP script (standalone `fastmcp` 2.x–4.x, `mcp` 1.x `FastMCP`, `mcp` 2.x `MCPServer`) and serves it over HTTP in the same process, bound to `0.0.0.0`, admitting the service name as `Host` | no extra package (the script's own framework); FastMCP-style scripts only |
//! | [`Bridge::McpProxy`] | Python or Node | `mcp-proxy --pass-environment -- <server argv>`: one MCP client session to one stdio child, every call forwarded through it | `mcp-proxy` and its `mcp` in a virtual environment of their own; any stdio command |
//!
//! Both pass the same test through a real gateway: at least 50 concurrent
//! tool calls with distinct arguments, each answered with its own result.
//! ContextForge's `mcpgateway.translate` is deliberately not offered: it
//! multiplexes every session onto one stdio process without keeping their
//! request ids apart, and gave concurrent calls one another's answers; npm's
//! `supergateway` is not offered because it could not be installed and
//! tested here. Image sizes, start times, idle memory and tool-call latency
//! of each bridge are measured by the repository's `containers` benchmark
//! and kept in its `BENCHMARKS.md`.
//!
//! `mcp-proxy` pins its own `mcp`, which could replace the version the
//! server pins if both shared one environment, with only a warning from
//! pip. So the bridge gets its own virtual environment, [`BRIDGE_VENV_DIR`];
//! the stdio child still runs with the server's Python (`/opt/venv/bin/python
//! /app/server.py`), or with `node` for a Node server, whose base image must
//! then also provide a Python with `venv` for the bridge (Debian:
//! `python3-venv` next to `nodejs`). The child's argv follows `--` as
//! written: no shell and no word splitting, so arguments may hold any text.
//! From a hashed lock (`lock`, installed with `--require-hashes`) the bridge
//! installs with no unverified package; when the server's requirements use
//! `require_hashes` the lock is required, since an unhashed bridge would
//! pull in dozens of packages unchecked. With a wheelhouse
//! ([`InstallMode::Offline`]) the bridge builds without network, which makes
//! it the bridge for Node servers where the npm registry is out of reach.
//!
//! ```
//! use mcpfleet_dockerfile_gen::{
//!     Bridge, BuildPlan, Dependencies, Entrypoint, Renderer, Runtime, ServerSpec,
//!     ServerTransport,
//! };
//!
//! let mut spec = ServerSpec::new(
//!     "shout",
//!     Runtime::python("3.12"),
//!     Entrypoint::script("server.py"),
//!     ServerTransport::Stdio {
//!         bridge: Bridge::mcp_proxy_locked("bridge-requirements.txt"),
//!     },
//! );
//! spec.dependencies = Dependencies::Requirements {
//!     path: "requirements.txt".into(),
//!     require_hashes: true,
//! };
//! let plan = BuildPlan::from_spec(&spec)?;
//! let files = Renderer::new()?.render(&plan)?;
//! let dockerfile = files.get("Dockerfile").unwrap_or_default();
//! assert!(dockerfile.contains("--require-hashes -r /build-bridge/bridge-requirements.txt"));
//! assert!(dockerfile.contains("/opt/bridge/bin/pip check"));
//! assert!(dockerfile.contains(
//!     r#"CMD ["/opt/bridge/bin/mcp-proxy", "--host", "0.0.0.0", "--port", "8000", "--pass-environment", "--", "/opt/venv/bin/python", "/app/server.py"]"#
//! ));
//! assert!(files.get("mcpfleet_probe.py").is_some());
//!
//! // Hashed server requirements and an unhashed bridge: refused.
//! spec.transport = ServerTransport::Stdio { bridge: Bridge::mcp_proxy() };
//! let err = BuildPlan::from_spec(&spec).unwrap_err();
//! assert_eq!(err.field(), Some("transport.bridge.lock"));
//! # Ok::<(), mcpfleet_dockerfile_gen::Error>(())
//! ```
//!
//! The FastMCP launcher exists because `mcp.run()` speaks stdio and the
//! frameworks' HTTP defaults do not suit a container: FastMCP from mcp 1.x
//! binds 127.0.0.1 and answers `421 Invalid Host header` to `Host:
//! utils:8000`, and standalone fastmcp 2.x and 4.x take their HTTP options
//! only at `run()`. With the launcher the service name answers 200 while
//! other Host names still get 421 (mcp 1.x and 2.x, fastmcp 4.x; fastmcp
//! 2.x checks no Host header), which is why a fleet must register servers
//! by service name ([`ComposeService::registration_url`]).
//!
//! # Docker Swarm
//!
//! [`FleetPlan::stack`] turns the compose plan into a [`StackPlan`] for `docker stack deploy`
//! ([`Renderer::render_stack`]): replicas per service from a [`SwarmSpec`] (refused above one for a service
//! with a writable volume), resource limits, a restart policy, a start-first rolling update that rolls back on
//! failure, `endpoint_mode: dnsrr` (the service name resolves to the replicas themselves; the default virtual IP
//! needs IPVS) and a host-mode published gateway port. Swarm does not build: the images must exist on the nodes.
//!
//! ```
//! use mcpfleet_dockerfile_gen::{FleetPlan, FleetSpec, Renderer, SwarmSpec};
//! let spec: FleetSpec = serde_json::from_value(serde_json::json!({
//!     "name": "demo",
//!     "servers": [{"name": "utils", "runtime": {"language": "python", "version": "3.13"},
//!                  "entrypoint": {"kind": "script", "path": "utils_server.py"},
//!                  "transport": {"kind": "streamable_http"}}]
//! }))?;
//! let stack = FleetPlan::from_spec(&spec)?.stack(&SwarmSpec::default().replicas("utils", 3))?;
//! let text = Renderer::new()?.render_stack(&stack)?;
//! assert!(text.contains("replicas: 3") && text.contains("endpoint_mode: dnsrr"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Kubernetes (feature `kubernetes`)
//!
//! [`FleetPlan::kubernetes`] turns the same plan into typed `k8s-openapi` objects for a cluster that runs
//! ContextForge from its Helm chart `charts/mcp-stack` ([`KubernetesSpec`] → [`KubernetesPlan`], rendered by
//! [`Renderer::render_kubernetes`]): per server a Deployment (numeric non-root user, read-only root, every
//! capability dropped, seccomp `RuntimeDefault`, no privilege escalation, requests = limits, probes that run the
//! image's `HEALTHCHECK`), a Service named like the server and a NetworkPolicy that admits only the chart's
//! gateway pods and lets a server out only when its spec says `egress`; claims for writable paths; optionally the
//! registrar Job ([`RegistrarSpec`]: apply + verify with a token from a Secret, also a Helm hook) with its
//! manifest and bootstrap role file as ConfigMaps; and a values overlay for the chart ([`ChartValues`]). Secrets
//! appear as Secret name and key only. The crate selects no Kubernetes version: enable one `k8s-openapi` version
//! feature in your binary (this repository pins `v1_33` and validates the output against 1.33's schemas).
//!
//! ```
//! # #[cfg(feature = "kubernetes")] {
//! use mcpfleet_dockerfile_gen::{FleetPlan, FleetSpec, KubernetesSpec, Renderer};
//! let spec: FleetSpec = serde_json::from_value(serde_json::json!({
//!     "name": "demo",
//!     "servers": [{"name": "utils", "runtime": {"language": "python", "version": "3.13"},
//!                  "entrypoint": {"kind": "script", "path": "utils_server.py"},
//!                  "transport": {"kind": "streamable_http"}}]
//! }))?;
//! let plan = FleetPlan::from_spec(&spec)?.kubernetes(&KubernetesSpec::new("mcp").replicas("utils", 2))?;
//! assert_eq!(plan.servers[0].registration_url, "http://utils:8000/mcp");
//! let files = Renderer::new()?.render_kubernetes(&plan)?;
//! let servers = files.get("servers.yaml").unwrap_or_default();
//! assert!(servers.contains("readOnlyRootFilesystem: true") && servers.contains("kind: NetworkPolicy"));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # hadolint
//!
//! Every built-in variant lints clean under hadolint 2.15.1 with default
//! rules plus DL3057 (missing `HEALTHCHECK`) raised to a warning, with **no
//! ignore pragmas**: tags are required and `latest` is rejected (DL3006/7),
//! apt packages must be pinned (DL3008), pip/npm installs are pinned or
//! from manifests (DL3013/DL3016), `USER` is numeric and non-root
//! (DL3002/DL3066), exec form throughout (DL3025), no pipes so no `SHELL`
//! is needed (DL4006), `--no-cache-dir` (DL3042), RUNs are merged (DL3059),
//! and the builder stage says `HEALTHCHECK NONE` (hadolint checks DL3057
//! per stage).
//!
//! # Dependencies
//!
//! - `handlebars`: the templates users can override or add to; strict mode
//!   turns a typo in a template into an error instead of an empty string.
//! - `serde` / `serde_json`: specs are written in JSON or YAML, plans are
//!   serialized for templates and for diffing; `json` renders exec-form
//!   arrays with correct escaping.
//! - `schemars`: JSON Schema for the spec types, for editors and validation
//!   of spec files before they reach Rust.
//! - `shlex`: POSIX quoting of words in `RUN` lines.
//! - `thiserror`: the one error enum, without hand-written `Display`.
//! - `serde-saphyr` and `serde_path_to_error`: spec files in YAML (or JSON) read with errors at
//!   `file:line:column` naming the field ([`FleetSpec::from_path`]), under a budget scaled to the file (nesting,
//!   alias expansion) and with duplicate keys refused, so a hostile spec can neither exhaust memory nor have a
//!   second value silently win; its `granit-parser` events (re-exported) find where a repeated key was first set.
//! - `mcpfleet-scope-audit` (text only: no HTTP, no async): `credential_shape`, the workspace's one test of what
//!   a secret looks like, refuses a credential-shaped default baked into a Dockerfile's `ENV`.
//! - `yaml_serde` (feature `kubernetes` only): the Kubernetes YAML written.
//! - `k8s-openapi` (feature `kubernetes` only): Kubernetes objects as the API server's own types, so a misspelt
//!   field or a wrong type does not compile.
//!
//! No async runtime and no HTTP client: this crate only produces text.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod fleet;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod layout;
mod load;
mod plan;
mod render;
mod spec;
mod stack;
pub mod templates;
mod validate;

pub use error::{Error, Result};
pub use fleet::{
    ComposeEnv, ComposeNetwork, ComposePlan, ComposeService, DependsOn, FleetPlan, ServiceRole,
    StartCondition, VolumeMount,
};
#[cfg(feature = "kubernetes")]
#[cfg_attr(docsrs, doc(cfg(feature = "kubernetes")))]
pub use kubernetes::{
    CHART_GATEWAY_PORT, CHART_SERVICE_PORT, ChartValues, Enabled, GatewayValues, JOB_FILE,
    KubernetesPlan, KubernetesServer, KubernetesSpec, MANIFEST_DIR, MigrationCommand,
    MigrationValues, REGISTRAR_FILE, ROLES_ENV, ROLES_FILE_PATH, RegistrarObjects, RegistrarSpec,
    SECRET_SUFFIX, SERVERS_FILE, SecretKeyRef, VALUES_FILE,
};
pub use layout::{
    APP_DIR, BASE_IMAGE_ARG, BRIDGE_VENV_DIR, GATEWAY_SERVICE, LAUNCHER_FILE, NODE_PROBE_FILE,
    NPM_REGISTRY_ARGS, PIP_INDEX_ARGS, PROBE_FILE, VENV_DIR,
};
pub use load::{DEFAULT_MAX_BYTES, LoadOptions, MAX_DEPTH, SpecFormat};
pub use plan::{
    BuildPlan, Endpoint, EndpointTransport, HealthcheckStep, KeyValue, RuntimeEnv, Stage, Step,
    SupportingFile,
};
pub use render::{COMPOSE_FILE, GeneratedFile, GeneratedFiles, Renderer};
pub use spec::{
    AptPackage, BackendService, Bridge, DEFAULT_MCP_PROXY_REQUIREMENT, Dependencies, Entrypoint,
    EnvVar, FleetSpec, GatewayService, Healthcheck, ImageRef, InstallMode, Labels, Probe,
    Resources, RestartPolicy, RunAs, Runtime, ServerSpec, ServerTransport,
};
pub use stack::{StackNetwork, StackPlan, StackService, SwarmSpec};
