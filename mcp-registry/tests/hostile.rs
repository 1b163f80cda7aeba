//! Hostile input to the manifest loader and the `server.json` import: alias bombs, deep nesting, repeated keys,
//! paths that are not files or are too large. Each is refused quickly with an error naming what and where; the
//! time bounds are loose ("does not hang"), the performance figures are the `load` benchmark's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use mcpfleet_registry::{
    Error, Format, LoadOptions, Manifest, import_server_json, import_server_json_file,
};

fn load(text: &str, format: Format) -> Result<Manifest, Error> {
    Manifest::from_str_with_env(text, format, "fleet.test", |_| None)
}

/// Runs `work`, failing if it takes longer than a loader ever should on these inputs.
fn quickly<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{what} took {took:?}");
    out
}

fn refused(what: &str, text: &str, format: Format) -> String {
    quickly(what, || load(text, format))
        .expect_err(what)
        .to_string()
}

/// A valid manifest of `servers` servers (about 110 bytes each), then `tail` (indented as a server's fields).
fn manifest(servers: usize, tail: &str) -> String {
    let mut text = String::from("fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n");
    for i in 0..servers {
        text.push_str(&format!(
            "  - name: s{i}\n    url: http://s{i}:8000/mcp\n    transport: streamable-http\n    expected_tools: [add]\n"
        ));
    }
    text.push_str("  - name: last\n    url: http://last:8000/mcp\n    transport: sse\n");
    text.push_str(tail);
    text
}

/// "Billion laughs": `levels` anchors, each a list of `width` aliases to the one before, as a smoke call's
/// arguments (which may hold any value): `width^levels` strings once expanded.
fn bomb(levels: usize, width: usize) -> String {
    let mut text = String::from(
        "    smoke:\n      - tool: t\n        arguments:\n          a0: &a0 \"lol\"\n",
    );
    for level in 1..levels {
        let aliases = vec![format!("*a{}", level - 1); width].join(", ");
        text.push_str(&format!("          a{level}: &a{level} [{aliases}]\n"));
    }
    text
}

#[test]
fn alias_bombs_are_refused_quickly_at_the_alias() {
    let small = manifest(0, &bomb(10, 10));
    let large = manifest(900, &bomb(10, 10));
    assert!(small.len() < 1200, "{}", small.len());
    assert!((90_000..120_000).contains(&large.len()), "{}", large.len());
    for (what, text) in [("1 KB bomb", &small), ("100 KB bomb", &large)] {
        let err = refused(what, text, Format::Yaml);
        assert!(err.contains("alias bomb"), "{what}: {err}");
        // The position is the parser's, inside the bomb (its last lines), not the document's start.
        let bomb_starts = text.lines().position(|l| l.contains("&a0")).unwrap() + 1;
        let line: usize = err
            .split("fleet.test:")
            .nth(2)
            .and_then(|rest| rest.split(':').next())
            .and_then(|line| line.parse().ok())
            .unwrap_or_else(|| panic!("{what}: no position in {err}"));
        assert!(line > bomb_starts, "{what}: line {line}: {err}");
    }
}

#[test]
fn anchors_aliases_and_merge_keys_as_people_use_them_still_load() {
    // A template merged into every server and a risk profile shared by all: what real manifests do.
    let mut text = String::from(
        "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nx-defaults: &defaults\n  transport: streamable-http\n  \
         tags: [team-a, prod]\n  expected_tools: [add, sub]\nx-risk: &risk {filesystem: read, network: fleet, compute: light}\n\
         servers:\n",
    );
    text = text.replace("x-defaults: &defaults", "servers_defaults: &defaults");
    for i in 0..300 {
        text.push_str(&format!(
            "  - <<: *defaults\n    name: s{i}\n    url: http://s{i}:8000/mcp\n    risk: *risk\n"
        ));
    }
    // The anchors live under keys the manifest does not know: write them inside the first server instead.
    let text = text
        .replace("servers_defaults: &defaults\n  transport: streamable-http\n  tags: [team-a, prod]\n  expected_tools: [add, sub]\nx-risk: &risk {filesystem: read, network: fleet, compute: light}\n", "")
        .replacen(
            "  - <<: *defaults\n    name: s0\n    url: http://s0:8000/mcp\n    risk: *risk\n",
            "  - &first\n    transport: streamable-http\n    tags: &tags [team-a, prod]\n    expected_tools: [add, sub]\n    \
             name: s0\n    url: http://s0:8000/mcp\n    risk: &risk {filesystem: read, network: fleet, compute: light}\n",
            1,
        )
        .replace("<<: *defaults", "<<: {transport: streamable-http, tags: *tags, expected_tools: [add, sub]}");
    let manifest = quickly("template reuse", || load(&text, Format::Yaml)).unwrap();
    assert_eq!(manifest.servers.len(), 300);
    let last = &manifest.servers[299];
    assert_eq!(last.name, "s299");
    assert_eq!(last.tags, ["team-a", "prod"]);
    assert_eq!(last.expected_tools, ["add", "sub"]);
    assert_eq!(last.risk, manifest.servers[0].risk);
}

#[test]
fn deep_nesting_is_refused_quickly_in_every_format() {
    let yaml_block = format!("fleet:\n{}x\n", "- ".repeat(10_000));
    let yaml_block_mappings: String = (0..200)
        .map(|depth| format!("{}k:\n", "  ".repeat(depth)))
        .collect();
    let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let flow_maps = format!("{}1{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
    for (what, text, format) in [
        (
            "YAML block sequences 10,000 deep",
            &yaml_block,
            Format::Yaml,
        ),
        (
            "YAML block mappings 200 deep",
            &yaml_block_mappings,
            Format::Yaml,
        ),
        ("YAML flow 100,000 deep", &flow, Format::Yaml),
        ("YAML flow mappings 100,000 deep", &flow_maps, Format::Yaml),
        ("JSON arrays 100,000 deep", &flow, Format::Json),
        ("JSON objects 100,000 deep", &flow_maps, Format::Json),
    ] {
        let err = refused(what, text, format);
        assert!(err.contains("deeper than 64 levels"), "{what}: {err}");
        assert!(err.contains("fleet.test:"), "{what}: {err}");
        assert!(
            err.matches("fleet.test:").count() == 2,
            "{what}: no position: {err}"
        );
    }
    let toml_arrays = format!("fleet = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let toml_tables = format!(
        "fleet = {}1{}",
        "{a = ".repeat(100_000),
        "}".repeat(100_000)
    );
    for (what, text) in [
        ("TOML arrays", &toml_arrays),
        ("TOML inline tables", &toml_tables),
    ] {
        let err = refused(what, text, Format::Toml);
        assert!(
            err.contains("deeper than the TOML reader's 80 levels"),
            "{what}: {err}"
        );
        assert!(err.contains("fleet.test:1:"), "{what}: {err}");
    }
}

#[test]
fn a_repeated_key_is_refused_naming_both_positions_in_every_format() {
    // The key that matters most: a second `gateway.url` would send the token there.
    let yaml = "fleet: demo\ngateway:\n  url: http://gateway:4444\n  token_env: FLEET_TOKEN\n  url: https://elsewhere.example.com\nservers: []\n";
    let json = "{\n  \"fleet\": \"demo\",\n  \"gateway\": {\n    \"url\": \"http://gateway:4444\",\n    \"url\": \"https://elsewhere.example.com\"\n  }\n}\n";
    let toml = "fleet = \"demo\"\n\n[gateway]\nurl = \"http://gateway:4444\"\nurl = \"https://elsewhere.example.com\"\n";
    let cases = [
        (
            yaml,
            Format::Yaml,
            "`gateway.url` at 5:3 repeats the key first set at 3:3",
        ),
        (
            json,
            Format::Json,
            "`gateway.url` at 5:5 repeats the key first set at 4:5",
        ),
        (
            toml,
            Format::Toml,
            "`gateway.url` at 5:1 repeats the key first set at 4:1",
        ),
        // At the top level.
        (
            "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nfleet: other\n",
            Format::Yaml,
            "`fleet` at 3:1 repeats the key first set at 1:1",
        ),
        (
            "{\"fleet\": \"demo\", \"gateway\": {\"url\": \"http://gw:4444\"}, \"fleet\": \"other\"}",
            Format::Json,
            "`fleet` at 1:57 repeats the key first set at 1:2",
        ),
        (
            "fleet = \"demo\"\nfleet = \"other\"\n[gateway]\nurl = \"http://gw:4444\"\n",
            Format::Toml,
            "`fleet` at 2:1 repeats the key first set at 1:1",
        ),
        // Nested in a list item, in flow style, and a TOML table declared twice.
        (
            "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n  - {name: a, url: \"http://a:1/mcp\", transport: sse}\n  - name: b\n    url: http://b:1/mcp\n    transport: sse\n    url: http://c:1/mcp\n",
            Format::Yaml,
            "`servers[1].url` at 8:5 repeats the key first set at 6:5",
        ),
        (
            "fleet = \"demo\"\n[gateway]\nurl = \"http://gw:4444\"\n[[servers]]\nname = \"a\"\n[[servers]]\nname = \"b\"\ntransport = \"sse\"\nname = \"c\"\n",
            Format::Toml,
            "`servers[1].name` at 9:1 repeats the key first set at 7:1",
        ),
        (
            "fleet = \"demo\"\n[gateway]\nurl = \"http://gw:4444\"\n[gateway]\nteam = \"t\"\n",
            Format::Toml,
            "`gateway` at 4:2 repeats the key first set at 2:2",
        ),
    ];
    for (text, format, expected) in cases {
        let err = refused(expected, text, format);
        assert!(
            err.contains(expected),
            "{format:?}: expected {expected:?} in {err}"
        );
        // One problem, at the second key.
        assert!(err.contains("fleet.test: 1 problem"), "{err}");
    }
}

#[test]
fn server_json_refuses_repeated_keys_and_deep_nesting() {
    let repeated = "{\n  \"name\": \"io.github.user/weather\",\n  \"remotes\": [{\"type\": \"sse\", \"url\": \"https://a.example.com/sse\",\n               \"url\": \"https://b.example.com/sse\"}]\n}\n";
    let err = quickly("server.json", || {
        import_server_json(repeated, "server.json")
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("server.json:4:16: remotes[0].url: `remotes[0].url` at 4:16 repeats the key first set at 3:31"),
        "{err}"
    );
    let top = "{\"name\": \"io.github.user/a\", \"name\": \"io.github.user/b\"}";
    let err = import_server_json(top, "server.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`name` at 1:30 repeats the key first set at 1:2"),
        "{err}"
    );
    let deep = format!(
        "{{\"name\": \"x\", \"remotes\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = quickly("deep server.json", || {
        import_server_json(&deep, "server.json")
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("deeper than 64 levels"), "{err}");
    assert!(err.contains("server.json:1:"), "{err}");
}

/// A path loader, as one function of the path and the options.
type Loader = fn(&Path, &LoadOptions) -> Result<(), Error>;

/// Every path loader.
fn loaders() -> [(&'static str, Loader); 2] {
    [
        ("manifest", |path, options| {
            Manifest::from_path_with(path, options).map(drop)
        }),
        ("server.json", |path, options| {
            import_server_json_file(path, options).map(drop)
        }),
    ]
}

/// Runs `load` on another thread: a FIFO that is opened blocks until a writer comes, and that must fail the
/// test, not hang it.
fn without_hanging(load: Loader, path: &Path) -> Error {
    let path = path.to_owned();
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(load(&path, &LoadOptions::default())));
    result
        .recv_timeout(Duration::from_secs(5))
        .expect("the loader hung")
        .expect_err("loaded")
}

#[test]
fn only_regular_files_within_the_limit_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().join("fleet.yaml");
    std::fs::create_dir(&directory).unwrap();
    for (what, load) in loaders() {
        let err = without_hanging(load, &directory);
        assert!(
            matches!(
                err,
                Error::NotAFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{what}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "cannot load {}: it is a directory, not a regular file",
                directory.display()
            )
        );
    }

    let fifo = dir.path().join("fifo.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|status| status.success()) {
        for (what, load) in loaders() {
            let err = without_hanging(load, &fifo);
            assert!(
                err.to_string()
                    .ends_with("fifo.yaml: it is a FIFO (named pipe), not a regular file"),
                "{what}: {err}"
            );
        }
    } else {
        eprintln!("no mkfifo here: the FIFO case did not run");
    }

    // A file over the limit is refused by its size, before it is read: 9 MiB, sparse, against the default 8 MiB.
    let large = dir.path().join("large.json");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(9 * 1024 * 1024)
        .unwrap();
    for (what, load) in loaders() {
        let err = quickly(what, || load(&large, &LoadOptions::default())).unwrap_err();
        assert!(
            matches!(
                err,
                Error::FileTooLarge {
                    limit: 8_388_608,
                    size: Some(9_437_184),
                    ..
                }
            ),
            "{what}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("large.json"), "{message}");
        assert!(
            message.contains("its 9437184 bytes exceed the limit of 8388608 bytes"),
            "{message}"
        );
        assert!(message.contains("LoadOptions::with_max_bytes"), "{message}");
    }
    // And a small limit is obeyed the same way; within it, the file loads.
    let small = dir.path().join("fleet.json");
    std::fs::write(&small, "{\"fleet\": \"demo\", \"gateway\": {\"url\": \"http://gw:4444\"}, \"name\": \"io.github.u/s\"}").unwrap();
    let err =
        Manifest::from_path_with(&small, &LoadOptions::default().with_max_bytes(16)).unwrap_err();
    assert!(
        matches!(err, Error::FileTooLarge { limit: 16, .. }),
        "{err:?}"
    );
    let err = Manifest::from_path(&small).unwrap_err().to_string();
    assert!(
        err.contains("unknown field `name`"),
        "read within the limit: {err}"
    );

    if cfg!(target_os = "linux") {
        // A device is refused before it is opened; reading it would never end. Named by a link whose name says
        // YAML, as a hostile or careless path would be.
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for (what, load) in loaders() {
            let err = quickly(what, || without_hanging(load, &zero));
            assert!(
                matches!(
                    err,
                    Error::NotAFile {
                        kind: "a character device",
                        ..
                    }
                ),
                "{what}: {err:?}"
            );
        }
        // A regular file whose size says 0 but that has content: the read itself stops at the limit.
        let proc_file = Path::new("/proc/self/maps");
        let err = LoadOptions::default()
            .with_max_bytes(16)
            .read(proc_file)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::FileTooLarge {
                    limit: 16,
                    size: None,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("its content exceeds the limit of 16 bytes"),
            "{err}"
        );
    }
}

#[test]
fn a_problem_deep_in_a_large_manifest_is_located_quickly() {
    // 55 levels of smoke arguments (60 in all, within the 64 allowed) in each of 2,000 servers, and one misspelt
    // key at the end: the position index walks all of it once.
    let deep = |i: usize| format!("{}{i}{}", "{a: ".repeat(55), "}".repeat(55));
    let mut text = String::from("fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n");
    for i in 0..2_000 {
        text.push_str(&format!(
            "  - name: s{i}\n    url: http://s{i}:8000/mcp\n    transport: sse\n    smoke: [{{tool: t, arguments: {}}}]\n",
            deep(i)
        ));
    }
    text.push_str("  - name: last\n    url: http://last:8000/mcp\n    transprot: sse\n");
    let line = text.lines().count();
    let err = refused("deep and large", &text, Format::Yaml);
    assert!(
        err.contains(&format!(
            "fleet.test:{line}:5: servers[2000].transprot: unknown field `transprot`"
        )),
        "{err}"
    );
}
