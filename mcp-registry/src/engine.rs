//! The engine: [`Registry`] reads the gateway, plans, and applies plans with bounded concurrency.
//!
//! How it stays safe on a gateway without transactions or locks:
//! - One apply of a fleet at a time per machine ([`ApplyOptions::lock_dir`]): the fleet lock is held from the
//!   read that plans to the last write, so a concurrent apply of the same manifest plans against the first
//!   one's result and writes nothing. The lock is a file, so it does not reach other machines: run applies of
//!   one fleet from one place (a CI concurrency group), or let the next plan show the duplicates a race between
//!   machines left (`retain`) and `sync` delete the younger ones.
//! - A plan has at most one step per slug, so no two creates of one name are ever in flight.
//! - A create is never retried blindly: after an answer that may hide a success (5xx, timeout, broken
//!   connection) the engine lists the gateway and takes the registration it finds.
//! - Every step reports on its own; one failure does not stop the others, and steps that depend on a failed
//!   one are skipped, so the next apply converges from whatever was written.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::desired::{Desired, owner_of, owner_tag};
use crate::error::{Error, FailureKind, GatewayFailure, Result};
use crate::gateway::{
    Credentials, Gateway, Tool, Upstream, VirtualServer, VirtualServerPatch, VirtualServerSpec,
};
use crate::lock::FleetLock;
use crate::manifest::{Manifest, UpstreamAuth};
use crate::plan::{
    Action, Mode, Observed, Plan, PlanSummary, UpstreamStep, VirtualServerStep, resolve_picks,
    same_url,
};
use crate::slug::slug;

/// A hook run on the plan after it is made and before any write; an error stops the apply with nothing
/// written (the permission preflight is one).
pub type BeforeWrites = Arc<dyn Fn(&Plan) -> Result<()> + Send + Sync>;

/// How an apply runs.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// How many writes run at once (default 8). ContextForge does most of a registration's work on one core, so
    /// width only overlaps the upstream handshakes; past about 8 the gateway spends more on contention than it
    /// saves (see `BENCHMARKS.md`).
    pub concurrency: usize,
    /// Attempts per step for transient failures (default 4).
    pub max_attempts: u32,
    /// First pause between attempts, doubled each time (default 250 ms).
    pub retry_pause: Duration,
    /// Where fleet locks live (default: `mcpfleet-locks` in the temp directory); `None` disables the lock.
    pub lock_dir: Option<PathBuf>,
    /// How long to wait for another apply of the same fleet (default 10 minutes).
    pub lock_timeout: Duration,
    /// Upstream credentials by variable name instead of the process environment (tests, secret stores).
    pub env: Option<HashMap<String, SecretString>>,
    /// Run on the plan before any write.
    pub before_writes: Option<BeforeWrites>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            max_attempts: 4,
            retry_pause: Duration::from_millis(250),
            lock_dir: Some(std::env::temp_dir().join("mcpfleet-locks")),
            lock_timeout: Duration::from_secs(600),
            env: None,
            before_writes: None,
        }
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("retry_pause", &self.retry_pause)
            .field("lock_dir", &self.lock_dir)
            .field("lock_timeout", &self.lock_timeout)
            .field(
                "env",
                &self.env.as_ref().map(|env| env.keys().collect::<Vec<_>>()),
            )
            .field("before_writes", &self.before_writes.is_some())
            .finish()
    }
}

impl ApplyOptions {
    /// Sets the concurrency (at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets the attempts per step (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first pause between attempts.
    pub fn retry_pause(mut self, pause: Duration) -> Self {
        self.retry_pause = pause;
        self
    }

    /// Keeps fleet locks in `dir`, or disables locking with `None`.
    pub fn lock_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.lock_dir = dir;
        self
    }

    /// Reads upstream credentials from `env` instead of the process environment.
    pub fn env(mut self, env: HashMap<String, SecretString>) -> Self {
        self.env = Some(env);
        self
    }

    /// Runs `hook` on the plan before any write.
    pub fn before_writes(
        mut self,
        hook: impl Fn(&Plan) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.before_writes = Some(Arc::new(hook));
        self
    }
}

/// What a step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Subject {
    /// An upstream MCP server.
    Upstream,
    /// A virtual server.
    VirtualServer,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
#[non_exhaustive]
pub enum Outcome {
    /// Written.
    Done,
    /// Nothing to write.
    Unchanged,
    /// Owned but undeclared, kept.
    Retained,
    /// Not attempted because a step it depends on failed.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Failed; the next apply starts over from what the gateway has.
    Failed {
        /// How.
        kind: FailureKind,
        /// HTTP status, if any.
        status: Option<u16>,
        /// The gateway's message.
        message: String,
    },
}

/// One step of an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepReport {
    /// Upstream or virtual server.
    pub subject: Subject,
    /// Its name.
    pub name: String,
    /// What the plan said.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// The record's id afterwards.
    pub id: Option<String>,
    /// Write calls sent for it (more than 1: retried).
    pub attempts: u32,
    /// Wall time.
    pub elapsed_ms: u64,
    /// What happened on the way (a retry, a registration found after a lost answer).
    pub notes: Vec<String>,
}

/// The result of an apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApplyReport {
    /// The fleet.
    pub fleet: String,
    /// The gateway.
    pub gateway: String,
    /// Apply or sync.
    pub mode: Mode,
    /// The plan that was applied.
    pub plan: PlanSummary,
    /// One entry per step, in execution order.
    pub steps: Vec<StepReport>,
    /// Write calls sent (retries included).
    pub writes: usize,
    /// Time spent waiting for another apply of the fleet.
    pub waited_for_lock_ms: u64,
    /// Wall time.
    pub elapsed_ms: u64,
}

impl ApplyReport {
    /// The steps that failed.
    pub fn failures(&self) -> impl Iterator<Item = &StepReport> {
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. }))
    }

    /// The steps that needed more than one attempt.
    pub fn retried(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| s.attempts > 1)
    }

    /// `Ok(self)` when every step succeeded, else [`Error::Incomplete`] naming the first failure.
    pub fn into_result(self) -> Result<Self> {
        let failed: Vec<&StepReport> = self.failures().collect();
        match failed.first() {
            None => Ok(self),
            Some(first) => Err(Error::Incomplete {
                what: "apply",
                failed: failed.len(),
                total: self.steps.len(),
                first: format!(
                    "{} `{}`: {}",
                    first.action.label(),
                    first.name,
                    describe(&first.outcome)
                ),
            }),
        }
    }
}

pub(crate) fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done => "done".to_owned(),
        Outcome::Unchanged => "unchanged".to_owned(),
        Outcome::Retained => "retained".to_owned(),
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
        Outcome::Failed {
            status: Some(status),
            message,
            ..
        } => format!("failed (HTTP {status}): {message}"),
        Outcome::Failed { message, .. } => format!("failed: {message}"),
    }
}

/// A fleet manifest bound to a gateway: plan, apply, sync, verify.
///
/// ```no_run
/// # #[cfg(feature = "testing")]
/// # async fn demo() -> mcpfleet_registry::Result<()> {
/// use mcpfleet_registry::{ApplyOptions, Manifest, MemoryGateway, Mode, Registry};
///
/// let manifest = Manifest::from_path("fleet.yaml")?;
/// let registry = Registry::new(manifest, MemoryGateway::new())?;
/// let plan = registry.plan(Mode::Apply).await?;
/// println!("{}", plan.to_table());
/// let report = registry.apply(Mode::Apply, &ApplyOptions::default()).await?.into_result()?;
/// assert!(registry.plan(Mode::Apply).await?.is_converged());
/// # let _ = report; Ok(()) }
/// ```
#[derive(Debug)]
pub struct Registry<G> {
    manifest: Manifest,
    desired: Desired,
    gateway: G,
    writes: AtomicUsize,
}

impl<G: Gateway> Registry<G> {
    /// Binds a checked manifest to a gateway.
    ///
    /// A manifest with `targets` is refused ([`Error::SeveralTargets`]): a registry talks to one gateway.
    pub fn new(manifest: Manifest, gateway: G) -> Result<Self> {
        if !manifest.targets.is_empty() {
            return Err(crate::error::Error::SeveralTargets {
                targets: manifest.targets.iter().map(|t| t.name.clone()).collect(),
            });
        }
        let desired = Desired::from_manifest(&manifest)?;
        Ok(Self {
            manifest,
            desired,
            gateway,
            writes: AtomicUsize::new(0),
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The gateway.
    pub fn gateway(&self) -> &G {
        &self.gateway
    }

    /// The fleet's ownership tag.
    pub fn owner_tag(&self) -> String {
        owner_tag(&self.manifest.fleet)
    }

    /// Reads what the plan compares: every upstream, virtual server and tool (three listings, read together).
    pub async fn observe(&self) -> Result<Observed> {
        let (upstreams, virtual_servers, tools) = futures_util::future::try_join3(
            self.gateway.list_upstreams(),
            self.gateway.list_virtual_servers(),
            self.gateway.list_tools(None),
        )
        .await?;
        Ok(Observed {
            upstreams,
            virtual_servers,
            tools,
        })
    }

    /// What applying (or syncing) would do now. Reads only.
    pub async fn plan(&self, mode: Mode) -> Result<Plan> {
        Ok(Plan::compute(&self.desired, &self.observe().await?, mode))
    }

    /// Plans and applies under the fleet lock.
    pub async fn apply(&self, mode: Mode, options: &ApplyOptions) -> Result<ApplyReport> {
        let lock = self.lock(options).await?;
        let observed = self.observe().await?;
        let plan = Plan::compute(&self.desired, &observed, mode);
        self.execute(&plan, &observed, options, lock.as_ref()).await
    }

    /// Applies a saved plan, after checking that it was made for this fleet and gateway and that the gateway
    /// has not changed since ([`Error::StalePlan`]).
    pub async fn apply_plan(&self, plan: &Plan, options: &ApplyOptions) -> Result<ApplyReport> {
        if plan.fleet != self.desired.fleet {
            return Err(Error::PlanMismatch {
                field: "fleet",
                planned: plan.fleet.clone(),
                given: self.desired.fleet.clone(),
            });
        }
        if !same_url(&plan.gateway, &self.desired.gateway_url) {
            return Err(Error::PlanMismatch {
                field: "gateway",
                planned: plan.gateway.clone(),
                given: self.desired.gateway_url.clone(),
            });
        }
        let lock = self.lock(options).await?;
        let observed = self.observe().await?;
        let current = Plan::compute(&self.desired, &observed, plan.mode);
        if current.basis != plan.basis {
            return Err(Error::StalePlan {
                planned: plan.basis.clone(),
                current: current.basis,
            });
        }
        self.execute(plan, &observed, options, lock.as_ref()).await
    }

    async fn lock(&self, options: &ApplyOptions) -> Result<Option<FleetLock>> {
        match &options.lock_dir {
            None => Ok(None),
            Some(dir) => FleetLock::acquire(
                dir,
                &self.desired.gateway_url,
                &self.desired.fleet,
                options.lock_timeout,
            )
            .await
            .map(Some),
        }
    }

    async fn execute(
        &self,
        plan: &Plan,
        observed: &Observed,
        options: &ApplyOptions,
        lock: Option<&FleetLock>,
    ) -> Result<ApplyReport> {
        // A plan from a file may contradict itself (computed plans never do): a registration deleted and kept.
        let mut conflicts = plan.conflicts();
        conflicts.extend(plan.contradictions());
        if !conflicts.is_empty() {
            return Err(Error::Conflicts { conflicts });
        }
        if let Some(hook) = &options.before_writes {
            hook(plan)?;
        }
        let credentials = self.credentials(plan, options)?;
        let started = Instant::now();
        let writes_before = self.writes.load(Ordering::Relaxed);
        let mut steps = Vec::new();
        let width = options.concurrency.max(1);

        // Deletes first: a server renamed in the manifest keeps its URL, which the gateway allows only once.
        let deletes = plan
            .virtual_servers
            .iter()
            .filter(|s| s.action == Action::Delete);
        steps.extend(
            in_parallel(deletes, width, |step| {
                self.delete(
                    Subject::VirtualServer,
                    &step.name,
                    step.id.as_ref(),
                    options,
                    |id| async move { self.gateway.delete_virtual_server(&id).await },
                )
            })
            .await,
        );
        let deletes = plan.upstreams.iter().filter(|s| s.action == Action::Delete);
        steps.extend(
            in_parallel(deletes, width, |step| {
                self.delete(
                    Subject::Upstream,
                    &step.name,
                    step.id.as_ref(),
                    options,
                    |id| async move { self.gateway.delete_upstream(&id).await },
                )
            })
            .await,
        );

        let mut upstream_ids: HashMap<String, Option<String>> = HashMap::new();
        let writes = plan
            .upstreams
            .iter()
            .filter(|s| matches!(s.action, Action::Create | Action::Update | Action::Adopt));
        let written = in_parallel(writes, width, |step| {
            self.write_upstream(step, &credentials, options)
        })
        .await;
        for report in written {
            let ok = matches!(report.outcome, Outcome::Done);
            upstream_ids.insert(report.name.clone(), report.id.clone().filter(|_| ok));
            steps.push(report);
        }
        for step in &plan.upstreams {
            match step.action {
                Action::Unchanged | Action::Retain => {
                    if step.action == Action::Unchanged {
                        upstream_ids.insert(step.name.clone(), step.id.clone());
                    }
                    steps.push(untouched(
                        Subject::Upstream,
                        step.action,
                        &step.name,
                        step.id.clone(),
                    ));
                }
                _ => {}
            }
        }

        let vs_writes: Vec<&VirtualServerStep> = plan
            .virtual_servers
            .iter()
            .filter(|s| matches!(s.action, Action::Create | Action::Update | Action::Adopt))
            .collect();
        if !vs_writes.is_empty() {
            // Upstreams registered above have new tools: read them once for every virtual server.
            let tools = match self.gateway.list_tools(None).await {
                Ok(tools) => tools,
                Err(failure) => {
                    for step in vs_writes {
                        steps.push(failed(
                            Subject::VirtualServer,
                            step.action,
                            &step.name,
                            &failure,
                            0,
                        ));
                    }
                    return Ok(self.report(plan, steps, started, writes_before, lock));
                }
            };
            let existing: HashMap<&str, &VirtualServer> = observed
                .virtual_servers
                .iter()
                .map(|v| (v.id.as_str(), v))
                .collect();
            let context = VirtualServerContext {
                upstream_ids: &upstream_ids,
                tools: &tools,
                existing: &existing,
            };
            steps.extend(
                in_parallel(vs_writes, width, |step| {
                    self.write_virtual_server(step, &context, options)
                })
                .await,
            );
        }
        for step in &plan.virtual_servers {
            if matches!(step.action, Action::Unchanged | Action::Retain) {
                steps.push(untouched(
                    Subject::VirtualServer,
                    step.action,
                    &step.name,
                    step.id.clone(),
                ));
            }
        }
        Ok(self.report(plan, steps, started, writes_before, lock))
    }

    fn report(
        &self,
        plan: &Plan,
        steps: Vec<StepReport>,
        started: Instant,
        writes_before: usize,
        lock: Option<&FleetLock>,
    ) -> ApplyReport {
        ApplyReport {
            fleet: plan.fleet.clone(),
            gateway: plan.gateway.clone(),
            mode: plan.mode,
            plan: plan.summary(),
            steps,
            writes: self.writes.load(Ordering::Relaxed) - writes_before,
            waited_for_lock_ms: lock.map_or(0, |l| millis(l.waited)),
            elapsed_ms: millis(started.elapsed()),
        }
    }

    /// Reads every credential the plan's writes send, before the first write.
    fn credentials(
        &self,
        plan: &Plan,
        options: &ApplyOptions,
    ) -> Result<HashMap<String, Credentials>> {
        let read = |name: &str, purpose: String| -> Result<SecretString> {
            let value = match &options.env {
                Some(env) => env.get(name).cloned(),
                None => std::env::var(name).ok().map(SecretString::from),
            };
            value.ok_or_else(|| Error::MissingEnv {
                name: name.to_owned(),
                purpose,
            })
        };
        let mut out = HashMap::new();
        for step in &plan.upstreams {
            let Some(spec) = &step.spec else { continue };
            let sends = step.action == Action::Create || step.patch().auth;
            let (true, Some(auth)) = (sends, &spec.auth) else {
                continue;
            };
            let credentials = match auth {
                UpstreamAuth::Bearer { token_env } => Credentials::Bearer(read(
                    token_env,
                    format!("the bearer token of upstream `{}`", spec.name),
                )?),
                UpstreamAuth::Headers { headers } => Credentials::Headers(
                    headers
                        .iter()
                        .map(|h| {
                            read(
                                &h.value_env,
                                format!("header `{}` of upstream `{}`", h.name, spec.name),
                            )
                            .map(|value| (h.name.clone(), value))
                        })
                        .collect::<Result<_>>()?,
                ),
            };
            out.insert(spec.name.clone(), credentials);
        }
        Ok(out)
    }

    /// Runs `call` until it succeeds, fails for good, or the attempts run out (only for idempotent calls).
    async fn retrying<T, F, Fut>(
        &self,
        options: &ApplyOptions,
        notes: &mut Vec<String>,
        mut call: F,
    ) -> (std::result::Result<T, GatewayFailure>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, GatewayFailure>>,
    {
        let mut attempt = 0;
        let mut pause = options.retry_pause;
        loop {
            attempt += 1;
            self.writes.fetch_add(1, Ordering::Relaxed);
            match call().await {
                Err(failure) if failure.kind.is_transient() && attempt < options.max_attempts => {
                    notes.push(format!("attempt {attempt}: {failure}; retrying"));
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return (other, attempt),
            }
        }
    }

    /// Deletes one record (an upstream or a virtual server); one already gone counts as deleted.
    async fn delete<F, Fut>(
        &self,
        subject: Subject,
        name: &str,
        id: Option<&String>,
        options: &ApplyOptions,
        call: F,
    ) -> StepReport
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = std::result::Result<(), GatewayFailure>>,
    {
        let started = Instant::now();
        let Some(id) = id.cloned() else {
            return untouched(subject, Action::Delete, name, None).with_outcome(Outcome::Skipped {
                reason: "the plan has no id to delete".to_owned(),
            });
        };
        let mut notes = Vec::new();
        let (result, attempts) = self
            .retrying(options, &mut notes, || call(id.clone()))
            .await;
        let result = match result {
            Err(f) if f.kind == FailureKind::NotFound => {
                notes.push("already gone".to_owned());
                Ok(())
            }
            other => other,
        };
        finish(
            subject,
            Action::Delete,
            name,
            Some(id),
            result.map(|()| None),
            attempts,
            notes,
            started,
        )
    }

    async fn write_upstream(
        &self,
        step: &UpstreamStep,
        credentials: &HashMap<String, Credentials>,
        options: &ApplyOptions,
    ) -> StepReport {
        let started = Instant::now();
        let Some(spec) = &step.spec else {
            return skipped(
                Subject::Upstream,
                step.action,
                &step.name,
                step.id.clone(),
                "the plan has no spec",
            );
        };
        let none = Credentials::None;
        let credentials = credentials.get(&spec.name).unwrap_or(&none);
        let mut notes = Vec::new();
        if step.action != Action::Create {
            let patch = step.patch();
            let Some(id) = step.id.clone() else {
                return skipped(
                    Subject::Upstream,
                    step.action,
                    &step.name,
                    None,
                    "the plan has no id to update",
                );
            };
            let (result, attempts) = self
                .retrying(options, &mut notes, || {
                    self.gateway.update_upstream(&id, &patch, credentials)
                })
                .await;
            return finish(
                Subject::Upstream,
                step.action,
                &step.name,
                Some(id),
                result.map(|u| Some(u.id)),
                attempts,
                notes,
                started,
            );
        }
        // A create is sent again only after looking: a lost answer may hide a registration.
        let mut attempts = 0;
        let mut pause = options.retry_pause;
        loop {
            attempts += 1;
            self.writes.fetch_add(1, Ordering::Relaxed);
            let failure = match self.gateway.create_upstream(spec, credentials).await {
                Ok(upstream) => {
                    return finish(
                        Subject::Upstream,
                        step.action,
                        &step.name,
                        None,
                        Ok(Some(upstream.id)),
                        attempts,
                        notes,
                        started,
                    );
                }
                Err(failure) => failure,
            };
            let look_again = failure.kind.may_have_applied()
                || failure.kind.is_conflict()
                || failure.kind == FailureKind::RateLimited;
            if !look_again {
                return finish(
                    Subject::Upstream,
                    step.action,
                    &step.name,
                    None,
                    Err(failure),
                    attempts,
                    notes,
                    started,
                );
            }
            match self.find_own_upstream(spec.name.as_str(), &spec.url).await {
                Ok(Some(found)) => {
                    notes.push(found_by_looking(attempts, &failure, "registered"));
                    return finish(
                        Subject::Upstream,
                        step.action,
                        &step.name,
                        None,
                        Ok(Some(found.id)),
                        attempts,
                        notes,
                        started,
                    );
                }
                Ok(None) if !failure.kind.is_conflict() && attempts < options.max_attempts => {
                    notes.push(format!(
                        "attempt {attempts}: {failure}; not registered, retrying"
                    ));
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Ok(None) => {
                    return finish(
                        Subject::Upstream,
                        step.action,
                        &step.name,
                        None,
                        Err(failure),
                        attempts,
                        notes,
                        started,
                    );
                }
                Err(look) => {
                    notes.push(format!("looking after attempt {attempts} failed: {look}"));
                    return finish(
                        Subject::Upstream,
                        step.action,
                        &step.name,
                        None,
                        Err(failure),
                        attempts,
                        notes,
                        started,
                    );
                }
            }
        }
    }

    /// This fleet's registration of `name` at `url`, if the gateway has one.
    async fn find_own_upstream(
        &self,
        name: &str,
        url: &str,
    ) -> std::result::Result<Option<Upstream>, GatewayFailure> {
        let wanted = slug(name);
        let fleet = self.desired.fleet.as_str();
        Ok(self.gateway.list_upstreams().await?.into_iter().find(|u| {
            slug(&u.name) == wanted && owner_of(&u.tags) == Some(fleet) && same_url(&u.url, url)
        }))
    }

    async fn write_virtual_server(
        &self,
        step: &VirtualServerStep,
        context: &VirtualServerContext<'_>,
        options: &ApplyOptions,
    ) -> StepReport {
        let started = Instant::now();
        let Some(want) = &step.want else {
            return skipped(
                Subject::VirtualServer,
                step.action,
                &step.name,
                step.id.clone(),
                "the plan has no spec",
            );
        };
        let upstream_of = |server: &str| context.upstream_ids.get(server).cloned().flatten();
        let tool_ids = match resolve_picks(&want.tools, &upstream_of, context.tools) {
            Ok(ids) => ids,
            Err(reason) => {
                return skipped(
                    Subject::VirtualServer,
                    step.action,
                    &step.name,
                    step.id.clone(),
                    &reason,
                );
            }
        };
        let mut notes = Vec::new();
        if let Some(id) = step.id.clone() {
            let current = context.existing.get(id.as_str());
            let tools_change = current.is_none_or(|v| {
                let mut have = v.tool_ids.clone();
                have.sort();
                have != tool_ids
            });
            let patch = step.patch(tools_change.then(|| tool_ids.clone()));
            if patch == VirtualServerPatch::default() {
                let mut report =
                    untouched(Subject::VirtualServer, step.action, &step.name, Some(id));
                report.outcome = Outcome::Unchanged;
                report
                    .notes
                    .push("nothing left to change once the tools were resolved".to_owned());
                return report;
            }
            let (result, attempts) = self
                .retrying(options, &mut notes, || {
                    self.gateway.update_virtual_server(&id, &patch)
                })
                .await;
            return finish(
                Subject::VirtualServer,
                step.action,
                &step.name,
                Some(id),
                result.map(|v| Some(v.id)),
                attempts,
                notes,
                started,
            );
        }
        let spec = VirtualServerSpec {
            name: want.name.clone(),
            description: want.description.clone(),
            tags: want.tags.clone(),
            visibility: want.visibility,
            team_id: want.team_id.clone(),
            tool_ids,
        };
        let mut attempts = 0;
        let mut pause = options.retry_pause;
        loop {
            attempts += 1;
            self.writes.fetch_add(1, Ordering::Relaxed);
            let failure = match self.gateway.create_virtual_server(&spec).await {
                Ok(created) => {
                    return finish(
                        Subject::VirtualServer,
                        step.action,
                        &step.name,
                        None,
                        Ok(Some(created.id)),
                        attempts,
                        notes,
                        started,
                    );
                }
                Err(failure) => failure,
            };
            if !(failure.kind.may_have_applied()
                || failure.kind.is_conflict()
                || failure.kind == FailureKind::RateLimited)
            {
                return finish(
                    Subject::VirtualServer,
                    step.action,
                    &step.name,
                    None,
                    Err(failure),
                    attempts,
                    notes,
                    started,
                );
            }
            let fleet = self.desired.fleet.as_str();
            let found = self.gateway.list_virtual_servers().await.map(|all| {
                all.into_iter().find(|v| {
                    v.name.eq_ignore_ascii_case(&spec.name) && owner_of(&v.tags) == Some(fleet)
                })
            });
            match found {
                Ok(Some(found)) => {
                    notes.push(found_by_looking(attempts, &failure, "created"));
                    return finish(
                        Subject::VirtualServer,
                        step.action,
                        &step.name,
                        None,
                        Ok(Some(found.id)),
                        attempts,
                        notes,
                        started,
                    );
                }
                Ok(None) if !failure.kind.is_conflict() && attempts < options.max_attempts => {
                    notes.push(format!(
                        "attempt {attempts}: {failure}; not created, retrying"
                    ));
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                _ => {
                    return finish(
                        Subject::VirtualServer,
                        step.action,
                        &step.name,
                        None,
                        Err(failure),
                        attempts,
                        notes,
                        started,
                    );
                }
            }
        }
    }
}

/// Runs `step` over `items`, at most `width` at once, and returns the reports in the items' order.
async fn in_parallel<T, F, Fut>(
    items: impl IntoIterator<Item = T>,
    width: usize,
    step: F,
) -> Vec<StepReport>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = StepReport>,
{
    stream::iter(items)
        .map(step)
        .buffered(width)
        .collect()
        .await
}

struct VirtualServerContext<'a> {
    upstream_ids: &'a HashMap<String, Option<String>>,
    tools: &'a [Tool],
    existing: &'a HashMap<&'a str, &'a VirtualServer>,
}

/// The note for a write whose answer was a failure, although the thing it writes was found in place afterwards:
/// `done` is what the write does ("registered", "created"). After a conflict the writer was a concurrent apply of
/// this fleet; after any other failure it was this very write, whose answer was lost.
fn found_by_looking(attempts: u32, failure: &GatewayFailure, done: &str) -> String {
    if failure.kind.is_conflict() {
        format!(
            "attempt {attempts}: {failure}; a concurrent apply of this fleet had {done} it (found by looking)"
        )
    } else {
        format!(
            "attempt {attempts}: {failure}; the gateway had {done} it (found by looking), so it is not sent again"
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    subject: Subject,
    action: Action,
    name: &str,
    id: Option<String>,
    result: std::result::Result<Option<String>, GatewayFailure>,
    attempts: u32,
    notes: Vec<String>,
    started: Instant,
) -> StepReport {
    let (outcome, id) = match result {
        Ok(new_id) => (Outcome::Done, new_id.or(id)),
        Err(failure) => (
            Outcome::Failed {
                kind: failure.kind,
                status: failure.status,
                message: failure.message,
            },
            id,
        ),
    };
    StepReport {
        subject,
        name: name.to_owned(),
        action,
        outcome,
        id,
        attempts,
        elapsed_ms: millis(started.elapsed()),
        notes,
    }
}

fn failed(
    subject: Subject,
    action: Action,
    name: &str,
    failure: &GatewayFailure,
    attempts: u32,
) -> StepReport {
    StepReport {
        subject,
        name: name.to_owned(),
        action,
        outcome: Outcome::Failed {
            kind: failure.kind,
            status: failure.status,
            message: failure.to_string(),
        },
        id: None,
        attempts,
        elapsed_ms: 0,
        notes: Vec::new(),
    }
}

impl StepReport {
    fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}

fn untouched(subject: Subject, action: Action, name: &str, id: Option<String>) -> StepReport {
    StepReport {
        subject,
        name: name.to_owned(),
        action,
        outcome: if action == Action::Retain {
            Outcome::Retained
        } else {
            Outcome::Unchanged
        },
        id,
        attempts: 0,
        elapsed_ms: 0,
        notes: Vec::new(),
    }
}

fn skipped(
    subject: Subject,
    action: Action,
    name: &str,
    id: Option<String>,
    reason: &str,
) -> StepReport {
    untouched(subject, action, name, id).with_outcome(Outcome::Skipped {
        reason: reason.to_owned(),
    })
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
