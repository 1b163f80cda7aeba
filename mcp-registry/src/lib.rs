//! A declarative fleet manifest for the [IBM ContextForge](https://github.com/IBM/mcp-context-forge) MCP gateway
//! (1.1.0): plan it against the gateway, apply or sync it, verify it by calling tools — with the least-privilege
//! token the plan itself computes.
//!
//! # Tour
//!
//! 1. **Manifest** ([`Manifest`]): one file in TOML, YAML or JSON naming the gateway (URL, and the *name* of the
//!    variable holding the token), the upstream servers (`url` or `container`, transport, auth from environment
//!    variables, expected tools, smoke calls, risk profile) and the virtual servers that bundle their tools. Its
//!    JSON Schema is [`Manifest::json_schema`] (committed as `schema/fleet.schema.json`). Loading reports every
//!    problem at once, each with `file:line:column`, the field path and the nearest valid name; nothing is ever
//!    half-loaded; a key set twice is refused with both positions. [`Manifest::from_path`] reads only regular
//!    files within a size limit ([`LoadOptions`]). [`import_server_json`] reads the MCP registry's `server.json`.
//! 2. **Plan** ([`Plan`]): [`Registry::plan`] compares the manifest with the gateway and lists create / update
//!    (field by field, before → after) / adopt / delete / unchanged / retain / conflict for every upstream and
//!    virtual server. Only declared fields are compared, so the gateway's health loop never shows as drift and no
//!    update is sent that changes nothing. Name collisions after slugging, tool names that would collide, URLs
//!    registered under another name and registrations owned by another fleet are conflicts, found before any
//!    write. A plan is plain data: print it ([`Plan::to_table`]), save it ([`Plan::to_json`]), apply it later
//!    ([`Registry::apply_plan`], refused with [`Error::StalePlan`] when the gateway changed meanwhile). A
//!    converged plan ([`Plan::is_converged`]) is the drift check.
//! 3. **Apply** ([`Registry::apply`]): [`Mode::Apply`] never deletes; [`Mode::Sync`] also deletes what this fleet
//!    owns (registrations tagged `mcpfleet:<fleet>`, see [`owner_tag`]) and the manifest no longer declares.
//!    Writes run with bounded concurrency; a create is never retried blindly (the engine looks for it first); one
//!    step's failure does not stop the others; a per-fleet lock makes two applies of one manifest leave no
//!    duplicate. The [`ApplyReport`] has one line per step with its attempts and time.
//! 4. **Verify** ([`Registry::verify`]): registrations present, expected tools discovered (waiting with a bounded
//!    backoff, never trusting `tools/refresh`), smoke calls answered over `/rpc` and through each virtual server's
//!    MCP endpoint (MCP paging followed). [`VerifyReport`] renders as JSON or Markdown.
//! 5. **Preflight** (feature `preflight`): [`preflight`] checks a token's scope against the calls a plan and its
//!    verify make ([`Plan::calls`], [`Registry::verify_calls`]) and derives the least-privilege token and a
//!    bootstrap role file; [`preflight_hook`] refuses an apply before its first write.
//! 6. **Containerization ADR** ([`adr`]): which servers to containerize, grouped how, and why — from the risk
//!    profiles.
//! 7. **Client configurations** ([`clients`]): the files Claude Desktop, VS Code, Cursor and other MCP clients read,
//!    pointing at a virtual server, with the token referenced from the environment (or a prompt), never inline;
//!    [`caller_token`] (feature `preflight`) is the token they expect — bound to that virtual server, allowed to
//!    list and call its tools and nothing else.
//! 8. **Several gateways** ([`apply_targets`]): a manifest's `targets` (staging and production, regions) each
//!    override the gateway's URL, token variable and team and may take a subset of the servers;
//!    [`Manifest::per_target`] gives each gateway's view, [`apply_targets`] applies and verifies them all, one
//!    failing target never stopping the others, into one [`CombinedReport`]. Another ContextForge is an upstream
//!    like any other (federation): declare its virtual server's MCP endpoint as a server with bearer auth.
//!
//! ```no_run
//! # #[cfg(all(feature = "contextforge", feature = "preflight"))]
//! # async fn demo() -> mcpfleet_registry::Result<()> {
//! use mcpfleet_registry::{ApplyOptions, ContextForge, Manifest, Mode, Registry, VerifyOptions, preflight_hook};
//! use mcpfleet_scope_audit::BearerToken;
//!
//! let manifest = Manifest::from_path("fleet.yaml")?; // every problem, with file:line:column
//! let gateway = ContextForge::from_manifest(&manifest)?; // token from the variable the manifest names
//! let registry = Registry::new(manifest, gateway)?;
//!
//! let plan = registry.plan(Mode::Sync).await?;
//! println!("{}", plan.to_table());
//! if !plan.is_converged() {
//!     let token = BearerToken::new(std::env::var("MCPGATEWAY_BEARER_TOKEN").unwrap_or_default());
//!     let options = ApplyOptions::default()
//!         .before_writes(preflight_hook(token, registry.verify_calls(&VerifyOptions::default())));
//!     let report = registry.apply(Mode::Sync, &options).await?;
//!     println!("{}", report.to_table());
//!     report.into_result()?;
//! }
//! let verified = registry.verify(&VerifyOptions::default()).await?;
//! println!("{}", verified.to_markdown());
//! verified.into_result()?;
//! # Ok(()) }
//! ```
//!
//! # The gateway is a trait
//!
//! The engine is generic over [`Gateway`]. The `contextforge` feature implements it on
//! `mcpfleet-gateway-client` ([`ContextForge`]); the `testing` feature adds [`MemoryGateway`], an in-memory model
//! of ContextForge's registration rules (slug uniqueness, one registration per URL, tool-name collisions, no lock
//! between concurrent creates) with fault injection, for property tests. Without features the crate depends on
//! no sibling crate.
//!
//! # Features
//!
//! - `contextforge`: [`ContextForge`], the real gateway (pulls in `mcpfleet-gateway-client` with its MCP session).
//! - `preflight`: [`preflight`], [`preflight_hook`], [`bootstrap_roles_file`] (on `mcpfleet-scope-audit`).
//! - `container`: `container:` servers read as `mcpfleet-dockerfile-gen` specs, their URL taken from the build
//!   plan.
//! - `testing`: [`MemoryGateway`].
//!
//! Performance figures (fresh apply of 50 servers against the real gateway, no-op re-apply) are in the
//! repository's `BENCHMARKS.md`, with the command that reproduces them.
//!
//! # Why each dependency
//!
//! - `serde`, `serde_json`: manifests, plans and reports are data; JSON is the plan file format.
//! - `serde-saphyr`: reads YAML manifests under a budget scaled to the file (64 levels of nesting; what aliases
//!   expand to at most about the file's own size), refusing duplicate keys — a hostile file can neither exhaust
//!   memory nor make a second `gateway.url` win. Its `granit-parser` events (re-exported, so one YAML parser in
//!   the tree) find the line of a field when a manifest has a problem; JSON is read through them too.
//! - `toml`: the TOML format, with spanned tables for positions and duplicate keys refused by the parser.
//! - `yaml_serde`: writes YAML ([`Manifest::to_string_as`]), in the layout the committed files already have.
//! - `serde_ignored`: collects every unknown key in one pass (serde stops at the first).
//! - `serde_path_to_error`: names the field path of a type error.
//! - `strsim`: "did you mean" for misspelt keys and names.
//! - `schemars`: the manifest's JSON Schema, from the same types the loader decodes.
//! - `unicode-normalization`: ContextForge's slug rule folds names to ASCII with NFKD.
//! - `sha2`: a stable fingerprint of the gateway state a saved plan was made against, and lock file names.
//! - `secrecy`: upstream credentials read from the environment are `SecretString`s, never in `Debug`.
//! - `futures-util`: bounded concurrency (`buffered`) without spawning tasks.
//! - `tokio` (`time`): backoff sleeps between attempts and while waiting for tools.
//! - `thiserror`: the one error enum.
//! - `tracing`: debug events for the lock; no output unless a subscriber is installed.
//! - `url`: manifest URLs are checked once, at load.
//! - `mcpfleet-scope-audit`: `credential_shape`, the one test of what a secret looks like, shared with the
//!   container specs — a pasted token is refused in any field and never echoed, and a URL may not expand to one
//!   (with the feature `preflight`, also the token audit).
//! - optional: `mcpfleet-gateway-client`, `mcpfleet-dockerfile-gen` (see Features).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adr;
pub mod clients;
mod container;
#[cfg(feature = "contextforge")]
mod contextforge;
mod desired;
mod engine;
mod error;
mod gateway;
mod lock;
mod manifest;
#[cfg(feature = "testing")]
mod memory;
mod path;
mod plan;
#[cfg(feature = "preflight")]
mod preflight;
mod render;
mod slug;
mod targets;
mod verify;

#[cfg(feature = "contextforge")]
#[cfg_attr(docsrs, doc(cfg(feature = "contextforge")))]
pub use contextforge::ContextForge;
pub use desired::{ToolPick, VirtualServerWant, owner_tag};
pub use engine::{ApplyOptions, ApplyReport, BeforeWrites, Outcome, Registry, StepReport, Subject};
pub use error::{
    Error, FailureKind, GatewayCall, GatewayFailure, Issue, Location, ManifestErrors, Result,
};
pub use gateway::{
    CallRoute, Credentials, Gateway, RegisteredAuth, Tool, ToolOutput, Upstream, UpstreamPatch,
    UpstreamSpec, VirtualServer, VirtualServerPatch, VirtualServerSpec,
};
pub use manifest::{
    ComputeProfile, ContainerSpec, DEFAULT_MAX_BYTES, DEFAULT_TOKEN_ENV, Expectation,
    FilesystemAccess, Format, GatewayTarget, HeaderFromEnv, ImportReport, ImportSkipped,
    LoadOptions, Manifest, NetworkAccess, RiskProfile, ServerDecl, SmokeCall, TargetDecl,
    ToolSelection, UpstreamAuth, UpstreamTransport, VirtualServerDecl, Visibility,
    import_server_json, import_server_json_file,
};
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use memory::{Fault, MemoryGateway};
pub use plan::{
    Action, FieldChange, Mode, Observed, PLAN_FORMAT, Plan, PlanSummary, UpstreamStep,
    VirtualServerStep,
};
#[cfg(all(feature = "preflight", feature = "contextforge"))]
pub use preflight::token_create;
#[cfg(feature = "preflight")]
#[cfg_attr(docsrs, doc(cfg(feature = "preflight")))]
pub use preflight::{
    MissingPermission, PreflightReport, bootstrap_roles_file, caller_token, operation_id,
    preflight, preflight_hook,
};
pub use render::printable;
pub use slug::{TOOL_NAME_SEPARATOR, slug, tool_name};
pub use targets::{CombinedReport, TargetReport, apply_targets};
pub use verify::{CallCheck, ServerCheck, VerifyOptions, VerifyReport, VirtualServerCheck};
