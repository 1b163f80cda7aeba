//! Harness self-test: the real gateway answers, the three real fixture servers register, their tools are listed and
//! callable through `POST /rpc`, and an unknown tool yields the JSON-RPC error.

use mcpfleet_harness::{FixtureServer, Fixtures, Gateway, with_cleanup};
use reqwest::Method;
use serde_json::{Value, json};

/// Registers a fixture under `name`, runs `check` with the gateway record, and always deletes the record.
async fn with_registered<F, Fut>(server: &FixtureServer, name: &str, check: F)
where
    F: FnOnce(Value) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let gw = Gateway::shared();
    let _lease = server.exclusive();
    let body = json!({"name": name, "url": server.url, "transport": server.transport});
    let created = gw
        .request_ok(
            Method::POST,
            "/v1/gateways",
            Some(gw.admin_token()),
            Some(&body),
            &[200],
        )
        .await
        .unwrap_or_else(|e| panic!("registering {} ({}): {e}", server.name, server.url));
    let id = created["id"].as_str().expect("gateway id").to_owned();
    with_cleanup(check(created), async {
        gw.request_ok(
            Method::DELETE,
            &format!("/v1/gateways/{id}"),
            Some(gw.admin_token()),
            None,
            &[200],
        )
        .await
        .expect("deleting the gateway record");
    })
    .await;
}

async fn rpc(method: &str, params: Value) -> Value {
    let gw = Gateway::shared();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    // /rpc answers HTTP 200 for application errors too; the JSON-RPC body says what happened.
    gw.request_ok(
        Method::POST,
        "/rpc",
        Some(gw.admin_token()),
        Some(&body),
        &[200],
    )
    .await
    .expect("POST /rpc")
}

async fn tools_of(gateway_id: &str) -> Vec<Value> {
    let gw = Gateway::shared();
    let listed = gw
        .request_ok(
            Method::GET,
            &format!("/v1/tools?gateway_id={gateway_id}&limit=0"),
            Some(gw.admin_token()),
            None,
            &[200],
        )
        .await
        .expect("GET /v1/tools");
    listed.as_array().cloned().expect("a JSON array of tools")
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let gw = Gateway::shared();
    let health = gw
        .request_ok(Method::GET, "/health", None, None, &[200])
        .await
        .unwrap();
    assert_eq!(health["status"], "healthy");
    assert!(gw.is_running());
}

#[tokio::test]
async fn admin_token_is_accepted_and_a_bad_one_is_not() {
    let gw = Gateway::shared();
    let me = gw
        .request_ok(
            Method::GET,
            "/v1/auth/email/me",
            Some(gw.admin_token()),
            None,
            &[200],
        )
        .await
        .unwrap();
    assert_eq!(me["email"], gw.admin_email());
    assert_eq!(me["is_admin"], true);
    let refused = gw
        .request(Method::GET, "/v1/gateways", Some("not-a-jwt"), None)
        .await
        .unwrap();
    assert_eq!(refused.status, 401, "{}", refused.text);
}

#[tokio::test]
async fn three_fixture_servers_register_and_list_their_tools() {
    let fixtures = Fixtures::shared();
    for server in fixtures.all() {
        let name = format!("selftest-{}", server.name);
        let expected_name = name.clone();
        with_registered(server, &name, |created| async move {
            assert_eq!(created["name"], expected_name.as_str());
            assert_eq!(created["reachable"], true, "{created}");
            let id = created["id"].as_str().unwrap().to_owned();
            let tools = tools_of(&id).await;
            let mut original: Vec<&str> = tools
                .iter()
                .filter_map(|t| t["originalName"].as_str())
                .collect();
            original.sort_unstable();
            let mut expected = server.kind.tools().to_vec();
            expected.sort_unstable();
            assert_eq!(original, expected, "tools of {}", server.name);
            for tool in &tools {
                assert_eq!(tool["gatewayId"], id.as_str());
            }
        })
        .await;
    }
}

#[tokio::test]
async fn add_through_rpc_returns_15_and_unknown_tool_is_a_jsonrpc_error() {
    let fixtures = Fixtures::shared();
    with_registered(&fixtures.utils, "selftest-calc", |created| async move {
        let id = created["id"].as_str().unwrap().to_owned();
        let tools = tools_of(&id).await;
        let add = tools
            .iter()
            .find(|t| t["originalName"] == "add")
            .and_then(|t| t["name"].as_str())
            .expect("the add tool is listed")
            .to_owned();
        assert_eq!(
            add, "selftest-calc-add",
            "the gateway's naming rule (slug + '-' + tool)"
        );

        let answer = rpc(
            "tools/call",
            json!({"name": add, "arguments": {"a": 10, "b": 5}}),
        )
        .await;
        assert!(answer.get("error").is_none(), "{answer}");
        assert_eq!(answer["result"]["isError"], false, "{answer}");
        assert_eq!(answer["result"]["content"][0]["text"], "15", "{answer}");

        let failing = tools.iter().find(|t| t["originalName"] == "fail").unwrap()["name"].clone();
        let answer = rpc(
            "tools/call",
            json!({"name": failing, "arguments": {"reason": "test"}}),
        )
        .await;
        assert_eq!(
            answer["result"]["isError"], true,
            "a raising tool is a failed result: {answer}"
        );

        let answer = rpc(
            "tools/call",
            json!({"name": "selftest-no-such-tool", "arguments": {}}),
        )
        .await;
        assert_eq!(answer["error"]["code"], -32601, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("selftest-no-such-tool"),
            "{answer}"
        );
    })
    .await;
}

#[tokio::test]
async fn notes_and_textkit_tools_are_callable_through_rpc() {
    let fixtures = Fixtures::shared();
    with_registered(&fixtures.textkit, "selftest-text", |_| async move {
        let answer = rpc(
            "tools/call",
            json!({"name": "selftest-text-word-count", "arguments": {"text": "a b c"}}),
        )
        .await;
        assert_eq!(answer["result"]["content"][0]["text"], "3", "{answer}");
    })
    .await;
    with_registered(&fixtures.notes, "selftest-notes", |_| async move {
        let answer = rpc(
            "tools/call",
            json!({"name": "selftest-notes-note-add", "arguments": {"title": "t", "body": "b"}}),
        )
        .await;
        assert_eq!(answer["result"]["isError"], false, "{answer}");
        // FastMCP 1.x returns the dict as JSON text; the gateway passes no structuredContent on for it.
        let text = answer["result"]["content"][0]["text"].as_str().unwrap();
        let note: Value = serde_json::from_str(text).unwrap();
        assert_eq!(note, json!({"index": 0, "title": "t", "body": "b"}));
    })
    .await;
}
