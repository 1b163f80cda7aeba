//! The containerization decision record (the seed's deliverable 2): which servers to containerize and why, how
//! each is isolated, the alternatives rejected, and the figures measured on the fleet's own images.
//!
//! The rules read each server's [`RiskProfile`], `needs` and `imports`:
//! - a server that imports others in-process stays a process beside them (containerizing it would copy their
//!   code, dependencies and state into a second image);
//! - every other server gets an image and a service of its own — what `mcpfleet-dockerfile-gen` builds — and a
//!   risk class that sets its isolation: GPU, isolated (files and internet), internet, fleet backends,
//!   filesystem, pure compute, each with its network, volume and limits.
//!
//! Servers are not merged into shared images: images built from one base with one dependency set share every
//! layer but their sources, so a merged image saves almost no disk while it would tie servers' restarts,
//! volumes, secrets and limits together. [`Measurements`] carries the figures that show it, per server; the
//! record states them and draws its cost argument from them.
//!
//! [`Adr`] is plain data; [`Adr::to_markdown`] renders it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::manifest::{ComputeProfile, FilesystemAccess, Manifest, NetworkAccess, RiskProfile};

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
}

/// The memory limits the record chooses from, MiB.
const MEMORY_STEPS_MIB: [u32; 5] = [256, 512, 1024, 2048, 4096];

/// A container's limits: half a core, or one for heavy compute (two and a GPU for GPU work); memory twice the
/// measured idle memory rounded up to a step of [`MEMORY_STEPS_MIB`], or without a measurement 256 MiB (light),
/// 2 GiB (heavy), 4 GiB (GPU). The generator's defaults are the light ones.
fn limits(class: RiskClass, heavy: bool, idle_mib: Option<f64>) -> Limits {
    let gpu = class == RiskClass::Gpu;
    let cpus = match (gpu, heavy) {
        (true, _) => 2.0,
        (false, true) => 1.0,
        (false, false) => 0.5,
    };
    let memory_mib = match idle_mib {
        Some(idle) => MEMORY_STEPS_MIB
            .into_iter()
            .find(|step| f64::from(*step) >= 2.0 * idle)
            .unwrap_or(MEMORY_STEPS_MIB[MEMORY_STEPS_MIB.len() - 1]),
        None if gpu => 4096,
        None if heavy => 2048,
        None => 256,
    };
    Limits {
        cpus,
        memory_mib,
        gpu,
    }
}

/// A container's resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Limits {
    /// CPU cores.
    pub cpus: f64,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// Whether it needs a GPU.
    pub gpu: bool,
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} CPU, ", self.cpus)?;
        if self.memory_mib >= 1024 {
            write!(f, "{} GiB", self.memory_mib / 1024)?;
        } else {
            write!(f, "{} MiB", self.memory_mib)?;
        }
        if self.gpu {
            f.write_str(", 1 GPU")?;
        }
        Ok(())
    }
}

/// Where a server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Placement {
    /// An image and a service of its own.
    Container,
    /// A process beside the servers it imports.
    Process,
}

/// What happens to one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerDecision {
    /// The server.
    pub server: String,
    /// Its risk class.
    pub class: RiskClass,
    /// Where it runs.
    pub placement: Placement,
    /// System tools and services it needs.
    pub needs: Vec<String>,
    /// Secrets (environment variable names) it receives.
    pub secrets: Vec<String>,
    /// Its limits (for a container), from its class and its measured idle memory.
    pub limits: Limits,
    /// Why, in one sentence.
    pub reason: String,
}

/// Figures measured on one server's image and container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageFigures {
    /// Image size, MB.
    pub image_mb: f64,
    /// What the image adds over the base it was built on, MB.
    pub over_base_mb: f64,
    /// What only this image holds on disk (layers shared with no other image), MB.
    pub unique_mb: f64,
    /// `docker run` to healthy (an MCP round trip answered), median, ms.
    pub healthy_ms: u64,
    /// Resident memory when idle, MiB.
    pub idle_mib: f64,
    /// Median of a tool call through the gateway (`/rpc`), ms.
    pub call_p50_ms: f64,
}

impl ImageFigures {
    /// The figures with every field given (the struct is non-exhaustive).
    pub fn new(
        image_mb: f64,
        over_base_mb: f64,
        unique_mb: f64,
        healthy_ms: u64,
        idle_mib: f64,
        call_p50_ms: f64,
    ) -> Self {
        Self {
            image_mb,
            over_base_mb,
            unique_mb,
            healthy_ms,
            idle_mib,
            call_p50_ms,
        }
    }
}

/// Figures measured on the fleet's own images, keyed by manifest server name, and where they come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Measurements {
    /// The base image every server image was built on, MB.
    pub base_mb: Option<f64>,
    /// Disk the fleet's images took on the engine, layers counted once, MB.
    pub fleet_disk_mb: Option<f64>,
    /// Per containerized server.
    pub servers: BTreeMap<String, ImageFigures>,
    /// Where the figures come from (a command, a test), with the machine.
    pub source: Option<String>,
}

/// The decision record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Adr {
    /// The fleet.
    pub fleet: String,
    /// Per server, in manifest order.
    pub decisions: Vec<ServerDecision>,
    /// Measured figures (empty when none were taken).
    pub measurements: Measurements,
}

/// Decides, for every server of `manifest`, whether it runs in a container of its own or stays a process, and
/// how it is isolated.
///
/// ```
/// use mcpfleet_registry::{Format, Manifest, adr::{Measurements, Placement, containerization}};
/// let manifest = Manifest::from_str_as(
///     "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n  - {name: calc, url: \"http://calc:8000/mcp\", transport: streamable-http}\n",
///     Format::Yaml, "demo.yaml")?;
/// let adr = containerization(&manifest, Measurements::default());
/// assert_eq!(adr.decisions[0].placement, Placement::Container);
/// assert!(adr.to_markdown().starts_with("# ADR: containerization of the `demo` fleet"));
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn containerization(manifest: &Manifest, measurements: Measurements) -> Adr {
    let decisions = manifest
        .servers
        .iter()
        .map(|server| {
            let class = RiskClass::of(&server.risk);
            let (placement, reason) = if server.imports.is_empty() {
                (Placement::Container, class.why().to_owned())
            } else {
                (
                    Placement::Process,
                    format!(
                        "stays a process: it imports {} in-process, so an image of its own would copy their \
                         code, dependencies and state; it becomes a container once those calls go through the \
                         gateway",
                        list(&server.imports)
                    ),
                )
            };
            ServerDecision {
                server: server.name.clone(),
                class,
                placement,
                needs: sorted(&server.needs),
                secrets: sorted(&server.risk.secrets),
                limits: limits(
                    class,
                    server.risk.compute == ComputeProfile::Heavy,
                    measurements.servers.get(&server.name).map(|f| f.idle_mib),
                ),
                reason,
            }
        })
        .collect();
    Adr {
        fleet: manifest.fleet.clone(),
        decisions,
        measurements,
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

fn mb(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0} MB")
    } else if value >= 1.0 {
        format!("{value:.1} MB")
    } else {
        format!("{:.0} kB", value * 1000.0)
    }
}

impl Adr {
    /// The containerized servers' figures, when every one of them was measured.
    fn figures(&self) -> Option<Vec<(&ServerDecision, &ImageFigures)>> {
        let containers: Vec<&ServerDecision> = self
            .decisions
            .iter()
            .filter(|d| d.placement == Placement::Container)
            .collect();
        let figures: Vec<_> = containers
            .iter()
            .filter_map(|d| Some((*d, self.measurements.servers.get(&d.server)?)))
            .collect();
        (!figures.is_empty() && figures.len() == containers.len()).then_some(figures)
    }

    /// The record in the usual ADR shape: context, decision, per-server table, alternatives, consequences.
    pub fn to_markdown(&self) -> String {
        let servers = self.decisions.len();
        let containers: Vec<&ServerDecision> = self
            .decisions
            .iter()
            .filter(|d| d.placement == Placement::Container)
            .collect();
        let processes: Vec<String> = self
            .decisions
            .iter()
            .filter(|d| d.placement == Placement::Process)
            .map(|d| d.server.clone())
            .collect();
        let figures = self.figures();
        let mut out = format!("# ADR: containerization of the `{}` fleet\n\n", self.fleet);
        out.push_str(if figures.is_some() {
            "Status: accepted (generated by `mcpfleet-registry` from the fleet manifest and the figures measured on \
             the fleet's own images)\n\n"
        } else {
            "Status: proposed (generated by `mcpfleet-registry` from the fleet manifest; no figures measured yet)\n\n"
        });
        out.push_str("## Context\n\n");
        let _ = writeln!(
            out,
            "The fleet has {servers} script-based MCP servers. Each needs an HTTP endpoint the gateway reaches by \
             name on the fleet network, a non-root user, resource limits, and secrets from the environment only. \
             The question is whether to containerize all {servers}, and how to group them."
        );
        out.push_str("\n## Decision\n\n");
        let _ = write!(
            out,
            "Containerize {} of {servers} servers, **one image and one service each**, isolated by risk class \
             (network, volume, secrets and limits per class). ",
            containers.len(),
        );
        if processes.is_empty() {
            out.push_str("None stays a process.\n");
        } else {
            let _ = writeln!(out, "{} stay processes for now.", list(&processes));
        }
        match &figures {
            Some(figures) => self.measured_decision(&mut out, figures),
            None => out.push_str(
                "\nNo image of this fleet has been measured yet: build it and run the `containers` benchmark of \
                 the repository to add sizes, start times, memory and call latency here.\n",
            ),
        }
        out.push_str(
            "\n| server | decision | risk class | needs | secrets | limits (memory: twice the idle, rounded up) |\n\
             |---|---|---|---|---|---|\n",
        );
        for decision in &self.decisions {
            let what = match decision.placement {
                Placement::Container => "container",
                Placement::Process => "process",
            };
            let limits = match decision.placement {
                Placement::Container => decision.limits.to_string(),
                Placement::Process => "—".to_owned(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {what} | {} | {} | {} | {limits} |",
                decision.server,
                decision.class.label(),
                or_none(&list(&decision.needs)),
                or_none(&list(&decision.secrets)),
            );
        }
        out.push_str("\n| server | why |\n|---|---|\n");
        for decision in &self.decisions {
            let _ = writeln!(out, "| `{}` | {} |", decision.server, decision.reason);
        }
        out.push_str("\n## Alternatives rejected\n\n");
        match &figures {
            Some(figures) => {
                let unique: f64 = figures.iter().map(|(_, f)| f.unique_mb).sum();
                let _ = writeln!(
                    out,
                    "- **Servers merged into shared images** (the seed's \"Fleet of 7\", five document servers in \
                     one image). The images here already share every layer but their sources: together the {} \
                     images hold {} that no other image holds. A merged image would save at most that, while its \
                     servers would restart, scale and fail together and share one volume, one set of secrets and \
                     one memory limit.",
                    figures.len(),
                    mb(unique)
                );
            }
            None => out.push_str(
                "- **Servers merged into shared images.** Images built from one base with one dependency set share \
                 every layer but their sources, so a merged image saves almost no disk, while its servers would \
                 restart, scale and fail together and share one volume, one set of secrets and one memory limit.\n",
            ),
        }
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
            "- Each server is one image and one compose service (or Deployment), registered with the gateway by its \
             service name, never `localhost`; it is healthy only when it answers an MCP `tools/list`.\n",
        );
        out.push_str(
            "- Isolated servers get their own egress and volume; filesystem servers a named volume and no egress; \
             fleet-backend servers reach the backends on the private network only; compute servers a read-only \
             root and nothing else.\n",
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

    /// The figures table and the sentences drawn from it.
    fn measured_decision(&self, out: &mut String, figures: &[(&ServerDecision, &ImageFigures)]) {
        let count = figures.len();
        let sum = |f: fn(&ImageFigures) -> f64| figures.iter().map(|(_, x)| f(x)).sum::<f64>();
        let separately = sum(|f| f.image_mb);
        let over_base = sum(|f| f.over_base_mb);
        let unique = sum(|f| f.unique_mb);
        let slowest = figures
            .iter()
            .max_by_key(|(_, f)| f.healthy_ms)
            .map(|(d, f)| (d.server.as_str(), f.healthy_ms))
            .unwrap_or_default();
        let memory = sum(|f| f.idle_mib);
        let _ = write!(
            out,
            "\nMeasured on this fleet's own images: counted one by one, the {count} images take {} and add {} over \
             their base",
            mb(separately),
            mb(over_base)
        );
        if let Some(base) = self.measurements.base_mb {
            let _ = write!(out, " ({})", mb(base));
        }
        let _ = write!(
            out,
            ". But images with the same dependency set share every layer but their sources: only {} of those {} \
             is held by a single image",
            mb(unique),
            mb(over_base)
        );
        if let Some(disk) = self.measurements.fleet_disk_mb {
            let _ = write!(
                out,
                ", and building them all took {} of disk, the build cache of their builder stages included",
                mb(disk)
            );
        }
        let _ = writeln!(
            out,
            ". The slowest server (`{}`) is healthy {:.1} s after `docker run`; all {count} idle in {:.0} MiB.\n",
            slowest.0,
            slowest.1 as f64 / 1000.0,
            memory
        );
        out.push_str(
            "| server | image | over base | unique to it | `docker run` to healthy | idle memory | tool call p50 |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for (decision, f) in figures {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {:.1} s | {:.0} MiB | {:.0} ms |",
                decision.server,
                mb(f.image_mb),
                mb(f.over_base_mb),
                mb(f.unique_mb),
                f.healthy_ms as f64 / 1000.0,
                f.idle_mib,
                f.call_p50_ms
            );
        }
    }
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "—".to_owned()
    } else {
        text.to_owned()
    }
}
