//! The containerization decision record (the seed's deliverable 2): which servers to containerize, how they are
//! grouped and why, the alternatives rejected, and measured figures where the caller has them.
//!
//! The rules read each server's [`RiskProfile`], `needs` and `imports`:
//! - a server that imports others in-process stays a process beside them (containerizing it would copy their
//!   code, dependencies and state into a second image);
//! - a server with both filesystem access and internet access (and usually a secret) gets a container of its
//!   own: nothing else shares its blast radius;
//! - the others are grouped by risk class — GPU, internet, fleet backends, filesystem, pure compute — and, within
//!   a class, by the system tools they need (dependency similarity), one container image per group.
//!
//! [`Adr`] is plain data; [`Adr::to_markdown`] renders it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::manifest::{
    ComputeProfile, FilesystemAccess, Manifest, NetworkAccess, RiskProfile, ServerDecl,
};

/// How risky a server is, from its profile: the first rule that matches wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RiskClass {
    /// Filesystem and internet access: isolated, one container each.
    Isolated,
    /// Needs a GPU.
    Gpu,
    /// Reaches the internet (no filesystem).
    Internet,
    /// Reaches other services of the fleet.
    FleetBackend,
    /// Reads or writes files, no network.
    Filesystem,
    /// Pure computation.
    Compute,
}

impl RiskClass {
    /// The class of a profile.
    pub fn of(risk: &RiskProfile) -> Self {
        let files = risk.filesystem != FilesystemAccess::None;
        match (files, risk.network, risk.compute) {
            (true, NetworkAccess::Internet, _) => Self::Isolated,
            (_, _, ComputeProfile::Gpu) => Self::Gpu,
            (_, NetworkAccess::Internet, _) => Self::Internet,
            (_, NetworkAccess::Fleet, _) => Self::FleetBackend,
            (true, _, _) => Self::Filesystem,
            _ => Self::Compute,
        }
    }

    /// The group name stem.
    pub fn label(self) -> &'static str {
        match self {
            Self::Isolated => "isolated",
            Self::Gpu => "gpu",
            Self::Internet => "internet",
            Self::FleetBackend => "fleet-backend",
            Self::Filesystem => "filesystem",
            Self::Compute => "compute",
        }
    }

    fn why(self) -> &'static str {
        match self {
            Self::Isolated => {
                "it can both change files and reach the internet, so it shares its container with nothing: a \
                 compromise cannot reach another server's files or secrets"
            }
            Self::Gpu => {
                "it needs a GPU runtime and device reservation that no other server should hold"
            }
            Self::Internet => {
                "it reaches the internet with its own secrets and touches no files: no volume, egress allowed"
            }
            Self::FleetBackend => {
                "it talks to fleet backends (vector DB, model server) on the private network, not to the internet"
            }
            Self::Filesystem => {
                "it reads or writes files and needs no network beyond the gateway: a named volume, no egress"
            }
            Self::Compute => {
                "pure computation: read-only root, no volume, no egress, the smallest limits"
            }
        }
    }

    fn limits(self, heavy: bool) -> &'static str {
        match (self, heavy) {
            (Self::Gpu, _) => "2 CPU, 4 GiB, 1 GPU",
            (_, true) => "2 CPU, 2 GiB",
            (Self::Compute, false) => "0.5 CPU, 256 MiB",
            _ => "1 CPU, 512 MiB",
        }
    }
}

/// What happens to one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerDecision {
    /// The server.
    pub server: String,
    /// Its risk class.
    pub class: RiskClass,
    /// The container group it joins, or `None` when it stays a process.
    pub group: Option<String>,
    /// Why, in one sentence.
    pub reason: String,
}

/// One container image and the servers in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContainerGroup {
    /// Group (and image) name.
    pub name: String,
    /// Risk class.
    pub class: RiskClass,
    /// Servers, in manifest order.
    pub servers: Vec<String>,
    /// System tools the image carries.
    pub needs: Vec<String>,
    /// Secrets (environment variable names) it receives.
    pub secrets: Vec<String>,
    /// Suggested limits.
    pub limits: String,
}

/// Figures measured elsewhere (image builds, container starts), keyed by group or server name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Measurements {
    /// Image size in MB.
    pub image_size_mb: BTreeMap<String, f64>,
    /// Time from `docker run` to the first successful MCP call, in ms.
    pub start_ms: BTreeMap<String, u64>,
    /// Where the figures come from (a command, a test).
    pub source: Option<String>,
}

/// The decision record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Adr {
    /// The fleet.
    pub fleet: String,
    /// Per server.
    pub decisions: Vec<ServerDecision>,
    /// The container groups.
    pub groups: Vec<ContainerGroup>,
    /// Measured figures, if any.
    pub measurements: Measurements,
}

/// Decides, for every server of `manifest`, whether and with which others it is containerized.
///
/// ```
/// use mcpfleet_registry::{Format, Manifest, adr::{Measurements, containerization}};
/// let manifest = Manifest::from_str_as(
///     "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n  - {name: calc, url: \"http://calc:8000/mcp\", transport: streamable-http}\n",
///     Format::Yaml, "demo.yaml")?;
/// let adr = containerization(&manifest, Measurements::default());
/// assert_eq!(adr.groups[0].name, "compute");
/// assert!(adr.to_markdown().starts_with("# ADR: containerization of the `demo` fleet"));
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn containerization(manifest: &Manifest, measurements: Measurements) -> Adr {
    let mut decisions = Vec::new();
    let mut groups: Vec<ContainerGroup> = Vec::new();
    for server in &manifest.servers {
        let class = RiskClass::of(&server.risk);
        if !server.imports.is_empty() {
            decisions.push(ServerDecision {
                server: server.name.clone(),
                class,
                group: None,
                reason: format!(
                    "stays a process: it imports {} in-process, so an image of its own would copy their code, \
                     dependencies and state; it becomes a container once those calls go through the gateway",
                    list(&server.imports)
                ),
            });
            continue;
        }
        let name = group_name(server, class);
        match groups.iter_mut().find(|g| g.name == name) {
            Some(group) => {
                group.servers.push(server.name.clone());
                group.secrets.extend(server.risk.secrets.iter().cloned());
            }
            None => groups.push(ContainerGroup {
                name: name.clone(),
                class,
                servers: vec![server.name.clone()],
                needs: sorted(&server.needs),
                secrets: server.risk.secrets.clone(),
                limits: class
                    .limits(server.risk.compute == ComputeProfile::Heavy)
                    .to_owned(),
            }),
        }
        decisions.push(ServerDecision {
            server: server.name.clone(),
            class,
            group: Some(name),
            reason: class.why().to_owned(),
        });
    }
    for group in &mut groups {
        group.secrets = sorted(&group.secrets);
    }
    Adr {
        fleet: manifest.fleet.clone(),
        decisions,
        groups,
        measurements,
    }
}

fn group_name(server: &ServerDecl, class: RiskClass) -> String {
    if class == RiskClass::Isolated {
        return format!("isolated-{}", crate::slug::slug(&server.name));
    }
    let needs = sorted(&server.needs);
    if needs.is_empty() {
        class.label().to_owned()
    } else {
        format!("{}-{}", class.label(), crate::slug::slug(&needs.join("-")))
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    items
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Adr {
    /// The record in the usual ADR shape: context, decision, per-server table, alternatives, consequences.
    pub fn to_markdown(&self) -> String {
        let servers = self.decisions.len();
        let containerized = self.decisions.iter().filter(|d| d.group.is_some()).count();
        let mut out = format!("# ADR: containerization of the `{}` fleet\n\n", self.fleet);
        out.push_str(
            "Status: proposed (generated by `mcpfleet-registry` from the fleet manifest)\n\n",
        );
        out.push_str("## Context\n\n");
        let _ = writeln!(
            out,
            "The fleet has {servers} script-based MCP servers. Each needs an HTTP endpoint the gateway reaches by \
             name on the fleet network, a non-root user, resource limits, and secrets from the environment only. \
             The question is whether to containerize all {servers}, and how to group them."
        );
        out.push_str("\n## Decision\n\n");
        let _ = writeln!(
            out,
            "Containerize {containerized} of {servers} servers in {} image(s), grouped by risk class and, within a \
             class, by the system tools they need. {} stay processes for now.\n",
            self.groups.len(),
            servers - containerized
        );
        out.push_str(
            "| group | servers | risk class | needs | secrets | limits | image size | start |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for group in &self.groups {
            let size = self
                .measurements
                .image_size_mb
                .get(&group.name)
                .map_or_else(|| "not measured".to_owned(), |mb| format!("{mb:.0} MB"));
            let start = self
                .measurements
                .start_ms
                .get(&group.name)
                .map_or_else(|| "not measured".to_owned(), |ms| format!("{ms} ms"));
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {size} | {start} |",
                group.name,
                list(&group.servers),
                group.class.label(),
                or_none(&list(&group.needs)),
                or_none(&list(&group.secrets)),
                group.limits,
            );
        }
        // Figures measured on other images (a reference fleet built by the same generator) are shown as such,
        // never passed off as this fleet's.
        let references: BTreeSet<&String> = self
            .measurements
            .image_size_mb
            .keys()
            .chain(self.measurements.start_ms.keys())
            .filter(|name| !self.groups.iter().any(|g| &g.name == *name))
            .collect();
        if !references.is_empty() {
            out.push_str(
                "\nNo image of this fleet has been built yet. For scale, images of the same kinds built by the same \
                 generator on the same runtime base measured:\n\n| image | size | `docker run` to healthy |\n|---|---|---|\n",
            );
            for name in references {
                let size = self
                    .measurements
                    .image_size_mb
                    .get(name)
                    .map_or_else(|| "—".to_owned(), |mb| format!("{mb:.0} MB"));
                let start = self.measurements.start_ms.get(name).map_or_else(
                    || "—".to_owned(),
                    |ms| format!("{:.1} s", *ms as f64 / 1000.0),
                );
                let _ = writeln!(out, "| `{name}` | {size} | {start} |");
            }
        }
        out.push_str("\n| server | decision | why |\n|---|---|---|\n");
        for decision in &self.decisions {
            let what = decision
                .group
                .as_ref()
                .map_or_else(|| "process".to_owned(), |g| format!("container `{g}`"));
            let _ = writeln!(
                out,
                "| `{}` | {what} | {} |",
                decision.server, decision.reason
            );
        }
        out.push_str("\n## Alternatives rejected\n\n");
        let _ = writeln!(
            out,
            "- **One container per server ({servers} images).** Every image carries its own runtime; {servers} \
             services to build, limit and watch, where servers with equal risk and equal dependencies gain \
             nothing from separation."
        );
        out.push_str(
            "- **One container for every server.** The server with the widest access sets the blast radius for all: \
             a server that can push to the internet would share a filesystem and secrets with every other.\n",
        );
        out.push_str(
            "- **Mounting the scripts into the gateway's container.** Couples the gateway's release to the servers' \
             dependencies and gives the gateway their filesystem access.\n",
        );
        out.push_str(
            "- **stdio over `docker exec` or SSH from the gateway.** Gives the gateway a shell on the host or the \
             containers; streamable HTTP on a private network needs neither.\n",
        );
        out.push_str("\n## Consequences\n\n");
        out.push_str(
            "- Each group is one image and one compose service (or Deployment), registered with the gateway by its \
             service name, never `localhost`.\n",
        );
        out.push_str(
            "- Isolated servers get their own network policy and volume; filesystem groups get a named volume and \
             no egress; compute groups get a read-only root and nothing else.\n",
        );
        out.push_str(
            "- Servers kept as processes are revisited when their in-process imports become MCP calls through the \
             gateway.\n",
        );
        if let Some(source) = &self.measurements.source {
            let _ = writeln!(out, "\nMeasured figures: {source}.");
        }
        out
    }
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "—".to_owned()
    } else {
        text.to_owned()
    }
}
