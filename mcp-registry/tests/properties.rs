//! Properties of the engine on the in-memory ContextForge model, over random fleets, random gateway states and
//! random faults:
//! - after applying a plan, a new plan is converged and another apply sends nothing;
//! - `sync` removes exactly the fleet's undeclared registrations and never touches anyone else's;
//! - with errors and lost answers injected, repeated applies converge and never leave a duplicate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use mcpfleet_registry::{
    ApplyOptions, FailureKind, Fault, Format, GatewayCall, Manifest, MemoryGateway, Mode, Registry,
    UpstreamSpec, owner_tag, slug,
};
use proptest::prelude::*;

const TOOLS: [&str; 4] = ["add", "now", "upper", "count"];

#[derive(Debug, Clone)]
struct Server {
    index: usize,
    tools: Vec<usize>,
    description: Option<u8>,
}

#[derive(Debug, Clone)]
struct Fleet {
    servers: Vec<Server>,
    /// Virtual servers: (server positions, all tools?).
    virtual_servers: Vec<(Vec<usize>, bool)>,
}

fn url(index: usize) -> String {
    format!("http://127.0.0.1:{}/mcp", 9000 + index)
}

fn name(index: usize) -> String {
    format!("srv{index}")
}

fn server() -> impl Strategy<Value = Server> {
    (
        0..8usize,
        proptest::sample::subsequence(vec![0, 1, 2, 3], 1..=4),
        proptest::option::of(0..3u8),
    )
        .prop_map(|(index, tools, description)| Server {
            index,
            tools,
            description,
        })
}

fn fleet() -> impl Strategy<Value = Fleet> {
    proptest::collection::vec(server(), 1..6)
        .prop_map(|mut servers| {
            let mut seen = BTreeSet::new();
            servers.retain(|s| seen.insert(s.index));
            servers
        })
        .prop_flat_map(|servers| {
            let n = servers.len();
            let vs = proptest::collection::vec(
                (
                    proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=n),
                    any::<bool>(),
                ),
                0..3,
            );
            (Just(servers), vs)
        })
        .prop_map(|(servers, virtual_servers)| Fleet {
            servers,
            virtual_servers,
        })
}

fn yaml(fleet: &Fleet) -> String {
    let mut text = "fleet: prop\ngateway: {url: \"http://127.0.0.1:4444\"}\nservers:\n".to_owned();
    for server in &fleet.servers {
        let tools: Vec<&str> = server.tools.iter().map(|t| TOOLS[*t]).collect();
        text.push_str(&format!(
            "  - {{name: {}, url: \"{}\", transport: streamable-http, expected_tools: [{}]{}}}\n",
            name(server.index),
            url(server.index),
            tools.join(", "),
            server
                .description
                .map(|d| format!(", description: \"version {d}\""))
                .unwrap_or_default()
        ));
    }
    if !fleet.virtual_servers.is_empty() {
        text.push_str("virtual_servers:\n");
        for (i, (members, all)) in fleet.virtual_servers.iter().enumerate() {
            let picks: Vec<String> = members
                .iter()
                .map(|m| {
                    let server = &fleet.servers[*m];
                    if *all {
                        format!("{{server: {}}}", name(server.index))
                    } else {
                        format!(
                            "{{server: {}, tools: [{}]}}",
                            name(server.index),
                            TOOLS[server.tools[0]]
                        )
                    }
                })
                .collect();
            text.push_str(&format!(
                "  - {{name: vs{i}, tools: [{}]}}\n",
                picks.join(", ")
            ));
        }
    }
    text
}

fn manifest(fleet: &Fleet) -> Manifest {
    Manifest::from_str_with_env(&yaml(fleet), Format::Yaml, "prop.yaml", |_| None).unwrap()
}

/// A gateway where every possible server answers, each offering the tools its fleet entry expects.
fn gateway_for(fleets: &[&Fleet]) -> MemoryGateway {
    let gateway = MemoryGateway::new();
    for index in 0..8 {
        let tools: BTreeSet<&str> = fleets
            .iter()
            .flat_map(|f| f.servers.iter())
            .filter(|s| s.index == index)
            .flat_map(|s| s.tools.iter().map(|t| TOOLS[*t]))
            .collect();
        let tools: Vec<&str> = if tools.is_empty() {
            TOOLS.to_vec()
        } else {
            tools.into_iter().collect()
        };
        gateway.serve(&url(index), tools);
    }
    gateway
}

fn options(dir: &tempfile::TempDir) -> ApplyOptions {
    ApplyOptions::default()
        .lock_dir(Some(dir.path().to_owned()))
        .retry_pause(Duration::from_millis(1))
        .max_attempts(3)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(future)
}

fn assert_no_duplicate(gateway: &MemoryGateway) -> Result<(), TestCaseError> {
    let slugs: Vec<String> = gateway.upstreams().iter().map(|u| slug(&u.name)).collect();
    let distinct: BTreeSet<&String> = slugs.iter().collect();
    prop_assert_eq!(
        distinct.len(),
        slugs.len(),
        "duplicate upstreams: {:?}",
        slugs
    );
    let names: Vec<String> = gateway
        .virtual_servers()
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let distinct: BTreeSet<&String> = names.iter().collect();
    prop_assert_eq!(
        distinct.len(),
        names.len(),
        "duplicate virtual servers: {:?}",
        names
    );
    Ok(())
}

fn spec(index: usize, tags: &[String], description: &str) -> UpstreamSpec {
    serde_json::from_value(serde_json::json!({
        "name": name(index), "url": url(index), "transport": "streamable-http",
        "tags": tags, "description": description,
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the fleet and whatever the fleet already registered (same names, other descriptions), one apply
    /// converges and a second one writes nothing.
    #[test]
    fn apply_converges_and_the_second_apply_writes_nothing(
        before in fleet(),
        after in fleet(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let gateway = gateway_for(&[&before, &after]);
        block_on(async {
            Registry::new(manifest(&before), &gateway).unwrap().apply(Mode::Apply, &options(&dir)).await.unwrap();
            let registry = Registry::new(manifest(&after), &gateway).unwrap();
            let plan = registry.plan(Mode::Apply).await.unwrap();
            prop_assert!(plan.conflicts().is_empty(), "{}", plan.to_table());
            registry.apply(Mode::Apply, &options(&dir)).await.unwrap().into_result().unwrap();
            let again = registry.plan(Mode::Apply).await.unwrap();
            prop_assert!(again.is_converged(), "{}", again.to_table());
            gateway.reset_calls();
            let report = registry.apply(Mode::Apply, &options(&dir)).await.unwrap();
            prop_assert_eq!(report.writes, 0);
            prop_assert_eq!(gateway.writes(), 0);
            assert_no_duplicate(&gateway)
        })?;
    }

    /// `sync` leaves exactly the declared servers of the fleet, and every registration it does not own.
    #[test]
    fn sync_removes_only_owned_undeclared_registrations(
        before in fleet(),
        after in fleet(),
        foreign in proptest::collection::btree_set(8..12usize, 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let gateway = gateway_for(&[&before, &after]);
        for index in &foreign {
            gateway.serve(&url(*index), ["other"]);
            gateway.preload(&spec(*index, &["team:other".to_owned()], "not ours")).unwrap();
        }
        block_on(async {
            Registry::new(manifest(&before), &gateway).unwrap().apply(Mode::Apply, &options(&dir)).await.unwrap();
            Registry::new(manifest(&after), &gateway).unwrap().apply(Mode::Sync, &options(&dir)).await.unwrap().into_result().unwrap();
            let owned: BTreeSet<String> = gateway
                .upstreams()
                .into_iter()
                .filter(|u| u.tags.contains(&owner_tag("prop")))
                .map(|u| u.name)
                .collect();
            let declared: BTreeSet<String> = after.servers.iter().map(|s| name(s.index)).collect();
            prop_assert_eq!(owned, declared);
            for index in &foreign {
                prop_assert!(gateway.upstreams().iter().any(|u| u.name == name(*index)), "foreign {} deleted", index);
            }
            let vs: BTreeSet<String> = gateway.virtual_servers().into_iter().map(|v| v.name).collect();
            let wanted: BTreeSet<String> = (0..after.virtual_servers.len()).map(|i| format!("vs{i}")).collect();
            prop_assert_eq!(vs, wanted);
            Ok(())
        })?;
    }

    /// Errors and lost answers anywhere: each apply reports what failed, and a few more applies converge with no
    /// duplicate registration at any point.
    #[test]
    fn repeated_applies_converge_through_faults(
        fleet in fleet(),
        faults in proptest::collection::vec(
            (
                prop_oneof![
                    Just(GatewayCall::CreateUpstream),
                    Just(GatewayCall::UpdateUpstream),
                    Just(GatewayCall::CreateVirtualServer),
                    Just(GatewayCall::ListUpstreams),
                    Just(GatewayCall::ListTools),
                ],
                prop_oneof![
                    Just(Fault::LoseAnswer),
                    Just(Fault::Fail(FailureKind::Ambiguous)),
                    Just(Fault::Fail(FailureKind::RateLimited)),
                    Just(Fault::Fail(FailureKind::Forbidden)),
                ],
            ),
            0..8,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let gateway = gateway_for(&[&fleet]);
        for (call, fault) in &faults {
            gateway.inject(*call, *fault);
        }
        let registry = Registry::new(manifest(&fleet), &gateway).unwrap();
        block_on(async {
            let mut converged = false;
            for _ in 0..6 {
                // An apply may fail as a whole (its first listing faulted) or in parts; neither may duplicate.
                let _ = registry.apply(Mode::Apply, &options(&dir)).await;
                assert_no_duplicate(&gateway)?;
                if let Ok(plan) = registry.plan(Mode::Apply).await
                    && plan.is_converged()
                {
                    converged = true;
                    break;
                }
            }
            prop_assert!(converged, "no convergence after 6 applies with faults {:?}", faults);
            Ok(())
        })?;
    }
}
