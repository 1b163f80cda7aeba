//! Fleet walkthrough: the seed project's job, done with the four crates.
//!
//! ```text
//! cargo run -p mcpfleet-examples --example fleet
//! ```
//!
//! 1. **Containers** — `mcpfleet-dockerfile-gen` turns `examples/fleet-containers.yaml` into Dockerfiles, a
//!    `.dockerignore` per server and a compose file (written to `target/fleet-example/`).
//! 2. **Manifest and plan** — `mcpfleet-registry` reads `examples/fleet.yaml` (three script-based MCP servers and a
//!    virtual server) and plans it against a real ContextForge; the plan says which gateway operations it needs.
//! 3. **Permission audit** — `mcpfleet-scope-audit` answers "does the current token have permission to register
//!    servers?" for the gateway's admin token against exactly those operations, and derives the least-privilege
//!    token, which the admin mints.
//! 4. **Apply and verify** — with that token alone (a preflight refuses it before any write if it lacks anything),
//!    the registry registers the servers and the virtual server, then verifies expected tools and smoke calls
//!    over `/rpc` and through the virtual server's MCP endpoint.
//! 5. **End to end** — a tool call each way, and the proof that the scoped token cannot do what it was not given.
//!
//! The gateway (ContextForge 1.1.0) and the servers are real processes on loopback, started by the test harness
//! and stopped when the example ends; everything registered is removed with `sync` of an empty manifest.

use std::collections::HashMap;
use std::sync::Arc;

use mcpfleet_dockerfile_gen::{FleetPlan, FleetSpec, Renderer};
use mcpfleet_gateway_client::{Client, Error as ClientError};
use mcpfleet_harness::{Fixtures, Gateway, GatewayOptions, workspace_root};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Format, Manifest, Mode, Registry, VerifyOptions, operation_id,
    preflight, preflight_hook, token_create,
};
use mcpfleet_scope_audit::{BearerToken, Catalogue, Grant, UserRoles};
use serde_json::json;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> AnyResult<()> {
    // 1. Containers: typed spec → plan → files. Nothing is built here; the files are ready for `docker build`.
    let spec: FleetSpec = yaml_serde::from_str(include_str!("fleet-containers.yaml"))?;
    let plan = FleetPlan::from_spec(&spec)?;
    let files = Renderer::new()?.render_fleet(&plan)?;
    let out = workspace_root().join("target").join("fleet-example");
    files.write_to(&out)?;
    println!(
        "== 1. containers: {} files in {}",
        files.files.len(),
        out.display()
    );
    for file in &files.files {
        println!("   {}", file.path.display());
    }

    println!(
        "\n== starting ContextForge and three MCP servers (first run installs them: about a minute)"
    );
    let gateway =
        Arc::new(tokio::task::spawn_blocking(|| Gateway::start(GatewayOptions::default())).await??);
    let fixtures = {
        let gateway = gateway.clone();
        tokio::task::spawn_blocking(move || Fixtures::start(&gateway)).await??
    };
    let admin_client = Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .build()?;
    println!(
        "   gateway {} (ContextForge {})",
        gateway.url(),
        admin_client.version().await?.app.version
    );

    // 2. The manifest, with its URLs pointed at the servers just started.
    let urls = HashMap::from([
        ("MCPGATEWAY_URL", gateway.url().to_owned()),
        ("FLEET_UTILS_URL", fixtures.utils.url.clone()),
        ("FLEET_NOTES_URL", fixtures.notes.url.clone()),
        ("FLEET_TEXTKIT_URL", fixtures.textkit.url.clone()),
    ]);
    let manifest_path = workspace_root().join("examples").join("fleet.yaml");
    let manifest = Manifest::from_str_with_env(
        &std::fs::read_to_string(&manifest_path)?,
        Format::Yaml,
        &manifest_path.display().to_string(),
        |name| urls.get(name).cloned(),
    )?;
    let planner = Registry::new(manifest.clone(), ContextForge::new(admin_client.clone()))?;
    let plan = planner.plan(Mode::Apply).await?;
    println!(
        "\n== 2. plan of {}\n{}",
        manifest_path.display(),
        plan.to_table()
    );

    let outcome = run(&gateway, &admin_client, manifest, &plan.calls(), &planner).await;
    // Remove what the fleet registered whatever happened: `sync` of the same fleet with no servers.
    let empty = format!(
        "fleet: {}\ngateway: {{url: \"{}\"}}\n",
        planner.manifest().fleet,
        gateway.url()
    );
    let cleaner = Registry::new(
        Manifest::from_str_as(&empty, Format::Yaml, "cleanup")?,
        ContextForge::new(admin_client.clone()),
    )?;
    cleaner
        .apply(Mode::Sync, &ApplyOptions::default())
        .await?
        .into_result()?;
    if let Ok(token_id) = &outcome {
        admin_client.tokens().revoke(token_id).await?;
    }
    println!("\ncleaned up; stopping the gateway and the servers");
    outcome.map(drop)
}

/// Steps 3–5; returns the id of the token it minted, for cleanup.
async fn run(
    gateway: &Gateway,
    admin_client: &Client,
    manifest: Manifest,
    plan_calls: &std::collections::BTreeSet<mcpfleet_registry::GatewayCall>,
    planner: &Registry<ContextForge>,
) -> AnyResult<String> {
    // 3. Permission audit of the token the seed project used for everything: an un-narrowed admin token.
    let verify_options = VerifyOptions::default();
    let mut calls = plan_calls.clone();
    calls.extend(planner.verify_calls(&verify_options));
    // Two calls (MCP `tools/list` and `tools/call`) are one catalogue operation.
    let operations: Vec<&str> = calls
        .iter()
        .map(|c| operation_id(*c))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let admin_token = BearerToken::new(gateway.admin_token());
    let grant = Grant::from_claims(
        &admin_token.claims_unverified()?,
        UserRoles::platform_admin(gateway.admin_email()),
    );
    let report = Catalogue::for_version("1.1.0")?.audit(&grant, &operations)?;
    println!("== 3. permission audit of the admin token against the plan's operations");
    println!("   operations: {}", operations.join(", "));
    println!(
        "   verdict {:?}: {} of {} operations satisfied, {} permissions granted but never needed",
        report.verdict, report.summary.satisfied, report.summary.operations, report.summary.excess
    );
    let recipe = preflight(&calls, &admin_token)?.least_privilege;
    println!(
        "   least privilege: {}",
        recipe.request.to_strings().join(", ")
    );
    let body = recipe
        .token
        .ok_or("the plan needs scoped permissions")?
        .name(format!("fleet-example-{}", std::process::id()))
        .expires_in_days(1);
    let minted = admin_client.tokens().create(&token_create(&body)).await?;
    println!("   minted the scoped token (id {})", minted.token.id);

    // 4. Apply and verify with the scoped token alone.
    let scoped = admin_client.with_token(minted.expose_token());
    let registry = Registry::new(manifest, ContextForge::new(scoped.clone()))?;
    let options = ApplyOptions::default().before_writes(preflight_hook(
        BearerToken::new(minted.expose_token()),
        registry.verify_calls(&verify_options),
    ));
    let applied = registry.apply(Mode::Apply, &options).await?;
    println!("\n== 4. {}", applied.to_table());
    applied.into_result()?;
    let verified = registry.verify(&verify_options).await?;
    println!("{}", verified.to_markdown());
    verified.into_result()?;

    // 5. End to end: one call each way, and a refusal.
    println!("== 5. tool calls through the gateway with the scoped token");
    let utils = scoped.gateways().list().all().await?;
    let utils = utils
        .iter()
        .find(|g| g.name == "utils")
        .ok_or("utils is registered")?;
    let add = scoped.tools().resolve(&utils.id, "add").await?;
    let sum = scoped
        .tools()
        .call(&add.name, &json!({"a": 10, "b": 5}))
        .await?;
    if sum.text() != "15" {
        return Err(format!("add(10, 5) through /rpc answered {:?}", sum.text()).into());
    }
    println!("   /rpc {}(10, 5) = {}", add.name, sum.text());
    let servers = scoped.servers().list().all().await?;
    let fleet = servers
        .iter()
        .find(|s| s.name == "example-fleet")
        .ok_or("the virtual server exists")?;
    let session = scoped.servers().connect_mcp(&fleet.id).await?;
    let words = session
        .call_tool(
            "textkit-word-count",
            &json!({"text": "one gateway, many servers"}),
        )
        .await?;
    println!(
        "   MCP  textkit-word-count(\"one gateway, many servers\") = {}",
        words.text()
    );
    match session
        .call_tool("utils-fail", &json!({"reason": "demo"}))
        .await
    {
        Err(ClientError::ToolFailed(failure)) => {
            println!(
                "   MCP  utils-fail → typed ToolFailed: {}",
                failure.result.text()
            );
        }
        other => {
            return Err(format!(
                "utils-fail should come back as a typed ToolFailed, got {other:?}"
            )
            .into());
        }
    }
    session.close().await?;
    match scoped.gateways().delete(&utils.id).await {
        Err(ClientError::Forbidden(api)) => {
            println!(
                "   the scoped token cannot delete a gateway: HTTP {} {}",
                api.status, api.message
            );
        }
        other => {
            return Err(format!("the scoped token must be refused a delete, got {other:?}").into());
        }
    }
    Ok(minted.token.id.clone())
}
