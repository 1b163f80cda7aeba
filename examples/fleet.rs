//! The main example: the seed project's whole job — a fleet of script-based MCP servers audited, containerized,
//! registered with least privilege, verified and called through one ContextForge gateway — and the verbs to do
//! it for real.
//!
//! ```text
//! cargo run -p mcpfleet-examples --example fleet                      # the whole story on an embedded gateway
//! cargo run -p mcpfleet-examples --example fleet -- --containers      # the same with the servers in Docker
//! MCPGATEWAY_URL=https://gw:4444 MCPGATEWAY_BEARER_TOKEN=… \
//!   cargo run -p mcpfleet-examples --example fleet -- run --manifest my-fleet.yaml   # your gateway, starts nothing
//! cargo run -p mcpfleet-examples --example fleet -- plan|apply|sync|diff|verify|audit|adr|containers|docs …
//! ```
//!
//! With no `MCPGATEWAY_URL`, `run` installs (first run only) and starts a local ContextForge 1.1.0 and the fixture
//! servers through the test harness, and stops them at the end — also on Ctrl-C. The other verbs talk to the
//! gateway the manifest names, with the token from the variable it names.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use mcpfleet_dockerfile_gen::{GeneratedFile, GeneratedFiles};
use mcpfleet_examples::deliverables::{self, CALLER_TOKEN_ENV, REGISTRAR_ROLE};
use mcpfleet_examples::steps::Steps;
use mcpfleet_examples::{AnyResult, one_line, print_line, stdout_failure, workspace_root};
use mcpfleet_gateway_client::{Client, Error as ClientError};
use mcpfleet_harness::{
    Docker, Fixtures, Gateway, GatewayOptions, fleet_images_named, free_port,
    prepare_fixtures_venv, prepare_gateway_venv,
};
use mcpfleet_registry::adr::{Measurements, containerization};
use mcpfleet_registry::clients::{ClientEntry, ClientTarget, McpClient, client_configs};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Format, GatewayCall, LoadOptions, Manifest, Mode, Plan,
    PreflightReport, Registry, VerifyOptions, apply_targets, bootstrap_roles_file, caller_token,
    operation_id, preflight, preflight_hook, token_create, tool_name,
};
use mcpfleet_scope_audit::{AuditReport, BearerToken, Catalogue, CredentialKind, Grant, UserRoles};
use serde_json::{Value, json};

/// Exit code of `diff` when the gateway has drifted from the manifest.
const DRIFT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "fleet",
    about = "Register a fleet of MCP servers with ContextForge: audit, containerize, plan, apply, verify.",
    after_help = "Without a verb: `run` on the bundled example fleet and an embedded gateway.\n\
                  Exit codes: 0 success, 1 error (a plan with conflicts too), 2 drift (diff), 130 interrupted."
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Verb>,
    /// Without a verb, the options of `run`.
    #[command(flatten)]
    run: RunArgs,
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Verb {
    /// The whole story: audit, mint least privilege, plan, apply, verify, call tools, write outputs.
    Run(RunArgs),
    /// Plan the manifest against the gateway.
    Plan(PlanArgs),
    /// Apply the manifest (or a saved plan); never deletes.
    Apply(ApplyArgs),
    /// Apply and delete what the fleet owns but no longer declares.
    Sync(ManifestArg),
    /// Drift check: exit 2 when applying would change anything.
    Diff(DiffArgs),
    /// Check registrations, discovered tools and smoke calls.
    Verify(ManifestArg),
    /// Audit the token against what registering the manifest needs (offline).
    Audit(ManifestArg),
    /// The containerization ADR from the manifest's risk profiles (offline).
    Adr(AdrArgs),
    /// Render Dockerfiles, .dockerignore files and a compose file from a fleet spec (offline).
    Containers(ContainersArgs),
    /// Regenerate the deliverables under docs/ (or check them with --check).
    Docs(DocsArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The fleet manifest (default: the bundled example fleet).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Run the fixture servers as hardened containers built by dockerfile-gen (needs Docker).
    #[arg(long)]
    containers: bool,
    /// Where to write the outputs [default: target/fleet-example].
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ManifestArg {
    /// The fleet manifest (TOML, YAML or JSON).
    manifest: PathBuf,
}

#[derive(Args)]
struct PlanArgs {
    /// The fleet manifest.
    manifest: PathBuf,
    /// Plan a sync (deletes included) instead of an apply.
    #[arg(long)]
    sync: bool,
    /// Save the plan as JSON, to apply later with `apply --plan`.
    #[arg(long)]
    save: Option<PathBuf>,
}

#[derive(Args)]
struct ApplyArgs {
    /// The fleet manifest.
    manifest: PathBuf,
    /// A plan saved by `plan --save`; refused if the gateway changed since.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Verify after applying; exit 1 when verify fails (the registrar Job's command: apply, then prove it).
    #[arg(long)]
    verify: bool,
}

#[derive(Args)]
struct DiffArgs {
    /// The fleet manifest.
    manifest: PathBuf,
    /// Count deletions of undeclared registrations as drift too.
    #[arg(long)]
    sync: bool,
}

#[derive(Args)]
struct AdrArgs {
    /// The fleet manifest.
    manifest: PathBuf,
    /// Measured image sizes and start times (JSON, like docs/container-measurements.json).
    #[arg(long)]
    measurements: Option<PathBuf>,
}

#[derive(Args)]
struct ContainersArgs {
    /// The fleet spec (mcpfleet-dockerfile-gen YAML or JSON).
    spec: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "target/fleet-containers")]
    out: PathBuf,
}

#[derive(Args)]
struct DocsArgs {
    /// Only check: exit 1 naming the stale files.
    #[arg(long)]
    check: bool,
}

/// Things to undo if the run is interrupted: API tokens minted on a gateway that outlives this process.
#[derive(Default, Clone)]
struct Undo {
    tokens: Arc<Mutex<Vec<(Client, String)>>>,
}

impl Undo {
    fn token(&self, client: &Client, id: &str) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.push((client.clone(), id.to_owned()));
        }
    }

    async fn revoke_all(&self) {
        let tokens = self
            .tokens
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for (client, id) in tokens {
            let _ = tokio::time::timeout(Duration::from_secs(5), client.tokens().revoke(&id)).await;
        }
    }
}

/// `RUST_LOG` (a level such as `debug`, or `target=level,…`) turns on the libraries' tracing, on stderr. Tokens
/// never reach it: the client sends them as sensitive headers and logs no bodies.
fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let Ok(spec) = std::env::var("RUST_LOG") else {
        return;
    };
    match spec.parse::<tracing_subscriber::filter::Targets>() {
        Ok(filter) => {
            let _ = tracing_subscriber::registry()
                .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
                .with(filter)
                .try_init();
        }
        Err(e) => eprintln!("RUST_LOG={spec}: {e}; tracing stays off"),
    }
}

fn main() -> ExitCode {
    init_tracing();
    // Usage errors exit 1 (clap's own code, 2, is `diff`'s "drift"); help and version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
            let _ = e.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let steps = Steps::new(cli.json);
    let undo = Undo::default();
    let code = runtime.block_on(async {
        tokio::select! {
            result = dispatch(cli, &steps, &undo) => match result {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {}", one_line(e.as_ref()));
                    // A registrar token minted before the failure must not outlive it on the user's gateway.
                    undo.revoke_all().await;
                    ExitCode::FAILURE
                }
            },
            Ok(()) = tokio::signal::ctrl_c() => {
                let during = steps.current().map(|s| format!(" during “{s}”")).unwrap_or_default();
                eprintln!("\ninterrupted{during}: revoking the tokens this run minted, stopping what it started");
                undo.revoke_all().await;
                ExitCode::from(130)
            }
        }
    });
    // Dropping the runtime drops the embedded gateway and fixtures (their supervisors stop them); containers are
    // removed by the harness janitor when this process ends.
    runtime.shutdown_timeout(Duration::from_secs(10));
    if let Some(failure) = stdout_failure() {
        eprintln!("error: writing standard output: {failure}");
        return ExitCode::FAILURE;
    }
    code
}

async fn dispatch(cli: Cli, steps: &Steps, undo: &Undo) -> AnyResult<ExitCode> {
    let json = cli.json;
    match cli.command.unwrap_or(Verb::Run(cli.run)) {
        Verb::Run(args) => run(args, json, steps, undo).await,
        Verb::Plan(args) if args.save.is_none() && has_targets(&args.manifest)? => {
            let mode = if args.sync { Mode::Sync } else { Mode::Apply };
            let mut out = PerTarget::default();
            let mut conflicts = 0;
            for (target, registry) in registries_for(&args.manifest)? {
                let plan = registry.plan(mode).await?;
                conflicts += plan.conflicts().len();
                out.push(target, plan.to_table(), serde_json::to_value(&plan)?);
            }
            out.print(json, "plan");
            Ok(conflict_exit(conflicts).unwrap_or(ExitCode::SUCCESS))
        }
        Verb::Plan(args) => {
            let registry = registry_for(&args.manifest)?;
            let mode = if args.sync { Mode::Sync } else { Mode::Apply };
            let plan = registry.plan(mode).await?;
            if let Some(path) = &args.save {
                write_file(path, &plan.to_json())?;
                eprintln!("plan saved to {}", path.display());
            }
            print_either(json, || plan.to_json(), || plan.to_table());
            Ok(conflict_exit(plan.conflicts().len()).unwrap_or(ExitCode::SUCCESS))
        }
        Verb::Apply(args) if args.plan.is_none() && has_targets(&args.manifest)? => {
            apply_all(&args.manifest, Mode::Apply, json).await
        }
        Verb::Sync(args) if has_targets(&args.manifest)? => {
            apply_all(&args.manifest, Mode::Sync, json).await
        }
        Verb::Apply(args) => {
            let registry = registry_for(&args.manifest)?;
            let options = guarded_options(&registry)?;
            let report = match &args.plan {
                Some(path) => {
                    let plan = Plan::from_json(&read_user_file(path)?)?;
                    registry.apply_plan(&plan, &options).await?
                }
                None => registry.apply(Mode::Apply, &options).await?,
            };
            if !args.verify {
                print_either(json, || to_json(&report), || report.to_table());
                report.into_result()?;
                return Ok(ExitCode::SUCCESS);
            }
            // A failed apply is reported, then verify still says what works.
            let verified = registry.verify(&VerifyOptions::default()).await?;
            print_either(
                json,
                || to_json(&json!({"apply": &report, "verify": &verified})),
                || format!("{}\n{}", report.to_table(), verified.to_markdown()),
            );
            report.into_result()?;
            verified.into_result()?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Sync(args) => {
            let registry = registry_for(&args.manifest)?;
            let report = registry
                .apply(Mode::Sync, &guarded_options(&registry)?)
                .await?;
            print_either(json, || to_json(&report), || report.to_table());
            report.into_result()?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Diff(args) => {
            let mut converged = true;
            let mut conflicts = 0;
            let mut out = PerTarget::default();
            for (target, registry) in registries_for(&args.manifest)? {
                let plan = registry
                    .plan(if args.sync { Mode::Sync } else { Mode::Apply })
                    .await?;
                converged &= plan.is_converged();
                conflicts += plan.conflicts().len();
                out.push(target, plan.to_table(), serde_json::to_value(&plan)?);
            }
            out.print(json, "plan");
            if let Some(failed) = conflict_exit(conflicts) {
                return Ok(failed);
            }
            Ok(if converged {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(DRIFT)
            })
        }
        Verb::Verify(args) => {
            let mut failed = Vec::new();
            let mut out = PerTarget::default();
            for (target, registry) in registries_for(&args.manifest)? {
                let report = registry.verify(&VerifyOptions::default()).await?;
                out.push(
                    target.clone(),
                    report.to_markdown(),
                    serde_json::to_value(&report)?,
                );
                if let Err(e) = report.into_result() {
                    failed.push(format!("{target}: {e}"));
                }
            }
            out.print(json, "verify");
            if !failed.is_empty() {
                return Err(failed.join("; ").into());
            }
            Ok(ExitCode::SUCCESS)
        }
        Verb::Audit(args) => audit(&Manifest::from_path(&args.manifest)?, json).await,
        Verb::Adr(args) => {
            let manifest = Manifest::from_path(&args.manifest)?;
            let measurements = match &args.measurements {
                Some(path) => serde_json::from_str(&read_user_file(path)?)?,
                None => Measurements::default(),
            };
            let adr = containerization(&manifest, measurements);
            print_either(json, || to_json(&adr), || adr.to_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Verb::Containers(args) => {
            let files = render_containers(&args.spec, &args.out)?;
            print_either(
                json,
                || {
                    to_json(
                        &files
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>(),
                    )
                },
                || files.iter().map(|p| format!("{}\n", p.display())).collect(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Verb::Docs(args) => {
            let root = workspace_root();
            if args.check {
                let stale = deliverables::stale(&root).await?;
                if stale.is_empty() {
                    print_line("docs/ is up to date");
                    return Ok(ExitCode::SUCCESS);
                }
                for path in &stale {
                    print_line(&format!("stale: {}", path.display()));
                }
                return Err(format!(
                    "{} file(s) under docs/ differ from what the code generates; run \
                     `cargo run -p mcpfleet-examples --example fleet -- docs`",
                    stale.len()
                )
                .into());
            }
            let written = deliverables::write(&root).await?;
            for path in &written {
                print_line(&format!("wrote {}", path.display()));
            }
            print_line(&format!("{} file(s) changed under docs/", written.len()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_either(json: bool, as_json: impl FnOnce() -> String, as_text: impl FnOnce() -> String) {
    let text = if json { as_json() } else { as_text() };
    print_line(text.strip_suffix('\n').unwrap_or(&text));
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| json!({"error": format!("cannot write JSON: {e}")}).to_string())
}

/// A registry for a manifest file, talking to the gateway it names with the token from the variable it names.
fn registry_for(path: &Path) -> AnyResult<Registry<ContextForge>> {
    let manifest = Manifest::from_path(path)?;
    let gateway = ContextForge::from_manifest(&manifest)?;
    Ok(Registry::new(manifest, gateway)?)
}

fn has_targets(path: &Path) -> AnyResult<bool> {
    Ok(!Manifest::from_path(path)?.targets.is_empty())
}

/// One registry per gateway the manifest targets (one, named `default`, without `targets`).
fn registries_for(path: &Path) -> AnyResult<Vec<(String, Registry<ContextForge>)>> {
    Manifest::from_path(path)?
        .per_target()
        .into_iter()
        .map(|(name, manifest)| {
            let gateway = ContextForge::from_manifest(&manifest)?;
            Ok((name, Registry::new(manifest, gateway)?))
        })
        .collect()
}

/// What a verb found on each target, printed as text (a heading per target) or as one JSON document: the
/// document itself for a manifest without targets, `{"targets": [{"target": …, "<what>": …}]}` with them.
#[derive(Default)]
struct PerTarget(Vec<(String, String, Value)>);

impl PerTarget {
    fn push(&mut self, target: String, text: String, json: Value) {
        self.0.push((target, text, json));
    }

    fn print(self, json: bool, what: &str) {
        let single = matches!(self.0.as_slice(), [(name, _, _)] if name == "default");
        if json {
            let document = if single {
                self.0
                    .into_iter()
                    .next()
                    .map(|(_, _, v)| v)
                    .unwrap_or(Value::Null)
            } else {
                json!({"targets": self.0.into_iter().map(|(t, _, v)| json!({"target": t, what: v})).collect::<Vec<_>>()})
            };
            print_line(&to_json(&document));
            return;
        }
        for (target, text, _) in self.0 {
            if !single {
                print_line(&format!("== target `{target}`"));
            }
            print_line(text.strip_suffix('\n').unwrap_or(&text));
        }
    }
}

/// `apply`/`sync` of a manifest with `targets`: every gateway, each with its own token, then verify; one report.
/// Exit 1 when a plan holds conflicts (shown in it): neither `apply` nor `sync` would run it, so a check that
/// passed on it would mislead.
fn conflict_exit(conflicts: usize) -> Option<ExitCode> {
    (conflicts > 0).then(|| {
        eprintln!(
            "error: the plan has {conflicts} conflict(s), listed above: apply and sync refuse it until they are resolved"
        );
        ExitCode::FAILURE
    })
}

async fn apply_all(path: &Path, mode: Mode, json: bool) -> AnyResult<ExitCode> {
    let manifest = Manifest::from_path(path)?;
    // Each target with its own token, and a preflight on that token before its first write.
    let report = apply_targets(&manifest, mode, Some(&VerifyOptions::default()), |target| {
        let gateway = ContextForge::from_manifest(target)?;
        let calls =
            Registry::new(target.clone(), gateway.clone())?.verify_calls(&VerifyOptions::default());
        let token = BearerToken::new(std::env::var(&target.gateway.token_env).unwrap_or_default());
        Ok((
            gateway,
            ApplyOptions::default().before_writes(preflight_hook(token, calls)),
        ))
    })
    .await;
    print_either(json, || to_json(&report), || report.to_markdown());
    report.into_result()?;
    Ok(ExitCode::SUCCESS)
}

/// Apply options that refuse, before the first write, a token lacking what the plan and its verify need.
fn guarded_options(registry: &Registry<ContextForge>) -> AnyResult<ApplyOptions> {
    let token = manifest_token(registry.manifest())?;
    Ok(ApplyOptions::default().before_writes(preflight_hook(
        token,
        registry.verify_calls(&VerifyOptions::default()),
    )))
}

fn manifest_token(manifest: &Manifest) -> AnyResult<BearerToken> {
    let name = &manifest.gateway.token_env;
    std::env::var(name)
        .map(BearerToken::new)
        .map_err(|_| format!("environment variable `{name}` (the gateway token) is not set").into())
}

/// The catalogue's audit of `token` against `calls`, and the preflight with its least-privilege recipe.
fn audit_calls(
    calls: &BTreeSet<GatewayCall>,
    token: &BearerToken,
) -> AnyResult<(AuditReport, PreflightReport)> {
    let claims = token.claims_unverified()?;
    let operations: BTreeSet<&str> = calls.iter().map(|c| operation_id(*c)).collect();
    // Roles live in the gateway's database; from the token alone, an admin claim is all that is known.
    let owner = claims
        .user
        .as_ref()
        .and_then(|u| u.email.clone())
        .or_else(|| claims.sub.clone())
        .unwrap_or_default();
    let user = if claims.claims_admin() {
        UserRoles::platform_admin(owner)
    } else {
        UserRoles::new(owner, false)
    };
    let report =
        Catalogue::contextforge_1_1_0().audit(&Grant::from_claims(&claims, user), &operations)?;
    Ok((report, preflight(calls, token)?))
}

/// `audit`: the token in the manifest's variable against the calls of a first registration and of later syncs.
async fn audit(manifest: &Manifest, json: bool) -> AnyResult<ExitCode> {
    let token = manifest_token(manifest)?;
    let (_, calls) = deliverables::registration_calls(manifest).await?;
    let (report, pre) = audit_calls(&calls, &token)?;
    let roles = bootstrap_roles_file(pre.least_privilege.role.as_ref(), REGISTRAR_ROLE);
    print_either(
        json,
        || {
            to_json(
                &json!({"audit": report, "preflight": pre, "bootstrap_roles": serde_json::from_str::<Value>(&roles).unwrap_or(Value::Null)}),
            )
        },
        || {
            format!(
                "{}\n## Least privilege for this manifest\n\n`{}`\n\n## Bootstrap role file\n\n```json\n{roles}```\n",
                report.to_markdown(),
                pre.least_privilege.request.to_strings().join("`, `")
            )
        },
    );
    Ok(ExitCode::SUCCESS)
}

fn render_containers(spec: &Path, out: &Path) -> AnyResult<Vec<PathBuf>> {
    let spec = mcpfleet_dockerfile_gen::FleetSpec::from_path(spec)?;
    let plan = mcpfleet_dockerfile_gen::FleetPlan::from_spec(&spec)?;
    let files = mcpfleet_dockerfile_gen::Renderer::new()?.render_fleet(&plan)?;
    files.write_to(out)?;
    Ok(files.files.iter().map(|f| out.join(&f.path)).collect())
}

/// Where the story runs: a gateway this process started, or the user's.
enum Target {
    Embedded {
        gateway: Arc<Gateway>,
        _fixtures: Option<Box<Fixtures>>,
        urls: HashMap<&'static str, String>,
    },
    Remote,
}

async fn run(args: RunArgs, json: bool, steps: &Steps, undo: &Undo) -> AnyResult<ExitCode> {
    let started = Instant::now();
    let out = workspace_root().join(
        args.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("target/fleet-example")),
    );
    let remote = std::env::var("MCPGATEWAY_URL").is_ok();
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| workspace_root().join("examples/fleet.yaml"));
    steps.say(format!(
        "mcpfleet: {} on {}",
        manifest_path.display(),
        if remote {
            "the gateway the manifest names (MCPGATEWAY_URL is set: nothing is started)"
        } else {
            "an embedded ContextForge 1.1.0, started here and stopped at the end"
        }
    ));

    let target = if remote {
        Target::Remote
    } else {
        start_embedded(&args, steps).await?
    };

    // 1. Load and validate.
    let manifest = steps
        .run("load and validate the manifest", async {
            let text = read_user_file(&manifest_path)?;
            let format = Format::from_path(&manifest_path)?;
            let source = manifest_path.display().to_string();
            let manifest = match &target {
                Target::Embedded { urls, .. } => {
                    Manifest::from_str_with_env(&text, format, &source, |name| {
                        urls.get(name).cloned().or_else(|| std::env::var(name).ok())
                    })?
                }
                Target::Remote => Manifest::from_str_with_env(&text, format, &source, |name| {
                    std::env::var(name).ok()
                })?,
            };
            Ok(manifest)
        })
        .await?;
    // The embedded admin token goes only to the embedded gateway: a manifest naming another gateway is refused.
    if let Target::Embedded { gateway, .. } = &target
        && manifest.gateway.url.trim_end_matches('/') != gateway.url().trim_end_matches('/')
    {
        return Err(format!(
            "{} names the gateway {}, not the embedded one: write its url as \"${{MCPGATEWAY_URL}}\", or set \
             MCPGATEWAY_URL and the token variable to run against that gateway",
            manifest_path.display(),
            manifest.gateway.url
        )
        .into());
    }
    steps.detail(format!(
        "fleet `{}`: {} servers, {} virtual server(s), gateway {}",
        manifest.fleet,
        manifest.servers.len(),
        manifest.virtual_servers.len(),
        manifest.gateway.url
    ));
    let credential = match &target {
        Target::Embedded { gateway, .. } => gateway.admin_token().to_owned(),
        Target::Remote => manifest_token(&manifest)?.expose_secret().to_owned(),
    };
    let admin = Client::builder()
        .base_url(&manifest.gateway.url)
        .bearer_token(&credential)
        .build()?;
    let credential = BearerToken::new(credential);
    let claims = credential.claims_unverified()?;

    // 2. Audit the credential against exactly what this run will do.
    let verify_options = VerifyOptions::default();
    let planner = Registry::new(manifest.clone(), ContextForge::new(admin.clone()))?;
    let (report, pre) = steps
        .run("audit the token against the plan", async {
            let mut calls = planner.plan(Mode::Apply).await?.calls();
            calls.extend(planner.verify_calls(&verify_options));
            audit_calls(&calls, &credential)
        })
        .await?;
    steps.detail(format!("operations: {}", pre.operations.join(", ")));
    steps.detail(format!(
        "verdict: {} — {} of {} operations allowed, {} permissions granted that the job never uses",
        report.verdict.label(),
        report.summary.satisfied,
        report.summary.operations,
        report.summary.excess
    ));
    steps.detail(format!(
        "least privilege: {}",
        pre.least_privilege.request.to_strings().join(", ")
    ));

    // 3. Mint the least-privilege token, when the credential may mint tokens (API tokens may not).
    let can_mint = claims.credential_kind() != CredentialKind::ApiToken;
    let registrar = if can_mint {
        let recipe = pre
            .least_privilege
            .token
            .clone()
            .ok_or("the plan needs no scoped permission")?
            .name(format!(
                "{REGISTRAR_ROLE}-{}-{}",
                manifest.fleet,
                std::process::id()
            ))
            .expires_in_days(1);
        let minted = steps
            .run("mint the least-privilege token", async {
                Ok(admin.tokens().create(&token_create(&recipe)).await?)
            })
            .await?;
        undo.token(&admin, &minted.token.id);
        steps.detail(format!(
            "token `{}` (id {}), value never printed",
            minted.token.name, minted.token.id
        ));
        Some(minted)
    } else {
        steps.say(
            "  -  the credential is an API token, which cannot mint tokens: continuing with it",
        );
        None
    };
    let scoped = match &registrar {
        Some(minted) => admin.with_token(minted.expose_token()),
        None => admin.clone(),
    };
    let scoped_token = match &registrar {
        Some(minted) => BearerToken::new(minted.expose_token()),
        None => credential.clone(),
    };

    // 4. Plan, with the token that will apply it.
    let registry = Registry::new(manifest.clone(), ContextForge::new(scoped.clone()))?;
    let plan = steps
        .run("plan", async { Ok(registry.plan(Mode::Apply).await?) })
        .await?;
    steps.detail(plan.to_table());

    // 5. Apply (the preflight refuses a token lacking anything before the first write).
    let options = ApplyOptions::default().before_writes(preflight_hook(
        scoped_token,
        registry.verify_calls(&verify_options),
    ));
    let applied = steps
        .run("apply", async {
            Ok(registry.apply_plan(&plan, &options).await?.into_result()?)
        })
        .await?;
    steps.detail(applied.to_table());

    // 6. Verify: tools found, smoke calls answered.
    let verified = steps
        .run("verify (tools discovered, smoke calls)", async {
            Ok(registry.verify(&verify_options).await?.into_result()?)
        })
        .await?;
    let tools: usize = verified.servers.iter().map(|s| s.found_tools.len()).sum();
    steps.detail(format!(
        "{} servers, {tools} tools found, {} smoke call(s) passed",
        verified.servers.len(),
        verified
            .servers
            .iter()
            .map(|s| s.calls.len())
            .sum::<usize>()
    ));

    // 7. One tool call each way, with its result.
    let (server, smoke) = manifest
        .servers
        .iter()
        .find_map(|s| s.smoke.first().map(|c| (s, c)))
        .ok_or("the manifest has no smoke call to show")?;
    let arguments = Value::Object(smoke.arguments.clone());
    let shown = format!(
        "{}({})",
        smoke.tool,
        smoke
            .arguments
            .values()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let gateway_tool = tool_name(&server.name, &smoke.tool);
    let by_rpc = steps
        .run(format!("call {gateway_tool} through /rpc"), async {
            Ok(scoped.tools().call(&gateway_tool, &arguments).await?.text())
        })
        .await?;
    steps.detail(format!("/rpc  {shown} = {by_rpc}"));
    let virtual_server = match manifest.virtual_servers.first() {
        Some(declared) => {
            let found = scoped.servers().list().all().await?;
            let found = found
                .into_iter()
                .find(|s| s.name == declared.name)
                .ok_or_else(|| {
                    format!("virtual server `{}` is not on the gateway", declared.name)
                })?;
            let by_mcp = steps
                .run(
                    format!(
                        "call {gateway_tool} through virtual server `{}` (MCP)",
                        found.name
                    ),
                    async {
                        let session = scoped.servers().connect_mcp(&found.id).await?;
                        let result = session.call_tool(&gateway_tool, &arguments).await?;
                        session.close().await?;
                        Ok(result.text())
                    },
                )
                .await?;
            steps.detail(format!("MCP  {shown} = {by_mcp}"));
            Some(found)
        }
        None => None,
    };

    // 8. The token is refused what it was not given (a harmless probe: deleting an id that does not exist).
    if registrar.is_some() {
        steps
            .run(
                "the scoped token is refused an operation it was not given",
                async {
                    match scoped
                        .gateways()
                        .delete("00000000000000000000000000000000")
                        .await
                    {
                        Err(ClientError::Forbidden(api)) => Ok(api.status),
                        Err(other) => {
                            Err(format!("expected 403 for gateways.delete, got: {other}").into())
                        }
                        Ok(_) => Err("the scoped token deleted a gateway".into()),
                    }
                },
            )
            .await
            .map(|status| {
                steps.detail(format!(
                    "DELETE /v1/gateways/… → HTTP {status} (gateways.delete not granted)"
                ))
            })?;
    }

    // 9. Client configurations and a caller token bound to the virtual server.
    let clients_dir = out.join("clients");
    if let Some(vs) = &virtual_server {
        let target = ClientTarget::new(
            &vs.name,
            scoped.servers().mcp_url(&vs.id)?,
            CALLER_TOKEN_ENV,
        )?;
        let files = client_configs(&target);
        files
            .iter()
            .map(|file| GeneratedFile::new(&file.path, &file.contents))
            .collect::<GeneratedFiles>()
            .write_to(&clients_dir)?;
        if can_mint {
            let recipe =
                caller_token(&vs.id)?.name(format!("{}-caller-{}", vs.name, std::process::id()));
            let caller = steps
                .run(
                    "mint a caller token bound to the virtual server; check a generated config",
                    async {
                        let minted = admin.tokens().create(&token_create(&recipe)).await?;
                        undo.token(&admin, &minted.token.id);
                        // Connect exactly as the generic mcp.json says, with its reference resolved.
                        let generic = files
                            .iter()
                            .find(|f| f.client == McpClient::Generic)
                            .ok_or("no generic config")?;
                        let entry =
                            ClientEntry::read(McpClient::Generic, &generic.contents, &vs.name)?
                                .resolve(|reference| {
                                    (reference == CALLER_TOKEN_ENV)
                                        .then(|| minted.expose_token().to_owned())
                                })?;
                        let ClientEntry::Http { url, .. } = entry.expose() else {
                            return Err("the generic config is not HTTP".into());
                        };
                        let caller = admin.with_token(minted.expose_token());
                        let session = caller.servers().connect_mcp(&vs.id).await?;
                        let listed = session.list_tools().await?;
                        session.close().await?;
                        Ok((minted, url.clone(), listed.len()))
                    },
                )
                .await?;
            write_secret(&out.join("caller-token"), caller.0.expose_token())?;
            steps.detail(format!(
                "{} lists {} tools with the caller token (scope: {})",
                caller.1,
                caller.2,
                recipe.scope.permissions.to_strings().join(", ")
            ));
            steps.detail(format!(
                "configs in {}; the token is in {} (mode 0600): export {CALLER_TOKEN_ENV}=$(cat {})",
                clients_dir.display(),
                out.join("caller-token").display(),
                out.join("caller-token").display()
            ));
        }
    }

    // 10. Outputs.
    steps
        .run(format!("write outputs to {}", out.display()), async {
            GeneratedFiles::from_iter([
                GeneratedFile::new("plan.json", plan.to_json()),
                GeneratedFile::new("apply-report.json", to_json(&applied)),
                GeneratedFile::new("verify-report.md", verified.to_markdown()),
                GeneratedFile::new("verify-report.json", to_json(&verified)),
                GeneratedFile::new("permission-audit.md", report.to_markdown()),
                GeneratedFile::new(
                    "fleet-registrar-roles.json",
                    bootstrap_roles_file(pre.least_privilege.role.as_ref(), REGISTRAR_ROLE),
                ),
            ])
            .write_to(&out)?;
            let containers = workspace_root().join("examples/fleet-containers.yaml");
            render_containers(&containers, &out.join("containers"))?;
            Ok(())
        })
        .await?;

    // The registrar token's job is done; on a gateway that outlives this run, revoke it.
    if let (Target::Remote, Some(minted)) = (&target, &registrar) {
        admin.tokens().revoke(&minted.token.id).await?;
    }
    let summary = json!({
        "fleet": manifest.fleet,
        "gateway": manifest.gateway.url,
        "embedded": !remote,
        "steps": steps.records(),
        "tool_call": {"rpc": by_rpc, "tool": gateway_tool},
        "seconds": started.elapsed().as_secs_f64(),
    });
    if json {
        print_line(&to_json(&summary));
    } else {
        steps.say(format!(
            "done in {:.1} s{}",
            started.elapsed().as_secs_f64(),
            if remote {
                ""
            } else {
                "; stopping the embedded gateway and servers"
            }
        ));
    }
    drop(target);
    Ok(ExitCode::SUCCESS)
}

/// Installs (first run) and starts ContextForge and the fixture servers — as processes, or as containers with
/// `--containers` when Docker is usable.
async fn start_embedded(args: &RunArgs, steps: &Steps) -> AnyResult<Target> {
    steps
        .blocking(
            "install ContextForge 1.1.0 into target/harness/venvs (first run only)",
            || Ok(prepare_gateway_venv().map(drop)?),
        )
        .await?;
    let gateway = Arc::new(
        steps
            .blocking("start ContextForge on a free loopback port", || {
                Ok(Gateway::start(GatewayOptions::default())?)
            })
            .await?,
    );
    steps.detail(format!(
        "{} (admin token minted with the gateway's own CLI, never printed)",
        gateway.url()
    ));
    let mut urls = HashMap::from([("MCPGATEWAY_URL", gateway.url().to_owned())]);
    if args.containers {
        match Docker::shared() {
            Ok(docker) => {
                let images = steps
                    .blocking(
                        "build the fleet's images from specs, offline (first run: base image and wheels, a few minutes)",
                        move || Ok(fleet_images_named(docker, &["notes", "textkit", "utils-launcher"])?),
                    )
                    .await?;
                for (name, image, path, var) in [
                    ("notes", "notes", "/mcp", "FLEET_NOTES_URL"),
                    ("textkit", "textkit", "/sse", "FLEET_TEXTKIT_URL"),
                    ("utils", "utils-launcher", "/mcp", "FLEET_UTILS_URL"),
                ] {
                    let image = images.get(image)?.clone();
                    let port = free_port()?;
                    steps
                        .blocking(
                            format!("start `{name}` as a hardened container ({})", image.tag),
                            move || {
                                let id = docker.run_hardened(
                                    &image.tag,
                                    None,
                                    image.plan.endpoint.port,
                                    port,
                                )?;
                                docker.wait_healthy(&id, Duration::from_secs(60))?;
                                Ok(())
                            },
                        )
                        .await?;
                    urls.insert(var, format!("http://127.0.0.1:{port}{path}"));
                }
                return Ok(Target::Embedded {
                    gateway,
                    _fixtures: None,
                    urls,
                });
            }
            Err(e) => steps.say(format!(
                "  !  Docker is not usable here ({}): running the servers as processes instead",
                one_line(&e)
            )),
        }
    }
    steps
        .blocking(
            "install the fixture servers' MCP SDK (first run only)",
            || Ok(prepare_fixtures_venv().map(drop)?),
        )
        .await?;
    let fixtures = {
        let gateway = gateway.clone();
        steps
            .blocking("start the three fixture MCP servers", move || {
                Ok(Fixtures::start(&gateway)?)
            })
            .await?
    };
    urls.insert("FLEET_UTILS_URL", fixtures.utils.url.clone());
    urls.insert("FLEET_NOTES_URL", fixtures.notes.url.clone());
    urls.insert("FLEET_TEXTKIT_URL", fixtures.textkit.url.clone());
    Ok(Target::Embedded {
        gateway,
        _fixtures: Some(Box::new(fixtures)),
        urls,
    })
}

/// Reads one file the user named (`apply --plan`, `adr --measurements`, `run --manifest`) as the loaders do: a
/// regular file only (a directory, FIFO or device such as `/dev/zero` is refused before it is opened, so nothing
/// blocks or reads forever) of at most 8 MiB. The error names the file.
fn read_user_file(path: &Path) -> AnyResult<String> {
    Ok(LoadOptions::default().read(path)?)
}

/// Writes one file the user named (`plan --save`); a failure names it. A regular file (or a new one) is replaced
/// whole; a device or a pipe the user named (`/dev/stdout`) is written to as it is.
fn write_file(path: &Path, contents: &str) -> AnyResult<()> {
    use std::io::Write as _;
    if std::fs::metadata(path).is_ok_and(|meta| !meta.is_file() && !meta.is_dir()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut out| {
                out.write_all(contents.as_bytes())
                    .and_then(|()| out.flush())
            })
            .map_err(|e| format!("writing {}: {e}", path.display()).into());
    }
    let (dir, name) = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => (dir, name),
        _ => return Err(format!("{} is not a file name", path.display()).into()),
    };
    GeneratedFiles::from_iter([GeneratedFile::new(name, contents)]).write_to(dir)?;
    Ok(())
}

/// Writes a secret readable by its owner only (created 0600, never widened).
fn write_secret(path: &Path, secret: &str) -> AnyResult<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(())
}
