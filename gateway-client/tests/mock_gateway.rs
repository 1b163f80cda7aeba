//! wiremock tests for what a real gateway cannot produce on demand: 5xx, 429 with `Retry-After`, timeouts,
//! truncated or malformed JSON, pagination edge cases, the retry rule, and secrets staying out of logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mcpfleet_gateway_client::{
    Client, Error, GatewayCreate, GatewayRead, JsonRpcError, RetryPolicy, ServerCreate,
    TokenCreate, Transport,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "eyJ.super-secret-test-token.sig";

fn client(server: &MockServer) -> Client {
    client_with(server, fast_retries())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .min_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .jitter(false)
}

fn client_with(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(server.uri())
        .bearer_token(TOKEN)
        .retry(retry)
        .build()
        .unwrap()
}

fn gateway_json(id: &str) -> Value {
    json!({
        "id": id, "name": format!("gw-{id}"), "url": "http://localhost:9000/mcp", "transport": "STREAMABLEHTTP",
        "enabled": true, "reachable": true, "tags": [{"id": "fleet", "label": "fleet"}],
        "authType": "bearer", "authValue": "*****", "authTokenUnmasked": "upstream-secret",
        "createdBy": "admin@example.com", "toolCount": 3, "visibility": "public"
    })
}

/// Answers with the given responses in order, then repeats the last one.
struct Sequence(Mutex<Vec<ResponseTemplate>>);

impl Sequence {
    fn new(mut responses: Vec<ResponseTemplate>) -> Self {
        responses.reverse();
        Sequence(Mutex::new(responses))
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut stack = self.0.lock().unwrap();
        if stack.len() > 1 {
            stack.pop().unwrap()
        } else {
            stack[0].clone()
        }
    }
}

#[tokio::test]
async fn sends_the_bearer_token_and_user_agent_and_decodes_tolerantly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways/abc"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header(
            "user-agent",
            concat!("mcpfleet-gateway-client/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(gateway_json("abc")))
        .expect(1)
        .mount(&server)
        .await;
    let gateway = client(&server).gateways().get("abc").await.unwrap();
    assert_eq!(gateway.transport, Transport::StreamableHttp);
    assert_eq!(gateway.tool_count, 3);
    assert_eq!(gateway.tags[0].label, "fleet");
    // Unknown fields are kept, credentials are not.
    assert_eq!(gateway.extra["createdBy"], "admin@example.com");
    assert!(!gateway.extra.contains_key("authTokenUnmasked"));
    assert!(!format!("{gateway:?}").contains("upstream-secret"));
}

#[tokio::test]
async fn a_500_is_a_server_error_with_status_and_body_and_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways/abc"))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).gateways().get("abc").await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.status().unwrap().as_u16(), 500);
    assert_eq!(err.body(), Some("Internal Server Error"));
    assert_eq!(
        err.to_string(),
        "gateway server error: GET /v1/gateways/abc answered 500 Internal Server Error: Internal Server Error"
    );
}

#[tokio::test]
async fn get_is_retried_on_503_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways/abc"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(503),
            ResponseTemplate::new(504),
            ResponseTemplate::new(200).set_body_json(gateway_json("abc")),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    let gateway = client(&server).gateways().get("abc").await.unwrap();
    assert_eq!(gateway.id, "abc");
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/servers/s1"))
        .respond_with(ResponseTemplate::new(502))
        .expect(3)
        .mount(&server)
        .await;
    let err = client_with(&server, fast_retries().max_retries(2))
        .servers()
        .get("s1")
        .await
        .unwrap_err();
    // A 502 on a GET is a plain server error (retryable), not "upstream unreachable".
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client_with(&server, RetryPolicy::none())
        .tools()
        .get("t")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)));
}

#[tokio::test]
async fn a_create_is_never_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .gateways()
        .create(&GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
}

#[tokio::test]
async fn a_502_on_register_is_upstream_unreachable_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .and(body_partial_json(json!({"name": "utils", "transport": "STREAMABLEHTTP"})))
        .respond_with(ResponseTemplate::new(502).set_body_json(json!({
            "message": "Failed to initialize gateway at http://localhost:9199/mcp: connection failed"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .gateways()
        .create(
            &GatewayCreate::new("utils", "http://127.0.0.1:9199/mcp")
                .transport(Transport::StreamableHttp),
        )
        .await
        .unwrap_err();
    match &err {
        Error::UpstreamUnreachable(api) => {
            assert!(api.message.starts_with("Failed to initialize gateway"));
            assert_eq!(api.method, reqwest::Method::POST);
            assert_eq!(api.path, "/v1/gateways");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/rbac/my/permissions"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": "Rate limit exceeded", "message": "Maximum 30 requests per minute"})),
            ResponseTemplate::new(200).set_body_json(json!(["*"])),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let permissions = client(&server).rbac().my_permissions().await.unwrap();
    assert_eq!(permissions, vec!["*"]);
    // The backoff alone would wait 5 ms; Retry-After asked for a second.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_capped_and_exhaustion_reports_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "900")
                .set_body_json(
                    json!({"error": "Rate limit lockout", "message": "blocked for 15 minutes"}),
                ),
        )
        .expect(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client_with(
        &server,
        fast_retries()
            .max_retries(1)
            .max_retry_after(Duration::from_millis(30)),
    )
    .rbac()
    .my_roles()
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Error::RateLimited(api) => {
            assert_eq!(api.retry_after, Some(Duration::from_secs(900)));
            assert_eq!(api.message, "blocked for 15 minutes");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "healthy"}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.health().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("GET {}/health timed out", server.uri())
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    // Bind and drop a listener to get a port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(fast_retries().max_retries(2))
        .build()
        .unwrap();
    let err = client.gateways().get("abc").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_that_keeps_the_body() {
    let server = MockServer::start().await;
    let truncated = r#"{"id":"abc","name":"gw","url":"http://x","transport":"SSE","enabled":tr"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(truncated, "application/json"))
        .mount(&server)
        .await;
    let err = client(&server).gateways().get("abc").await.unwrap_err();
    match &err {
        Error::Decode { context, .. } => {
            assert_eq!(context.body, truncated);
            assert_eq!(context.status.as_u16(), 200);
            assert_eq!(context.path, "/v1/gateways/abc");
        }
        other => panic!("{other:?}"),
    }
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_wrong_type_names_the_json_path() {
    let server = MockServer::start().await;
    let mut second = gateway_json("b");
    second["enabled"] = json!("yes");
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "gateways": [gateway_json("a"), second], "nextCursor": null
        })))
        .mount(&server)
        .await;
    let err = client(&server).gateways().list().send().await.unwrap_err();
    match &err {
        Error::Decode { context, .. } => assert_eq!(context.json_path, "gateways[1].enabled"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("gateways[1].enabled"), "{err}");
}

#[tokio::test]
async fn pagination_follows_cursors_and_sends_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/tools"))
        .and(query_param("cursor", "c2"))
        .and(query_param("gateway_id", "g1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tools": [tool_json("t3")], "nextCursor": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tools"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tools": [tool_json("t2")], "nextCursor": "c2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tools"))
        .and(query_param("include_pagination", "true"))
        .and(query_param("limit", "1"))
        .and(query_param("gateway_id", "g1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tools": [tool_json("t1")], "nextCursor": "c1"
        })))
        .expect(1)
        .with_priority(10)
        .mount(&server)
        .await;
    let ids: Vec<String> = client(&server)
        .tools()
        .list_by_gateway("g1")
        .limit(1)
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["t1", "t2", "t3"]);
}

fn tool_json(id: &str) -> Value {
    json!({"id": id, "name": format!("g-{id}"), "originalName": id, "gatewayId": "g1",
           "inputSchema": {"type": "object"}, "enabled": true})
}

#[tokio::test]
async fn an_empty_page_ends_the_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"servers": [], "nextCursor": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let all = client(&server).servers().list().all().await.unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn an_empty_page_with_a_fresh_cursor_still_ends_the_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("cursor", "c1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"gateways": [], "nextCursor": "c2"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "gateways": [gateway_json("a")], "nextCursor": "c1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let all = client(&server).gateways().list().all().await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn a_bare_array_answer_is_one_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([gateway_json("a"), gateway_json("b")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).gateways().list().send().await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_an_endless_loop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "gateways": [gateway_json("a")], "nextCursor": "same"
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut stream = std::pin::pin!(client.gateways().list().stream());
    let mut items = Vec::<GatewayRead>::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => panic!("the stream ended without noticing the loop"),
            Err(err) => break err,
        }
    };
    // The first page is delivered; the page behind the repeated cursor is not (it would repeat data).
    assert_eq!(items.len(), 1);
    match err {
        Error::PaginationLoop { path, cursor, .. } => {
            assert_eq!(path, "/v1/gateways");
            assert_eq!(cursor, "same");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rpc_errors_and_failed_tools_are_not_successes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rpc"))
        .and(body_partial_json(
            json!({"method": "tools/call", "params": {"name": "denied"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jsonrpc": "2.0", "id": 1,
            "error": {"code": -32003, "message": "Access denied", "data": {"method": "tools/call"}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rpc"))
        .and(body_partial_json(json!({"params": {"name": "boom", "arguments": {"x": 1}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jsonrpc": "2.0", "id": 1,
            "result": {"content": [{"type": "text", "text": "Error executing tool fail"}], "isError": true}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rpc"))
        .and(body_partial_json(json!({"params": {"name": "empty"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jsonrpc": "2.0", "id": 1})))
        .mount(&server)
        .await;
    let client = client(&server);

    match client.tools().call("denied", &json!({})).await {
        Err(Error::JsonRpc(rpc)) => {
            assert_eq!(rpc.code, JsonRpcError::ACCESS_DENIED);
            assert_eq!(rpc.data.unwrap()["method"], "tools/call");
            assert_eq!(rpc.tool.as_deref(), Some("denied"));
            assert!(rpc.body.contains("-32003"));
        }
        other => panic!("{other:?}"),
    }
    match client.tools().call("boom", &json!({"x": 1})).await {
        Err(err @ Error::ToolFailed(_)) => {
            assert_eq!(
                err.to_string(),
                "tool `boom` reported an error: Error executing tool fail"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.tools().call("empty", &()).await,
        Err(Error::JsonRpc(_))
    ));
    // Arguments that are not an object never leave the client.
    assert!(matches!(
        client.tools().call("boom", &"just a string").await,
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn error_bodies_in_all_three_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"message": "Gateway name already exists"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/servers"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"detail": [
            {"type": "missing", "loc": ["body", "server"], "msg": "Field required"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/auth/email/me"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"detail": "Access denied"})))
        .mount(&server)
        .await;
    let client = client(&server);
    let conflict = client
        .gateways()
        .create(&GatewayCreate::new("a", "http://b"))
        .await
        .unwrap_err();
    assert!(
        matches!(&conflict, Error::Conflict(api) if api.message == "Gateway name already exists")
    );
    let invalid = client
        .servers()
        .create(&ServerCreate::new("x"))
        .await
        .unwrap_err();
    match invalid {
        Error::Validation(api) => {
            assert_eq!(api.field_errors[0].loc, ["body", "server"]);
            assert_eq!(api.message, "body.server: Field required");
        }
        other => panic!("{other:?}"),
    }
    let forbidden = client.auth().me().await.unwrap_err();
    assert!(matches!(&forbidden, Error::Forbidden(api) if api.message == "Access denied"));
}

#[tokio::test]
async fn server_create_is_wrapped_and_tokens_are_snake_case() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/servers"))
        .and(body_partial_json(json!({
            "server": {"name": "fleet", "associated_tools": ["t1"]},
            "visibility": "team", "team_id": "team-1"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "s1", "name": "fleet", "enabled": true, "associatedToolIds": ["t1"]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/tokens"))
        .and(body_partial_json(json!({
            "name": "ci", "expires_in_days": 30,
            "scope": {"permissions": ["tools.execute"], "server_id": "s1"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": {"id": "k1", "name": "ci", "user_email": "a@example.com",
                      "resource_scopes": ["tools.execute"], "is_active": true},
            "access_token": "minted.jwt.value", "warnings": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .servers()
        .create(
            &ServerCreate::new("fleet")
                .tool_ids(["t1"])
                .visibility(mcpfleet_gateway_client::Visibility::Team)
                .team_id("team-1"),
        )
        .await
        .unwrap();
    assert_eq!(created.associated_tool_ids, ["t1"]);
    let token = client
        .tokens()
        .create(
            &TokenCreate::new("ci")
                .expires_in_days(30)
                .permissions(["tools.execute"])
                .server_id("s1"),
        )
        .await
        .unwrap();
    assert_eq!(token.expose_token(), "minted.jwt.value");
    assert!(!format!("{token:?}").contains("minted.jwt.value"));
}

#[tokio::test]
async fn login_sends_no_bearer_and_never_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/email/login"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"detail": "Invalid email or password"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .auth()
        .login("dev@example.com", "hunter2-hunter2")
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Unauthorized(api) if api.message == "Invalid email or password"));
    assert!(!format!("{err:?}").contains("hunter2"));
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
}

#[test]
fn request_body_schemas() {
    let schema = schemars::schema_for!(GatewayCreate);
    insta::assert_json_snapshot!("gateway_create_schema", schema);
    let schema = serde_json::to_value(schemars::schema_for!(TokenCreate)).unwrap();
    assert_eq!(schema["required"], json!(["name"]));
    assert!(schema["properties"]["scope"].is_object());
}

#[tokio::test]
async fn a_login_answer_that_fails_to_decode_does_not_keep_the_session_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/email/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "session.jwt.secret", "token_type": "bearer", "user": "not-an-object"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            r#"{"access_token":"api.jwt.secret","token":{"id":"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let login = client
        .auth()
        .login("dev@example.com", "pw")
        .await
        .unwrap_err();
    let minted = client
        .tokens()
        .create(&TokenCreate::new("ci").expires_in_days(1))
        .await
        .unwrap_err();
    for (err, secret) in [(login, "session.jwt.secret"), (minted, "api.jwt.secret")] {
        // Still a decode error that says where…
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        // …but the credential is in neither the body, Display nor Debug.
        assert!(!err.body().unwrap().contains(secret));
        assert!(!format!("{err} {err:?}").contains(secret), "{err:?}");
    }
}

#[tokio::test]
async fn an_unusable_token_from_with_token_is_an_invalid_request_not_a_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["*"])))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server)
        .with_token("bad\ntoken-part")
        .rbac()
        .my_permissions()
        .await
        .unwrap_err();
    match &err {
        Error::InvalidRequest {
            operation, message, ..
        } => {
            assert_eq!(*operation, "rbac.my_permissions");
            assert!(message.contains("/v1/rbac/my/permissions"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("token-part"), "{err:?}");
}

#[tokio::test]
async fn tool_auth_secrets_never_reach_debug() {
    let server = MockServer::start().await;
    let mut tool = tool_json("t1");
    tool["auth"] = json!({"authType": "bearer", "token": "tool-upstream-secret"});
    Mock::given(method("GET"))
        .and(path("/v1/tools/t1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool))
        .mount(&server)
        .await;
    let tool = client(&server).tools().get("t1").await.unwrap();
    assert_eq!(tool.extra["auth"]["authType"], "bearer");
    assert!(!format!("{tool:?}").contains("tool-upstream-secret"));
}
