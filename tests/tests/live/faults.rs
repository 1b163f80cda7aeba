//! Fault drills against a real ContextForge of their own (one of them kills it, so it cannot be the shared one):
//!
//! 1. the gateway is SIGKILLed in the middle of applying a 50-server fleet and restarted on the same database;
//!    the next apply converges with no duplicate registration and no registration without its tools;
//! 2. the apply's token is revoked in the middle of an apply: every later write is a clear `Unauthorized`, and the
//!    next apply (with a new token) converges from whatever was written;
//! 3. two applies of one manifest at once, 20 times, half of them sharing the fleet lock and half not (two hosts):
//!    never a duplicate;
//! 4. an upstream dies after apply: verify reports that server alone, and passes again once it is back.
//!
//! The upstreams are `tests/fixtures/slow_fleet_server.py` paths (`/s<i>/mcp`, 300 ms per `initialize`, like a
//! script server importing its dependencies); each drill takes its own range of them.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mcpfleet_gateway_client::Client;
use mcpfleet_harness::{
    Gateway, GatewayOptions, ScriptServer, free_port, record_figure, registrations_named,
};
use mcpfleet_registry::{
    ApplyOptions, ApplyReport, ContextForge, FailureKind, Format, Manifest, Mode, Outcome,
    Registry, VerifyOptions, slug,
};

use crate::common::{client, failing, mint_least_privilege};

/// Upstream paths served: 0..50 the SIGKILL drill, 50..70 the token drill, 100..140 the races, 140..142 the
/// survivors of the dying-upstream drill.
const UPSTREAMS: usize = 142;
/// Servers of the token drill: enough that the revocation lands mid-apply.
const TOKEN_SERVERS: usize = 20;
/// Servers per race round: each apply writes them concurrently, so two are enough to interleave the applies.
const RACE_SERVERS: usize = 2;

/// A manifest of `range` of the slow fleet's paths, named `<fleet>-<i>`, each with a `ping` smoke call.
fn fleet(gateway: &Gateway, fleet: &str, upstreams: &[(&ScriptServer, Range<usize>)]) -> Manifest {
    let mut text = format!(
        "fleet: {fleet}\ngateway: {{url: \"{}\"}}\nservers:\n",
        gateway.url()
    );
    for (server, range) in upstreams {
        for i in range.clone() {
            text.push_str(&format!(
                "  - {{name: {fleet}-{port}-{i}, url: \"{base}/s{i}/mcp\", transport: streamable-http, \
                 expected_tools: [ping], smoke: [{{tool: ping, expect: {{equals: pong}}}}]}}\n",
                port = server.port,
                base = server.base_url(),
            ));
        }
    }
    Manifest::from_str_with_env(&text, Format::Yaml, "drill.yaml", |_| None).unwrap()
}

fn options(locks: &tempfile::TempDir) -> ApplyOptions {
    ApplyOptions::default().lock_dir(Some(locks.path().to_owned()))
}

/// Every registration whose name starts with `fleet`: name → URL, failing the test on a second registration of
/// one name (slug) or one URL.
async fn registrations(admin: &Client, fleet: &str) -> BTreeMap<String, String> {
    let mut by_slug = BTreeMap::new();
    let mut urls = BTreeSet::new();
    let mine = registrations_named(admin, &format!("{fleet}-"))
        .await
        .unwrap();
    for gateway in &mine {
        let previous = by_slug.insert(slug(&gateway.name), gateway.url.clone());
        assert!(
            previous.is_none(),
            "a duplicate registration of `{}`",
            gateway.name
        );
        assert!(
            urls.insert(gateway.url.clone()),
            "a second registration of {}",
            gateway.url
        );
    }
    by_slug
}

/// How many `ping` tools the fleet's registrations brought: one each, or a registration was half-written.
async fn tools_of(admin: &Client, fleet: &str) -> usize {
    let tools = admin
        .tools()
        .list()
        .limit(1000)
        .include_inactive(true)
        .all()
        .await
        .unwrap();
    let prefix = format!("{fleet}-");
    tools
        .iter()
        .filter(|t| t.name.starts_with(&prefix) && t.name.ends_with("-ping"))
        .count()
}

/// Polls until at least `n` of the fleet's registrations exist (the apply is then mid-way).
async fn wait_for_registrations(admin: &Client, fleet: &str, n: usize) -> usize {
    let started = Instant::now();
    loop {
        let found = registrations(admin, fleet).await.len();
        if found >= n {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {found} of {n} registered after 60 s"
        );
        // Not faster: each poll lists every registration, work the gateway does beside the apply.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn count(report: &ApplyReport, pick: impl Fn(&Outcome) -> bool) -> usize {
    report.steps.iter().filter(|s| pick(&s.outcome)).count()
}

fn failure_kinds(report: &ApplyReport) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for step in &report.steps {
        if let Outcome::Failed { kind, .. } = &step.outcome {
            *kinds.entry(format!("{kind:?}")).or_insert(0) += 1;
        }
    }
    kinds
}

struct Drill {
    gateway: Gateway,
    upstreams: ScriptServer,
}

fn drill() -> &'static Drill {
    static DRILL: OnceLock<Drill> = OnceLock::new();
    DRILL.get_or_init(|| {
        let gateway = Gateway::start(GatewayOptions::default()).expect("the drills' own gateway");
        let count = UPSTREAMS.to_string();
        let upstreams = ScriptServer::spawn(
            "slow_fleet_server.py",
            &[("COUNT", &count), ("INIT_DELAY", "0.3")],
            &gateway,
        )
        .expect("the drills' upstreams");
        Drill { gateway, upstreams }
    })
}

/// The four drills in order on one private gateway (one start, one restart: the machine has two cores).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_drills_on_a_private_gateway() {
    let drill = tokio::task::spawn_blocking(drill).await.unwrap();
    sigkill_during_apply(drill).await;
    token_revoked_during_apply(drill).await;
    concurrent_applies(drill).await;
    upstream_dies_after_apply(drill).await;
}

async fn sigkill_during_apply(drill: &'static Drill) {
    let gateway = &drill.gateway;
    let name = "kill";
    let admin = client(gateway.url(), gateway.admin_token());
    let manifest = fleet(gateway, name, &[(&drill.upstreams, 0..50)]);
    let registry = Registry::new(manifest, ContextForge::new(admin.clone())).unwrap();
    let locks = tempfile::tempdir().unwrap();

    let apply_options = options(&locks);
    let (first, before_kill) = tokio::join!(registry.apply(Mode::Apply, &apply_options), async {
        // Kill once a fifth is registered: eight writes are in flight then (the engine's width).
        let registered = wait_for_registrations(&admin, name, 10).await;
        tokio::task::block_in_place(|| gateway.kill()).unwrap();
        registered
    });
    let first = first.expect("an apply whose gateway dies still reports every step");
    let (done, failed) = (
        count(&first, |o| *o == Outcome::Done),
        count(&first, |o| matches!(o, Outcome::Failed { .. })),
    );
    assert!(
        failed > 0,
        "the kill came too late to cut the apply:\n{}",
        first.to_table()
    );
    assert_eq!(done + failed, 50, "{}", first.to_table());

    let restart = tokio::task::block_in_place(|| gateway.restart()).unwrap();
    let persisted = registrations(&admin, name).await;
    // Every step reported done was committed; a failed one may have been committed too (its answer was lost
    // with the connection).
    let done_names: BTreeSet<String> = first
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .map(|s| slug(&s.name))
        .collect();
    assert!(
        done_names.iter().all(|n| persisted.contains_key(n)),
        "a reported registration was lost"
    );
    let answer_lost = persisted.len() - done_names.len();

    let second = registry.apply(Mode::Apply, &options(&locks)).await.unwrap();
    let table = second.to_table();
    let second = second
        .into_result()
        .unwrap_or_else(|e| panic!("{e}\n{table}"));
    let rewritten: Vec<&str> = second
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(rewritten.len() + persisted.len(), 50, "{table}");
    assert_eq!(
        second.writes,
        rewritten.len(),
        "only what was missing is written: {table}"
    );
    assert_eq!(registrations(&admin, name).await.len(), 50);
    assert_eq!(
        tools_of(&admin, name).await,
        50,
        "a registration without its tool"
    );
    assert!(registry.plan(Mode::Apply).await.unwrap().is_converged());
    record_figure(&format!(
        "fault drill, SIGKILL: killed with {before_kill} of 50 registered; the cut apply reported {done} done, \
         {failed} failed ({:?}); restart {:.1} s; {} on the gateway after restart ({answer_lost} of them reported \
         failed: answer lost); re-apply wrote the {} missing ({}), 50 registrations, 50 tools, 0 duplicates",
        failure_kinds(&first),
        restart.as_secs_f64(),
        persisted.len(),
        rewritten.len(),
        summarize(&rewritten),
    ));
}

async fn token_revoked_during_apply(drill: &'static Drill) {
    let gateway = &drill.gateway;
    let name = "revoke";
    let admin = client(gateway.url(), gateway.admin_token());
    let manifest = fleet(gateway, name, &[(&drill.upstreams, 50..50 + TOKEN_SERVERS)]);
    let (token_id, token) =
        mint_least_privilege(&manifest, gateway.url(), gateway.admin_token()).await;
    let registry = Registry::new(
        manifest.clone(),
        ContextForge::new(client(gateway.url(), &token)),
    )
    .unwrap();
    let locks = tempfile::tempdir().unwrap();
    let apply_options = options(&locks);
    let (first, before) = tokio::join!(registry.apply(Mode::Apply, &apply_options), async {
        let registered = wait_for_registrations(&admin, name, 3).await;
        admin.tokens().revoke(&token_id).await.unwrap();
        registered
    });
    let first = first.expect("an apply whose token is revoked still reports every step");
    let unauthorized: Vec<_> = first.failures().collect();
    assert!(
        !unauthorized.is_empty(),
        "the revocation came too late:\n{}",
        first.to_table()
    );
    // ContextForge says "Token has been revoked" on some paths and "Invalid authentication credentials" on
    // others (registration among them); the status and the kind are what a caller can rely on.
    let mut messages = BTreeSet::new();
    for step in &unauthorized {
        match &step.outcome {
            Outcome::Failed {
                kind: FailureKind::Unauthorized,
                status: Some(401),
                message,
            } => {
                messages.insert(message.clone());
            }
            other => panic!("`{}` failed otherwise than 401: {other:?}", step.name),
        }
    }
    let err = first.clone().into_result().unwrap_err().to_string();
    assert!(err.contains("failed (HTTP 401)"), "{err}");
    let written = registrations(&admin, name).await.len();
    assert_eq!(written, count(&first, |o| *o == Outcome::Done));

    // The next apply, with a new token, converges from what the revoked one left.
    let (new_id, new_token) =
        mint_least_privilege(&manifest, gateway.url(), gateway.admin_token()).await;
    let registry = Registry::new(
        manifest,
        ContextForge::new(client(gateway.url(), &new_token)),
    )
    .unwrap();
    let second = registry
        .apply(Mode::Apply, &options(&locks))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(second.writes, TOKEN_SERVERS - written);
    assert_eq!(registrations(&admin, name).await.len(), TOKEN_SERVERS);
    assert_eq!(tools_of(&admin, name).await, TOKEN_SERVERS);
    admin.tokens().revoke(&new_id).await.unwrap();
    record_figure(&format!(
        "fault drill, token revoked: revoked with {before} of {TOKEN_SERVERS} registered; {written} written, {} \
         refused with 401 {messages:?}; the next apply with a new token wrote {}, {TOKEN_SERVERS} registrations, 0 \
         duplicates",
        unauthorized.len(),
        second.writes
    ));
}

async fn concurrent_applies(drill: &'static Drill) {
    let gateway = &drill.gateway;
    let admin = client(gateway.url(), gateway.admin_token());
    let shared_locks = tempfile::tempdir().unwrap();
    let mut writes = Vec::new();
    let mut adopted = 0;
    let started = Instant::now();
    for round in 0..20 {
        let name = format!("race{round}");
        let first = 100 + round * RACE_SERVERS;
        let manifest = fleet(
            gateway,
            &name,
            &[(&drill.upstreams, first..first + RACE_SERVERS)],
        );
        // Even rounds share the fleet lock (one host); odd rounds have none (two hosts, or a lock directory
        // each), so only the gateway's own rules and the engine's look-before-create stand between them.
        let own_locks = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (locks_a, locks_b) = if round % 2 == 0 {
            (shared_locks.path(), shared_locks.path())
        } else {
            (own_locks.0.path(), own_locks.1.path())
        };
        let apply = |locks: &std::path::Path| {
            let registry =
                Registry::new(manifest.clone(), ContextForge::new(admin.clone())).unwrap();
            let options = ApplyOptions::default().lock_dir(Some(locks.to_owned()));
            async move {
                let report = registry.apply(Mode::Apply, &options).await.unwrap();
                let table = report.to_table();
                report
                    .into_result()
                    .unwrap_or_else(|e| panic!("round {round}: {e}\n{table}"))
            }
        };
        let (a, b) = tokio::join!(apply(locks_a), apply(locks_b));
        let found = registrations(&admin, &name).await;
        assert_eq!(found.len(), RACE_SERVERS, "round {round}: {found:?}");
        if round % 2 == 0 {
            assert_eq!(
                a.writes + b.writes,
                RACE_SERVERS,
                "round {round}: one apply writes, the other waits and finds all"
            );
        }
        writes.push(a.writes + b.writes);
        adopted += a
            .steps
            .iter()
            .chain(&b.steps)
            .filter(|s| s.notes.iter().any(|n| n.contains("a concurrent apply")))
            .count();
    }
    let locked: Vec<usize> = writes.iter().step_by(2).copied().collect();
    let unlocked: Vec<usize> = writes.iter().skip(1).step_by(2).copied().collect();
    record_figure(&format!(
        "fault drill, concurrent applies: 20 rounds of two applies of {RACE_SERVERS} servers in {:.1} s; 0 duplicates; writes per \
         round with a shared lock {locked:?}, without {unlocked:?} ({adopted} creates refused with 409 and adopted as \
         the other apply's)",
        started.elapsed().as_secs_f64()
    ));
}

async fn upstream_dies_after_apply(drill: &'static Drill) {
    let gateway = &drill.gateway;
    let name = "dies";
    let admin = client(gateway.url(), gateway.admin_token());
    let port = free_port().unwrap();
    let spawn_doomed = || {
        ScriptServer::spawn_at(
            "slow_fleet_server.py",
            &[("COUNT", "1"), ("INIT_DELAY", "0")],
            gateway,
            port,
        )
        .unwrap()
    };
    let doomed = tokio::task::block_in_place(spawn_doomed);
    let manifest = fleet(
        gateway,
        name,
        &[(&drill.upstreams, 140..142), (&doomed, 0..1)],
    );
    let doomed_name = format!("{name}-{port}-0");
    let registry = Registry::new(manifest, ContextForge::new(admin)).unwrap();
    let locks = tempfile::tempdir().unwrap();
    registry
        .apply(Mode::Apply, &options(&locks))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let quick = VerifyOptions::default().deadline(Duration::from_secs(5));
    let healthy = registry.verify(&quick).await.unwrap();
    assert!(failing(&healthy).is_empty(), "{}", healthy.to_markdown());

    drop(doomed);
    let down = registry.verify(&quick).await.unwrap();
    assert_eq!(
        failing(&down),
        std::slice::from_ref(&doomed_name),
        "{}",
        down.to_markdown()
    );

    let back = tokio::task::block_in_place(spawn_doomed);
    let recovered = registry.verify(&quick).await.unwrap();
    assert!(
        failing(&recovered).is_empty(),
        "{}",
        recovered.to_markdown()
    );
    drop(back);
    record_figure(&format!(
        "fault drill, upstream dies after apply: verify failed `{doomed_name}` alone ({} of 3 passed), and passed \
         again once it was back on its port ({:.1} s)",
        down.servers.iter().filter(|s| s.passed).count(),
        recovered.elapsed_ms as f64 / 1000.0
    ));
}

/// `a-1, a-2, …` shortened to the first five names.
fn summarize(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(5).copied().collect();
    if names.len() > shown.len() {
        format!("{}, …", shown.join(", "))
    } else {
        shown.join(", ")
    }
}
