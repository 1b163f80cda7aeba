//! Loading manifests: three formats, every problem in one pass with `file:line:column` and a suggestion, no secret
//! in a file or an error, the committed JSON Schema kept fresh, the bundled manifests valid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mcpfleet_registry::{Error, Format, Manifest, UpstreamTransport};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(text: &str, format: Format) -> Result<Manifest, Error> {
    Manifest::from_str_with_env(text, format, "fleet.test", |_| None)
}

fn error_text(text: &str, format: Format) -> String {
    load(text, format).unwrap_err().to_string()
}

const YAML: &str = r#"
fleet: demo
gateway: {url: "http://gateway:4444", token_env: FLEET_TOKEN, team: t-1}
servers:
  - name: utils
    url: http://utils:8000/mcp
    transport: streamable-http
    tags: [stdio]
    expected_tools: [add]
    smoke: [{tool: add, arguments: {a: 1, b: 2}, expect: {equals: 3}}]
    risk: {filesystem: read, network: fleet, secrets: [API_KEY], compute: heavy}
  - name: textkit
    url: http://textkit:8000/sse
    transport: sse
    auth: {type: bearer, token_env: TEXTKIT_TOKEN}
virtual_servers:
  - name: all
    tools: [{server: utils, tools: [add]}, {server: textkit}]
"#;

const TOML: &str = r#"
fleet = "demo"

[gateway]
url = "http://gateway:4444"
token_env = "FLEET_TOKEN"
team = "t-1"

[[servers]]
name = "utils"
url = "http://utils:8000/mcp"
transport = "streamable-http"
tags = ["stdio"]
expected_tools = ["add"]
smoke = [{ tool = "add", arguments = { a = 1, b = 2 }, expect = { equals = 3 } }]
risk = { filesystem = "read", network = "fleet", secrets = ["API_KEY"], compute = "heavy" }

[[servers]]
name = "textkit"
url = "http://textkit:8000/sse"
transport = "sse"
auth = { type = "bearer", token_env = "TEXTKIT_TOKEN" }

[[virtual_servers]]
name = "all"
tools = [{ server = "utils", tools = ["add"] }, { server = "textkit" }]
"#;

#[test]
fn the_three_formats_read_the_same_manifest() {
    let yaml = load(YAML, Format::Yaml).unwrap();
    let toml = load(TOML, Format::Toml).unwrap();
    let json = load(&serde_json::to_string(&yaml).unwrap(), Format::Json).unwrap();
    assert_eq!(yaml, toml);
    assert_eq!(yaml, json);
    assert_eq!(yaml.servers[1].transport, Some(UpstreamTransport::Sse));
    // And each writes back to a file that reads the same.
    for format in [Format::Yaml, Format::Toml, Format::Json] {
        let written = yaml.to_string_as(format).unwrap();
        assert_eq!(
            load(&written, format).unwrap(),
            yaml,
            "{format:?}:\n{written}"
        );
    }
}

#[test]
fn every_problem_is_reported_in_one_pass_with_its_position() {
    let text = r#"fleet: demo
gateway:
  url: http://gateway:4444
  token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl
servers:
  - naem: utils
    url: http://utils:8000/mcp
    transport: streamable-http
  - name: My_Server
    url: http://a:8000/mcp
    transport: sse
  - name: my-server
    url: http://b:8000/mcp
    transport: sse
    expected_tools: [add]
    smoke: [{tool: ad}]
  - name: ws
    url: http://c:8000/ws
    transport: websocket
virtual_servers:
  - name: vs
    tools: [{server: my_server}]
"#;
    let err = load(text, Format::Yaml).unwrap_err();
    let shown = err.to_string();
    let issues = err.issues();
    let at = |path: &str| {
        issues
            .iter()
            .find(|i| i.path == path)
            .unwrap_or_else(|| panic!("no issue at {path}:\n{shown}"))
    };
    // The token key: explained, and the token itself never repeated.
    assert!(
        at("gateway.token").message.contains("environment variable"),
        "{shown}"
    );
    assert!(!shown.contains("eyJhbGciOiJIUzI1NiJ9"), "{shown}");
    let typo = at("servers[0].naem");
    assert_eq!(typo.suggestion.as_deref(), Some("name"));
    assert_eq!(typo.location.map(|l| (l.line, l.column)), Some((6, 5)));
    assert!(at("servers[3].transport").message.contains("deprecated"));
    assert_eq!(
        at("servers[3].transport").location.map(|l| l.line),
        Some(19)
    );
    assert!(
        at("servers[2].name")
            .message
            .contains("slug to `my-server`"),
        "{shown}"
    );
    assert_eq!(
        at("servers[2].smoke[0].tool").suggestion.as_deref(),
        Some("add")
    );
    assert_eq!(
        at("virtual_servers[0].tools[0].server")
            .suggestion
            .as_deref(),
        Some("My_Server")
    );
    assert!(shown.starts_with("fleet.test: "), "{shown}");
    assert!(
        shown.contains(
            "\n  fleet.test:6:5: servers[0].naem: unknown field `naem` (did you mean `name`?)"
        ),
        "{shown}"
    );
    // Sorted by position.
    let lines: Vec<usize> = issues
        .iter()
        .filter_map(|i| i.location.map(|l| l.line))
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn toml_and_json_errors_have_positions_too() {
    let shown = error_text(
        "fleet = \"demo\"\n[gateway]\nurl = \"http://gw:4444\"\ntoken_env = \"has space\"\n",
        Format::Toml,
    );
    assert!(
        shown.contains("fleet.test:4:1: gateway.token_env:"),
        "{shown}"
    );
    let shown = error_text(
        "{\n  \"fleet\": \"demo\",\n  \"gateway\": {\"url\": 4444}\n}\n",
        Format::Json,
    );
    assert!(shown.contains("fleet.test:3:"), "{shown}");
    assert!(shown.contains("gateway.url"), "{shown}");
    let shown = error_text("fleet: demo\ngateway: [unclosed\n", Format::Yaml);
    assert!(shown.contains("invalid YAML"), "{shown}");
}

#[test]
fn loopback_urls_are_refused_for_a_gateway_elsewhere() {
    let text = "fleet: demo\ngateway: {url: \"http://mcp-gateway:4444\"}\nservers:\n  - {name: utils, url: \"http://localhost:8101/sse\", transport: sse}\n";
    let shown = error_text(text, Format::Yaml);
    assert!(shown.contains("it would dial its own loopback"), "{shown}");
    // With the gateway on this machine too, loopback is fine.
    let local = text.replace("http://mcp-gateway:4444", "http://127.0.0.1:4444");
    load(&local, Format::Yaml).unwrap();
}

#[test]
fn urls_read_the_environment_only_where_allowed() {
    let text = "fleet: demo\ngateway: {url: \"${GW}\"}\nservers:\n  - {name: utils, description: \"${SECRET}\", url: \"${UTILS:-http://utils:8000/mcp}\", transport: streamable-http}\n";
    let manifest = Manifest::from_str_with_env(text, Format::Yaml, "f.yaml", |name| {
        (name == "GW").then(|| "http://gw:4444".to_owned())
    })
    .unwrap();
    assert_eq!(manifest.gateway.url, "http://gw:4444");
    assert_eq!(
        manifest.servers[0].url.as_deref(),
        Some("http://utils:8000/mcp")
    );
    assert_eq!(
        manifest.servers[0].description.as_deref(),
        Some("${SECRET}"),
        "descriptions are never expanded"
    );
    let err = load(text, Format::Yaml).unwrap_err();
    assert!(err.to_string().contains("`${GW}` is not set"), "{err}");
}

#[test]
fn tool_names_that_collide_after_slugging_are_refused() {
    let text = "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n  - {name: a, url: \"http://a:1/mcp\", transport: sse, expected_tools: [b_c]}\n  - {name: a.b, url: \"http://b:1/mcp\", transport: sse, expected_tools: [c]}\n";
    let shown = error_text(text, Format::Yaml);
    assert!(shown.contains("both become `a-b-c`"), "{shown}");
}

#[test]
fn unknown_extensions_are_refused() {
    let err = Manifest::from_path("fleet.ini").unwrap_err();
    assert!(err.to_string().contains("`.ini`"), "{err}");
    let err = Manifest::from_path("no-such-dir/fleet.yaml").unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err}");
}

#[test]
fn bundled_manifests_load() {
    let sanctuary =
        Manifest::from_path(crate_dir().join("../tests/fixtures/seed/manifest.yaml")).unwrap();
    assert_eq!(sanctuary.servers.len(), 12);
    let example = Manifest::from_path(crate_dir().join("../examples/fleet.yaml")).unwrap();
    assert_eq!(example.servers.len(), 3);
    for manifest in [&sanctuary, &example] {
        assert!(
            manifest
                .schema
                .as_deref()
                .is_some_and(|s| s.ends_with("schema/fleet.schema.json")),
            "bundled manifests point editors at the schema"
        );
    }
}

/// The committed schema is what the code generates (with every feature, so `container` specs are described).
/// Regenerate with `UPDATE_SCHEMA=1 cargo test -p mcpfleet-registry --all-features --test manifest`.
#[cfg(feature = "container")]
#[test]
fn the_committed_json_schema_is_fresh() {
    let path = crate_dir().join("schema/fleet.schema.json");
    let generated = serde_json::to_string_pretty(&Manifest::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_SCHEMA=1 cargo test -p mcpfleet-registry --all-features --test manifest`",
        path.display()
    );
}

#[cfg(feature = "container")]
#[test]
fn container_servers_get_their_url_from_the_spec_and_errors_point_into_it() {
    let text = r#"fleet: demo
gateway: {url: "http://gateway:4444"}
servers:
  - name: utils
    container:
      name: utils
      runtime: {language: python, version: "3.13"}
      entrypoint: {kind: script, path: utils_server.py}
      transport: {kind: stdio, bridge: {kind: fastmcp_launcher}}
      dependencies: {kind: requirements, path: requirements.txt}
"#;
    let manifest = load(text, Format::Yaml).unwrap();
    let plan = manifest.servers[0].container_plan().unwrap().unwrap();
    assert_eq!(plan.endpoint.url("utils"), "http://utils:8000/mcp");

    let bad = text.replace("path: utils_server.py", "path: ../escape.py");
    let err = load(&bad, Format::Yaml).unwrap_err();
    let issue = &err.issues()[0];
    assert!(
        issue.path.starts_with("servers[0].container.entrypoint"),
        "{err}"
    );
    assert_eq!(issue.location.map(|l| l.line), Some(8), "{err}");
}

#[cfg(not(feature = "container"))]
#[test]
fn container_servers_need_the_feature() {
    let text = "fleet: demo\ngateway: {url: \"http://gateway:4444\"}\nservers:\n  - {name: utils, container: {name: utils}}\n";
    let shown = error_text(text, Format::Yaml);
    assert!(shown.contains("`container` feature"), "{shown}");
}

#[test]
fn targets_split_one_fleet_across_gateways_and_bad_targets_are_named() {
    let text = format!(
        "{YAML}targets:\n  - {{name: staging, url: \"${{STAGING_URL:-http://staging:4444}}\"}}\n  \
         - {{name: production, url: \"https://gw.example.com\", token_env: PROD_TOKEN, servers: [textkit]}}\n"
    );
    let manifest = load(&text, Format::Yaml).unwrap();
    let targets = manifest.per_target();
    let names: Vec<&str> = targets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["staging", "production"]);
    let (_, staging) = &targets[0];
    assert_eq!(staging.gateway.url, "http://staging:4444");
    assert_eq!(
        staging.gateway.token_env, "FLEET_TOKEN",
        "inherited from gateway"
    );
    assert_eq!(staging.servers.len(), 2);
    let (_, production) = &targets[1];
    assert_eq!(production.gateway.token_env, "PROD_TOKEN");
    assert_eq!(production.gateway.team.as_deref(), Some("t-1"));
    let servers: Vec<&str> = production.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(servers, ["textkit"]);
    // The virtual server keeps only the tools of servers this gateway has.
    assert_eq!(production.virtual_servers[0].tools.len(), 1);
    assert_eq!(production.virtual_servers[0].tools[0].server, "textkit");
    assert!(production.targets.is_empty());
    // Without targets: the manifest itself, as `default`.
    let plain = load(YAML, Format::Yaml).unwrap();
    assert_eq!(plain.per_target()[0].0, "default");

    let bad = format!(
        "{YAML}targets:\n  - {{name: eu, url: \"not a url\", token_env: \"eyJhbGciOiJIUzI1NiJ9.e30.sig\"}}\n  \
         - {{name: eu, url: \"https://eu\", servers: [textkti]}}\n"
    );
    let err = error_text(&bad, Format::Yaml);
    assert!(err.contains("targets[0].url"), "{err}");
    assert!(err.contains("targets[0].token_env"), "{err}");
    assert!(
        !err.contains("eyJhbGci"),
        "a token in token_env must not be echoed: {err}"
    );
    assert!(err.contains("target `eu` is declared twice"), "{err}");
    assert!(err.contains("did you mean `textkit`"), "{err}");
    assert!(err.contains("fleet.test:"), "positions: {err}");

    let same_gateway = format!(
        "{YAML}targets:\n  - {{name: a, url: \"http://gw:4444\"}}\n  - {{name: b, url: \"http://gw:4444/\"}}\n"
    );
    let err = error_text(&same_gateway, Format::Yaml);
    assert!(
        err.contains("targets[0] already registers this fleet"),
        "{err}"
    );

    // A target of the wrong type does not hide the problems of the others, nor the fleet's.
    let mixed = format!(
        "{YAML}targets:\n  - 42\n  - {{name: b, url: \"https://b.example.com\", servers: [nope]}}\n"
    );
    let err = error_text(&mixed, Format::Yaml);
    assert!(err.contains("targets[0]"), "{err}");
    assert!(err.contains("targets[1].servers[0]"), "{err}");

    // Loopback servers on a gateway elsewhere, per target.
    let loopback = "fleet: demo\ngateway: {url: \"http://127.0.0.1:4444\"}\nservers:\n  - {name: local, url: \"http://127.0.0.1:9000/mcp\", transport: streamable-http}\ntargets:\n  - {name: here, url: \"http://127.0.0.1:4444\"}\n  - {name: there, url: \"https://gw.example.com\"}\n";
    let err = error_text(loopback, Format::Yaml);
    assert!(
        err.contains("targets[1].url") && err.contains("`local`"),
        "{err}"
    );
    assert!(
        !err.contains("targets[0].url"),
        "a loopback gateway reaches loopback servers: {err}"
    );
}

#[test]
fn the_loader_takes_the_schemas_transport_spellings_only() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/fleet.schema.json")).unwrap();
    let spellings = schema["$defs"]["UpstreamTransport"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(spellings.len(), 2);
    let with = |transport: &str| {
        format!(
            "fleet: demo\ngateway: {{url: \"http://gw:4444\"}}\nservers:\n  - {{name: a, url: \"http://a:1/mcp\", transport: {transport}}}\n"
        )
    };
    for spelling in spellings {
        load(&with(spelling.as_str().unwrap()), Format::Yaml).unwrap();
    }
    for other in ["streamable_http", "Streamable-HTTP", "SSE"] {
        let err = error_text(&with(other), Format::Yaml);
        assert!(err.contains(&format!("`{other}` is written `")), "{err}");
    }
}
