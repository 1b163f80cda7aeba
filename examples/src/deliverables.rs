//! The seed project's deliverables under `docs/`, generated from the bundled manifests and specs.
//!
//! Regenerate with `cargo run -p mcpfleet-examples --example fleet -- docs`; the test
//! `examples/tests/fleet/deliverables.rs` fails when a committed file differs from what this module generates now.
//!
//! The ADR's measured figures come from `docs/container-measurements.json`, which the seed fleet benchmark writes
//! from a run of the seed-shaped fleet's own images (`BENCH_WRITE_DOCS=1 cargo bench -p mcpfleet-harness --bench
//! seed_fleet`; then regenerate).
//!
//! Two kinds of file:
//! - **generated whole** (the audit, the ADR, the Dockerfile templates, the compose file, the client configs);
//! - **prose with generated blocks** (`registration.md`, `e2e.md`): the text between
//!   `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` is replaced, the rest is written by people.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mcpfleet_dockerfile_gen::{
    BuildPlan, FleetPlan, FleetSpec, ImageRef, KubernetesSpec, RegistrarSpec, Renderer,
    SecretKeyRef, ServerSpec, SwarmSpec,
};
use mcpfleet_registry::adr::{Measurements, containerization};
use mcpfleet_registry::clients::{ClientTarget, client_configs};
use mcpfleet_registry::{
    Format, GatewayCall, Manifest, MemoryGateway, Mode, Registry, VerifyOptions,
    bootstrap_roles_file, operation_id, slug, tool_name,
};
use mcpfleet_scope_audit::{Catalogue, Grant, TeamsClaim, TokenClaims, UserClaim, UserRoles};

use crate::{AnyResult, workspace_root};

/// The role name the bootstrap file defines for the registrar.
pub const REGISTRAR_ROLE: &str = "fleet-registrar";

/// The variable the generated client configurations take the caller token from.
pub const CALLER_TOKEN_ENV: &str = "MCPFLEET_CALLER_TOKEN";

/// One file under `docs/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliverable {
    /// Path relative to the workspace root.
    pub path: PathBuf,
    /// What it should contain now.
    pub contents: String,
}

/// Every deliverable, as the code generates it now.
pub async fn deliverables() -> AnyResult<Vec<Deliverable>> {
    let root = workspace_root();
    let docs = PathBuf::from("docs");
    let mut out = Vec::new();
    let mut push = |path: PathBuf, contents: String| out.push(Deliverable { path, contents });

    // 1. Permission audit of the seed's token against what registering the example fleet needs.
    let example = example_manifest()?;
    let audit = permission_audit(&example).await?;
    push(docs.join("permission-audit.md"), audit.markdown);
    push(docs.join("permission-audit.json"), audit.json);
    push(
        docs.join("fleet-registrar-roles.json"),
        audit.roles_file.clone(),
    );

    // 2. The containerization ADR of the seed-shaped twelve-server fleet, with the figures measured on its images.
    let sanctuary = Manifest::from_path(root.join("tests/fixtures/seed/manifest.yaml"))?;
    let measurements_path = root.join("docs/container-measurements.json");
    let measurements: Measurements = serde_json::from_str(
        &std::fs::read_to_string(&measurements_path)
            .map_err(|e| format!("reading {}: {e}", measurements_path.display()))?,
    )?;
    push(
        docs.join("adr-containerization.md"),
        containerization(&sanctuary, measurements).to_markdown(),
    );

    // 3. Dockerfile templates, one per variant, and the example fleet's compose file.
    let renderer = Renderer::new()?;
    let specs = root.join("dockerfile-gen/tests/specs");
    for variant in VARIANTS {
        let path = specs.join(format!("{variant}.yaml"));
        let spec = ServerSpec::from_path(&path)?;
        let files = renderer.render(&BuildPlan::from_spec(&spec)?)?;
        for file in files.files {
            push(
                docs.join("containers").join(variant).join(&file.path),
                file.contents,
            );
        }
    }
    let fleet = FleetSpec::from_path(root.join("examples/fleet-containers.yaml"))?;
    let fleet_plan = FleetPlan::from_spec(&fleet)?;
    let fleet_files = renderer.render_fleet(&fleet_plan)?;
    for file in fleet_files.files {
        push(
            docs.join("containers/fleet").join(&file.path),
            file.contents,
        );
    }
    // The servers' own files beside their Dockerfiles, so that `docker-compose build` works from a checkout.
    for (server, plan) in fleet.servers.iter().zip(&fleet_plan.servers) {
        let generated: Vec<String> = plan
            .supporting_files
            .iter()
            .map(|f| f.path.clone())
            .collect();
        for file in plan.dockerignore.iter().filter_map(|l| l.strip_prefix('!')) {
            if generated.iter().any(|g| g == file) {
                continue;
            }
            let from = root.join("tests/fixtures").join(file);
            let text = std::fs::read_to_string(&from)
                .map_err(|e| format!("reading {}: {e}", from.display()))?;
            push(
                docs.join("containers/fleet")
                    .join(&fleet.context_root)
                    .join(&server.name)
                    .join(file),
                text,
            );
        }
    }
    push(
        docs.join("containers/README.md"),
        containers_readme(&specs)?,
    );
    // The same fleet on Docker Swarm (`docker stack deploy`), the stateless servers at two replicas.
    let swarm = SwarmSpec::default()
        .replicas("utils", 2)
        .replicas("textkit", 2);
    push(
        docs.join("containers/fleet/stack.yml"),
        renderer.render_stack(&fleet_plan.stack(&swarm)?)?,
    );

    // The same fleet on Kubernetes beside ContextForge's chart, registered by a Job with the registrar's role.
    let kubernetes = fleet_plan.kubernetes(&kubernetes_spec(&fleet_plan, &audit.roles_file)?)?;
    let mut kubernetes_objects = String::from("| file | objects |\n|---|---|\n");
    for file in renderer.render_kubernetes(&kubernetes)?.files {
        let objects = object_names(&file.contents)?;
        writeln!(
            kubernetes_objects,
            "| [`{0}`]({0}) | {1} |",
            file.path.display(),
            if objects.is_empty() {
                "Helm values for `charts/mcp-stack`".to_owned()
            } else {
                objects.join(", ")
            }
        )?;
        push(docs.join("kubernetes").join(&file.path), file.contents);
    }
    writeln!(
        kubernetes_objects,
        "| [`Dockerfile.registrar`](Dockerfile.registrar) | the registrar's image |"
    )?;
    push(
        docs.join("kubernetes/Dockerfile.registrar"),
        REGISTRAR_DOCKERFILE.to_owned(),
    );

    // 4 and 5. Prose with generated blocks.
    let blocks = Blocks {
        plan_table: Registry::new(example.clone(), MemoryGateway::new())?
            .plan(Mode::Apply)
            .await?
            .to_table(),
        least_privilege: audit.least_privilege.clone(),
        example: example.clone(),
        kubernetes_objects,
    };
    for name in ["registration.md", "e2e.md", "kubernetes/README.md"] {
        let path = docs.join(name);
        let committed = std::fs::read_to_string(root.join(&path))
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        push(path, fill_blocks(&committed, &blocks)?);
    }

    // Client configurations for the example fleet's virtual server.
    let target = example_client_target(&example)?;
    for file in client_configs(&target) {
        push(docs.join("clients").join(&file.path), file.contents);
    }
    Ok(out)
}

/// The registrar image: the `fleet` example binary on a small Debian base, run by the Kubernetes Job as
/// `apply --verify <manifest>`. The live test `containers::gateway_in_compose_reaches_servers_by_service_name`
/// builds exactly this file and runs the committed Job's container spec with it.
pub const REGISTRAR_DOCKERFILE: &str = r#"# The registrar image for the Kubernetes Job in registrar.yaml: the `fleet` example binary, which applies a fleet
# manifest and verifies it (`fleet apply --verify <manifest>`: idempotent, exit 1 when verify fails).
# Generated by `cargo run -p mcpfleet-examples --example fleet -- docs`; do not edit. Build it beside the binary:
#   cargo build --release -p mcpfleet-examples --example fleet
#   cp target/release/examples/fleet docs/kubernetes/
#   docker build -f docs/kubernetes/Dockerfile.registrar -t mcpfleet/registrar:0.1.0 docs/kubernetes
# The binary checks TLS certificates against the system store: for an HTTPS gateway, use a BASE that has
# ca-certificates installed.
ARG BASE=debian:trixie-slim
FROM ${BASE}
COPY fleet /usr/local/bin/mcpfleet-registrar
USER 10001:10001
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/mcpfleet-registrar"]
CMD ["--help"]
"#;

/// `docs/containers/README.md`: what each variant is and how to build it, online and offline.
fn containers_readme(specs: &Path) -> AnyResult<String> {
    let mut out = String::from(
        "# Container templates\n\n\
         Generated by `cargo run -p mcpfleet-examples --example fleet -- docs` from the specs in \
         `dockerfile-gen/tests/specs/`; do not edit. Each directory holds what `mcpfleet-dockerfile-gen` renders for \
         one kind of server: the `Dockerfile`, an allow-list `.dockerignore` (exactly the files the build copies) \
         and the generator's own files (the FastMCP launcher, the MCP health probe). To use one, put your server's \
         files beside it as the `.dockerignore` names them, or better, write a spec for your server and let the \
         generator render its own.\n\n\
         Every `FROM` reads the `BASE_IMAGE` build argument; its default is a public image (`python:<v>-slim`, \
         `node:<v>-slim`, or the one the spec names). Every image runs as a numeric non-root user and is healthy \
         only when its MCP server answers `tools/list`.\n\n\
         ## Build online\n\n\
         Dependencies come from PyPI (and the npm registry), system packages from Debian:\n\n\
         ```sh\n\
         docker build -t my-server:1 .\n\
         # a mirror, or a private index (plain HTTP needs the trusted host)\n\
         docker build --build-arg PIP_INDEX_URL=https://pypi.example.com/simple/ -t my-server:1 .\n\
         docker build --build-arg NPM_CONFIG_REGISTRY=https://npm.example.com/ -t my-server:1 .\n\
         # another base (a mirror of the default, a hardened in-house image)\n\
         docker build --build-arg BASE_IMAGE=registry.example.com/python:3.13-slim -t my-server:1 .\n\
         ```\n\n\
         The repository's tests build this way: the seed-shaped fleet (`tests/fixtures/seed/fleet.yaml`) is built \
         online with `--network host`, pip installing from a local index (pypiserver) that serves the wheels, apt \
         installing git from Debian's mirror, and `BASE_IMAGE` naming a base made with debootstrap.\n\n\
         ## Build offline\n\n\
         The `*-offline` variants install from a directory in the build context and need no network during the \
         build: fill it where the index is reachable, with the Python and platform of the base image:\n\n\
         ```sh\n\
         pip download --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \\\n\
             -r requirements.txt -d wheels          # and the bridge's lock, if any\n\
         npm ci --cache npm-cache                   # Node: fill an npm cache\n\
         docker build --network none -t my-server:1 .\n\
         ```\n\n\
         ## The variants\n\n| directory | server | what it shows |\n|---|---|---|\n",
    );
    for variant in VARIANTS {
        let path = specs.join(format!("{variant}.yaml"));
        let text = std::fs::read_to_string(&path)?;
        // The spec's leading comment says what the variant is.
        let about: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect();
        let spec = ServerSpec::from_path(&path)?;
        writeln!(
            out,
            "| [`{variant}/`]({variant}/) | `{}` | {} |",
            spec.name,
            about.join(" ")
        )?;
    }
    out.push_str(
        "\n[`fleet/`](fleet/) is the example fleet (`examples/fleet-containers.yaml`) with its servers' files: \
         `docker-compose build` then `docker-compose up` in that directory (the compose file names the secrets it \
         needs), or `docker stack deploy -c stack.yml` once the images exist on the swarm's nodes.\n",
    );
    Ok(out)
}

/// The Kubernetes namespace of the committed manifests (the `mcp-stack` release's).
pub const KUBERNETES_NAMESPACE: &str = "mcp";

/// The variable `examples/fleet.yaml` reads a server's URL from (`${FLEET_UTILS_URL:-…}`).
pub fn server_url_env(server: &str) -> String {
    format!(
        "FLEET_{}_URL",
        server.to_ascii_uppercase().replace('-', "_")
    )
}

/// The Kubernetes spec of the committed manifests: the example fleet in namespace [`KUBERNETES_NAMESPACE`] beside
/// an `mcp-stack` release, the stateless servers at two replicas, and the registrar Job applying
/// `examples/fleet.yaml` with each server's URL set to its Service.
pub fn kubernetes_spec(fleet: &FleetPlan, roles_file: &str) -> AnyResult<KubernetesSpec> {
    let path = workspace_root().join("examples/fleet.yaml");
    let manifest_text = std::fs::read_to_string(&path)?;
    let manifest = example_manifest()?;
    let spec = KubernetesSpec::new(KUBERNETES_NAMESPACE)
        .replicas("utils", 2)
        .replicas("textkit", 2);
    let mut registrar = RegistrarSpec::new(
        ImageRef::new("mcpfleet/registrar", env!("CARGO_PKG_VERSION")),
        manifest_text.clone(),
        vec!["apply".into(), "--verify".into(), "{manifest}".into()],
        SecretKeyRef::new(format!("{}-registrar-token", fleet.name), "token"),
        manifest.gateway.token_env.clone(),
    );
    registrar
        .env
        .insert("MCPGATEWAY_URL".into(), spec.gateway_url());
    for service in &fleet.compose.services {
        let Some(url) = &service.registration_url else {
            continue;
        };
        let name = server_url_env(&service.name);
        // The manifest must read the variable, or the Job would register the default (loopback) URL.
        if !manifest_text.contains(&format!("${{{name}")) {
            return Err(format!("{} does not read `{name}`", path.display()).into());
        }
        registrar.env.insert(name, url.clone());
    }
    registrar.roles_file = Some(roles_file.to_owned());
    Ok(spec.registrar(registrar))
}

/// The Dockerfile variants rendered under `docs/containers/`, by spec name.
pub const VARIANTS: &[&str] = &[
    "python-fastmcp",
    "python-proxy",
    "python-http",
    "python-offline",
    "node-stdio",
    "node-http",
    "node-offline",
    "contextforge-gateway",
];

/// The bundled example fleet manifest (`examples/fleet.yaml`), with its default URLs.
pub fn example_manifest() -> AnyResult<Manifest> {
    let path = workspace_root().join("examples/fleet.yaml");
    let text = std::fs::read_to_string(&path)?;
    Ok(Manifest::from_str_with_env(
        &text,
        Format::Yaml,
        "examples/fleet.yaml",
        |_| None,
    )?)
}

/// Where the committed client configurations point: the manifest's gateway, a placeholder id.
fn example_client_target(manifest: &Manifest) -> AnyResult<ClientTarget> {
    let name = manifest
        .virtual_servers
        .first()
        .map(|v| v.name.clone())
        .ok_or("the example fleet declares a virtual server")?;
    Ok(ClientTarget::new(
        name,
        format!(
            "{}/v1/virtual-servers/VIRTUAL_SERVER_ID/mcp",
            manifest.gateway.url.trim_end_matches('/')
        ),
        CALLER_TOKEN_ENV,
    )?)
}

/// The permission audit and what it derives.
pub struct PermissionAudit {
    /// `docs/permission-audit.md`.
    pub markdown: String,
    /// `docs/permission-audit.json`.
    pub json: String,
    /// The bootstrap roles file.
    pub roles_file: String,
    /// The least-privilege request, one permission per entry.
    pub least_privilege: Vec<String>,
}

/// The calls registering `manifest` on an empty gateway makes (plan, apply, verify), and those a later `sync`
/// can add (updates, deletes).
pub async fn registration_calls(
    manifest: &Manifest,
) -> AnyResult<(BTreeSet<GatewayCall>, BTreeSet<GatewayCall>)> {
    let registry = Registry::new(manifest.clone(), MemoryGateway::new())?;
    let mut first = registry.plan(Mode::Apply).await?.calls();
    first.extend(registry.verify_calls(&VerifyOptions::default()));
    let mut sync = first.clone();
    sync.extend([
        GatewayCall::UpdateUpstream,
        GatewayCall::DeleteUpstream,
        GatewayCall::UpdateVirtualServer,
        GatewayCall::DeleteVirtualServer,
    ]);
    Ok((first, sync))
}

fn operations(calls: &BTreeSet<GatewayCall>) -> Vec<&'static str> {
    calls
        .iter()
        .map(|c| operation_id(*c))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What `python -m mcpgateway.utils.create_jwt_token --admin` writes (signature aside): the token the seed
/// project committed and used for everything.
pub fn seed_admin_claims() -> TokenClaims {
    TokenClaims {
        sub: Some("admin@example.com".into()),
        user: Some(UserClaim {
            email: Some("admin@example.com".into()),
            full_name: Some("CLI User".into()),
            is_admin: true,
            auth_provider: Some("cli".into()),
        }),
        teams: TeamsClaim::Null,
        ..TokenClaims::default()
    }
}

async fn permission_audit(manifest: &Manifest) -> AnyResult<PermissionAudit> {
    let (first, sync) = registration_calls(manifest).await?;
    let catalogue = Catalogue::contextforge_1_1_0();
    let grant = Grant::from_claims(
        &seed_admin_claims(),
        UserRoles::platform_admin("admin@example.com"),
    );
    let report = catalogue.audit(&grant, operations(&sync))?;
    let first_recipe = catalogue.least_privilege(operations(&first))?;
    let sync_recipe = catalogue.least_privilege(operations(&sync))?;
    let roles_file = bootstrap_roles_file(sync_recipe.role.as_ref(), REGISTRAR_ROLE);

    let report_md = report.to_markdown();
    let (title, body) = report_md
        .split_once("\n\n")
        .unwrap_or(("", report_md.as_str()));
    let mut md = String::new();
    writeln!(md, "{title}\n")?;
    writeln!(
        md,
        "<!-- Generated by `cargo run -p mcpfleet-examples --example fleet -- docs`; do not edit. -->\n"
    )?;
    writeln!(
        md,
        "Does the current token have permission to register servers? This audits the token the seed project \
         used for everything — an un-narrowed platform-admin JWT from `create_jwt_token --admin`, committed in \
         plain text — against exactly the gateway operations that registering [`examples/fleet.yaml`]\
         (../examples/fleet.yaml) makes: a first `apply` plus `verify`, and the updates and deletes a later \
         `sync` adds. The operations come from the registry's own plan (`Plan::calls`, \
         `Registry::verify_calls`), the permissions from `mcpfleet-scope-audit`'s catalogue of ContextForge \
         1.1.0, each proven against the real gateway by the live tests.\n"
    )?;
    writeln!(
        md,
        "**Answer:** yes, and far too much: it may do every operation, because it bypasses every role check. \
         The minimal token below does the same job and nothing else; the preflight \
         (`mcpfleet_registry::preflight_hook`) refuses an apply before its first write if the token lacks \
         any of it.\n"
    )?;
    md.push_str(body);
    writeln!(
        md,
        "\n## A smaller token for a one-off registration\n\nA first `apply` plus `verify` (no updates, no deletes) \
         needs only {} — operations {}.\n",
        code_list(first_recipe.request.to_strings().iter().map(String::as_str)),
        code_list(operations(&first).iter().copied()),
    )?;
    writeln!(
        md,
        "## Bootstrap role file\n\nFor a non-admin registrar user, the permissions must also come from a role (the \
         token's scope only narrows what its user may do). Load this with `MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_ENABLED=true` and `MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_FILE` \
         (also in [`fleet-registrar-roles.json`](fleet-registrar-roles.json)):\n\n```json\n{roles_file}```\n"
    )?;
    writeln!(
        md,
        "## A caller token for MCP clients\n\nThe generated client configurations ([`clients/`](clients/)) expect \
         a token that may only list and call tools on the fleet's one virtual server: `scope.permissions` \
         {} with `scope.server_id` set to that server (`mcpfleet_registry::caller_token`). The live test \
         `client_configs::the_caller_token_is_refused_everything_else` shows the gateway refusing it the rest.",
        code_list(
            mcpfleet_registry::caller_token("VIRTUAL_SERVER_ID")?
                .scope
                .permissions
                .to_strings()
                .iter()
                .map(String::as_str)
        )
    )?;

    let json = serde_json::to_string_pretty(&serde_json::json!({
        "token": "un-narrowed platform-admin JWT (create_jwt_token --admin)",
        "audit": report,
        "least_privilege": {"first_registration": first_recipe, "continuous_sync": sync_recipe},
    }))? + "\n";
    Ok(PermissionAudit {
        markdown: md,
        json,
        roles_file,
        least_privilege: sync_recipe.request.to_strings(),
    })
}

fn code_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the generated blocks of the prose documents are made from.
struct Blocks {
    /// The example fleet's plan against an empty gateway.
    plan_table: String,
    least_privilege: Vec<String>,
    example: Manifest,
    /// The table of the Kubernetes files and their objects.
    kubernetes_objects: String,
}

/// `Kind/name` of every object in a multi-document YAML file.
fn object_names(text: &str) -> AnyResult<Vec<String>> {
    let mut names = Vec::new();
    for document in text.split("\n---\n").skip(1) {
        let object: serde_json::Value = yaml_serde::from_str(document)?;
        names.push(format!(
            "`{}/{}`",
            object["kind"].as_str().unwrap_or("?"),
            object["metadata"]["name"].as_str().unwrap_or("?")
        ));
    }
    Ok(names)
}

/// Replaces every generated block of `text`.
fn fill_blocks(text: &str, blocks: &Blocks) -> AnyResult<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- generated:") {
        let open_end = start
            + rest[start..]
                .find("-->")
                .ok_or("an unterminated `<!-- generated:` marker")?
            + 3;
        let name = rest[start + "<!-- generated:".len()..open_end - 3].trim();
        let close = format!("<!-- /generated:{name} -->");
        let close_at = rest[open_end..]
            .find(&close)
            .ok_or_else(|| format!("no `{close}` after `<!-- generated:{name} -->`"))?
            + open_end;
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(&block(name, blocks)?);
        out.push_str(&close);
        rest = &rest[close_at + close.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

fn block(name: &str, blocks: &Blocks) -> AnyResult<String> {
    Ok(match name {
        "plan" => format!(
            "```text\n{}```\n",
            ensure_newline(blocks.plan_table.clone())
        ),
        "least-privilege" => format!(
            "{}\n",
            blocks
                .least_privilege
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "tool-names" => {
            let mut table = String::from(
                "| upstream | its tool | name through the gateway (`/rpc`, virtual server) |\n|---|---|---|\n",
            );
            for server in &blocks.example.servers {
                for tool in &server.expected_tools {
                    writeln!(
                        table,
                        "| `{}` (slug `{}`) | `{tool}` | `{}` |",
                        server.name,
                        slug(&server.name),
                        tool_name(&server.name, tool)
                    )?;
                }
            }
            table
        }
        "kubernetes-objects" => blocks.kubernetes_objects.clone(),
        other => return Err(format!("unknown generated block `{other}`").into()),
    })
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Writes every deliverable under `root`; returns the paths written.
pub async fn write(root: &Path) -> AnyResult<Vec<PathBuf>> {
    let mut written = Vec::new();
    for d in deliverables().await? {
        let path = root.join(&d.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(d.contents.as_str()) {
            std::fs::write(&path, &d.contents)?;
            written.push(d.path);
        }
    }
    Ok(written)
}

/// The deliverables whose committed copy under `root` differs from what the code generates now.
pub async fn stale(root: &Path) -> AnyResult<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for d in deliverables().await? {
        if std::fs::read_to_string(root.join(&d.path)).ok().as_deref() != Some(d.contents.as_str())
        {
            stale.push(d.path);
        }
    }
    Ok(stale)
}
