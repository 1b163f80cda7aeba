//! Fleet planning: several servers (and optionally the gateway) as one
//! compose project on a private network.

use serde::Serialize;

use crate::error::Result;
use crate::plan::{BuildPlan, HealthcheckStep};
use crate::spec::{Bridge, FleetSpec, GatewayService, Resources, ServerSpec, Transport};
use crate::validate;

/// Compose service name of the gateway.
pub const GATEWAY_SERVICE: &str = "gateway";

/// Gateway variables the generator sets; the spec may not override them.
pub(crate) const GATEWAY_OWNED_ENV: &[&str] = &[
    "HOST",
    "PORT",
    "MCG_HOST",
    "MCG_PORT",
    "DATABASE_URL",
    "JWT_SECRET_KEY",
    "AUTH_ENCRYPTION_SECRET",
    "PLATFORM_ADMIN_EMAIL",
    "PLATFORM_ADMIN_PASSWORD",
    "DEFAULT_USER_PASSWORD",
    "SSRF_ALLOW_PRIVATE_NETWORKS",
];

/// Secrets the gateway refuses to start without.
const GATEWAY_SECRETS: &[&str] = &[
    "JWT_SECRET_KEY",
    "AUTH_ENCRYPTION_SECRET",
    "PLATFORM_ADMIN_EMAIL",
    "PLATFORM_ADMIN_PASSWORD",
    "DEFAULT_USER_PASSWORD",
];

/// Plans for every server plus the compose project that runs them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FleetPlan {
    /// Fleet name.
    pub name: String,
    /// One build plan per server, in spec order.
    pub servers: Vec<BuildPlan>,
    /// The compose file's content.
    pub compose: ComposePlan,
}

/// Plain-data model of the compose file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ComposePlan {
    /// Services in order (servers first, then the gateway).
    pub services: Vec<ComposeService>,
    /// Networks; the first is the private fleet network.
    pub networks: Vec<ComposeNetwork>,
    /// Named volumes.
    pub volumes: Vec<String>,
}

/// One compose service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ComposeService {
    /// Service name = DNS name on the fleet network.
    pub name: String,
    /// Image name (tag for local builds, or the gateway image).
    pub image: String,
    /// Build context directory, relative to the compose file; `None` for
    /// prebuilt images.
    pub build_context: Option<String>,
    /// `uid:gid`, or `None` for the image's own user.
    pub user: Option<String>,
    /// Whether the root filesystem is mounted read-only.
    pub read_only: bool,
    /// tmpfs mounts.
    pub tmpfs: Vec<String>,
    /// Environment variables compose sets (values are interpolations or
    /// fixed non-secret settings; never a secret value).
    pub environment: Vec<ComposeEnv>,
    /// Named volume mounts.
    pub volumes: Vec<VolumeMount>,
    /// Networks joined.
    pub networks: Vec<String>,
    /// Container ports reachable on the fleet network.
    pub expose: Vec<u16>,
    /// Published `address:host_port:container_port` bindings.
    pub ports: Vec<String>,
    /// Services that must be healthy first.
    pub depends_on: Vec<String>,
    /// Health probe.
    pub healthcheck: HealthcheckStep,
    /// CPU limit, compose syntax.
    pub cpus: String,
    /// Memory limit, compose syntax.
    pub memory: String,
    /// Restart policy.
    pub restart: String,
}

/// A compose environment entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ComposeEnv {
    /// Variable name.
    pub name: String,
    /// Value as written in the compose file.
    pub value: String,
    /// Whether the variable is a secret (value is then an interpolation).
    pub secret: bool,
}

/// A named volume mounted into a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VolumeMount {
    /// Volume name (declared at the top level).
    pub volume: String,
    /// Mount point in the container.
    pub target: String,
}

/// A compose network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ComposeNetwork {
    /// Network name.
    pub name: String,
    /// `internal: true` — no route outside the host.
    pub internal: bool,
}

impl FleetPlan {
    /// Validates the fleet and plans every server and the compose file.
    /// Errors name the field, e.g. `servers[2].env[0].name`.
    pub fn from_spec(spec: &FleetSpec) -> Result<Self> {
        validate::fleet(spec)?;
        let servers: Vec<BuildPlan> = spec
            .servers
            .iter()
            .map(BuildPlan::from_spec)
            .collect::<Result<_>>()?;
        let private = format!("{}-private", spec.name);
        let egress = format!("{}-egress", spec.name);
        let mut networks = vec![ComposeNetwork {
            name: private.clone(),
            internal: true,
        }];
        let needs_egress = spec.servers.iter().any(|s| s.egress) || spec.gateway.is_some();
        if needs_egress {
            networks.push(ComposeNetwork {
                name: egress.clone(),
                internal: false,
            });
        }
        let mut services = Vec::new();
        let mut volumes = Vec::new();
        for (server, plan) in spec.servers.iter().zip(&servers) {
            let mut service_networks = vec![private.clone()];
            if server.egress {
                service_networks.push(egress.clone());
            }
            let mounts = volume_mounts(&server.name, &plan.writable_paths);
            volumes.extend(mounts.iter().map(|mount| mount.volume.clone()));
            services.push(ComposeService {
                name: server.name.clone(),
                image: format!(
                    "{}/{}:{}",
                    spec.image_prefix,
                    server.name,
                    server.labels.version.as_deref().unwrap_or("local")
                ),
                build_context: Some(if spec.context_root == "." {
                    format!("./{}", server.name)
                } else {
                    format!("./{}/{}", spec.context_root, server.name)
                }),
                user: Some(plan.user.clone()),
                read_only: true,
                tmpfs: vec!["/tmp".to_owned()],
                environment: plan
                    .runtime_env
                    .iter()
                    .map(|var| required_env(&var.name, var.secret))
                    .collect(),
                volumes: mounts,
                networks: service_networks,
                expose: vec![plan.endpoint.port],
                ports: Vec::new(),
                depends_on: Vec::new(),
                healthcheck: plan.healthcheck.clone(),
                cpus: cpus(&server.resources, 0.5),
                memory: memory(&server.resources, default_memory(server)),
                restart: spec.restart.as_str().to_owned(),
            });
        }
        if let Some(gateway) = &spec.gateway {
            let service = gateway_service(spec, gateway, &private, &egress);
            volumes.extend(service.volumes.iter().map(|mount| mount.volume.clone()));
            services.push(service);
        }
        Ok(Self {
            name: spec.name.clone(),
            servers,
            compose: ComposePlan {
                services,
                networks,
                volumes,
            },
        })
    }
}

fn default_memory(server: &ServerSpec) -> &'static str {
    match &server.transport {
        // Measured: bridge 169 MB RSS plus its stdio child.
        Transport::Stdio {
            bridge: Bridge::ContextforgeTranslate { .. },
        } => "512M",
        _ => "256M",
    }
}

fn cpus(resources: &Resources, default: f64) -> String {
    format!("{}", resources.cpus.unwrap_or(default))
}

fn memory(resources: &Resources, default: &str) -> String {
    resources
        .memory
        .clone()
        .unwrap_or_else(|| default.to_owned())
}

/// The named volume for `path` of `service`: readable, but not one-to-one
/// (`/data/x` and `/data-x` give the same name), so validation rejects specs
/// where two mounts would share one.
pub(crate) fn volume_name(service: &str, path: &str) -> String {
    format!("{service}{}", path.replace(['/', '.', '_', '@', '+'], "-"))
}

/// The gateway's own data volume.
pub(crate) fn gateway_volume() -> String {
    format!("{GATEWAY_SERVICE}-data")
}

fn volume_mounts(service: &str, paths: &[String]) -> Vec<VolumeMount> {
    paths
        .iter()
        .map(|path| VolumeMount {
            volume: volume_name(service, path),
            target: path.clone(),
        })
        .collect()
}

/// `${NAME:?…}`: compose refuses to start when the variable is unset, and
/// the file holds only the name.
fn required_env(name: &str, secret: bool) -> ComposeEnv {
    ComposeEnv {
        name: name.to_owned(),
        value: format!("${{{name}:?{name} must be set in the environment}}"),
        secret,
    }
}

fn gateway_service(
    spec: &FleetSpec,
    gateway: &GatewayService,
    private: &str,
    egress: &str,
) -> ComposeService {
    let port = gateway.port.to_string();
    let fixed = |name: &str, value: &str| ComposeEnv {
        name: name.to_owned(),
        value: value.to_owned(),
        secret: false,
    };
    let mut environment = vec![
        fixed("HOST", "0.0.0.0"),
        fixed("PORT", &port),
        fixed("MCG_HOST", "0.0.0.0"),
        fixed("MCG_PORT", &port),
        fixed("DATABASE_URL", "sqlite:////data/mcp.db"),
        // Fleet members sit on a private Docker network, which the gateway's
        // SSRF guard blocks by default.
        fixed("SSRF_ALLOW_PRIVATE_NETWORKS", "true"),
    ];
    environment.extend(GATEWAY_SECRETS.iter().map(|name| required_env(name, true)));
    for var in &gateway.env {
        environment.push(match &var.default {
            Some(value) if !var.secret => fixed(&var.name, value),
            _ => required_env(&var.name, var.secret),
        });
    }
    let probe = format!(
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=3).close()"
    );
    ComposeService {
        name: GATEWAY_SERVICE.to_owned(),
        image: gateway.image.to_string(),
        build_context: None,
        user: gateway
            .user
            .as_ref()
            .map(|user| format!("{}:{}", user.uid, user.gid)),
        // The gateway writes its database and caches; only /data is a volume.
        read_only: false,
        tmpfs: vec!["/tmp".to_owned()],
        environment,
        volumes: vec![VolumeMount {
            volume: gateway_volume(),
            target: "/data".to_owned(),
        }],
        networks: vec![private.to_owned(), egress.to_owned()],
        expose: vec![gateway.port],
        ports: gateway
            .publish_address
            .iter()
            .map(|address| {
                let address = if address.contains(':') {
                    format!("[{address}]")
                } else {
                    address.clone()
                };
                format!("{address}:{port}:{port}")
            })
            .collect(),
        depends_on: spec.servers.iter().map(|s| s.name.clone()).collect(),
        healthcheck: HealthcheckStep {
            test: vec!["python3".to_owned(), "-c".to_owned(), probe],
            interval: "15s".to_owned(),
            timeout: "5s".to_owned(),
            start_period: "60s".to_owned(),
            retries: 5,
        },
        cpus: cpus(&gateway.resources, 1.0),
        memory: memory(&gateway.resources, "1G"),
        restart: spec.restart.as_str().to_owned(),
    }
}
