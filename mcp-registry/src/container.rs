//! `container:` servers: an `mcpfleet-dockerfile-gen` spec instead of a URL (feature `container`).
//!
//! The spec is decoded and planned once, when the manifest is checked (errors point into the spec with the
//! manifest's own `file:line:column`); the plan is kept on the server, and the URL the gateway registers follows
//! from it: `http://<service name>:<port>/mcp` (or `/sse`), the name the gateway reaches on the fleet network.

use super::manifest::{ContainerSpec, ServerDecl};
use crate::manifest::decode::RawIssue;
use crate::path::FieldPath;

#[cfg(feature = "container")]
mod enabled {
    use std::sync::{Arc, OnceLock};

    use mcpfleet_dockerfile_gen::{BuildPlan, EndpointTransport, ServerSpec};

    use super::*;
    use crate::error::{Error, Result};
    use crate::manifest::UpstreamTransport;

    /// The plan made when the manifest was checked.
    pub(crate) type Built = OnceLock<Arc<BuildPlan>>;

    pub(crate) fn check(
        at: &FieldPath,
        server: &ServerDecl,
        spec: &ContainerSpec,
        issues: &mut Vec<RawIssue>,
    ) {
        let base = at.key("container");
        let Some(parsed) =
            crate::manifest::decode::decode_one::<ServerSpec>(spec.0.clone(), &base, issues)
        else {
            return;
        };
        match BuildPlan::from_spec(&parsed) {
            Ok(plan) => {
                if let Some(declared) = server.transport {
                    let derived = transport_of(&plan);
                    if declared != derived {
                        issues.push(RawIssue::new(
                            at.key("transport"),
                            format!(
                                "the container serves `{derived}` (from its spec), not `{declared}`: drop \
                                 `transport` or make it agree"
                            ),
                        ));
                    }
                }
                // A clone of the manifest may already hold the same plan.
                let _ = server.built.set(Arc::new(plan));
            }
            Err(err) => {
                let path = err
                    .field()
                    .map_or_else(|| base.clone(), |field| base.join(&FieldPath::parse(field)));
                issues.push(RawIssue::new(path, err.to_string()));
            }
        }
    }

    fn transport_of(plan: &BuildPlan) -> UpstreamTransport {
        match plan.endpoint.transport {
            EndpointTransport::Sse => UpstreamTransport::Sse,
            _ => UpstreamTransport::StreamableHttp,
        }
    }

    impl ServerDecl {
        /// The container's build plan (`None` for a URL server), made when the manifest was checked.
        #[cfg_attr(docsrs, doc(cfg(feature = "container")))]
        pub fn container_plan(&self) -> Result<Option<Arc<BuildPlan>>> {
            let Some(spec) = &self.container else {
                return Ok(None);
            };
            if let Some(plan) = self.built.get() {
                return Ok(Some(plan.clone()));
            }
            // A manifest built in code, never checked: plan it now.
            let parsed: ServerSpec =
                serde_json::from_value(spec.0.clone()).map_err(|source| Error::Json {
                    context: format!("container spec of server `{}`", self.name),
                    source,
                })?;
            let plan = BuildPlan::from_spec(&parsed).map_err(|source| Error::Container {
                server: self.name.clone(),
                source,
            })?;
            Ok(Some(self.built.get_or_init(|| Arc::new(plan)).clone()))
        }

        pub(crate) fn container_endpoint(&self) -> Result<Option<(String, UpstreamTransport)>> {
            Ok(self.container_plan()?.map(|plan| {
                let service = plan.server.clone();
                (plan.endpoint.url(&service), transport_of(&plan))
            }))
        }
    }
}

#[cfg(feature = "container")]
pub(crate) use enabled::{Built, check};

#[cfg(not(feature = "container"))]
pub(crate) fn check(
    at: &FieldPath,
    _server: &ServerDecl,
    _spec: &ContainerSpec,
    issues: &mut Vec<RawIssue>,
) {
    issues.push(RawIssue::new(
        at.key("container"),
        "`container` servers need the `container` feature of mcpfleet-registry (it reads the spec with \
         mcpfleet-dockerfile-gen)",
    ));
}

#[cfg(not(feature = "container"))]
impl ServerDecl {
    pub(crate) fn container_endpoint(
        &self,
    ) -> crate::error::Result<Option<(String, crate::manifest::UpstreamTransport)>> {
        match &self.container {
            None => Ok(None),
            Some(_) => Err(crate::error::Error::Conflicts {
                conflicts: vec![format!(
                    "server `{}` is a container, which needs the `container` feature",
                    self.name
                )],
            }),
        }
    }
}
