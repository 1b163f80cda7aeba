//! Fleet walkthrough: the four steps the seed project did by hand, done with the crates.
//!
//! ```text
//! cargo run -p mcpfleet-examples --example fleet
//! ```
//!
//! 1. **Containers** — `mcpfleet-dockerfile-gen` turns `examples/fleet-containers.yaml` into Dockerfiles, a
//!    `.dockerignore` per server and a compose file (written to `target/fleet-example/`).
//! 2. **Permission audit** — `mcpfleet-scope-audit` answers "does the current token have permission to register
//!    servers?" for the gateway's admin token, and derives the least-privilege token for the fleet plan.
//! 3. **Registration** — `mcpfleet-gateway-client` mints that scoped token and, with it alone, registers three
//!    real script-based MCP servers (stdio behind a bridge, streamable HTTP, SSE), lists their tools and groups
//!    them into a virtual server.
//! 4. **End to end** — a tool call through `/rpc` and through the virtual server's MCP endpoint (official Rust MCP
//!    SDK), and the proof that the scoped token cannot do what it was not given.
//!
//! The gateway (ContextForge 1.1.0) and the servers are real processes on loopback, started by the test harness
//! and stopped when the example ends. Later the same steps run from a declarative manifest with `mcpfleet-registry`.

use std::sync::Arc;

use mcpfleet_dockerfile_gen::{FleetPlan, FleetSpec, Renderer};
use mcpfleet_gateway_client::{Client, Error, GatewayCreate, ServerCreate, TokenCreate, Transport};
use mcpfleet_harness::{Fixtures, Gateway, GatewayOptions, workspace_root};
use mcpfleet_scope_audit::{BearerToken, Catalogue, FLEET_PLAN, Grant, UserRoles};
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
    let admin = Client::builder()
        .base_url(gateway.url())
        .bearer_token(gateway.admin_token())
        .build()?;
    println!(
        "   gateway {} (ContextForge {})",
        gateway.url(),
        admin.version().await?.app.version
    );

    // 2. Permission audit of the token the seed project used for everything: an un-narrowed admin token.
    let catalogue = Catalogue::for_version("1.1.0")?;
    let claims = BearerToken::new(gateway.admin_token()).claims_unverified()?;
    let grant = Grant::from_claims(&claims, UserRoles::platform_admin(gateway.admin_email()));
    let report = catalogue.audit(&grant, FLEET_PLAN)?;
    println!("\n== 2. permission audit of the admin token against the fleet plan");
    println!(
        "   verdict {:?}: {} of {} operations satisfied, {} permissions granted but never needed",
        report.verdict, report.summary.satisfied, report.summary.operations, report.summary.excess
    );
    let recipe = catalogue.least_privilege(FLEET_PLAN)?;
    println!(
        "   least privilege for the plan: {}",
        recipe.request.to_strings().join(", ")
    );

    // 3. Registration with the scoped token only.
    let created = admin
        .tokens()
        .create(
            &TokenCreate::new(format!("fleet-example-{}", std::process::id()))
                .expires_in_days(1)
                .permissions(recipe.request.to_strings()),
        )
        .await?;
    let fleet = admin.with_token(created.expose_token());
    println!(
        "\n== 3. registration with the scoped token (id {})",
        created.token.id
    );
    let mut tool_ids = Vec::new();
    let mut registered = Vec::new();
    for server in fixtures.all() {
        let transport = if server.transport == "SSE" {
            Transport::Sse
        } else {
            Transport::StreamableHttp
        };
        let record = fleet
            .gateways()
            .create(&GatewayCreate::new(server.name, &server.url).transport(transport))
            .await?;
        let tools = fleet.tools().list_by_gateway(&record.id).all().await?;
        println!(
            "   {:<8} {:<15} {:<30} {} tools: {}",
            server.name,
            format!("{transport:?}"),
            server.url,
            tools.len(),
            tools
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        tool_ids.extend(tools.into_iter().map(|t| t.id));
        registered.push(record.id);
    }
    let virtual_server = fleet
        .servers()
        .create(&ServerCreate::new("fleet").tool_ids(tool_ids))
        .await?;
    println!(
        "   virtual server `fleet`: {}",
        fleet.servers().mcp_url(&virtual_server.id)?
    );

    // 4. End to end.
    println!("\n== 4. tool calls through the gateway");
    let add = fleet.tools().resolve(&registered[0], "add").await?;
    let sum = fleet
        .tools()
        .call(&add.name, &json!({"a": 10, "b": 5}))
        .await?;
    println!("   /rpc {}(10, 5) = {}", add.name, sum.text());
    let session = fleet.servers().connect_mcp(&virtual_server.id).await?;
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
        Err(Error::ToolFailed(failure)) => println!(
            "   MCP  utils-fail -> typed ToolFailed: {}",
            failure.result.text()
        ),
        other => println!("   MCP  utils-fail -> unexpected: {other:?}"),
    }
    session.close().await?;
    match fleet.gateways().delete(&registered[0]).await {
        Err(Error::Forbidden(api)) => println!(
            "   the scoped token cannot delete a gateway: HTTP {} {}",
            api.status, api.message
        ),
        other => println!("   delete with the scoped token: unexpected {other:?}"),
    }

    // Clean up with the admin token (the gateway and servers stop when they are dropped).
    admin.servers().delete(&virtual_server.id).await?;
    for id in &registered {
        admin.gateways().delete(id).await?;
    }
    admin.tokens().revoke(&created.token.id).await?;
    println!("\ncleaned up; stopping the gateway and the servers");
    Ok(())
}
