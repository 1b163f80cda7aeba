//! Kubernetes: the fleet as typed objects (`k8s-openapi`) beside ContextForge's Helm chart `charts/mcp-stack`.
//!
//! The chart runs the gateway (Deployment, Service, Postgres, Redis, a migration Job) but has no values key to
//! declare servers to register. This module adds what the fleet needs next to it, in the release's namespace:
//!
//! - per server a **Deployment** (the compose service's image, numeric user, probes, limits, hardening), a
//!   **Service** named like the server — the name the gateway registers it by — and a **NetworkPolicy** that
//!   admits only the gateway's pods and lets the server out only when its spec says `egress`;
//! - a **PersistentVolumeClaim** per writable path (such a server runs one replica, updated by `Recreate`);
//! - optionally the **registrar**: a Job (also a Helm post-install/post-upgrade hook) that runs the registry's
//!   apply and verify with a token read from a Secret, its manifest in a ConfigMap, its own NetworkPolicy
//!   (out to the gateway and DNS only), and the bootstrap role file as a ConfigMap;
//! - a **values overlay** for the chart ([`ChartValues`]): the SSRF allowlist for the Service network, the
//!   role file loaded by the chart's migration Job, and the chart's demo server switched off.
//!
//! Servers are registered as `http://<service>:<port><path>` — the short name, as on a compose network — which
//! resolves only inside the release's namespace: the FastMCP launcher admits nothing longer in `Host`.
//! Secrets appear by Secret name and key only ([`SECRET_SUFFIX`]); no object holds a value.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource,
    Container, ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar, EnvVarSource,
    ExecAction, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Service, ServicePort,
    ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fleet::{ComposeService, FleetPlan, ServiceRole, check_replicas};
use crate::layout::TMPFS_DIR;
use crate::render::{GeneratedFiles, Renderer};
use crate::spec::{ImageRef, RunAs};

/// The servers' objects (`kubectl apply -f`).
pub const SERVERS_FILE: &str = "servers.yaml";
/// What the registrar needs before it runs: its manifest, its role file, its NetworkPolicy. The role ConfigMap
/// must exist before the chart's migration Job starts (the overlay requires it).
pub const REGISTRAR_FILE: &str = "registrar.yaml";
/// The registrar Job alone: applied after the chart is up, or placed in a chart as a hook.
pub const JOB_FILE: &str = "registrar-job.yaml";
/// The values overlay for `charts/mcp-stack` (`helm install -f`).
pub const VALUES_FILE: &str = "values-mcp-stack.yaml";

/// Secrets of a server come from the Secret `<server>-env` (one key per variable name), non-secret variables
/// without a default from the ConfigMap of the same name. Neither is generated: they hold the deployer's values.
pub const SECRET_SUFFIX: &str = "-env";
/// The ConfigMap key (and so environment variable) that carries the bootstrap role file to the chart's
/// migration Job, which writes it to [`ROLES_FILE_PATH`] before `bootstrap_db` reads it.
pub const ROLES_ENV: &str = "MCPFLEET_BOOTSTRAP_ROLES";
/// Where the migration Job writes the role file (`/tmp` is its only writable directory).
pub const ROLES_FILE_PATH: &str = "/tmp/additional_roles_in_db.json";
/// Where the registrar Job finds its manifest.
pub const MANIFEST_DIR: &str = "/etc/mcpfleet";
/// The chart's gateway container port (`mcpContextForge.containerPort`); a NetworkPolicy sees pod ports.
pub const CHART_GATEWAY_PORT: u16 = 4444;
/// The chart's gateway Service port (`mcpContextForge.service.port`).
pub const CHART_SERVICE_PORT: u16 = 80;
/// `app.kubernetes.io/managed-by` of every generated object.
const MANAGED_BY: &str = "mcpfleet";
/// The gateway's health probes here run the same exec command as the image's `HEALTHCHECK`; readiness and
/// liveness need not run every 2 s as Docker's must (it has no start interval): the startup probe does that.
const STEADY_PROBE_PERIOD_SECS: i32 = 10;

/// How the fleet runs on Kubernetes, beside an `mcp-stack` release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct KubernetesSpec {
    /// The namespace of the fleet and of the `mcp-stack` release: the gateway reaches servers by their short
    /// Service name, which resolves only in its own namespace.
    pub namespace: String,
    /// The Helm release name of `charts/mcp-stack` (its gateway pods are `app: <fullname>-mcpgateway`).
    #[serde(default = "default_release")]
    pub release: String,
    /// Replicas per server; servers not listed run one. A server with a writable volume must stay at one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replicas: BTreeMap<String, u32>,
    /// The cluster's Service CIDR: the gateway's SSRF guard blocks private addresses, and a registered
    /// `http://<service>:<port>` resolves to a ClusterIP in it. kubeadm's default is `10.96.0.0/12`.
    #[serde(default = "default_service_cidr")]
    pub service_cidr: String,
    /// Size of each writable path's PersistentVolumeClaim.
    #[serde(default = "default_volume_size")]
    pub volume_size: String,
    /// StorageClass of the claims; `None` uses the cluster's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// The registrar Job, when the registration runs in the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar: Option<RegistrarSpec>,
}

fn default_release() -> String {
    "mcp-stack".into()
}

fn default_service_cidr() -> String {
    "10.96.0.0/12".into()
}

fn default_volume_size() -> String {
    "1Gi".into()
}

impl KubernetesSpec {
    /// A spec for `namespace` with the defaults: release `mcp-stack`, one replica each, no registrar.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            release: default_release(),
            replicas: BTreeMap::new(),
            service_cidr: default_service_cidr(),
            volume_size: default_volume_size(),
            storage_class: None,
            registrar: None,
        }
    }

    /// Sets the replicas of one server.
    pub fn replicas(mut self, server: impl Into<String>, replicas: u32) -> Self {
        self.replicas.insert(server.into(), replicas);
        self
    }

    /// Adds the registrar Job.
    pub fn registrar(mut self, registrar: RegistrarSpec) -> Self {
        self.registrar = Some(registrar);
        self
    }

    /// The chart's `mcp-stack.fullname` for this release: the release name when it contains `mcp-stack`,
    /// else `<release>-mcp-stack`.
    pub fn chart_fullname(&self) -> String {
        if self.release.contains("mcp-stack") {
            self.release.clone()
        } else {
            format!("{}-mcp-stack", self.release)
        }
    }

    /// The labels of the chart's gateway pods.
    pub fn gateway_pod_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("app".to_owned(), self.gateway_service())])
    }

    /// The chart's gateway Service name.
    pub fn gateway_service(&self) -> String {
        format!("{}-mcpgateway", self.chart_fullname())
    }

    /// The gateway's URL inside the namespace: `http://<fullname>-mcpgateway:80`.
    pub fn gateway_url(&self) -> String {
        format!("http://{}:{CHART_SERVICE_PORT}", self.gateway_service())
    }
}

/// The registrar Job: the registry's apply and verify in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RegistrarSpec {
    /// The image whose entrypoint applies and verifies a manifest (exit non-zero when verify fails).
    pub image: ImageRef,
    /// The fleet manifest's text, shipped in a ConfigMap and mounted under [`MANIFEST_DIR`].
    pub manifest: String,
    /// The manifest's file name in the ConfigMap and the pod.
    #[serde(default = "default_manifest_file")]
    pub manifest_file: String,
    /// Arguments after the entrypoint; `{manifest}` stands for the manifest's path in the pod.
    pub args: Vec<String>,
    /// The Secret key holding the registrar's token.
    pub token: SecretKeyRef,
    /// The variable the manifest reads the token from (its `gateway.token_env`).
    pub token_env: String,
    /// Non-secret variables the manifest interpolates (the gateway URL, server URLs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The bootstrap role file (`MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_FILE` content) defining the registrar's role;
    /// shipped as a ConfigMap that the values overlay hands to the chart's migration Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_file: Option<String>,
    /// Annotate the Job as a Helm post-install/post-upgrade hook (re-created on each release).
    #[serde(default = "default_true")]
    pub helm_hook: bool,
    /// The numeric identity the registrar runs as.
    #[serde(default)]
    pub user: RunAs,
}

fn default_manifest_file() -> String {
    "fleet.yaml".into()
}

fn default_true() -> bool {
    true
}

impl RegistrarSpec {
    /// A registrar running `image` with `args` on `manifest`, its token from `token` in variable `token_env`.
    pub fn new(
        image: ImageRef,
        manifest: impl Into<String>,
        args: Vec<String>,
        token: SecretKeyRef,
        token_env: impl Into<String>,
    ) -> Self {
        Self {
            image,
            manifest: manifest.into(),
            manifest_file: default_manifest_file(),
            args,
            token,
            token_env: token_env.into(),
            env: BTreeMap::new(),
            roles_file: None,
            helm_hook: true,
            user: RunAs::default(),
        }
    }
}

/// A key of a Secret, by name: the only way a secret enters a generated object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SecretKeyRef {
    /// The Secret's name.
    pub secret: String,
    /// The key in it.
    pub key: String,
}

impl SecretKeyRef {
    /// `key` of Secret `secret`.
    pub fn new(secret: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            key: key.into(),
        }
    }
}

/// Every object of the fleet on Kubernetes, and the chart overlay, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KubernetesPlan {
    /// The fleet's name.
    pub fleet: String,
    /// The namespace of every object.
    pub namespace: String,
    /// One entry per server, in the fleet's order.
    pub servers: Vec<KubernetesServer>,
    /// The registrar's objects, when the spec asks for them.
    pub registrar: Option<RegistrarObjects>,
    /// The values overlay for `charts/mcp-stack`.
    pub chart_values: ChartValues,
}

/// One server's objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KubernetesServer {
    /// Server (and Service) name.
    pub name: String,
    /// The URL the gateway registers it with: `http://<service>:<port><path>`.
    pub registration_url: String,
    /// Claims for its writable paths.
    pub volume_claims: Vec<PersistentVolumeClaim>,
    /// Its pods.
    pub deployment: Deployment,
    /// Its name on the network.
    pub service: Service,
    /// Who may reach it (the gateway) and where it may go.
    pub network_policy: NetworkPolicy,
}

/// The registrar's objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RegistrarObjects {
    /// The manifest it applies.
    pub manifest: ConfigMap,
    /// The bootstrap role file, for the chart's migration Job.
    pub role: Option<ConfigMap>,
    /// Out to the gateway and DNS; nothing in.
    pub network_policy: NetworkPolicy,
    /// The Job.
    pub job: Job,
}

/// The part of `charts/mcp-stack`'s values the fleet sets (`helm install -f`); everything else keeps the chart's
/// defaults. Field names are the chart's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChartValues {
    /// `mcpContextForge`.
    pub mcp_context_forge: GatewayValues,
    /// `migration`, present when the role file must reach the migration Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<MigrationValues>,
    /// `mcpFastTimeServer`: the chart's demo server, off.
    pub mcp_fast_time_server: Enabled,
}

/// `mcpContextForge` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GatewayValues {
    /// Entries merged into the chart's gateway ConfigMap (non-secret settings).
    pub config: BTreeMap<String, String>,
    /// Extra `envFrom` sources of the gateway and its migration Job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_env_from: Vec<EnvFromSource>,
}

/// `migration` values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MigrationValues {
    /// `migration.command`.
    pub command: MigrationCommand,
}

/// `migration.command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MigrationCommand {
    /// The shell command that bootstraps the database.
    pub migrate: String,
}

/// `{enabled: bool}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Enabled {
    /// Whether the component is deployed.
    pub enabled: bool,
}

impl KubernetesPlan {
    /// Every object, in the order `kubectl apply` should create them (claims before the pods that mount them).
    pub fn objects(&self) -> Result<Vec<serde_json::Value>> {
        let mut out = Vec::new();
        for server in &self.servers {
            out.extend(server.objects()?);
        }
        if let Some(registrar) = &self.registrar {
            out.extend(registrar.objects()?);
        }
        Ok(out)
    }
}

impl KubernetesServer {
    /// The server's objects, in creation order.
    pub fn objects(&self) -> Result<Vec<serde_json::Value>> {
        let mut out: Vec<serde_json::Value> = Vec::new();
        for claim in &self.volume_claims {
            out.push(to_value(claim)?);
        }
        out.push(to_value(&self.deployment)?);
        out.push(to_value(&self.service)?);
        out.push(to_value(&self.network_policy)?);
        Ok(out)
    }
}

impl RegistrarObjects {
    /// The registrar's objects, in creation order (the Job last).
    pub fn objects(&self) -> Result<Vec<serde_json::Value>> {
        let mut out = self.prerequisites()?;
        out.push(to_value(&self.job)?);
        Ok(out)
    }

    /// What must exist before the Job (and the role file before the chart's migration Job): the manifest, the
    /// role file, the NetworkPolicy.
    pub fn prerequisites(&self) -> Result<Vec<serde_json::Value>> {
        let mut out = vec![to_value(&self.manifest)?];
        if let Some(role) = &self.role {
            out.push(to_value(role)?);
        }
        out.push(to_value(&self.network_policy)?);
        Ok(out)
    }
}

impl Renderer {
    /// Renders a Kubernetes plan: [`SERVERS_FILE`] and, with a registrar, [`REGISTRAR_FILE`] and [`JOB_FILE`]
    /// (multi-document YAML for `kubectl apply -f`), and [`VALUES_FILE`], the overlay for `helm install -f`.
    pub fn render_kubernetes(&self, plan: &KubernetesPlan) -> Result<GeneratedFiles> {
        let mut files = GeneratedFiles::default();
        let mut servers = Vec::new();
        for server in &plan.servers {
            servers.extend(server.objects()?);
        }
        files.push(
            SERVERS_FILE,
            documents(
                &format!(
                    "The MCP servers of fleet `{}` in namespace `{}`: per server a Deployment, a Service (the name \
                     the gateway registers it by) and a NetworkPolicy (only the gateway gets in).",
                    plan.fleet, plan.namespace
                ),
                &servers,
            )?,
        );
        if let Some(registrar) = &plan.registrar {
            files.push(
                REGISTRAR_FILE,
                documents(
                    "What the registrar Job needs, applied before the chart is installed: the fleet manifest it \
                     applies, the bootstrap role file the chart's migration Job loads, and its NetworkPolicy (out \
                     to DNS and the gateway only).",
                    &registrar.prerequisites()?,
                )?,
            );
            files.push(
                JOB_FILE,
                documents(
                    "The registrar: applies and verifies the fleet manifest with a token from a Secret, \
                     idempotent (a re-run changes nothing), exit non-zero when verify fails. Apply it once the \
                     gateway is up, or ship it in a chart: it is annotated as a post-install/post-upgrade hook.",
                    &[to_value(&registrar.job)?],
                )?,
            );
        }
        files.push(
            VALUES_FILE,
            format!(
                "{}{}",
                comment(
                    "Values overlay for ContextForge's charts/mcp-stack (`helm install -f`): lets the gateway reach \
                     the fleet's Services past its SSRF guard, hands the registrar's role file to the chart's \
                     migration Job, and turns the chart's demo server off."
                ),
                yaml(&plan.chart_values)?
            ),
        );
        Ok(files)
    }
}

const GENERATED: &str =
    "Generated by mcpfleet-dockerfile-gen from the fleet spec; regenerate instead of editing.";

fn comment(text: &str) -> String {
    let mut out = String::new();
    for line in [GENERATED, text] {
        let mut current = String::from("#");
        for word in line.split_whitespace() {
            if current.len() + word.len() > 110 {
                out.push_str(&current);
                out.push('\n');
                current = String::from("#");
            }
            current.push(' ');
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

fn documents(header: &str, objects: &[serde_json::Value]) -> Result<String> {
    let mut out = comment(header);
    for object in objects {
        out.push_str("---\n");
        out.push_str(&yaml(object)?);
    }
    Ok(out)
}

fn yaml(value: &impl Serialize) -> Result<String> {
    yaml_serde::to_string(value).map_err(|source| Error::Serialize {
        what: "Kubernetes YAML".into(),
        source: Box::new(source),
    })
}

fn to_value(object: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(object).map_err(|source| Error::Serialize {
        what: "a Kubernetes object".into(),
        source: Box::new(source),
    })
}

impl FleetPlan {
    /// The fleet's Kubernetes objects for `spec`. The compose plan's gateway service is left out: the chart runs
    /// the gateway. Errors name the field: `kubernetes.replicas.<name>` for an unknown server or more than one
    /// replica of a server with a writable volume, `kubernetes.namespace` for a name Kubernetes refuses.
    pub fn kubernetes(&self, spec: &KubernetesSpec) -> Result<KubernetesPlan> {
        dns_label("kubernetes.namespace", &spec.namespace)?;
        dns_label("kubernetes.release", &spec.release)?;
        if let Some(backend) = self
            .compose
            .services
            .iter()
            .find(|s| s.role == ServiceRole::Backend)
        {
            return Err(Error::invalid(
                "backends",
                format!(
                    "lists `{}`: backends are not planned for Kubernetes; run them from their own charts (Chroma and Ollama publish Helm charts) and give the servers their addresses in `env`",
                    backend.name
                ),
            ));
        }
        let servers: Vec<&ComposeService> = self
            .compose
            .services
            .iter()
            .filter(|s| s.role == ServiceRole::Server)
            .collect();
        check_replicas("kubernetes.replicas", &spec.replicas, &servers)?;
        let mut out = Vec::new();
        for service in servers {
            let replicas = spec.replicas.get(&service.name).copied().unwrap_or(1);
            out.push(server_objects(&self.name, spec, service, replicas)?);
        }
        let registrar = spec
            .registrar
            .as_ref()
            .map(|registrar| registrar_objects(&self.name, spec, registrar))
            .transpose()?;
        Ok(KubernetesPlan {
            fleet: self.name.clone(),
            namespace: spec.namespace.clone(),
            servers: out,
            chart_values: chart_values(&self.name, spec),
            registrar,
        })
    }
}

/// The ConfigMap name of the registrar's role file.
fn role_config_map(fleet: &str) -> String {
    format!("{fleet}-registrar-role")
}

fn chart_values(fleet: &str, spec: &KubernetesSpec) -> ChartValues {
    let mut config = BTreeMap::from([(
        "SSRF_ALLOWED_NETWORKS".to_owned(),
        format!("[\"{}\"]", spec.service_cidr),
    )]);
    let roles = spec
        .registrar
        .as_ref()
        .is_some_and(|r| r.roles_file.is_some());
    let mut extra_env_from = Vec::new();
    let mut migration = None;
    if roles {
        config.insert(
            "MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_ENABLED".into(),
            "true".into(),
        );
        config.insert(
            "MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_FILE".into(),
            ROLES_FILE_PATH.into(),
        );
        // The chart mounts no volume of ours, but hands extraEnvFrom to the gateway and its migration Job, and
        // the Job's command is a value: it writes the file from the variable before bootstrap_db reads it.
        extra_env_from.push(EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: role_config_map(fleet),
                optional: Some(false),
            }),
            ..EnvFromSource::default()
        });
        migration = Some(MigrationValues {
            command: MigrationCommand {
                migrate: format!(
                    "printf '%s' \"${ROLES_ENV}\" > {ROLES_FILE_PATH} && python3 -m mcpgateway.bootstrap_db"
                ),
            },
        });
    }
    ChartValues {
        mcp_context_forge: GatewayValues {
            config,
            extra_env_from,
        },
        migration,
        mcp_fast_time_server: Enabled { enabled: false },
    }
}

fn meta(
    name: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels.clone()),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

/// The labels that select one component's pods.
fn selector_labels(fleet: &str, name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), name.to_owned()),
        ("app.kubernetes.io/part-of".to_owned(), fleet.to_owned()),
    ])
}

fn labels(fleet: &str, name: &str, component: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(fleet, name);
    labels.insert("app.kubernetes.io/component".into(), component.into());
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    labels
}

fn server_objects(
    fleet: &str,
    spec: &KubernetesSpec,
    service: &ComposeService,
    replicas: u32,
) -> Result<KubernetesServer> {
    let name = &service.name;
    let field = |what: &str| format!("servers.{name}.{what}");
    let labels = labels(fleet, name, "mcp-server");
    let selector = selector_labels(fleet, name);
    let port = *service
        .expose
        .first()
        .ok_or_else(|| Error::invalid(field("port"), "is missing: the server exposes no port"))?;
    let (uid, gid) = numeric_user(&field("user"), service.user.as_deref())?;
    let ns = &spec.namespace;

    let mut volumes = vec![tmp_volume()];
    let mut mounts = vec![tmp_mount()];
    let mut volume_claims = Vec::new();
    for mount in &service.volumes {
        dns_label(&field("volumes"), &mount.volume)?;
        volume_claims.push(PersistentVolumeClaim {
            metadata: meta(&mount.volume, ns, &labels, BTreeMap::new()),
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_owned(),
                        Quantity(spec.volume_size.clone()),
                    )])),
                    ..VolumeResourceRequirements::default()
                }),
                storage_class_name: spec.storage_class.clone(),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        });
        volumes.push(Volume {
            name: mount.volume.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: mount.volume.clone(),
                read_only: Some(false),
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: mount.volume.clone(),
            mount_path: mount.target.clone(),
            ..VolumeMount::default()
        });
    }

    let env = service
        .environment
        .iter()
        .map(|var| EnvVar {
            name: var.name.clone(),
            value_from: Some(if var.secret {
                EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: format!("{name}{SECRET_SUFFIX}"),
                        key: var.name.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }
            } else {
                EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: format!("{name}{SECRET_SUFFIX}"),
                        key: var.name.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }
            }),
            ..EnvVar::default()
        })
        .collect::<Vec<_>>();

    let Some(check) = &service.healthcheck else {
        return Err(Error::invalid(
            field("healthcheck"),
            "is missing: a server's pod needs a probe",
        ));
    };
    let interval = seconds(&field("healthcheck.interval"), &check.interval)?;
    let timeout = seconds(&field("healthcheck.timeout"), &check.timeout)?;
    let start = seconds(&field("healthcheck.start_period"), &check.start_period)?;
    let retries = i32::try_from(check.retries.max(1)).unwrap_or(i32::MAX);
    let exec = |period: i32, failures: i32| Probe {
        exec: Some(ExecAction {
            command: Some(check.test.clone()),
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(failures),
        ..Probe::default()
    };
    // The startup probe polls at the healthcheck's interval for its start period, then hands over.
    let startup_failures = (start / interval.max(1)).max(1) + retries;

    let container = Container {
        name: name.clone(),
        image: Some(service.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(vec![ContainerPort {
            name: Some("mcp".into()),
            container_port: i32::from(port),
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        env: (!env.is_empty()).then_some(env),
        startup_probe: Some(exec(interval, startup_failures)),
        readiness_probe: Some(exec(STEADY_PROBE_PERIOD_SECS, retries)),
        liveness_probe: Some(exec(STEADY_PROBE_PERIOD_SECS, retries)),
        resources: Some(resources(
            &field("resources"),
            &service.cpus,
            &service.memory,
        )?),
        security_context: Some(container_security(uid, gid)),
        volume_mounts: Some(mounts),
        ..Container::default()
    };
    let stateful = !service.volumes.is_empty();
    let deployment = Deployment {
        metadata: meta(name, ns, &labels, BTreeMap::new()),
        spec: Some(DeploymentSpec {
            replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                ..LabelSelector::default()
            },
            // A claim is ReadWriteOnce: the old pod must let go before the new one mounts it. Stateless servers
            // start the new pod first and never drop below the declared replicas.
            strategy: Some(if stateful {
                DeploymentStrategy {
                    type_: Some("Recreate".into()),
                    ..DeploymentStrategy::default()
                }
            } else {
                DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(IntOrString::Int(1)),
                        max_unavailable: Some(IntOrString::Int(0)),
                    }),
                }
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(uid, gid, vec![container], volumes, None)),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    };

    let k8s_service = Service {
        metadata: meta(name, ns, &labels, BTreeMap::new()),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector.clone()),
            ports: Some(vec![ServicePort {
                name: Some("mcp".into()),
                port: i32::from(port),
                target_port: Some(IntOrString::String("mcp".into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };

    let network_policy = NetworkPolicy {
        metadata: meta(name, ns, &labels, BTreeMap::new()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            }),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector {
                        match_labels: Some(spec.gateway_pod_labels()),
                        ..LabelSelector::default()
                    }),
                    ..NetworkPolicyPeer::default()
                }]),
                ports: Some(vec![tcp(port)]),
            }]),
            // A server without `egress` opens no connection (not even DNS): an empty list denies all.
            egress: Some(if service.egress {
                vec![dns_egress(), internet_egress()]
            } else {
                Vec::new()
            }),
        }),
    };

    Ok(KubernetesServer {
        name: name.clone(),
        registration_url: service.registration_url.clone().unwrap_or_default(),
        volume_claims,
        deployment,
        service: k8s_service,
        network_policy,
    })
}

fn registrar_objects(
    fleet: &str,
    spec: &KubernetesSpec,
    registrar: &RegistrarSpec,
) -> Result<RegistrarObjects> {
    let name = format!("{fleet}-registrar");
    dns_label("kubernetes.registrar", &name)?;
    if registrar.token_env.is_empty() || registrar.token_env.contains('=') {
        return Err(Error::invalid(
            "kubernetes.registrar.token_env",
            "must be a variable name",
        ));
    }
    for (field, value) in [
        ("token.secret", &registrar.token.secret),
        ("token.key", &registrar.token.key),
        ("manifest_file", &registrar.manifest_file),
    ] {
        if value.is_empty() || value.contains('/') {
            return Err(Error::invalid(
                format!("kubernetes.registrar.{field}"),
                "must be a non-empty name without `/`",
            ));
        }
    }
    if registrar.env.contains_key(&registrar.token_env) {
        return Err(Error::invalid(
            format!("kubernetes.registrar.env.{}", registrar.token_env),
            "is the token's variable: the token comes from the Secret only",
        ));
    }
    let ns = &spec.namespace;
    let labels = labels(fleet, &name, "registrar");
    let selector = selector_labels(fleet, &name);
    let manifest_map = format!("{fleet}-manifest");
    let manifest_path = format!("{MANIFEST_DIR}/{}", registrar.manifest_file);
    let uid = i64::from(registrar.user.uid);
    let gid = i64::from(registrar.user.gid);

    let mut env = vec![EnvVar {
        name: registrar.token_env.clone(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: registrar.token.secret.clone(),
                key: registrar.token.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }];
    env.extend(registrar.env.iter().map(|(name, value)| EnvVar {
        name: name.clone(),
        value: Some(value.clone()),
        ..EnvVar::default()
    }));
    let container = Container {
        name: "registrar".into(),
        image: Some(registrar.image.to_string()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(
            registrar
                .args
                .iter()
                .map(|arg| arg.replace("{manifest}", &manifest_path))
                .collect(),
        ),
        env: Some(env),
        resources: Some(resources("kubernetes.registrar.resources", "0.25", "128M")?),
        security_context: Some(container_security(uid, gid)),
        volume_mounts: Some(vec![
            tmp_mount(),
            VolumeMount {
                name: "manifest".into(),
                mount_path: MANIFEST_DIR.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    let volumes = vec![
        tmp_volume(),
        Volume {
            name: "manifest".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: manifest_map.clone(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
    ];
    let mut annotations = BTreeMap::new();
    if registrar.helm_hook {
        annotations.insert(
            "helm.sh/hook".to_owned(),
            "post-install,post-upgrade".to_owned(),
        );
        // After the chart's own hooks (the migration Job has weight 0).
        annotations.insert("helm.sh/hook-weight".to_owned(), "10".to_owned());
        // A failed run stays for `kubectl logs`; the next release replaces it.
        annotations.insert(
            "helm.sh/hook-delete-policy".to_owned(),
            "before-hook-creation".to_owned(),
        );
    }
    let job = Job {
        metadata: meta(&name, ns, &labels, annotations),
        spec: Some(JobSpec {
            // Retries with the Job controller's back-off (10 s, 20 s, 40 s …) cover a gateway still starting.
            backoff_limit: Some(5),
            active_deadline_seconds: Some(900),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(uid, gid, vec![container], volumes, Some("Never"))),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    };
    let manifest = ConfigMap {
        metadata: meta(&manifest_map, ns, &labels, BTreeMap::new()),
        data: Some(BTreeMap::from([(
            registrar.manifest_file.clone(),
            registrar.manifest.clone(),
        )])),
        ..ConfigMap::default()
    };
    let role = registrar.roles_file.as_ref().map(|roles| ConfigMap {
        metadata: meta(&role_config_map(fleet), ns, &labels, BTreeMap::new()),
        data: Some(BTreeMap::from([(ROLES_ENV.to_owned(), roles.clone())])),
        ..ConfigMap::default()
    });
    let network_policy = NetworkPolicy {
        metadata: meta(&name, ns, &labels, BTreeMap::new()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            }),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(Vec::new()),
            egress: Some(vec![
                dns_egress(),
                NetworkPolicyEgressRule {
                    to: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(LabelSelector {
                            match_labels: Some(spec.gateway_pod_labels()),
                            ..LabelSelector::default()
                        }),
                        ..NetworkPolicyPeer::default()
                    }]),
                    ports: Some(vec![tcp(CHART_GATEWAY_PORT)]),
                },
            ]),
        }),
    };
    Ok(RegistrarObjects {
        manifest,
        role,
        network_policy,
        job,
    })
}

fn pod_spec(
    uid: i64,
    gid: i64,
    containers: Vec<Container>,
    volumes: Vec<Volume>,
    restart_policy: Option<&str>,
) -> PodSpec {
    PodSpec {
        // No Kubernetes API access: nothing here talks to the API server.
        automount_service_account_token: Some(false),
        // No `<SERVICE>_PORT=tcp://…` variables for every Service in the namespace: a Service named `notes`
        // would otherwise set `NOTES_PORT` in every pod.
        enable_service_links: Some(false),
        // The pause container becomes PID 1 and reaps zombies, as compose's `init: true` does for bridges that
        // spawn the server as a child.
        share_process_namespace: Some(true),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(uid),
            run_as_group: Some(gid),
            fs_group: Some(gid),
            seccomp_profile: Some(runtime_default()),
            ..PodSecurityContext::default()
        }),
        containers,
        volumes: Some(volumes),
        restart_policy: restart_policy.map(str::to_owned),
        ..PodSpec::default()
    }
}

fn container_security(uid: i64, gid: i64) -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(gid),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(runtime_default()),
        ..SecurityContext::default()
    }
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        ..SeccompProfile::default()
    }
}

fn tmp_volume() -> Volume {
    Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("64Mi".into())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn tmp_mount() -> VolumeMount {
    VolumeMount {
        name: "tmp".into(),
        mount_path: TMPFS_DIR.into(),
        ..VolumeMount::default()
    }
}

fn tcp(port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(port))),
        protocol: Some("TCP".into()),
        ..NetworkPolicyPort::default()
    }
}

/// DNS to any namespace's resolver (kube-dns runs in `kube-system`).
fn dns_egress() -> NetworkPolicyEgressRule {
    let port = |protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(53)),
        protocol: Some(protocol.into()),
        ..NetworkPolicyPort::default()
    };
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            ..NetworkPolicyPeer::default()
        }]),
        ports: Some(vec![port("UDP"), port("TCP")]),
    }
}

/// Anywhere but the link-local range, where clouds serve instance metadata and credentials.
fn internet_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: "0.0.0.0/0".into(),
                except: Some(vec!["169.254.0.0/16".into()]),
            }),
            ..NetworkPolicyPeer::default()
        }]),
        ports: None,
    }
}

/// Requests equal to limits: the Guaranteed QoS class, so a busy node evicts these pods last.
fn resources(field: &str, cpus: &str, memory: &str) -> Result<ResourceRequirements> {
    let cores: f64 = cpus
        .parse()
        .ok()
        .filter(|c: &f64| c.is_finite() && *c > 0.0)
        .ok_or_else(|| {
            Error::invalid(
                format!("{field}.cpus"),
                format!("`{cpus}` is not a positive number"),
            )
        })?;
    let millis = format!("{}m", (cores * 1000.0).round());
    let bytes = memory_quantity(memory).ok_or_else(|| {
        Error::invalid(
            format!("{field}.memory"),
            format!("`{memory}` is not a size such as 256M or 1G"),
        )
    })?;
    let amounts = BTreeMap::from([
        ("cpu".to_owned(), Quantity(millis)),
        ("memory".to_owned(), Quantity(bytes)),
    ]);
    Ok(ResourceRequirements {
        limits: Some(amounts.clone()),
        requests: Some(amounts),
        ..ResourceRequirements::default()
    })
}

/// Compose sizes are binary (`256M` = 256 MiB); Kubernetes spells that `256Mi` (its `256M` is decimal).
fn memory_quantity(compose: &str) -> Option<String> {
    let digits = compose.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let value: u64 = digits.parse().ok()?;
    let unit = match compose[digits.len()..].to_ascii_lowercase().as_str() {
        "" | "b" => "",
        "k" | "kb" => "Ki",
        "m" | "mb" => "Mi",
        "g" | "gb" => "Gi",
        _ => return None,
    };
    Some(format!("{value}{unit}"))
}

fn seconds(field: &str, text: &str) -> Result<i32> {
    text.strip_suffix('s')
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("`{text}` is not a number of seconds such as 2s"),
            )
        })
}

fn numeric_user(field: &str, user: Option<&str>) -> Result<(i64, i64)> {
    let parsed = user.and_then(|user| {
        let (uid, gid) = user.split_once(':')?;
        Some((uid.parse::<i64>().ok()?, gid.parse::<i64>().ok()?))
    });
    match parsed {
        Some((uid, gid)) if uid > 0 && gid > 0 => Ok((uid, gid)),
        _ => Err(Error::invalid(
            field,
            "must be a numeric non-root `uid:gid`: Kubernetes checks runAsNonRoot against the number",
        )),
    }
}

/// An RFC 1123 label: what Kubernetes accepts as a namespace, Service or claim name.
fn dns_label(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "`{name}` is not a DNS label (a-z, 0-9 and `-`, at most 63, no `-` at either end)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_sizes_become_binary_quantities() {
        assert_eq!(memory_quantity("256M").as_deref(), Some("256Mi"));
        assert_eq!(memory_quantity("1g").as_deref(), Some("1Gi"));
        assert_eq!(memory_quantity("512k").as_deref(), Some("512Ki"));
        assert_eq!(memory_quantity("1048576").as_deref(), Some("1048576"));
        assert_eq!(memory_quantity("1T"), None);
        assert_eq!(memory_quantity("M"), None);
    }

    #[test]
    fn the_chart_fullname_follows_its_helper() {
        assert_eq!(KubernetesSpec::new("mcp").chart_fullname(), "mcp-stack");
        let mut spec = KubernetesSpec::new("mcp");
        spec.release = "prod".into();
        assert_eq!(spec.chart_fullname(), "prod-mcp-stack");
        assert_eq!(spec.gateway_url(), "http://prod-mcp-stack-mcpgateway:80");
    }

    #[test]
    fn users_must_be_numeric_and_not_root() {
        assert_eq!(
            numeric_user("u", Some("10001:10001")).unwrap(),
            (10001, 10001)
        );
        for bad in [None, Some("0:0"), Some("app:app"), Some("10001")] {
            assert_eq!(numeric_user("u", bad).unwrap_err().field(), Some("u"));
        }
    }
}
