//! Verify: every declared server is registered, offers its expected tools, and answers its smoke calls through
//! the gateway — over `/rpc` and through each virtual server's MCP endpoint.
//!
//! `tools/refresh` is not trusted (ContextForge 1.1.0 reports success with zero counts for a dead upstream):
//! verify lists the tools the gateway has and calls them. It waits for tools with a bounded backoff instead of
//! fixed sleeps, and checks each server on its own, so one dead upstream fails only its own lines.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::desired::owner_of;
use crate::engine::{Registry, millis};
use crate::error::{Error, GatewayCall, Result};
use crate::gateway::{CallRoute, Gateway, Tool, ToolOutput, Upstream};
use crate::manifest::{Expectation, ServerDecl, SmokeCall};
use crate::slug::{slug, tool_name};

/// How a verify runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// How long to wait for a server's expected tools to appear (default 60 s).
    pub deadline: Duration,
    /// Run the smoke calls (default true).
    pub smoke: bool,
    /// Check virtual servers over MCP (default true).
    pub virtual_servers: bool,
    /// Servers checked at once (default 8).
    pub concurrency: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(60),
            smoke: true,
            virtual_servers: true,
            concurrency: 8,
        }
    }
}

impl VerifyOptions {
    /// Sets how long to wait for tools.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Turns the smoke calls on or off.
    pub fn smoke(mut self, smoke: bool) -> Self {
        self.smoke = smoke;
        self
    }

    /// Turns the virtual server checks on or off.
    pub fn virtual_servers(mut self, check: bool) -> Self {
        self.virtual_servers = check;
        self
    }
}

/// One tool call made by verify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallCheck {
    /// The tool, by the upstream's name.
    pub tool: String,
    /// Its gateway name.
    pub gateway_name: String,
    /// `/rpc` or `virtual server <name>`.
    pub route: String,
    /// Whether the answer met the expectation.
    pub passed: bool,
    /// The answer (shortened) or the error.
    pub detail: String,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// The checks of one upstream server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerCheck {
    /// Manifest name.
    pub name: String,
    /// Its registration, when found.
    pub upstream_id: Option<String>,
    /// Whether every check passed.
    pub passed: bool,
    /// What failed, one sentence each.
    pub problems: Vec<String>,
    /// Tools the manifest expects.
    pub expected_tools: Vec<String>,
    /// Tools the gateway has for it (the upstream's names).
    pub found_tools: Vec<String>,
    /// Smoke calls over `/rpc`.
    pub calls: Vec<CallCheck>,
    /// How long the expected tools took to appear.
    pub tools_after_ms: u64,
    /// Wall time of this server's checks.
    pub elapsed_ms: u64,
}

/// The checks of one virtual server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServerCheck {
    /// Name.
    pub name: String,
    /// Its id, when found.
    pub id: Option<String>,
    /// Whether every check passed.
    pub passed: bool,
    /// What failed.
    pub problems: Vec<String>,
    /// How many tools its MCP endpoint lists (every page).
    pub listed_tools: usize,
    /// Smoke calls through its MCP endpoint.
    pub calls: Vec<CallCheck>,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// What verify found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The fleet.
    pub fleet: String,
    /// The gateway.
    pub gateway: String,
    /// Whether everything passed.
    pub passed: bool,
    /// Per server.
    pub servers: Vec<ServerCheck>,
    /// Per virtual server.
    pub virtual_servers: Vec<VirtualServerCheck>,
    /// Wall time.
    pub elapsed_ms: u64,
}

impl VerifyReport {
    /// `Ok(self)` when everything passed, else [`Error::Incomplete`] naming the first problem.
    pub fn into_result(self) -> Result<Self> {
        let problems: Vec<String> = self
            .servers
            .iter()
            .flat_map(|s| s.problems.iter().map(move |p| format!("`{}`: {p}", s.name)))
            .chain(self.virtual_servers.iter().flat_map(|v| {
                v.problems
                    .iter()
                    .map(move |p| format!("virtual server `{}`: {p}", v.name))
            }))
            .collect();
        match problems.first() {
            None => Ok(self),
            Some(first) => Err(Error::Incomplete {
                what: "verify",
                failed: problems.len(),
                total: self.servers.len() + self.virtual_servers.len(),
                first: first.clone(),
            }),
        }
    }
}

impl<G: Gateway> Registry<G> {
    /// The gateway calls [`Registry::verify`] makes with `options`: the other half of a permission preflight.
    pub fn verify_calls(&self, options: &VerifyOptions) -> BTreeSet<GatewayCall> {
        let manifest = self.manifest();
        let mut calls = BTreeSet::from([GatewayCall::ListUpstreams, GatewayCall::ListTools]);
        if options.smoke && manifest.servers.iter().any(|s| !s.smoke.is_empty()) {
            calls.insert(GatewayCall::CallTool);
        }
        if options.virtual_servers && !manifest.virtual_servers.is_empty() {
            calls.insert(GatewayCall::ListVirtualServers);
            calls.insert(GatewayCall::ListVirtualServerTools);
            if options.smoke {
                calls.insert(GatewayCall::CallToolViaVirtualServer);
            }
        }
        calls
    }

    /// Checks the fleet on the gateway: registrations, expected tools, smoke calls over `/rpc` and through each
    /// virtual server. `Err` only when the gateway cannot be read at all; failed checks are in the report.
    pub async fn verify(&self, options: &VerifyOptions) -> Result<VerifyReport> {
        let started = Instant::now();
        let upstreams = self.gateway().list_upstreams().await?;
        let fleet = self.manifest().fleet.clone();
        let servers: Vec<ServerCheck> = stream::iter(&self.manifest().servers)
            .map(|server| {
                let upstream = find_upstream(&upstreams, &server.name, &fleet);
                self.check_server(server, upstream, options)
            })
            .buffered(options.concurrency.max(1))
            .collect()
            .await;
        let mut virtual_servers = Vec::new();
        if options.virtual_servers && !self.manifest().virtual_servers.is_empty() {
            virtual_servers = self.check_virtual_servers(&servers, options).await;
        }
        let passed = servers.iter().all(|s| s.passed) && virtual_servers.iter().all(|v| v.passed);
        Ok(VerifyReport {
            fleet,
            gateway: self.manifest().gateway.url.clone(),
            passed,
            servers,
            virtual_servers,
            elapsed_ms: millis(started.elapsed()),
        })
    }

    async fn check_server(
        &self,
        server: &ServerDecl,
        upstream: Option<&Upstream>,
        options: &VerifyOptions,
    ) -> ServerCheck {
        let started = Instant::now();
        let mut check = ServerCheck {
            name: server.name.clone(),
            upstream_id: upstream.map(|u| u.id.clone()),
            passed: false,
            problems: Vec::new(),
            expected_tools: server.expected_tools.clone(),
            found_tools: Vec::new(),
            calls: Vec::new(),
            tools_after_ms: 0,
            elapsed_ms: 0,
        };
        let Some(upstream) = upstream else {
            check
                .problems
                .push("not registered on the gateway".to_owned());
            check.elapsed_ms = millis(started.elapsed());
            return check;
        };
        if !upstream.enabled {
            check
                .problems
                .push("the registration is disabled".to_owned());
        }
        // Wait for the expected tools with a doubling pause, never past the deadline.
        let mut pause = Duration::from_millis(100);
        let tools = loop {
            match self.gateway().list_tools(Some(&upstream.id)).await {
                Ok(tools) => {
                    let found: BTreeSet<&str> =
                        tools.iter().map(|t| t.original_name.as_str()).collect();
                    let complete = server
                        .expected_tools
                        .iter()
                        .all(|t| found.contains(t.as_str()));
                    if complete || started.elapsed() + pause > options.deadline {
                        break Some(tools);
                    }
                }
                Err(failure) if started.elapsed() + pause > options.deadline => {
                    check
                        .problems
                        .push(format!("cannot list its tools: {failure}"));
                    break None;
                }
                Err(_) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        };
        check.tools_after_ms = millis(started.elapsed());
        let tools = tools.unwrap_or_default();
        check.found_tools = tools.iter().map(|t| t.original_name.clone()).collect();
        check.found_tools.sort();
        let missing: Vec<&String> = server
            .expected_tools
            .iter()
            .filter(|t| !check.found_tools.contains(t))
            .collect();
        if !missing.is_empty() {
            check.problems.push(format!(
                "expected tools missing after {} ms: {}",
                check.tools_after_ms,
                missing
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if options.smoke {
            for call in &server.smoke {
                let name = gateway_name(&tools, &server.name, &call.tool);
                let result = self.smoke(&CallRoute::Rpc, "/rpc", call, &name).await;
                if !result.passed {
                    check.problems.push(format!(
                        "smoke call `{}` over /rpc: {}",
                        call.tool, result.detail
                    ));
                }
                check.calls.push(result);
            }
        }
        check.passed = check.problems.is_empty();
        check.elapsed_ms = millis(started.elapsed());
        check
    }

    async fn check_virtual_servers(
        &self,
        servers: &[ServerCheck],
        options: &VerifyOptions,
    ) -> Vec<VirtualServerCheck> {
        let listed = match self.gateway().list_virtual_servers().await {
            Ok(listed) => listed,
            Err(failure) => {
                return self
                    .manifest()
                    .virtual_servers
                    .iter()
                    .map(|v| VirtualServerCheck {
                        name: v.name.clone(),
                        id: None,
                        passed: false,
                        problems: vec![format!("cannot list virtual servers: {failure}")],
                        listed_tools: 0,
                        calls: Vec::new(),
                        elapsed_ms: 0,
                    })
                    .collect();
            }
        };
        let fleet = self.manifest().fleet.as_str();
        let found: HashMap<&str, &ServerCheck> =
            servers.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut checks = Vec::new();
        for declared in &self.manifest().virtual_servers {
            let started = Instant::now();
            let mut check = VirtualServerCheck {
                name: declared.name.clone(),
                id: None,
                passed: false,
                problems: Vec::new(),
                listed_tools: 0,
                calls: Vec::new(),
                elapsed_ms: 0,
            };
            let existing = listed
                .iter()
                .filter(|v| v.name.eq_ignore_ascii_case(&declared.name))
                .min_by_key(|v| owner_of(&v.tags) != Some(fleet));
            let Some(existing) = existing else {
                check.problems.push("not found on the gateway".to_owned());
                checks.push(check);
                continue;
            };
            check.id = Some(existing.id.clone());
            let names = match self.gateway().list_virtual_server_tools(&existing.id).await {
                Ok(names) => names,
                Err(failure) => {
                    check
                        .problems
                        .push(format!("cannot list its tools over MCP: {failure}"));
                    check.elapsed_ms = millis(started.elapsed());
                    checks.push(check);
                    continue;
                }
            };
            check.listed_tools = names.len();
            let listed_names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
            let mut wanted: Vec<(String, String)> = Vec::new(); // (server, original tool)
            for selection in &declared.tools {
                let originals: Vec<String> = match &selection.tools {
                    Some(tools) => tools.clone(),
                    None => found
                        .get(selection.server.as_str())
                        .map(|s| s.found_tools.clone())
                        .unwrap_or_default(),
                };
                wanted.extend(originals.into_iter().map(|t| (selection.server.clone(), t)));
            }
            let missing: Vec<String> = wanted
                .iter()
                .map(|(server, tool)| tool_name(server, tool))
                .filter(|name| !listed_names.contains(name.as_str()))
                .collect();
            if !missing.is_empty() {
                check.problems.push(format!(
                    "its MCP endpoint does not list {}",
                    missing
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if options.smoke {
                let route = CallRoute::VirtualServer {
                    id: existing.id.clone(),
                };
                let label = format!("virtual server {}", declared.name);
                for (server, tool) in &wanted {
                    let Some(server_decl) = self.manifest().server(server) else {
                        continue;
                    };
                    for call in server_decl.smoke.iter().filter(|c| &c.tool == tool) {
                        let name = tool_name(server, tool);
                        let result = self.smoke(&route, &label, call, &name).await;
                        if !result.passed {
                            check
                                .problems
                                .push(format!("smoke call `{name}`: {}", result.detail));
                        }
                        check.calls.push(result);
                    }
                }
            }
            check.passed = check.problems.is_empty();
            check.elapsed_ms = millis(started.elapsed());
            checks.push(check);
        }
        checks
    }

    async fn smoke(
        &self,
        route: &CallRoute,
        label: &str,
        call: &SmokeCall,
        name: &str,
    ) -> CallCheck {
        let started = Instant::now();
        let arguments = Value::Object(call.arguments.clone());
        let (passed, detail) = match self.gateway().call_tool(route, name, &arguments).await {
            Ok(output) => match meets(call.expect.as_ref(), &output) {
                Ok(()) => (true, shorten(&output.text)),
                Err(why) => (false, why),
            },
            Err(failure) => (false, failure.to_string()),
        };
        CallCheck {
            tool: call.tool.clone(),
            gateway_name: name.to_owned(),
            route: label.to_owned(),
            passed,
            detail,
            elapsed_ms: millis(started.elapsed()),
        }
    }
}

fn find_upstream<'a>(upstreams: &'a [Upstream], name: &str, fleet: &str) -> Option<&'a Upstream> {
    let wanted = slug(name);
    upstreams
        .iter()
        .filter(|u| slug(&u.name) == wanted)
        .min_by_key(|u| (owner_of(&u.tags) != Some(fleet), u.created_at.clone()))
}

/// The tool's gateway name as listed, or as the slug rule makes it.
fn gateway_name(tools: &[Tool], server: &str, original: &str) -> String {
    tools
        .iter()
        .find(|t| t.original_name == original)
        .map_or_else(|| tool_name(server, original), |t| t.name.clone())
}

/// Whether a tool's answer meets the expectation.
pub(crate) fn meets(
    expect: Option<&Expectation>,
    output: &ToolOutput,
) -> std::result::Result<(), String> {
    if output.is_error {
        return Err(format!(
            "the tool reported an error: {}",
            shorten(&output.text)
        ));
    }
    match expect {
        None => Ok(()),
        Some(Expectation::Contains(needle)) if output.text.contains(needle.as_str()) => Ok(()),
        Some(Expectation::Contains(needle)) => Err(format!(
            "expected the result to contain `{needle}`, got `{}`",
            shorten(&output.text)
        )),
        Some(Expectation::Equals(wanted)) => {
            // FastMCP wraps a plain return value as `{"result": value}` in structured content.
            let structured = output.structured.as_ref();
            let matches = structured == Some(wanted)
                || structured.and_then(|s| s.get("result")) == Some(wanted)
                || serde_json::from_str::<Value>(&output.text).ok().as_ref() == Some(wanted)
                || wanted.as_str() == Some(output.text.as_str());
            if matches {
                Ok(())
            } else {
                Err(format!(
                    "expected {wanted}, got `{}`",
                    shorten(&output.text)
                ))
            }
        }
    }
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 200;
    if text.chars().count() <= LIMIT {
        return text.to_owned();
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn output(text: &str, structured: Option<Value>) -> ToolOutput {
        ToolOutput {
            text: text.to_owned(),
            structured,
            is_error: false,
        }
    }

    #[test]
    fn expectations() {
        let sum = output("15", Some(json!({"result": 15})));
        assert!(meets(Some(&Expectation::Equals(json!(15))), &sum).is_ok());
        assert!(meets(Some(&Expectation::Contains("15".into())), &sum).is_ok());
        assert!(meets(Some(&Expectation::Equals(json!(16))), &sum).is_err());
        assert!(
            meets(
                Some(&Expectation::Equals(json!("HELLO"))),
                &output("HELLO", None)
            )
            .is_ok()
        );
        let failed = ToolOutput {
            is_error: true,
            ..output("boom", None)
        };
        assert!(meets(None, &failed).unwrap_err().contains("boom"));
    }
}
