//! The rules a manifest must follow that no type expresses: names the gateway accepts and that stay distinct
//! after slugging, tool names that will not collide, URLs the gateway can reach, references that resolve,
//! variable names (never values) for secrets.

use std::collections::HashMap;

use super::decode::{RawIssue, nearest};
use super::{Manifest, ServerDecl, UpstreamAuth};
use crate::desired::OWNER_TAG_PREFIX;
use crate::path::FieldPath;
use crate::slug::{slug, tool_name};

/// Where the decoded parts of a partly broken manifest came from, so that every issue keeps the path of the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    /// Whether `fleet` and `gateway` decoded (else they are placeholders and not checked).
    pub(crate) shell: bool,
    /// The index in the file of each decoded server.
    pub(crate) servers: Vec<usize>,
    /// The index in the file of each decoded virtual server.
    pub(crate) virtual_servers: Vec<usize>,
    /// The index in the file of each decoded target.
    pub(crate) targets: Vec<usize>,
    /// The names of servers that did not decode: a reference to one is not a reference to nothing.
    pub(crate) undecoded_servers: std::collections::BTreeSet<String>,
}

pub(crate) fn check(manifest: &Manifest, origin: &Origin, issues: &mut Vec<RawIssue>) {
    let root = FieldPath::root();
    let gateway = root.key("gateway");
    let mut gateway_url = None;
    if origin.shell {
        fleet_name(&root.key("fleet"), &manifest.fleet, issues);
        gateway_url = http_url(&gateway.key("url"), &manifest.gateway.url, issues);
        env_name(
            &gateway.key("token_env"),
            &manifest.gateway.token_env,
            issues,
        );
        if let Some(team) = &manifest.gateway.team {
            non_empty(&gateway.key("team"), team, issues);
        }
    }

    targets(manifest, origin, &root, issues);

    let mut slugs: HashMap<String, (usize, &str)> = HashMap::new();
    let mut urls: HashMap<String, usize> = HashMap::new();
    let mut tools: HashMap<String, (usize, String)> = HashMap::new();
    for (i, server) in manifest.servers.iter().enumerate() {
        let at = root.key("servers").index(origin.servers[i]);
        registration_name(&at.key("name"), &server.name, issues);
        let server_slug = slug(&server.name);
        if let Some((first, first_name)) = slugs.insert(server_slug.clone(), (i, &server.name)) {
            issues.push(RawIssue::new(
                at.key("name"),
                format!(
                    "`{}` and `{first_name}` (servers[{}]) are one name to the gateway (both slug to `{server_slug}`)",
                    server.name, origin.servers[first]
                ),
            ));
        }
        server_fields(manifest, origin, &at, server, gateway_url.as_ref(), issues);
        if let Some(url) = &server.url
            && let Some(first) = urls.insert(crate::plan::normalize_url(url), i)
        {
            issues.push(RawIssue::new(
                at.key("url"),
                format!(
                    "`{}` uses the URL of `{}` (servers[{}]): the gateway registers a URL once",
                    server.name, manifest.servers[first].name, origin.servers[first]
                ),
            ));
        }
        for (t, tool) in server.expected_tools.iter().enumerate() {
            let name = tool_name(&server.name, tool);
            if let Some((other, other_tool)) = tools.get(&name).filter(|(other, _)| *other != i) {
                issues.push(RawIssue::new(
                    at.key("expected_tools").index(t),
                    format!(
                        "tool `{tool}` of `{}` and tool `{other_tool}` of `{}` both become `{name}` through the \
                         gateway, which refuses the second registration (409): rename one server",
                        server.name, manifest.servers[*other].name
                    ),
                ));
            } else {
                tools.insert(name, (i, tool.clone()));
            }
        }
    }

    let server_names: Vec<String> = manifest.servers.iter().map(|s| s.name.clone()).collect();
    let mut virtual_names: HashMap<&str, usize> = HashMap::new();
    for (i, virtual_server) in manifest.virtual_servers.iter().enumerate() {
        let at = root.key("virtual_servers").index(origin.virtual_servers[i]);
        registration_name(&at.key("name"), &virtual_server.name, issues);
        if let Some(first) = virtual_names.insert(&virtual_server.name, i) {
            issues.push(RawIssue::new(
                at.key("name"),
                format!(
                    "virtual server `{}` is declared twice (first at virtual_servers[{}])",
                    virtual_server.name, origin.virtual_servers[first]
                ),
            ));
        }
        tags(&at.key("tags"), &virtual_server.tags, issues);
        if virtual_server.tools.is_empty() {
            issues.push(RawIssue::new(
                at.key("tools"),
                "must select at least one server's tools",
            ));
        }
        for (s, selection) in virtual_server.tools.iter().enumerate() {
            let at = at.key("tools").index(s);
            let Some(server) = manifest.server(&selection.server) else {
                if origin.undecoded_servers.contains(&selection.server) {
                    continue; // its own problems are reported
                }
                issues.push(
                    RawIssue::new(
                        at.key("server"),
                        format!("no server called `{}` in this manifest", selection.server),
                    )
                    .suggest(nearest(&selection.server, &server_names)),
                );
                continue;
            };
            for (t, tool) in selection.tools.iter().flatten().enumerate() {
                if !server.expected_tools.is_empty() && !server.expected_tools.contains(tool) {
                    issues.push(
                        RawIssue::new(
                            at.key("tools").index(t),
                            format!(
                                "`{}` does not list `{tool}` in its expected_tools",
                                server.name
                            ),
                        )
                        .suggest(nearest(tool, &server.expected_tools)),
                    );
                }
            }
        }
    }
}

fn server_fields(
    manifest: &Manifest,
    origin: &Origin,
    at: &FieldPath,
    server: &ServerDecl,
    gateway_url: Option<&url::Url>,
    issues: &mut Vec<RawIssue>,
) {
    if let Some(description) = &server.description {
        no_control(&at.key("description"), description, issues);
    }
    tags(&at.key("tags"), &server.tags, issues);
    if let Some(team) = &server.team {
        non_empty(&at.key("team"), team, issues);
    }
    match (&server.url, &server.container) {
        (Some(_), Some(_)) => issues.push(RawIssue::new(
            at.key("container"),
            "give a `url` (the server runs already) or a `container` (build and run it), not both",
        )),
        (None, None) => issues.push(RawIssue::new(
            at.clone(),
            "needs a `url` where the gateway reaches it, or a `container` spec",
        )),
        (Some(url), None) => {
            if server.transport.is_none() {
                issues.push(RawIssue::new(
                    at.key("transport"),
                    "missing field `transport`: `streamable-http` or `sse`",
                ));
            }
            if let Some(url) = http_url(&at.key("url"), url, issues) {
                reachable_from_gateway(&at.key("url"), &url, gateway_url, issues);
            }
        }
        (None, Some(container)) => crate::container::check(at, server, container, issues),
    }
    if let Some(auth) = &server.auth {
        match auth {
            UpstreamAuth::Bearer { token_env } => {
                env_name(&at.key("auth").key("token_env"), token_env, issues);
            }
            UpstreamAuth::Headers { headers } => {
                if headers.is_empty() {
                    issues.push(RawIssue::new(
                        at.key("auth").key("headers"),
                        "must list at least one header",
                    ));
                }
                for (h, header) in headers.iter().enumerate() {
                    let at = at.key("auth").key("headers").index(h);
                    header_name(&at.key("name"), &header.name, issues);
                    env_name(&at.key("value_env"), &header.value_env, issues);
                }
            }
        }
    }
    let mut seen = HashMap::new();
    for (t, tool) in server.expected_tools.iter().enumerate() {
        let at = at.key("expected_tools").index(t);
        if slug(tool).is_empty() {
            issues.push(RawIssue::new(
                at.clone(),
                "a tool name needs a letter or digit",
            ));
        }
        if let Some(first) = seen.insert(tool, t) {
            issues.push(RawIssue::new(
                at,
                format!("`{tool}` is listed twice (first at expected_tools[{first}])"),
            ));
        }
    }
    for (c, call) in server.smoke.iter().enumerate() {
        let at = at.key("smoke").index(c).key("tool");
        if !server.expected_tools.is_empty() && !server.expected_tools.contains(&call.tool) {
            issues.push(
                RawIssue::new(
                    at,
                    format!(
                        "smoke call to `{}`, which expected_tools does not list",
                        call.tool
                    ),
                )
                .suggest(nearest(&call.tool, &server.expected_tools)),
            );
        }
    }
    for (s, secret) in server.risk.secrets.iter().enumerate() {
        env_name(&at.key("risk").key("secrets").index(s), secret, issues);
    }
    // Only on a miss: one list per server would make checking quadratic in the fleet's size.
    let names = || -> Vec<String> { manifest.servers.iter().map(|s| s.name.clone()).collect() };
    for (m, import) in server.imports.iter().enumerate() {
        let at = at.key("imports").index(m);
        if import == &server.name {
            issues.push(RawIssue::new(at, "a server cannot import itself"));
        } else if manifest.server(import).is_none() && !origin.undecoded_servers.contains(import) {
            issues.push(
                RawIssue::new(at, format!("no server called `{import}` in this manifest"))
                    .suggest(nearest(import, &names())),
            );
        }
    }
}

fn fleet_name(at: &FieldPath, name: &str, issues: &mut Vec<RawIssue>) {
    let valid = !name.is_empty()
        && name.len() <= 60
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !valid {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "`{name}`: a fleet name is 1-60 lowercase letters, digits and inner `-` (it becomes the ownership \
                 tag `{OWNER_TAG_PREFIX}<fleet>`)"
            ),
        ));
    }
}

/// ContextForge's rule for gateway and server names: `^[a-zA-Z0-9_.\- ]+$`, at most 255 characters.
fn registration_name(at: &FieldPath, name: &str, issues: &mut Vec<RawIssue>) {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ' ');
    if name.is_empty() || name.len() > 255 || !name.chars().all(allowed) {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "`{}`: the gateway accepts 1-255 letters, digits, `_`, `.`, `-` and spaces",
                name.escape_debug()
            ),
        ));
    } else if slug(name).is_empty() {
        issues.push(RawIssue::new(at.clone(), "a name needs a letter or digit"));
    }
}

/// Tags as ContextForge stores them: it silently drops invalid ones and rewrites others, which would make every
/// plan show a change, so the manifest must hold the stored form.
fn tags(at: &FieldPath, tags: &[String], issues: &mut Vec<RawIssue>) {
    for (i, tag) in tags.iter().enumerate() {
        let at = at.index(i);
        let normalized = tag
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .replace('_', "-");
        let valid = |t: &str| {
            !t.is_empty()
                && t.len() <= 100
                && t.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b':' | b'.')
                })
                && t.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && t.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        if tag.starts_with(OWNER_TAG_PREFIX) {
            issues.push(RawIssue::new(
                at,
                format!(
                    "tags starting with `{OWNER_TAG_PREFIX}` are the registry's ownership marks"
                ),
            ));
        } else if &normalized != tag && valid(&normalized) {
            issues.push(
                RawIssue::new(
                    at,
                    format!("the gateway stores `{tag}` as `{normalized}`: write it that way"),
                )
                .suggest(Some(normalized)),
            );
        } else if !valid(tag) {
            issues.push(RawIssue::new(
                at,
                format!(
                    "`{}`: the gateway silently drops tags that are not lowercase letters, digits, `-`, `:` and `.` \
                     (starting and ending with a letter or digit, at most 100)",
                    tag.escape_debug()
                ),
            ));
        }
    }
}

fn http_url(at: &FieldPath, value: &str, issues: &mut Vec<RawIssue>) -> Option<url::Url> {
    let url = match url::Url::parse(value) {
        Ok(url) => url,
        Err(err) => {
            issues.push(RawIssue::new(
                at.clone(),
                format!("`{}` is not a URL: {err}", value.escape_debug()),
            ));
            return None;
        }
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        issues.push(RawIssue::new(
            at.clone(),
            format!("`{value}`: expected an http:// or https:// URL with a host"),
        ));
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Do not repeat the URL: it holds a credential.
        issues.push(RawIssue::new(
            at.clone(),
            "the URL carries credentials, which the gateway would store and show: use `auth` with a variable",
        ));
        return None;
    }
    Some(url)
}

/// The seed registered `http://localhost:810x/sse` with a gateway in a container, which reaches its own
/// loopback, not the host's.
fn reachable_from_gateway(
    at: &FieldPath,
    server: &url::Url,
    gateway: Option<&url::Url>,
    issues: &mut Vec<RawIssue>,
) {
    let Some(gateway) = gateway else { return };
    if is_loopback(server) && !is_loopback(gateway) {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "`{server}` is a loopback address, but the gateway runs elsewhere ({}): it would dial its own \
                 loopback. Use an address the gateway can reach (a service name on its network)",
                gateway.host_str().unwrap_or_default()
            ),
        ));
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(crate) fn env_name(at: &FieldPath, name: &str, issues: &mut Vec<RawIssue>) {
    if let Some(shape) = mcpfleet_scope_audit::credential_shape(name) {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "holds {shape} (not shown), not the name of a variable: put the secret in an environment variable \
                 and write its name here"
            ),
        ));
        return;
    }
    let valid = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        issues.push(RawIssue::new(
            at.clone(),
            format!(
                "`{}` is not an environment variable name (letters, digits and `_`, not starting with a digit)",
                name.escape_debug()
            ),
        ));
    }
}

fn header_name(at: &FieldPath, name: &str, issues: &mut Vec<RawIssue>) {
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token_char) {
        issues.push(RawIssue::new(
            at.clone(),
            format!("`{}` is not an HTTP header name", name.escape_debug()),
        ));
    }
}

fn non_empty(at: &FieldPath, value: &str, issues: &mut Vec<RawIssue>) {
    if value.trim().is_empty() {
        issues.push(RawIssue::new(at.clone(), "must not be empty"));
    }
}

fn no_control(at: &FieldPath, value: &str, issues: &mut Vec<RawIssue>) {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        issues.push(RawIssue::new(at.clone(), "contains control characters"));
    }
}

/// `targets`: unique names, reachable URLs, variable names, servers that exist, and no loopback server URL
/// for a gateway that runs elsewhere.
fn targets(manifest: &Manifest, origin: &Origin, root: &FieldPath, issues: &mut Vec<RawIssue>) {
    let names: Vec<String> = manifest.servers.iter().map(|s| s.name.clone()).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut gateways: HashMap<String, usize> = HashMap::new();
    for (i, target) in manifest.targets.iter().enumerate() {
        let at = root.key("targets").index(origin.targets[i]);
        non_empty(&at.key("name"), &target.name, issues);
        if let Some(first) = seen.insert(&target.name, i) {
            issues.push(RawIssue::new(
                at.key("name"),
                format!(
                    "target `{}` is declared twice (first at targets[{first}])",
                    target.name
                ),
            ));
        }
        let target_url = http_url(&at.key("url"), &target.url, issues);
        // Two targets on one gateway would share the owner tag and the lock, and each sync would delete the
        // other's registrations.
        if let Some(first) = gateways.insert(crate::plan::normalize_url(&target.url), i) {
            issues.push(RawIssue::new(
                at.key("url"),
                format!(
                    "targets[{first}] already registers this fleet on `{}`",
                    target.url
                ),
            ));
        }
        if let Some(token_env) = &target.token_env {
            env_name(&at.key("token_env"), token_env, issues);
        }
        if let Some(team) = &target.team {
            non_empty(&at.key("team"), team, issues);
        }
        if let Some(gateway) = &target_url
            && !is_loopback(gateway)
        {
            let kept = manifest.servers.iter().enumerate().filter(|(_, s)| {
                target
                    .servers
                    .as_ref()
                    .is_none_or(|names| names.contains(&s.name))
            });
            for (k, server) in kept {
                if let Some(url) = server.url.as_deref().and_then(|u| url::Url::parse(u).ok())
                    && is_loopback(&url)
                {
                    issues.push(RawIssue::new(
                        at.key("url"),
                        format!(
                            "servers[{}] (`{}`) has the loopback URL `{url}`, which this gateway ({}) would dial \
                             on its own loopback: leave it out of this target's `servers` or use an address the \
                             gateway can reach",
                            origin.servers[k],
                            server.name,
                            gateway.host_str().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        for (j, server) in target.servers.iter().flatten().enumerate() {
            if !names.contains(server) {
                issues.push(
                    RawIssue::new(
                        at.key("servers").index(j),
                        format!("no server is called `{server}`"),
                    )
                    .suggest(nearest(server, &names)),
                );
            }
        }
    }
}
