//! [`MemoryGateway`]: an in-memory model of ContextForge 1.1.0's registration rules, with fault injection, for
//! testing code built on the engine (feature `testing`).
//!
//! It keeps the rules a reconciler trips over: names are unique by slug (409), one URL registers once (409),
//! tool names are `slug(server)-slug(tool)` and may not collide (409), an unreachable URL answers 502, every
//! update bumps `version`, deleting an upstream removes its tools from virtual servers — and, like the real
//! gateway, **nothing stops two concurrent creates of one name**: the uniqueness check and the insert are
//! separated by the upstream handshake. Faults can fail a call before it runs, or run it and lose the answer.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::error::{FailureKind, GatewayCall, GatewayFailure};
use crate::gateway::{
    CallRoute, Credentials, Gateway, RegisteredAuth, Tool, ToolOutput, Upstream, UpstreamPatch,
    UpstreamSpec, VirtualServer, VirtualServerPatch, VirtualServerSpec,
};
use crate::manifest::UpstreamAuth;
use crate::plan::normalize_url;
use crate::slug::{slug, tool_name};

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Fail before doing anything, with this kind (a 409, a 403, a 5xx that did nothing…).
    Fail(FailureKind),
    /// Do the call, then answer as if the connection broke ([`FailureKind::Ambiguous`]).
    LoseAnswer,
}

#[derive(Debug, Default)]
struct State {
    upstreams: Vec<Upstream>,
    virtual_servers: Vec<VirtualServer>,
    tools: Vec<Tool>,
    next_id: u64,
}

/// An in-memory gateway; see the module docs.
#[derive(Debug, Default)]
pub struct MemoryGateway {
    state: Mutex<State>,
    /// URL (normalized) → the tools the upstream there offers; a URL not listed is unreachable.
    servers: Mutex<HashMap<String, Vec<String>>>,
    faults: Mutex<HashMap<GatewayCall, VecDeque<Fault>>>,
    calls: Mutex<BTreeMap<GatewayCall, usize>>,
    handshake: Duration,
}

fn failure(call: GatewayCall, kind: FailureKind, message: impl Into<String>) -> GatewayFailure {
    GatewayFailure::new(call, kind, message)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic in another test thread must not hide this one's state.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryGateway {
    /// An empty gateway with no reachable upstream.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long registration takes (the upstream handshake) — the window in which two creates of one name
    /// both pass the uniqueness check. Default: zero (the create still yields once).
    pub fn with_handshake(mut self, latency: Duration) -> Self {
        self.handshake = latency;
        self
    }

    /// Makes an upstream reachable at `url`, offering `tools`.
    pub fn serve<I, S>(&self, url: &str, tools: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        lock(&self.servers).insert(
            normalize_url(url),
            tools.into_iter().map(Into::into).collect(),
        );
    }

    /// Makes the upstream at `url` unreachable (its registration stays).
    pub fn stop(&self, url: &str) {
        lock(&self.servers).remove(&normalize_url(url));
    }

    /// Queues a fault for the next `call` (faults of one call run in order).
    pub fn inject(&self, call: GatewayCall, fault: Fault) {
        lock(&self.faults).entry(call).or_default().push_back(fault);
    }

    /// How many times each call was made (faulted ones included).
    pub fn calls(&self) -> BTreeMap<GatewayCall, usize> {
        lock(&self.calls).clone()
    }

    /// How many write calls were made.
    pub fn writes(&self) -> usize {
        lock(&self.calls)
            .iter()
            .filter(|(call, _)| call.is_write())
            .map(|(_, n)| n)
            .sum()
    }

    /// Forgets the call counts.
    pub fn reset_calls(&self) {
        lock(&self.calls).clear();
    }

    /// The registered upstreams.
    pub fn upstreams(&self) -> Vec<Upstream> {
        lock(&self.state).upstreams.clone()
    }

    /// The virtual servers.
    pub fn virtual_servers(&self) -> Vec<VirtualServer> {
        lock(&self.state).virtual_servers.clone()
    }

    /// Registers an upstream directly, as another tool or person would: no fault, no uniqueness check (so it
    /// can make the duplicates a racing client leaves behind).
    pub fn preload(&self, spec: &UpstreamSpec) -> Result<Upstream, GatewayFailure> {
        let tools = self.reachable(GatewayCall::CreateUpstream, &spec.url)?;
        Ok(insert_upstream(&mut lock(&self.state), spec, tools))
    }

    /// Counts the call and takes its next fault.
    fn enter(&self, call: GatewayCall) -> Option<Fault> {
        *lock(&self.calls).entry(call).or_default() += 1;
        lock(&self.faults)
            .get_mut(&call)
            .and_then(VecDeque::pop_front)
    }

    /// Runs `body` under the fault rules of `call`.
    fn faulted<T>(
        &self,
        call: GatewayCall,
        body: impl FnOnce() -> Result<T, GatewayFailure>,
    ) -> Result<T, GatewayFailure> {
        match self.enter(call) {
            Some(Fault::Fail(kind)) => Err(failure(call, kind, "injected failure")),
            Some(Fault::LoseAnswer) => {
                let _ = body();
                Err(failure(
                    call,
                    FailureKind::Ambiguous,
                    "injected: the connection broke before the answer",
                ))
            }
            None => body(),
        }
    }

    fn reachable(&self, call: GatewayCall, url: &str) -> Result<Vec<String>, GatewayFailure> {
        lock(&self.servers)
            .get(&normalize_url(url))
            .cloned()
            .ok_or_else(|| {
                failure(
                    call,
                    FailureKind::UpstreamUnreachable,
                    format!("Failed to initialize gateway at {url}: connection failed"),
                )
                .answer(502, "")
            })
    }
}

fn next_id(state: &mut State) -> String {
    state.next_id += 1;
    format!("{:032x}", state.next_id)
}

fn auth_shape(auth: Option<&UpstreamAuth>) -> RegisteredAuth {
    match auth {
        None => RegisteredAuth::None,
        Some(UpstreamAuth::Bearer { .. }) => RegisteredAuth::Bearer,
        Some(UpstreamAuth::Headers { headers }) => RegisteredAuth::Headers {
            names: headers.iter().map(|h| h.name.clone()).collect(),
        },
    }
}

/// The checks ContextForge makes before it commits, none of them under a lock.
fn check_unique(
    state: &State,
    spec: &UpstreamSpec,
    tools: &[String],
) -> Result<(), GatewayFailure> {
    let call = GatewayCall::CreateUpstream;
    if state
        .upstreams
        .iter()
        .any(|u| slug(&u.name) == slug(&spec.name))
    {
        return Err(
            failure(call, FailureKind::NameTaken, "Gateway name already exists").answer(409, ""),
        );
    }
    if state
        .upstreams
        .iter()
        .any(|u| normalize_url(&u.url) == normalize_url(&spec.url))
    {
        return Err(failure(call, FailureKind::UrlTaken, "Gateway already exists").answer(409, ""));
    }
    if let Some(taken) = tools
        .iter()
        .map(|t| tool_name(&spec.name, t))
        .find(|n| state.tools.iter().any(|t| &t.name == n))
    {
        return Err(failure(
            call,
            FailureKind::ToolNameCollision,
            format!("Tool name collision: {taken}"),
        )
        .answer(409, ""));
    }
    Ok(())
}

fn insert_upstream(state: &mut State, spec: &UpstreamSpec, tools: Vec<String>) -> Upstream {
    let names: Vec<String> = tools.iter().map(|t| tool_name(&spec.name, t)).collect();
    let id = next_id(state);
    let created_at = format!("2026-01-01T00:00:{:06}", state.next_id);
    let upstream = Upstream {
        id: id.clone(),
        name: spec.name.clone(),
        url: spec.url.replace("127.0.0.1", "localhost"),
        transport: Some(spec.transport),
        description: spec.description.clone(),
        tags: spec.tags.clone(),
        visibility: spec.visibility,
        team_id: spec.team_id.clone(),
        enabled: true,
        reachable: true,
        auth: auth_shape(spec.auth.as_ref()),
        version: Some(1),
        created_at: Some(created_at),
    };
    for (tool, name) in tools.into_iter().zip(names) {
        let tool_id = next_id(state);
        state.tools.push(Tool {
            id: tool_id,
            name,
            original_name: tool,
            upstream_id: Some(id.clone()),
            enabled: true,
        });
    }
    state.upstreams.push(upstream.clone());
    upstream
}

impl Gateway for MemoryGateway {
    async fn list_upstreams(&self) -> Result<Vec<Upstream>, GatewayFailure> {
        self.faulted(GatewayCall::ListUpstreams, || Ok(self.upstreams()))
    }

    async fn list_virtual_servers(&self) -> Result<Vec<VirtualServer>, GatewayFailure> {
        self.faulted(GatewayCall::ListVirtualServers, || {
            Ok(self.virtual_servers())
        })
    }

    async fn list_tools(&self, upstream_id: Option<&str>) -> Result<Vec<Tool>, GatewayFailure> {
        self.faulted(GatewayCall::ListTools, || {
            Ok(lock(&self.state)
                .tools
                .iter()
                .filter(|t| upstream_id.is_none() || t.upstream_id.as_deref() == upstream_id)
                .cloned()
                .collect())
        })
    }

    async fn create_upstream(
        &self,
        spec: &UpstreamSpec,
        _credentials: &Credentials,
    ) -> Result<Upstream, GatewayFailure> {
        let call = GatewayCall::CreateUpstream;
        let fault = self.enter(call);
        if let Some(Fault::Fail(kind)) = fault {
            return Err(failure(call, kind, "injected failure"));
        }
        let tools = self.reachable(call, &spec.url)?;
        check_unique(&lock(&self.state), spec, &tools)?;
        // The handshake: ContextForge holds no lock here, so a concurrent create of the same name passes too.
        if self.handshake.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(self.handshake).await;
        }
        let created = insert_upstream(&mut lock(&self.state), spec, tools);
        match fault {
            Some(Fault::LoseAnswer) => Err(failure(
                call,
                FailureKind::Ambiguous,
                "injected: the connection broke before the answer",
            )),
            _ => Ok(created),
        }
    }

    async fn update_upstream(
        &self,
        id: &str,
        patch: &UpstreamPatch,
        _credentials: &Credentials,
    ) -> Result<Upstream, GatewayFailure> {
        let call = GatewayCall::UpdateUpstream;
        let new_tools = match &patch.url {
            Some(url) => Some(self.reachable(call, url)?),
            None => None,
        };
        self.faulted(call, || {
            let mut state = lock(&self.state);
            let index = state
                .upstreams
                .iter()
                .position(|u| u.id == id)
                .ok_or_else(|| {
                    failure(
                        call,
                        FailureKind::NotFound,
                        format!("Gateway not found: {id}"),
                    )
                })?;
            let upstream = &mut state.upstreams[index];
            if let Some(url) = &patch.url {
                upstream.url = url.replace("127.0.0.1", "localhost");
            }
            if let Some(transport) = patch.transport {
                upstream.transport = Some(transport);
            }
            if let Some(description) = &patch.description {
                upstream.description = Some(description.clone());
            }
            if let Some(tags) = &patch.tags {
                upstream.tags = tags.clone();
            }
            if let Some(visibility) = patch.visibility {
                upstream.visibility = Some(visibility);
            }
            if let Some(team) = &patch.team_id {
                upstream.team_id = Some(team.clone());
            }
            upstream.version = Some(upstream.version.unwrap_or(0) + 1);
            let updated = upstream.clone();
            if let Some(tools) = new_tools {
                state.tools.retain(|t| t.upstream_id.as_deref() != Some(id));
                for tool in tools {
                    let tool_id = next_id(&mut state);
                    state.tools.push(Tool {
                        id: tool_id,
                        name: tool_name(&updated.name, &tool),
                        original_name: tool,
                        upstream_id: Some(id.to_owned()),
                        enabled: true,
                    });
                }
            }
            Ok(updated)
        })
    }

    async fn delete_upstream(&self, id: &str) -> Result<(), GatewayFailure> {
        let call = GatewayCall::DeleteUpstream;
        self.faulted(call, || {
            let mut state = lock(&self.state);
            let before = state.upstreams.len();
            state.upstreams.retain(|u| u.id != id);
            if state.upstreams.len() == before {
                return Err(failure(
                    call,
                    FailureKind::NotFound,
                    format!("Gateway not found: {id}"),
                ));
            }
            let removed: Vec<String> = state
                .tools
                .iter()
                .filter(|t| t.upstream_id.as_deref() == Some(id))
                .map(|t| t.id.clone())
                .collect();
            state.tools.retain(|t| t.upstream_id.as_deref() != Some(id));
            for server in &mut state.virtual_servers {
                server.tool_ids.retain(|t| !removed.contains(t));
            }
            Ok(())
        })
    }

    async fn create_virtual_server(
        &self,
        spec: &VirtualServerSpec,
    ) -> Result<VirtualServer, GatewayFailure> {
        let call = GatewayCall::CreateVirtualServer;
        self.faulted(call, || {
            let mut state = lock(&self.state);
            if state
                .virtual_servers
                .iter()
                .any(|v| v.name.eq_ignore_ascii_case(&spec.name))
            {
                return Err(failure(
                    call,
                    FailureKind::Conflict,
                    format!("Public Server already exists with name: {}", spec.name),
                ));
            }
            check_tool_ids(&state, call, &spec.tool_ids)?;
            let server = VirtualServer {
                id: next_id(&mut state),
                name: spec.name.clone(),
                description: spec.description.clone(),
                tags: spec.tags.clone(),
                visibility: spec.visibility,
                team_id: spec.team_id.clone(),
                tool_ids: spec.tool_ids.clone(),
                enabled: true,
            };
            state.virtual_servers.push(server.clone());
            Ok(server)
        })
    }

    async fn update_virtual_server(
        &self,
        id: &str,
        patch: &VirtualServerPatch,
    ) -> Result<VirtualServer, GatewayFailure> {
        let call = GatewayCall::UpdateVirtualServer;
        self.faulted(call, || {
            let mut state = lock(&self.state);
            if let Some(ids) = &patch.tool_ids {
                check_tool_ids(&state, call, ids)?;
            }
            let server = state
                .virtual_servers
                .iter_mut()
                .find(|v| v.id == id)
                .ok_or_else(|| {
                    failure(
                        call,
                        FailureKind::NotFound,
                        format!("Server not found: {id}"),
                    )
                })?;
            if let Some(description) = &patch.description {
                server.description = Some(description.clone());
            }
            if let Some(tags) = &patch.tags {
                server.tags = tags.clone();
            }
            if let Some(visibility) = patch.visibility {
                server.visibility = Some(visibility);
            }
            if let Some(ids) = &patch.tool_ids {
                server.tool_ids = ids.clone();
            }
            Ok(server.clone())
        })
    }

    async fn delete_virtual_server(&self, id: &str) -> Result<(), GatewayFailure> {
        let call = GatewayCall::DeleteVirtualServer;
        self.faulted(call, || {
            let mut state = lock(&self.state);
            let before = state.virtual_servers.len();
            state.virtual_servers.retain(|v| v.id != id);
            if state.virtual_servers.len() == before {
                return Err(failure(
                    call,
                    FailureKind::NotFound,
                    format!("Server not found: {id}"),
                ));
            }
            Ok(())
        })
    }

    async fn list_virtual_server_tools(&self, id: &str) -> Result<Vec<String>, GatewayFailure> {
        let call = GatewayCall::ListVirtualServerTools;
        self.faulted(call, || {
            let state = lock(&self.state);
            let server = state
                .virtual_servers
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| {
                    failure(
                        call,
                        FailureKind::NotFound,
                        format!("Server not found: {id}"),
                    )
                })?;
            Ok(state
                .tools
                .iter()
                .filter(|t| server.tool_ids.contains(&t.id))
                .map(|t| t.name.clone())
                .collect())
        })
    }

    /// Every tool echoes its arguments as JSON text; a tool of a stopped upstream fails like a dead one.
    async fn call_tool(
        &self,
        route: &CallRoute,
        tool: &str,
        arguments: &Value,
    ) -> Result<ToolOutput, GatewayFailure> {
        let call = match route {
            CallRoute::Rpc => GatewayCall::CallTool,
            _ => GatewayCall::CallToolViaVirtualServer,
        };
        self.faulted(call, || {
            let state = lock(&self.state);
            let found = state.tools.iter().find(|t| t.name == tool).ok_or_else(|| {
                failure(
                    call,
                    FailureKind::Protocol,
                    format!("Tool not found: {tool}"),
                )
            })?;
            if let CallRoute::VirtualServer { id } = route {
                let server = state.virtual_servers.iter().find(|v| &v.id == id);
                if !server.is_some_and(|v| v.tool_ids.contains(&found.id)) {
                    return Err(failure(
                        call,
                        FailureKind::Protocol,
                        format!("Tool not found: {tool}"),
                    ));
                }
            }
            let upstream = state
                .upstreams
                .iter()
                .find(|u| found.upstream_id.as_deref() == Some(u.id.as_str()));
            let alive =
                upstream.is_some_and(|u| lock(&self.servers).contains_key(&normalize_url(&u.url)));
            if !alive {
                return Err(failure(
                    call,
                    FailureKind::Protocol,
                    format!("Tool invocation failed: upstream of {tool} is unreachable"),
                ));
            }
            Ok(ToolOutput {
                text: arguments.to_string(),
                structured: Some(arguments.clone()),
                is_error: false,
            })
        })
    }
}

fn check_tool_ids(state: &State, call: GatewayCall, ids: &[String]) -> Result<(), GatewayFailure> {
    match ids
        .iter()
        .find(|id| !state.tools.iter().any(|t| &t.id == *id))
    {
        Some(missing) => Err(failure(
            call,
            FailureKind::Rejected,
            format!("unknown tool id {missing}"),
        )),
        None => Ok(()),
    }
}
