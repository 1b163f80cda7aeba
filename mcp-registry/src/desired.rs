//! What a manifest asks of the gateway, in the gateway's terms: one [`UpstreamSpec`] per server and one
//! [`VirtualServerWant`] per virtual server, each carrying the fleet's ownership tag.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gateway::UpstreamSpec;
use crate::manifest::{Manifest, ServerDecl, Visibility};

/// The prefix of the tags the registry owns.
pub(crate) const OWNER_TAG_PREFIX: &str = "mcpfleet:";

/// The tag that marks a registration as made by (and owned by) `fleet`.
///
/// ```
/// assert_eq!(mcpfleet_registry::owner_tag("sanctuary"), "mcpfleet:sanctuary");
/// ```
pub fn owner_tag(fleet: &str) -> String {
    format!("{OWNER_TAG_PREFIX}{fleet}")
}

/// The fleet that owns a registration with these tags, if any.
pub(crate) fn owner_of(tags: &[String]) -> Option<&str> {
    tags.iter().find_map(|t| t.strip_prefix(OWNER_TAG_PREFIX))
}

/// One tool of one server, or all of that server's tools.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolPick {
    /// The server, by its manifest name.
    pub server: String,
    /// The tool by the upstream's name; `None` for every tool the server offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

/// What the registry wants for one virtual server; tools are resolved to ids when applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServerWant {
    /// Name.
    pub name: String,
    /// Description, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags, the ownership tag included.
    pub tags: Vec<String>,
    /// Whether the declared tags are the whole set.
    #[serde(default)]
    pub exact_tags: bool,
    /// Visibility, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Team, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The tools.
    pub tools: Vec<ToolPick>,
}

/// The whole desired state of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desired {
    pub(crate) fleet: String,
    pub(crate) gateway_url: String,
    pub(crate) upstreams: Vec<UpstreamSpec>,
    /// Per upstream (same order): the tools it must offer, by the upstream's names.
    pub(crate) expected_tools: Vec<Vec<String>>,
    pub(crate) virtual_servers: Vec<VirtualServerWant>,
}

impl Desired {
    pub(crate) fn from_manifest(manifest: &Manifest) -> Result<Self> {
        let owner = owner_tag(&manifest.fleet);
        let team = manifest.gateway.team.clone();
        // A loaded manifest has distinct slugs already; one built in code must too, or two creates of one name
        // could be in flight at once.
        let mut seen = std::collections::HashMap::new();
        for server in &manifest.servers {
            if let Some(first) = seen.insert(crate::slug::slug(&server.name), &server.name) {
                return Err(crate::error::Error::Conflicts {
                    conflicts: vec![format!(
                        "servers `{first}` and `{}` are one name to the gateway (same slug)",
                        server.name
                    )],
                });
            }
        }
        let upstreams = manifest
            .servers
            .iter()
            .map(|server| upstream_spec(server, &owner, team.as_deref()))
            .collect::<Result<Vec<_>>>()?;
        let virtual_servers = manifest
            .virtual_servers
            .iter()
            .map(|vs| VirtualServerWant {
                name: vs.name.clone(),
                description: vs.description.clone(),
                tags: with_owner(&vs.tags, &owner),
                exact_tags: !vs.tags.is_empty(),
                visibility: vs.visibility,
                team_id: vs.team.clone().or_else(|| team.clone()),
                tools: vs
                    .tools
                    .iter()
                    .flat_map(|selection| match &selection.tools {
                        None => vec![ToolPick {
                            server: selection.server.clone(),
                            tool: None,
                        }],
                        Some(tools) => tools
                            .iter()
                            .map(|tool| ToolPick {
                                server: selection.server.clone(),
                                tool: Some(tool.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Self {
            fleet: manifest.fleet.clone(),
            gateway_url: manifest.gateway.url.clone(),
            upstreams,
            expected_tools: manifest
                .servers
                .iter()
                .map(|s| s.expected_tools.clone())
                .collect(),
            virtual_servers,
        })
    }
}

fn upstream_spec(server: &ServerDecl, owner: &str, team: Option<&str>) -> Result<UpstreamSpec> {
    let (url, transport) = match (&server.url, server.transport) {
        (Some(url), Some(transport)) => (url.clone(), transport),
        _ => match server.container_endpoint()? {
            Some(endpoint) => endpoint,
            // A checked manifest always has one or the other; an unchecked one gets the same rule's words.
            None => {
                return Err(crate::error::Error::Conflicts {
                    conflicts: vec![format!(
                        "server `{}` needs a `url` and `transport`, or a `container`",
                        server.name
                    )],
                });
            }
        },
    };
    Ok(UpstreamSpec {
        name: server.name.clone(),
        url,
        transport,
        description: server.description.clone(),
        tags: with_owner(&server.tags, owner),
        exact_tags: !server.tags.is_empty(),
        visibility: server.visibility,
        team_id: server.team.clone().or_else(|| team.map(str::to_owned)),
        auth: server.auth.clone(),
    })
}

fn with_owner(tags: &[String], owner: &str) -> Vec<String> {
    let mut all: Vec<String> = tags.to_vec();
    all.push(owner.to_owned());
    all.sort();
    all.dedup();
    all
}
