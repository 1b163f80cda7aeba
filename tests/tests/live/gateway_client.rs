//! Live tests of `mcpfleet-gateway-client`: every operation against the real ContextForge 1.1.0 and the real
//! fixture MCP servers, including the real 401, 403, 404, 409, 422 and 502 answers.

use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt;
use mcpfleet_gateway_client::{
    AuthType, Client, Error, GatewayCreate, GatewayRead, GatewayUpdate, JsonRpcError, Operation,
    RetryPolicy, ServerCreate, ServerUpdate, TokenCreate, Transport, Visibility,
};
use mcpfleet_harness::{
    FixtureKind, FixtureServer, Fixtures, Gateway, JwtOptions, free_port, with_cleanup,
};
use reqwest::Method;
use serde_json::json;

/// A name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "gc-{prefix}-{}-{nanos}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A client for the shared gateway with the admin token. Built inside each test: a pooled connection must not
/// outlive the test's runtime.
fn admin() -> Client {
    let gw = Gateway::shared();
    Client::builder()
        .base_url(gw.url())
        .bearer_token(gw.admin_token())
        .build()
        .unwrap()
}

fn as_token(token: &str) -> Client {
    Client::builder()
        .base_url(Gateway::shared().url())
        .bearer_token(token)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn create_body(name: &str, server: &FixtureServer) -> GatewayCreate {
    GatewayCreate::new(name, server.url.clone()).transport(server.transport)
}

/// Registers `server` with the client under test, runs `check`, and always deletes the record afterwards
/// (through the harness, so cleanup does not depend on the code under test).
async fn with_gateway<F, Fut>(server: &FixtureServer, prefix: &str, check: F)
where
    F: FnOnce(GatewayRead) -> Fut,
    Fut: Future<Output = ()>,
{
    let gw = Gateway::shared();
    let created = admin()
        .gateways()
        .create(&create_body(&unique(prefix), server).description("gateway-client live test"))
        .await
        .unwrap_or_else(|e| panic!("registering {} ({}): {e}", server.name, server.url));
    let id = created.id.clone();
    with_cleanup(check(created), async {
        let _ = gw
            .request(
                Method::DELETE,
                &format!("/v1/gateways/{id}"),
                Some(gw.admin_token()),
                None,
            )
            .await;
    })
    .await;
}

/// A JWT for `sub` signed with the gateway's real secret but expired an hour ago, made with the gateway venv's
/// PyJWT (the gateway's CLI cannot mint a token in the past).
fn expired_jwt(sub: &str) -> String {
    let gw = Gateway::shared();
    let script = r#"
import os, sys, time, uuid, jwt
now = int(time.time())
claims = {"sub": sys.argv[1], "iat": now - 7200, "exp": now - 3600, "jti": str(uuid.uuid4()),
          "iss": os.environ.get("JWT_ISSUER", "mcpgateway"), "aud": os.environ.get("JWT_AUDIENCE", "mcpgateway-api")}
print(jwt.encode(claims, os.environ["JWT_SECRET_KEY"], algorithm="HS256"))
"#;
    let out = Command::new(gw.venv().python())
        .args(["-c", script, sub])
        .env_clear()
        .envs(gw.env().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn health_version_and_operation_ids() {
    let gw = Gateway::shared();
    let anonymous = Client::builder().base_url(gw.url()).build().unwrap();
    assert_eq!(anonymous.health().await.unwrap().status, "healthy");
    let version = admin().version().await.unwrap();
    assert_eq!(version.app.name, "ContextForge");
    assert_eq!(version.app.version, "1.1.0");
    assert!(version.app.mcp_protocol_version.is_some());
    // /v1/version needs a token.
    assert!(matches!(
        anonymous.version().await,
        Err(Error::Unauthorized(_))
    ));
    assert_eq!(Operation::ALL.len(), 31);
}

#[tokio::test]
async fn gateway_lifecycle_create_get_update_state_refresh_delete() {
    let fx = Fixtures::shared();
    let _lease = fx.notes.exclusive();
    let client = admin();
    let name = unique("life");
    let created = client
        .gateways()
        .create(
            &create_body(&name, &fx.notes)
                .description("first")
                .tags(["fleet", "live"])
                .visibility(Visibility::Public),
        )
        .await
        .unwrap();
    let id = created.id.clone();
    let gw = Gateway::shared();
    with_cleanup(
        async {
            assert_eq!(created.name, name);
            assert_eq!(created.transport, Transport::StreamableHttp);
            // The gateway stores 127.0.0.1 as localhost.
            assert!(created.url.contains("localhost"), "{}", created.url);
            assert_eq!(created.description.as_deref(), Some("first"));
            assert!(created.enabled);
            assert_eq!(created.visibility, Some(Visibility::Public));
            let labels: Vec<_> = created.tags.iter().map(|t| t.label.as_str()).collect();
            assert!(labels.contains(&"fleet"), "{labels:?}");

            let got = client.gateways().get(&id).await.unwrap();
            assert_eq!(got.id, id);
            assert_eq!(got.tool_count, 2, "notes has two tools");

            let listed = client.gateways().list().all().await.unwrap();
            assert!(listed.iter().any(|g| g.id == id));

            let before = got.version.unwrap_or(0);
            let updated = client
                .gateways()
                .update(&id, &GatewayUpdate::new().description("second"))
                .await
                .unwrap();
            assert_eq!(updated.description.as_deref(), Some("second"));
            assert!(
                updated.version.unwrap_or(0) > before,
                "update bumps version"
            );

            let off = client.gateways().disable(&id).await.unwrap();
            assert_eq!(off.status, "success");
            assert_eq!(off.enabled(), Some(false));
            assert!(!client.gateways().get(&id).await.unwrap().enabled);
            // Disabled gateways are hidden unless include_inactive.
            let active = client.gateways().list().all().await.unwrap();
            assert!(!active.iter().any(|g| g.id == id));
            let all = client
                .gateways()
                .list()
                .include_inactive(true)
                .all()
                .await
                .unwrap();
            assert!(all.iter().any(|g| g.id == id));
            let on = client.gateways().enable(&id).await.unwrap();
            assert_eq!(on.enabled(), Some(true));

            let report = client.gateways().refresh_tools(&id).await.unwrap();
            assert!(report.success, "{report:?}");
            assert_eq!(report.gateway_id, id);

            let deleted = client.gateways().delete(&id).await.unwrap();
            assert_eq!(deleted.status, "success");
            match client.gateways().get(&id).await {
                Err(Error::NotFound(api)) => {
                    assert_eq!(api.status.as_u16(), 404);
                    assert!(api.message.contains(&id), "{}", api.message);
                    assert!(api.body.contains("Gateway not found"), "{}", api.body);
                }
                other => panic!("expected 404, got {other:?}"),
            }
            assert!(matches!(
                client.gateways().delete(&id).await,
                Err(Error::NotFound(_))
            ));
        },
        async {
            let _ = gw
                .request(
                    Method::DELETE,
                    &format!("/v1/gateways/{id}"),
                    Some(gw.admin_token()),
                    None,
                )
                .await;
        },
    )
    .await;
}

#[tokio::test]
async fn register_with_upstream_auth_headers() {
    // The wire shape of `auth_header` (camelCase `authType`/`authHeaders: [{key, value}]`) is accepted by
    // the real gateway, and the header value never comes back into the read model's `Debug`.
    let gw = Gateway::shared();
    let notes = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    let secret = "fleet-upstream-header-secret";
    let client = admin();
    let created = client
        .gateways()
        .create(&create_body(&unique("hdr"), &notes).auth_header("X-Fleet-Key", secret))
        .await
        .unwrap();
    let id = created.id.clone();
    with_cleanup(
        async {
            assert_eq!(created.auth_type, Some(AuthType::AuthHeaders));
            let got = client.gateways().get(&id).await.unwrap();
            assert_eq!(got.auth_type, Some(AuthType::AuthHeaders));
            assert_eq!(got.tool_count, 2, "the upstream accepted the registration");
            for text in [format!("{created:?}"), format!("{got:?}")] {
                assert!(!text.contains(secret), "{text}");
            }
        },
        async {
            let _ = gw
                .request(
                    Method::DELETE,
                    &format!("/v1/gateways/{id}"),
                    Some(gw.admin_token()),
                    None,
                )
                .await;
        },
    )
    .await;
}

#[tokio::test]
async fn listing_follows_cursors_across_pages() {
    let fx = Fixtures::shared();
    let _notes = fx.notes.exclusive();
    let _textkit = fx.textkit.exclusive();
    with_gateway(&fx.notes, "page-a", |a| async move {
        with_gateway(&fx.textkit, "page-b", |b| async move {
            assert_eq!(b.transport, Transport::Sse);
            let client = admin();
            let first = client.gateways().list().limit(1).send().await.unwrap();
            assert_eq!(first.items.len(), 1);
            assert!(first.next_cursor.is_some(), "two gateways, page size 1");
            let paged = client.gateways().list().limit(1).all().await.unwrap();
            let ids: Vec<_> = paged.iter().map(|g| g.id.as_str()).collect();
            assert!(
                ids.contains(&a.id.as_str()) && ids.contains(&b.id.as_str()),
                "{ids:?}"
            );
            let streamed: Vec<_> = client
                .gateways()
                .list()
                .limit(1)
                .stream()
                .try_collect()
                .await
                .unwrap();
            assert!(streamed.iter().any(|g| g.id == b.id));
            // Resuming from a cursor starts after the first page.
            let rest = client
                .gateways()
                .list()
                .limit(1)
                .cursor(first.next_cursor.unwrap())
                .all()
                .await
                .unwrap();
            assert!(!rest.iter().any(|g| g.id == first.items[0].id));
            // Tools page the same way.
            let tools = client.tools().list().limit(1).all().await.unwrap();
            assert!(tools.len() >= 4, "notes 2 + textkit 2, got {}", tools.len());
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn duplicate_name_or_url_is_a_conflict() {
    let fx = Fixtures::shared();
    let _lease = fx.textkit.exclusive();
    with_gateway(&fx.textkit, "dup", |existing| async move {
        let client = admin();
        let same_name = client
            .gateways()
            .create(&create_body(&existing.name, &fx.textkit))
            .await;
        match same_name {
            Err(Error::Conflict(api)) => {
                assert_eq!(api.status.as_u16(), 409);
                assert_eq!(api.message, "Gateway name already exists");
            }
            other => panic!("expected 409, got {other:?}"),
        }
        let same_url = client
            .gateways()
            .create(&create_body(&unique("dup-url"), &fx.textkit))
            .await;
        match same_url {
            Err(Error::Conflict(api)) => assert_eq!(api.message, "Gateway already exists"),
            other => panic!("expected 409, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn unreachable_upstream_is_a_typed_502() {
    let port = free_port().unwrap();
    let err = admin()
        .gateways()
        .create(
            &GatewayCreate::new(unique("dead"), format!("http://127.0.0.1:{port}/mcp"))
                .transport(Transport::StreamableHttp),
        )
        .await
        .unwrap_err();
    match &err {
        Error::UpstreamUnreachable(api) => {
            assert_eq!(api.status.as_u16(), 502);
            assert!(
                api.message.contains("Failed to initialize gateway"),
                "{}",
                api.message
            );
        }
        other => panic!("expected UpstreamUnreachable, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_bodies_are_validation_errors_with_fields() {
    let client = admin();
    let err = client
        .gateways()
        .create(&GatewayCreate::new("bad/name!", "http://127.0.0.1:1/mcp"))
        .await
        .unwrap_err();
    match err {
        Error::Validation(api) => {
            assert_eq!(api.status.as_u16(), 422);
            assert!(
                api.field_errors
                    .iter()
                    .any(|f| f.loc.last().map(String::as_str) == Some("name")),
                "{:?}",
                api.field_errors
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }
    // A missing field, through the escape hatch.
    let err = client
        .post::<_, serde_json::Value>("/v1/gateways", &json!({"name": unique("nourl")}))
        .await
        .unwrap_err();
    match err {
        Error::Validation(api) => {
            assert_eq!(api.field_errors[0].loc, vec!["body", "url"]);
            assert_eq!(api.field_errors[0].kind, "missing");
        }
        other => panic!("expected 422, got {other:?}"),
    }
}

#[tokio::test]
async fn tools_resolve_and_call_through_rpc() {
    let fx = Fixtures::shared();
    let _lease = fx.utils.exclusive();
    with_gateway(&fx.utils, "tools", |gateway| async move {
        let client = admin();
        let tools = client
            .tools()
            .list_by_gateway(&gateway.id)
            .all()
            .await
            .unwrap();
        let mut originals: Vec<_> = tools.iter().map(|t| t.original_name.as_str()).collect();
        originals.sort_unstable();
        assert_eq!(originals, ["add", "fail", "now", "uuid4"]);
        assert!(
            tools
                .iter()
                .all(|t| t.gateway_id.as_deref() == Some(gateway.id.as_str()))
        );

        let add = client.tools().resolve(&gateway.id, "add").await.unwrap();
        assert_eq!(add.original_name, "add");
        assert!(add.name.ends_with("-add"), "{}", add.name);
        assert_eq!(client.tools().get(&add.id).await.unwrap().name, add.name);
        assert!(matches!(
            client.tools().resolve(&gateway.id, "subtract").await,
            Err(Error::ToolNotResolved { .. })
        ));
        assert!(matches!(
            client.tools().get("0000000000000000000000000000dead").await,
            Err(Error::NotFound(_))
        ));

        let sum = client
            .tools()
            .call(&add.name, &json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(sum.text(), "5");
        assert!(!sum.is_error);
        assert_eq!(sum.structured_content.unwrap()["result"], 5);

        let fail = client.tools().resolve(&gateway.id, "fail").await.unwrap();
        match client
            .tools()
            .call(&fail.name, &json!({"reason": "test"}))
            .await
        {
            Err(Error::ToolFailed(failure)) => {
                assert_eq!(failure.tool, fail.name);
                assert!(failure.result.is_error);
                assert!(failure.body.unwrap().contains("\"isError\":true"));
            }
            other => panic!("expected ToolFailed, got {other:?}"),
        }
        match client.tools().call("gc-no-such-tool", &json!({})).await {
            Err(Error::JsonRpc(rpc)) => {
                assert_eq!(rpc.code, JsonRpcError::METHOD_NOT_FOUND);
                assert_eq!(rpc.status.as_u16(), 200);
                assert!(rpc.message.contains("gc-no-such-tool"), "{}", rpc.message);
            }
            other => panic!("expected JSON-RPC -32601, got {other:?}"),
        }
        match client.tools().call(&add.name, &json!({"a": "x"})).await {
            Err(Error::JsonRpc(rpc)) => assert_eq!(rpc.code, JsonRpcError::INTERNAL_ERROR),
            other => panic!("expected JSON-RPC -32603, got {other:?}"),
        }
        assert!(matches!(
            client.tools().call(&add.name, &json!([1, 2])).await,
            Err(Error::InvalidRequest { .. })
        ));

        let listed = client.tools().list_rpc().await.unwrap();
        assert!(listed.iter().any(|t| t.name == add.name));
    })
    .await;
}

#[tokio::test]
async fn virtual_server_lifecycle_and_mcp_endpoint() {
    let gw = Gateway::shared();
    // A private notes instance: this test does not wait for the shared one.
    let notes = FixtureServer::spawn(FixtureKind::Notes, gw).unwrap();
    with_gateway(&notes, "vs", |gateway| async move {
        let client = admin();
        let tools = client
            .tools()
            .list_by_gateway(&gateway.id)
            .all()
            .await
            .unwrap();
        let note_add = tools
            .iter()
            .find(|t| t.original_name == "note_add")
            .unwrap();
        let note_list = tools
            .iter()
            .find(|t| t.original_name == "note_list")
            .unwrap();

        let name = unique("vs");
        let server = client
            .servers()
            .create(
                &ServerCreate::new(&name)
                    .description("live test")
                    .tool_ids([note_add.id.as_str()]),
            )
            .await
            .unwrap();
        with_cleanup(
            async {
                assert_eq!(server.name, name);
                assert_eq!(server.associated_tool_ids, vec![note_add.id.clone()]);
                assert_eq!(server.associated_tools, vec![note_add.name.clone()]);
                assert_eq!(
                    client.servers().get(&server.id).await.unwrap().id,
                    server.id
                );
                let listed = client.servers().list().all().await.unwrap();
                assert!(listed.iter().any(|s| s.id == server.id));

                match client.servers().create(&ServerCreate::new(&name)).await {
                    Err(Error::Conflict(api)) => {
                        assert!(api.message.contains(&name), "{}", api.message)
                    }
                    other => panic!("expected 409, got {other:?}"),
                }
                match client
                    .servers()
                    .create(
                        &ServerCreate::new(unique("vs-names")).tool_ids([note_add.name.as_str()]),
                    )
                    .await
                {
                    Err(Error::Validation(api)) => assert!(!api.field_errors.is_empty()),
                    other => panic!("expected 422, got {other:?}"),
                }

                let updated = client
                    .servers()
                    .update(
                        &server.id,
                        &ServerUpdate::new()
                            .description("updated")
                            .tool_ids([note_add.id.as_str(), note_list.id.as_str()]),
                    )
                    .await
                    .unwrap();
                assert_eq!(updated.description.as_deref(), Some("updated"));
                assert_eq!(updated.associated_tool_ids.len(), 2);
                let server_tools = client.servers().tools(&server.id).await.unwrap();
                assert_eq!(server_tools.len(), 2);

                let url = client.servers().mcp_url(&server.id).unwrap();
                assert_eq!(
                    url,
                    format!("{}/v1/virtual-servers/{}/mcp", gw.url(), server.id)
                );

                let session = client.servers().connect_mcp(&server.id).await.unwrap();
                let mut names: Vec<_> = session
                    .list_tools()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| t.name.to_string())
                    .collect();
                names.sort();
                let mut expected = vec![note_add.name.clone(), note_list.name.clone()];
                expected.sort();
                assert_eq!(names, expected);
                let added = session
                    .call_tool(
                        &note_add.name,
                        &json!({"title": "hello", "body": "from rust"}),
                    )
                    .await
                    .unwrap();
                assert!(added.text().contains("hello"), "{}", added.text());
                match session.call_tool("gc-not-here", &json!({})).await {
                    Err(Error::ToolFailed(failure)) => {
                        assert!(failure.result.text().contains("Unknown tool"), "{failure}")
                    }
                    other => panic!("expected ToolFailed, got {other:?}"),
                }
                session.close().await.unwrap();

                // An unknown server id on the versioned MCP endpoint: 404 "Server not found".
                match client
                    .servers()
                    .connect_mcp("0000000000000000000000000000dead")
                    .await
                {
                    Err(Error::NotFound(api)) => assert_eq!(api.message, "Server not found"),
                    other => panic!("expected 404, got {other:?}"),
                }
                // A bad token on the MCP endpoint is a typed 401.
                match as_token("garbage").servers().connect_mcp(&server.id).await {
                    Err(Error::Unauthorized(api)) => assert_eq!(api.status.as_u16(), 401),
                    other => panic!("expected 401, got {other:?}"),
                }

                client.servers().delete(&server.id).await.unwrap();
                assert!(matches!(
                    client.servers().get(&server.id).await,
                    Err(Error::NotFound(_))
                ));
            },
            async {
                let _ = gw
                    .request(
                        Method::DELETE,
                        &format!("/v1/servers/{}", server.id),
                        Some(gw.admin_token()),
                        None,
                    )
                    .await;
            },
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn scoped_token_is_forbidden_outside_its_scope_and_revocation_bites() {
    let client = admin();
    let name = unique("tok");
    let created = client
        .tokens()
        .create(
            &TokenCreate::new(&name)
                .description("live test")
                .expires_in_days(1)
                .permissions(["tools.read", "tokens.read"]),
        )
        .await
        .unwrap();
    assert!(!format!("{created:?}").contains(created.expose_token()));
    assert_eq!(created.token.name, name);
    assert_eq!(
        created.token.resource_scopes,
        vec!["tools.read", "tokens.read"]
    );

    let info = client.tokens().get(&created.token.id).await.unwrap();
    assert_eq!(info.id, created.token.id);
    let mine = client.tokens().list().all().await.unwrap();
    assert!(mine.iter().any(|t| t.id == created.token.id));
    let page = client.tokens().list().limit(1).send().await.unwrap();
    assert!(page.tokens.len() <= 1 && page.total >= 1);

    // A duplicate name is the gateway's (sanitized) 400.
    assert!(matches!(
        client
            .tokens()
            .create(&TokenCreate::new(&name).expires_in_days(1))
            .await,
        Err(Error::BadRequest(_))
    ));
    // A malformed permission is a 422.
    assert!(matches!(
        client
            .tokens()
            .create(
                &TokenCreate::new(unique("tok-bad"))
                    .expires_in_days(1)
                    .permissions(["tools.*"])
            )
            .await,
        Err(Error::Validation(_))
    ));

    let scoped = as_token(created.expose_token());
    scoped.tools().list().send().await.unwrap();
    match scoped.gateways().list().send().await {
        Err(Error::Forbidden(api)) => {
            assert_eq!(api.status.as_u16(), 403);
            assert_eq!(api.message, "Access denied");
        }
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(matches!(
        scoped.rbac().my_permissions().await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(scoped.auth().me().await, Err(Error::Forbidden(_))));
    match scoped.tokens().list().send().await {
        Err(Error::Forbidden(api)) => assert!(
            api.message.contains("interactive session"),
            "{}",
            api.message
        ),
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(matches!(
        scoped
            .gateways()
            .create(&GatewayCreate::new(
                unique("sneaky"),
                "http://127.0.0.1:1/mcp"
            ))
            .await,
        Err(Error::Forbidden(_))
    ));

    client.tokens().revoke(&created.token.id).await.unwrap();
    match scoped.tools().list().send().await {
        Err(Error::Unauthorized(api)) => assert_eq!(api.message, "Token has been revoked"),
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn rbac_and_me_for_the_admin() {
    let client = admin();
    let me = client.auth().me().await.unwrap();
    assert_eq!(me.email, Gateway::shared().admin_email());
    assert!(me.is_admin);
    assert_eq!(client.rbac().my_permissions().await.unwrap(), vec!["*"]);
    let roles = client.rbac().my_roles().await.unwrap();
    assert!(roles.iter().any(|r| r.scope == "global"));
    let catalogue = client.rbac().available_permissions().await.unwrap();
    assert_eq!(
        catalogue.total_count as usize,
        catalogue.all_permissions.len()
    );
    assert!(
        catalogue
            .all_permissions
            .iter()
            .any(|p| p == "gateways.create")
    );
    let all_roles = client.rbac().roles().await.unwrap();
    let platform_admin = all_roles
        .iter()
        .find(|r| r.name == "platform_admin")
        .expect("platform_admin role");
    assert!(platform_admin.is_system_role);
    // The admin's global role assignment points at a role from the catalogue.
    assert!(
        roles
            .iter()
            .any(|a| all_roles.iter().any(|r| r.id == a.role_id))
    );
}

#[tokio::test]
async fn login_and_every_kind_of_401() {
    let gw = Gateway::shared();
    let email = format!("{}@example.com", unique("user"));
    let password = "Quartz-Lantern-7-Meadow";
    gw.create_user(&email, password, false).await.unwrap();

    let anonymous = Client::builder().base_url(gw.url()).build().unwrap();
    let session = anonymous.auth().login(&email, password).await.unwrap();
    assert_eq!(session.user.email, email);
    assert!(!format!("{session:?}").contains(session.expose_token()));
    let as_user = anonymous.with_token(session.expose_token());
    assert_eq!(as_user.auth().me().await.unwrap().email, email);
    // A plain user may list tools but not register gateways.
    as_user.tools().list().send().await.unwrap();
    assert!(matches!(
        as_user
            .gateways()
            .create(&GatewayCreate::new(
                unique("user-gw"),
                "http://127.0.0.1:1/mcp"
            ))
            .await,
        Err(Error::Forbidden(_))
    ));

    match anonymous.auth().login(&email, "wrong-password-123").await {
        Err(Error::Unauthorized(api)) => assert_eq!(api.status.as_u16(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    match anonymous.tools().list().send().await {
        Err(Error::Unauthorized(api)) => assert_eq!(api.message, "Authorization token required"),
        other => panic!("expected 401, got {other:?}"),
    }
    let mut options = JwtOptions::user(gw.admin_email());
    options.admin = true;
    options.secret = Some("an-entirely-different-secret-0123456789abcdef".into());
    let wrong_secret = gw.mint_jwt(&options).unwrap();
    for (what, token) in [
        ("garbage", "not.a.jwt".to_owned()),
        ("wrong secret", wrong_secret),
        ("expired", expired_jwt(gw.admin_email())),
    ] {
        match as_token(&token).gateways().list().send().await {
            Err(Error::Unauthorized(api)) => {
                assert_eq!(api.message, "Invalid authentication credentials", "{what}");
                // The token is never echoed in the error.
                let err = Error::Unauthorized(api);
                assert!(!err.to_string().contains(&token), "{what}");
                assert!(!format!("{err:?}").contains(&token), "{what}");
            }
            other => panic!("{what}: expected 401, got {other:?}"),
        }
    }
}
