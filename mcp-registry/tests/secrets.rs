//! Secrets in a manifest: a URL cannot read a credential from the environment, a value shaped like one is
//! refused in any field and never repeated by any message, and a broken `auth` block is reported key by key
//! without hiding the rest of the server or inventing errors elsewhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_registry::{Format, Manifest, UpstreamAuth};

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNlY3JldA";
const STRIPE: &str = "sk_live_51HqLyjWDarjtT1zdp7dcX";
const RANDOM: &str = "Zx8kQ2mN7vB4cT1wR9yL6pH3jF5dG0sA";

/// Loads with an environment where every credential-named variable holds a JWT, `PLAIN` holds a host name and
/// `LEAKY` (a name that says nothing) holds the JWT too.
fn load(text: &str) -> Result<Manifest, String> {
    Manifest::from_str_with_env(text, Format::Yaml, "fleet.yaml", |name| {
        Some(match name {
            "PLAIN" => "utils.internal".to_owned(),
            "LEAKY" => JWT.to_owned(),
            "STRIPE" => STRIPE.to_owned(),
            "RANDOM" => RANDOM.to_owned(),
            _ => JWT.to_owned(),
        })
    })
    .map_err(|err| format!("{err}\n{err:?}"))
}

fn manifest(server: &str) -> String {
    format!(
        "fleet: demo\ngateway: {{url: \"http://gw:4444\", token_env: FLEET_ADMIN}}\nservers:\n  - name: weather\n    \
         transport: streamable-http\n{server}"
    )
}

/// The error, which must not carry any of the secrets in any form.
fn refused(text: &str) -> String {
    let err = load(text).expect_err(text);
    for secret in [
        JWT,
        STRIPE,
        RANDOM,
        "eyJzdWIiOiJhZG1pbiJ9",
        "51HqLyjWDarjtT1zdp7dc",
    ] {
        assert!(!err.contains(secret), "a secret is echoed:\n{err}");
    }
    err
}

#[test]
fn a_url_cannot_read_a_credential_variable() {
    let cases = [
        // The gateway's token (the default name and the manifest's own), into an upstream URL or the gateway's.
        (
            "    url: http://collector.example/${MCPGATEWAY_BEARER_TOKEN}/mcp\n",
            "MCPGATEWAY_BEARER_TOKEN",
        ),
        (
            "    url: http://collector.example/mcp?t=${FLEET_ADMIN}\n",
            "FLEET_ADMIN",
        ),
        // A variable this manifest names as an upstream's credential, or lists as a secret.
        (
            "    url: http://weather:8000/${WEATHER_KEY}\n    auth: {type: headers, headers: [{name: X-Key, value_env: WEATHER_KEY}]}\n",
            "WEATHER_KEY",
        ),
        (
            "    url: http://weather:8000/${DB_URL}\n    risk: {secrets: [DB_URL]}\n",
            "DB_URL",
        ),
        // One whose name says what it holds, with a default so that its absence would not save the day.
        (
            "    url: http://weather:8000/${GITHUB_TOKEN:-x}\n",
            "GITHUB_TOKEN",
        ),
        (
            "    url: http://${OPENAI_API_KEY}@weather:8000/mcp\n",
            "OPENAI_API_KEY",
        ),
    ];
    for (server, name) in cases {
        let err = refused(&manifest(server));
        assert!(
            err.contains(&format!("`${{{name}}}` names a credential")),
            "{name}: {err}"
        );
        assert!(err.contains("fleet.yaml:6:"), "{name}: no position: {err}");
    }
    // The gateway URL itself, which used to print the token in its error.
    let text = "fleet: demo\ngateway: {url: \"${MCPGATEWAY_BEARER_TOKEN}\"}\nservers: []\n";
    let err = refused(text);
    assert!(err.contains("gateway.url"), "{err}");
    assert!(err.contains("names a credential"), "{err}");
    // One problem each: no second message about the unexpanded URL.
    assert_eq!(err.matches("gateway.url:").count(), 1, "{err}");
}

#[test]
fn a_url_that_expands_to_a_credential_is_refused_without_repeating_it() {
    for (variable, shape) in [
        ("LEAKY", "a token (a JWT)"),
        ("STRIPE", "a Stripe key"),
        ("RANDOM", "a random-looking key"),
    ] {
        let err = refused(&manifest(&format!(
            "    url: http://weather:8000/mcp?session=${{{variable}}}\n"
        )));
        assert!(
            err.contains(&format!(
                "servers[0].url: expands to a URL holding {shape} (not shown)"
            )),
            "{variable}: {err}"
        );
    }
    // Plain settings still expand.
    let loaded = load(&manifest("    url: http://${PLAIN}:8000/mcp\n")).unwrap();
    assert_eq!(
        loaded.servers[0].url.as_deref(),
        Some("http://utils.internal:8000/mcp")
    );
}

#[test]
fn a_pasted_secret_is_reported_once_by_its_shape_and_never_echoed() {
    for (server, path, shape) in [
        // In the field that names the variable: it used to be reported, then echoed by the name check.
        (
            format!(
                "    url: http://weather:8000/mcp\n    auth: {{type: bearer, token_env: {JWT}}}\n"
            ),
            "servers[0].auth.token_env",
            "a token (a JWT)",
        ),
        (
            format!(
                "    url: http://weather:8000/mcp\n    auth: {{type: headers, headers: [{{name: X-Key, value_env: {STRIPE}}}]}}\n"
            ),
            "servers[0].auth.headers[0].value_env",
            "a Stripe key",
        ),
        // Anywhere else: a description, a tag, a smoke argument.
        (
            format!("    url: http://weather:8000/mcp\n    description: \"token {JWT}\"\n"),
            "servers[0].description",
            "a token (a JWT)",
        ),
        (
            format!(
                "    url: http://weather:8000/mcp\n    smoke: [{{tool: t, arguments: {{key: {STRIPE}}}}}]\n"
            ),
            "servers[0].smoke[0].arguments.key",
            "a Stripe key",
        ),
        // A URL with a password in it.
        (
            "    url: https://admin:hunter2-long@weather:8000/mcp\n".to_owned(),
            "servers[0].url",
            "a URL with a password",
        ),
    ] {
        let err = refused(&manifest(&server));
        assert!(
            err.contains(&format!(
                "{path}: this value looks like {shape} (not shown)"
            )),
            "{path}: {err}"
        );
        assert!(
            err.contains("fleet.yaml: 1 problem"),
            "{path}: one problem only: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
    // A random-looking variable name is refused where a name belongs, not echoed either.
    let err = refused(&manifest(&format!(
        "    url: http://weather:8000/mcp\n    auth: {{type: bearer, token_env: {RANDOM}}}\n"
    )));
    assert!(
        err.contains("servers[0].auth.token_env: holds a random-looking key (not shown), not the name of a variable"),
        "{err}"
    );
}

#[test]
fn a_secret_in_a_name_is_not_repeated_by_the_messages_about_that_name() {
    // A name is quoted by other checks (references, duplicates); none of them may quote the secret.
    let text = format!(
        "fleet: demo\ngateway: {{url: \"http://gw:4444\"}}\nservers:\n  - {{name: \"{JWT}\", url: \"http://a:1/mcp\", transport: sse}}\n  \
         - {{name: \"{JWT}\", url: \"http://b:1/mcp\", transport: sse, imports: [\"{JWT}x\"]}}\nvirtual_servers:\n  \
         - {{name: v, tools: [{{server: \"{JWT}\"}}]}}\n"
    );
    let err = refused(&text);
    assert!(
        err.contains("servers[0].name: this value looks like a token"),
        "{err}"
    );
    assert!(
        err.contains("servers[1].name: this value looks like a token"),
        "{err}"
    );
    assert!(
        err.contains("virtual_servers[0].tools[0].server: this value looks like a token"),
        "{err}"
    );
}

#[test]
fn a_broken_auth_block_is_reported_key_by_key_without_hiding_or_inventing_problems() {
    // Four typos: the kind, a key inside `auth`, a key inside the server, a key inside a header.
    let text = "fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n  - name: weather\n    url: http://weather:8000/mcp\n    \
                transport: streamable-http\n    auth: {type: header, hedaers: [{name: X-Key, value_env: WEATHER_KEY}]}\n    \
                expected_tool: [forecast]\n  - name: maps\n    url: http://maps:8000/mcp\n    transport: sse\n    \
                auth: {type: headers, headers: [{name: X-Key, valu_env: MAPS_KEY}]}\nvirtual_servers:\n  \
                - {name: v, tools: [{server: weather}, {server: maps}]}\n";
    let err = load(text).unwrap_err();
    let first = err.lines().next().unwrap();
    assert_eq!(first, "fleet.yaml: 4 problems", "{err}");
    for expected in [
        "fleet.yaml:7:12: servers[0].auth.type: unknown `type` `header`: expected `bearer` or `headers` (did you mean `headers`?)",
        "fleet.yaml:7:26: servers[0].auth.hedaers: unknown field `hedaers` (did you mean `headers`?)",
        "fleet.yaml:8:5: servers[0].expected_tool: unknown field `expected_tool` (did you mean `expected_tools`?)",
        "fleet.yaml:12:51: servers[1].auth.headers[0].valu_env: unknown field `valu_env` (did you mean `value_env`?)",
    ] {
        assert!(err.contains(expected), "expected {expected:?} in\n{err}");
    }
    assert!(!err.contains("no server called"), "{err}");
    assert!(!err.contains("missing field"), "{err}");

    // Fixed, the same file loads, with both kinds of auth.
    let fixed = text
        .replace("type: header,", "type: headers,")
        .replace("hedaers", "headers")
        .replace("expected_tool:", "expected_tools:")
        .replace("valu_env", "value_env");
    let manifest = load(&fixed).unwrap();
    assert!(matches!(
        manifest.servers[0].auth,
        Some(UpstreamAuth::Headers { .. })
    ));
    let bearer = load(&manifest_with_bearer()).unwrap();
    assert_eq!(
        bearer.servers[0].auth,
        Some(UpstreamAuth::Bearer {
            token_env: "WEATHER_TOKEN".to_owned()
        })
    );
}

fn manifest_with_bearer() -> String {
    manifest(
        "    url: http://weather:8000/mcp\n    auth: {type: bearer, token_env: WEATHER_TOKEN}\n",
    )
}
