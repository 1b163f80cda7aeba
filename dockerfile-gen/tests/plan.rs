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
        assert_eq!(before.stages.len(), after.stages.len(), "{variant}");
        if before.stages.len() == 2 {
            assert_eq!(
                before.stages[0], after.stages[0],
                "{variant}: builder stage changed"
            );
        }
        // Only source copies were added, at the very end.
        let (old, new) = (
            &before.runtime_stage().unwrap().steps,
            &after.runtime_stage().unwrap().steps,
        );
        assert!(new.len() > old.len(), "{variant}");
        let kept = old.len()
            - old
                .iter()
                .rev()
                .take_while(|step| is_source_copy(step))
                .count();
        assert_eq!(
            old[..kept],
            new[..kept],
            "{variant}: more than sources changed"
        );
        assert!(new[kept..].iter().all(is_source_copy), "{variant}");
    }
}

/// A `COPY` of the project's own files into the app directory.
fn is_source_copy(step: &Step) -> bool {
    matches!(step, Step::Copy { from_stage: None, dest, .. } if dest.starts_with("/app/"))
}

#[test]
fn the_builder_sees_only_manifests_locks_and_vendored_packages() {
    for variant in common::VARIANTS {
        let spec: ServerSpec = common::server_spec(variant);
        let plan = BuildPlan::from_spec(&spec).unwrap();
        if plan.stages.len() == 1 {
            // Nothing to install (a dependency-free Node server): no builder.
            assert_eq!(variant, &"node-http");
            continue;
        }
        let builder = &plan.stages[0];
        assert_eq!(builder.name, "builder");
        for source in copies_from_context(&builder.steps) {
            assert!(
                [
                    "requirements.txt",
                    "bridge-requirements.txt",
                    "pyproject.toml",
                    "package.json",
                    "package-lock.json",
                    "wheels",
                    "vendor"
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
        if let Some(first_source_copy) = runtime.steps.iter().position(is_source_copy) {
            assert!(first_builder_copy < first_source_copy, "{variant}");
        }
    }
}

#[test]
fn every_venv_is_pip_checked_in_the_run_that_installs_it() {
    for variant in common::VARIANTS {
        let plan = BuildPlan::from_spec(&common::server_spec(variant)).unwrap();
        for step in &plan.stages[0].steps {
            let Step::Run { commands } = step else {
                continue;
            };
            for venv in ["/opt/venv", "/opt/bridge"] {
                let install = format!("{venv}/bin/pip install");
                if let Some(at) = commands.iter().position(|c| c.starts_with(&install)) {
                    assert_eq!(
                        commands.get(at + 1),
                        Some(&format!("{venv}/bin/pip check")),
                        "{variant}: {commands:?}"
                    );
                    // …and pip leaves the venv once it has checked it: no installer at run time.
                    assert_eq!(
                        commands.get(at + 2),
                        Some(&format!("{venv}/bin/pip uninstall --yes --quiet pip")),
                        "{variant}: {commands:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_proxy_bridge_has_its_own_venv_and_a_hashed_lock() {
    let (plan, files) = common::render(&common::server_spec("python-proxy"));
    let dockerfile = files.get("Dockerfile").unwrap();
    // Builder: the lock, then the bridge's venv installed with hashes and checked.
    assert!(
        dockerfile.contains("COPY bridge-requirements.txt /build-bridge/bridge-requirements.txt")
    );
    assert!(dockerfile.contains(
        "python3 -m venv /opt/bridge \\\n    && /opt/bridge/bin/pip install --no-cache-dir --require-hashes -r /build-bridge/bridge-requirements.txt \\\n    && /opt/bridge/bin/pip check \\\n    && /opt/bridge/bin/pip uninstall --yes --quiet pip"
    ));
    assert!(!dockerfile.contains("mcp-proxy=="));
    // The server's own venv holds only its requirements.
    assert!(dockerfile.contains(
        "RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r /build/requirements.txt \\\n    && /opt/venv/bin/pip check \\\n    && /opt/venv/bin/pip uninstall --yes --quiet pip"
    ));
    // Both venvs reach the image; the bridge runs from its own, the child from the server's.
    assert!(dockerfile.contains("COPY --from=builder /opt/bridge /opt/bridge"));
    assert!(dockerfile.contains("COPY --from=builder /opt/venv /opt/venv"));
    let cmd = &plan
        .runtime_stage()
        .unwrap()
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Cmd { argv } => Some(argv.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        cmd,
        &[
            "/opt/bridge/bin/mcp-proxy",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--pass-environment",
            "--",
            "/opt/venv/bin/python",
            "/app/stdio_server.py",
        ]
    );
    assert!(
        plan.dockerignore
            .contains(&"!bridge-requirements.txt".to_owned())
    );

    // Without a lock the pinned requirement goes into the bridge's venv.
    let (_, shout) = common::fleet();
    let dockerfile = shout.get("servers/shout/Dockerfile").unwrap();
    assert!(dockerfile.contains("/opt/bridge/bin/pip install --no-cache-dir 'mcp-proxy==0.13.0'"));
}

#[test]
fn a_node_server_gets_the_proxy_bridge_offline() {
    let (plan, files) = common::render(&common::server_spec("node-offline"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(dockerfile.contains(
        "/opt/bridge/bin/pip install --no-cache-dir --no-index --find-links /tmp/vendor 'mcp-proxy==0.13.0'"
    ));
    assert!(
        dockerfile.contains("npm ci --omit=dev --no-audit --no-fund --offline --cache /tmp/vendor")
    );
    assert!(
        !dockerfile.contains("ARG PIP_INDEX_URL"),
        "offline: no index"
    );
    assert!(!dockerfile.contains("/opt/venv"), "no server venv");
    assert!(dockerfile.contains(
        r#"CMD ["/opt/bridge/bin/mcp-proxy", "--host", "0.0.0.0", "--port", "8000", "--pass-environment", "--", "node", "src/main.js", "--root", "/srv/files"]"#
    ));
    // The probe runs with the bridge's Python.
    assert_eq!(plan.healthcheck.test[0], "/opt/bridge/bin/python");
    assert_eq!(plan.endpoint.transport, EndpointTransport::StreamableHttp);
}

#[test]
fn online_builds_take_an_index_and_a_base_from_build_arguments() {
    let (_, files) = common::render(&common::server_spec("python-fastmcp"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(
        dockerfile.contains("ARG BASE_IMAGE=python:3.12-slim\n\nFROM ${BASE_IMAGE} AS builder\n")
    );
    assert!(dockerfile.contains("ARG PIP_INDEX_URL\nARG PIP_TRUSTED_HOST\n"));
    assert!(dockerfile.contains("FROM ${BASE_IMAGE} AS runtime\n"));
    assert!(dockerfile.contains("org.opencontainers.image.base.name=\"${BASE_IMAGE}\""));
    // The index arguments live in the builder only: nothing of them reaches the image.
    let runtime = &dockerfile[dockerfile.find("AS runtime").unwrap()..];
    assert!(!runtime.contains("PIP_INDEX_URL"));
    let (_, files) = common::render(&common::server_spec("node-stdio"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(dockerfile.contains("ARG BASE_IMAGE=node:22-bookworm-slim\n"));
    assert!(
        dockerfile.contains("ARG PIP_INDEX_URL\nARG PIP_TRUSTED_HOST\nARG NPM_CONFIG_REGISTRY\n")
    );
    // A pinned digest travels in the argument's default.
    let mut spec = common::server_spec("python-http");
    let digest = format!("sha256:{}", "0a".repeat(32));
    spec.base_image =
        Some(mcpfleet_dockerfile_gen::ImageRef::new("python", "3.13-slim-trixie").pinned(&digest));
    let (_, files) = common::render(&spec);
    assert!(files.get("Dockerfile").unwrap().contains(&format!(
        "ARG BASE_IMAGE=python:3.13-slim-trixie@{digest}\n"
    )));
}

#[test]
fn the_runtime_stage_copies_the_sources_last() {
    for variant in common::VARIANTS {
        let (plan, files) = common::render(&common::server_spec(variant));
        let steps = &plan.runtime_stage().unwrap().steps;
        // Everything after the first source copy is a source copy.
        let first_source = steps.iter().position(is_source_copy).unwrap_or(steps.len());
        assert!(
            steps[first_source..].iter().all(is_source_copy),
            "{variant}: {:?}",
            &steps[first_source..]
        );
        // Before them: the account, the user, the probe, the command, the labels.
        let before: Vec<&str> = steps[..first_source]
            .iter()
            .filter_map(Step::keyword)
            .collect();
        for keyword in [
            "RUN",
            "WORKDIR",
            "USER",
            "EXPOSE",
            "HEALTHCHECK",
            "CMD",
            "LABEL",
        ] {
            assert!(
                before.contains(&keyword),
                "{variant}: no {keyword} before the sources"
            );
        }
        let position = |keyword: &str| before.iter().position(|k| *k == keyword).unwrap();
        assert!(
            position("RUN") < position("USER"),
            "{variant}: the account is made as root"
        );
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
            "127.0.0.1",
        ] {
            assert!(
                !dockerfile.contains(forbidden),
                "{variant} contains {forbidden}"
            );
        }
    }
}

#[test]
fn probes_connect_to_the_containers_own_address() {
    for variant in common::VARIANTS {
        let plan = BuildPlan::from_spec(&common::server_spec(variant)).unwrap();
        let test = &plan.healthcheck.test;
        if let Some(at) = test
            .iter()
            .position(|word| word.starts_with("/opt/mcpfleet/probe."))
        {
            // The MCP probe: transport, port, path, timeout and no address, so it resolves its own.
            assert_eq!(test.len(), at + 5, "{variant}: {test:?}");
            assert!(
                ["streamable-http", "sse"].contains(&test[at + 1].as_str()),
                "{variant}"
            );
            let (_, files) = common::render(&common::server_spec(variant));
            let file = if test[0] == "node" {
                "mcpfleet_probe.js"
            } else {
                "mcpfleet_probe.py"
            };
            let script = files.get(file).unwrap();
            assert!(
                script.contains("gethostbyname(socket.gethostname())")
                    || script.contains("dns.lookup(os.hostname()"),
                "{variant}"
            );
            continue;
        }
        let code = &test[2];
        if test[0] == "node" {
            assert_eq!(test[1], "-e");
            assert!(
                code.contains("require('dns').lookup(require('os').hostname()"),
                "{variant}"
            );
        } else {
            assert!(
                test[0].ends_with("python") || test[0].ends_with("python3"),
                "{variant}"
            );
            assert_eq!(test[1], "-c");
            assert!(
                code.contains("socket.gethostbyname(socket.gethostname())"),
                "{variant}"
            );
        }
        assert!(code.contains("startsWith('127.')") || code.contains("startswith('127.')"));
        assert!(
            !code.contains("127.0.0.1") && !code.contains("localhost"),
            "{variant}"
        );
    }
}

/// The rendered probes as files: `mcpfleet_probe.py` and `.js`.
fn probe_scripts() -> (tempfile::TempDir, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let (_, python) = common::render(&common::server_spec("python-proxy"));
    python.write_to(dir.path()).unwrap();
    let (_, node) = common::render(&common::server_spec("node-http"));
    node.write_to(dir.path()).unwrap();
    let commands = vec![
        vec![
            "python3".to_owned(),
            dir.path().join("mcpfleet_probe.py").display().to_string(),
        ],
        vec![
            "node".to_owned(),
            dir.path().join("mcpfleet_probe.js").display().to_string(),
        ],
    ];
    (dir, commands)
}

/// A wedged server: the port accepts connections (the kernel's backlog) but nothing ever answers. A TCP
/// probe passes it; both MCP probes fail it within their timeout, and say why.
#[test]
fn the_mcp_probes_fail_a_port_that_accepts_but_never_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (_dir, probes) = probe_scripts();
    for probe in probes {
        for transport in ["streamable-http", "sse"] {
            let started = std::time::Instant::now();
            let output = Command::new(&probe[0])
                .arg(&probe[1])
                .args([transport, &port, "/mcp", "1", "127.0.0.1"])
                .output()
                .unwrap();
            assert!(!output.status.success(), "{probe:?} {transport}");
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("probe: unhealthy"), "{probe:?}: {stderr}");
        }
    }
    drop(listener);
}

/// An HTTP server that answers 200 to everything but speaks no MCP is not healthy either (a bridge's
/// `/healthz`-style answer proves nothing about the server behind it).
#[test]
fn the_mcp_probes_fail_an_http_answer_that_is_not_mcp() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            );
        }
    });
    let (_dir, probes) = probe_scripts();
    for probe in probes {
        let output = Command::new(&probe[0])
            .arg(&probe[1])
            .args(["streamable-http", &port, "/mcp", "2", "127.0.0.1"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{probe:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("no answer to request 1"),
            "{probe:?}: {stderr}"
        );
    }
}

/// The Python probe refuses a hostname that resolves to loopback, even when
/// a server answers there (the case a loopback-only bind used to pass).
#[test]
fn the_python_probe_fails_on_a_loopback_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut spec = common::server_spec("python-http");
    spec.port = port;
    let plan = BuildPlan::from_spec(&spec).unwrap();
    let code = &plan.healthcheck.test[2];
    for (resolves_to, succeeds) in [("127.0.0.1", false), ("0.0.0.0", true)] {
        // Stand in for the container's /etc/hosts: the hostname resolves to `resolves_to`.
        let patched =
            format!("import socket; socket.gethostbyname = lambda name: '{resolves_to}'\n{code}");
        let output = Command::new("python3")
            .args(["-c", &patched])
            .output()
            .expect("python3 is needed to run the probe");
        assert_eq!(
            output.status.success(),
            succeeds,
            "{resolves_to}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if !succeeds {
            assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
        }
    }
}

#[test]
fn python_images_set_the_promised_environment() {
    for variant in [
        "python-proxy",
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
    let (plan, files) = common::render(&common::server_spec("python-proxy"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(
        dockerfile
            .contains(r#""/opt/bridge/bin/mcp-proxy", "--host", "0.0.0.0", "--port", "8000""#)
    );
    assert_eq!(plan.endpoint.url("shout"), "http://shout:8000/mcp");
    assert_eq!(plan.endpoint.transport, EndpointTransport::StreamableHttp);
    // Only the server's own variables are required from the deployer.
    let names: Vec<&str> = plan.runtime_env.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["UPSTREAM_API_KEY"]);

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
            .contains(r#""--pass-environment", "--", "node", "/app/build/index.js"]"#)
    );
}

#[test]
fn the_gateway_itself_renders_from_a_server_spec() {
    let (plan, files) = common::render(&common::server_spec("contextforge-gateway"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert_eq!(
        plan.endpoint.url("contextforge"),
        "http://contextforge:4444/mcp"
    );
    assert!(dockerfile.contains("HOST=\"0.0.0.0\""));
    assert!(dockerfile.contains("PORT=\"4444\""));
    assert!(dockerfile.contains("MCG_HOST=\"0.0.0.0\""));
    assert!(dockerfile.contains(r#"CMD ["mcpgateway"]"#));
    assert!(plan.healthcheck.test[2].contains("c.request('GET', '/health')"));
    assert_eq!(plan.writable_paths, ["/data"]);
    let secrets: Vec<&str> = plan
        .runtime_env
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(secrets.len(), 5);
    // No sources: the program comes from the hashed requirements.
    let runtime = plan.runtime_stage().unwrap();
    assert!(!runtime.steps.iter().any(is_source_copy));
    assert_eq!(runtime.steps.last().unwrap().keyword(), Some("LABEL"));
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
fn the_launcher_and_the_probes_are_valid_code() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = common::render(&common::server_spec("python-fastmcp"));
    files.write_to(dir.path()).unwrap();
    assert!(dir.path().join("Dockerfile").is_file());
    assert!(dir.path().join(".dockerignore").is_file());
    let (_, node) = common::render(&common::server_spec("node-http"));
    node.write_to(dir.path()).unwrap();
    for (program, args, file) in [
        ("python3", &["-m", "py_compile"][..], "mcpfleet_launcher.py"),
        ("python3", &["-m", "py_compile"][..], "mcpfleet_probe.py"),
        ("node", &["--check"][..], "mcpfleet_probe.js"),
    ] {
        let status = Command::new(program)
            .args(args)
            .arg(dir.path().join(file))
            .status()
            .unwrap_or_else(|e| panic!("{program} is needed to check {file}: {e}"));
        assert!(status.success(), "{file}");
    }
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
