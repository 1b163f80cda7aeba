//! The plan: what applying a manifest would change on a gateway, as plain data.
//!
//! [`Plan::compute`] compares the desired state with what the gateway has ([`Observed`]) and lists, for every
//! upstream and virtual server, one [`Action`] with the field-level changes behind it. Only the fields the
//! manifest declares are compared: the gateway's health loop rewrites `last_seen`, `reachable` and
//! `updated_at`, and every update reconnects the upstream, so an update is planned only when a declared field
//! really differs. Conflicts — a name taken by a registration this fleet does not own with another URL, tool
//! names that would collide after slugging, a URL already registered under another name — are found here,
//! before any write.
//!
//! A plan is `Serialize + Deserialize`: save it, review it, apply it later. It carries the fingerprint of the
//! gateway state it was made against ([`Plan::basis`]), and applying a saved plan is refused when the gateway
//! has changed since.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::desired::{Desired, ToolPick, VirtualServerWant, owner_of, owner_tag};
use crate::error::GatewayCall;
use crate::gateway::{
    RegisteredAuth, Tool, Upstream, UpstreamPatch, UpstreamSpec, VirtualServer, VirtualServerPatch,
};
use crate::manifest::UpstreamAuth;
use crate::slug::{slug, tool_name};

/// The plan format this crate writes and reads.
pub const PLAN_FORMAT: u32 = 1;

/// `apply` never deletes; `sync` also deletes what this fleet owns and the manifest no longer declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mode {
    /// Create, update and adopt; never delete.
    Apply,
    /// Apply, and delete owned registrations absent from the manifest.
    Sync,
}

impl Mode {
    /// `apply` or `sync`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Sync => "sync",
        }
    }
}

/// What happens to one upstream or virtual server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Register it.
    Create,
    /// Change the listed fields.
    Update,
    /// Take over a registration with the same name and URL that no fleet owns (tag it, and change the listed
    /// fields).
    Adopt,
    /// Delete it (`sync` only, and only what this fleet owns).
    Delete,
    /// Nothing to do.
    Unchanged,
    /// Owned by this fleet but no longer declared; kept because `apply` never deletes (`sync` would).
    Retain,
    /// Cannot be reconciled: see the reason. Nothing is written while a plan has one.
    Conflict,
}

impl Action {
    /// Whether the action writes.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Self::Create | Self::Update | Self::Adopt | Self::Delete
        )
    }

    /// The word used in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Adopt => "adopt",
            Self::Delete => "delete",
            Self::Unchanged => "unchanged",
            Self::Retain => "retain",
            Self::Conflict => "conflict",
        }
    }

    /// The sign used in tables (`+`, `~`, `-`, …).
    pub fn sign(self) -> char {
        match self {
            Self::Create => '+',
            Self::Update => '~',
            Self::Adopt => '=',
            Self::Delete => '-',
            Self::Unchanged => ' ',
            Self::Retain => '.',
            Self::Conflict => '!',
        }
    }
}

/// One field that differs: its value on the gateway and the value the manifest wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FieldChange {
    /// Field name (`description`, `tags`, `url`, `tools`).
    pub field: String,
    /// On the gateway now.
    pub before: Value,
    /// Wanted.
    pub after: Value,
}

/// The plan for one upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpstreamStep {
    /// Registration name.
    pub name: String,
    /// What happens.
    pub action: Action,
    /// The existing registration's id (absent for a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wanted (absent for a delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<UpstreamSpec>,
    /// The changed fields (update and adopt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why (conflict, retain, delete of a duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The plan for one virtual server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VirtualServerStep {
    /// Name.
    pub name: String,
    /// What happens.
    pub action: Action,
    /// The existing server's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wanted (absent for a delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub want: Option<VirtualServerWant>,
    /// The changed fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why (conflict, retain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the gateway has, as read for a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Observed {
    /// Every upstream.
    pub upstreams: Vec<Upstream>,
    /// Every virtual server.
    pub virtual_servers: Vec<VirtualServer>,
    /// Every tool.
    pub tools: Vec<Tool>,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanSummary {
    /// Creates.
    pub create: usize,
    /// Updates.
    pub update: usize,
    /// Adoptions.
    pub adopt: usize,
    /// Deletes.
    pub delete: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Retained (owned, undeclared, kept by `apply`).
    pub retain: usize,
    /// Conflicts.
    pub conflict: usize,
}

/// Everything applying a manifest would do, in the order it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub format: u32,
    /// The fleet.
    pub fleet: String,
    /// The gateway URL.
    pub gateway: String,
    /// Apply or sync.
    pub mode: Mode,
    /// Fingerprint of the gateway state the plan was made against (the records it reads, without the fields
    /// the gateway's background loops rewrite).
    pub basis: String,
    /// One step per declared upstream, plus owned ones no longer declared.
    pub upstreams: Vec<UpstreamStep>,
    /// One step per declared virtual server, plus owned ones no longer declared.
    pub virtual_servers: Vec<VirtualServerStep>,
}

impl Plan {
    /// Compares the desired state of a manifest with what the gateway has.
    pub(crate) fn compute(desired: &Desired, observed: &Observed, mode: Mode) -> Self {
        // A listing that names one id twice cannot be trusted (two records would map to one registration, and a
        // delete of "the duplicate" would delete the one kept): each such id is a conflict, and the rest of the
        // plan sees every id once.
        let mut listing_conflicts = Vec::new();
        let observed = &unique_ids(observed, &mut listing_conflicts);
        let owner = owner_tag(&desired.fleet);
        let fleet = desired.fleet.as_str();
        let mut upstreams = Vec::new();
        // The registration each declared server maps to, for virtual servers and tool collisions.
        let mut matched: HashMap<String, Option<&Upstream>> = HashMap::new();
        let mut claimed_ids: BTreeSet<&str> = BTreeSet::new();
        let mut deleted_ids: BTreeSet<&str> = BTreeSet::new();

        for spec in &desired.upstreams {
            let wanted_slug = slug(&spec.name);
            let mut candidates: Vec<&Upstream> = observed
                .upstreams
                .iter()
                .filter(|u| slug(&u.name) == wanted_slug)
                .collect();
            // The fleet's own registration first, then the oldest.
            candidates.sort_by_key(|u| {
                (
                    owner_of(&u.tags) != Some(fleet),
                    u.created_at.clone(),
                    u.id.clone(),
                )
            });
            let Some((primary, duplicates)) = candidates.split_first() else {
                matched.insert(spec.name.clone(), None);
                upstreams.push(UpstreamStep {
                    name: spec.name.clone(),
                    action: Action::Create,
                    id: None,
                    spec: Some(spec.clone()),
                    changes: Vec::new(),
                    reason: None,
                });
                continue;
            };
            claimed_ids.insert(&primary.id);
            let step = match owner_of(&primary.tags) {
                Some(other) if other != fleet => conflict_step(
                    spec,
                    primary,
                    format!(
                        "`{}` is registered by fleet `{other}` (tag `{}`); this fleet will not take it over",
                        primary.name,
                        owner_tag(other)
                    ),
                ),
                Some(_) => {
                    let changes = upstream_changes(spec, primary);
                    UpstreamStep {
                        name: spec.name.clone(),
                        action: if changes.is_empty() {
                            Action::Unchanged
                        } else {
                            Action::Update
                        },
                        id: Some(primary.id.clone()),
                        spec: Some(spec.clone()),
                        changes,
                        reason: None,
                    }
                }
                None if same_url(&primary.url, &spec.url) => UpstreamStep {
                    name: spec.name.clone(),
                    action: Action::Adopt,
                    id: Some(primary.id.clone()),
                    spec: Some(spec.clone()),
                    changes: upstream_changes(spec, primary),
                    reason: Some(format!(
                        "registered outside this fleet with the same name and URL; adopting tags it `{owner}`"
                    )),
                },
                None => conflict_step(
                    spec,
                    primary,
                    format!(
                        "the name is taken by a registration this fleet does not own, pointing at {} (not {})",
                        primary.url, spec.url
                    ),
                ),
            };
            matched.insert(spec.name.clone(), Some(primary));
            upstreams.push(step);
            for duplicate in duplicates {
                claimed_ids.insert(&duplicate.id);
                if owner_of(&duplicate.tags) == Some(fleet) {
                    let (action, reason) = match mode {
                        Mode::Sync => {
                            deleted_ids.insert(&duplicate.id);
                            (Action::Delete, "a duplicate of the registration kept above")
                        }
                        Mode::Apply => (
                            Action::Retain,
                            "a duplicate of the registration kept above; `sync` deletes it",
                        ),
                    };
                    upstreams.push(UpstreamStep {
                        name: duplicate.name.clone(),
                        action,
                        id: Some(duplicate.id.clone()),
                        spec: None,
                        changes: Vec::new(),
                        reason: Some(reason.to_owned()),
                    });
                }
            }
        }
        for orphan in observed
            .upstreams
            .iter()
            .filter(|u| owner_of(&u.tags) == Some(fleet) && !claimed_ids.contains(u.id.as_str()))
        {
            let action = match mode {
                Mode::Sync => {
                    deleted_ids.insert(&orphan.id);
                    Action::Delete
                }
                Mode::Apply => Action::Retain,
            };
            upstreams.push(UpstreamStep {
                name: orphan.name.clone(),
                action,
                id: Some(orphan.id.clone()),
                spec: None,
                changes: Vec::new(),
                reason: Some(match mode {
                    Mode::Sync => "owned by this fleet and no longer declared".to_owned(),
                    Mode::Apply => {
                        "owned by this fleet and no longer declared; `sync` would delete it"
                            .to_owned()
                    }
                }),
            });
        }
        find_collisions(desired, observed, &mut upstreams, &deleted_ids);
        let (upstream_conflicts, virtual_server_conflicts): (Vec<_>, Vec<_>) = listing_conflicts
            .into_iter()
            .partition(|(kind, ..)| *kind == Listed::Upstream);
        upstreams.extend(upstream_conflicts.into_iter().map(|(_, id, name, reason)| {
            UpstreamStep {
                name,
                action: Action::Conflict,
                id: Some(id),
                spec: None,
                changes: Vec::new(),
                reason: Some(reason),
            }
        }));

        let mut virtual_servers =
            plan_virtual_servers(desired, observed, mode, &matched, &upstreams);
        virtual_servers.extend(virtual_server_conflicts.into_iter().map(
            |(_, id, name, reason)| VirtualServerStep {
                name,
                action: Action::Conflict,
                id: Some(id),
                want: None,
                changes: Vec::new(),
                reason: Some(reason),
            },
        ));
        let mut plan = Self {
            format: PLAN_FORMAT,
            fleet: desired.fleet.clone(),
            gateway: desired.gateway_url.clone(),
            mode,
            basis: String::new(),
            upstreams,
            virtual_servers,
        };
        plan.basis = basis(desired, observed);
        plan
    }

    /// Counts per action, over upstreams and virtual servers.
    pub fn summary(&self) -> PlanSummary {
        let mut summary = PlanSummary::default();
        let actions = self
            .upstreams
            .iter()
            .map(|s| s.action)
            .chain(self.virtual_servers.iter().map(|s| s.action));
        for action in actions {
            let slot = match action {
                Action::Create => &mut summary.create,
                Action::Update => &mut summary.update,
                Action::Adopt => &mut summary.adopt,
                Action::Delete => &mut summary.delete,
                Action::Unchanged => &mut summary.unchanged,
                Action::Retain => &mut summary.retain,
                Action::Conflict => &mut summary.conflict,
            };
            *slot += 1;
        }
        summary
    }

    /// Whether the gateway already matches the manifest: nothing to write and no conflict (the drift check).
    pub fn is_converged(&self) -> bool {
        self.upstreams
            .iter()
            .map(|s| s.action)
            .chain(self.virtual_servers.iter().map(|s| s.action))
            .all(|a| !a.writes() && a != Action::Conflict)
    }

    /// One sentence per id the plan both deletes and keeps (updates, adopts, leaves unchanged or retains).
    /// A plan computed here never has one; a plan read from a file might, and is then refused before any write.
    pub fn contradictions(&self) -> Vec<String> {
        fn check<'a>(
            kind: &str,
            steps: impl Iterator<Item = (&'a str, Action, Option<&'a String>)> + Clone,
        ) -> Vec<String> {
            let kept: HashMap<&str, &str> = steps
                .clone()
                .filter(|(_, action, _)| *action != Action::Delete)
                .filter_map(|(name, _, id)| Some((id?.as_str(), name)))
                .collect();
            steps
                .filter(|(_, action, _)| *action == Action::Delete)
                .filter_map(|(name, _, id)| {
                    let id = id?;
                    let kept_as = kept.get(id.as_str())?;
                    Some(format!(
                        "{kind} id `{id}` is both deleted (as `{name}`) and kept (as `{kept_as}`)"
                    ))
                })
                .collect()
        }
        let mut out = check(
            "upstream",
            self.upstreams
                .iter()
                .map(|s| (s.name.as_str(), s.action, s.id.as_ref())),
        );
        out.extend(check(
            "virtual server",
            self.virtual_servers
                .iter()
                .map(|s| (s.name.as_str(), s.action, s.id.as_ref())),
        ));
        out
    }

    /// One sentence per conflict.
    pub fn conflicts(&self) -> Vec<String> {
        let upstreams = self
            .upstreams
            .iter()
            .filter(|s| s.action == Action::Conflict)
            .map(|s| {
                format!(
                    "upstream `{}`: {}",
                    s.name,
                    s.reason.as_deref().unwrap_or("conflict")
                )
            });
        let virtual_servers = self
            .virtual_servers
            .iter()
            .filter(|s| s.action == Action::Conflict)
            .map(|s| {
                format!(
                    "virtual server `{}`: {}",
                    s.name,
                    s.reason.as_deref().unwrap_or("conflict")
                )
            });
        upstreams.chain(virtual_servers).collect()
    }

    /// The gateway calls applying this plan makes, reads included: the input of a permission preflight. A
    /// plan that deletes nothing needs no delete permission.
    pub fn calls(&self) -> BTreeSet<GatewayCall> {
        let mut calls = BTreeSet::from([
            GatewayCall::ListUpstreams,
            GatewayCall::ListVirtualServers,
            GatewayCall::ListTools,
        ]);
        for step in &self.upstreams {
            match step.action {
                Action::Create => calls.insert(GatewayCall::CreateUpstream),
                Action::Update | Action::Adopt => calls.insert(GatewayCall::UpdateUpstream),
                Action::Delete => calls.insert(GatewayCall::DeleteUpstream),
                _ => false,
            };
        }
        for step in &self.virtual_servers {
            match step.action {
                Action::Create => calls.insert(GatewayCall::CreateVirtualServer),
                Action::Update | Action::Adopt => calls.insert(GatewayCall::UpdateVirtualServer),
                Action::Delete => calls.insert(GatewayCall::DeleteVirtualServer),
                _ => false,
            };
        }
        calls
    }

    /// The plan as pretty JSON (what `plan --out` saves).
    pub fn to_json(&self) -> String {
        // Plain data: strings, numbers, enums and JSON values always serialize.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a saved plan.
    pub fn from_json(text: &str) -> crate::error::Result<Self> {
        let plan: Self =
            serde_json::from_str(text).map_err(|source| crate::error::Error::Json {
                context: "reading a saved plan".to_owned(),
                source,
            })?;
        if plan.format != PLAN_FORMAT {
            return Err(crate::error::Error::PlanMismatch {
                field: "format",
                planned: plan.format.to_string(),
                given: PLAN_FORMAT.to_string(),
            });
        }
        Ok(plan)
    }
}

fn conflict_step(spec: &UpstreamSpec, existing: &Upstream, reason: String) -> UpstreamStep {
    UpstreamStep {
        name: spec.name.clone(),
        action: Action::Conflict,
        id: Some(existing.id.clone()),
        spec: Some(spec.clone()),
        changes: Vec::new(),
        reason: Some(reason),
    }
}

/// ContextForge stores `127.0.0.1` as `localhost`; trailing slashes and default ports do not matter.
pub(crate) fn normalize_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.host_str() == Some("127.0.0.1") {
                let _ = url.set_host(Some("localhost"));
            }
            let mut text = url.to_string();
            while text.ends_with('/') && url.path() != "/" {
                text.pop();
            }
            text.trim_end_matches('/').to_owned()
        }
        Err(_) => raw.trim_end_matches('/').to_owned(),
    }
}

pub(crate) fn same_url(a: &str, b: &str) -> bool {
    normalize_url(a) == normalize_url(b)
}

/// The declared fields that differ, in a fixed order.
fn upstream_changes(spec: &UpstreamSpec, actual: &Upstream) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut change = |field: &str, before: Value, after: Value| {
        changes.push(FieldChange {
            field: field.to_owned(),
            before,
            after,
        });
    };
    if !same_url(&actual.url, &spec.url) {
        change("url", json!(actual.url), json!(spec.url));
    }
    if actual.transport.is_some_and(|t| t != spec.transport) {
        change("transport", json!(actual.transport), json!(spec.transport));
    }
    if let Some(description) = &spec.description
        && actual.description.as_deref().unwrap_or_default() != description
    {
        change("description", json!(actual.description), json!(description));
    }
    let wanted = wanted_tags(&spec.tags, spec.exact_tags, &actual.tags);
    if sorted(&actual.tags) != wanted {
        change("tags", json!(sorted(&actual.tags)), json!(wanted));
    }
    if let Some(visibility) = spec.visibility
        && actual.visibility != Some(visibility)
    {
        change("visibility", json!(actual.visibility), json!(visibility));
    }
    if let Some(team) = &spec.team_id
        && actual.team_id.as_deref() != Some(team)
    {
        change("team_id", json!(actual.team_id), json!(team));
    }
    if let Some(auth) = &spec.auth {
        let wanted_shape = match auth {
            UpstreamAuth::Bearer { .. } => RegisteredAuth::Bearer,
            UpstreamAuth::Headers { headers } => RegisteredAuth::Headers {
                names: headers.iter().map(|h| h.name.clone()).collect(),
            },
        };
        if !same_auth_shape(&actual.auth, &wanted_shape) {
            change("auth", json!(actual.auth), json!(wanted_shape));
        }
    }
    changes
}

fn same_auth_shape(actual: &RegisteredAuth, wanted: &RegisteredAuth) -> bool {
    match (actual, wanted) {
        (RegisteredAuth::Headers { names: a }, RegisteredAuth::Headers { names: b }) => {
            let lower = |names: &[String]| -> BTreeSet<String> {
                names.iter().map(|n| n.to_ascii_lowercase()).collect()
            };
            lower(a) == lower(b)
        }
        _ => actual == wanted,
    }
}

/// The tag set wanted on a record: exactly the declared ones (ownership included), or the record's own tags
/// plus the ownership tag when none were declared.
fn wanted_tags(declared: &[String], exact: bool, actual: &[String]) -> Vec<String> {
    if exact {
        return sorted(declared);
    }
    let mut tags: Vec<String> = actual.to_vec();
    tags.extend(declared.iter().cloned());
    sorted(&tags)
}

fn sorted(tags: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = tags.iter().collect();
    set.into_iter().cloned().collect()
}

impl UpstreamStep {
    /// The update body for this step: only the changed fields (and the credentials when auth is declared and
    /// its shape changed).
    pub fn patch(&self) -> UpstreamPatch {
        let mut patch = UpstreamPatch::default();
        let Some(spec) = &self.spec else { return patch };
        for change in &self.changes {
            match change.field.as_str() {
                "url" => patch.url = Some(spec.url.clone()),
                "transport" => patch.transport = Some(spec.transport),
                "description" => patch.description = spec.description.clone(),
                "tags" => {
                    patch.tags = serde_json::from_value(change.after.clone()).ok();
                }
                "visibility" => patch.visibility = spec.visibility,
                "team_id" => patch.team_id = spec.team_id.clone(),
                "auth" => patch.auth = true,
                _ => {}
            }
        }
        patch
    }
}

/// Tool names that would collide after slugging, and URLs registered under another name: conflicts before any
/// write (ContextForge 1.1.0 answers 409 only at apply time).
fn find_collisions(
    desired: &Desired,
    observed: &Observed,
    steps: &mut [UpstreamStep],
    deleted: &BTreeSet<&str>,
) {
    let upstream_names: HashMap<&str, &str> = observed
        .upstreams
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    for (spec, expected) in desired.upstreams.iter().zip(&desired.expected_tools) {
        let Some(step) = steps
            .iter_mut()
            .find(|s| s.name == spec.name && s.spec.is_some())
        else {
            continue;
        };
        if step.action == Action::Conflict {
            continue;
        }
        let own_id = step.id.as_deref();
        let foreign = |upstream: Option<&str>| {
            upstream.is_some_and(|id| Some(id) != own_id && !deleted.contains(id))
        };
        let mut reasons = Vec::new();
        for tool in expected {
            let name = tool_name(&spec.name, tool);
            if let Some(taken) = observed
                .tools
                .iter()
                .find(|t| t.name == name && foreign(t.upstream_id.as_deref()))
            {
                let owner = taken
                    .upstream_id
                    .as_deref()
                    .and_then(|id| upstream_names.get(id))
                    .unwrap_or(&"another upstream");
                reasons.push(format!(
                    "its tool `{tool}` would be `{name}`, which `{owner}` already offers (the gateway refuses it \
                     with 409)"
                ));
            }
        }
        if let Some(other) = observed.upstreams.iter().find(|u| {
            foreign(Some(&u.id)) && same_url(&u.url, &spec.url) && slug(&u.name) != slug(&spec.name)
        }) {
            reasons.push(format!(
                "its URL is already registered as `{}` (the gateway refuses a second registration of one URL)",
                other.name
            ));
        }
        if !reasons.is_empty() {
            step.action = Action::Conflict;
            step.changes.clear();
            step.reason = Some(reasons.join("; "));
        }
    }
}

/// What a listing conflict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    Upstream,
    VirtualServer,
}

/// `observed` with every id once (its first record), and a conflict per id the gateway listed more than once:
/// (kind, id, name, reason).
fn unique_ids(
    observed: &Observed,
    conflicts: &mut Vec<(Listed, String, String, String)>,
) -> Observed {
    fn dedupe<T: Clone>(
        items: &[T],
        id: impl Fn(&T) -> &str,
        name: impl Fn(&T) -> &str,
        kind: Listed,
        conflicts: &mut Vec<(Listed, String, String, String)>,
    ) -> Vec<T> {
        let mut seen: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut out = Vec::new();
        for item in items {
            let names = seen.entry(id(item)).or_default();
            if names.is_empty() {
                out.push(item.clone());
            }
            names.push(name(item));
        }
        let mut repeated: Vec<(&str, Vec<&str>)> = seen
            .into_iter()
            .filter(|(_, names)| names.len() > 1)
            .collect();
        repeated.sort();
        for (id, names) in repeated {
            conflicts.push((
                kind,
                id.to_owned(),
                names[0].to_owned(),
                format!(
                    "the gateway listed id `{id}` {} times ({}): its listing cannot be trusted, so nothing is \
                     written until it lists each record once",
                    names.len(),
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        out
    }
    Observed {
        upstreams: dedupe(
            &observed.upstreams,
            |u| u.id.as_str(),
            |u| u.name.as_str(),
            Listed::Upstream,
            conflicts,
        ),
        virtual_servers: dedupe(
            &observed.virtual_servers,
            |v| v.id.as_str(),
            |v| v.name.as_str(),
            Listed::VirtualServer,
            conflicts,
        ),
        tools: observed.tools.clone(),
    }
}

fn plan_virtual_servers(
    desired: &Desired,
    observed: &Observed,
    mode: Mode,
    matched: &HashMap<String, Option<&Upstream>>,
    upstream_steps: &[UpstreamStep],
) -> Vec<VirtualServerStep> {
    let fleet = desired.fleet.as_str();
    let mut steps = Vec::new();
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    // An upstream being created, or moved to another URL, gets new tools: its picks resolve when applying.
    let settled: HashMap<&str, &Upstream> = matched
        .iter()
        .filter_map(|(name, upstream)| {
            let upstream = (*upstream)?;
            let step = upstream_steps.iter().find(|s| &s.name == name)?;
            let moves = step.changes.iter().any(|c| c.field == "url");
            (matches!(
                step.action,
                Action::Unchanged | Action::Update | Action::Adopt
            ) && !moves)
                .then_some((name.as_str(), upstream))
        })
        .collect();
    for want in &desired.virtual_servers {
        let existing = observed
            .virtual_servers
            .iter()
            .filter(|v| v.name.eq_ignore_ascii_case(&want.name))
            .min_by_key(|v| (owner_of(&v.tags) != Some(fleet), v.id.clone()));
        let Some(existing) = existing else {
            steps.push(VirtualServerStep {
                name: want.name.clone(),
                action: Action::Create,
                id: None,
                want: Some(want.clone()),
                changes: Vec::new(),
                reason: None,
            });
            continue;
        };
        claimed.insert(&existing.id);
        let step = match owner_of(&existing.tags) {
            Some(other) if other != fleet => VirtualServerStep {
                name: want.name.clone(),
                action: Action::Conflict,
                id: Some(existing.id.clone()),
                want: Some(want.clone()),
                changes: Vec::new(),
                reason: Some(format!("owned by fleet `{other}`")),
            },
            owner => {
                let changes = virtual_server_changes(want, existing, &settled, &observed.tools);
                let action = match owner {
                    None => Action::Adopt,
                    Some(_) if changes.is_empty() => Action::Unchanged,
                    Some(_) => Action::Update,
                };
                VirtualServerStep {
                    name: want.name.clone(),
                    action,
                    id: Some(existing.id.clone()),
                    want: Some(want.clone()),
                    changes,
                    reason: (action == Action::Adopt).then(|| {
                        "created outside this fleet with the same name; adopting tags it".to_owned()
                    }),
                }
            }
        };
        steps.push(step);
    }
    for orphan in observed
        .virtual_servers
        .iter()
        .filter(|v| owner_of(&v.tags) == Some(fleet) && !claimed.contains(v.id.as_str()))
    {
        steps.push(VirtualServerStep {
            name: orphan.name.clone(),
            action: match mode {
                Mode::Sync => Action::Delete,
                Mode::Apply => Action::Retain,
            },
            id: Some(orphan.id.clone()),
            want: None,
            changes: Vec::new(),
            reason: Some(
                match mode {
                    Mode::Sync => "owned by this fleet and no longer declared",
                    Mode::Apply => {
                        "owned by this fleet and no longer declared; `sync` would delete it"
                    }
                }
                .to_owned(),
            ),
        });
    }
    steps
}

/// The tool ids a virtual server wants, by resolving each pick against the tools of settled upstreams.
/// `None` when a pick's upstream is not settled yet (it is created or moved by this plan).
pub(crate) fn resolve_picks(
    picks: &[ToolPick],
    upstream_of: &dyn Fn(&str) -> Option<String>,
    tools: &[Tool],
) -> Result<Vec<String>, String> {
    let mut ids = BTreeSet::new();
    for pick in picks {
        let Some(upstream_id) = upstream_of(&pick.server) else {
            return Err(format!("upstream `{}` is not registered", pick.server));
        };
        let of_upstream = tools
            .iter()
            .filter(|t| t.upstream_id.as_deref() == Some(upstream_id.as_str()));
        match &pick.tool {
            None => ids.extend(of_upstream.map(|t| t.id.clone())),
            Some(tool) => {
                let found = of_upstream
                    .clone()
                    .find(|t| &t.original_name == tool)
                    .or_else(|| {
                        of_upstream
                            .clone()
                            .find(|t| slug(&t.original_name) == slug(tool))
                    })
                    .ok_or_else(|| format!("`{}` offers no tool `{tool}`", pick.server))?;
                ids.insert(found.id.clone());
            }
        }
    }
    Ok(ids.into_iter().collect())
}

fn virtual_server_changes(
    want: &VirtualServerWant,
    actual: &VirtualServer,
    settled: &HashMap<&str, &Upstream>,
    tools: &[Tool],
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    if let Some(description) = &want.description
        && actual.description.as_deref().unwrap_or_default() != description
    {
        changes.push(FieldChange {
            field: "description".to_owned(),
            before: json!(actual.description),
            after: json!(description),
        });
    }
    let wanted = wanted_tags(&want.tags, want.exact_tags, &actual.tags);
    if sorted(&actual.tags) != wanted {
        changes.push(FieldChange {
            field: "tags".to_owned(),
            before: json!(sorted(&actual.tags)),
            after: json!(wanted),
        });
    }
    if let Some(visibility) = want.visibility
        && actual.visibility != Some(visibility)
    {
        changes.push(FieldChange {
            field: "visibility".to_owned(),
            before: json!(actual.visibility),
            after: json!(visibility),
        });
    }
    let names: HashMap<&str, &str> = tools
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let name_of = |ids: &[String]| -> Vec<String> {
        let set: BTreeSet<String> = ids
            .iter()
            .map(|id| {
                names
                    .get(id.as_str())
                    .map_or_else(|| id.clone(), |n| (*n).to_owned())
            })
            .collect();
        set.into_iter().collect()
    };
    let before = name_of(&actual.tool_ids);
    let upstream_of = |server: &str| settled.get(server).map(|u| u.id.clone());
    match resolve_picks(&want.tools, &upstream_of, tools) {
        Ok(ids) => {
            let current: BTreeSet<&String> = actual.tool_ids.iter().collect();
            if current != ids.iter().collect() {
                changes.push(FieldChange {
                    field: "tools".to_owned(),
                    before: json!(before),
                    after: json!(name_of(&ids)),
                });
            }
        }
        Err(pending) => changes.push(FieldChange {
            field: "tools".to_owned(),
            before: json!(before),
            after: json!(format!("resolved when applying ({pending} yet)")),
        }),
    }
    changes
}

impl VirtualServerStep {
    /// The update body, with the tool set resolved against `tool_ids` (computed when applying).
    pub(crate) fn patch(&self, tool_ids: Option<Vec<String>>) -> VirtualServerPatch {
        let mut patch = VirtualServerPatch::default();
        let Some(want) = &self.want else { return patch };
        for change in &self.changes {
            match change.field.as_str() {
                "description" => patch.description = want.description.clone(),
                "tags" => patch.tags = serde_json::from_value(change.after.clone()).ok(),
                "visibility" => patch.visibility = want.visibility,
                _ => {}
            }
        }
        patch.tool_ids = tool_ids;
        patch
    }
}

/// A stable fingerprint of the records a plan depends on.
fn basis(desired: &Desired, observed: &Observed) -> String {
    let fleet = desired.fleet.as_str();
    let slugs: BTreeSet<String> = desired.upstreams.iter().map(|u| slug(&u.name)).collect();
    let relevant: BTreeMap<&str, &Upstream> = observed
        .upstreams
        .iter()
        .filter(|u| slugs.contains(&slug(&u.name)) || owner_of(&u.tags) == Some(fleet))
        .map(|u| (u.id.as_str(), u))
        .collect();
    let upstreams: Vec<Value> = relevant
        .values()
        .map(|u| {
            json!([
                u.id,
                u.name,
                normalize_url(&u.url),
                u.transport,
                u.description,
                sorted(&u.tags),
                u.visibility,
                u.team_id,
                u.enabled,
                u.version,
                u.auth
            ])
        })
        .collect();
    let names: BTreeSet<String> = desired
        .virtual_servers
        .iter()
        .map(|v| v.name.to_ascii_lowercase())
        .collect();
    let mut virtual_servers: Vec<Value> = observed
        .virtual_servers
        .iter()
        .filter(|v| {
            names.contains(&v.name.to_ascii_lowercase()) || owner_of(&v.tags) == Some(fleet)
        })
        .map(|v| {
            json!([
                v.id,
                v.name,
                v.description,
                sorted(&v.tags),
                v.visibility,
                v.team_id,
                sorted(&v.tool_ids)
            ])
        })
        .collect();
    virtual_servers.sort_by_key(Value::to_string);
    let mut tools: Vec<Value> = observed
        .tools
        .iter()
        .filter(|t| {
            t.upstream_id
                .as_deref()
                .is_some_and(|id| relevant.contains_key(id))
        })
        .map(|t| json!([t.id, t.name, t.original_name, t.upstream_id]))
        .collect();
    tools.sort_by_key(Value::to_string);
    let canonical =
        json!({"upstreams": upstreams, "virtual_servers": virtual_servers, "tools": tools});
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
