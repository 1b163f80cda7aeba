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
        // Only source copies were added, at the very end.
        let (old, new) = (&before.stages[1].steps, &after.stages[1].steps);
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
fn the_translate_bridge_has_its_own_venv_and_a_hashed_lock() {
    let (plan, files) = common::render(&common::server_spec("python-translate"));
    let dockerfile = files.get("Dockerfile").unwrap();
    // Builder: the lock, then the bridge's venv installed with hashes and checked.
    assert!(
        dockerfile.contains("COPY bridge-requirements.txt /build-bridge/bridge-requirements.txt")
    );
    assert!(dockerfile.contains(
        "python3 -m venv /opt/bridge \\\n    && /opt/bridge/bin/pip install --no-cache-dir --require-hashes -r /build-bridge/bridge-requirements.txt \\\n    && /opt/bridge/bin/pip check \\\n    && /opt/bridge/bin/pip uninstall --yes --quiet pip"
    ));
    assert!(!dockerfile.contains("mcp-contextforge-gateway==1.1.0"));
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
            "/opt/bridge/bin/python",
            "/opt/mcpfleet/translate_launcher.py",
            "--stdio",
            "/opt/venv/bin/python /app/stdio_server.py",
            "--expose-streamable-http",
            "--host",
            "0.0.0.0",
            "--port",
            "8000"
        ]
    );
    assert!(dockerfile.contains("COPY mcpfleet_translate.py /opt/mcpfleet/translate_launcher.py"));
    assert!(
        plan.dockerignore
            .contains(&"!bridge-requirements.txt".to_owned())
    );
    assert!(
        plan.dockerignore
            .contains(&"!mcpfleet_translate.py".to_owned())
    );
    assert!(files.get("mcpfleet_translate.py").is_some());

    // Without a lock the pinned requirement goes into the bridge's venv.
    let (_, shout) = common::fleet();
    let dockerfile = shout.get("servers/shout/Dockerfile").unwrap();
    assert!(
        dockerfile.contains(
            "/opt/bridge/bin/pip install --no-cache-dir 'mcp-contextforge-gateway==1.1.0'"
        )
    );
}

#[test]
fn a_node_server_can_use_the_translate_bridge_offline() {
    let (plan, files) = common::render(&common::server_spec("node-translate"));
    let dockerfile = files.get("Dockerfile").unwrap();
    assert!(dockerfile.contains(
        "/opt/bridge/bin/pip install --no-cache-dir --no-index --find-links /tmp/vendor --require-hashes -r /build-bridge/bridge-requirements.txt"
    ));
    assert!(!dockerfile.contains("npm "), "no npm registry needed");
    assert!(!dockerfile.contains("/opt/venv"), "no server venv");
    assert!(dockerfile.contains(
        r#"CMD ["/opt/bridge/bin/python", "/opt/mcpfleet/translate_launcher.py", "--stdio", "node /app/server.js","#
    ));
    assert_eq!(plan.healthcheck.test[0], "node");
    assert_eq!(plan.endpoint.transport, EndpointTransport::StreamableHttp);
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
    // Nothing of the gateway's is required from the deployer any more.
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
            .contains(r#""--outputTransport", "streamableHttp""#)
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
fn the_launchers_are_valid_python() {
    for (variant, launcher) in [
        ("python-fastmcp", "mcpfleet_launcher.py"),
        ("python-translate", "mcpfleet_translate.py"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (_, files) = common::render(&common::server_spec(variant));
        files.write_to(dir.path()).unwrap();
        let status = Command::new("python3")
            .args(["-m", "py_compile"])
            .arg(dir.path().join(launcher))
            .status()
            .expect("python3 is needed to check the launcher");
        assert!(status.success(), "{launcher}");
        assert!(dir.path().join("Dockerfile").is_file());
        assert!(dir.path().join(".dockerignore").is_file());
    }
}

/// The translate launcher against a stand-in `mcpgateway` package: the
/// throwaway values are set for the import, strong and fresh, and gone
/// before `main` runs (when translate would spawn the stdio child); a value
/// the deployer set is left alone.
#[test]
fn the_translate_launcher_hides_its_throwaway_secrets_from_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = common::render(&common::server_spec("python-translate"));
    files.write_to(dir.path()).unwrap();
    let package = dir.path().join("fake/mcpgateway");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("__init__.py"), "").unwrap();
    std::fs::write(
        package.join("config.py"),
        "import os\nSEEN = {k: os.environ.get(k) for k in ('JWT_SECRET_KEY', 'AUTH_ENCRYPTION_SECRET', 'EMAIL_AUTH_ENABLED')}\n",
    )
    .unwrap();
    std::fs::write(
        package.join("translate.py"),
        r#"import json, os, sys
from mcpgateway.config import SEEN

def main(argv):
    names = ('JWT_SECRET_KEY', 'AUTH_ENCRYPTION_SECRET', 'EMAIL_AUTH_ENABLED')
    print(json.dumps({"argv": argv, "import": SEEN, "child": {k: os.environ.get(k) for k in names}}))
"#,
    )
    .unwrap();
    let run = |extra: &[(&str, &str)]| {
        let mut command = Command::new("python3");
        command
            .arg(dir.path().join("mcpfleet_translate.py"))
            .args(["--stdio", "python3 /app/server.py", "--port", "8000"])
            .env("PYTHONPATH", dir.path().join("fake"))
            .env_remove("JWT_SECRET_KEY")
            .env_remove("AUTH_ENCRYPTION_SECRET")
            .env_remove("EMAIL_AUTH_ENABLED");
        for (name, value) in extra {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let first = run(&[]);
    assert_eq!(
        first["argv"],
        serde_json::json!(["--stdio", "python3 /app/server.py", "--port", "8000"])
    );
    let jwt = first["import"]["JWT_SECRET_KEY"].as_str().unwrap();
    assert!(jwt.len() >= 64, "{jwt}");
    assert_ne!(
        jwt,
        first["import"]["AUTH_ENCRYPTION_SECRET"].as_str().unwrap()
    );
    assert_eq!(first["import"]["EMAIL_AUTH_ENABLED"], "false");
    for name in [
        "JWT_SECRET_KEY",
        "AUTH_ENCRYPTION_SECRET",
        "EMAIL_AUTH_ENABLED",
    ] {
        assert!(first["child"][name].is_null(), "{name} reaches the child");
    }
    assert_ne!(run(&[])["import"]["JWT_SECRET_KEY"].as_str().unwrap(), jwt);
    // Set by the deployer: used, and not removed (the launcher only removes its own).
    let deployer = run(&[("EMAIL_AUTH_ENABLED", "true")]);
    assert_eq!(deployer["import"]["EMAIL_AUTH_ENABLED"], "true");
    assert_eq!(deployer["child"]["EMAIL_AUTH_ENABLED"], "true");
    assert!(deployer["child"]["JWT_SECRET_KEY"].is_null());
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
