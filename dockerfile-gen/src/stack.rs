//! Docker Swarm: the fleet's compose plan as a stack file for `docker stack deploy`.
//!
//! The stack keeps the compose file's hardening where Swarm honours it (numeric user, `init`, read-only root,
//! every capability dropped, a tmpfs `/tmp`, the healthcheck) and adds what Swarm schedules by: replicas,
//! resource limits, a restart policy, a start-first rolling update that rolls back on failure, and placement.
//! Every service uses `endpoint_mode: dnsrr` — the service name resolves to the replicas' own addresses —
//! because the default virtual IP needs IPVS, which not every kernel has; a gateway registering
//! `http://<service>:<port>/mcp` works either way. A published gateway port uses `mode: host` for the same
//! reason (the ingress routing mesh needs IPVS too). Swarm ignores `security_opt`, so `no-new-privileges` is not
//! set here (the images run as non-root users either way).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fleet::{ComposeService, FleetPlan, check_replicas};

/// How the fleet runs on a swarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SwarmSpec {
    /// Replicas per service, by service name; services not listed run one. Stateless servers scale; a server
    /// with a writable volume (and the gateway, whose SQLite database is on one) must stay at one.
    #[serde(default)]
    pub replicas: BTreeMap<String, u32>,
    /// Seconds between updating one replica and the next.
    #[serde(default = "default_update_delay")]
    pub update_delay_secs: u32,
    /// Placement constraints for every service (`node.role == worker`, `node.labels.zone == a`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement: Vec<String>,
}

fn default_update_delay() -> u32 {
    2
}

impl Default for SwarmSpec {
    fn default() -> Self {
        Self {
            replicas: BTreeMap::new(),
            update_delay_secs: default_update_delay(),
            placement: Vec::new(),
        }
    }
}

impl SwarmSpec {
    /// Sets the replicas of one service.
    pub fn replicas(mut self, service: impl Into<String>, replicas: u32) -> Self {
        self.replicas.insert(service.into(), replicas);
        self
    }
}

/// The stack file's content, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StackPlan {
    /// The fleet's name.
    pub name: String,
    /// Services, in the compose plan's order.
    pub services: Vec<StackService>,
    /// Overlay networks; the first is the fleet's private one.
    pub networks: Vec<StackNetwork>,
    /// Named volumes.
    pub volumes: Vec<String>,
}

/// One Swarm service: the compose service it comes from, and how Swarm runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StackService {
    /// The compose service (image, user, environment, healthcheck, limits …).
    pub service: ComposeService,
    /// Replicas.
    pub replicas: u32,
    /// Ports published on the node (`mode: host`), as `(published, target)`.
    pub published: Vec<(u16, u16)>,
    /// Seconds between replica updates.
    pub update_delay_secs: u32,
    /// Placement constraints.
    pub placement: Vec<String>,
}

/// An overlay network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StackNetwork {
    /// Name.
    pub name: String,
    /// No route outside the swarm.
    pub internal: bool,
}

impl FleetPlan {
    /// The stack plan for `swarm`. A replica count for a service the fleet does not have, or more than one replica
    /// of a service with a writable volume, is an error naming `swarm.replicas.<name>`.
    pub fn stack(&self, swarm: &SwarmSpec) -> Result<StackPlan> {
        let services: Vec<&ComposeService> = self.compose.services.iter().collect();
        check_replicas("swarm.replicas", &swarm.replicas, &services)?;
        let services = self
            .compose
            .services
            .iter()
            .map(|service| StackService {
                replicas: swarm.replicas.get(&service.name).copied().unwrap_or(1),
                published: service.ports.iter().filter_map(|p| published(p)).collect(),
                update_delay_secs: swarm.update_delay_secs,
                placement: swarm.placement.clone(),
                service: service.clone(),
            })
            .collect();
        Ok(StackPlan {
            name: self.name.clone(),
            services,
            networks: self
                .compose
                .networks
                .iter()
                .map(|n| StackNetwork {
                    name: n.name.clone(),
                    internal: n.internal,
                })
                .collect(),
            volumes: self.compose.volumes.clone(),
        })
    }
}

/// `address:published:target` (compose short syntax) → `(published, target)`; the address is dropped: a
/// host-mode port binds every address of the node.
fn published(port: &str) -> Option<(u16, u16)> {
    let mut parts = port.rsplit(':');
    let target = parts.next()?.parse().ok()?;
    let published = parts.next()?.parse().ok()?;
    Some((published, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_ports_parse_the_compose_short_syntax() {
        assert_eq!(published("127.0.0.1:4444:4444"), Some((4444, 4444)));
        assert_eq!(published("8080:80"), Some((8080, 80)));
        assert_eq!(published("80"), None);
    }
}
