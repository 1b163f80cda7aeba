//! Live tests of `mcpfleet-registry` against the real ContextForge 1.1.0 and real fixture MCP servers: apply and
//! verify a fleet, count the HTTP requests of a no-op re-apply, one update for one changed field, deletes only
//! under `sync`, an unreachable upstream failing alone, concurrent applies leaving no duplicate, and the
//! least-privilege token passing where one permission fewer is refused before any write.
//!
//! These tests register the same private fixture servers (the gateway takes one registration per URL), so they
//! run one at a time behind [`serial`], each under its own fleet name, and `sync` an empty manifest at the end.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcpfleet_gateway_client::Client;
use mcpfleet_harness::{
    Fixtures, Gateway, RequestCounter, free_port, registrations_named, with_cleanup,
};
use mcpfleet_registry::{
    ApplyOptions, ContextForge, Error, FailureKind, Format, Manifest, Mode, Outcome, Registry,
    VerifyOptions, preflight, preflight_hook, slug, token_create,
};
use mcpfleet_scope_audit::BearerToken;
use tracing_subscriber::layer::SubscriberExt;

/// The fixture servers of these tests: their own instances, so no other live test holds their URLs.
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures::start(Gateway::shared()).expect("registry fixture servers"))
}

/// One registry test at a time (they register the same URLs).
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

fn fleet_name(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("live-{test}-{nanos}")
}

/// The three fixture servers and a virtual server, under names unique to `fleet`.
fn manifest_text(fleet: &str, notes_description: &str, with_notes: bool) -> String {
    let fx = fixtures();
    let gw = Gateway::shared();
    let notes = if with_notes {
        format!(
            r#"
  - name: {fleet}-notes
    description: "{notes_description}"
    url: "{url}"
    transport: streamable-http
    expected_tools: [note_add, note_list]
    smoke:
      - {{tool: note_add, arguments: {{title: fleet}}, expect: {{contains: fleet}}}}"#,
            url = fx.notes.url
        )
    } else {
        String::new()
    };
    format!(
        r#"
fleet: {fleet}
gateway: {{url: "{gateway}", token_env: UNUSED_IN_TESTS}}
servers:
  - name: {fleet}-utils
    description: stdio server behind mcp-proxy
    url: "{utils}"
    transport: streamable-http
    tags: [live, stdio]
    expected_tools: [add, now, uuid4, fail]
    smoke:
      - {{tool: add, arguments: {{a: 10, b: 5}}, expect: {{equals: 15}}}}{notes}
  - name: {fleet}-textkit
    url: "{textkit}"
    transport: sse
    expected_tools: [upper, word_count]
    smoke:
      - {{tool: upper, arguments: {{text: fleet}}, expect: {{equals: FLEET}}}}
virtual_servers:
  - name: {fleet}-vs
    description: the fleet's tools
    tools:
      - {{server: {fleet}-utils, tools: [add]}}
      - {{server: {fleet}-textkit}}
"#,
        gateway = gw.url(),
        utils = fx.utils.url,
        textkit = fx.textkit.url,
    )
}

fn manifest(text: &str) -> Manifest {
    Manifest::from_str_as(text, Format::Yaml, "live.yaml").unwrap()
}

fn client(token: &str) -> Client {
    crate::common::client(Gateway::shared().url(), token)
}

fn admin() -> ContextForge {
    ContextForge::new(client(Gateway::shared().admin_token()))
}

fn options(locks: &tempfile::TempDir) -> ApplyOptions {
    ApplyOptions::default().lock_dir(Some(locks.path().to_owned()))
}

/// Deletes everything `fleet` owns: `sync` of a manifest without servers.
async fn teardown(fleet: &str) {
    let empty = format!(
        "fleet: {fleet}\ngateway: {{url: \"{}\"}}\n",
        Gateway::shared().url()
    );
    let registry = Registry::new(manifest(&empty), admin()).unwrap();
    let locks = tempfile::tempdir().unwrap();
    if let Err(err) = registry.apply(Mode::Sync, &options(&locks)).await {
        eprintln!("teardown of fleet {fleet}: {err}");
    }
}

/// The whole life of a fleet on the real gateway, in order: apply, verify both routes, a no-op re-apply with
/// zero writes, one update for one changed description, no delete under `apply`, exactly one under `sync`.
// A current-thread runtime keeps every request on the thread whose subscriber counts them.
#[tokio::test(flavor = "current_thread")]
async fn fleet_lifecycle_apply_verify_reapply_update_sync() {
    let _serial = serial().await;
    let fleet = fleet_name("life");
    tokio::task::spawn_blocking(fixtures).await.unwrap();
    let counter = RequestCounter::default();
    let _subscriber =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(counter.clone()));
    let locks = tempfile::tempdir().unwrap();
    with_cleanup(
        async {
            let registry =
                Registry::new(manifest(&manifest_text(&fleet, "notes", true)), admin()).unwrap();
            let plan = registry.plan(Mode::Apply).await.unwrap();
            assert_eq!(plan.summary().create, 4, "{}", plan.to_table());
            let report = registry.apply(Mode::Apply, &options(&locks)).await.unwrap();
            let report = report.into_result().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(report.writes, 4);

            let verify = registry.verify(&VerifyOptions::default()).await.unwrap();
            let markdown = verify.to_markdown();
            let verify = verify
                .into_result()
                .unwrap_or_else(|e| panic!("{e}\n{markdown}"));
            let utils = &verify.servers[0];
            assert_eq!(utils.found_tools, ["add", "fail", "now", "uuid4"]);
            assert_eq!(utils.calls[0].detail, "15", "add(10, 5) over /rpc");
            let vs = &verify.virtual_servers[0];
            assert_eq!(vs.listed_tools, 3, "add + upper + word_count over MCP");
            assert!(
                vs.calls
                    .iter()
                    .any(|c| c.gateway_name.ends_with("-utils-add") && c.passed)
            );
            assert!(markdown.contains("| call | route | result | time |"));

            // A no-op re-apply: zero writes, the three listings (one page each) and nothing else.
            counter.take();
            let again = registry.apply(Mode::Apply, &options(&locks)).await.unwrap();
            let counts = counter.take();
            assert_eq!(again.writes, 0);
            assert_eq!(RequestCounter::writes(&counts), 0, "{counts:?}");
            assert_eq!(counts.get("GET").copied(), Some(3), "{counts:?}");

            // One changed description: exactly one PUT.
            let edited = Registry::new(
                manifest(&manifest_text(&fleet, "notes, kept short", true)),
                admin(),
            )
            .unwrap();
            let plan = edited.plan(Mode::Apply).await.unwrap();
            assert_eq!(plan.summary().update, 1, "{}", plan.to_table());
            counter.take();
            edited
                .apply(Mode::Apply, &options(&locks))
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let counts = counter.take();
            assert_eq!(counts.get("PUT").copied(), Some(1), "{counts:?}");
            assert_eq!(RequestCounter::writes(&counts), 1, "{counts:?}");

            // Notes leaves the manifest: `apply` keeps it, `sync` deletes exactly it.
            let smaller =
                Registry::new(manifest(&manifest_text(&fleet, "", false)), admin()).unwrap();
            counter.take();
            let kept = smaller.apply(Mode::Apply, &options(&locks)).await.unwrap();
            assert_eq!(RequestCounter::writes(&counter.take()), 0);
            assert!(kept.steps.iter().any(|s| s.outcome == Outcome::Retained));
            smaller
                .apply(Mode::Sync, &options(&locks))
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let counts = counter.take();
            assert_eq!(counts.get("DELETE").copied(), Some(1), "{counts:?}");
            assert_eq!(RequestCounter::writes(&counts), 1, "{counts:?}");
            assert!(smaller.plan(Mode::Sync).await.unwrap().is_converged());
        },
        teardown(&fleet),
    )
    .await;
}

/// Upstreams with credentials converge: after an apply, header auth (ContextForge lists the header names with
/// masked values) and bearer auth plan no change and a re-apply writes nothing; renaming a header is one update.
/// Header auth once re-sent its PUT on every apply: the names were read from a field the client drops.
#[tokio::test(flavor = "current_thread")]
async fn upstreams_with_header_or_bearer_auth_converge() {
    let _serial = serial().await;
    let fleet = fleet_name("auth");
    tokio::task::spawn_blocking(fixtures).await.unwrap();
    let counter = RequestCounter::default();
    let _subscriber =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(counter.clone()));
    let locks = tempfile::tempdir().unwrap();
    let with_auth = |header: &str| {
        manifest_text(&fleet, "notes", false)
            .replace(
                "    tags: [live, stdio]\n",
                &format!(
                    "    tags: [live, stdio]\n    auth: {{type: headers, headers: [{{name: {header}, value_env: LIVE_KEY}}]}}\n"
                ),
            )
            .replace(
                "    transport: sse\n",
                "    transport: sse\n    auth: {type: bearer, token_env: LIVE_TOKEN}\n",
            )
    };
    let env: std::collections::HashMap<String, secrecy::SecretString> = [
        ("LIVE_KEY", "inventory-key-value"),
        ("LIVE_TOKEN", "textkit-token-value"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.into()))
    .collect();
    let options = || options(&locks).env(env.clone());
    with_cleanup(
        async {
            let registry = Registry::new(manifest(&with_auth("X-Inventory-Key")), admin()).unwrap();
            registry
                .apply(Mode::Apply, &options())
                .await
                .unwrap()
                .into_result()
                .unwrap_or_else(|e| panic!("{e}"));
            let plan = registry.plan(Mode::Apply).await.unwrap();
            assert!(plan.is_converged(), "{}", plan.to_table());
            counter.take();
            let again = registry.apply(Mode::Apply, &options()).await.unwrap();
            let counts = counter.take();
            assert_eq!(again.writes, 0, "{}", again.to_table());
            assert_eq!(RequestCounter::writes(&counts), 0, "{counts:?}");

            // Another header name: exactly one update, then converged again.
            let renamed = Registry::new(manifest(&with_auth("X-Stock-Key")), admin()).unwrap();
            let plan = renamed.plan(Mode::Apply).await.unwrap();
            assert_eq!(plan.summary().update, 1, "{}", plan.to_table());
            counter.take();
            renamed
                .apply(Mode::Apply, &options())
                .await
                .unwrap()
                .into_result()
                .unwrap();
            assert_eq!(counter.take().get("PUT").copied(), Some(1));
            let plan = renamed.plan(Mode::Apply).await.unwrap();
            assert!(plan.is_converged(), "{}", plan.to_table());
        },
        teardown(&fleet),
    )
    .await;
}

/// A server whose URL answers nothing is reported for itself; the others are registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_fails_alone() {
    let _serial = serial().await;
    let fleet = fleet_name("dead");
    tokio::task::spawn_blocking(fixtures).await.unwrap();
    let dead = format!("http://127.0.0.1:{}/mcp", free_port().unwrap());
    let text = manifest_text(&fleet, "notes", true).replace(&fixtures().notes.url, &dead);
    let locks = tempfile::tempdir().unwrap();
    with_cleanup(
        async {
            let registry = Registry::new(manifest(&text), admin()).unwrap();
            let report = registry.apply(Mode::Apply, &options(&locks)).await.unwrap();
            let failed: Vec<_> = report.failures().collect();
            assert_eq!(failed.len(), 1, "{}", report.to_table());
            assert_eq!(failed[0].name, format!("{fleet}-notes"));
            let Outcome::Failed {
                kind: FailureKind::UpstreamUnreachable,
                status: Some(502),
                message,
            } = &failed[0].outcome
            else {
                panic!("{:?}", failed[0].outcome);
            };
            // In the manifest's words: its name and URL as declared (not the gateway's `localhost`), then why.
            assert!(
                message.starts_with(&format!(
                    "the gateway cannot reach `{fleet}-notes` at {dead}: "
                )),
                "{message}"
            );
            assert!(
                !message.contains("Failed to initialize gateway"),
                "{message}"
            );
            assert_eq!(
                report
                    .steps
                    .iter()
                    .filter(|s| s.outcome == Outcome::Done)
                    .count(),
                3
            );
            let verify = registry
                .verify(&VerifyOptions::default().deadline(Duration::from_secs(5)))
                .await
                .unwrap();
            let failing: Vec<&str> = verify
                .servers
                .iter()
                .filter(|s| !s.passed)
                .map(|s| s.name.as_str())
                .collect();
            assert_eq!(failing, [format!("{fleet}-notes")]);
        },
        teardown(&fleet),
    )
    .await;
}

/// Two applies of one manifest at the same time: one registers, the other finds nothing to do, and the gateway
/// holds exactly one registration per server. Repeated, each round from scratch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_applies_leave_no_duplicate() {
    let _serial = serial().await;
    tokio::task::spawn_blocking(fixtures).await.unwrap();
    let locks = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let fleet = fleet_name(&format!("race{round}"));
        let text = manifest_text(&fleet, "notes", true);
        with_cleanup(
            async {
                let apply = || async {
                    let registry = Registry::new(manifest(&text), admin()).unwrap();
                    registry
                        .apply(Mode::Apply, &options(&locks))
                        .await
                        .unwrap()
                        .into_result()
                        .unwrap()
                };
                let (a, b) = tokio::join!(apply(), apply());
                assert_eq!(
                    a.writes + b.writes,
                    4,
                    "one apply writes, the other nothing"
                );
                let mine: Vec<String> = registrations_named(admin().client(), &fleet)
                    .await
                    .unwrap()
                    .iter()
                    .map(|u| slug(&u.name))
                    .collect();
                let distinct: BTreeSet<&String> = mine.iter().collect();
                assert_eq!(mine.len(), 3, "{mine:?}");
                assert_eq!(distinct.len(), 3, "a duplicate registration: {mine:?}");
            },
            teardown(&fleet),
        )
        .await;
    }
}

/// The token the preflight derives from the plan runs apply and verify; the same token without one permission
/// is refused by the preflight before any write.
#[tokio::test(flavor = "current_thread")]
async fn least_privilege_token_applies_and_one_permission_fewer_is_refused_before_any_write() {
    let _serial = serial().await;
    let fleet = fleet_name("least");
    tokio::task::spawn_blocking(fixtures).await.unwrap();
    let counter = RequestCounter::default();
    let _subscriber =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(counter.clone()));
    let locks = tempfile::tempdir().unwrap();
    let admin_client = client(Gateway::shared().admin_token());
    let minted = Mutex::new(Vec::new());
    with_cleanup(
        async {
            let text = manifest_text(&fleet, "notes", true);
            let planner = Registry::new(manifest(&text), admin()).unwrap();
            let plan = planner.plan(Mode::Apply).await.unwrap();
            let mut calls = plan.calls();
            calls.extend(planner.verify_calls(&VerifyOptions::default()));
            let recipe = preflight(&calls, &BearerToken::new(Gateway::shared().admin_token()))
                .unwrap()
                .least_privilege;
            assert!(!recipe.request.contains_str("gateways.delete"), "no delete in a plan without deletes");
            let body = recipe.token.clone().unwrap().name(format!("{fleet}-registrar"));

            // One permission fewer: refused before any write.
            let mut fewer = body.clone();
            fewer
                .scope
                .permissions
                .remove(&"gateways.create".parse::<mcpfleet_scope_audit::Permission>().unwrap());
            let weak = admin_client
                .tokens()
                .create(&token_create(&fewer.name(format!("{fleet}-weak"))))
                .await
                .unwrap();
            minted.lock().unwrap().push(weak.token.id.clone());
            let registry = Registry::new(manifest(&text), ContextForge::new(client(weak.expose_token()))).unwrap();
            let guarded = options(&locks).before_writes(preflight_hook(
                BearerToken::new(weak.expose_token()),
                registry.verify_calls(&VerifyOptions::default()),
            ));
            counter.take();
            let err = registry.apply(Mode::Apply, &guarded).await.unwrap_err();
            assert!(matches!(&err, Error::InsufficientPermissions { missing, .. } if missing == &["gateways.create"]), "{err}");
            assert!(err.to_string().contains("gateways.create"), "{err}");
            assert_eq!(RequestCounter::writes(&counter.take()), 0, "refused before any write");

            // The recipe itself: apply and verify pass with it alone.
            let strong = admin_client.tokens().create(&token_create(&body)).await.unwrap();
            minted.lock().unwrap().push(strong.token.id.clone());
            let registry = Registry::new(manifest(&text), ContextForge::new(client(strong.expose_token()))).unwrap();
            let guarded = options(&locks).before_writes(preflight_hook(
                BearerToken::new(strong.expose_token()),
                registry.verify_calls(&VerifyOptions::default()),
            ));
            registry.apply(Mode::Apply, &guarded).await.unwrap().into_result().unwrap();
            let verify = registry.verify(&VerifyOptions::default()).await.unwrap();
            let markdown = verify.to_markdown();
            verify.into_result().unwrap_or_else(|e| panic!("{e}\n{markdown}"));
            // And it cannot do what it was not given: a `sync` that would delete notes needs `gateways.delete`,
            // so the preflight refuses it before any write.
            let smaller = Registry::new(
                manifest(&manifest_text(&fleet, "", false)),
                ContextForge::new(client(strong.expose_token())),
            )
            .unwrap();
            let guarded = options(&locks).before_writes(preflight_hook(
                BearerToken::new(strong.expose_token()),
                smaller.verify_calls(&VerifyOptions::default()),
            ));
            counter.take();
            let err = smaller.apply(Mode::Sync, &guarded).await.unwrap_err();
            assert!(
                matches!(&err, Error::InsufficientPermissions { missing, .. } if missing == &["gateways.delete"]),
                "{err}"
            );
            assert_eq!(RequestCounter::writes(&counter.take()), 0, "refused before any write");
        },
        async {
            teardown(&fleet).await;
            let ids = std::mem::take(&mut *minted.lock().unwrap());
            for id in ids {
                let _ = admin_client.tokens().revoke(&id).await;
            }
        },
    )
    .await;
}
