//! The build plan: plain data between a validated spec and rendered text.
//!
//! A plan lists stages and their steps in order, one step per Dockerfile
//! instruction. It is `Serialize + Deserialize + Debug + PartialEq`, so it
//! can be printed, stored, read back, compared and snapshot-tested;
//! templates only lay it out.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::layout::{
    APP_DIR, BASE_IMAGE_ARG, BRIDGE_BUILD_DIR, BRIDGE_VENV_DIR, BUILD_DIR, LAUNCHER_FILE,
    NODE_PROBE_FILE, NPM_REGISTRY_ARGS, PIP_INDEX_ARGS, PROBE_FILE, VENDOR_DIR, VENV_DIR,
    launcher_in_image, mcp_label, oci_label, probe_in_image,
};
use crate::spec::{
    Bridge, Dependencies, Entrypoint, EnvVar, ImageRef, InstallMode, Probe, Runtime, ServerSpec,
    ServerTransport,
};
use crate::templates;
use crate::validate::{self, Valid};

/// Endpoint path every stdio bridge serves.
const BRIDGE_MCP_PATH: &str = "/mcp";
/// Interpreter that creates the bridge's environment in a Node image,
/// unless the spec names one.
const DEFAULT_BRIDGE_INTERPRETER: &str = "python3";

/// Everything needed to write one server's build context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BuildPlan {
    /// Server (and compose service) name.
    pub server: String,
    /// Build arguments declared before the first `FROM`, with their
    /// defaults: [`crate::BASE_IMAGE_ARG`], the base image every stage
    /// starts from, so `docker build --build-arg BASE_IMAGE=…` swaps in a
    /// mirror or a locally made base without editing the file.
    pub global_args: Vec<KeyValue>,
    /// Stages in build order; the last one is the image.
    pub stages: Vec<Stage>,
    /// `.dockerignore` lines: an allow-list of exactly what the stages copy.
    pub dockerignore: Vec<String>,
    /// Files generated next to the Dockerfile (e.g. the FastMCP launcher).
    pub supporting_files: Vec<SupportingFile>,
    /// Where the container serves MCP.
    pub endpoint: Endpoint,
    /// How compose should probe the container (same as the `HEALTHCHECK`).
    pub healthcheck: HealthcheckStep,
    /// Variables compose must pass in at run time (no value is baked in).
    pub runtime_env: Vec<RuntimeEnv>,
    /// Directories the server may write to (compose mounts volumes there).
    pub writable_paths: Vec<String>,
    /// `uid:gid` the container runs as.
    pub user: String,
}

/// One `FROM` and its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stage {
    /// Stage name (`builder`, `runtime`).
    pub name: String,
    /// Base image reference as written after `FROM` (`${BASE_IMAGE}`).
    pub from: String,
    /// Instructions in order.
    pub steps: Vec<Step>,
}

/// One Dockerfile instruction (or comment). Serialized with an
/// `instruction` tag so templates can branch on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "instruction", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// `# text`.
    Comment {
        /// The comment text (one line).
        text: String,
    },
    /// `ARG name` (a build argument without a default: unset unless
    /// `docker build --build-arg` gives it, and then only in this stage).
    Arg {
        /// Argument name.
        name: String,
    },
    /// `ENV key="value" …`.
    Env {
        /// Variables in order.
        vars: Vec<KeyValue>,
    },
    /// `LABEL key="value" …`.
    Label {
        /// Labels in order.
        labels: Vec<KeyValue>,
    },
    /// `WORKDIR path`.
    Workdir {
        /// Absolute directory.
        path: String,
    },
    /// `RUN a && b …` (shell form; every word is quoted as needed).
    Run {
        /// Shell commands joined with `&&`.
        commands: Vec<String>,
    },
    /// `COPY [--from=stage] src… dest`.
    Copy {
        /// Source stage, or `None` for the build context.
        from_stage: Option<String>,
        /// Source paths.
        sources: Vec<String>,
        /// Destination path.
        dest: String,
    },
    /// `USER uid:gid`.
    User {
        /// Numeric user id.
        uid: u32,
        /// Numeric group id.
        gid: u32,
    },
    /// `EXPOSE port`.
    Expose {
        /// Container port.
        port: u16,
    },
    /// `HEALTHCHECK [options] CMD [...]` (exec form).
    Healthcheck(HealthcheckStep),
    /// `HEALTHCHECK NONE`: for stages that never run as a container (says
    /// so explicitly, which also satisfies hadolint DL3057 per stage).
    HealthcheckNone,
    /// `CMD [...]` (exec form).
    Cmd {
        /// Program and arguments.
        argv: Vec<String>,
    },
}

impl Step {
    /// The Dockerfile keyword this step renders as, or `None` for a comment.
    pub fn keyword(&self) -> Option<&'static str> {
        Some(match self {
            Self::Comment { .. } => return None,
            Self::Arg { .. } => "ARG",
            Self::Env { .. } => "ENV",
            Self::Label { .. } => "LABEL",
            Self::Workdir { .. } => "WORKDIR",
            Self::Run { .. } => "RUN",
            Self::Copy { .. } => "COPY",
            Self::User { .. } => "USER",
            Self::Expose { .. } => "EXPOSE",
            Self::Healthcheck(_) | Self::HealthcheckNone => "HEALTHCHECK",
            Self::Cmd { .. } => "CMD",
        })
    }
}

/// A `key = value` pair (env var or label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyValue {
    /// Name.
    pub key: String,
    /// Value (validated: no quotes, backslashes, `$` or line breaks, except
    /// the generator's own `$PATH` reference).
    pub value: String,
}

impl KeyValue {
    fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A health probe in exec form, shared by the Dockerfile and compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthcheckStep {
    /// Program and arguments (no shell).
    pub test: Vec<String>,
    /// Probe interval, e.g. `2s`.
    pub interval: String,
    /// Probe timeout.
    pub timeout: String,
    /// Start grace period.
    pub start_period: String,
    /// Failures before unhealthy.
    pub retries: u32,
}

/// A file written next to the Dockerfile, rendered from a named template
/// with the [`BuildPlan`] as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportingFile {
    /// Path relative to the build context.
    pub path: String,
    /// Template name (see [`crate::templates`]).
    pub template: String,
}

/// The MCP endpoint a container serves, for registering it with a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Endpoint {
    /// Container port.
    pub port: u16,
    /// Request path (`/mcp`, `/sse`).
    pub path: String,
    /// Transport to register the endpoint with (what the container serves,
    /// which for a bridged stdio server is streamable HTTP).
    pub transport: EndpointTransport,
}

impl Endpoint {
    /// URL at which another container on the fleet network reaches this
    /// endpoint: `http://<host>:<port><path>` (never localhost).
    pub fn url(&self, host: &str) -> String {
        format!("http://{host}:{}{}", self.port, self.path)
    }
}

/// The transport a container serves its MCP endpoint with: what a gateway
/// must register the endpoint with.
///
/// Serialized (and shown by [`EndpointTransport::as_str`] and `Display`) as
/// ContextForge spells its gateway `transport` field: `STREAMABLEHTTP` or
/// `SSE`. A stdio server is served by a bridge, so its endpoint is
/// [`EndpointTransport::StreamableHttp`]; compare with
/// [`crate::ServerTransport`], which says what the server itself speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum EndpointTransport {
    /// Streamable HTTP (`STREAMABLEHTTP`).
    StreamableHttp,
    /// The legacy HTTP+SSE transport (`SSE`).
    Sse,
}

impl EndpointTransport {
    /// The wire spelling: `STREAMABLEHTTP` or `SSE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StreamableHttp => "STREAMABLEHTTP",
            Self::Sse => "SSE",
        }
    }

    /// Value of the `dev.mcpfleet.mcp.transport` image label.
    fn label(self) -> &'static str {
        match self {
            Self::StreamableHttp => "streamable-http",
            Self::Sse => "sse",
        }
    }
}

impl fmt::Display for EndpointTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A variable compose must supply at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuntimeEnv {
    /// Variable name.
    pub name: String,
    /// Whether it is a secret (only its name ever appears in files).
    pub secret: bool,
}

impl BuildPlan {
    /// Validates `spec` and plans its image. Errors name the offending field.
    pub fn from_spec(spec: &ServerSpec) -> Result<Self> {
        Ok(Self::from_validated(validate::server(spec, "")?))
    }

    /// Plans a spec that has already passed validation, without checking it
    /// again ([`crate::FleetPlan::from_spec`] validates the whole fleet first).
    pub(crate) fn from_validated(spec: Valid<'_, ServerSpec>) -> Self {
        Planner::new(spec.spec()).plan()
    }

    /// The final stage (the image that runs).
    pub fn runtime_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Every instruction keyword in render order, `FROM` included; the
    /// rendered Dockerfile must contain exactly these.
    pub fn instructions(&self) -> Vec<&'static str> {
        let mut out = vec!["ARG"; self.global_args.len()];
        for stage in &self.stages {
            out.push("FROM");
            out.extend(stage.steps.iter().filter_map(Step::keyword));
        }
        out
    }
}

/// Computes a plan from a validated spec (only [`BuildPlan::from_validated`]
/// creates one).
struct Planner<'a> {
    spec: &'a ServerSpec,
    is_python: bool,
    /// The default of [`BASE_IMAGE_ARG`].
    base: String,
}

/// Where the `mcp-proxy` bridge comes from.
#[derive(Debug, Clone, Copy)]
enum BridgeSource<'a> {
    /// A hashed lock in the build context, into the bridge's own venv.
    Lock(&'a str),
    /// One pinned requirement, into the bridge's own venv.
    Requirement(&'a str),
    /// The server's dependency manifest: the bridge shares the server's venv.
    ServerManifest,
}

/// The `FROM` of every stage.
fn from_base_arg() -> String {
    format!("${{{BASE_IMAGE_ARG}}}")
}

impl<'a> Planner<'a> {
    fn new(spec: &'a ServerSpec) -> Self {
        let default_base = match &spec.runtime {
            Runtime::Python { version, .. } => ImageRef::new("python", format!("{version}-slim")),
            Runtime::Node { version } => ImageRef::new("node", format!("{version}-slim")),
        };
        let base = spec.base_image.clone().unwrap_or(default_base);
        Self {
            spec,
            is_python: matches!(spec.runtime, Runtime::Python { .. }),
            base: base.to_string(),
        }
    }

    fn bridge(&self) -> Option<&'a Bridge> {
        match &self.spec.transport {
            ServerTransport::Stdio { bridge } => Some(bridge),
            _ => None,
        }
    }

    fn offline_vendor(&self) -> Option<&'a str> {
        match &self.spec.install {
            InstallMode::Offline { vendor_dir } => Some(vendor_dir),
            InstallMode::Online => None,
        }
    }

    /// Where `mcp-proxy` comes from, if the server is bridged by it.
    fn proxy(&self) -> Option<BridgeSource<'a>> {
        match self.bridge() {
            Some(Bridge::McpProxy {
                lock: Some(lock), ..
            }) => Some(BridgeSource::Lock(lock)),
            Some(Bridge::McpProxy {
                requirement: Some(requirement),
                ..
            }) => Some(BridgeSource::Requirement(requirement)),
            Some(Bridge::McpProxy { .. }) => Some(BridgeSource::ServerManifest),
            _ => None,
        }
    }

    /// Whether the bridge has a virtual environment of its own.
    fn has_bridge_venv(&self) -> bool {
        matches!(
            self.proxy(),
            Some(BridgeSource::Lock(_) | BridgeSource::Requirement(_))
        )
    }

    /// Whether the server has a virtual environment (Python with
    /// dependencies; validation makes a bridge taken from the server's
    /// manifest imply dependencies).
    fn has_server_venv(&self) -> bool {
        self.is_python && self.spec.dependencies != Dependencies::None
    }

    /// Whether anything is installed, and so a builder stage exists.
    fn has_builder(&self) -> bool {
        self.spec.dependencies != Dependencies::None || self.has_bridge_venv()
    }

    /// Whether pip runs in the builder (the server's or the bridge's venv).
    fn runs_pip(&self) -> bool {
        self.has_server_venv() || self.has_bridge_venv()
    }

    /// The server's Python: its environment's, or the base image's
    /// interpreter when it has none.
    fn python(&self) -> String {
        match &self.spec.runtime {
            Runtime::Python { interpreter, .. } if !self.has_server_venv() => interpreter.clone(),
            _ => format!("{VENV_DIR}/bin/python"),
        }
    }

    /// A Python the final image has, if any: the server's, or a Node
    /// image's bridge environment.
    fn any_python(&self) -> Option<String> {
        if self.is_python {
            Some(self.python())
        } else if self.has_bridge_venv() {
            Some(format!("{BRIDGE_VENV_DIR}/bin/python"))
        } else {
            None
        }
    }

    /// The environment `mcp-proxy` runs from.
    fn bridge_venv(&self) -> &'static str {
        if self.has_bridge_venv() {
            BRIDGE_VENV_DIR
        } else {
            VENV_DIR
        }
    }

    /// The interpreter that creates the bridge's environment.
    fn bridge_interpreter(&self) -> &'a str {
        match (self.bridge(), &self.spec.runtime) {
            (
                Some(Bridge::McpProxy {
                    interpreter: Some(interpreter),
                    ..
                }),
                _,
            ) => interpreter,
            (_, Runtime::Python { interpreter, .. }) => interpreter,
            _ => DEFAULT_BRIDGE_INTERPRETER,
        }
    }

    /// The probe script the image carries, if its healthcheck is an MCP
    /// round trip: file in the build context and template.
    fn probe(&self) -> Option<(&'static str, &'static str)> {
        if self.spec.healthcheck.probe != Probe::Mcp {
            return None;
        }
        Some(if self.any_python().is_some() {
            (PROBE_FILE, templates::PROBE)
        } else {
            (NODE_PROBE_FILE, templates::NODE_PROBE)
        })
    }

    /// The generator's files copied into the image: build-context file,
    /// template, path in the image.
    fn supporting(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut files = Vec::new();
        if let Some(Bridge::FastmcpLauncher { .. }) = self.bridge() {
            files.push((
                LAUNCHER_FILE,
                templates::FASTMCP_LAUNCHER,
                launcher_in_image(),
            ));
        }
        if let Some((file, template)) = self.probe() {
            files.push((file, template, probe_in_image(file)));
        }
        files
    }

    fn plan(&self) -> BuildPlan {
        let mut stages = Vec::new();
        if self.has_builder() {
            let mut steps = vec![Step::HealthcheckNone];
            steps.extend(if self.is_python {
                self.python_builder()
            } else {
                self.node_builder()
            });
            stages.push(Stage {
                name: "builder".to_owned(),
                from: from_base_arg(),
                steps,
            });
        }
        let healthcheck = self.healthcheck();
        stages.push(Stage {
            name: "runtime".to_owned(),
            from: from_base_arg(),
            steps: self.runtime_steps(&healthcheck),
        });
        let supporting_files: Vec<SupportingFile> = self
            .supporting()
            .into_iter()
            .map(|(path, template, _)| SupportingFile {
                path: path.to_owned(),
                template: template.to_owned(),
            })
            .collect();
        BuildPlan {
            server: self.spec.name.clone(),
            global_args: vec![KeyValue::new(BASE_IMAGE_ARG, self.base.clone())],
            dockerignore: self.dockerignore(&supporting_files),
            stages,
            supporting_files,
            endpoint: self.endpoint(),
            healthcheck,
            runtime_env: self.runtime_env(),
            writable_paths: self.spec.writable_paths.clone(),
            user: format!("{}:{}", self.spec.user.uid, self.spec.user.gid),
        }
    }

    fn apt_install(packages: &[crate::spec::AptPackage]) -> Vec<String> {
        if packages.is_empty() {
            return Vec::new();
        }
        let pinned: Vec<String> = packages
            .iter()
            .map(|p| quote(&format!("{}={}", p.name, p.version)))
            .collect();
        // `apt-get clean` too: a base without Debian's docker-clean hook (one made with debootstrap) would
        // otherwise keep apt's package caches, tens of MB, in the layer.
        vec![
            "apt-get update".to_owned(),
            format!(
                "apt-get install -y --no-install-recommends {}",
                pinned.join(" ")
            ),
            "apt-get clean".to_owned(),
            "rm -rf /var/lib/apt/lists/*".to_owned(),
        ]
    }

    fn copy(sources: Vec<String>, dest: impl Into<String>) -> Step {
        Step::Copy {
            from_stage: None,
            sources,
            dest: dest.into(),
        }
    }

    fn from_builder(dir: &str) -> Step {
        Step::Copy {
            from_stage: Some("builder".to_owned()),
            sources: vec![dir.to_owned()],
            dest: dir.to_owned(),
        }
    }

    /// Variables of every builder stage that runs pip.
    fn python_build_env() -> Vec<KeyValue> {
        vec![
            KeyValue::new("PYTHONDONTWRITEBYTECODE", "1"),
            KeyValue::new("PYTHONUNBUFFERED", "1"),
            KeyValue::new("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        ]
    }

    /// The package-index arguments of an online build: unset unless given
    /// with `--build-arg` (a mirror, or a local index), and never in the
    /// final image. Pip and npm read them from the environment.
    fn index_args(&self) -> Vec<Step> {
        if self.offline_vendor().is_some() {
            return Vec::new();
        }
        let npm = matches!(self.spec.dependencies, Dependencies::Npm { .. });
        let mut names: Vec<&str> = Vec::new();
        if self.runs_pip() {
            names.extend(PIP_INDEX_ARGS);
        }
        if npm {
            names.extend(NPM_REGISTRY_ARGS);
        }
        names
            .into_iter()
            .map(|name| Step::Arg {
                name: name.to_owned(),
            })
            .collect()
    }

    /// `pip install` into `venv`, from the vendored wheelhouse when offline.
    fn pip_install(&self, venv: &str, args: &str) -> String {
        let source = if self.offline_vendor().is_some() {
            format!(" --no-index --find-links {VENDOR_DIR}")
        } else {
            String::new()
        };
        format!("{venv}/bin/pip install --no-cache-dir{source} {args}")
    }

    /// `pip check` of `venv`, which fails the build on conflicting
    /// requirements that `pip install` only warns about; then pip leaves the
    /// venv: the image needs no installer at run time, and pip is a quarter
    /// of a small server's venv.
    fn pip_check(venv: &str) -> [String; 2] {
        [
            format!("{venv}/bin/pip check"),
            format!("{venv}/bin/pip uninstall --yes --quiet pip"),
        ]
    }

    /// The bridge's lock in the builder stage.
    fn bridge_lock_in_builder(lock: &str) -> String {
        format!("{BRIDGE_BUILD_DIR}/{lock}")
    }

    /// What the builder's first `RUN` installs from: the vendored packages
    /// and the bridge's lock (nothing of the project itself).
    fn builder_inputs(&self) -> Vec<Step> {
        let mut steps = self.index_args();
        if let Some(vendor) = self.offline_vendor() {
            let npm = !self.is_python && matches!(self.spec.dependencies, Dependencies::Npm { .. });
            let what = match (npm, self.runs_pip()) {
                (true, true) => "npm cache and wheelhouse",
                (true, false) => "npm cache",
                _ => "wheelhouse",
            };
            steps.push(Step::Comment {
                text: format!(
                    "Offline build: packages come from the vendored {what}, never the network."
                ),
            });
            steps.push(Self::copy(vec![vendor.to_owned()], VENDOR_DIR));
        }
        if let Some(BridgeSource::Lock(lock)) = self.proxy() {
            steps.push(Self::copy(
                vec![lock.to_owned()],
                Self::bridge_lock_in_builder(lock),
            ));
        }
        steps
    }

    /// The bridge's own environment: created, installed and checked in one
    /// layer (empty unless the bridge has an environment of its own).
    fn bridge_venv_commands(&self) -> Vec<String> {
        let args = match self.proxy() {
            Some(BridgeSource::Lock(lock)) => format!(
                "--require-hashes -r {}",
                quote(&Self::bridge_lock_in_builder(lock))
            ),
            Some(BridgeSource::Requirement(requirement)) => quote(requirement),
            Some(BridgeSource::ServerManifest) | None => return Vec::new(),
        };
        let mut commands = vec![
            format!(
                "{} -m venv {BRIDGE_VENV_DIR}",
                quote(self.bridge_interpreter())
            ),
            self.pip_install(BRIDGE_VENV_DIR, &args),
        ];
        commands.extend(Self::pip_check(BRIDGE_VENV_DIR));
        commands
    }

    fn python_builder(&self) -> Vec<Step> {
        let spec = self.spec;
        let mut steps = vec![Step::Env {
            vars: Self::python_build_env(),
        }];
        steps.extend(self.builder_inputs());
        // Toolchain, bridge and the server's empty venv change rarely: one
        // layer, before any project file, so editing requirements does not
        // reinstall the bridge.
        let mut prepare = Self::apt_install(&spec.build_packages);
        prepare.extend(self.bridge_venv_commands());
        if let (true, Runtime::Python { interpreter, .. }) = (self.has_server_venv(), &spec.runtime)
        {
            prepare.push(format!("{} -m venv {VENV_DIR}", quote(interpreter)));
        }
        if !prepare.is_empty() {
            steps.push(Step::Run { commands: prepare });
        }
        match &spec.dependencies {
            Dependencies::Requirements {
                path,
                require_hashes,
            } => {
                let dest = format!("{BUILD_DIR}/{path}");
                steps.push(Self::copy(vec![path.clone()], dest.clone()));
                let hashes = if *require_hashes {
                    "--require-hashes "
                } else {
                    ""
                };
                let mut commands =
                    vec![self.pip_install(VENV_DIR, &format!("{hashes}-r {}", quote(&dest)))];
                commands.extend(Self::pip_check(VENV_DIR));
                steps.push(Step::Run { commands });
            }
            Dependencies::Pyproject { path } => {
                let dest = format!("{BUILD_DIR}/pyproject.toml");
                steps.push(Self::copy(vec![path.clone()], dest.clone()));
                // pip cannot install only a project's dependencies, so read
                // them with tomllib; the project itself is never built.
                let extract = format!(
                    "{VENV_DIR}/bin/python -c \"import tomllib; print(*tomllib.load(open('{dest}', 'rb'))['project'].get('dependencies', []), sep=chr(10))\" > {BUILD_DIR}/requirements.txt"
                );
                let mut commands = vec![
                    extract,
                    self.pip_install(VENV_DIR, &format!("-r {BUILD_DIR}/requirements.txt")),
                ];
                commands.extend(Self::pip_check(VENV_DIR));
                steps.push(Step::Run { commands });
            }
            Dependencies::None | Dependencies::Npm { .. } => {}
        }
        steps
    }

    fn node_builder(&self) -> Vec<Step> {
        let spec = self.spec;
        let mut env = vec![KeyValue::new("NODE_ENV", "production")];
        if self.has_bridge_venv() {
            env.extend(Self::python_build_env());
        }
        let mut steps = vec![Step::Env { vars: env }];
        steps.extend(self.builder_inputs());
        let npm_source = if self.offline_vendor().is_some() {
            format!(" --offline --cache {VENDOR_DIR}")
        } else {
            String::new()
        };
        let mut prepare = Self::apt_install(&spec.build_packages);
        prepare.extend(self.bridge_venv_commands());
        if !prepare.is_empty() {
            steps.push(Step::Run { commands: prepare });
        }
        if let Dependencies::Npm { manifest, lockfile } = &spec.dependencies {
            steps.push(Step::Workdir {
                path: APP_DIR.to_owned(),
            });
            steps.push(Self::copy(
                vec![manifest.clone(), lockfile.clone()],
                format!("{APP_DIR}/"),
            ));
            steps.push(Step::Run {
                commands: vec![format!(
                    "npm ci --omit=dev --no-audit --no-fund{npm_source}"
                )],
            });
        }
        steps
    }

    fn labels(&self) -> Vec<KeyValue> {
        let spec = self.spec;
        let mut labels = vec![KeyValue::new(
            oci_label("title"),
            spec.labels
                .title
                .clone()
                .unwrap_or_else(|| spec.name.clone()),
        )];
        for (field, value) in [
            ("description", &spec.labels.description),
            ("version", &spec.labels.version),
            ("source", &spec.labels.source),
            ("revision", &spec.labels.revision),
            ("licenses", &spec.labels.licenses),
            ("vendor", &spec.labels.vendor),
        ] {
            if let Some(value) = value {
                labels.push(KeyValue::new(oci_label(field), value.clone()));
            }
        }
        // The base the image was really built from: the argument's value,
        // which a `--build-arg` may have replaced (a pinned digest included).
        labels.push(KeyValue::new(oci_label("base.name"), from_base_arg()));
        let endpoint = self.endpoint();
        labels.push(KeyValue::new(mcp_label("server"), spec.name.clone()));
        labels.push(KeyValue::new(
            mcp_label("transport"),
            endpoint.transport.label(),
        ));
        labels.push(KeyValue::new(
            mcp_label("upstream-transport"),
            match spec.transport {
                ServerTransport::Stdio { .. } => "stdio",
                ServerTransport::Sse { .. } => "sse",
                _ => "streamable-http",
            },
        ));
        labels.push(KeyValue::new(
            mcp_label("bridge"),
            self.bridge().map_or("none", Bridge::slug),
        ));
        labels.push(KeyValue::new(mcp_label("port"), endpoint.port.to_string()));
        labels.push(KeyValue::new(mcp_label("path"), endpoint.path));
        if !spec.labels.tools.is_empty() {
            labels.push(KeyValue::new(
                mcp_label("tools"),
                spec.labels.tools.join(","),
            ));
        }
        for (key, value) in &spec.labels.extra {
            labels.push(KeyValue::new(key.clone(), value.clone()));
        }
        labels
    }

    /// The final stage. Everything that does not depend on the sources comes
    /// first and the sources' `COPY` last: on the classic builder every
    /// instruction after a changed layer is rebuilt (each a container
    /// commit), so a source-only change then rebuilds nothing else. Among
    /// the rest, what changes more often comes later: environment, account
    /// and packages; installed environments; launchers; how the container
    /// runs; defaults and labels (a version bump); the project's files.
    fn runtime_steps(&self, healthcheck: &HealthcheckStep) -> Vec<Step> {
        let spec = self.spec;
        let user = &spec.user;
        let mut steps = Vec::new();

        let mut env = Vec::new();
        if self.is_python || self.has_bridge_venv() {
            env.push(KeyValue::new("PYTHONDONTWRITEBYTECODE", "1"));
            env.push(KeyValue::new("PYTHONUNBUFFERED", "1"));
        }
        if self.is_python {
            if self.has_server_venv() {
                env.push(KeyValue::new("VIRTUAL_ENV", VENV_DIR));
                env.push(KeyValue::new("PATH", format!("{VENV_DIR}/bin:$PATH")));
            }
        } else {
            env.push(KeyValue::new("NODE_ENV", "production"));
            env.push(KeyValue::new(
                "PATH",
                format!("{APP_DIR}/node_modules/.bin:$PATH"),
            ));
        }
        if !matches!(spec.transport, ServerTransport::Stdio { .. }) {
            // Conventional variables a native HTTP server can bind with.
            env.push(KeyValue::new("HOST", "0.0.0.0"));
            env.push(KeyValue::new("PORT", spec.port.to_string()));
        }
        if !env.is_empty() {
            steps.push(Step::Env { vars: env });
        }

        // System packages and the account: one layer, the same for every server with the same packages and
        // user, so the installed environments copied onto it are shared between images too.
        let mut setup = Self::apt_install(&spec.system_packages);
        setup.push(format!(
            "groupadd --system --gid {} {}",
            user.gid, user.name
        ));
        setup.push(format!(
            "useradd --system --no-log-init --uid {} --gid {} --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin {}",
            user.uid, user.gid, user.name
        ));
        steps.push(Step::Run { commands: setup });

        // Installed environments, the bridge's (which changes least) first.
        if self.has_bridge_venv() {
            steps.push(Self::from_builder(BRIDGE_VENV_DIR));
        }
        if self.has_server_venv() {
            steps.push(Self::from_builder(VENV_DIR));
        }
        if matches!(spec.dependencies, Dependencies::Npm { .. }) {
            steps.push(Self::from_builder(&format!("{APP_DIR}/node_modules")));
        }
        // Writable directories after the environments: servers that differ only in them share everything above.
        if !spec.writable_paths.is_empty() {
            let dirs: Vec<String> = spec.writable_paths.iter().map(|p| quote(p)).collect();
            steps.push(Step::Run {
                commands: vec![
                    format!("mkdir -p {}", dirs.join(" ")),
                    format!("chown {}:{} {}", user.uid, user.gid, dirs.join(" ")),
                ],
            });
        }
        for (file, _, in_image) in self.supporting() {
            steps.push(Self::copy(vec![file.to_owned()], in_image));
        }

        steps.push(Step::Workdir {
            path: APP_DIR.to_owned(),
        });
        steps.push(Step::User {
            uid: user.uid,
            gid: user.gid,
        });
        steps.push(Step::Expose { port: spec.port });
        steps.push(Step::Healthcheck(healthcheck.clone()));
        steps.push(Step::Cmd { argv: self.cmd() });

        // Values with defaults: changing one must not rebuild the layers above.
        let defaults: Vec<KeyValue> = spec
            .env
            .iter()
            .filter_map(|var| {
                var.default
                    .as_ref()
                    .filter(|_| !var.secret)
                    .map(|value| KeyValue::new(var.name.clone(), value.clone()))
            })
            .collect();
        if !defaults.is_empty() {
            steps.push(Step::Env { vars: defaults });
        }
        // Redeclared so the label below can name the base actually used.
        steps.push(Step::Arg {
            name: BASE_IMAGE_ARG.to_owned(),
        });
        steps.push(Step::Label {
            labels: self.labels(),
        });

        // The project's files, last.
        if let Dependencies::Npm { manifest, .. } = &spec.dependencies {
            // Node reads package.json at run time ("type": "module", imports).
            steps.push(Self::copy(
                vec![manifest.clone()],
                format!("{APP_DIR}/package.json"),
            ));
        }
        for source in self.sources() {
            steps.push(Self::copy(
                vec![source.clone()],
                format!("{APP_DIR}/{source}"),
            ));
        }
        steps
    }

    fn sources(&self) -> Vec<String> {
        if self.spec.sources.is_empty()
            && let Entrypoint::Script { path, .. } = &self.spec.entrypoint
        {
            return vec![path.clone()];
        }
        self.spec.sources.clone()
    }

    fn dockerignore(&self, supporting: &[SupportingFile]) -> Vec<String> {
        let spec = self.spec;
        let mut allowed: Vec<String> = Vec::new();
        match &spec.dependencies {
            Dependencies::None => {}
            Dependencies::Requirements { path, .. } | Dependencies::Pyproject { path } => {
                allowed.push(path.clone());
            }
            Dependencies::Npm { manifest, lockfile } => {
                allowed.push(manifest.clone());
                allowed.push(lockfile.clone());
            }
        }
        if let Some(BridgeSource::Lock(lock)) = self.proxy() {
            allowed.push(lock.to_owned());
        }
        if let Some(vendor) = self.offline_vendor() {
            allowed.push(vendor.to_owned());
        }
        allowed.extend(supporting.iter().map(|file| file.path.clone()));
        allowed.extend(self.sources());
        let mut lines = vec!["*".to_owned()];
        let mut seen = std::collections::BTreeSet::new();
        for path in allowed {
            if seen.insert(path.clone()) {
                lines.push(format!("!{path}"));
            }
        }
        // Never ship these, even inside allowed directories.
        for junk in [
            "**/.git",
            "**/.env",
            "**/.env.*",
            "**/.venv",
            "**/__pycache__",
            "**/*.py[cod]",
            "**/node_modules",
            "**/Dockerfile*",
            "**/.dockerignore",
        ] {
            lines.push(junk.to_owned());
        }
        lines
    }

    fn endpoint(&self) -> Endpoint {
        let (path, transport) = match &self.spec.transport {
            ServerTransport::StreamableHttp { path } => {
                (path.clone(), EndpointTransport::StreamableHttp)
            }
            ServerTransport::Sse { path } => (path.clone(), EndpointTransport::Sse),
            ServerTransport::Stdio { .. } => (
                BRIDGE_MCP_PATH.to_owned(),
                EndpointTransport::StreamableHttp,
            ),
        };
        Endpoint {
            port: self.spec.port,
            path,
            transport,
        }
    }

    /// The server's own argv (what a stdio bridge spawns).
    fn server_argv(&self) -> Vec<String> {
        let mut argv = Vec::new();
        match &self.spec.entrypoint {
            Entrypoint::Script { path, args } => {
                argv.push(if self.is_python {
                    self.python()
                } else {
                    "node".to_owned()
                });
                argv.push(format!("{APP_DIR}/{path}"));
                argv.extend(args.iter().cloned());
            }
            Entrypoint::Module { module, args } => {
                argv.extend([self.python(), "-m".to_owned(), module.clone()]);
                argv.extend(args.iter().cloned());
            }
            Entrypoint::Command { argv: command } => argv.extend(command.iter().cloned()),
        }
        argv
    }

    fn cmd(&self) -> Vec<String> {
        let port = self.spec.port.to_string();
        let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self.bridge() {
            None => self.server_argv(),
            Some(Bridge::McpProxy { .. }) => {
                // One stdio child, its environment passed through; the
                // server's argv follows `--` untouched (no shell, no
                // re-splitting).
                let mut argv = vec![format!("{}/bin/mcp-proxy", self.bridge_venv())];
                argv.extend(owned(&["--host", "0.0.0.0", "--port"]));
                argv.push(port);
                argv.extend(owned(&["--pass-environment", "--"]));
                argv.extend(self.server_argv());
                argv
            }
            Some(Bridge::FastmcpLauncher { server_object }) => {
                let mut argv = vec![self.python(), launcher_in_image()];
                let args = match &self.spec.entrypoint {
                    Entrypoint::Script { path, args } => {
                        argv.extend(["--script".to_owned(), format!("{APP_DIR}/{path}")]);
                        args
                    }
                    Entrypoint::Module { module, args } => {
                        argv.extend(["--module".to_owned(), module.clone()]);
                        args
                    }
                    // Rejected by validation.
                    Entrypoint::Command { .. } => &Vec::new(),
                };
                if let Some(object) = server_object {
                    argv.extend(["--object".to_owned(), object.clone()]);
                }
                argv.extend(owned(&["--host", "0.0.0.0", "--port"]));
                argv.push(port);
                argv.extend(owned(&["--path", BRIDGE_MCP_PATH, "--allow-host"]));
                argv.push(self.spec.name.clone());
                argv.push("--".to_owned());
                argv.extend(args.iter().cloned());
                argv
            }
        }
    }

    fn healthcheck(&self) -> HealthcheckStep {
        let check = &self.spec.healthcheck;
        let port = self.spec.port;
        let timeout = check.timeout_secs;
        let test = match &check.probe {
            Probe::Mcp => {
                let endpoint = self.endpoint();
                let mut argv = match (self.any_python(), self.probe()) {
                    // -I -S: no site-packages and no PYTHON* variables, a
                    // faster start and nothing of the server's loaded.
                    (Some(python), Some((file, _))) => {
                        vec![python, "-I".into(), "-S".into(), probe_in_image(file)]
                    }
                    (_, Some((file, _))) => vec!["node".into(), probe_in_image(file)],
                    (_, None) => Vec::new(),
                };
                argv.extend([
                    endpoint.transport.label().to_owned(),
                    port.to_string(),
                    endpoint.path,
                    timeout.to_string(),
                ]);
                argv
            }
            Probe::Tcp => self.http_probe(None),
            Probe::Http { path } => self.http_probe(Some(path)),
            Probe::Command { argv } => argv.clone(),
        };
        HealthcheckStep {
            test,
            interval: format!("{}s", check.interval_secs),
            timeout: format!("{timeout}s"),
            start_period: format!("{}s", check.start_period_secs),
            retries: check.retries,
        }
    }

    /// A TCP connect, or an HTTP `GET` of `path`, with the image's Python
    /// or else `node`.
    fn http_probe(&self, path: Option<&str>) -> Vec<String> {
        let check = &self.spec.healthcheck;
        match self.any_python() {
            Some(python) => python_probe(python, self.spec.port, path, check.timeout_secs),
            None => node_probe(self.spec.port, path, check.timeout_secs),
        }
    }

    fn runtime_env(&self) -> Vec<RuntimeEnv> {
        self.spec
            .env
            .iter()
            .filter(|var| var.default.is_none())
            .map(|var: &EnvVar| RuntimeEnv {
                name: var.name.clone(),
                secret: var.secret,
            })
            .collect()
    }
}

/// Python statements that put the container's own, non-loopback address in
/// `a`, the address the gateway connects to (the hostname resolves to it
/// inside a container); a loopback answer exits non-zero, because a probe
/// of 127.0.0.1 passes for a server its clients cannot reach.
const PYTHON_OWN_ADDRESS: &str = "a = socket.gethostbyname(socket.gethostname()); a.startswith('127.') and sys.exit('probe: the hostname resolves to loopback ' + a)";

/// A health probe run with `python` (standard library only, no proxy): a
/// TCP connect, or a `GET` of `http_path` that must answer 2xx, to the
/// container's own address.
pub(crate) fn python_probe(
    python: String,
    port: u16,
    http_path: Option<&str>,
    timeout_secs: u32,
) -> Vec<String> {
    let code = match http_path {
        Some(path) => format!(
            "import http.client, socket, sys; {PYTHON_OWN_ADDRESS}; c = http.client.HTTPConnection(a, {port}, timeout={timeout_secs}); c.request('GET', '{path}'); s = c.getresponse().status; sys.exit(0 if 200 <= s < 300 else 'probe: HTTP ' + str(s))"
        ),
        None => format!(
            "import socket, sys; {PYTHON_OWN_ADDRESS}; socket.create_connection((a, {port}), timeout={timeout_secs}).close()"
        ),
    };
    vec![python, "-c".to_owned(), code]
}

/// The same probe with `node` (core modules only; `http.get` uses no proxy).
fn node_probe(port: u16, http_path: Option<&str>, timeout_secs: u32) -> Vec<String> {
    let connect = match http_path {
        Some(path) => format!(
            "require('http').get({{host: a, port: {port}, path: '{path}'}}, (r) => process.exit(r.statusCode >= 200 && r.statusCode < 300 ? 0 : 1)).on('error', () => process.exit(1))"
        ),
        None => format!(
            "require('net').connect({port}, a, () => process.exit(0)).on('error', () => process.exit(1))"
        ),
    };
    let millis = u64::from(timeout_secs) * 1000;
    let code = format!(
        "setTimeout(() => process.exit(1), {millis}); require('dns').lookup(require('os').hostname(), {{family: 4}}, (e, a) => {{ if (e || a.startsWith('127.')) {{ console.error('probe: the hostname resolves to loopback or nothing', e || a); process.exit(1); }} {connect}; }})"
    );
    vec!["node".to_owned(), "-e".to_owned(), code]
}

/// Quotes one shell word if it needs it. Validation keeps NUL out, so
/// quoting cannot fail; the fallback keeps this panic-free regardless.
pub(crate) fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| String::new(), |quoted| quoted.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{RESERVED_DIRS, RESERVED_ENV};
    use crate::validate::SERVER_PASSES;

    /// One spec per runtime × transport × bridge, with a user variable.
    fn specs() -> Vec<ServerSpec> {
        let requirements = Dependencies::Requirements {
            path: "requirements.txt".into(),
            require_hashes: false,
        };
        let npm = Dependencies::Npm {
            manifest: "package.json".into(),
            lockfile: "package-lock.json".into(),
        };
        let python = |transport| {
            let mut spec = ServerSpec::new(
                "py",
                Runtime::python("3.12"),
                Entrypoint::script("server.py"),
                transport,
            );
            spec.dependencies = requirements.clone();
            spec.env.push(EnvVar::with_default("GREETING", "hi"));
            spec
        };
        let node = |transport| {
            let mut spec = ServerSpec::new(
                "js",
                Runtime::node("22"),
                Entrypoint::script("index.js"),
                transport,
            );
            spec.dependencies = npm.clone();
            spec.env.push(EnvVar::secret("TOKEN"));
            spec
        };
        let mut offline = node(ServerTransport::Stdio {
            bridge: Bridge::mcp_proxy(),
        });
        offline.install = InstallMode::Offline {
            vendor_dir: "npm-cache".into(),
        };
        let mut node_proxy = node(ServerTransport::Stdio {
            bridge: Bridge::mcp_proxy_locked("bridge.lock"),
        });
        node_proxy.dependencies = Dependencies::None;
        let node_http = node(ServerTransport::StreamableHttp {
            path: "/mcp".into(),
        });
        vec![
            python(ServerTransport::Stdio {
                bridge: Bridge::mcp_proxy(),
            }),
            python(ServerTransport::Stdio {
                bridge: Bridge::fastmcp_launcher(),
            }),
            python(ServerTransport::StreamableHttp {
                path: "/mcp".into(),
            }),
            python(ServerTransport::Sse {
                path: "/sse".into(),
            }),
            node_http,
            offline,
            node_proxy,
        ]
    }

    #[test]
    fn every_variable_the_planner_sets_is_reserved() {
        for spec in specs() {
            let plan = BuildPlan::from_spec(&spec).unwrap();
            for step in plan.stages.iter().flat_map(|stage| &stage.steps) {
                let Step::Env { vars } = step else { continue };
                for var in vars {
                    let from_spec = spec.env.iter().any(|v| v.name == var.key);
                    assert!(
                        from_spec || RESERVED_ENV.contains(&var.key.as_str()),
                        "{}: `{}` is set by the planner but not reserved",
                        spec.name,
                        var.key
                    );
                }
            }
        }
    }

    #[test]
    fn runtime_copies_outside_the_app_go_to_reserved_dirs() {
        for spec in specs() {
            let plan = BuildPlan::from_spec(&spec).unwrap();
            let runtime = plan.runtime_stage().unwrap();
            for step in &runtime.steps {
                let Step::Copy { dest, .. } = step else {
                    continue;
                };
                assert!(
                    dest.starts_with(&format!("{APP_DIR}/"))
                        || RESERVED_DIRS
                            .iter()
                            .any(|dir| dest == dir || dest.starts_with(&format!("{dir}/"))),
                    "{}: copies to {dest}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn from_spec_validates_once() {
        for spec in specs() {
            SERVER_PASSES.with(|passes| passes.set(0));
            BuildPlan::from_spec(&spec).unwrap();
            assert_eq!(SERVER_PASSES.with(std::cell::Cell::get), 1, "{}", spec.name);
        }
    }

    #[test]
    fn endpoint_transport_spells_as_contextforge_does() {
        for (transport, text) in [
            (EndpointTransport::StreamableHttp, "STREAMABLEHTTP"),
            (EndpointTransport::Sse, "SSE"),
        ] {
            assert_eq!(transport.as_str(), text);
            assert_eq!(transport.to_string(), text);
            let json = serde_json::to_string(&transport).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            let back: EndpointTransport = serde_json::from_str(&json).unwrap();
            assert_eq!(back, transport);
        }
        let transports: Vec<EndpointTransport> = specs()
            .iter()
            .map(|spec| BuildPlan::from_spec(spec).unwrap().endpoint.transport)
            .collect();
        use EndpointTransport::{Sse, StreamableHttp};
        assert_eq!(
            transports,
            [
                StreamableHttp,
                StreamableHttp,
                StreamableHttp,
                Sse,
                StreamableHttp,
                StreamableHttp,
                StreamableHttp
            ]
        );
    }

    #[test]
    fn an_mcp_probe_runs_with_a_python_the_image_has_or_else_node() {
        let probes: Vec<(String, Vec<String>)> = specs()
            .iter()
            .map(|spec| {
                let plan = BuildPlan::from_spec(spec).unwrap();
                let files: Vec<String> = plan
                    .supporting_files
                    .iter()
                    .map(|file| file.path.clone())
                    .collect();
                (plan.healthcheck.test[0].clone(), files)
            })
            .collect();
        let python = |venv: &str| format!("{venv}/bin/python");
        assert_eq!(probes[0].0, python(VENV_DIR));
        assert_eq!(probes[1].1, [LAUNCHER_FILE, PROBE_FILE]);
        // A native Node server has no Python: the Node probe.
        assert_eq!(
            probes[4],
            ("node".to_owned(), vec![NODE_PROBE_FILE.to_owned()])
        );
        // A bridged Node server has the bridge's.
        assert_eq!(probes[6].0, python(BRIDGE_VENV_DIR));
        let plan = BuildPlan::from_spec(&specs()[3]).unwrap();
        assert_eq!(
            plan.healthcheck.test[1..],
            [
                "-I",
                "-S",
                "/opt/mcpfleet/probe.py",
                "sse",
                "8000",
                "/sse",
                "2"
            ]
        );
    }

    #[test]
    fn mcp_proxy_runs_the_server_argv_untouched_with_its_environment() {
        let mut spec = specs().remove(0);
        spec.entrypoint = Entrypoint::Script {
            path: "server.py".into(),
            args: vec!["--name".into(), "it's \"quoted\" $HOME".into()],
        };
        let plan = BuildPlan::from_spec(&spec).unwrap();
        let Some(Step::Cmd { argv }) = plan
            .runtime_stage()
            .unwrap()
            .steps
            .iter()
            .find(|s| matches!(s, Step::Cmd { .. }))
        else {
            panic!("no CMD");
        };
        assert_eq!(
            argv,
            &[
                "/opt/bridge/bin/mcp-proxy",
                "--host",
                "0.0.0.0",
                "--port",
                "8000",
                "--pass-environment",
                "--",
                "/opt/venv/bin/python",
                "/app/server.py",
                "--name",
                "it's \"quoted\" $HOME",
            ]
        );
    }

    #[test]
    fn every_stage_starts_from_the_base_argument_and_online_builds_take_an_index() {
        for spec in specs() {
            let plan = BuildPlan::from_spec(&spec).unwrap();
            assert_eq!(plan.global_args[0].key, BASE_IMAGE_ARG, "{}", spec.name);
            assert!(
                plan.stages
                    .iter()
                    .all(|stage| stage.from == "${BASE_IMAGE}")
            );
            let Some(builder) = plan.stages.iter().find(|stage| stage.name == "builder") else {
                continue;
            };
            let args: Vec<&str> = builder
                .steps
                .iter()
                .filter_map(|step| match step {
                    Step::Arg { name } => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            let online = spec.install == InstallMode::Online;
            let pip = matches!(spec.runtime, Runtime::Python { .. })
                || matches!(spec.transport, ServerTransport::Stdio { .. });
            let npm = matches!(spec.dependencies, Dependencies::Npm { .. });
            let mut expected: Vec<&str> = Vec::new();
            if online && pip {
                expected.extend(PIP_INDEX_ARGS);
            }
            if online && npm {
                expected.extend(NPM_REGISTRY_ARGS);
            }
            assert_eq!(args, expected, "{}", spec.name);
        }
    }

    #[test]
    fn bridged_servers_need_nothing_from_the_deployer_but_their_own() {
        for spec in specs() {
            let plan = BuildPlan::from_spec(&spec).unwrap();
            let required: Vec<&str> = plan.runtime_env.iter().map(|v| v.name.as_str()).collect();
            let declared: Vec<&str> = spec
                .env
                .iter()
                .filter(|v| v.default.is_none())
                .map(|v| v.name.as_str())
                .collect();
            assert_eq!(required, declared, "{}", spec.name);
        }
    }
}
