//! Decoding a parsed manifest into the typed model, collecting every problem in one pass.
//!
//! Unknown keys are collected by `serde_ignored` (all of them, with the nearest known key as a suggestion);
//! type errors by `serde_path_to_error`, one per server or virtual server, because each list entry is decoded on
//! its own. The rules no type can express run afterwards over the typed manifest ([`super::validate`]).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::source::{self, Format, SpanIndex};
use super::validate::{self, Origin};
use super::{Manifest, schema};
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
    let mut value = match source::parse(text, format) {
        Ok(value) => value,
        Err(issue) => return Err(report(source_name, text, format, vec![issue])),
    };
    let mut issues = Vec::new();
    find_secrets(&value, &FieldPath::root(), &mut issues);
    interpolate_urls(&mut value, lookup, &mut issues);
    let (manifest, origin) = decode_manifest(value, &mut issues);
    // The rules run over whatever decoded, so one broken entry does not hide the others' problems.
    validate::check(&manifest, &origin, &mut issues);
    if issues.is_empty() {
        Ok(manifest)
    } else {
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
    for path in unknown {
        issues.push(unknown_key(base.join(&path)));
    }
    match result {
        Ok(decoded) => Some(decoded),
        Err(err) => {
            let path = base.join(&FieldPath::from_serde(err.path()));
            issues.push(type_issue(path, &err.into_inner().to_string()));
            None
        }
    }
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

/// Decodes what it can: the top-level fields, then each server and virtual server on its own. Entries that do
/// not decode are left out (their issues are recorded) and `origin` keeps the file index of those that did.
fn decode_manifest(value: Value, issues: &mut Vec<RawIssue>) -> (Manifest, Origin) {
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
    let Value::Object(mut map) = value else {
        issues.push(RawIssue::new(
            FieldPath::root(),
            format!(
                "a manifest is a mapping with `fleet`, `gateway` and `servers`; this file holds {}",
                describe(&value)
            ),
        ));
        return (placeholder(), origin);
    };
    let servers = map.remove("servers");
    let virtual_servers = map.remove("virtual_servers");
    // Each target on its own too: one bad target must not hide the fleet's other problems.
    let targets = map.remove("targets");
    let mut manifest = match decode_one::<Manifest>(Value::Object(map), &FieldPath::root(), issues)
    {
        Some(shell) => {
            origin.shell = true;
            shell
        }
        None => placeholder(),
    };
    (manifest.servers, origin.servers) = decode_list(servers, "servers", issues);
    (manifest.virtual_servers, origin.virtual_servers) =
        decode_list(virtual_servers, "virtual_servers", issues);
    (manifest.targets, origin.targets) = decode_list(targets, "targets", issues);
    (manifest, origin)
}

fn decode_list<T: DeserializeOwned>(
    value: Option<Value>,
    key: &str,
    issues: &mut Vec<RawIssue>,
) -> (Vec<T>, Vec<usize>) {
    let base = FieldPath::root().key(key);
    let items = match value {
        None | Some(Value::Null) => return (Vec::new(), Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            issues.push(RawIssue::new(
                base,
                format!("must be a list, found {}", describe(&other)),
            ));
            return (Vec::new(), Vec::new());
        }
    };
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            decode_one(item, &base.index(i), issues).map(|decoded| (decoded, i))
        })
        .unzip()
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

/// Expands `${NAME}` and `${NAME:-default}` in `gateway.url`, `targets[].url` and `servers[].url` (and nowhere else, so no secret
/// can reach a plan through a description): one manifest serves several environments.
fn interpolate_urls(value: &mut Value, lookup: Lookup<'_>, issues: &mut Vec<RawIssue>) {
    let root = FieldPath::root();
    if let Some(url) = value.pointer_mut("/gateway/url") {
        expand(url, &root.key("gateway").key("url"), lookup, issues);
    }
    if let Some(targets) = value.get_mut("targets").and_then(Value::as_array_mut) {
        for (i, target) in targets.iter_mut().enumerate() {
            if let Some(url) = target.get_mut("url") {
                expand(
                    url,
                    &root.key("targets").index(i).key("url"),
                    lookup,
                    issues,
                );
            }
        }
    }
    if let Some(servers) = value.get_mut("servers").and_then(Value::as_array_mut) {
        for (i, server) in servers.iter_mut().enumerate() {
            if let Some(url) = server.get_mut("url") {
                expand(
                    url,
                    &root.key("servers").index(i).key("url"),
                    lookup,
                    issues,
                );
            }
        }
    }
}

fn expand(value: &mut Value, path: &FieldPath, lookup: Lookup<'_>, issues: &mut Vec<RawIssue>) {
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
    *value = Value::String(out);
}

/// Flags values that look like bearer tokens (JWTs) anywhere in the document, without repeating them.
fn find_secrets(value: &Value, path: &FieldPath, issues: &mut Vec<RawIssue>) {
    match value {
        Value::String(text) if looks_like_jwt(text) => issues.push(RawIssue::new(
            path.clone(),
            "this value looks like a token (a JWT): a manifest names the environment variable that holds a \
             secret, never the secret itself; remove it from the file and rotate it if it was shared",
        )),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_secrets(item, &path.index(i), issues);
            }
        }
        Value::Object(map) => {
            // A secret under a secret-holding key is reported once, as that key.
            for (key, item) in map
                .iter()
                .filter(|(key, _)| !SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()))
            {
                find_secrets(item, &path.key(key), issues);
            }
        }
        _ => {}
    }
}

pub(crate) fn looks_like_jwt(text: &str) -> bool {
    let text = text.trim().trim_start_matches("Bearer ").trim();
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
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
    fn jwts_are_recognised_without_false_alarms() {
        assert!(looks_like_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"));
        assert!(looks_like_jwt(
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
        ));
        assert!(!looks_like_jwt("MCPGATEWAY_BEARER_TOKEN"));
        assert!(!looks_like_jwt("http://utils.example.com:8000/mcp"));
        assert!(!looks_like_jwt("v1.2.3"));
    }
}
