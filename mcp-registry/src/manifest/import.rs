//! Import from the MCP registry's `server.json` (schema 2025-12-11, camelCase).
//!
//! `remotes[]` become URL servers; `packages[]` published on PyPI or npm become `container` servers (an
//! `mcpfleet-dockerfile-gen` spec that installs the pinned package and bridges stdio to streamable HTTP), with
//! the dependency file each needs. The import is lenient where the format is still moving: unknown and draft
//! fields (`postInstallInstructions`, …) are ignored, URLs may start with a `{variable}`, and an entry it cannot
//! use (an OCI image, an MCPB bundle, a variable without a default) is reported and skipped, never fatal for
//! the other entries.

use serde::Serialize;
use serde_json::{Value, json};

use super::decode::{self, RawIssue};
use super::source::{Format, LoadOptions};
use super::{HeaderFromEnv, ServerDecl, UpstreamAuth, UpstreamTransport};
use crate::error::Result;
use crate::path::FieldPath;

/// What an import produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// The `server.json` name (`io.github.user/weather`).
    pub source: String,
    /// Servers ready to add to a manifest.
    pub servers: Vec<ServerDecl>,
    /// Files the container servers need next to their spec (`<server>/requirements.txt`), path → content.
    pub files: Vec<(String, String)>,
    /// Entries that were not imported, and why.
    pub skipped: Vec<ImportSkipped>,
    /// Things to do by hand before the servers run (set a variable, create a lockfile).
    pub notes: Vec<String>,
}

/// One `server.json` entry that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ImportSkipped {
    /// Where it is (`packages[1]`).
    pub entry: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Reads a `server.json` document. Errors (not JSON, no `name`) name `file:line:column`; an entry that cannot be
/// imported lands in [`ImportReport::skipped`].
///
/// ```
/// use mcpfleet_registry::import_server_json;
/// let report = import_server_json(r#"{
///   "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
///   "name": "io.github.user/remote-weather", "version": "2.1.0",
///   "remotes": [{"type": "streamable-http", "url": "https://{host}/mcp",
///                "variables": {"host": {"default": "api.example.com"}},
///                "headers": [{"name": "Authorization", "isSecret": true}]}],
///   "packages": [{"registryType": "oci", "identifier": "ghcr.io/user/weather:2.1.0", "transport": {"type": "stdio"}}]
/// }"#, "server.json")?;
/// assert_eq!(report.servers[0].url.as_deref(), Some("https://api.example.com/mcp"));
/// assert_eq!(report.skipped[0].entry, "packages[0]");
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn import_server_json(text: &str, source_name: &str) -> Result<ImportReport> {
    let value: Value = super::source::parse(text, Format::Json)
        .map_err(|issue| super::source::refused(source_name, issue))?
        .into_value();
    let root = FieldPath::root();
    let name = value.get("name").and_then(Value::as_str);
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return Err(decode::report(
            source_name,
            text,
            Format::Json,
            vec![RawIssue::new(
                root.key("name"),
                "a server.json needs a `name` (`io.github.owner/server`)",
            )],
        ));
    };
    let base = registration_base(name);
    let description = value
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let version = value.get("version").and_then(Value::as_str);
    let mut report = ImportReport {
        source: name.to_owned(),
        servers: Vec::new(),
        files: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
    };
    let remotes = entries(&value, "remotes");
    let packages = entries(&value, "packages");
    let several = remotes.len() + packages.len() > 1;
    for (i, remote) in remotes.iter().enumerate() {
        let entry = format!("remotes[{i}]");
        let server_name = if several {
            format!("{base}-remote-{}", i + 1)
        } else {
            base.clone()
        };
        match remote_server(&server_name, remote, &mut report.notes) {
            Ok(mut server) => {
                server.description = description.clone();
                report.servers.push(server);
            }
            Err(reason) => report.skipped.push(ImportSkipped { entry, reason }),
        }
    }
    for (i, package) in packages.iter().enumerate() {
        let entry = format!("packages[{i}]");
        let server_name = if several {
            format!("{base}-package-{}", i + 1)
        } else {
            base.clone()
        };
        match package_server(&server_name, package, version, &mut report) {
            Ok(mut server) => {
                server.description = description.clone();
                report.servers.push(server);
            }
            Err(reason) => report.skipped.push(ImportSkipped { entry, reason }),
        }
    }
    Ok(report)
}

/// Reads a `server.json` file (a regular file of at most [`LoadOptions::max_bytes`]) and imports it like
/// [`import_server_json`], naming the file in every error.
///
/// ```no_run
/// use mcpfleet_registry::{LoadOptions, import_server_json_file};
/// let report = import_server_json_file("server.json", &LoadOptions::default())?;
/// println!("{} server(s) from {}", report.servers.len(), report.source);
/// # Ok::<(), mcpfleet_registry::Error>(())
/// ```
pub fn import_server_json_file(
    path: impl AsRef<std::path::Path>,
    options: &LoadOptions,
) -> Result<ImportReport> {
    let path = path.as_ref();
    let text = options.read(path)?;
    import_server_json(&text, &path.display().to_string())
}

fn entries<'a>(value: &'a Value, key: &str) -> Vec<&'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

/// `io.github.user/remote-weather` → `remote-weather` (a name ContextForge and DNS accept).
fn registration_base(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "server".to_owned()
    } else {
        trimmed.chars().take(50).collect()
    }
}

/// `AUTHORIZATION` from `Authorization`, prefixed by the server: `REMOTE_WEATHER_AUTHORIZATION`.
fn env_for(server: &str, what: &str) -> String {
    format!("{server}_{what}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn transport_of(kind: Option<&str>) -> std::result::Result<UpstreamTransport, String> {
    match kind {
        Some(kind) => UpstreamTransport::parse(kind),
        None => Err("no transport `type`".to_owned()),
    }
}

fn remote_server(
    name: &str,
    remote: &Value,
    notes: &mut Vec<String>,
) -> std::result::Result<ServerDecl, String> {
    let transport = transport_of(remote.get("type").and_then(Value::as_str))?;
    let template = remote
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no `url`")?;
    let url = expand_variables(template, remote.get("variables"))?;
    url::Url::parse(&url).map_err(|err| format!("`{url}` is not a URL: {err}"))?;
    let mut server = ServerDecl::at_url(name, url, transport);
    let headers: Vec<HeaderFromEnv> = entries(remote, "headers")
        .into_iter()
        .filter_map(|header| header.get("name").and_then(Value::as_str))
        .map(|header| {
            let value_env = env_for(name, header);
            notes.push(format!(
                "server `{name}`: set `{value_env}` to the value of the `{header}` header"
            ));
            HeaderFromEnv {
                name: header.to_owned(),
                value_env,
            }
        })
        .collect();
    if !headers.is_empty() {
        server.auth = Some(UpstreamAuth::Headers { headers });
    }
    Ok(server)
}

/// Replaces `{name}` with the variable's `default` (or `value`); a variable without one cannot be imported.
fn expand_variables(
    template: &str,
    variables: Option<&Value>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{template}`"))?;
        let variable = &after[..close];
        let value = variables
            .and_then(|v| v.get(variable))
            .and_then(|v| v.get("default").or_else(|| v.get("value")))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("the URL needs a value for `{{{variable}}}`, which has no default: add the server by hand")
            })?;
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn package_server(
    name: &str,
    package: &Value,
    server_version: Option<&str>,
    report: &mut ImportReport,
) -> std::result::Result<ServerDecl, String> {
    let registry = package
        .get("registryType")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    let identifier = package
        .get("identifier")
        .and_then(Value::as_str)
        .ok_or("no `identifier`")?;
    let version = package
        .get("version")
        .and_then(Value::as_str)
        .or(server_version)
        .ok_or("no `version` to pin the package to")?;
    let transport_kind = package
        .get("transport")
        .and_then(|t| t.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("stdio");
    let env: Vec<Value> = entries(package, "environmentVariables")
        .into_iter()
        .filter_map(|var| {
            let var_name = var.get("name").and_then(Value::as_str)?;
            let secret = var
                .get("isSecret")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some(match var.get("default").and_then(Value::as_str) {
                Some(default) if !secret => json!({"name": var_name, "default": default}),
                _ => json!({"name": var_name, "secret": secret}),
            })
        })
        .collect();
    let arguments: Vec<String> = entries(package, "packageArguments")
        .into_iter()
        .filter_map(|arg| {
            let value = arg.get("value").or_else(|| arg.get("default"))?.as_str()?;
            Some(match arg.get("name").and_then(Value::as_str) {
                Some(flag) => vec![flag.to_owned(), value.to_owned()],
                None => vec![value.to_owned()],
            })
        })
        .flatten()
        .collect();
    // Every stdio package is bridged by mcp-proxy, which keeps concurrent calls apart.
    let bridge = json!({"kind": "mcp_proxy"});
    let mut extra = serde_json::Map::new();
    let (runtime, dependencies, program, file) = match registry {
        "pypi" => (
            json!({"language": "python", "version": "3.13"}),
            json!({"kind": "requirements", "path": "requirements.txt"}),
            // PyPI servers install a console script named like the package (`mcp-server-fetch`).
            identifier.to_owned(),
            (
                format!("{name}/requirements.txt"),
                format!("{identifier}=={version}\n"),
            ),
        ),
        "npm" => {
            report.notes.push(format!(
                "server `{name}`: run `npm install --package-lock-only` in `{name}/` to create the lockfile the \
                 image installs from"
            ));
            let bin = identifier
                .rsplit('/')
                .next()
                .unwrap_or(identifier)
                .to_owned();
            if transport_kind == "stdio" {
                // The bridge is Python: Debian's, on the Node image's release (bookworm).
                extra.insert(
                    "base_image".into(),
                    json!({"name": "node", "tag": "22-bookworm-slim"}),
                );
                extra.insert(
                    "build_packages".into(),
                    json!([{"name": "python3-venv", "version": "3.11.2-1+b1"}]),
                );
                extra.insert(
                    "system_packages".into(),
                    json!([{"name": "python3", "version": "3.11.2-1+b1"}]),
                );
            }
            (
                json!({"language": "node", "version": "22"}),
                json!({"kind": "npm", "manifest": "package.json", "lockfile": "package-lock.json"}),
                bin,
                (
                    format!("{name}/package.json"),
                    format!(
                        "{}\n",
                        json!({"name": name, "private": true, "dependencies": {identifier: version}})
                    ),
                ),
            )
        }
        other => {
            return Err(format!(
                "registryType `{other}` is not supported (PyPI and npm packages are built into images here; use a \
                 `url` for a server that already runs)"
            ));
        }
    };
    let mut argv = vec![program];
    argv.extend(arguments);
    let transport = match transport_kind {
        "stdio" => json!({"kind": "stdio", "bridge": bridge}),
        "streamable-http" => json!({"kind": "streamable_http"}),
        "sse" => json!({"kind": "sse"}),
        other => return Err(format!("package transport `{other}` is not supported")),
    };
    let mut spec = json!({
        "name": name,
        "runtime": runtime,
        "entrypoint": {"kind": "command", "argv": argv},
        "transport": transport,
        "dependencies": dependencies,
        "env": env,
    });
    if let Some(object) = spec.as_object_mut() {
        object.extend(extra);
    }
    let mut server = ServerDecl::at_url(name, "", UpstreamTransport::StreamableHttp);
    server.url = None;
    server.transport = None;
    server.container = Some(super::ContainerSpec(spec));
    report.files.push(file);
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_packages_and_unsupported_entries() {
        let text = r#"{
          "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
          "name": "io.github.user/weather", "description": "Weather", "version": "1.0.0",
          "remotes": [
            {"type": "sse", "url": "https://weather.example.com/sse"},
            {"type": "streamable-http", "url": "{baseUrl}/mcp", "variables": {"baseUrl": {"isRequired": true}}}
          ],
          "packages": [
            {"registryType": "pypi", "identifier": "mcp-server-weather", "version": "1.0.0",
             "transport": {"type": "stdio"}, "postInstallInstructions": [{"description": "draft field"}],
             "environmentVariables": [{"name": "API_KEY", "isSecret": true}]},
            {"registryType": "mcpb", "identifier": "https://x/y.mcpb", "fileSha256": "ab"}
          ]
        }"#;
        let report = import_server_json(text, "server.json").unwrap();
        assert_eq!(report.servers.len(), 2);
        assert_eq!(report.servers[0].name, "weather-remote-1");
        assert_eq!(report.servers[0].transport, Some(UpstreamTransport::Sse));
        assert_eq!(report.servers[1].name, "weather-package-1");
        let spec = &report.servers[1].container.as_ref().unwrap().0;
        assert_eq!(spec["entrypoint"]["argv"][0], "mcp-server-weather");
        assert_eq!(spec["env"][0], json!({"name": "API_KEY", "secret": true}));
        assert_eq!(
            report.files,
            [(
                "weather-package-1/requirements.txt".to_owned(),
                "mcp-server-weather==1.0.0\n".to_owned()
            )]
        );
        let skipped: Vec<&str> = report.skipped.iter().map(|s| s.entry.as_str()).collect();
        assert_eq!(skipped, ["remotes[1]", "packages[1]"]);
        assert!(report.skipped[0].reason.contains("{baseUrl}"));
        assert!(report.skipped[1].reason.contains("mcpb"));
    }

    #[test]
    fn a_file_without_a_name_is_an_error_with_a_position() {
        let err = import_server_json("{\n  \"version\": \"1\"\n}\n", "server.json").unwrap_err();
        assert!(
            err.to_string()
                .contains("server.json:1:1: name: a server.json needs a `name`"),
            "{err}"
        );
        let err = import_server_json("{\"name\": }", "server.json").unwrap_err();
        assert!(err.to_string().contains("server.json:1:"), "{err}");
    }
}
