//! Decoding a parsed manifest into the typed model, collecting every problem in one pass.
//!
//! Unknown keys are collected by `serde_ignored` (all of them, with the nearest known key as a suggestion);
//! type errors by `serde_path_to_error`, one per server or virtual server, because each list entry is decoded on
//! its own. The rules no type can express run afterwards over the typed manifest ([`super::validate`]).

use std::collections::BTreeSet;

use mcpfleet_scope_audit::{CredentialShape, credential_shape};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::source::{self, Format, Node, SpanIndex};
use super::validate::{self, Origin};
use super::{HeaderFromEnv, Manifest, ServerDecl, UpstreamAuth, schema};
use crate::error::{Error, Issue, Location, ManifestErrors, Result};
use crate::path::FieldPath;

/// An issue before positions are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawIssue {
    pub(crate) path: FieldPath,
    pub(crate) location: Option<Location>,
    pub(crate) message: String,
    pub(crate) suggestion: Option<String>,
}

impl RawIssue {
    pub(crate) fn new(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            path,
            location: None,
            message: message.into(),
            suggestion: None,
        }
    }

    pub(crate) fn at(path: FieldPath, location: Location, message: impl Into<String>) -> Self {
        Self {
            location: Some(location),
            ..Self::new(path, message)
        }
    }

    pub(crate) fn suggest(mut self, suggestion: Option<String>) -> Self {
        self.suggestion = suggestion;
        self
    }
}

/// Reads an environment variable for `${NAME}` in URLs.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Parses, decodes and checks a manifest.
pub(crate) fn load(
    text: &str,
    format: Format,
    source_name: &str,
    lookup: Lookup<'_>,
) -> Result<Manifest> {
    let document = match source::parse(text, format) {
        Ok(document) => document,
        Err(issue) => return Err(source::refused(source_name, issue)),
    };
    let mut parts = Parts {
        credentials: credential_variables(&document),
        lookup,
        decisive: Vec::new(),
    };
    let mut issues = Vec::new();
    let (manifest, origin) = decode_manifest(document, &mut parts, &mut issues);
    // The rules run over whatever decoded, so one broken entry does not hide the others' problems.
    validate::check(&manifest, &origin, &mut issues);
    issues.retain(|issue| !parts.decisive.iter().any(|first| first.path == issue.path));
    issues.extend(parts.decisive);
    if issues.is_empty() {
        Ok(manifest)
    } else {
        // Freed before the position index is built: the two together would double what a failed load holds.
        drop(manifest);
        Err(report(source_name, text, format, issues))
    }
}

/// Decodes `value` (the content of a `server.json` import, say) as `T` at `base`, collecting issues.
pub(crate) fn decode_one<T: DeserializeOwned>(
    value: Value,
    base: &FieldPath,
    issues: &mut Vec<RawIssue>,
) -> Option<T> {
    let mut unknown = Vec::new();
    let result = {
        let mut note = |path: serde_ignored::Path<'_>| unknown.push(FieldPath::from_ignored(&path));
        let deserializer = serde_ignored::Deserializer::new(value, &mut note);
        serde_path_to_error::deserialize::<_, T>(deserializer)
    };
    let unknown: Vec<RawIssue> = unknown
        .into_iter()
        .map(|path| unknown_key(base.join(&path)))
        .collect();
    let decoded = match result {
        Ok(decoded) => Some(decoded),
        Err(err) => {
            let path = base.join(&FieldPath::from_serde(err.path()));
            let message = err.into_inner().to_string();
            // `valu_env` misspelt is also `value_env` missing: the misspelling, named, says it better.
            let misspelt = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .is_some_and(|missing| {
                    unknown.iter().any(|issue| {
                        issue.path.parent().as_ref() == Some(&path)
                            && issue.suggestion.as_deref() == Some(missing)
                    })
                });
            if !misspelt {
                issues.push(type_issue(path, &message));
            }
            None
        }
    };
    issues.extend(unknown);
    decoded
}

/// Turns raw issues into the error, with positions from the text.
pub(crate) fn report(source_name: &str, text: &str, format: Format, raw: Vec<RawIssue>) -> Error {
    let index = SpanIndex::build(text, format);
    let mut issues: Vec<(Option<Location>, Issue)> = raw
        .into_iter()
        .map(|raw| {
            let location = raw.location.or_else(|| index.locate(&raw.path));
            (
                location,
                Issue {
                    path: raw.path.to_string(),
                    location,
                    message: raw.message,
                    suggestion: raw.suggestion,
                },
            )
        })
        .collect();
    issues.sort_by_key(|issue| issue.0);
    issues.dedup_by(|a, b| a.1 == b.1);
    Error::Manifest(Box::new(ManifestErrors {
        source_name: source_name.to_owned(),
        issues: issues.into_iter().map(|(_, issue)| issue).collect(),
    }))
}

/// Turns the parts of a document into values the decoder reads, one at a time (the top-level fields, then each
/// list entry), so that only one part is ever held as a [`Value`]. On the way, a value shaped like a credential
/// is reported and redacted, and the part's URL is expanded.
struct Parts<'a> {
    /// The variables a URL may not read.
    credentials: BTreeSet<String>,
    lookup: Lookup<'a>,
    /// Issues that say all there is to say about their field: a secret (any other message could only be about
    /// the redaction) or a URL that could not be expanded (any other would be about the unexpanded text).
    decisive: Vec<RawIssue>,
}

impl Parts<'_> {
    /// The part at `path`; `url` is where its URL sits in it (a JSON pointer), if it has one to expand.
    fn value(&mut self, node: Node, path: &FieldPath, url: Option<(&str, FieldPath)>) -> Value {
        let mut value = node.into_value();
        redact_secrets(&mut value, path, &mut self.decisive);
        if let Some((pointer, url_path)) = url
            && let Some(url) = value.pointer_mut(pointer)
        {
            expand(
                url,
                &url_path,
                self.lookup,
                &self.credentials,
                &mut self.decisive,
            );
        }
        value
    }
}

/// Decodes what it can: the top-level fields, then each server and virtual server on its own. Entries that do
/// not decode are left out (their issues are recorded) and `origin` keeps the file index of those that did.
fn decode_manifest(
    mut document: Node,
    parts: &mut Parts<'_>,
    issues: &mut Vec<RawIssue>,
) -> (Manifest, Origin) {
    let mut origin = Origin::default();
    let placeholder = || Manifest {
        schema: None,
        fleet: String::new(),
        gateway: super::GatewayTarget {
            url: String::new(),
            token_env: super::DEFAULT_TOKEN_ENV.to_owned(),
            team: None,
        },
        servers: Vec::new(),
        virtual_servers: Vec::new(),
        targets: Vec::new(),
    };
    if !matches!(document, Node::Map(_)) {
        issues.push(RawIssue::new(
            FieldPath::root(),
            format!(
                "a manifest is a mapping with `fleet`, `gateway` and `servers`; this file holds {}",
                describe_node(&document)
            ),
        ));
        return (placeholder(), origin);
    }
    let servers = document.take("servers");
    let virtual_servers = document.take("virtual_servers");
    // Each target on its own too: one bad target must not hide the fleet's other problems.
    let targets = document.take("targets");
    let root = FieldPath::root();
    let gateway_url = Some(("/gateway/url", root.key("gateway").key("url")));
    let shell = parts.value(document, &root, gateway_url);
    let mut manifest = match decode_one::<Manifest>(shell, &root, issues) {
        Some(shell) => {
            origin.shell = true;
            shell
        }
        None => placeholder(),
    };
    (manifest.servers, origin.servers, origin.undecoded_servers) =
        decode_servers(servers, parts, issues);
    (manifest.virtual_servers, origin.virtual_servers) =
        decode_list(virtual_servers, "virtual_servers", parts, issues);
    (manifest.targets, origin.targets) = decode_list(targets, "targets", parts, issues);
    (manifest, origin)
}

fn decode_list<T: DeserializeOwned>(
    value: Option<Node>,
    key: &str,
    parts: &mut Parts<'_>,
    issues: &mut Vec<RawIssue>,
) -> (Vec<T>, Vec<usize>) {
    let base = FieldPath::root().key(key);
    let mut decoded = Vec::new();
    let mut decoded_at = Vec::new();
    for (i, item) in list_items(value, &base, issues).into_iter().enumerate() {
        let at = base.index(i);
        let url = Some(("/url", at.key("url")));
        let value = parts.value(item, &at, url);
        if let Some(entry) = decode_one(value, &at, issues) {
            decoded.push(entry);
            decoded_at.push(i);
        }
    }
    (decoded, decoded_at)
}

/// The entries of a list field (none when it is absent, or not a list, which is recorded).
fn list_items(value: Option<Node>, base: &FieldPath, issues: &mut Vec<RawIssue>) -> Vec<Node> {
    match value {
        None | Some(Node::Null) => Vec::new(),
        Some(Node::Seq(items)) => items,
        Some(other) => {
            issues.push(RawIssue::new(
                base.clone(),
                format!("must be a list, found {}", describe_node(&other)),
            ));
            Vec::new()
        }
    }
}

/// Servers, each on its own, with its `auth` block decoded apart from the rest: a broken `auth` is reported key
/// by key and the server's other fields are still checked. Also returns the names of servers that did not decode
/// at all, so that a reference to one is not reported as a reference to nothing.
fn decode_servers(
    value: Option<Node>,
    parts: &mut Parts<'_>,
    issues: &mut Vec<RawIssue>,
) -> (Vec<ServerDecl>, Vec<usize>, BTreeSet<String>) {
    let base = FieldPath::root().key("servers");
    let mut servers = Vec::new();
    let mut decoded_at = Vec::new();
    let mut undecoded = BTreeSet::new();
    for (i, item) in list_items(value, &base, issues).into_iter().enumerate() {
        let at = base.index(i);
        let mut item = parts.value(item, &at, Some(("/url", at.key("url"))));
        let auth = item
            .as_object_mut()
            .and_then(|fields| fields.remove("auth"));
        let name = item.get("name").and_then(Value::as_str).map(str::to_owned);
        let server = decode_one::<ServerDecl>(item, &at, issues);
        let auth = auth.and_then(|auth| decode_auth(auth, &at.key("auth"), issues));
        match server {
            Some(mut server) => {
                server.auth = auth;
                servers.push(server);
                decoded_at.push(i);
            }
            None => undecoded.extend(name),
        }
    }
    (servers, decoded_at, undecoded)
}

/// The fields of `auth` by its `type`; decoded without serde's tagged-enum machinery, which reports an unknown
/// key inside as a missing field and stops at the first problem.
fn decode_auth(value: Value, at: &FieldPath, issues: &mut Vec<RawIssue>) -> Option<UpstreamAuth> {
    #[derive(Deserialize)]
    struct Bearer {
        token_env: String,
    }
    #[derive(Deserialize)]
    struct Headers {
        headers: Vec<HeaderFromEnv>,
    }
    const TYPES: [&str; 2] = ["bearer", "headers"];
    let Value::Object(mut fields) = value else {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "must be a mapping with `type` (`bearer` or `headers`), found {}",
                describe(&value)
            ),
        ));
        return None;
    };
    let kind = fields.remove("type");
    let rest = Value::Object(fields);
    match kind.as_ref().map(|kind| (kind, kind.as_str())) {
        Some((_, Some("bearer"))) => {
            decode_one::<Bearer>(rest, at, issues).map(|bearer| UpstreamAuth::Bearer {
                token_env: bearer.token_env,
            })
        }
        Some((_, Some("headers"))) => {
            decode_one::<Headers>(rest, at, issues).map(|headers| UpstreamAuth::Headers {
                headers: headers.headers,
            })
        }
        other => {
            let message = match other {
                None => "missing `type`: `bearer` (a token_env) or `headers` (a list of headers)"
                    .to_owned(),
                Some((_, Some(kind))) => {
                    format!("unknown `type` `{kind}`: expected `bearer` or `headers`")
                }
                Some((value, None)) => format!(
                    "`type` must be `bearer` or `headers`, found {}",
                    describe(value)
                ),
            };
            let suggestion = other
                .and_then(|(_, kind)| kind)
                .and_then(|kind| nearest(kind, &TYPES.map(str::to_owned)));
            issues.push(RawIssue::new(at.key("type"), message).suggest(suggestion));
            // The other keys are still named if no kind of `auth` has them.
            if let Value::Object(fields) = rest {
                for key in fields
                    .keys()
                    .filter(|key| !["token_env", "headers"].contains(&key.as_str()))
                {
                    issues.push(unknown_key(at.key(key)));
                }
            }
            None
        }
    }
}

/// Keys that hold a secret in other tools' files; here they get an explanation instead of "unknown field".
const SECRET_KEYS: &[&str] = &[
    "token",
    "bearer_token",
    "api_token",
    "access_token",
    "api_key",
    "password",
    "secret",
    "value",
];

fn unknown_key(path: FieldPath) -> RawIssue {
    let key = path.last_key().unwrap_or_default().to_owned();
    if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
        return RawIssue::new(
            path,
            format!(
                "`{key}` would hold a secret in the file: a manifest only names environment variables (`token_env`, \
                 `value_env`), so neither it nor a plan or report ever contains a credential"
            ),
        );
    }
    let known = path
        .parent()
        .map(|parent| schema::known_keys(&parent))
        .unwrap_or_default();
    RawIssue::new(path, format!("unknown field `{key}`")).suggest(nearest(&key, &known))
}

fn type_issue(path: FieldPath, message: &str) -> RawIssue {
    // serde: "unknown field `x`, expected one of `a`, `b`" / "unknown variant `x`, expected `a` or `b`".
    let candidates: Vec<String> = message
        .split_once("expected")
        .map(|(_, expected)| {
            expected
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let offending = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
        .and_then(|rest| rest.split('`').next());
    let suggestion = offending.and_then(|bad| nearest(bad, &candidates));
    RawIssue::new(path, message).suggest(suggestion)
}

/// The candidate closest to `word`, if it is close enough to be a typo.
pub(crate) fn nearest(word: &str, candidates: &[String]) -> Option<String> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, candidate)| {
            *distance <= (candidate.len() / 3).max(1) || candidate.starts_with(&word)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.clone())
}

/// Expands `${NAME}` and `${NAME:-default}` in `gateway.url`, `targets[].url` and `servers[].url` (and nowhere
/// else, so no secret can reach a plan through a description): one manifest serves several environments. A variable that holds a credential is never read, and an expansion that looks like one is
/// refused without being repeated; the field then keeps its unexpanded text, which is all any later message shows.
fn expand(
    value: &mut Value,
    path: &FieldPath,
    lookup: Lookup<'_>,
    credentials: &BTreeSet<String>,
    issues: &mut Vec<RawIssue>,
) {
    let Some(text) = value.as_str() else { return };
    if !text.contains("${") {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            issues.push(RawIssue::new(path.clone(), "`${` without a closing `}`"));
            return;
        };
        let inner = &rest[start + 2..start + end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if credentials.contains(name) || names_a_credential(name) {
            issues.push(RawIssue::new(
                path.clone(),
                format!(
                    "`${{{name}}}` names a credential: a URL may only read plain settings from the environment, \
                     never a token or key (the URL is shown in plans and stored by the gateway); send credentials \
                     with `auth`"
                ),
            ));
            return;
        }
        match lookup(name)
            .filter(|v| !v.is_empty())
            .or(default.map(str::to_owned))
        {
            Some(found) => out.push_str(&found),
            None => {
                issues.push(RawIssue::new(
                    path.clone(),
                    format!("`${{{name}}}` is not set in the environment (write `${{{name}:-default}}` for a fallback)"),
                ));
                return;
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    if let Some(shape) = credential_shape(&out) {
        issues.push(RawIssue::new(
            path.clone(),
            format!(
                "expands to a URL holding {shape} (not shown): a URL may only read plain settings from the \
                 environment, never a credential; send credentials with `auth`"
            ),
        ));
        return;
    }
    *value = Value::String(out);
}

/// The environment variables this manifest names as holding a credential: every `*_env` value (`token_env`,
/// `value_env`), every name in a `secrets` list, every variable marked `secret: true`, and the default token
/// variable.
fn credential_variables(document: &Node) -> BTreeSet<String> {
    fn walk(node: &Node, found: &mut BTreeSet<String>) {
        match node {
            Node::Seq(items) => items.iter().for_each(|item| walk(item, found)),
            Node::Map(entries) => {
                for (key, field) in entries {
                    match field {
                        Node::String(name) if key.ends_with("_env") => {
                            found.insert(name.clone());
                        }
                        Node::Seq(names) if key == "secrets" => {
                            found.extend(names.iter().filter_map(|name| match name {
                                Node::String(name) => Some(name.clone()),
                                _ => None,
                            }));
                        }
                        _ => walk(field, found),
                    }
                }
                let field = |name: &str| {
                    entries
                        .iter()
                        .find(|(key, _)| key == name)
                        .map(|(_, node)| node)
                };
                if field("secret") == Some(&Node::Bool(true))
                    && let Some(Node::String(name)) = field("name")
                {
                    found.insert(name.clone());
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::from([super::DEFAULT_TOKEN_ENV.to_owned()]);
    walk(document, &mut found);
    found
}

/// Whether a variable's name says it holds a credential (`GITHUB_TOKEN`, `DB_PASSWORD`, `OPENAI_API_KEY`), for
/// the ones the manifest does not name itself.
fn names_a_credential(name: &str) -> bool {
    const WORDS: [&str; 9] = [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ];
    let name = name.to_ascii_uppercase();
    WORDS.iter().any(|word| name.contains(word))
}

/// What replaces a value found to be a secret, so that no later message about the manifest can repeat it.
const REDACTED: &str = "(redacted)";

/// Finds values shaped like a credential anywhere in the document (a JWT, a vendor's key, a private key, a URL
/// with a password), reports each by its path and shape only, and replaces it with [`REDACTED`]. A merely
/// random-looking string is not enough here (ids and hashes are); it is refused where a variable name or a URL's
/// expansion belongs.
fn redact_secrets(value: &mut Value, path: &FieldPath, found: &mut Vec<RawIssue>) {
    match value {
        Value::String(text) => {
            if let Some(shape) =
                credential_shape(text).filter(|shape| *shape != CredentialShape::HighEntropy)
            {
                found.push(RawIssue::new(
                    path.clone(),
                    format!(
                        "this value looks like {shape} (not shown): a manifest names the environment variable \
                         that holds a secret, never the secret itself; remove it from the file and rotate it if it \
                         was shared"
                    ),
                ));
                *text = REDACTED.to_owned();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                redact_secrets(item, &path.index(i), found);
            }
        }
        Value::Object(map) => {
            // A secret under a secret-holding key is reported once, as that key.
            for (key, item) in map
                .iter_mut()
                .filter(|(key, _)| !SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()))
            {
                redact_secrets(item, &path.key(key.clone()), found);
            }
        }
        _ => {}
    }
}

fn describe_node(node: &Node) -> &'static str {
    match node {
        Node::Null => "nothing (the file is empty?)",
        Node::Bool(_) => "a boolean",
        Node::Number(_) => "a number",
        Node::String(_) => "a string",
        Node::Seq(_) => "a list",
        Node::Map(_) => "a mapping",
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (the file is empty?)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        let known: Vec<String> = ["name", "url", "transport", "expected_tools"]
            .map(String::from)
            .to_vec();
        assert_eq!(nearest("naem", &known).as_deref(), Some("name"));
        assert_eq!(nearest("transprot", &known).as_deref(), Some("transport"));
        assert_eq!(
            nearest("expected", &known).as_deref(),
            Some("expected_tools")
        );
        assert_eq!(nearest("colour", &known), None);
    }

    #[test]
    fn credential_variables_are_named_by_the_manifest_or_by_their_names() {
        let manifest = serde_json::json!({
            "gateway": {"url": "http://gw", "token_env": "FLEET_ADMIN"},
            "servers": [{"auth": {"type": "headers", "headers": [{"name": "X-Key", "value_env": "WEATHER_KEY"}]},
                         "risk": {"secrets": ["DB_URL"]},
                         "container": {"env": [{"name": "SESSION", "secret": true}, {"name": "PORT"}]}}]
        });
        let found = credential_variables(&serde_json::from_value(manifest).unwrap());
        for name in [
            "FLEET_ADMIN",
            "WEATHER_KEY",
            "DB_URL",
            "SESSION",
            "MCPGATEWAY_BEARER_TOKEN",
        ] {
            assert!(found.contains(name), "{name}: {found:?}");
        }
        assert!(!found.contains("PORT"));
        assert!(names_a_credential("github_token"));
        assert!(names_a_credential("OPENAI_API_KEY"));
        assert!(!names_a_credential("FLEET_KEYCLOAK_URL"));
        assert!(!names_a_credential("UTILS_HOST"));
    }
}
