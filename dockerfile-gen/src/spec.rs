//! The typed spec users write (in Rust, JSON or YAML): one [`ServerSpec`] per
//! MCP server, and a [`FleetSpec`] to put several behind one gateway.
//!
//! Every type here derives `serde` and `schemars::JsonSchema`, rejects unknown
//! fields, and fills sensible defaults, so a minimal YAML spec is a few lines.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The pinned package installed for [`Bridge::McpProxy`] unless the spec
/// names another.
pub const DEFAULT_MCP_PROXY_REQUIREMENT: &str = "mcp-proxy==0.13.0";

/// One script-based MCP server and how to containerize it.
///
/// Build one with [`ServerSpec::new`] and set the public fields, or
/// deserialize it; [`crate::BuildPlan::from_spec`] validates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerSpec {
    /// Service and image name: a DNS label (`[a-z0-9-]`, at most 63
    /// characters), because the gateway reaches the container by this name.
    pub name: String,
    /// Language runtime and version.
    pub runtime: Runtime,
    /// What the container runs.
    pub entrypoint: Entrypoint,
    /// How the server speaks MCP, and the bridge for stdio servers.
    pub transport: ServerTransport,
    /// Dependency manifest, installed in a builder stage before any source
    /// is copied.
    #[serde(default)]
    pub dependencies: Dependencies,
    /// Files and directories (relative to the build context) copied into
    /// `/app`. Empty means "just the entrypoint script".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Environment variables. Secret ones are listed by name only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Container port the MCP endpoint listens on (all interfaces).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Container health probe.
    #[serde(default)]
    pub healthcheck: Healthcheck,
    /// Numeric non-root identity the server runs as.
    #[serde(default)]
    pub user: RunAs,
    /// OCI annotations and MCP metadata labels.
    #[serde(default)]
    pub labels: Labels,
    /// Base image for both stages; `None` picks the runtime's official slim
    /// image (`python:<version>-slim`, `node:<version>-slim`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<ImageRef>,
    /// Extra Debian packages for the final image (pinned, see [`AptPackage`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_packages: Vec<AptPackage>,
    /// Debian packages needed only to build dependencies (compilers,
    /// headers); installed in the builder stage, absent from the final image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_packages: Vec<AptPackage>,
    /// Where dependencies come from during `docker build`.
    #[serde(default)]
    pub install: InstallMode,
    /// Absolute paths the server may write to; each becomes a directory
    /// owned by [`ServerSpec::user`] and, in compose, a named volume.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_paths: Vec<String>,
    /// CPU and memory limits (compose `deploy.resources.limits`).
    #[serde(default)]
    pub resources: Resources,
    /// Whether the container may reach networks outside the fleet (e.g. an
    /// upstream API). Off by default: the fleet network is internal.
    #[serde(default)]
    pub egress: bool,
    /// Services of the fleet (usually [`FleetSpec::backends`]) that must run
    /// before this server starts: compose waits until each is healthy, or
    /// started when it has no healthcheck. The server reaches them by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl ServerSpec {
    /// A spec with every optional field at its default.
    pub fn new(
        name: impl Into<String>,
        runtime: Runtime,
        entrypoint: Entrypoint,
        transport: ServerTransport,
    ) -> Self {
        Self {
            name: name.into(),
            runtime,
            entrypoint,
            transport,
            dependencies: Dependencies::default(),
            sources: Vec::new(),
            env: Vec::new(),
            port: default_port(),
            healthcheck: Healthcheck::default(),
            user: RunAs::default(),
            labels: Labels::default(),
            base_image: None,
            system_packages: Vec::new(),
            build_packages: Vec::new(),
            install: InstallMode::default(),
            writable_paths: Vec::new(),
            resources: Resources::default(),
            egress: false,
            depends_on: Vec::new(),
        }
    }
}

fn default_port() -> u16 {
    8000
}

/// Language runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "language", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Runtime {
    /// CPython. The base image must provide the interpreter and its `venv`
    /// module (Debian: `python3` and `python3-venv`).
    Python {
        /// Version, e.g. `3.12`; selects the default base image tag.
        version: String,
        /// Interpreter used to create the virtual environment: a command on
        /// the base image's `PATH` (`python3`) or an absolute path.
        #[serde(default = "default_interpreter")]
        interpreter: String,
    },
    /// Node.js with npm.
    Node {
        /// Major version, e.g. `22`; selects the default base image tag.
        version: String,
    },
}

impl Runtime {
    /// CPython `version`, with `python3` as the interpreter.
    pub fn python(version: impl Into<String>) -> Self {
        Self::Python {
            version: version.into(),
            interpreter: default_interpreter(),
        }
    }

    /// Node.js `version`.
    pub fn node(version: impl Into<String>) -> Self {
        Self::Node {
            version: version.into(),
        }
    }
}

fn default_interpreter() -> String {
    "python3".to_owned()
}

/// What the container runs (for stdio servers: what the bridge spawns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Entrypoint {
    /// A script file, relative to the build context (`server.py`).
    Script {
        /// Path relative to the build context.
        path: String,
        /// Arguments after the script.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
    },
    /// A Python module run with `python -m` (`mcp_servers.utils.server`).
    Module {
        /// Dotted module name.
        module: String,
        /// Arguments after the module.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
    },
    /// An explicit argv; the first word is looked up on `PATH`, which starts
    /// with the virtual environment's `bin` (Python) or `node_modules/.bin`
    /// (Node).
    Command {
        /// Program and arguments.
        argv: Vec<String>,
    },
}

impl Entrypoint {
    /// A script without arguments.
    pub fn script(path: impl Into<String>) -> Self {
        Self::Script {
            path: path.into(),
            args: Vec::new(),
        }
    }

    /// A Python module without arguments.
    pub fn module(module: impl Into<String>) -> Self {
        Self::Module {
            module: module.into(),
            args: Vec::new(),
        }
    }
}

/// How the server itself speaks MCP, and the bridge for stdio servers.
///
/// A gateway registers the container's endpoint, which for a bridged stdio
/// server is streamable HTTP (the plan's `endpoint.transport`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ServerTransport {
    /// The server serves streamable HTTP itself, on `0.0.0.0:<port>` (the
    /// image sets `HOST=0.0.0.0` and `PORT` for servers that read them).
    ///
    /// The server must really honour those: a FastMCP (`mcp` 1.x) script
    /// that builds `FastMCP("name")` without passing `host=` stays on
    /// 127.0.0.1 and, behind its DNS-rebinding protection, answers 421 to
    /// the `Host: <service>:<port>` header a gateway sends. For such a
    /// script use [`ServerTransport::Stdio`] with [`Bridge::fastmcp_launcher`],
    /// which sets the host and the allowed Host headers itself.
    ///
    /// Other servers read other variables: ContextForge's `mcpgateway`
    /// command binds `MCG_HOST`/`MCG_PORT` or its `--host`/`--port` options
    /// (default 127.0.0.1:4444), so pass those in the entrypoint or `env`.
    /// Either way the health probe connects to the container's address, so
    /// a server left on loopback is reported unhealthy, not healthy and
    /// unreachable.
    StreamableHttp {
        /// Endpoint path.
        #[serde(default = "default_mcp_path")]
        path: String,
    },
    /// The server serves the legacy HTTP+SSE transport itself (the same
    /// host caveat as [`ServerTransport::StreamableHttp`] applies).
    Sse {
        /// Endpoint path of the event stream.
        #[serde(default = "default_sse_path")]
        path: String,
    },
    /// The server speaks stdio; a bridge in the same container serves it as
    /// streamable HTTP on `/mcp`.
    Stdio {
        /// Which bridge.
        bridge: Bridge,
    },
}

fn default_mcp_path() -> String {
    "/mcp".to_owned()
}

fn default_sse_path() -> String {
    "/sse".to_owned()
}

/// Bridges that serve a stdio server over streamable HTTP. The crate docs
/// compare them.
///
/// Every bridge here passes the same test through a real gateway: at least
/// 50 concurrent tool calls with distinct arguments, each answered with its
/// own result. ContextForge's `mcpgateway.translate` is not offered: it
/// multiplexes every session onto one stdio process without keeping request
/// ids apart, and gave concurrent calls one another's answers (the
/// repository's `RELIABILITY.md`, "Bridges").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Bridge {
    /// A small generated launcher (Python runtime) that imports a FastMCP /
    /// MCPServer script and serves its server object over streamable HTTP
    /// in the same process: standalone `fastmcp` 2.x to 4.x, `mcp` 1.x
    /// `FastMCP` and `mcp` 2.x `MCPServer`. It binds all interfaces and
    /// admits the service name (and `localhost`) as `Host` header, only that
    /// name: register the server under it, see
    /// [`crate::ComposeService::registration_url`]. Needs the server's own
    /// `fastmcp` or `mcp` from the dependency manifest, nothing else.
    FastmcpLauncher {
        /// Name of the module-level server object; `null` finds the single
        /// FastMCP / MCPServer instance in the module.
        #[serde(default)]
        server_object: Option<String>,
    },
    /// [`mcp-proxy`](https://pypi.org/project/mcp-proxy/) (Python or Node
    /// runtime): serves any stdio command as streamable HTTP on `/mcp` (and
    /// SSE on `/sse`). It holds one MCP client session to the one stdio
    /// child and forwards every call through it, so request ids stay
    /// distinct and concurrent calls get their own answers. The child gets
    /// the container's environment (`--pass-environment`).
    ///
    /// The bridge gets a virtual environment of its own
    /// ([`crate::BRIDGE_VENV_DIR`]), next to the server's
    /// ([`crate::VENV_DIR`]): mcp-proxy pins its own `mcp`, which in a
    /// shared environment could replace the version the server pins, and
    /// pip only warns about such a conflict. The build runs `pip check` on
    /// every environment, so a conflict fails `docker build` instead of
    /// shipping an image that cannot start. A Node server's base image must
    /// also provide a Python with `venv` for the bridge (Debian:
    /// `python3-venv` next to `nodejs`).
    McpProxy {
        /// Pinned pip requirement (`name==version`) installed into the
        /// bridge's environment; ignored when `lock` is set. `null` (with no
        /// `lock`) when the server's dependency manifest already provides
        /// `mcp-proxy`: the bridge then runs from the server's environment
        /// (Python only).
        #[serde(default = "default_mcp_proxy_requirement")]
        requirement: Option<String>,
        /// A requirements file for the bridge with a `--hash=` for every
        /// package (e.g. `pip-compile --generate-hashes` output), relative to
        /// the build context; installed with `--require-hashes` instead of
        /// `requirement`. Required when the server's requirements use
        /// `require_hashes`: otherwise the bridge and everything it pulls in
        /// would be installed unverified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lock: Option<String>,
        /// Interpreter that creates the bridge's environment: a command on
        /// the base image's `PATH` or an absolute path (Python 3.10 or
        /// newer, with its `venv` module). `null` uses the runtime's
        /// interpreter (Python) or `python3` (Node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interpreter: Option<String>,
    },
}

impl Bridge {
    /// The FastMCP launcher with auto-detection of the server object.
    pub fn fastmcp_launcher() -> Self {
        Self::FastmcpLauncher {
            server_object: None,
        }
    }

    /// `mcp-proxy` with the default pinned package, unhashed.
    pub fn mcp_proxy() -> Self {
        Self::McpProxy {
            requirement: default_mcp_proxy_requirement(),
            lock: None,
            interpreter: None,
        }
    }

    /// `mcp-proxy` installed from a hashed lock (a path relative to the
    /// build context), with `--require-hashes`.
    pub fn mcp_proxy_locked(lock: impl Into<String>) -> Self {
        Self::McpProxy {
            requirement: default_mcp_proxy_requirement(),
            lock: Some(lock.into()),
            interpreter: None,
        }
    }

    /// Stable short name used in labels and docs.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::FastmcpLauncher { .. } => "fastmcp-launcher",
            Self::McpProxy { .. } => "mcp-proxy",
        }
    }
}

fn default_mcp_proxy_requirement() -> Option<String> {
    Some(DEFAULT_MCP_PROXY_REQUIREMENT.to_owned())
}

/// Dependency manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Dependencies {
    /// No third-party dependencies.
    #[default]
    None,
    /// A pip requirements file.
    Requirements {
        /// Path relative to the build context.
        path: String,
        /// Install with `--require-hashes`, so every requirement must carry
        /// a `--hash` (recommended).
        #[serde(default)]
        require_hashes: bool,
    },
    /// The `[project].dependencies` of a `pyproject.toml` (the project itself
    /// is not built; its sources are copied). Needs Python 3.11+ (`tomllib`).
    Pyproject {
        /// Path relative to the build context.
        path: String,
    },
    /// `package.json` plus lockfile, installed with `npm ci --omit=dev`.
    Npm {
        /// Path of `package.json`, relative to the build context.
        manifest: String,
        /// Path of `package-lock.json` or `npm-shrinkwrap.json`.
        lockfile: String,
    },
}

/// Where dependencies come from during `docker build`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum InstallMode {
    /// From the package index (PyPI / npm registry).
    #[default]
    Online,
    /// From a directory shipped in the build context, with no network:
    /// a wheelhouse for Python (`pip download`/`pip wheel` output, installed
    /// with `--no-index --find-links`) or an npm cache for Node (filled with
    /// `npm ci --cache <dir>`, installed with `--offline`).
    Offline {
        /// Directory relative to the build context.
        vendor_dir: String,
    },
}

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EnvVar {
    /// Name (`[A-Za-z_][A-Za-z0-9_]*`).
    pub name: String,
    /// Value baked into the image. Not allowed for secrets; without one the
    /// variable is required at run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// A secret: never written anywhere by this crate; compose passes it
    /// from the deployer's environment and fails if it is unset.
    #[serde(default)]
    pub secret: bool,
}

impl EnvVar {
    /// A plain variable with a default value.
    pub fn with_default(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: Some(value.into()),
            secret: false,
        }
    }

    /// A variable that must be supplied at run time.
    pub fn required(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: None,
            secret: false,
        }
    }

    /// A secret, by name only.
    pub fn secret(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: None,
            secret: true,
        }
    }
}

/// Container health probe, written in exec form (no shell, no curl needed).
///
/// The defaults suit Docker Engines before 25.0, which have no
/// `--start-interval`: probes run every `interval_secs` from the start, and
/// during the start period a failure does not count while the first
/// success makes the container healthy. A 2-second interval makes a server
/// healthy within about two seconds of answering, which is what a
/// `depends_on: condition: service_healthy` waits for; the price is one
/// short probe process every interval. Set a longer interval where that
/// matters more than a fast start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Healthcheck {
    /// What to probe.
    #[serde(default)]
    pub probe: Probe,
    /// Seconds between probes.
    #[serde(default = "default_interval")]
    pub interval_secs: u32,
    /// Seconds before a probe counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Grace period after start, in seconds.
    #[serde(default = "default_start_period")]
    pub start_period_secs: u32,
    /// Consecutive failures before "unhealthy".
    #[serde(default = "default_retries")]
    pub retries: u32,
}

impl Default for Healthcheck {
    fn default() -> Self {
        Self {
            probe: Probe::default(),
            interval_secs: default_interval(),
            timeout_secs: default_timeout(),
            start_period_secs: default_start_period(),
            retries: default_retries(),
        }
    }
}

fn default_interval() -> u32 {
    2
}
fn default_timeout() -> u32 {
    2
}
fn default_start_period() -> u32 {
    30
}
fn default_retries() -> u32 {
    3
}

/// What the health probe checks.
///
/// Every kind connects the way the gateway will: to the container's own
/// address (its hostname, resolved inside the container), never to
/// 127.0.0.1, so a server that listens on loopback only is unhealthy
/// instead of passing a probe its clients would fail. A hostname that
/// resolves to a loopback address fails the probe too. The probe is a
/// generated script ([`crate::PROBE_FILE`], Python or Node, standard
/// library only, no proxy) run with the image's own interpreter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Probe {
    /// An MCP round trip on the endpoint the gateway registers: `initialize`,
    /// `notifications/initialized`, then `tools/list`, which must answer
    /// with a tool list (over streamable HTTP, or over the SSE stream and
    /// its message endpoint); the session is closed again. A port that
    /// accepts connections while the server (or a bridge's stdio child) is
    /// wedged is unhealthy: `tools/list` is answered by the server itself,
    /// not by a bridge.
    #[default]
    Mcp,
    /// TCP connect to the port: for services that speak no MCP.
    Tcp,
    /// HTTP `GET` of `path` must answer 2xx: for services that speak no
    /// MCP but have a health endpoint (ContextForge's `/health`).
    Http {
        /// Absolute request path.
        path: String,
    },
    /// Any program the image has, in exec form (no shell): exit 0 is
    /// healthy. The only kind a [`BackendService`] may use, since the
    /// generator does not know what such an image contains.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
    },
}

/// Numeric identity the server runs as (never root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RunAs {
    /// User id (not 0).
    #[serde(default = "default_id")]
    pub uid: u32,
    /// Group id (not 0).
    #[serde(default = "default_id")]
    pub gid: u32,
    /// Account name created in the image (for tools that look it up).
    #[serde(default = "default_user_name")]
    pub name: String,
}

impl Default for RunAs {
    fn default() -> Self {
        Self {
            uid: default_id(),
            gid: default_id(),
            name: default_user_name(),
        }
    }
}

fn default_id() -> u32 {
    10001
}
fn default_user_name() -> String {
    "mcp".to_owned()
}

/// OCI annotations (`org.opencontainers.image.*`) and MCP metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Labels {
    /// `org.opencontainers.image.title` (defaults to the server name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `org.opencontainers.image.description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `org.opencontainers.image.version`; also the compose image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `org.opencontainers.image.source` (repository URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `org.opencontainers.image.revision` (VCS commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// `org.opencontainers.image.licenses` (SPDX expression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<String>,
    /// `org.opencontainers.image.vendor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// MCP tool names the server offers (`dev.mcpfleet.mcp.tools`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Further labels, by key (reverse-DNS, lower case).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

/// A container image reference: `name:tag` with an optional digest pin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ImageRef {
    /// Repository, optionally with registry host (`python`,
    /// `registry.local:5000/base/debian`).
    pub name: String,
    /// Tag (required, and not `latest`).
    pub tag: String,
    /// `sha256:<64 hex>` pin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl ImageRef {
    /// `name:tag` without a digest.
    pub fn new(name: impl Into<String>, tag: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tag: tag.into(),
            digest: None,
        }
    }

    /// The same reference pinned to `digest` (`sha256:…`).
    pub fn pinned(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)?;
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A Debian package pinned to a version (hadolint DL3008: unpinned apt
/// installs make builds unreproducible). Find versions with
/// `apt-cache policy <name>` on the base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AptPackage {
    /// Package name.
    pub name: String,
    /// Exact version, e.g. `2.39-2`.
    pub version: String,
}

impl AptPackage {
    /// `name=version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }
}

/// Resource limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Resources {
    /// CPU limit in cores; default 0.5 for a server, 1 for a backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Memory limit in compose syntax (`256M`, `1G`); default 256M for a
    /// server (every server style, and mcp-proxy with its child, idles well
    /// below it; the repository's BENCHMARKS.md has the figures), 512M for
    /// a backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// Several servers behind one optional gateway: the input of the compose file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FleetSpec {
    /// Fleet name, a DNS label; prefixes the networks.
    pub name: String,
    /// The servers; each one's build context is `<context_root>/<name>`.
    pub servers: Vec<ServerSpec>,
    /// Services that are not MCP servers and are not built here (a vector
    /// database, a model server), run from existing images on the fleet
    /// network; servers name them in [`ServerSpec::depends_on`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<BackendService>,
    /// The ContextForge gateway service, if the compose file should run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayService>,
    /// Directory (relative to the compose file) holding one build context per
    /// server.
    #[serde(default = "default_context_root")]
    pub context_root: String,
    /// Prefix of the image names compose tags builds with.
    #[serde(default = "default_image_prefix")]
    pub image_prefix: String,
    /// Restart policy for every service.
    #[serde(default)]
    pub restart: RestartPolicy,
}

impl FleetSpec {
    /// A fleet without a gateway service.
    pub fn new(name: impl Into<String>, servers: Vec<ServerSpec>) -> Self {
        Self {
            name: name.into(),
            servers,
            backends: Vec::new(),
            gateway: None,
            context_root: default_context_root(),
            image_prefix: default_image_prefix(),
            restart: RestartPolicy::default(),
        }
    }
}

fn default_context_root() -> String {
    ".".to_owned()
}
fn default_image_prefix() -> String {
    "mcpfleet".to_owned()
}

/// A service of the fleet that is not an MCP server and is not built by the
/// generator: a database, a vector store or a model server (the seed
/// project's Chroma and Ollama), run from an existing image on the fleet's
/// private network. It is never registered with a gateway; servers reach it
/// by its name and list it in [`ServerSpec::depends_on`].
///
/// It runs hardened like the servers (no capability, no privilege gain, a
/// tmpfs `/tmp`, a read-only root unless `read_only` is false), with its
/// writable paths on named volumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BackendService {
    /// Service name, a DNS label: the name servers reach it by.
    pub name: String,
    /// The image (pulled or built elsewhere; the generator builds nothing).
    pub image: ImageRef,
    /// Container port it listens on.
    pub port: u16,
    /// Program and arguments replacing the image's command; empty keeps it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Environment variables (secrets by name only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Absolute paths it writes; each becomes a named volume.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_paths: Vec<String>,
    /// Health probe; its `probe` must be [`Probe::Command`]. Without one,
    /// servers that depend on the backend wait only for it to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// CPU and memory limits; default 1 CPU, 512M.
    #[serde(default)]
    pub resources: Resources,
    /// Numeric identity; `null` keeps the image's own user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<RunAs>,
    /// Whether the root filesystem is read-only (default true).
    #[serde(default = "default_true")]
    pub read_only: bool,
    /// Whether it may reach networks outside the fleet (to download a
    /// model, say). Off by default.
    #[serde(default)]
    pub egress: bool,
}

impl BackendService {
    /// A backend from `image` listening on `port`, with every optional field
    /// at its default.
    pub fn new(name: impl Into<String>, image: ImageRef, port: u16) -> Self {
        Self {
            name: name.into(),
            image,
            port,
            command: Vec::new(),
            env: Vec::new(),
            writable_paths: Vec::new(),
            healthcheck: None,
            resources: Resources::default(),
            user: None,
            read_only: true,
            egress: false,
        }
    }
}

fn default_true() -> bool {
    true
}

/// Compose restart policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RestartPolicy {
    /// `no`.
    No,
    /// `on-failure`.
    OnFailure,
    /// `always`.
    Always,
    /// `unless-stopped` (default).
    #[default]
    UnlessStopped,
}

impl RestartPolicy {
    /// The compose spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::OnFailure => "on-failure",
            Self::Always => "always",
            Self::UnlessStopped => "unless-stopped",
        }
    }
}

/// The ContextForge gateway as a compose service.
///
/// Its five secrets (`JWT_SECRET_KEY`, `AUTH_ENCRYPTION_SECRET`,
/// `PLATFORM_ADMIN_EMAIL`, `PLATFORM_ADMIN_PASSWORD`, `DEFAULT_USER_PASSWORD`)
/// are always required from the deployer's environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GatewayService {
    /// Gateway image (built locally or mirrored; nothing is pulled by name).
    pub image: ImageRef,
    /// Port the gateway listens on inside the container.
    #[serde(default = "default_gateway_port")]
    pub port: u16,
    /// Host address the port is published on; `null` publishes nothing.
    #[serde(default = "default_publish_address")]
    pub publish_address: Option<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Resource limits; default 1 CPU, 1G (the gateway measured about 375 MB
    /// proportional set size with its workers).
    #[serde(default)]
    pub resources: Resources,
    /// Numeric identity the gateway runs as; `null` keeps the image's own
    /// (non-root) user, which owns the gateway's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<RunAs>,
}

impl GatewayService {
    /// A gateway from `image`, published on `127.0.0.1:4444`.
    pub fn new(image: ImageRef) -> Self {
        Self {
            image,
            port: default_gateway_port(),
            publish_address: default_publish_address(),
            env: Vec::new(),
            resources: Resources::default(),
            user: None,
        }
    }
}

fn default_gateway_port() -> u16 {
    4444
}
fn default_publish_address() -> Option<String> {
    Some("127.0.0.1".to_owned())
}
