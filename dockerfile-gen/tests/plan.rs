//! Plan structure: layer order, cache behaviour, exec form, endpoints, and
//! the supporting pieces (launcher, custom templates, writing files).
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use mcpfleet_dockerfile_gen::{
    BuildPlan, EndpointTransport, FleetPlan, Renderer, ServerSpec, Step,
};

fn copies_from_context(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| match step {
            Step::Copy {
                from_stage: None,
                sources,
                ..
            } => Some(sources.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_source_only_change_keeps_the_dependency_stage_identical() {
    for variant in common::VARIANTS {
        let spec = common::server_spec(variant);
        let mut changed = spec.clone();
        if let (true, mcpfleet_dockerfile_gen::Entrypoint::Script { path, .. }) =
            (changed.sources.is_empty(), &spec.entrypoint)
        {
            changed.sources.push(path.clone());
        }
        changed.sources.push("extra_module".into());
        let before = BuildPlan::from_spec(&spec).unwrap();
        let after = BuildPlan::from_spec(&changed).unwrap();
        assert_eq!(before.stages.len(), 2, "{variant} is multi-stage");
        assert_eq!(
            before.stages[0], after.stages[0],
            "{variant}: builder stage changed"
        );
        assert_ne!(before.stages[1], after.stages[1]);
    }
}

#[test]
fn the_builder_sees_only_manifests_and_vendored_packages() {
    for variant in common::VARIANTS {
        let spec: ServerSpec = common::server_spec(variant);
        let plan = BuildPlan::from_spec(&spec).unwrap();
        let builder = &plan.stages[0];
        assert_eq!(builder.name, "builder");
        for source in copies_from_context(&builder.steps) {
            assert!(
                [
                    "requirements.txt",
                    "pyproject.toml",
                    "package.json",
                    "package-lock.json",
                    "wheels",
                    "npm-cache"
                ]
                .contains(&source.as_str()),
                "{variant}: builder copies {source}"
            );
        }
        // The runtime stage copies the install result before any source.
        let runtime = plan.runtime_stage().unwrap();
        let first_builder_copy = runtime
            .steps
            .iter()
            .position(|s| {
                matches!(
                    s,
                    Step::Copy {
                        from_stage: Some(_),
                        ..
                    }
                )
            })
            .unwrap();
        let first_source_copy = runtime
            .steps
            .iter()
            .position(|s| {
                matches!(
                    s,
                    Step::Copy {
                        from_stage: None,
                        ..
                    }
                )
            })
            .unwrap();
        assert!(first_builder_copy < first_source_copy, "{variant}");
    }
}

#[test]
fn the_runtime_stage_ends_non_root_with_exec_form_probe_and_command() {
    for variant in common::VARIANTS {
        let (plan, files) = common::render(&common::server_spec(variant));
        let steps = &plan.runtime_stage().unwrap().steps;
        let tail: Vec<_> = steps[steps.len() - 4..]
            .iter()
            .map(|s| s.keyword().unwrap())
            .collect();
        assert_eq!(tail, ["USER", "EXPOSE", "HEALTHCHECK", "CMD"], "{variant}");
        let dockerfile = files.get("Dockerfile").unwrap();
        let cmd = dockerfile.lines().find(|l| l.starts_with("CMD ")).unwrap();
        let argv: Vec<String> = serde_json::from_str(&cmd["CMD ".len()..]).unwrap();
        assert!(!argv.is_empty());
        let user = dockerfile.lines().find(|l| l.starts_with("USER ")).unwrap();
        assert_ne!(user, "USER 0:0");
        assert!(
            !dockerfile.contains("&amp;"),
            "{variant}: HTML escaping leaked"
        );
        for forbidden in [
            "RUN --mount",
            "# syntax=",
            "COPY --chmod",
            "<<",
            ":latest",
            "localhost",
        ] {
            assert!(
                !dockerfile.contains(forbidden),
                "{variant} contains {forbidden}"
            );
        }
    }
}

#[test]
fn python_images_set_the_promised_environment() {
    for variant in [
        "python-translate",
        "python-fastmcp",
        "python-http",
        "python-offline",
    ] {
        let (_, files) = common::render(&common::server_spec(variant));
        let dockerfile = files.get("Dockerfile").unwrap();
        assert!(
            dockerfile.contains("PYTHONDONTWRITEBYTECODE=\"1\""),
            "{variant}"
        );
        assert!(dockerfile.contains("PYTHONUNBUFFERED=\"1\""), "{variant}");
        for line in dockerfile.lines().filter(|l| l.contains("pip install")) {
            assert!(line.contains("--no-cache-dir"), "{variant}: {line}");
        }
    }
    let (_, offline) = common::render(&common::server_spec("python-offline"));
    let dockerfile = offline.get("Dockerfile").unwrap();
    let installs: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.contains("pip install"))
        .collect();
    assert_eq!(installs.len(), 2);
    for line in installs {
        assert!(
            line.contains("--no-index --find-links /tmp/vendor"),
            "{line}"
        );
    }
}

#[test]
fn bridges_listen_on_all_interfaces_and_endpoints_use_service_names() {
    let (plan, files) = common::render(&common::server_spec("python-translate"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(dockerfile.contains(r#""--stdio", "/opt/venv/bin/python /app/stdio_server.py", "--expose-streamable-http", "--host", "0.0.0.0""#));
    assert_eq!(plan.endpoint.url("shout"), "http://shout:8000/mcp");
    assert_eq!(plan.endpoint.transport, EndpointTransport::StreamableHttp);
    let names: Vec<&str> = plan.runtime_env.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "UPSTREAM_API_KEY",
            "JWT_SECRET_KEY",
            "AUTH_ENCRYPTION_SECRET",
            "PLATFORM_ADMIN_PASSWORD",
            "DEFAULT_USER_PASSWORD"
        ]
    );

    let (plan, files) = common::render(&common::server_spec("python-fastmcp"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(dockerfile.contains(
        r#""--host", "0.0.0.0", "--port", "8000", "--path", "/mcp", "--allow-host", "utils""#
    ));
    assert!(dockerfile.contains("COPY mcpfleet_launcher.py /opt/mcpfleet/launcher.py"));
    assert!(
        plan.dockerignore
            .contains(&"!mcpfleet_launcher.py".to_owned())
    );

    let (_, files) = common::render(&common::server_spec("node-stdio"));
    assert!(
        files
            .get("Dockerfile")
            .unwrap()
            .contains(r#""--outputTransport", "streamableHttp""#)
    );
}

#[test]
fn sse_servers_register_as_sse() {
    let mut spec = common::server_spec("python-http");
    spec.transport = mcpfleet_dockerfile_gen::ServerTransport::Sse {
        path: "/sse".into(),
    };
    let plan = BuildPlan::from_spec(&spec).unwrap();
    assert_eq!(plan.endpoint.url("notes"), "http://notes:8000/sse");
    assert_eq!(plan.endpoint.transport, EndpointTransport::Sse);
    assert_eq!(plan.endpoint.transport.as_str(), "SSE");
}

#[test]
fn the_launcher_is_valid_python() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = common::render(&common::server_spec("python-fastmcp"));
    files.write_to(dir.path()).unwrap();
    let launcher = dir.path().join("mcpfleet_launcher.py");
    let status = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(&launcher)
        .status()
        .expect("python3 is needed to check the launcher");
    assert!(status.success());
    assert!(dir.path().join("Dockerfile").is_file());
    assert!(dir.path().join(".dockerignore").is_file());
}

#[test]
fn users_can_override_and_add_templates() {
    let plan = BuildPlan::from_spec(&common::server_spec("python-fastmcp")).unwrap();
    let mut renderer = Renderer::new().unwrap();
    assert!(renderer.has_template("Dockerfile"));
    renderer
        .register_template(
            "README",
            "# {{server}}\nserves {{endpoint.path}} on {{endpoint.port}} over {{endpoint.transport}}\n",
        )
        .unwrap();
    assert_eq!(
        renderer.render_template("README", &plan).unwrap(),
        "# utils\nserves /mcp on 8000 over STREAMABLEHTTP\n"
    );
    renderer
        .register_template(
            "dockerignore",
            "*\n{{#each dockerignore}}{{this}}\n{{/each}}",
        )
        .unwrap();
    let files = renderer.render(&plan).unwrap();
    assert!(
        files
            .get(".dockerignore")
            .unwrap()
            .starts_with("*\n*\n!requirements.txt\n")
    );
}

#[test]
fn specs_round_trip_through_json() {
    for variant in common::VARIANTS {
        let spec = common::server_spec(variant);
        let json = serde_json::to_string(&spec).unwrap();
        let back: ServerSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec, "{variant}");
    }
}

#[test]
fn plans_round_trip_through_json() {
    for variant in common::VARIANTS {
        let plan = BuildPlan::from_spec(&common::server_spec(variant)).unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        let back: BuildPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan, "{variant}");
    }
    let (plan, _) = common::fleet();
    let json = serde_json::to_string(&plan).unwrap();
    let back: FleetPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
    // A plan read back renders the same files.
    let renderer = Renderer::new().unwrap();
    assert_eq!(
        renderer.render_fleet(&back).unwrap(),
        renderer.render_fleet(&plan).unwrap()
    );
}
