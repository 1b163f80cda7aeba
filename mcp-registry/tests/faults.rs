//! What the real gateway cannot be made to do on demand, simulated with wiremock behind the `ContextForge`
//! implementation: 5xx, 429, timeouts, broken answers and dropped connections in the middle of an apply. Every
//! one ends in a typed outcome, a create is looked for before it is sent again (no duplicate), and the next apply
//! converges.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcpfleet_gateway_client::{Client, RetryPolicy};
use mcpfleet_registry::{
    ApplyOptions, ApplyReport, ContextForge, Error, FailureKind, Format, Manifest, Mode, Outcome,
    Registry,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn manifest(gateway: &str) -> Manifest {
    let text = format!(
        "fleet: faults\ngateway: {{url: \"{gateway}\"}}\nservers:\n  - {{name: utils, url: \"http://127.0.0.1:9001/mcp\", transport: streamable-http}}\n"
    );
    Manifest::from_str_with_env(&text, Format::Yaml, "faults.yaml", |_| None).unwrap()
}

fn registry(server: &MockServer, timeout: Duration) -> Registry<ContextForge> {
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token("test-token")
        .timeout(timeout)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    Registry::new(manifest(&server.uri()), ContextForge::new(client)).unwrap()
}

/// One apply of the one-server manifest against `server` (answers slower than `timeout` time out), with a lock
/// directory of its own.
async fn apply_once(server: &MockServer, timeout: Duration) -> Result<ApplyReport, Error> {
    let dir = tempfile::tempdir().unwrap();
    registry(server, timeout)
        .apply(Mode::Apply, &options(&dir))
        .await
}

fn options(dir: &tempfile::TempDir) -> ApplyOptions {
    ApplyOptions::default()
        .lock_dir(Some(dir.path().to_owned()))
        .retry_pause(Duration::from_millis(5))
}

/// The record ContextForge answers for the registration (tags carry the ownership mark).
fn utils_record() -> Value {
    json!({
        "id": "0123456789abcdef0123456789abcdef", "name": "utils", "url": "http://localhost:9001/mcp",
        "transport": "STREAMABLEHTTP", "enabled": true, "reachable": true, "version": 1,
        "tags": [{"id": "mcpfleet:faults", "label": "mcpfleet:faults"}],
    })
}

fn listing(key: &str, items: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({key: items, "nextCursor": null}))
}

/// Empty virtual-server and tool listings.
async fn quiet_listings(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/servers"))
        .respond_with(listing("servers", vec![]))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tools"))
        .respond_with(listing("tools", vec![]))
        .mount(server)
        .await;
}

/// Gateways: the first `empty` listings show nothing, later ones the registration.
async fn gateways_listing(server: &MockServer, empty: u64) {
    gateways_listing_then(server, empty, utils_record()).await;
}

/// Gateways: the first `empty` listings show nothing, later ones `record`.
async fn gateways_listing_then(server: &MockServer, empty: u64, record: Value) {
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(listing("gateways", vec![]))
        .up_to_n_times(empty)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(listing("gateways", vec![record]))
        .with_priority(2)
        .mount(server)
        .await;
}

/// `POST /v1/gateways` answers `first` once, then the registration.
async fn create_fails_once(server: &MockServer, first: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(200).set_body_json(utils_record()))
        .with_priority(2)
        .mount(server)
        .await;
}

async fn posts(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v1/gateways")
        .count()
}

/// Every `POST /v1/gateways` answers `answer`, although the registration is there when the engine looks (the
/// plan's listing is empty, later ones show it): the step must be done, with the registration's id, a note
/// containing each of `noted`, and no second create.
async fn answered_but_registered(answer: ResponseTemplate, noted: &[&str]) {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    gateways_listing(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(answer)
        .mount(&server)
        .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    let step = &report.steps[0];
    assert_eq!(step.outcome, Outcome::Done, "{}", report.to_table());
    assert_eq!(step.id.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    assert!(
        noted.iter().all(|n| step.notes[0].contains(n)),
        "{noted:?} in {:?}",
        step.notes
    );
    assert_eq!(posts(&server).await, 1, "no second create");
}

#[tokio::test]
async fn a_500_that_registered_anyway_is_found_not_sent_again() {
    answered_but_registered(
        ResponseTemplate::new(500).set_body_json(json!({"message": "database is locked"})),
        &["HTTP 500", "found by looking"],
    )
    .await;
}

/// What the real gateway answered the slower of two applies racing without a shared lock (the live fault drill):
/// a 409 about a tool name, because the faster one's registration brought the same tools. The registration is the
/// fleet's own, so it is adopted, not reported as a failure and not sent again.
#[tokio::test]
async fn a_409_because_a_concurrent_apply_registered_it_is_adopted() {
    answered_but_registered(
        ResponseTemplate::new(409)
            .set_body_json(json!({"detail": "Gateway tool name conflicts with an existing tool"})),
        &["HTTP 409", "a concurrent apply"],
    )
    .await;
}

/// A 409 for a registration that is not the fleet's own stays a failure, sent once.
#[tokio::test]
async fn a_409_for_someone_elses_registration_stays_a_conflict() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    let mut foreign = utils_record();
    foreign["tags"] = json!([{"id": "mcpfleet:other", "label": "mcpfleet:other"}]);
    gateways_listing_then(&server, 1, foreign).await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"detail": "Gateway name already exists"})),
        )
        .mount(&server)
        .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    assert!(
        matches!(
            report.steps[0].outcome,
            Outcome::Failed {
                kind: FailureKind::NameTaken,
                status: Some(409),
                ..
            }
        ),
        "{}",
        report.to_table()
    );
    assert_eq!(posts(&server).await, 1);
}

#[tokio::test]
async fn a_503_that_did_nothing_is_retried_once_looked_for() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    gateways_listing(&server, 2).await;
    create_fails_once(
        &server,
        ResponseTemplate::new(503).set_body_string("<html>upstream overloaded</html>"),
    )
    .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    let step = &report.steps[0];
    assert_eq!(step.outcome, Outcome::Done, "{}", report.to_table());
    assert_eq!(step.attempts, 2);
    assert!(
        step.notes[0].contains("not registered, retrying"),
        "{:?}",
        step.notes
    );
    assert_eq!(posts(&server).await, 2);
}

#[tokio::test]
async fn a_429_is_waited_out() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    gateways_listing(&server, 2).await;
    create_fails_once(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "0")
            .set_body_json(json!({"detail": "slow down"})),
    )
    .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        report.steps[0].outcome,
        Outcome::Done,
        "{}",
        report.to_table()
    );
    assert!(
        report.steps[0].notes[0].contains("HTTP 429"),
        "{:?}",
        report.steps[0].notes
    );
}

#[tokio::test]
async fn a_timeout_is_ambiguous_and_the_registration_it_made_is_found() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    gateways_listing(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(utils_record())
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let report = apply_once(&server, Duration::from_millis(300))
        .await
        .unwrap();
    let step = &report.steps[0];
    assert_eq!(step.outcome, Outcome::Done, "{}", report.to_table());
    assert!(step.notes[0].contains("timed out"), "{:?}", step.notes);
    assert_eq!(posts(&server).await, 1);
}

#[tokio::test]
async fn a_broken_answer_to_a_create_is_treated_as_maybe_applied() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    gateways_listing(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\": 42"))
        .mount(&server)
        .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        report.steps[0].outcome,
        Outcome::Done,
        "{}",
        report.to_table()
    );
    assert_eq!(posts(&server).await, 1);
}

#[tokio::test]
async fn a_gateway_that_keeps_failing_gives_a_typed_failure_and_the_next_apply_converges() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    // Nothing is registered until the second apply's create: the listings of both applies' plans are empty.
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(listing("gateways", vec![]))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(502).set_body_json(json!({"message": "Failed to initialize gateway at http://localhost:9001/mcp: connection failed"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let report = apply_once(&server, Duration::from_secs(5)).await.unwrap();
    match &report.steps[0].outcome {
        Outcome::Failed {
            kind,
            status,
            message,
        } => {
            assert_eq!(*kind, FailureKind::UpstreamUnreachable);
            assert_eq!(*status, Some(502));
            assert!(message.contains("connection failed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err = report.into_result().unwrap_err();
    assert!(matches!(err, Error::Incomplete { failed: 1, .. }), "{err}");
    assert_eq!(
        posts(&server).await,
        1,
        "a 502 is a definite answer: no retry"
    );

    // The upstream comes up: the next apply registers it, and the one after finds nothing to do.
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(200).set_body_json(utils_record()))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(listing("gateways", vec![utils_record()]))
        .with_priority(3)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(&server, Duration::from_secs(5));
    registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(registry.plan(Mode::Apply).await.unwrap().is_converged());
}

#[tokio::test]
async fn an_expired_token_is_a_clear_unauthorized_before_any_write() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Token has expired"})),
        )
        .mount(&server)
        .await;
    let err = apply_once(&server, Duration::from_secs(5))
        .await
        .unwrap_err();
    let failure = err.gateway_failure().unwrap();
    assert_eq!(failure.kind, FailureKind::Unauthorized);
    assert_eq!(failure.status, Some(401));
    assert!(
        failure
            .body
            .as_deref()
            .unwrap()
            .contains("Token has expired")
    );
    assert!(!err.to_string().contains("test-token"), "{err}");
    assert_eq!(posts(&server).await, 0);
}

#[tokio::test]
async fn a_dropped_connection_is_a_typed_failure() {
    // A "gateway" that accepts connections and closes them without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let client = Client::builder()
        .base_url(format!("http://{address}"))
        .bearer_token("test-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let registry = Registry::new(
        manifest(&format!("http://{address}")),
        ContextForge::new(client),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap_err();
    assert_eq!(
        err.gateway_failure().unwrap().kind,
        FailureKind::Ambiguous,
        "{err}"
    );
}

/// A gateway that lists one registration twice (same id): the plan shows a conflict instead of "unchanged" plus
/// "delete (a duplicate)", `sync` deletes nothing and writes nothing, and a saved plan that deletes an id it also
/// keeps is refused before any write.
#[tokio::test]
async fn a_listing_with_one_id_twice_stops_the_plan_and_deletes_nothing() {
    let server = MockServer::start().await;
    quiet_listings(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(listing("gateways", vec![utils_record(), utils_record()]))
        .mount(&server)
        .await;
    // Any write is a failure of this test.
    for verb in ["POST", "PUT", "DELETE", "PATCH"] {
        Mock::given(method(verb))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&server)
            .await;
    }
    let registry = registry(&server, Duration::from_secs(5));
    let plan = registry.plan(Mode::Sync).await.unwrap();
    let actions: Vec<(String, String)> = plan
        .upstreams
        .iter()
        .map(|s| (s.name.clone(), format!("{:?}", s.action)))
        .collect();
    assert!(
        !plan
            .upstreams
            .iter()
            .any(|s| s.action == mcpfleet_registry::Action::Delete),
        "{actions:?}"
    );
    let conflicts = plan.conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(
        conflicts[0].contains("listed id `0123456789abcdef0123456789abcdef` 2 times"),
        "{conflicts:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let err = registry
        .apply(Mode::Sync, &options(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflicts { .. }), "{err}");

    // The plan the old code made, saved and fed back: unchanged and deleted at once. Refused, nothing sent.
    let mut contradictory = plan.clone();
    contradictory.upstreams = vec![
        step_json("utils", "unchanged"),
        step_json("utils", "delete"),
    ];
    assert_eq!(contradictory.contradictions().len(), 1);
    let err = registry
        .apply_plan(&contradictory, &options(&dir))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("both deleted"), "{err}");
}

fn step_json(name: &str, action: &str) -> mcpfleet_registry::UpstreamStep {
    serde_json::from_value(json!({
        "name": name, "action": action, "id": "0123456789abcdef0123456789abcdef",
    }))
    .unwrap()
}
