//! hadolint (2.15.1, default rules + DL3057) reports zero findings on every
//! generated Dockerfile, including ones from proptest-generated valid specs.
//! A missing hadolint fails these tests; it is never a skip.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use mcpfleet_dockerfile_gen::{
    AptPackage, Bridge, Dependencies, Entrypoint, EnvVar, ImageRef, InstallMode, Probe, Runtime,
    ServerSpec, ServerTransport,
};
use proptest::prelude::*;

#[test]
fn every_variant_lints_clean() {
    for variant in common::VARIANTS {
        let (_, files) = common::render(&common::server_spec(variant));
        let findings = common::lint(files.get("Dockerfile").unwrap());
        assert!(findings.is_empty(), "{variant}: {findings:#?}");
    }
}

#[test]
fn every_fleet_dockerfile_lints_clean() {
    let (_, files) = common::fleet();
    let dockerfiles: Vec<_> = files
        .files
        .iter()
        .filter(|f| f.path.ends_with("Dockerfile"))
        .collect();
    assert_eq!(dockerfiles.len(), 3);
    for file in dockerfiles {
        let findings = common::lint(&file.contents);
        assert!(
            findings.is_empty(),
            "{}: {findings:#?}",
            file.path.display()
        );
    }
}

/// The linter really runs: a Dockerfile with known problems is flagged.
#[test]
fn lint_reports_findings_on_a_bad_dockerfile() {
    let findings = common::lint("FROM python\nRUN pip install flask | cat\nCMD python app.py\n");
    let codes: Vec<&str> = ["DL3006", "DL3013", "DL3042", "DL4006", "DL3025", "DL3057"]
        .into_iter()
        .filter(|code| !findings.iter().any(|f| f.contains(code)))
        .collect();
    assert!(codes.is_empty(), "not reported: {codes:?} in {findings:#?}");
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}"
}

fn spec_strategy() -> impl Strategy<Value = ServerSpec> {
    let python = (
        prop_oneof![Just("3.11"), Just("3.12"), Just("3.13")],
        prop_oneof![Just("python3"), Just("/usr/bin/python3")],
    )
        .prop_map(|(v, i)| Runtime::Python {
            version: v.to_owned(),
            interpreter: i.to_owned(),
        });
    (
        (any::<bool>(), python, prop_oneof![Just("20"), Just("22")]),
        (0..4u8, 0..3u8, any::<bool>(), any::<bool>()),
        (
            prop::collection::vec(word(), 0..3),
            prop::collection::vec((word(), any::<bool>()), 0..4),
            prop::collection::vec(word(), 0..3),
            1024u16..65535,
        ),
        (any::<bool>(), any::<bool>(), 1000u32..60000),
    )
        .prop_map(
            |(
                (is_python, python, node_version),
                (transport, deps, offline, hashes),
                (args, env, packages, port),
                (pin_digest, http_probe, uid),
            )| {
                let runtime = if is_python {
                    python
                } else {
                    Runtime::node(node_version)
                };
                let script = if is_python {
                    "app/server.py"
                } else {
                    "app/server.js"
                };
                let entrypoint = Entrypoint::Script {
                    path: script.to_owned(),
                    args: args.iter().map(|a| format!("--{a}")).collect(),
                };
                // A hashed server needs a hashed bridge; the lock is optional otherwise.
                let proxy = if hashes || deps == 2 {
                    Bridge::mcp_proxy_locked("bridge/requirements.lock")
                } else {
                    Bridge::mcp_proxy()
                };
                let transport = match (is_python, transport) {
                    (_, 0) => ServerTransport::StreamableHttp {
                        path: "/mcp".into(),
                    },
                    (_, 3) | (_, 1) => ServerTransport::Stdio { bridge: proxy },
                    (true, _) => ServerTransport::Stdio {
                        bridge: Bridge::fastmcp_launcher(),
                    },
                    (false, _) => ServerTransport::Sse {
                        path: "/sse".into(),
                    },
                };
                let dependencies = match (is_python, deps) {
                    (true, 0) => Dependencies::Pyproject {
                        path: "pyproject.toml".into(),
                    },
                    (true, _) => Dependencies::Requirements {
                        path: "requirements.txt".into(),
                        require_hashes: hashes,
                    },
                    (false, 0) => Dependencies::None,
                    (false, _) => Dependencies::Npm {
                        manifest: "package.json".into(),
                        lockfile: "package-lock.json".into(),
                    },
                };
                let mut spec = ServerSpec::new("srv", runtime, entrypoint, transport);
                spec.dependencies = dependencies;
                spec.sources = vec!["app".into()];
                spec.port = port;
                spec.user.uid = uid;
                spec.user.gid = uid;
                spec.env = env
                    .iter()
                    .enumerate()
                    .map(|(i, (name, secret))| {
                        let name = format!("{}_{i}", name.to_uppercase());
                        if *secret {
                            EnvVar::secret(name)
                        } else {
                            EnvVar::with_default(name, "some value")
                        }
                    })
                    .collect();
                spec.system_packages = packages
                    .iter()
                    .map(|p| AptPackage::new(format!("lib{}", p.replace('_', "-")), "1.2.3-1"))
                    .collect();
                spec.build_packages = vec![AptPackage::new("gcc", "4:14.2.0-1")];
                if offline {
                    spec.install = InstallMode::Offline {
                        vendor_dir: "vendor".into(),
                    };
                }
                if pin_digest {
                    spec.base_image = Some(
                        ImageRef::new("registry.local:5000/base/debian", "trixie")
                            .pinned(format!("sha256:{}", "ab".repeat(32))),
                    );
                }
                if http_probe {
                    spec.healthcheck.probe = Probe::Http {
                        path: "/health".into(),
                    };
                }
                spec.writable_paths = vec!["/var/lib/srv".into()];
                spec
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generated_valid_specs_lint_clean(spec in spec_strategy()) {
        let (_, files) = common::render(&spec);
        let dockerfile = files.get("Dockerfile").unwrap();
        let findings = common::lint(dockerfile);
        prop_assert!(findings.is_empty(), "{findings:#?}\n{dockerfile}");
    }
}
