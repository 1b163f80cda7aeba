//! Live proof of `mcpfleet-scope-audit`'s catalogue against the real gateway.
//!
//! For every catalogue entry, an API token holding exactly the entry's required permissions performs the
//! operation and succeeds; then, for each required permission, a token without it is refused (HTTP 403, or the
//! JSON-RPC `-32003` the catalogue names). Entries no API token can reach are proven the other way round: the
//! credential the catalogue says works (a `*` token, a session-like admin JWT, no token) succeeds, and the one it
//! says is refused (every explicit permission, a `*` API token) is refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mcpfleet_harness::{ApiToken, FixtureKind, FixtureServer, Fixtures, Gateway, with_cleanup};
use mcpfleet_scope_audit::{
    Access, BearerToken, Catalogue, Denial, Grant, OperationRule, PermissionSet, TokenClaims,
    TokenScope, UserRoles, Verdict,
};
use reqwest::Method;
use serde_json::{Value, json};

/// The operations of a registration run: register, read back and refresh upstreams, list their tools, build a
/// virtual server, call tools through `/rpc` and MCP.
const FLEET_PLAN: [&str; 9] = [
    "gateways.create",
    "gateways.list",
    "gateways.get",
    "gateways.refresh_tools",
    "tools.list",
    "servers.create",
    "servers.get",
    "tools.call_rpc",
    "tools.call_mcp",
];

/// A permission no catalogue operation needs, used to keep a "one removed" scope non-empty: an empty
/// `scopes.permissions` would mean unrestricted, not deny-all.
const DECOY: &str = "tags.read";

fn unique(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("sa-{label}-{}-{n}-{nanos:x}", std::process::id())
}

/// One HTTP exchange: status and body.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn short(&self) -> String {
        let body: String = self.body.chars().take(160).collect();
        format!("{} {body}", self.status)
    }
}

async fn send(method: Method, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Answer {
    let gw = Gateway::shared();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut request = client
        .request(method, format!("{}{path}", gw.url()))
        .header("Accept", "application/json, text/event-stream");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Answer { status, body }
}

/// Admin call that must succeed.
async fn admin(method: Method, path: &str, body: Option<&Value>, expected: &[u16]) -> Value {
    let gw = Gateway::shared();
    let answer = send(method.clone(), path, Some(gw.admin_token()), body).await;
    assert!(
        expected.contains(&answer.status),
        "admin {method} {path}: {}",
        answer.short()
    );
    answer.json()
}

/// Mints an API token for the admin with exactly `permissions` and checks what the gateway wrote into it.
async fn mint(permissions: &PermissionSet, minted: &mut Vec<String>) -> ApiToken {
    let gw = Gateway::shared();
    let body = json!({"name": unique("tok"), "expires_in_days": 1,
                      "scope": {"permissions": permissions.to_strings()}});
    let token = gw
        .create_api_token(gw.admin_token(), &body)
        .await
        .unwrap_or_else(|e| panic!("minting a token with {permissions}: {e}"));
    minted.push(token.id.clone());
    // The crate's model of issuance (servers.use added when implied) must match the real token.
    let claims =
        TokenClaims::decode_unverified(&BearerToken::new(token.access_token.clone())).unwrap();
    assert_eq!(
        claims.scope(),
        TokenScope::as_issued(permissions),
        "issued scope for a request of {permissions}"
    );
    token
}

/// What the live world holds for the catalogue proof: an upstream registered as a gateway, its tools, a
/// virtual server over them, and a spare upstream for create/delete.
struct World {
    gateway_id: String,
    tool_id: String,
    tool_name: String,
    server_id: String,
    spare: FixtureServer,
}

impl World {
    async fn build(main: &FixtureServer, spare: FixtureServer) -> World {
        let created = admin(
            Method::POST,
            "/v1/gateways",
            Some(&json!({"name": unique("gw"), "url": main.url, "transport": main.transport})),
            &[200],
        )
        .await;
        let gateway_id = created["id"].as_str().unwrap().to_owned();
        let tools = admin(
            Method::GET,
            &format!("/v1/tools?gateway_id={gateway_id}&limit=0"),
            None,
            &[200],
        )
        .await;
        let tool = tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["originalName"] == "note_list")
            .cloned()
            .expect("note_list discovered");
        let tool_id = tool["id"].as_str().unwrap().to_owned();
        let tool_name = tool["name"].as_str().unwrap().to_owned();
        let server = admin(
            Method::POST,
            "/v1/servers",
            Some(&json!({"server": {"name": unique("vs"), "associated_tools": [tool_id]}})),
            &[201],
        )
        .await;
        let server_id = server["id"].as_str().unwrap().to_owned();
        World {
            gateway_id,
            tool_id,
            tool_name,
            server_id,
            spare,
        }
    }

    async fn teardown(&self) {
        admin(
            Method::DELETE,
            &format!("/v1/servers/{}", self.server_id),
            None,
            &[200, 204],
        )
        .await;
        admin(
            Method::DELETE,
            &format!("/v1/gateways/{}", self.gateway_id),
            None,
            &[200],
        )
        .await;
    }

    /// A throwaway record the destructive operations may consume; `None` for the rest.
    async fn target(&self, op: &str) -> Option<String> {
        let gw = Gateway::shared();
        match op {
            "gateways.delete" => {
                let body = json!({"name": unique("gw-del"), "url": self.spare.url, "transport": self.spare.transport});
                Some(
                    admin(Method::POST, "/v1/gateways", Some(&body), &[200]).await["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            }
            "servers.delete" => {
                let body = json!({"server": {"name": unique("vs-del"), "associated_tools": [self.tool_id]}});
                Some(
                    admin(Method::POST, "/v1/servers", Some(&body), &[201]).await["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            }
            "tokens.get" | "tokens.revoke" => {
                let body = json!({"name": unique("victim"), "expires_in_days": 1,
                                  "scope": {"permissions": [DECOY]}});
                Some(
                    gw.create_api_token(gw.admin_token(), &body)
                        .await
                        .unwrap()
                        .id,
                )
            }
            _ => None,
        }
    }

    /// Cleans up whatever a successful (or unexpectedly successful) attempt created or left behind.
    async fn cleanup(&self, op: &str, target: Option<&str>, answer: &Answer) {
        let created_id = answer.json()["id"].as_str().map(str::to_owned);
        match (op, answer.status) {
            ("gateways.create", 200) => {
                if let Some(id) = created_id {
                    admin(Method::DELETE, &format!("/v1/gateways/{id}"), None, &[200]).await;
                }
            }
            ("servers.create", 201) => {
                if let Some(id) = created_id {
                    admin(
                        Method::DELETE,
                        &format!("/v1/servers/{id}"),
                        None,
                        &[200, 204],
                    )
                    .await;
                }
            }
            ("tokens.create", 201) => {
                if let Some(id) = answer.json()["token"]["id"].as_str() {
                    admin(Method::DELETE, &format!("/v1/tokens/{id}"), None, &[204]).await;
                }
            }
            _ => {}
        }
        // A target the attempt did not consume must not outlive the test.
        if let Some(id) = target {
            let path = match op {
                "gateways.delete" => format!("/v1/gateways/{id}"),
                "servers.delete" => format!("/v1/servers/{id}"),
                _ => format!("/v1/tokens/{id}"),
            };
            let gw = Gateway::shared();
            let _ = send(Method::DELETE, &path, Some(gw.admin_token()), None).await;
        }
    }

    /// Performs operation `op` with `bearer`.
    async fn perform(&self, op: &str, bearer: Option<&str>, target: Option<&str>) -> Answer {
        let (g, s, t) = (&self.gateway_id, &self.server_id, &self.tool_id);
        let target = target.unwrap_or_default();
        let rpc = |method: &str, params: Value| json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        match op {
            "health" => send(Method::GET, "/health", bearer, None).await,
            "version" => send(Method::GET, "/v1/version", bearer, None).await,
            "gateways.list" => send(Method::GET, "/v1/gateways", bearer, None).await,
            "gateways.get" => send(Method::GET, &format!("/v1/gateways/{g}"), bearer, None).await,
            "gateways.create" => {
                let body = json!({"name": unique("gw-new"), "url": self.spare.url, "transport": self.spare.transport});
                send(Method::POST, "/v1/gateways", bearer, Some(&body)).await
            }
            "gateways.update" => {
                let body = json!({"description": unique("desc")});
                send(
                    Method::PUT,
                    &format!("/v1/gateways/{g}"),
                    bearer,
                    Some(&body),
                )
                .await
            }
            "gateways.delete" => {
                send(
                    Method::DELETE,
                    &format!("/v1/gateways/{target}"),
                    bearer,
                    None,
                )
                .await
            }
            "gateways.set_state" => {
                let path = format!("/v1/gateways/{g}/state?activate=true");
                send(Method::POST, &path, bearer, None).await
            }
            "gateways.refresh_tools" => {
                let path = format!("/v1/gateways/{g}/tools/refresh");
                send(Method::POST, &path, bearer, None).await
            }
            "servers.list" => send(Method::GET, "/v1/servers", bearer, None).await,
            "servers.get" => send(Method::GET, &format!("/v1/servers/{s}"), bearer, None).await,
            "servers.create" => {
                let body = json!({"server": {"name": unique("vs-new"), "associated_tools": [t]}});
                send(Method::POST, "/v1/servers", bearer, Some(&body)).await
            }
            "servers.update" => {
                let body = json!({"description": unique("desc")});
                send(
                    Method::PUT,
                    &format!("/v1/servers/{s}"),
                    bearer,
                    Some(&body),
                )
                .await
            }
            "servers.delete" => {
                send(
                    Method::DELETE,
                    &format!("/v1/servers/{target}"),
                    bearer,
                    None,
                )
                .await
            }
            "servers.list_tools" => {
                send(Method::GET, &format!("/v1/servers/{s}/tools"), bearer, None).await
            }
            "tools.list" => send(Method::GET, "/v1/tools", bearer, None).await,
            "tools.get" => send(Method::GET, &format!("/v1/tools/{t}"), bearer, None).await,
            "tools.call_rpc" => {
                let body = rpc(
                    "tools/call",
                    json!({"name": self.tool_name, "arguments": {}}),
                );
                send(Method::POST, "/rpc", bearer, Some(&body)).await
            }
            "tools.list_rpc" => {
                let body = rpc("tools/list", json!({}));
                send(Method::POST, "/rpc", bearer, Some(&body)).await
            }
            "tools.call_mcp" => {
                let body = rpc(
                    "tools/call",
                    json!({"name": self.tool_name, "arguments": {}}),
                );
                let path = format!("/v1/virtual-servers/{s}/mcp");
                send(Method::POST, &path, bearer, Some(&body)).await
            }
            "tools.list_mcp" => {
                let body = rpc("tools/list", json!({}));
                let path = format!("/v1/virtual-servers/{s}/mcp");
                send(Method::POST, &path, bearer, Some(&body)).await
            }
            "tokens.create" => {
                let body = json!({"name": unique("tc"), "expires_in_days": 1,
                                  "scope": {"permissions": [DECOY]}});
                send(Method::POST, "/v1/tokens", bearer, Some(&body)).await
            }
            "tokens.list" => send(Method::GET, "/v1/tokens", bearer, None).await,
            "tokens.get" => send(Method::GET, &format!("/v1/tokens/{target}"), bearer, None).await,
            "tokens.revoke" => {
                send(
                    Method::DELETE,
                    &format!("/v1/tokens/{target}"),
                    bearer,
                    None,
                )
                .await
            }
            "rbac.my_roles" => send(Method::GET, "/v1/rbac/my/roles", bearer, None).await,
            "rbac.my_permissions" => {
                send(Method::GET, "/v1/rbac/my/permissions", bearer, None).await
            }
            "rbac.available_permissions" => {
                send(Method::GET, "/v1/rbac/permissions/available", bearer, None).await
            }
            "rbac.list_roles" => send(Method::GET, "/v1/rbac/roles", bearer, None).await,
            "auth.me" => send(Method::GET, "/v1/auth/email/me", bearer, None).await,
            "auth.login" => {
                let body = json!({"email": self.login_email(), "password": LOGIN_PASSWORD});
                send(Method::POST, "/v1/auth/email/login", bearer, Some(&body)).await
            }
            other => panic!("the live proof has no request for catalogue entry {other:?}"),
        }
    }

    fn login_email(&self) -> String {
        format!("sa-login-{}@example.com", std::process::id())
    }
}

const LOGIN_PASSWORD: &str = "Quartz-Lantern-47!x";

/// Whether `answer` is the operation's success.
fn succeeded(op: &OperationRule, answer: &Answer) -> bool {
    let ok = match (op.method.as_str(), op.id.as_str()) {
        (_, "gateways.create") => answer.status == 200,
        (_, "servers.create" | "tokens.create") => answer.status == 201,
        (_, "tokens.revoke") => answer.status == 204,
        ("DELETE", _) => matches!(answer.status, 200 | 204),
        _ => answer.status == 200,
    };
    // JSON-RPC and MCP answer 200 with an error object when they refuse (`"error": null` is no error).
    let body = answer.json();
    ok && !body["error"].is_object() && body["result"]["isError"] != Value::Bool(true)
}

/// Whether `answer` is the refusal shape `denial`.
fn refused_as(denial: Denial, answer: &Answer) -> bool {
    match denial {
        Denial::Forbidden => answer.status == 403,
        Denial::JsonRpcAccessDenied => {
            answer.status == 200 && answer.json()["error"]["code"] == json!(-32003)
        }
        Denial::McpAccessDenied => {
            answer.status == 200
                && answer.json()["error"] == json!({"code": 0, "message": "Access denied"})
        }
        Denial::Unauthorized => answer.status == 401,
        _ => false,
    }
}

/// The outcome of proving one catalogue entry.
#[derive(Debug)]
struct Proof {
    positive: String,
    negatives: Vec<String>,
    problems: Vec<String>,
    unconfirmable: Option<String>,
}

async fn prove(op: &OperationRule, world: &World, minted: &mut Vec<String>) -> Proof {
    let gw = Gateway::shared();
    let catalogue = Catalogue::contextforge_1_1_0();
    let mut proof = Proof {
        positive: String::new(),
        negatives: Vec::new(),
        problems: Vec::new(),
        unconfirmable: None,
    };

    // Negative attempts first: a destructive operation's target must survive them.
    let mut attempts: Vec<(String, Option<String>, Denial)> = Vec::new(); // (label, bearer, expected denial)
    let positive_bearer: Option<String>;
    match &op.access {
        Access::Scoped { checks } => {
            let full = op.scope_permissions();
            for check in checks {
                let mut reduced = full.clone();
                reduced.remove(&check.permission);
                if TokenScope::as_issued(&reduced)
                    .permissions()
                    .contains(&check.permission)
                {
                    // Implied (servers.use by tools.*): the gateway re-adds it, so drop what implies it too.
                    // That removes another check as well, so the proof only counts when this check's refusal
                    // has a different shape from every other check's: then only this check can have refused.
                    let isolating = checks
                        .iter()
                        .filter(|other| other.permission != check.permission)
                        .all(|other| other.denial != check.denial);
                    assert!(
                        isolating,
                        "{}: cannot isolate implied {}",
                        op.id, check.permission
                    );
                    let token = mint(&PermissionSet::parse([DECOY]).unwrap(), minted).await;
                    attempts.push((
                        format!(
                            "-{} (gateway re-adds it for {reduced}, so [{DECOY}])",
                            check.permission
                        ),
                        Some(token.access_token),
                        check.denial,
                    ));
                    continue;
                }
                if reduced.is_empty() {
                    reduced.insert(DECOY.parse().unwrap());
                }
                let token = mint(&reduced, minted).await;
                attempts.push((
                    format!("-{}", check.permission),
                    Some(token.access_token),
                    check.denial,
                ));
            }
            let request = op.scope_request().unwrap();
            positive_bearer = Some(mint(&request, minted).await.access_token);
            proof.positive = format!("[{request}]");
        }
        Access::UnrestrictedScopeOnly => {
            // Every permission a token can carry except `*` is still refused: the path is unmapped.
            let explicit: PermissionSet = catalogue
                .permissions
                .iter()
                .filter(|p| p.is_requestable())
                .cloned()
                .collect();
            let token = mint(&explicit, minted).await;
            attempts.push((
                format!("all {} explicit permissions", explicit.len()),
                Some(token.access_token),
                Denial::Forbidden,
            ));
            positive_bearer = Some(
                mint(&PermissionSet::parse(["*"]).unwrap(), minted)
                    .await
                    .access_token,
            );
            proof.positive = "[*]".to_owned();
        }
        Access::InteractiveOnly => {
            let token = mint(&PermissionSet::parse(["*"]).unwrap(), minted).await;
            attempts.push((
                "API token with [*]".to_owned(),
                Some(token.access_token),
                Denial::Forbidden,
            ));
            positive_bearer = Some(gw.admin_token().to_owned());
            proof.positive = "admin JWT (self-signed)".to_owned();
        }
        Access::NoAuth => {
            positive_bearer = None;
            proof.positive = "no token".to_owned();
            proof.unconfirmable = Some("needs no permission: nothing to remove".to_owned());
        }
        other => panic!("unhandled access rule {other:?}"),
    }

    for (label, bearer, denial) in attempts {
        let target = world.target(&op.id).await;
        let answer = world
            .perform(&op.id, bearer.as_deref(), target.as_deref())
            .await;
        if refused_as(denial, &answer) {
            proof
                .negatives
                .push(format!("{label}: refused {}", answer.status));
        } else {
            proof.problems.push(format!(
                "{label}: expected {denial:?}, got {}",
                answer.short()
            ));
        }
        world.cleanup(&op.id, target.as_deref(), &answer).await;
    }

    let target = world.target(&op.id).await;
    let answer = world
        .perform(&op.id, positive_bearer.as_deref(), target.as_deref())
        .await;
    if !succeeded(op, &answer) {
        proof.problems.push(format!(
            "{}: expected success, got {}",
            proof.positive,
            answer.short()
        ));
    }
    world.cleanup(&op.id, target.as_deref(), &answer).await;
    proof
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalogue_entry_is_confirmed_by_the_real_gateway() {
    let gw = Gateway::shared();
    let catalogue = Catalogue::contextforge_1_1_0();
    // Private upstreams: the shared fixtures' URLs belong to other tests while they run.
    let main = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let spare = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let world = World::build(&main, spare).await;
    gw.create_user(&world.login_email(), LOGIN_PASSWORD, false)
        .await
        .unwrap();

    let mut minted = Vec::new();
    let mut proofs = BTreeMap::new();
    for op in &catalogue.operations {
        let proof = prove(op, &world, &mut minted).await;
        proofs.insert(op.id.clone(), proof);
    }

    world.teardown().await;
    for id in &minted {
        let _ = send(
            Method::DELETE,
            &format!("/v1/tokens/{id}"),
            Some(gw.admin_token()),
            None,
        )
        .await;
    }

    let mut confirmed = 0;
    let mut report = String::new();
    for op in &catalogue.operations {
        let proof = &proofs[&op.id];
        let status = if !proof.problems.is_empty() {
            "FAILED"
        } else if proof.unconfirmable.is_some() {
            "not confirmable"
        } else {
            confirmed += 1;
            "confirmed"
        };
        report.push_str(&format!(
            "{:<28} {:<15} ok with {} | {}{}{}\n",
            op.id,
            status,
            proof.positive,
            proof.negatives.join("; "),
            proof
                .unconfirmable
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            if proof.problems.is_empty() {
                String::new()
            } else {
                format!(" PROBLEMS: {}", proof.problems.join("; "))
            },
        ));
    }
    println!(
        "scope-audit live proof: {confirmed} of {} catalogue entries confirmed\n{report}",
        catalogue.operations.len()
    );
    let failed: Vec<_> = proofs
        .iter()
        .filter(|(_, p)| !p.problems.is_empty())
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "catalogue entries the gateway contradicts: {failed:?}\n{report}"
    );
    // health and auth.login need no permission; every other entry must be confirmed.
    assert_eq!(confirmed, catalogue.operations.len() - 2, "{report}");
}

#[tokio::test]
async fn embedded_permission_list_matches_the_gateway() {
    let catalogue = Catalogue::contextforge_1_1_0();
    let available = admin(Method::GET, "/v1/rbac/permissions/available", None, &[200]).await;
    let live: PermissionSet = serde_json::from_value(available["all_permissions"].clone()).unwrap();
    assert_eq!(available["total_count"], json!(catalogue.permissions.len()));
    assert_eq!(live, catalogue.permissions);
}

#[tokio::test]
async fn tokens_api_refuses_permissions_it_defines_but_cannot_parse() {
    // The gateway defines admin.sso_providers:create, but its token API pattern rejects two separators.
    let gw = Gateway::shared();
    let unrequestable: Vec<String> = Catalogue::contextforge_1_1_0()
        .permissions
        .iter()
        .filter(|p| !p.is_requestable())
        .map(ToString::to_string)
        .collect();
    assert_eq!(unrequestable.len(), 6);
    for permission in unrequestable.iter().map(String::as_str).chain(["tools.*"]) {
        let body = json!({"name": unique("bad"), "expires_in_days": 1,
                          "scope": {"permissions": [permission]}});
        let answer = send(
            Method::POST,
            "/v1/tokens",
            Some(gw.admin_token()),
            Some(&body),
        )
        .await;
        assert_eq!(answer.status, 422, "{permission}: {}", answer.short());
    }
}

/// The crate's model of issuance (`TokenScope::as_issued`) matches what the gateway writes into new tokens,
/// including the cases where it does not add `servers.use` (already there, implied by nothing, or `*`).
#[tokio::test]
async fn issued_scopes_match_the_model() {
    let mut minted = Vec::new();
    for request in [
        &["tools.read"][..],
        &["*", "tools.read"],
        &["gateways.create"],
        &["servers.use", "prompts.read"],
    ] {
        // `mint` asserts the decoded scope equals `TokenScope::as_issued(request)`.
        mint(&PermissionSet::parse(request).unwrap(), &mut minted).await;
    }
    for id in &minted {
        admin(Method::DELETE, &format!("/v1/tokens/{id}"), None, &[204]).await;
    }
}

/// The seed's question, answered for the gateway's admin token against a three-server fleet; then the recipe's
/// minimal token runs the whole fleet plan for real.
#[tokio::test]
async fn admin_token_audit_for_a_three_server_fleet_and_the_recipe_runs_it() {
    let gw = Gateway::shared();
    let fixtures = Fixtures::shared();
    let catalogue = Catalogue::contextforge_1_1_0();

    let claims = TokenClaims::decode_unverified(&BearerToken::new(gw.admin_token())).unwrap();
    let grant = Grant::from_claims(&claims, UserRoles::platform_admin(gw.admin_email()));
    let report = catalogue.audit(&grant, FLEET_PLAN).unwrap();
    let markdown = report.to_markdown();
    println!("{markdown}");
    assert_eq!(report.verdict, Verdict::OverPrivileged);
    assert_eq!(report.summary.satisfied, FLEET_PLAN.len());
    assert!(report.excess.len() >= 60, "{}", report.excess);
    assert!(markdown.contains("## Minimal token recipe"));
    let recipe = report.least_privilege.token.clone().unwrap();

    // Mint the recipe and run the plan with it: register the three fixtures, list, get, refresh, list tools,
    // build a virtual server, call a tool through /rpc and through the server's MCP endpoint.
    let mut minted = Vec::new();
    let token = mint(&recipe.scope.permissions, &mut minted).await;
    // The admin's own API token says `teams: null` and `user.is_admin: true`: un-narrowed, as modelled.
    let issued =
        TokenClaims::decode_unverified(&BearerToken::new(token.access_token.clone())).unwrap();
    let owner = UserRoles::platform_admin(gw.admin_email());
    assert_eq!(
        Grant::from_claims(&issued, owner.clone()),
        Grant::api_token(&recipe.scope.permissions, owner)
    );
    let bearer = Some(token.access_token.as_str());
    let mut gateway_ids = Vec::new();
    let leases: Vec<_> = fixtures.all().iter().map(|f| f.exclusive()).collect();
    for fixture in fixtures.all() {
        let body = json!({"name": unique(fixture.name), "url": fixture.url, "transport": fixture.transport});
        let answer = send(Method::POST, "/v1/gateways", bearer, Some(&body)).await;
        assert_eq!(
            answer.status,
            200,
            "register {}: {}",
            fixture.name,
            answer.short()
        );
        gateway_ids.push(answer.json()["id"].as_str().unwrap().to_owned());
    }
    let outcome = async {
        assert_eq!(
            send(Method::GET, "/v1/gateways", bearer, None).await.status,
            200
        );
        for id in &gateway_ids {
            assert_eq!(
                send(Method::GET, &format!("/v1/gateways/{id}"), bearer, None)
                    .await
                    .status,
                200
            );
            let refresh = send(
                Method::POST,
                &format!("/v1/gateways/{id}/tools/refresh"),
                bearer,
                None,
            )
            .await;
            assert_eq!(refresh.status, 200, "{}", refresh.short());
        }
        let tools = send(Method::GET, "/v1/tools?limit=0", bearer, None)
            .await
            .json();
        let add = tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["originalName"] == "add"
                    && gateway_ids.contains(&t["gatewayId"].as_str().unwrap_or_default().to_owned())
            })
            .cloned()
            .expect("utils.add discovered");
        let server = send(
            Method::POST,
            "/v1/servers",
            bearer,
            Some(&json!({"server": {"name": unique("fleet-vs"), "associated_tools": [add["id"]]}})),
        )
        .await;
        assert_eq!(server.status, 201, "{}", server.short());
        let server_id = server.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(
            send(
                Method::GET,
                &format!("/v1/servers/{server_id}"),
                bearer,
                None
            )
            .await
            .status,
            200
        );
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                          "params": {"name": add["name"], "arguments": {"a": 20, "b": 22}}});
        let via_rpc = send(Method::POST, "/rpc", bearer, Some(&call)).await;
        let via_mcp = send(
            Method::POST,
            &format!("/v1/virtual-servers/{server_id}/mcp"),
            bearer,
            Some(&call),
        )
        .await;
        admin(
            Method::DELETE,
            &format!("/v1/servers/{server_id}"),
            None,
            &[200, 204],
        )
        .await;
        for answer in [via_rpc, via_mcp] {
            assert_eq!(
                answer.json()["result"]["content"][0]["text"],
                "42",
                "{}",
                answer.short()
            );
        }
        // And what the recipe leaves out stays out.
        let delete = send(
            Method::DELETE,
            &format!("/v1/gateways/{}", gateway_ids[0]),
            bearer,
            None,
        )
        .await;
        assert_eq!(delete.status, 403, "{}", delete.short());
    };
    with_cleanup(outcome, async {
        for id in &gateway_ids {
            admin(Method::DELETE, &format!("/v1/gateways/{id}"), None, &[200]).await;
        }
        drop(leases);
        for id in &minted {
            admin(Method::DELETE, &format!("/v1/tokens/{id}"), None, &[204]).await;
        }
    })
    .await;
}

/// Layer 2, checked against the model: for a plain user (the gateway's default roles) and then the same user with
/// a custom global role, the crate's [`Grant::evaluate`] predicts each answer of the real gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_layer_predictions_match_the_gateway_for_a_plain_user() {
    let gw = Gateway::shared();
    let catalogue = Catalogue::contextforge_1_1_0();
    let main = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let spare = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let world = World::build(&main, spare).await;
    let email = format!("sa-plain-{}@example.com", std::process::id());
    let password = "Cobalt-Meadow-93!q";
    gw.create_user(&email, password, false).await.unwrap();
    let session = gw.login(&email, password).await.unwrap();

    // The personal team, from the user's own role assignments (team_admin there).
    let roles = send(Method::GET, "/v1/rbac/my/roles", Some(&session), None).await;
    let personal = roles
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| (r["scope"] == "team").then(|| r["scope_id"].as_str().unwrap().to_owned()))
        .unwrap_or_else(|| panic!("no team role in {}", roles.short()));
    let plain = UserRoles::new_user(&email, &personal);
    let session_grant = Grant::session(plain.clone());
    let mut mismatches = Vec::new();

    // Minting: without team_id the ceiling is the global roles (no tools.execute): 400. Naming the personal
    // team raises it to team_admin: 201, and the token is bound to that team.
    let requested = PermissionSet::parse(["tools.read", "tools.execute"]).unwrap();
    for team in [None, Some(personal.as_str())] {
        let mut body = json!({"name": unique("plain"), "expires_in_days": 1,
                              "scope": {"permissions": requested.to_strings()}});
        if let Some(team) = team {
            body["team_id"] = json!(team);
        }
        let answer = send(Method::POST, "/v1/tokens", Some(&session), Some(&body)).await;
        let refused = session_grant.undelegable(&requested, team);
        let predicted = if refused.is_empty() { 201 } else { 400 };
        println!(
            "mint {requested} team_id={team:?}: predicted {predicted}, live {}",
            answer.short()
        );
        if answer.status != predicted {
            mismatches.push(format!(
                "mint team_id={team:?}: predicted {predicted}, gateway {}",
                answer.short()
            ));
        }
    }
    let api = gw
        .create_api_token(
            &session,
            &json!({"name": unique("plain"), "expires_in_days": 1, "team_id": personal,
                    "scope": {"permissions": requested.to_strings()}}),
        )
        .await
        .unwrap();
    let claims =
        TokenClaims::decode_unverified(&BearerToken::new(api.access_token.clone())).unwrap();
    let api_grant = Grant::from_claims(&claims, plain.clone());
    assert_eq!(
        api_grant,
        Grant::api_token(&requested, plain.clone()),
        "issuance model"
    );

    let mut compare = |label: &str, op: &str, grant: &Grant, answer: &Answer| {
        let predicted = grant
            .evaluate(catalogue.operation(op).unwrap())
            .is_satisfied();
        let live = succeeded(catalogue.operation(op).unwrap(), answer);
        println!(
            "{label:<48} {op:<16} predicted {predicted:<5} live {live:<5} {}",
            answer.short()
        );
        if predicted != live {
            mismatches.push(format!(
                "{label} {op}: predicted {predicted}, gateway {}",
                answer.short()
            ));
        }
    };

    for op in [
        "version",
        "auth.me",
        "rbac.my_permissions",
        "gateways.create",
        "gateways.list",
        "tools.list",
        "tools.call_rpc",
        "tools.call_mcp",
    ] {
        let answer = world.perform(op, Some(&session), None).await;
        compare("session, default roles", op, &session_grant, &answer);
        world.cleanup(op, None, &answer).await;
    }
    for op in ["tools.list", "tools.call_rpc", "tools.call_mcp"] {
        let answer = world.perform(op, Some(&api.access_token), None).await;
        compare("personal API token, default roles", op, &api_grant, &answer);
    }
    // Naming the personal team puts its team_admin role in play: registration now passes.
    let body = json!({"name": unique("gw-personal"), "url": world.spare.url, "transport": world.spare.transport,
                      "team_id": personal, "visibility": "private"});
    let answer = send(Method::POST, "/v1/gateways", Some(&session), Some(&body)).await;
    compare(
        "session, team_id = personal team",
        "gateways.create",
        &session_grant.clone().with_team(&personal),
        &answer,
    );
    // A private record is invisible even to the admin JWT (404), so its owner deletes it.
    if let Some(id) = answer.json()["id"].as_str() {
        let path = format!("/v1/gateways/{id}");
        let by_owner = send(Method::DELETE, &path, Some(&session), None).await;
        println!("owner deletes the private gateway: {}", by_owner.short());
        if by_owner.status != 200 {
            let by_admin = send(Method::DELETE, &path, Some(gw.admin_token()), None).await;
            assert_eq!(
                by_admin.status,
                200,
                "private gateway left behind: {}",
                by_admin.short()
            );
        }
    }

    // A global custom role with exactly tools.execute: the calls the default roles could not make now pass.
    let role = admin(
        Method::POST,
        "/v1/rbac/roles",
        Some(&json!({"name": unique("exec"), "description": "scope-audit live proof", "scope": "global",
                     "permissions": ["tools.execute"]})),
        &[200, 201],
    )
    .await;
    let role_id = role["id"].as_str().unwrap().to_owned();
    let roles_path = format!("/v1/rbac/users/{email}/roles");
    admin(
        Method::POST,
        &roles_path,
        Some(&json!({"role_id": role_id, "scope": "global"})),
        &[200, 201],
    )
    .await;
    let executor = plain.clone().with_global(mcpfleet_scope_audit::Role::new(
        "exec",
        mcpfleet_scope_audit::RoleScope::Global,
        PermissionSet::parse(["tools.execute"]).unwrap(),
    ));
    let api_exec = Grant::from_claims(&claims, executor.clone());
    let session_exec = Grant::session(executor);
    // Role changes reach the gateway's permission cache within seconds: retry the first call briefly.
    let mut answer = world.perform("tools.call_rpc", Some(&session), None).await;
    for _ in 0..20 {
        if succeeded(catalogue.operation("tools.call_rpc").unwrap(), &answer) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        answer = world.perform("tools.call_rpc", Some(&session), None).await;
    }
    compare(
        "session + global role [tools.execute]",
        "tools.call_rpc",
        &session_exec,
        &answer,
    );
    for op in ["tools.call_mcp", "gateways.create"] {
        let answer = world.perform(op, Some(&session), None).await;
        compare(
            "session + global role [tools.execute]",
            op,
            &session_exec,
            &answer,
        );
        world.cleanup(op, None, &answer).await;
    }
    for op in ["tools.call_rpc", "tools.call_mcp"] {
        let answer = world.perform(op, Some(&api.access_token), None).await;
        compare("personal API token + global role", op, &api_exec, &answer);
    }

    admin(
        Method::DELETE,
        &format!("{roles_path}/{role_id}?scope=global"),
        None,
        &[200, 204],
    )
    .await;
    admin(
        Method::DELETE,
        &format!("/v1/rbac/roles/{role_id}"),
        None,
        &[200, 204],
    )
    .await;
    world.teardown().await;
    assert!(
        mismatches.is_empty(),
        "model and gateway disagree:\n{}",
        mismatches.join("\n")
    );
}

/// A token bound to one virtual server (`scope.server_id`) reaches general endpoints and that server, nothing
/// else; the model's server-binding rule predicts each answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_bound_token_predictions_match_the_gateway() {
    let gw = Gateway::shared();
    let catalogue = Catalogue::contextforge_1_1_0();
    let main = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let spare = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let world = World::build(&main, spare).await;
    let body = json!({"name": unique("bound"), "expires_in_days": 1,
                      "scope": {"server_id": world.server_id, "permissions": ["tools.read", "tools.execute"]}});
    let token = gw.create_api_token(gw.admin_token(), &body).await.unwrap();
    let claims =
        TokenClaims::decode_unverified(&BearerToken::new(token.access_token.clone())).unwrap();
    let grant = Grant::from_claims(&claims, UserRoles::platform_admin(gw.admin_email()));
    assert_eq!(grant.server_id.as_deref(), Some(world.server_id.as_str()));
    let mut mismatches = Vec::new();
    for op in [
        "tools.call_mcp",
        "tools.call_rpc",
        "tools.list",
        "servers.list_tools",
    ] {
        let answer = world.perform(op, Some(&token.access_token), None).await;
        let operation = catalogue.operation(op).unwrap();
        let predicted = grant.evaluate(operation).is_satisfied();
        let live = succeeded(operation, &answer);
        println!(
            "server-bound {op:<20} predicted {predicted:<5} live {live:<5} {}",
            answer.short()
        );
        if predicted != live {
            mismatches.push(format!(
                "{op}: predicted {predicted}, gateway {}",
                answer.short()
            ));
        }
    }
    admin(
        Method::DELETE,
        &format!("/v1/tokens/{}", token.id),
        None,
        &[204],
    )
    .await;
    world.teardown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
