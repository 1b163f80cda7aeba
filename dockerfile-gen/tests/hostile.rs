//! Hostile spec files: alias bombs, deep nesting, repeated keys, paths that are not files or are too large, and
//! credentials where they would be baked into an image. Each is refused quickly, naming what and where, and no
//! secret is repeated. The time bound is loose ("does not hang"); the loader's figures are the registry's `load`
//! benchmark (the same reader and budget).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::{
    BuildPlan, EnvVar, Error, FleetSpec, LoadOptions, ServerSpec, SpecFormat,
};

const SPEC: &str = include_str!("specs/python-fastmcp.yaml");

fn quickly<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        started.elapsed()
    );
    out
}

fn refused(what: &str, text: &str, format: SpecFormat) -> String {
    quickly(what, || ServerSpec::from_text(text, format, "spec.test"))
        .expect_err(what)
        .to_string()
}

#[test]
fn the_committed_spec_loads() {
    ServerSpec::from_text(SPEC, SpecFormat::Yaml, "spec.test").unwrap();
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_quickly() {
    // The spec's types take no nested lists, so the bomb is wide: a 10 KB string repeated 2,000 times by alias
    // (20 MB from 20 KB of text).
    let tools = format!(
        "  tools: [&a0 \"{}\", {}]",
        "x".repeat(10_000),
        vec!["*a0"; 2_000].join(", ")
    );
    let bomb = SPEC.replace("  tools: [add, multiply, uuid]", &tools);
    assert_ne!(bomb, SPEC);
    let err = refused("alias bomb", &bomb, SpecFormat::Yaml);
    assert!(err.contains("alias bomb"), "{err}");
    assert!(err.starts_with("spec.test:"), "{err}");

    let flow = format!("name: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let block: String = (0..200)
        .map(|depth| format!("{}k:\n", "  ".repeat(depth)))
        .collect();
    // YAML is read as it is parsed, so the spec's types refuse what does not fit them before any depth builds up;
    // JSON is checked for depth (and repeated keys) in one pass first.
    for (what, text) in [("YAML flow", flow.as_str()), ("YAML block", block.as_str())] {
        let err = refused(what, text, SpecFormat::Yaml);
        assert!(err.starts_with("spec.test:1:"), "{what}: {err}");
    }
    let json = format!(
        "{{\"name\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = refused("JSON", &json, SpecFormat::Json);
    assert!(err.contains("deeper than 64 levels"), "{err}");
}

#[test]
fn a_repeated_key_is_refused_naming_both_positions() {
    let yaml = SPEC.replacen("name: utils\n", "name: utils\nname: other\n", 1);
    assert_ne!(yaml, SPEC, "the fixture has `name: utils`");
    let line = yaml.lines().position(|l| l == "name: other").unwrap() + 1;
    let err = refused("YAML", &yaml, SpecFormat::Yaml);
    assert!(
        err.contains(&format!(
            "spec.test:{line}:1: `name` repeats the key first set at {}:1",
            line - 1
        )),
        "{err}"
    );
    let json =
        "{\"name\": \"a\",\n \"env\": [{\"name\": \"A\", \"default\": \"1\", \"default\": \"2\"}]}";
    let err = refused("JSON", json, SpecFormat::Json);
    assert!(
        err.contains("`env[0].default` repeats the key first set at 2:24"),
        "{err}"
    );
}

#[test]
fn only_regular_files_within_the_limit_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().join("spec.yaml");
    std::fs::create_dir(&directory).unwrap();
    let err = FleetSpec::from_path(&directory).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotAFile {
                kind: "a directory",
                ..
            }
        ),
        "{err:?}"
    );

    // A FIFO would block the open; a device would never end. Both refused before opening, on another thread
    // so that a hang fails the test.
    let fifo = dir.path().join("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let zero = dir.path().join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for (path, kind) in [(fifo, "a FIFO (named pipe)"), (zero, "a character device")] {
        let (done, result) = std::sync::mpsc::channel();
        let path2 = path.clone();
        std::thread::spawn(move || done.send(ServerSpec::from_path(&path2).map(drop)));
        let err = result
            .recv_timeout(Duration::from_secs(5))
            .expect("the loader hung")
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with(&format!("it is {kind}, not a regular file")),
            "{}: {err}",
            path.display()
        );
    }

    let large = dir.path().join("large.yaml");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(9 << 20)
        .unwrap();
    let err = ServerSpec::from_path(&large).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FileTooLarge {
                limit: 8_388_608,
                size: Some(9_437_184),
                ..
            }
        ),
        "{err:?}"
    );
    let small = dir.path().join("spec.json");
    std::fs::write(&small, "{\"name\": \"a\"}").unwrap();
    let err =
        ServerSpec::from_path_with(&small, &LoadOptions::default().with_max_bytes(4)).unwrap_err();
    assert!(err.to_string().contains("the limit of 4 bytes"), "{err}");
}

#[test]
fn a_credential_is_never_baked_into_an_image_nor_repeated() {
    let secrets = [
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl",
            "a token (a JWT)",
        ),
        ("sk_live_51HqLyjWDarjtT1zdp7dcX", "a Stripe key"),
        ("Zx8kQ2mN7vB4cT1wR9yL6pH3jF5dG0sA", "a random-looking key"),
    ];
    for (secret, shape) in secrets {
        let mut spec = ServerSpec::from_text(SPEC, SpecFormat::Yaml, "spec.test").unwrap();
        spec.env.push(EnvVar::with_default("UPSTREAM_KEY", secret));
        let at = spec.env.len() - 1;
        let err = BuildPlan::from_spec(&spec).unwrap_err();
        let message = err.to_string();
        assert_eq!(
            err.field(),
            Some(format!("env[{at}].default").as_str()),
            "{message}"
        );
        assert!(
            message.contains(&format!("looks like {shape} (not shown)")),
            "{message}"
        );
        assert!(
            message.contains("`UPSTREAM_KEY` `secret: true`"),
            "{message}"
        );
        assert!(
            !message.contains(secret) && !format!("{err:?}").contains(secret),
            "{message}"
        );
    }
    // Plain defaults (hosts, paths, numbers, hashes) still go into `ENV`.
    let mut spec = ServerSpec::from_text(SPEC, SpecFormat::Yaml, "spec.test").unwrap();
    spec.env
        .push(EnvVar::with_default("CACHE", "/srv/app/cache"));
    spec.env.push(EnvVar::with_default(
        "MODEL_SHA",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ));
    BuildPlan::from_spec(&spec).unwrap();
}

#[test]
fn a_template_merged_into_every_server_still_loads() {
    // What people do with anchors in a fleet spec: one server template, merged into each server. Found refused
    // (as an alias bomb) by the `yaml_aliases` fuzz target when the replay budget was an eighth of the file.
    let mut text = String::from(
        "name: demo\nservers:\n  - &t\n    name: s0\n    runtime: {language: python, version: \"3.12\"}\n    \
         entrypoint: {kind: script, path: server.py}\n    transport: {kind: stdio, bridge: {kind: fastmcp_launcher}}\n    \
         dependencies: {kind: requirements, path: requirements.txt}\n    labels: {tools: [add, multiply]}\n",
    );
    for i in 1..100 {
        text.push_str(&format!("  - {{<<: *t, name: s{i}}}\n"));
    }
    let spec = quickly("template reuse", || {
        FleetSpec::from_text(&text, SpecFormat::Yaml, "fleet.test")
    })
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(spec.servers.len(), 100);
    assert_eq!(spec.servers[99].name, "s99");
    assert_eq!(spec.servers[99].labels.tools, spec.servers[0].labels.tools);
}
