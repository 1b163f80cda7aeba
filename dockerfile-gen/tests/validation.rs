//! Bad input gives an `InvalidSpec` error naming the field, never a panic.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use mcpfleet_dockerfile_gen::{
    AptPackage, Bridge, BuildPlan, Dependencies, Entrypoint, EnvVar, Error, FleetPlan, FleetSpec,
    GatewayService, ImageRef, InstallMode, Runtime, ServerSpec, ServerTransport,
};

fn base() -> ServerSpec {
    common::server_spec("python-proxy")
}

/// Applies `edit` to a valid spec and returns (field, message) of the error.
fn rejects(edit: impl FnOnce(&mut ServerSpec)) -> (String, String) {
    let mut spec = base();
    edit(&mut spec);
    match BuildPlan::from_spec(&spec) {
        Err(err @ Error::InvalidSpec { .. }) => (err.field().unwrap().to_owned(), err.to_string()),
        other => panic!("expected InvalidSpec, got {other:?}"),
    }
}

#[track_caller]
fn check(edit: impl FnOnce(&mut ServerSpec), field: &str, says: &str) {
    let (got_field, message) = rejects(edit);
    assert_eq!(got_field, field, "{message}");
    assert!(
        message.contains(says),
        "`{message}` should mention `{says}`"
    );
    assert!(
        message.starts_with(&format!("invalid spec: `{field}`")),
        "{message}"
    );
}

#[test]
fn names_must_be_dns_labels() {
    check(|s| s.name = "Utils".into(), "name", "DNS label");
    check(|s| s.name = "utils;rm".into(), "name", "DNS label");
    check(|s| s.name = "-utils".into(), "name", "DNS label");
    check(|s| s.name = "a".repeat(64), "name", "DNS label");
    check(|s| s.name = "ut\nils".into(), "name", "line break");
}

#[test]
fn line_breaks_and_nul_are_rejected_everywhere() {
    check(
        |s| s.env[0].default = Some("x\nRUN id".into()),
        "env[0].default",
        "line break",
    );
    check(
        |s| s.labels.description = Some("a\0b".into()),
        "labels.description",
        "NUL",
    );
    check(
        |s| s.entrypoint = Entrypoint::script("server.py\r"),
        "entrypoint.path",
        "line break",
    );
    check(
        |s| s.sources = vec!["a\nb".into()],
        "sources[0]",
        "line break",
    );
}

#[test]
fn quotes_backslashes_and_dollars_in_quoted_values_are_rejected() {
    check(
        |s| s.env[0].default = Some("say \"hi".into()),
        "env[0].default",
        "unbalanced",
    );
    check(
        |s| s.labels.vendor = Some("a\\".into()),
        "labels.vendor",
        "escape",
    );
    check(
        |s| s.env[0].default = Some("$HOME".into()),
        "env[0].default",
        "expand",
    );
}

#[test]
fn bridged_arguments_reach_the_server_as_written() {
    // mcp-proxy takes the server's argv after `--`: nothing splits it into words again, so quotes and
    // shell characters are plain text, and a line break is still refused.
    let mut spec = base();
    spec.entrypoint = Entrypoint::Script {
        path: "stdio_server.py".into(),
        args: vec!["it's; $(id)".into()],
    };
    let plan = BuildPlan::from_spec(&spec).unwrap();
    let files = mcpfleet_dockerfile_gen::Renderer::new()
        .unwrap()
        .render(&plan)
        .unwrap();
    assert!(
        files
            .get("Dockerfile")
            .unwrap()
            .contains(r#""/app/stdio_server.py", "it's; $(id)"]"#)
    );
    check(
        |s| {
            s.entrypoint = Entrypoint::Script {
                path: "stdio_server.py".into(),
                args: vec!["a\nb".into()],
            }
        },
        "entrypoint.args[0]",
        "line break",
    );
}

#[test]
fn exec_form_arguments_may_hold_shell_characters() {
    // Not bridged: CMD is exec form, no shell ever sees these.
    let mut spec = common::server_spec("python-http");
    spec.entrypoint = Entrypoint::Module {
        module: "notes.server".into(),
        args: vec!["--greeting=it's; fine".into()],
    };
    let plan = BuildPlan::from_spec(&spec).unwrap();
    let files = mcpfleet_dockerfile_gen::Renderer::new()
        .unwrap()
        .render(&plan)
        .unwrap();
    assert!(
        files
            .get("Dockerfile")
            .unwrap()
            .contains(r#""--greeting=it's; fine"]"#)
    );
}

#[test]
fn path_traversal_and_absolute_paths_are_rejected() {
    check(
        |s| s.entrypoint = Entrypoint::script("../etc/passwd"),
        "entrypoint.path",
        "traversal",
    );
    check(
        |s| s.sources = vec!["app/../../x".into()],
        "sources[0]",
        "traversal",
    );
    check(
        |s| {
            s.dependencies = Dependencies::Requirements {
                path: "/etc/req.txt".into(),
                require_hashes: false,
            }
        },
        "dependencies.path",
        "relative",
    );
    check(
        |s| {
            s.install = InstallMode::Offline {
                vendor_dir: "wheels/*".into(),
            }
        },
        "install.vendor_dir",
        "`*`",
    );
    check(
        |s| s.writable_paths = vec!["data".into()],
        "writable_paths[0]",
        "absolute",
    );
    check(
        |s| s.writable_paths = vec!["/opt/venv/x".into()],
        "writable_paths[0]",
        "generator owns",
    );
}

#[test]
fn secrets_never_take_a_value_and_echo_nothing() {
    let (field, message) = rejects(|s| {
        s.env[1].default = Some("hunter2-super-secret".into());
    });
    assert_eq!(field, "env[1].default");
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn hashed_requirements_need_a_hashed_bridge() {
    let (field, message) = rejects(|s| {
        s.transport = ServerTransport::Stdio {
            bridge: Bridge::mcp_proxy(),
        }
    });
    assert_eq!(field, "transport.bridge.lock");
    assert!(message.contains("require_hashes is true"), "{message}");
    assert!(message.contains("without a hash check"), "{message}");
    // Unhashed server requirements: the pinned requirement is enough.
    let mut spec = base();
    spec.transport = ServerTransport::Stdio {
        bridge: Bridge::mcp_proxy(),
    };
    spec.dependencies = Dependencies::Requirements {
        path: "requirements.txt".into(),
        require_hashes: false,
    };
    BuildPlan::from_spec(&spec).unwrap();
    // The lock is a path in the build context.
    check(
        |s| {
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::mcp_proxy_locked("../bridge.txt"),
            }
        },
        "transport.bridge.lock",
        "traversal",
    );
    check(
        |s| {
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::McpProxy {
                    requirement: None,
                    lock: Some("bridge.txt".into()),
                    interpreter: Some("python3; id".into()),
                },
            }
        },
        "transport.bridge.interpreter",
        "program name",
    );
}

#[test]
fn environment_names_are_checked() {
    check(
        |s| s.env[0].name = "1ABC".into(),
        "env[0].name",
        "variable name",
    );
    check(
        |s| s.env[0].name = "PATH".into(),
        "env[0].name",
        "set by the generator",
    );
    check(
        |s| s.env.push(EnvVar::required("LOG_LEVEL")),
        "env[2].name",
        "duplicates env[0].name",
    );
}

#[test]
fn images_need_a_pinned_tag_and_a_valid_digest() {
    check(
        |s| s.base_image = Some(ImageRef::new("python", "latest")),
        "base_image.tag",
        "DL3007",
    );
    check(
        |s| s.base_image = Some(ImageRef::new("Python", "3.12")),
        "base_image.name",
        "repository",
    );
    check(
        |s| s.base_image = Some(ImageRef::new("python", "3.12").pinned("sha256:abc")),
        "base_image.digest",
        "64",
    );
}

#[test]
fn root_and_unpinned_packages_are_rejected() {
    check(|s| s.user.uid = 0, "user.uid", "root");
    check(|s| s.user.gid = 0, "user.gid", "root");
    check(
        |s| s.system_packages = vec![AptPackage::new("curl", "")],
        "system_packages[0].version",
        "exact version",
    );
    check(
        |s| {
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::McpProxy {
                    requirement: Some("mcp-proxy>=0.13".into()),
                    lock: None,
                    interpreter: None,
                },
            }
        },
        "transport.bridge.requirement",
        "DL3013",
    );
}

#[test]
fn bridges_must_fit_the_runtime() {
    check(
        |s| {
            s.runtime = Runtime::node("22");
            s.dependencies = Dependencies::None;
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::fastmcp_launcher(),
            }
        },
        "transport.bridge",
        "for a node server use mcp_proxy",
    );
    // mcp-proxy runs on a Python the base image provides, next to node.
    let mut node = common::server_spec("node-stdio");
    node.transport = ServerTransport::Stdio {
        bridge: Bridge::mcp_proxy(),
    };
    BuildPlan::from_spec(&node).unwrap();
    node.transport = ServerTransport::Stdio {
        bridge: Bridge::McpProxy {
            requirement: None,
            lock: None,
            interpreter: None,
        },
    };
    let err = BuildPlan::from_spec(&node).unwrap_err();
    assert_eq!(err.field(), Some("transport.bridge.requirement"));
    assert!(err.to_string().contains("runtime is node"), "{err}");
    check(
        |s| {
            s.runtime = Runtime::node("22");
            s.transport = ServerTransport::StreamableHttp {
                path: "/mcp".into(),
            };
        },
        "dependencies",
        "node runtime",
    );
    check(
        |s| {
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::fastmcp_launcher(),
            };
            s.dependencies = Dependencies::None;
        },
        "dependencies",
        "mcp",
    );
}

#[test]
fn modules_and_commands_need_sources_or_dependencies() {
    check(
        |s| {
            s.entrypoint = Entrypoint::module("pkg.server");
            s.dependencies = Dependencies::None;
            s.transport = ServerTransport::Stdio {
                bridge: Bridge::mcp_proxy(),
            };
        },
        "sources",
        "is empty",
    );
    // A program the dependencies install needs no sources (ContextForge's `mcpgateway`).
    let mut spec = common::server_spec("python-http");
    spec.entrypoint = Entrypoint::Command {
        argv: vec!["mcpgateway".into()],
    };
    spec.sources.clear();
    BuildPlan::from_spec(&spec).unwrap();
    check(
        |s| s.sources = vec!["other.py".into()],
        "sources",
        "entrypoint script",
    );
    check(
        |s| s.entrypoint = Entrypoint::module("pkg-server"),
        "entrypoint.module",
        "module name",
    );
}

#[test]
fn resources_and_ports_are_checked() {
    check(|s| s.port = 0, "port", "between 1 and 65535");
    check(
        |s| s.resources.cpus = Some(f64::NAN),
        "resources.cpus",
        "cores",
    );
    check(
        |s| s.resources.memory = Some("lots".into()),
        "resources.memory",
        "256M",
    );
    check(
        |s| s.healthcheck.retries = 0,
        "healthcheck.retries",
        "at least 1",
    );
}

#[test]
fn fleet_errors_name_the_server_index() {
    let mut fleet = common::fleet_spec();
    fleet.servers[2].env[0].name = "BAD-NAME".into();
    let err = FleetPlan::from_spec(&fleet).unwrap_err();
    assert_eq!(err.field(), Some("servers[2].env[0].name"));

    let mut fleet = common::fleet_spec();
    fleet.servers[2].name = "utils".into();
    let err = FleetPlan::from_spec(&fleet).unwrap_err();
    assert_eq!(err.field(), Some("servers[2].name"));
    assert!(err.to_string().contains("duplicates servers[0].name"));

    let mut fleet = common::fleet_spec();
    fleet.servers[1].name = "gateway".into();
    assert_eq!(
        FleetPlan::from_spec(&fleet).unwrap_err().field(),
        Some("servers[1].name")
    );

    let mut fleet = FleetSpec::new("demo", Vec::new());
    assert_eq!(
        FleetPlan::from_spec(&fleet).unwrap_err().field(),
        Some("servers")
    );
    fleet.servers.push(base());
    let mut gateway = GatewayService::new(ImageRef::new("mcpfleet/contextforge", "1.1.0"));
    gateway.publish_address = Some("0.0.0.0; rm".into());
    fleet.gateway = Some(gateway);
    assert_eq!(
        FleetPlan::from_spec(&fleet).unwrap_err().field(),
        Some("gateway.publish_address")
    );
}

#[test]
fn unknown_fields_in_spec_files_are_errors() {
    let text = "name: x\nruntime: {language: python, version: '3.12'}\nentrypoint: {kind: script, path: a.py}\ntransport: {kind: sse}\nportt: 1\n";
    let err = yaml_serde::from_str::<ServerSpec>(text).unwrap_err();
    assert!(err.to_string().contains("portt"), "{err}");
}

#[test]
fn template_errors_name_the_template() {
    let mut renderer = mcpfleet_dockerfile_gen::Renderer::new().unwrap();
    let err = renderer
        .register_template("Dockerfile", "{{#if}}")
        .unwrap_err();
    assert!(err.to_string().contains("`Dockerfile`"), "{err}");
    // Strict mode: a misspelt field is an error, not an empty string.
    renderer
        .register_template("Dockerfile", "FROM {{sever}}\n")
        .unwrap();
    let plan = BuildPlan::from_spec(&base()).unwrap();
    let err = renderer.render(&plan).unwrap_err();
    assert!(
        matches!(err, Error::Render { ref name, .. } if name == "Dockerfile"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn a_bridge_without_any_source_of_mcp_proxy_is_rejected() {
    // Neither the bridge nor a manifest would install mcp-proxy: the image could never start.
    let unpinned = || ServerTransport::Stdio {
        bridge: Bridge::McpProxy {
            requirement: None,
            lock: None,
            interpreter: None,
        },
    };
    check(
        |s| {
            s.transport = unpinned();
            s.dependencies = Dependencies::None;
        },
        "transport.bridge.requirement",
        "dependencies is none",
    );
    // A (hashed) manifest that provides it is fine: the bridge shares the server's venv.
    let mut spec = base();
    spec.transport = unpinned();
    let plan = BuildPlan::from_spec(&spec).unwrap();
    let cmd = plan
        .runtime_stage()
        .unwrap()
        .steps
        .iter()
        .find_map(|s| match s {
            mcpfleet_dockerfile_gen::Step::Cmd { argv } => Some(argv[0].clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(cmd, "/opt/venv/bin/mcp-proxy");
}

#[test]
fn pyproject_needs_a_python_with_tomllib() {
    let pyproject = Dependencies::Pyproject {
        path: "pyproject.toml".into(),
    };
    let on = |version: &str| {
        let pyproject = pyproject.clone();
        let version = version.to_owned();
        move |s: &mut ServerSpec| {
            s.runtime = Runtime::python(version);
            s.dependencies = pyproject;
        }
    };
    check(on("3.10"), "dependencies", "tomllib (Python 3.11+)");
    check(on("3.9.18"), "dependencies", "runtime.version is 3.9.18");
    for fine in ["3.11", "3.13", "3"] {
        let mut spec = base();
        on(fine)(&mut spec);
        BuildPlan::from_spec(&spec).unwrap_or_else(|e| panic!("{fine}: {e}"));
    }
}

#[test]
fn writable_paths_never_share_a_compose_volume() {
    // Within one server: `/data/x` and `/data-x` both slug to `notes-data-x`.
    let mut fleet = common::fleet_spec();
    fleet.servers[2].writable_paths = vec!["/data/x".into(), "/data-x".into()];
    let err = FleetPlan::from_spec(&fleet).unwrap_err();
    assert_eq!(err.field(), Some("servers[2].writable_paths[1]"), "{err}");
    assert!(
        err.to_string()
            .contains("`notes-data-x` with servers[2].writable_paths[0]"),
        "{err}"
    );

    // Across servers: service `notes` + `/a-b` and service `notes-a` + `/b`.
    let mut fleet = common::fleet_spec();
    fleet.servers[2].writable_paths = vec!["/a-b".into()];
    let mut other = fleet.servers[2].clone();
    other.name = "notes-a".into();
    other.writable_paths = vec!["/b".into()];
    fleet.servers.push(other);
    let err = FleetPlan::from_spec(&fleet).unwrap_err();
    assert_eq!(err.field(), Some("servers[3].writable_paths[0]"), "{err}");

    // With the gateway service: its `gateway-data` volume is taken too.
    let mut fleet = common::fleet_spec();
    let mut other = fleet.servers[2].clone();
    other.name = "gateway-data".into();
    other.writable_paths = vec!["/x".into()];
    fleet.servers.push(other);
    FleetPlan::from_spec(&fleet).unwrap(); // `gateway-data-x`: distinct
    fleet.servers[3].name = "gateway".into();
    fleet.servers[3].writable_paths = vec!["/data".into()];
    fleet.gateway = None;
    FleetPlan::from_spec(&fleet).unwrap(); // no gateway service: `gateway` is a free name
}
