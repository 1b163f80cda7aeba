//! Fleet planning: several servers (and optionally the gateway) as one
//! compose project on a private network.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::layout::{GATEWAY_SECRETS, GATEWAY_SERVICE, TMPFS_DIR, gateway_volume, volume_name};
use crate::plan::{BuildPlan, HealthcheckStep, python_probe};
use crate::spec::{BackendService, FleetSpec, GatewayService, Probe, Resources};
use crate::validate;

/// `security_opt` of every service: no process may gain privileges (setuid
/// binaries, file capabilities) after start.
const NO_NEW_PRIVILEGES: &str = "no-new-privileges:true";
/// `cap_drop` of every service: the servers and the gateway are ordinary
/// network programs that need no Linux capability.
const DROP_ALL_CAPABILITIES: &str = "ALL";
/// Timeout of the gateway's health probe: its `/health` reads the database.
const GATEWAY_PROBE_TIMEOUT_SECS: u32 = 5;
/// Default limits of a server: measured below 100 MB resident for each
/// server style and for mcp-proxy with its child (BENCHMARKS.md).
const SERVER_CPUS: f64 = 0.5;
const SERVER_MEMORY: &str = "256M";
/// Default limits of a backend, whose image the generator does not know.
const BACKEND_CPUS: f64 = 1.0;
const BACKEND_MEMORY: &str = "512M";

/// Plans for every server plus the compose project that runs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ComposePlan {
    /// Services in order: servers, backends, then the gateway.
    pub services: Vec<ComposeService>,
    /// Networks; the first is the private fleet network.
    pub networks: Vec<ComposeNetwork>,
    /// Named volumes.
    pub volumes: Vec<String>,
}

/// One compose service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ComposeService {
    /// Service name = DNS name on the fleet network.
    pub name: String,
    /// What the service is to the fleet.
    pub role: ServiceRole,
    /// The container's hostname (`hostname:`), always the service name:
    /// the name the server sees as its own and the health probe resolves,
    /// the same one the gateway uses.
    pub hostname: String,
    /// The URL a gateway on the fleet network registers this server with:
    /// `http://<service name>:<port><path>`; `None` for the gateway and
    /// backends.
    ///
    /// Register exactly this URL. The service name is the only name the
    /// FastMCP launcher admits in the `Host` header (DNS-rebinding
    /// protection); other names that reach the same container, such as the
    /// compose container name `<project>_<service>_1`, get `421 Invalid
    /// Host header`.
    pub registration_url: Option<String>,
    /// Image name (tag for local builds, or the gateway image).
    pub image: String,
    /// Build context directory, relative to the compose file; `None` for
    /// prebuilt images.
    pub build_context: Option<String>,
    /// Program and arguments replacing the image's command (a backend's
    /// `command`); empty keeps the image's.
    pub command: Vec<String>,
    /// `uid:gid`, or `None` for the image's own user.
    pub user: Option<String>,
    /// Whether an init process runs as PID 1 (`init: true`), reaping
    /// zombies and forwarding signals: bridges spawn the server as a child.
    pub init: bool,
    /// Whether the root filesystem is mounted read-only.
    pub read_only: bool,
    /// `security_opt` entries, e.g. `no-new-privileges:true`.
    pub security_opt: Vec<String>,
    /// Linux capabilities dropped (`cap_drop`), e.g. `ALL`.
    pub cap_drop: Vec<String>,
    /// tmpfs mounts.
    pub tmpfs: Vec<String>,
    /// Environment variables compose sets (values are interpolations or
    /// fixed non-secret settings; never a secret value).
    pub environment: Vec<ComposeEnv>,
    /// Named volume mounts.
    pub volumes: Vec<VolumeMount>,
    /// Networks joined.
    pub networks: Vec<String>,
    /// Whether the service may open connections outside the fleet (the
    /// server's `egress`, or the gateway): it then also joins the egress
    /// network, and a Kubernetes NetworkPolicy lets it out.
    pub egress: bool,
    /// Container ports reachable on the fleet network.
    pub expose: Vec<u16>,
    /// Published `address:host_port:container_port` bindings.
    pub ports: Vec<String>,
    /// Services that must be up first, and how far.
    pub depends_on: Vec<DependsOn>,
    /// Health probe; `None` for a backend without one (the image's own
    /// `HEALTHCHECK`, if any, then applies).
    pub healthcheck: Option<HealthcheckStep>,
    /// CPU limit, compose syntax.
    pub cpus: String,
    /// Memory limit, compose syntax.
    pub memory: String,
    /// Restart policy.
    pub restart: String,
}

/// What a compose service is to the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServiceRole {
    /// An MCP server built by the generator and registered with a gateway.
    Server,
    /// A [`BackendService`]: reached by servers, never registered.
    Backend,
    /// The ContextForge gateway.
    Gateway,
}

/// One entry of a service's `depends_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DependsOn {
    /// The service waited for.
    pub service: String,
    /// How far it must be.
    pub condition: StartCondition,
}

/// How far a dependency must be before a service starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StartCondition {
    /// Its healthcheck passed (`service_healthy`).
    #[serde(rename = "service_healthy")]
    Healthy,
    /// Its container started (`service_started`): for a service without a
    /// healthcheck.
    #[serde(rename = "service_started")]
    Started,
}

/// A compose environment entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VolumeMount {
    /// Volume name (declared at the top level).
    pub volume: String,
    /// Mount point in the container.
    pub target: String,
}

/// A compose network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    ///
    /// Each server is validated exactly once, as part of the fleet, and then
    /// planned without a second check.
    pub fn from_spec(spec: &FleetSpec) -> Result<Self> {
        let valid = validate::fleet(spec)?;
        let servers: Vec<BuildPlan> = valid.servers().map(BuildPlan::from_validated).collect();
        let private = format!("{}-private", spec.name);
        let egress = format!("{}-egress", spec.name);
        let mut networks = vec![ComposeNetwork {
            name: private.clone(),
            internal: true,
        }];
        let needs_egress = spec.servers.iter().any(|s| s.egress)
            || spec.backends.iter().any(|b| b.egress)
            || spec.gateway.is_some();
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
                role: ServiceRole::Server,
                hostname: server.name.clone(),
                registration_url: Some(plan.endpoint.url(&server.name)),
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
                command: Vec::new(),
                user: Some(plan.user.clone()),
                init: true,
                read_only: true,
                security_opt: hardening_security_opt(),
                cap_drop: hardening_cap_drop(),
                tmpfs: vec![TMPFS_DIR.to_owned()],
                environment: plan
                    .runtime_env
                    .iter()
                    .map(|var| required_env(&var.name, var.secret))
                    .collect(),
                volumes: mounts,
                networks: service_networks,
                egress: server.egress,
                expose: vec![plan.endpoint.port],
                ports: Vec::new(),
                depends_on: server
                    .depends_on
                    .iter()
                    .map(|name| DependsOn {
                        service: name.clone(),
                        condition: start_condition(spec, name),
                    })
                    .collect(),
                healthcheck: Some(plan.healthcheck.clone()),
                cpus: cpus(&server.resources, SERVER_CPUS),
                memory: memory(&server.resources, SERVER_MEMORY),
                restart: spec.restart.as_str().to_owned(),
            });
        }
        for backend in &spec.backends {
            let service = backend_service(spec, backend, &private, &egress);
            volumes.extend(service.volumes.iter().map(|mount| mount.volume.clone()));
            services.push(service);
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

/// Checks replica counts by service name against `services`: each must name one of them (else an error naming
/// `<field>.<name>` and the choices), and a service with a writable volume may not run more than one (replicas
/// would share or split its state). Swarm and Kubernetes plans share this rule.
pub(crate) fn check_replicas(
    field: &str,
    replicas: &std::collections::BTreeMap<String, u32>,
    services: &[&ComposeService],
) -> Result<()> {
    for (name, count) in replicas {
        let Some(service) = services.iter().find(|s| &s.name == name) else {
            return Err(crate::error::Error::invalid(
                format!("{field}.{name}"),
                format!(
                    "names no service of the fleet ({})",
                    services
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if *count > 1 && !service.volumes.is_empty() {
            return Err(crate::error::Error::invalid(
                format!("{field}.{name}"),
                "is more than 1 for a service with a writable volume: replicas would share or split its state",
            ));
        }
    }
    Ok(())
}

/// How far `name` must be before a server that depends on it starts: healthy
/// when it has a healthcheck (every server does), started otherwise.
fn start_condition(spec: &FleetSpec, name: &str) -> StartCondition {
    match spec.backends.iter().find(|b| b.name == name) {
        Some(backend) if backend.healthcheck.is_none() => StartCondition::Started,
        _ => StartCondition::Healthy,
    }
}

/// A backend: an existing image on the private network, hardened like the
/// servers, never registered.
fn backend_service(
    spec: &FleetSpec,
    backend: &BackendService,
    private: &str,
    egress: &str,
) -> ComposeService {
    let mut networks = vec![private.to_owned()];
    if backend.egress {
        networks.push(egress.to_owned());
    }
    ComposeService {
        name: backend.name.clone(),
        role: ServiceRole::Backend,
        hostname: backend.name.clone(),
        registration_url: None,
        image: backend.image.to_string(),
        build_context: None,
        command: backend.command.clone(),
        user: backend
            .user
            .as_ref()
            .map(|user| format!("{}:{}", user.uid, user.gid)),
        init: true,
        read_only: backend.read_only,
        security_opt: hardening_security_opt(),
        cap_drop: hardening_cap_drop(),
        tmpfs: vec![TMPFS_DIR.to_owned()],
        environment: backend
            .env
            .iter()
            .map(|var| match &var.default {
                Some(value) if !var.secret => ComposeEnv {
                    name: var.name.clone(),
                    value: value.clone(),
                    secret: false,
                },
                _ => required_env(&var.name, var.secret),
            })
            .collect(),
        volumes: volume_mounts(&backend.name, &backend.writable_paths),
        networks,
        egress: backend.egress,
        expose: vec![backend.port],
        ports: Vec::new(),
        depends_on: Vec::new(),
        healthcheck: backend.healthcheck.as_ref().map(|check| HealthcheckStep {
            test: match &check.probe {
                Probe::Command { argv } => argv.clone(),
                // Refused by validation.
                _ => Vec::new(),
            },
            interval: format!("{}s", check.interval_secs),
            timeout: format!("{}s", check.timeout_secs),
            start_period: format!("{}s", check.start_period_secs),
            retries: check.retries,
        }),
        cpus: cpus(&backend.resources, BACKEND_CPUS),
        memory: memory(&backend.resources, BACKEND_MEMORY),
        restart: spec.restart.as_str().to_owned(),
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

fn hardening_security_opt() -> Vec<String> {
    vec![NO_NEW_PRIVILEGES.to_owned()]
}

fn hardening_cap_drop() -> Vec<String> {
    vec![DROP_ALL_CAPABILITIES.to_owned()]
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
    ComposeService {
        name: GATEWAY_SERVICE.to_owned(),
        role: ServiceRole::Gateway,
        hostname: GATEWAY_SERVICE.to_owned(),
        registration_url: None,
        image: gateway.image.to_string(),
        build_context: None,
        command: Vec::new(),
        user: gateway
            .user
            .as_ref()
            .map(|user| format!("{}:{}", user.uid, user.gid)),
        init: true,
        // The gateway writes its database and caches; only /data is a volume.
        read_only: false,
        security_opt: hardening_security_opt(),
        cap_drop: hardening_cap_drop(),
        tmpfs: vec![TMPFS_DIR.to_owned()],
        environment,
        volumes: vec![VolumeMount {
            volume: gateway_volume(),
            target: "/data".to_owned(),
        }],
        networks: vec![private.to_owned(), egress.to_owned()],
        egress: true,
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
        depends_on: spec
            .servers
            .iter()
            .map(|s| DependsOn {
                service: s.name.clone(),
                condition: StartCondition::Healthy,
            })
            .collect(),
        // The same probe as the servers': the container's own address, so a
        // gateway bound to loopback only (the `mcpgateway` default without
        // MCG_HOST) is unhealthy.
        healthcheck: Some(HealthcheckStep {
            test: python_probe(
                "python3".to_owned(),
                gateway.port,
                Some("/health"),
                GATEWAY_PROBE_TIMEOUT_SECS,
            ),
            interval: "2s".to_owned(),
            timeout: format!("{GATEWAY_PROBE_TIMEOUT_SECS}s"),
            start_period: "60s".to_owned(),
            retries: 5,
        }),
        cpus: cpus(&gateway.resources, 1.0),
        memory: memory(&gateway.resources, "1G"),
        restart: spec.restart.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{GATEWAY_SETTINGS, is_gateway_owned_env};
    use crate::spec::{Bridge, Entrypoint, EnvVar, ImageRef, Runtime, ServerSpec, ServerTransport};
    use crate::validate::SERVER_PASSES;

    fn fleet(servers: usize) -> FleetSpec {
        let servers = (0..servers)
            .map(|i| {
                ServerSpec::new(
                    format!("s{i}"),
                    Runtime::python("3.12"),
                    Entrypoint::script("server.py"),
                    ServerTransport::StreamableHttp {
                        path: "/mcp".into(),
                    },
                )
            })
            .collect();
        let mut spec = FleetSpec::new("demo", servers);
        let mut gateway = GatewayService::new(ImageRef::new("mcpfleet/contextforge", "1.1.0"));
        gateway.env.push(EnvVar::with_default("LOG_LEVEL", "INFO"));
        spec.gateway = Some(gateway);
        spec
    }

    #[test]
    fn each_server_is_validated_exactly_once() {
        for count in [1, 3] {
            SERVER_PASSES.with(|passes| passes.set(0));
            let plan = FleetPlan::from_spec(&fleet(count)).unwrap();
            assert_eq!(plan.servers.len(), count);
            assert_eq!(SERVER_PASSES.with(std::cell::Cell::get), count);
        }
    }

    #[test]
    fn the_gateway_sets_exactly_the_names_it_owns() {
        let plan = FleetPlan::from_spec(&fleet(1)).unwrap();
        let gateway = plan.compose.services.last().unwrap();
        assert_eq!(gateway.name, GATEWAY_SERVICE);
        let generated: Vec<&str> = gateway
            .environment
            .iter()
            .map(|var| var.name.as_str())
            .filter(|name| *name != "LOG_LEVEL")
            .collect();
        let owned: Vec<&str> = GATEWAY_SETTINGS
            .iter()
            .chain(GATEWAY_SECRETS)
            .copied()
            .collect();
        assert_eq!(generated, owned);
        assert!(generated.iter().all(|name| is_gateway_owned_env(name)));
    }

    /// The fleet of the integration tests, with an mcp-proxy-bridged server
    /// whose hashed requirements need a lock, and the gateway.
    fn bridged_fleet() -> FleetSpec {
        let mut spec = fleet(1);
        let bridged = |name: &str, bridge: Bridge| {
            let mut server = ServerSpec::new(
                name,
                Runtime::python("3.12"),
                Entrypoint::script("server.py"),
                ServerTransport::Stdio { bridge },
            );
            server.dependencies = crate::spec::Dependencies::Requirements {
                path: "requirements.txt".into(),
                require_hashes: true,
            };
            server.env.push(EnvVar::secret("UPSTREAM_TOKEN"));
            server
        };
        spec.servers
            .push(bridged("shout", Bridge::mcp_proxy_locked("bridge.lock")));
        spec.servers
            .push(bridged("utils", Bridge::fastmcp_launcher()));
        spec
    }

    #[test]
    fn the_rendered_compose_file_gives_no_bridged_service_a_gateway_secret() {
        let spec = bridged_fleet();
        let plan = FleetPlan::from_spec(&spec).unwrap();
        let text = crate::Renderer::new()
            .unwrap()
            .render_compose(&plan)
            .unwrap();
        let compose: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
        let mut bridged = 0;
        for server in &spec.servers {
            if !matches!(server.transport, ServerTransport::Stdio { .. }) {
                continue;
            }
            bridged += 1;
            let service = &compose["services"][server.name.as_str()];
            let names: Vec<&str> = service["environment"]
                .as_mapping()
                .map(|env| env.keys().filter_map(|key| key.as_str()).collect())
                .unwrap_or_default();
            assert_eq!(names, ["UPSTREAM_TOKEN"], "{}", server.name);
            for secret in GATEWAY_SECRETS {
                assert!(!names.contains(secret), "{} gets {secret}", server.name);
            }
        }
        assert_eq!(bridged, 2);
        // The gateway itself still gets all of them.
        let gateway = compose["services"][GATEWAY_SERVICE]["environment"]
            .as_mapping()
            .unwrap();
        for secret in GATEWAY_SECRETS {
            assert!(gateway.contains_key(*secret), "{secret}");
        }
    }

    #[test]
    fn servers_say_the_url_to_register_and_are_named_so() {
        let plan = FleetPlan::from_spec(&bridged_fleet()).unwrap();
        for service in &plan.compose.services {
            assert_eq!(service.hostname, service.name);
            match service.name.as_str() {
                GATEWAY_SERVICE => assert_eq!(service.registration_url, None),
                name => assert_eq!(
                    service.registration_url.as_deref(),
                    Some(format!("http://{name}:8000/mcp").as_str())
                ),
            }
        }
        let text = crate::Renderer::new()
            .unwrap()
            .render_compose(&plan)
            .unwrap();
        assert!(text.contains("    hostname: \"utils\"\n"));
        assert!(text.contains("registers this server as http://utils:8000/mcp\n"));
    }

    #[test]
    fn every_service_is_hardened_in_the_plan() {
        let plan = FleetPlan::from_spec(&fleet(2)).unwrap();
        assert_eq!(plan.compose.services.len(), 3);
        for service in &plan.compose.services {
            assert!(service.init, "{}", service.name);
            assert_eq!(service.security_opt, ["no-new-privileges:true"]);
            assert_eq!(service.cap_drop, ["ALL"]);
        }
    }
}
