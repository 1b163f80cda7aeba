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
    APP_DIR, BUILD_DIR, LAUNCHER_FILE, NODE_BRIDGE_DIR, TRANSLATE_SECRETS, VENDOR_DIR, VENV_DIR,
    launcher_in_image, mcp_label, oci_label,
};
use crate::spec::{
    Bridge, Dependencies, Entrypoint, EnvVar, ImageRef, InstallMode, Probe, Runtime, ServerSpec,
    ServerTransport,
};
use crate::validate::{self, Valid};

/// Endpoint path every stdio bridge serves.
const BRIDGE_MCP_PATH: &str = "/mcp";
/// Health path of the bridges that have one.
const BRIDGE_HEALTH_PATH: &str = "/healthz";

/// Everything needed to write one server's build context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BuildPlan {
    /// Server (and compose service) name.
    pub server: String,
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
    /// Base image reference as written after `FROM`.
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
    /// Probe interval, e.g. `15s`.
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
        let mut out = Vec::new();
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
    base: String,
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

    /// The pip requirement the bridge needs installed, if any.
    fn bridge_pip_requirement(&self) -> Option<&'a str> {
        match self.bridge() {
            Some(Bridge::ContextforgeTranslate { requirement }) => requirement.as_deref(),
            _ => None,
        }
    }

    fn pinned_supergateway(&self) -> Option<&'a str> {
        match self.bridge() {
            Some(Bridge::Supergateway { version }) => version.as_deref(),
            _ => None,
        }
    }

    /// Python always gets a virtual environment when anything is installed.
    fn has_builder(&self) -> bool {
        self.spec.dependencies != Dependencies::None
            || self.bridge_pip_requirement().is_some()
            || self.pinned_supergateway().is_some()
    }

    fn python(&self) -> String {
        match &self.spec.runtime {
            Runtime::Python { interpreter, .. } if !self.has_builder() => interpreter.clone(),
            _ => format!("{VENV_DIR}/bin/python"),
        }
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
                from: self.base.clone(),
                steps,
            });
        }
        let healthcheck = self.healthcheck();
        stages.push(Stage {
            name: "runtime".to_owned(),
            from: self.base.clone(),
            steps: self.runtime_steps(&healthcheck),
        });
        let supporting_files = match self.bridge() {
            Some(Bridge::FastmcpLauncher { .. }) => vec![SupportingFile {
                path: LAUNCHER_FILE.to_owned(),
                template: crate::templates::FASTMCP_LAUNCHER.to_owned(),
            }],
            _ => Vec::new(),
        };
        BuildPlan {
            server: self.spec.name.clone(),
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
        vec![
            "apt-get update".to_owned(),
            format!(
                "apt-get install -y --no-install-recommends {}",
                pinned.join(" ")
            ),
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

    fn python_builder(&self) -> Vec<Step> {
        let spec = self.spec;
        let Runtime::Python { interpreter, .. } = &spec.runtime else {
            return Vec::new();
        };
        let mut steps = vec![Step::Env {
            vars: vec![
                KeyValue::new("PYTHONDONTWRITEBYTECODE", "1"),
                KeyValue::new("PYTHONUNBUFFERED", "1"),
                KeyValue::new("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
            ],
        }];
        let offline = self.offline_vendor();
        if let Some(vendor) = offline {
            steps.push(Step::Comment {
                text:
                    "Offline build: packages come from the vendored wheelhouse, never the network."
                        .to_owned(),
            });
            steps.push(Self::copy(vec![vendor.to_owned()], VENDOR_DIR));
        }
        let pip = |args: &str| {
            let source = if offline.is_some() {
                format!(" --no-index --find-links {VENDOR_DIR}")
            } else {
                String::new()
            };
            format!("{VENV_DIR}/bin/pip install --no-cache-dir{source} {args}")
        };
        // Toolchain, venv and bridge change rarely: one layer, before any
        // project file, so editing requirements does not reinstall the bridge.
        let mut prepare = Self::apt_install(&spec.build_packages);
        prepare.push(format!("{} -m venv {VENV_DIR}", quote(interpreter)));
        if let Some(requirement) = self.bridge_pip_requirement() {
            prepare.push(pip(&quote(requirement)));
        }
        steps.push(Step::Run { commands: prepare });
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
                steps.push(Step::Run {
                    commands: vec![pip(&format!("{hashes}-r {}", quote(&dest)))],
                });
            }
            Dependencies::Pyproject { path } => {
                let dest = format!("{BUILD_DIR}/pyproject.toml");
                steps.push(Self::copy(vec![path.clone()], dest.clone()));
                // pip cannot install only a project's dependencies, so read
                // them with tomllib; the project itself is never built.
                let extract = format!(
                    "{VENV_DIR}/bin/python -c \"import tomllib; print(*tomllib.load(open('{dest}', 'rb'))['project'].get('dependencies', []), sep=chr(10))\" > {BUILD_DIR}/requirements.txt"
                );
                steps.push(Step::Run {
                    commands: vec![extract, pip(&format!("-r {BUILD_DIR}/requirements.txt"))],
                });
            }
            Dependencies::None | Dependencies::Npm { .. } => {}
        }
        steps
    }

    fn node_builder(&self) -> Vec<Step> {
        let spec = self.spec;
        let mut steps = vec![Step::Env {
            vars: vec![KeyValue::new("NODE_ENV", "production")],
        }];
        let offline = self.offline_vendor();
        if let Some(vendor) = offline {
            steps.push(Step::Comment {
                text:
                    "Offline build: packages come from the vendored npm cache, never the network."
                        .to_owned(),
            });
            steps.push(Self::copy(vec![vendor.to_owned()], VENDOR_DIR));
        }
        let npm_source = if offline.is_some() {
            format!(" --offline --cache {VENDOR_DIR}")
        } else {
            String::new()
        };
        let mut prepare = Self::apt_install(&spec.build_packages);
        if let Some(version) = self.pinned_supergateway() {
            prepare.push(format!(
                "npm install --global --prefix {NODE_BRIDGE_DIR} --no-audit --no-fund{npm_source} {}",
                quote(&format!("supergateway@{version}"))
            ));
        }
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
        let base = spec.base_image.as_ref();
        let base_name = match base {
            Some(image) => format!("{}:{}", image.name, image.tag),
            None => self.base.clone(),
        };
        labels.push(KeyValue::new(oci_label("base.name"), base_name));
        if let Some(digest) = base.and_then(|image| image.digest.as_ref()) {
            labels.push(KeyValue::new(oci_label("base.digest"), digest.clone()));
        }
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

    fn runtime_steps(&self, healthcheck: &HealthcheckStep) -> Vec<Step> {
        let spec = self.spec;
        let user = &spec.user;
        let mut steps = vec![Step::Label {
            labels: self.labels(),
        }];

        let mut env = Vec::new();
        if self.is_python {
            env.push(KeyValue::new("PYTHONDONTWRITEBYTECODE", "1"));
            env.push(KeyValue::new("PYTHONUNBUFFERED", "1"));
            if self.has_builder() {
                env.push(KeyValue::new("VIRTUAL_ENV", VENV_DIR));
                env.push(KeyValue::new("PATH", format!("{VENV_DIR}/bin:$PATH")));
            }
        } else {
            env.push(KeyValue::new("NODE_ENV", "production"));
            let mut path = format!("{APP_DIR}/node_modules/.bin:$PATH");
            if self.pinned_supergateway().is_some() {
                path = format!("{NODE_BRIDGE_DIR}/bin:{path}");
            }
            env.push(KeyValue::new("PATH", path));
        }
        if !matches!(spec.transport, ServerTransport::Stdio { .. }) {
            // Conventional variables a native HTTP server can bind with.
            env.push(KeyValue::new("HOST", "0.0.0.0"));
            env.push(KeyValue::new("PORT", spec.port.to_string()));
        }
        steps.push(Step::Env { vars: env });

        // System packages, the account and writable directories: one layer.
        let mut setup = Self::apt_install(&spec.system_packages);
        setup.push(format!(
            "groupadd --system --gid {} {}",
            user.gid, user.name
        ));
        setup.push(format!(
            "useradd --system --no-log-init --uid {} --gid {} --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin {}",
            user.uid, user.gid, user.name
        ));
        if !spec.writable_paths.is_empty() {
            let dirs: Vec<String> = spec.writable_paths.iter().map(|p| quote(p)).collect();
            setup.push(format!("mkdir -p {}", dirs.join(" ")));
            setup.push(format!(
                "chown {}:{} {}",
                user.uid,
                user.gid,
                dirs.join(" ")
            ));
        }
        steps.push(Step::Run { commands: setup });

        if self.has_builder() {
            if self.is_python {
                steps.push(Step::Copy {
                    from_stage: Some("builder".to_owned()),
                    sources: vec![VENV_DIR.to_owned()],
                    dest: VENV_DIR.to_owned(),
                });
            } else {
                if self.pinned_supergateway().is_some() {
                    steps.push(Step::Copy {
                        from_stage: Some("builder".to_owned()),
                        sources: vec![NODE_BRIDGE_DIR.to_owned()],
                        dest: NODE_BRIDGE_DIR.to_owned(),
                    });
                }
                if matches!(spec.dependencies, Dependencies::Npm { .. }) {
                    steps.push(Step::Copy {
                        from_stage: Some("builder".to_owned()),
                        sources: vec![format!("{APP_DIR}/node_modules")],
                        dest: format!("{APP_DIR}/node_modules"),
                    });
                }
            }
        }
        if let Some(Bridge::FastmcpLauncher { .. }) = self.bridge() {
            steps.push(Self::copy(
                vec![LAUNCHER_FILE.to_owned()],
                launcher_in_image(),
            ));
        }
        steps.push(Step::Workdir {
            path: APP_DIR.to_owned(),
        });
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
        // Values with defaults go last: changing one must not rebuild layers.
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
        steps.push(Step::User {
            uid: user.uid,
            gid: user.gid,
        });
        steps.push(Step::Expose { port: spec.port });
        steps.push(Step::Healthcheck(healthcheck.clone()));
        steps.push(Step::Cmd { argv: self.cmd() });
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
            Some(Bridge::ContextforgeTranslate { .. }) => {
                let mut argv = vec![self.python()];
                argv.extend(owned(&["-m", "mcpgateway.translate", "--stdio"]));
                argv.push(join_words(&self.server_argv()));
                argv.extend(owned(&[
                    "--expose-streamable-http",
                    "--host",
                    "0.0.0.0",
                    "--port",
                ]));
                argv.push(port);
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
            Some(Bridge::Supergateway { version }) => {
                let program = if version.is_some() {
                    format!("{NODE_BRIDGE_DIR}/bin/supergateway")
                } else {
                    format!("{APP_DIR}/node_modules/.bin/supergateway")
                };
                let mut argv = vec![
                    program,
                    "--stdio".to_owned(),
                    join_words(&self.server_argv()),
                ];
                argv.extend(owned(&["--outputTransport", "streamableHttp", "--port"]));
                argv.push(port);
                argv.extend(owned(&[
                    "--streamableHttpPath",
                    BRIDGE_MCP_PATH,
                    "--healthEndpoint",
                    BRIDGE_HEALTH_PATH,
                ]));
                argv
            }
        }
    }

    fn healthcheck(&self) -> HealthcheckStep {
        let check = &self.spec.healthcheck;
        let port = self.spec.port;
        let http_path = match (&check.probe, self.bridge()) {
            (Probe::Http { path }, _) => Some(path.clone()),
            (
                Probe::Auto,
                Some(Bridge::ContextforgeTranslate { .. } | Bridge::Supergateway { .. }),
            ) => Some(BRIDGE_HEALTH_PATH.to_owned()),
            _ => None,
        };
        let test = if self.is_python {
            let code = match &http_path {
                Some(path) => format!(
                    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=3).close()"
                ),
                None => format!(
                    "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3).close()"
                ),
            };
            vec![self.python(), "-c".to_owned(), code]
        } else {
            let code = match &http_path {
                Some(path) => format!(
                    "require('http').get('http://127.0.0.1:{port}{path}', (res) => process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1)).on('error', () => process.exit(1))"
                ),
                None => format!(
                    "require('net').connect({port}, '127.0.0.1', () => process.exit(0)).on('error', () => process.exit(1))"
                ),
            };
            vec!["node".to_owned(), "-e".to_owned(), code]
        };
        HealthcheckStep {
            test,
            interval: format!("{}s", check.interval_secs),
            timeout: format!("{}s", check.timeout_secs),
            start_period: format!("{}s", check.start_period_secs),
            retries: check.retries,
        }
    }

    fn runtime_env(&self) -> Vec<RuntimeEnv> {
        let mut env: Vec<RuntimeEnv> = self
            .spec
            .env
            .iter()
            .filter(|var| var.default.is_none())
            .map(|var: &EnvVar| RuntimeEnv {
                name: var.name.clone(),
                secret: var.secret,
            })
            .collect();
        if let Some(Bridge::ContextforgeTranslate { .. }) = self.bridge() {
            for name in TRANSLATE_SECRETS {
                if !env.iter().any(|var| var.name == *name) {
                    env.push(RuntimeEnv {
                        name: (*name).to_owned(),
                        secret: true,
                    });
                }
            }
        }
        env
    }
}

/// Quotes one shell word if it needs it. Validation keeps NUL out, so
/// quoting cannot fail; the fallback keeps this panic-free regardless.
pub(crate) fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| String::new(), |quoted| quoted.into_owned())
}

/// Joins argv into one command string that POSIX shell-words splitting
/// (Python's `shlex.split`, a shell) turns back into the same argv.
fn join_words(argv: &[String]) -> String {
    argv.iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
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
            bridge: Bridge::Supergateway {
                version: Some("3.4.0".into()),
            },
        });
        offline.install = InstallMode::Offline {
            vendor_dir: "npm-cache".into(),
        };
        vec![
            python(ServerTransport::Stdio {
                bridge: Bridge::contextforge_translate(),
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
            node(ServerTransport::Stdio {
                bridge: Bridge::Supergateway { version: None },
            }),
            offline,
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
                StreamableHttp
            ]
        );
    }
}
