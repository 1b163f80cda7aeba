//! The engine against the in-memory ContextForge model: plan, apply, sync, adopt, conflicts, lost answers,
//! concurrent applies, saved plans and verify.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mcpfleet_registry::{
    Action, ApplyOptions, Error, FailureKind, Fault, Format, GatewayCall, Manifest, MemoryGateway,
    Mode, Outcome, Plan, Registry, UpstreamSpec, UpstreamTransport, VerifyOptions, owner_tag, slug,
};
use secrecy::SecretString;

const FLEET: &str = r#"
fleet: demo
gateway: {url: "http://127.0.0.1:4444", token_env: DEMO_TOKEN}
servers:
  - name: utils
    url: http://127.0.0.1:9001/mcp
    transport: streamable-http
    description: small utilities
    expected_tools: [add, now]
    smoke:
      - tool: add
        arguments: {a: 10, b: 5}
        expect: {contains: "10"}
  - name: notes
    url: http://127.0.0.1:9002/mcp
    transport: streamable-http
    expected_tools: [note_add]
  - name: textkit
    url: http://127.0.0.1:9003/sse
    transport: sse
    expected_tools: [upper, word_count]
    auth: {type: headers, headers: [{name: X-Api-Key, value_env: TEXTKIT_KEY}]}
virtual_servers:
  - name: fleet
    tools:
      - {server: utils, tools: [add]}
      - {server: textkit}
"#;

fn manifest(text: &str) -> Manifest {
    Manifest::from_str_as(text, Format::Yaml, "fleet.yaml").unwrap()
}

fn gateway() -> MemoryGateway {
    let gateway = MemoryGateway::new();
    gateway.serve("http://127.0.0.1:9001/mcp", ["add", "now"]);
    gateway.serve("http://127.0.0.1:9002/mcp", ["note_add"]);
    gateway.serve("http://127.0.0.1:9003/sse", ["upper", "word_count"]);
    gateway
}

fn options(dir: &tempfile::TempDir) -> ApplyOptions {
    ApplyOptions::default()
        .lock_dir(Some(dir.path().to_owned()))
        .retry_pause(Duration::from_millis(1))
        .env(HashMap::from([(
            "TEXTKIT_KEY".to_owned(),
            SecretString::from("k-123"),
        )]))
}

/// No two upstreams share a slug, and no two virtual servers a name.
fn assert_no_duplicates(gateway: &MemoryGateway) {
    let mut slugs: Vec<String> = gateway.upstreams().iter().map(|u| slug(&u.name)).collect();
    let total = slugs.len();
    slugs.sort();
    slugs.dedup();
    assert_eq!(
        slugs.len(),
        total,
        "duplicate upstreams: {:?}",
        gateway.upstreams()
    );
    let mut names: Vec<String> = gateway
        .virtual_servers()
        .iter()
        .map(|v| v.name.to_lowercase())
        .collect();
    let total = names.len();
    names.dedup();
    assert_eq!(names.len(), total);
}

#[tokio::test]
async fn apply_converges_and_a_second_apply_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(manifest(FLEET), gateway()).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    assert_eq!(plan.summary().create, 4, "{}", plan.to_table());
    let report = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(report.writes, 4);
    let upstreams = registry.gateway().upstreams();
    assert!(
        upstreams
            .iter()
            .all(|u| u.tags.contains(&owner_tag("demo")))
    );
    let vs = &registry.gateway().virtual_servers()[0];
    assert_eq!(vs.tool_ids.len(), 3, "add + upper + word_count");

    let again = registry.plan(Mode::Apply).await.unwrap();
    assert!(again.is_converged(), "{}", again.to_table());
    registry.gateway().reset_calls();
    let report = registry.apply(Mode::Apply, &options(&dir)).await.unwrap();
    assert_eq!(report.writes, 0);
    assert_eq!(registry.gateway().writes(), 0);
    // A no-op apply reads the three listings once.
    let calls = registry.gateway().calls();
    assert_eq!(calls.values().sum::<usize>(), 3, "{calls:?}");
}

#[tokio::test]
async fn one_changed_description_is_exactly_one_update() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    let first = Registry::new(manifest(FLEET), gateway).unwrap();
    first
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let utils = |gateway: &MemoryGateway| {
        gateway
            .upstreams()
            .into_iter()
            .find(|u| u.name == "utils")
            .unwrap()
    };
    let version = utils(first.gateway()).version;
    let edited = FLEET.replace(
        "description: small utilities",
        "description: small, sharp utilities",
    );
    let second = Registry::new(manifest(&edited), first.gateway()).unwrap();
    let plan = second.plan(Mode::Apply).await.unwrap();
    assert_eq!(plan.summary().update, 1, "{}", plan.to_table());
    let change = &plan.upstreams[0].changes;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].field, "description");
    assert!(
        plan.to_table()
            .contains(r#"description: "small utilities" → "small, sharp utilities""#)
    );
    second.gateway().reset_calls();
    let report = second
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(report.writes, 1);
    assert_eq!(second.gateway().calls()[&GatewayCall::UpdateUpstream], 1);
    assert_eq!(utils(second.gateway()).version, version.map(|v| v + 1));
}

#[tokio::test]
async fn sync_deletes_only_what_the_fleet_owns_and_apply_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway.serve("http://127.0.0.1:9100/mcp", ["other"]);
    // Someone else's registration, not owned by the fleet.
    gateway
        .preload(&spec(
            "someone-elses",
            "http://127.0.0.1:9100/mcp",
            &["team:x"],
        ))
        .unwrap();
    let full = Registry::new(manifest(FLEET), &gateway).unwrap();
    full.apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();

    let without_notes = FLEET.replace(
        "  - name: notes\n    url: http://127.0.0.1:9002/mcp\n    transport: streamable-http\n    expected_tools: [note_add]\n",
        "",
    );
    let smaller = Registry::new(manifest(&without_notes), &gateway).unwrap();
    let plan = smaller.plan(Mode::Apply).await.unwrap();
    let notes = plan.upstreams.iter().find(|s| s.name == "notes").unwrap();
    assert_eq!(notes.action, Action::Retain);
    gateway.reset_calls();
    smaller
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(gateway.writes(), 0, "apply never deletes");

    let plan = smaller.plan(Mode::Sync).await.unwrap();
    assert_eq!(plan.summary().delete, 1, "{}", plan.to_table());
    smaller
        .apply(Mode::Sync, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(gateway.calls()[&GatewayCall::DeleteUpstream], 1);
    let names: Vec<String> = gateway.upstreams().into_iter().map(|u| u.name).collect();
    assert!(!names.contains(&"notes".to_owned()));
    assert!(
        names.contains(&"someone-elses".to_owned()),
        "sync must not touch what it does not own"
    );
}

fn spec(name: &str, url: &str, tags: &[&str]) -> UpstreamSpec {
    serde_json::from_value(serde_json::json!({
        "name": name, "url": url, "transport": "streamable-http",
        "tags": tags,
    }))
    .unwrap()
}

#[tokio::test]
async fn same_name_and_url_is_adopted_another_url_is_a_conflict_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway
        .preload(&spec("utils", "http://localhost:9001/mcp", &[]))
        .unwrap();
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    let utils = &plan.upstreams[0];
    assert_eq!(utils.action, Action::Adopt, "{}", plan.to_table());
    assert!(utils.changes.iter().any(|c| c.field == "tags"));
    registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(registry.plan(Mode::Apply).await.unwrap().is_converged());

    let other = MemoryGateway::new();
    other.serve("http://127.0.0.1:9001/mcp", ["add", "now"]);
    other.serve("http://127.0.0.1:9999/mcp", ["add", "now"]);
    other
        .preload(&spec("Utils", "http://127.0.0.1:9999/mcp", &[]))
        .unwrap();
    let registry = Registry::new(manifest(FLEET), &other).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    assert_eq!(plan.upstreams[0].action, Action::Conflict);
    other.reset_calls();
    let err = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflicts { .. }), "{err}");
    assert!(err.to_string().contains(":9999/mcp"), "{err}");
    assert_eq!(
        other.writes(),
        0,
        "nothing is written while the plan has a conflict"
    );
}

#[tokio::test]
async fn tool_names_colliding_after_slugging_are_found_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = MemoryGateway::new();
    gateway.serve("http://127.0.0.1:9200/mcp", ["b-c"]);
    gateway.serve("http://127.0.0.1:9201/mcp", ["c"]);
    gateway
        .preload(&spec("a", "http://127.0.0.1:9200/mcp", &[]))
        .unwrap();
    let text = r#"
fleet: demo
gateway: {url: "http://127.0.0.1:4444"}
servers:
  - {name: a-b, url: "http://127.0.0.1:9201/mcp", transport: streamable-http, expected_tools: [c]}
"#;
    let registry = Registry::new(manifest(text), &gateway).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    assert_eq!(plan.upstreams[0].action, Action::Conflict);
    assert!(
        plan.conflicts()[0].contains("`a-b-c`"),
        "{:?}",
        plan.conflicts()
    );
    let err = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflicts { .. }));
}

#[tokio::test]
async fn a_lost_answer_after_a_create_is_found_by_looking_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway.inject(GatewayCall::CreateUpstream, Fault::LoseAnswer);
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let report = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_no_duplicates(&gateway);
    assert_eq!(gateway.upstreams().len(), 3);
    let noted: Vec<_> = report
        .steps
        .iter()
        .filter(|s| !s.notes.is_empty())
        .collect();
    assert_eq!(noted.len(), 1);
    assert!(
        noted[0].notes[0].contains("found by looking"),
        "{:?}",
        noted[0].notes
    );
    assert_eq!(
        gateway.calls()[&GatewayCall::CreateUpstream],
        3,
        "the lost create is not sent again"
    );
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway.inject(
        GatewayCall::CreateUpstream,
        Fault::Fail(FailureKind::Ambiguous),
    );
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let report = registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let retried: Vec<_> = report.retried().collect();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);
    assert!(report.to_table().contains("2 attempts"));
    assert_no_duplicates(&gateway);
}

#[tokio::test]
async fn an_unreachable_upstream_fails_alone_and_the_next_apply_converges() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway.stop("http://127.0.0.1:9002/mcp");
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let report = registry.apply(Mode::Apply, &options(&dir)).await.unwrap();
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name, "notes");
    assert!(matches!(
        failed[0].outcome,
        Outcome::Failed {
            kind: FailureKind::UpstreamUnreachable,
            status: Some(502),
            ..
        }
    ));
    let err = report.into_result().unwrap_err();
    assert!(err.to_string().contains("notes"), "{err}");
    assert_eq!(gateway.upstreams().len(), 2);
    assert_eq!(
        gateway.virtual_servers().len(),
        1,
        "the virtual server does not need notes"
    );

    gateway.serve("http://127.0.0.1:9002/mcp", ["note_add"]);
    registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(registry.plan(Mode::Apply).await.unwrap().is_converged());
}

#[tokio::test]
async fn missing_credentials_stop_the_apply_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let options = options(&dir).env(HashMap::new());
    let err = registry.apply(Mode::Apply, &options).await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingEnv { name, .. } if name == "TEXTKIT_KEY"),
        "{err}"
    );
    assert_eq!(gateway.writes(), 0);
}

#[tokio::test]
async fn concurrent_applies_of_one_manifest_leave_no_duplicate() {
    // The model keeps ContextForge's race: the name check and the insert are a handshake apart.
    let gateway = Arc::new(gateway().with_handshake(Duration::from_millis(30)));
    let dir = tempfile::tempdir().unwrap();
    let run = |gateway: Arc<MemoryGateway>, options: ApplyOptions| async move {
        let registry = Registry::new(manifest(FLEET), gateway.as_ref()).unwrap();
        registry
            .apply(Mode::Apply, &options)
            .await
            .map(|r| r.writes)
    };
    let (a, b) = tokio::join!(
        run(gateway.clone(), options(&dir)),
        run(gateway.clone(), options(&dir))
    );
    assert_no_duplicates(&gateway);
    assert_eq!(
        a.unwrap() + b.unwrap(),
        4,
        "one apply writes, the other finds nothing to do"
    );

    // Without the fleet lock the same race does leave duplicates: the lock is what prevents them.
    let unlocked = Arc::new(self::gateway().with_handshake(Duration::from_millis(30)));
    let no_lock = options(&dir).lock_dir(None);
    let _ = tokio::join!(
        run(unlocked.clone(), no_lock.clone()),
        run(unlocked.clone(), no_lock)
    );
    assert!(
        unlocked.upstreams().len() > 3,
        "the model should reproduce the race"
    );
}

#[tokio::test]
async fn a_saved_plan_applies_only_against_the_state_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let saved = Plan::from_json(&registry.plan(Mode::Apply).await.unwrap().to_json()).unwrap();
    // Someone registers something relevant in between.
    gateway
        .preload(&spec("notes", "http://127.0.0.1:9002/mcp", &[]))
        .unwrap();
    let err = registry
        .apply_plan(&saved, &options(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StalePlan { .. }), "{err}");
    assert_eq!(gateway.writes(), 0);

    let fresh = registry.plan(Mode::Apply).await.unwrap();
    let report = registry
        .apply_plan(&fresh, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(report.plan.adopt, 1);
    let other_fleet = Registry::new(
        manifest(&FLEET.replace("fleet: demo", "fleet: other")),
        &gateway,
    )
    .unwrap();
    let err = other_fleet
        .apply_plan(&fresh, &options(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PlanMismatch { field: "fleet", .. }));
}

#[tokio::test]
async fn changing_a_virtual_servers_tools_is_one_update() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    Registry::new(manifest(FLEET), &gateway)
        .unwrap()
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let edited = FLEET.replace(
        "{server: utils, tools: [add]}",
        "{server: utils, tools: [add, now]}",
    );
    let registry = Registry::new(manifest(&edited), &gateway).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    let vs = &plan.virtual_servers[0];
    assert_eq!(vs.action, Action::Update, "{}", plan.to_table());
    assert_eq!(vs.changes[0].field, "tools");
    gateway.reset_calls();
    registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(gateway.writes(), 1);
    assert_eq!(gateway.virtual_servers()[0].tool_ids.len(), 4);
}

#[tokio::test]
async fn verify_reports_a_dead_upstream_for_that_server_only() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    registry
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let quick = VerifyOptions::default().deadline(Duration::from_millis(300));
    let report = registry.verify(&quick).await.unwrap();
    assert!(report.passed, "{}", report.to_markdown());
    assert_eq!(report.virtual_servers[0].listed_tools, 3);

    gateway.stop("http://127.0.0.1:9001/mcp");
    let report = registry.verify(&quick).await.unwrap();
    let failed: Vec<&str> = report
        .servers
        .iter()
        .filter(|s| !s.passed)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(failed, ["utils"]);
    assert!(
        !report.virtual_servers[0].passed,
        "its smoke call through the virtual server fails too"
    );
    let markdown = report.to_markdown();
    assert!(markdown.contains("| `utils` | **fail**"), "{markdown}");
    assert!(report.into_result().is_err());
}

#[tokio::test]
async fn sync_removes_duplicates_a_racing_client_left_and_keeps_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    let owned = [owner_tag("demo")];
    let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
    let first = gateway
        .preload(&spec("utils", "http://127.0.0.1:9001/mcp", &owned))
        .unwrap();
    gateway.serve("http://127.0.0.1:9009/mcp", ["x"]);
    gateway
        .preload(&spec("Utils", "http://127.0.0.1:9009/mcp", &owned))
        .unwrap();
    let registry = Registry::new(manifest(FLEET), &gateway).unwrap();
    let plan = registry.plan(Mode::Apply).await.unwrap();
    assert_eq!(plan.upstreams[0].id.as_deref(), Some(first.id.as_str()));
    assert!(
        plan.upstreams.iter().any(|s| s.action == Action::Retain),
        "{}",
        plan.to_table()
    );
    registry
        .apply(Mode::Sync, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_no_duplicates(&gateway);
    assert!(gateway.upstreams().iter().any(|u| u.id == first.id));
}

#[test]
fn transports_are_typed() {
    assert_eq!(UpstreamTransport::parse("SSE"), Ok(UpstreamTransport::Sse));
    assert!(
        UpstreamTransport::parse("websocket")
            .unwrap_err()
            .contains("deprecated")
    );
}

/// The plan as a table and as JSON, with every kind of line: create, update with before → after, adopt, retain
/// and conflict.
#[tokio::test]
async fn plan_renderings() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = gateway();
    gateway.serve("http://127.0.0.1:9004/mcp", ["stale"]);
    gateway.serve("http://127.0.0.1:9005/mcp", ["x"]);
    let old = FLEET.replace("description: small utilities", "description: old words").replace(
        "virtual_servers:",
        "  - {name: stale, url: \"http://127.0.0.1:9004/mcp\", transport: streamable-http}\nvirtual_servers:",
    );
    Registry::new(manifest(&old), &gateway)
        .unwrap()
        .apply(Mode::Apply, &options(&dir))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    // notes is deleted behind the fleet's back and re-registered by someone else at its URL.
    let notes = gateway
        .upstreams()
        .into_iter()
        .find(|u| u.name == "notes")
        .unwrap();
    mcpfleet_registry::Gateway::delete_upstream(&gateway, &notes.id)
        .await
        .unwrap();
    gateway
        .preload(&spec("notes", "http://127.0.0.1:9002/mcp", &[]))
        .unwrap();
    gateway
        .preload(&spec("squatter", "http://127.0.0.1:9005/mcp", &[]))
        .unwrap();
    let text = FLEET.replace(
        "virtual_servers:",
        "  - {name: squatter, url: \"http://127.0.0.1:9006/mcp\", transport: streamable-http}\nvirtual_servers:",
    );
    let plan = Registry::new(manifest(&text), &gateway)
        .unwrap()
        .plan(Mode::Apply)
        .await
        .unwrap();
    insta::assert_snapshot!("plan_table", plan.to_table());
    insta::assert_json_snapshot!("plan_json", plan);
}
