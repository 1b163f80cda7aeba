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
//! compose file: one internal network, services reached by DNS name, an
//! optional ContextForge `gateway` service that waits for every server to be
//! healthy, `init`, `read_only`, `no-new-privileges`, `cap_drop: [ALL]`,
//! CPU/memory limits, named volumes for [`ServerSpec::writable_paths`], a
//! restart policy, and `${NAME:?…}` interpolation for every variable without
//! a default, so a missing secret stops compose before anything starts. All
//! of it, hardening included, is data in [`ComposeService`]: the template
//! only lays it out. The fleet is validated as a whole, each server once.
//!
//! # Types
//!
//! - Spec (input, `Deserialize` + JSON Schema): [`ServerSpec`],
//!   [`FleetSpec`], [`Runtime`], [`Entrypoint`], [`ServerTransport`] (what
//!   the server speaks; the prefix lets it be imported next to the gateway
//!   client's `Transport`), [`Bridge`], [`Dependencies`], [`EnvVar`],
//!   [`Healthcheck`], [`Probe`], [`RunAs`], [`Labels`], [`ImageRef`],
//!   [`AptPackage`], [`InstallMode`], [`Resources`], [`RestartPolicy`],
//!   [`GatewayService`].
//! - Plan (output, `Serialize` + `Deserialize`): [`BuildPlan`], [`Stage`],
//!   [`Step`], [`KeyValue`], [`HealthcheckStep`], [`SupportingFile`],
//!   [`Endpoint`], [`EndpointTransport`] (what a gateway registers the
//!   endpoint with), [`RuntimeEnv`]; [`FleetPlan`], [`ComposePlan`],
//!   [`ComposeService`], [`ComposeEnv`], [`VolumeMount`],
//!   [`ComposeNetwork`].
//! - Rendering: [`Renderer`], [`GeneratedFiles`], [`GeneratedFile`],
//!   [`templates`].
//! - Names the generator owns in images and compose files: [`VENV_DIR`],
//!   [`APP_DIR`], [`LAUNCHER_FILE`], [`GATEWAY_SERVICE`], [`COMPOSE_FILE`].
//!
//! # What the images look like
//!
//! - Multi-stage: a `builder` stage creates `/opt/venv` (Python) or
//!   `node_modules` (Node) from the manifest alone; the `runtime` stage on the
//!   same base copies that result, then the sources. A source-only change
//!   leaves the builder stage, and so the dependency layers, cached.
//! - Non-root numeric `USER`, exec-form `HEALTHCHECK` and `CMD`,
//!   `PYTHONDONTWRITEBYTECODE`/`PYTHONUNBUFFERED`, `pip --no-cache-dir`,
//!   apt packages pinned and lists removed, sources owned by root (read-only
//!   to the server).
//! - Only the classic builder is assumed (Docker 20.10 without BuildKit):
//!   no `RUN --mount`, heredocs, `COPY --chmod` or `# syntax=` lines.
//! - The base image is any `name:tag[@digest]` (defaults: `python:<v>-slim`,
//!   `node:<v>-slim`), and the Python interpreter is configurable, so a
//!   locally built Debian image with `python3` + `python3-venv` works.
//! - Offline mode ([`InstallMode::Offline`]) installs from a vendored
//!   wheelhouse (`pip install --no-index --find-links`) or npm cache
//!   (`npm ci --offline --cache`), with no network during `docker build`.
//!
//! # Stdio bridges
//!
//! A stdio server cannot be reached over the network, so the container runs
//! a bridge that serves it as streamable HTTP on `0.0.0.0:<port>/mcp`:
//!
//! | bridge | runtime | how | cost |
//! |---|---|---|---|
//! | [`Bridge::ContextforgeTranslate`] | Python | `python -m mcpgateway.translate --stdio "<cmd>" --expose-streamable-http` spawns any stdio command; `GET /healthz` | the whole gateway package: venv 295 MB (96 packages) vs 58 MB; ready in 4.4–8.1 s vs 0.9–1.4 s; 166 MB RSS plus the child; needs the four gateway secrets at run time |
//! | [`Bridge::FastmcpLauncher`] | Python | a generated launcher imports the FastMCP / MCPServer object (mcp 1.x and 2.x), binds `0.0.0.0`, admits the service name as `Host` | no extra package (the script's own `mcp`); 55 MB RSS in total; FastMCP scripts only |
//! | [`Bridge::Supergateway`] | Node | `supergateway --stdio "<cmd>" --outputTransport streamableHttp`; `GET /healthz` | one npm package, best taken from the project's lockfile |
//!
//! The figures were measured on the host (same venvs the images install,
//! 3 runs, 2-core machine under load), from process start to the first
//! successful `initialize`; image sizes follow the venv sizes. The launcher
//! exists because FastMCP from mcp 1.x binds 127.0.0.1 and answers
//! `421 Invalid Host header` to `Host: utils:8000`; with the launcher the
//! same request answers 200 while other Host names still get 421 (checked
//! with mcp 1.30 and 2.3).
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
//! - `shlex`: POSIX quoting of words in `RUN` lines and of the command a
//!   stdio bridge re-splits (it matches Python's `shlex.split`).
//! - `thiserror`: the one error enum, without hand-written `Display`.
//!
//! No async runtime and no HTTP client: this crate only produces text.

mod error;
mod fleet;
mod layout;
mod plan;
mod render;
mod spec;
pub mod templates;
mod validate;

pub use error::{Error, Result};
pub use fleet::{ComposeEnv, ComposeNetwork, ComposePlan, ComposeService, FleetPlan, VolumeMount};
pub use layout::{APP_DIR, GATEWAY_SERVICE, LAUNCHER_FILE, VENV_DIR};
pub use plan::{
    BuildPlan, Endpoint, EndpointTransport, HealthcheckStep, KeyValue, RuntimeEnv, Stage, Step,
    SupportingFile,
};
pub use render::{COMPOSE_FILE, GeneratedFile, GeneratedFiles, Renderer};
pub use spec::{
    AptPackage, Bridge, DEFAULT_TRANSLATE_REQUIREMENT, Dependencies, Entrypoint, EnvVar, FleetSpec,
    GatewayService, Healthcheck, ImageRef, InstallMode, Labels, Probe, Resources, RestartPolicy,
    RunAs, Runtime, ServerSpec, ServerTransport,
};
