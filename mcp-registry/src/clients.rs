//! Configuration files that MCP clients read, pointing at one virtual server of the gateway — with the token
//! **never inline**.
//!
//! Each client has its own mechanism to take a secret from outside the file, and each file uses it:
//!
//! | client | file | transport | the token comes from |
//! |---|---|---|---|
//! | Claude Desktop | `claude_desktop_config.json` | stdio, through [`STDIO_BRIDGE`] | the bridge expands `${NAME}` from its environment |
//! | VS Code | `.vscode/mcp.json` | streamable HTTP | `${input:…}`: VS Code asks once and keeps it in its secret storage |
//! | Cursor | `.cursor/mcp.json` | streamable HTTP | `${env:NAME}` |
//! | generic (`.mcp.json` of Claude Code and others) | `mcp.json` | streamable HTTP | `${NAME}` |
//!
//! Claude Desktop only launches stdio processes from its config file. ContextForge removed its own stdio wrapper
//! (`mcpgateway.wrapper`) in 1.0.11 and points stdio-only clients at FastMCP's bridge, `fastmcp-remote`, which
//! reads `${NAME}` in a `--header` value from its own environment — so the token stays in the user's
//! environment, not in the file.
//!
//! The token these files expect is a *caller* token: one that may call tools on this one virtual server and
//! nothing else (see `caller_token` with the `preflight` feature). [`ClientEntry`] reads an entry back and
//! resolves its references the way the client would, so a test can connect with exactly what the file says.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// The stdio bridge written into configs of clients that only launch local processes: FastMCP's
/// `fastmcp-remote`, run by `uvx` at a pinned version.
pub const STDIO_BRIDGE: &str = "fastmcp-remote@4.1.4";

/// An MCP client whose configuration file can be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum McpClient {
    /// Claude Desktop (`claude_desktop_config.json`; stdio only, so through [`STDIO_BRIDGE`]).
    ClaudeDesktop,
    /// VS Code (`.vscode/mcp.json`).
    VsCode,
    /// Cursor (`.cursor/mcp.json`).
    Cursor,
    /// The `mcpServers` shape most clients read (Claude Code's `.mcp.json` and others), as `mcp.json`.
    Generic,
}

impl McpClient {
    /// Every client, in the order files are generated.
    pub const ALL: [McpClient; 4] = [
        McpClient::ClaudeDesktop,
        McpClient::VsCode,
        McpClient::Cursor,
        McpClient::Generic,
    ];

    /// Where the client reads the file, relative to the project (or, for Claude Desktop, its config directory).
    pub fn file(self) -> &'static str {
        match self {
            McpClient::ClaudeDesktop => "claude_desktop_config.json",
            McpClient::VsCode => ".vscode/mcp.json",
            McpClient::Cursor => ".cursor/mcp.json",
            McpClient::Generic => "mcp.json",
        }
    }

    /// The client's name for people.
    pub fn label(self) -> &'static str {
        match self {
            McpClient::ClaudeDesktop => "Claude Desktop",
            McpClient::VsCode => "VS Code",
            McpClient::Cursor => "Cursor",
            McpClient::Generic => "generic mcp.json",
        }
    }

    /// The key under which the file lists its servers.
    fn servers_key(self) -> &'static str {
        match self {
            McpClient::VsCode => "servers",
            _ => "mcpServers",
        }
    }

    /// How this client's file refers to the token held outside it.
    fn token_reference(self, target: &ClientTarget) -> String {
        match self {
            McpClient::VsCode => format!("${{input:{}}}", target.input_id()),
            McpClient::Cursor => format!("${{env:{}}}", target.token_env),
            McpClient::ClaudeDesktop | McpClient::Generic => format!("${{{}}}", target.token_env),
        }
    }
}

impl fmt::Display for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What the generated files point at: one virtual server's MCP endpoint and the *name* of the variable that
/// holds the caller token. Made only by [`ClientTarget::new`], which checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ClientTarget {
    /// The entry's name in the client (e.g. the virtual server's name).
    pub name: String,
    /// The virtual server's MCP endpoint, `{gateway}/v1/virtual-servers/{id}/mcp`.
    pub url: String,
    /// The environment variable (or, for VS Code, the prompt) that holds the caller token.
    pub token_env: String,
}

impl ClientTarget {
    /// A target, checked: the name is non-empty, the URL is `http(s)` without credentials in it (no
    /// `user:password@`, no query string: these files are shared and committed), and the variable is a valid name.
    pub fn new(
        name: impl Into<String>,
        url: impl Into<String>,
        token_env: impl Into<String>,
    ) -> Result<Self> {
        let target = ClientTarget {
            name: name.into(),
            url: url.into(),
            token_env: token_env.into(),
        };
        if target.name.trim().is_empty() {
            return Err(invalid("name", &target.name, "must not be empty"));
        }
        match url::Url::parse(&target.url) {
            Ok(url)
                if !url.username().is_empty()
                    || url.password().is_some()
                    || url.query().is_some() =>
            {
                // Never echo it: the part that makes it invalid may be a credential.
                return Err(Error::InvalidClientTarget {
                    field: "url",
                    reason: "(value not shown) must not carry credentials or a query string".into(),
                });
            }
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            Ok(_) => {
                return Err(invalid(
                    "url",
                    &target.url,
                    "must be an http(s) URL with a host",
                ));
            }
            Err(e) => return Err(invalid("url", &target.url, &e.to_string())),
        }
        if !is_env_name(&target.token_env) {
            return Err(invalid(
                "token_env",
                &target.token_env,
                "must be a variable name ([A-Za-z_][A-Za-z0-9_]*), not a token",
            ));
        }
        Ok(target)
    }

    /// The id of VS Code's prompt for the token.
    fn input_id(&self) -> String {
        self.token_env.to_ascii_lowercase().replace('_', "-")
    }
}

fn invalid(field: &'static str, value: &str, reason: &str) -> Error {
    // A value that fails the variable-name check may be a pasted token: never echo it.
    let shown = if field == "token_env" {
        "(value not shown)".to_owned()
    } else {
        format!("`{value}`")
    };
    Error::InvalidClientTarget {
        field,
        reason: format!("{shown} {reason}"),
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One generated configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientConfigFile {
    /// The client that reads it.
    pub client: McpClient,
    /// Its path, relative ([`McpClient::file`]).
    pub path: PathBuf,
    /// Its contents (pretty JSON, ending with a newline).
    pub contents: String,
}

/// The configuration file of every client in [`McpClient::ALL`] for one target.
pub fn client_configs(target: &ClientTarget) -> Vec<ClientConfigFile> {
    McpClient::ALL
        .iter()
        .map(|client| client_config(*client, target))
        .collect()
}

/// The configuration file of one client for one target.
pub fn client_config(client: McpClient, target: &ClientTarget) -> ClientConfigFile {
    let authorization = format!("Bearer {}", client.token_reference(target));
    let entry = match client {
        McpClient::ClaudeDesktop => json!({
            "command": "uvx",
            "args": [STDIO_BRIDGE, target.url, "--header", format!("Authorization: {authorization}")],
        }),
        McpClient::VsCode => json!({
            "type": "http",
            "url": target.url,
            "headers": {"Authorization": authorization},
        }),
        McpClient::Cursor => json!({
            "url": target.url,
            "headers": {"Authorization": authorization},
        }),
        McpClient::Generic => json!({
            "type": "http",
            "url": target.url,
            "headers": {"Authorization": authorization},
        }),
    };
    let mut servers = serde_json::Map::new();
    servers.insert(target.name.clone(), entry);
    let mut file = serde_json::Map::new();
    if client == McpClient::VsCode {
        file.insert(
            "inputs".into(),
            json!([{
                "type": "promptString",
                "id": target.input_id(),
                "description": format!(
                    "ContextForge caller token for `{}` (the value of {})",
                    target.name, target.token_env
                ),
                "password": true,
            }]),
        );
    }
    file.insert(client.servers_key().into(), Value::Object(servers));
    let mut contents = serde_json::to_string_pretty(&Value::Object(file)).unwrap_or_default();
    contents.push('\n');
    ClientConfigFile {
        client,
        path: PathBuf::from(client.file()),
        contents,
    }
}

/// One server entry read back from a client's configuration file, with its references unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEntry {
    /// The client connects over streamable HTTP.
    Http {
        /// The endpoint.
        url: String,
        /// Headers, values as written (with references such as `${env:NAME}`).
        headers: Vec<(String, String)>,
    },
    /// The client launches a process and speaks stdio to it.
    Stdio {
        /// The program.
        command: String,
        /// Its arguments, as written.
        args: Vec<String>,
    },
}

impl ClientEntry {
    /// Reads the entry `name` of a configuration file of `client`.
    pub fn read(client: McpClient, contents: &str, name: &str) -> Result<Self> {
        let file: Value = serde_json::from_str(contents).map_err(|source| Error::Json {
            context: format!("reading a {} configuration file", client.label()),
            source,
        })?;
        let entry = file
            .get(client.servers_key())
            .and_then(|servers| servers.get(name))
            .ok_or_else(|| Error::ClientConfig {
                message: format!(
                    "the {} file has no `{}.{name}` entry",
                    client.label(),
                    client.servers_key()
                ),
            })?;
        let text = |value: &Value| value.as_str().map(str::to_owned);
        if let Some(command) = entry.get("command").and_then(text) {
            let args = entry
                .get("args")
                .and_then(Value::as_array)
                .map(|args| args.iter().filter_map(text).collect())
                .unwrap_or_default();
            return Ok(ClientEntry::Stdio { command, args });
        }
        let url = entry
            .get("url")
            .and_then(text)
            .ok_or_else(|| Error::ClientConfig {
                message: format!(
                    "the {} entry `{name}` has neither `command` nor `url`",
                    client.label()
                ),
            })?;
        let headers = entry
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ClientEntry::Http { url, headers })
    }

    /// Every variable the entry refers to (`${NAME}`, `${env:NAME}` or `${input:id}`), as written inside the
    /// braces.
    pub fn references(&self) -> Vec<String> {
        let values: Vec<&str> = match self {
            ClientEntry::Http { headers, .. } => headers.iter().map(|(_, v)| v.as_str()).collect(),
            ClientEntry::Stdio { args, .. } => args.iter().map(String::as_str).collect(),
        };
        values.into_iter().flat_map(references_in).collect()
    }

    /// Replaces every reference with what `lookup` gives for it (called with the text inside the braces, e.g.
    /// `env:FLEET_TOKEN`), as the client would when it connects. A reference `lookup` cannot resolve is an
    /// error naming it. The result holds the secret, so its `Debug` shows none of its values.
    pub fn resolve(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<ResolvedEntry> {
        let resolve = |value: &str| {
            substitute(value, |reference| {
                lookup(reference).ok_or_else(|| Error::UnresolvedReference {
                    reference: reference.to_owned(),
                })
            })
        };
        Ok(ResolvedEntry(match self {
            ClientEntry::Http { url, headers } => ClientEntry::Http {
                url: url.clone(),
                headers: headers
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), resolve(v)?)))
                    .collect::<Result<_>>()?,
            },
            ClientEntry::Stdio { command, args } => ClientEntry::Stdio {
                command: command.clone(),
                args: args.iter().map(|a| resolve(a)).collect::<Result<_>>()?,
            },
        }))
    }
}

/// A [`ClientEntry`] with its references replaced by their values — secrets included. `Debug` redacts every
/// header value and argument; [`ResolvedEntry::expose`] gives the entry to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedEntry(ClientEntry);

impl ResolvedEntry {
    /// The entry with its values, to connect with. Do not log it.
    pub fn expose(&self) -> &ClientEntry {
        &self.0
    }
}

impl fmt::Debug for ResolvedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ClientEntry::Http { url, headers } => f
                .debug_struct("ResolvedEntry::Http")
                .field("url", url)
                .field(
                    "headers",
                    &headers
                        .iter()
                        .map(|(k, _)| (k, "<redacted>"))
                        .collect::<Vec<_>>(),
                )
                .finish(),
            ClientEntry::Stdio { command, args } => f
                .debug_struct("ResolvedEntry::Stdio")
                .field("command", command)
                .field("args", &format_args!("<{} redacted>", args.len()))
                .finish(),
        }
    }
}

fn references_in(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    // Collecting never fails.
    let _ = substitute(value, |reference| {
        found.push(reference.to_owned());
        Ok(String::new())
    });
    found
}

/// `value` with each `${…}` replaced by what `with` gives for the text inside the braces; an unclosed `${` is
/// kept as written.
fn substitute(value: &str, mut with: impl FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&with(&rest[start + 2..start + len])?);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> ClientTarget {
        ClientTarget::new(
            "example-fleet",
            "http://127.0.0.1:4444/v1/virtual-servers/abc/mcp",
            "FLEET_CALLER_TOKEN",
        )
        .unwrap()
    }

    #[test]
    fn every_file_refers_to_the_token_and_never_holds_one() {
        for file in client_configs(&target()) {
            assert!(
                file.contents.contains("FLEET_CALLER_TOKEN")
                    || file.contents.contains("${input:fleet-caller-token}"),
                "{}",
                file.contents
            );
            let entry = ClientEntry::read(file.client, &file.contents, "example-fleet").unwrap();
            assert_eq!(entry.references().len(), 1, "{entry:?}");
            let resolved = entry.resolve(|_| Some("SECRET".into())).unwrap();
            let flat = format!("{:?}", resolved.expose());
            assert!(flat.contains("Bearer SECRET"), "{flat}");
            assert!(
                !format!("{resolved:?}").contains("SECRET"),
                "Debug of a resolved entry redacts"
            );
        }
    }

    #[test]
    fn each_client_uses_its_own_reference_syntax() {
        let refs: Vec<(McpClient, Vec<String>)> = client_configs(&target())
            .iter()
            .map(|f| {
                let entry = ClientEntry::read(f.client, &f.contents, "example-fleet").unwrap();
                (f.client, entry.references())
            })
            .collect();
        assert_eq!(
            refs,
            vec![
                (
                    McpClient::ClaudeDesktop,
                    vec!["FLEET_CALLER_TOKEN".to_owned()]
                ),
                (
                    McpClient::VsCode,
                    vec!["input:fleet-caller-token".to_owned()]
                ),
                (McpClient::Cursor, vec!["env:FLEET_CALLER_TOKEN".to_owned()]),
                (McpClient::Generic, vec!["FLEET_CALLER_TOKEN".to_owned()]),
            ]
        );
    }

    #[test]
    fn an_unresolved_reference_is_named() {
        let file = client_config(McpClient::Cursor, &target());
        let entry = ClientEntry::read(file.client, &file.contents, "example-fleet").unwrap();
        let err = entry.resolve(|_| None).unwrap_err().to_string();
        assert!(err.contains("env:FLEET_CALLER_TOKEN"), "{err}");
    }

    #[test]
    fn a_pasted_token_is_refused_without_echoing_it() {
        let err = ClientTarget::new("f", "http://gw/mcp", "eyJhbGciOiJIUzI1NiJ9.payload.sig")
            .unwrap_err()
            .to_string();
        assert!(err.contains("token_env"), "{err}");
        assert!(!err.contains("eyJ"), "{err}");
        assert!(ClientTarget::new("", "http://gw/mcp", "T").is_err());
        for leaky in ["http://user:s3cret@gw/mcp", "http://gw/mcp?token=s3cret"] {
            let err = ClientTarget::new("f", leaky, "T").unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{err}");
        }
        assert!(ClientTarget::new("f", "file:///etc/passwd", "T").is_err());
    }

    #[test]
    fn a_missing_entry_is_a_clear_error() {
        let file = client_config(McpClient::VsCode, &target());
        let err = ClientEntry::read(McpClient::VsCode, &file.contents, "other")
            .unwrap_err()
            .to_string();
        assert!(err.contains("servers.other"), "{err}");
    }

    #[test]
    fn snapshots() {
        for file in client_configs(&target()) {
            insta::assert_snapshot!(file.client.file().replace(['/', '.'], "_"), file.contents);
        }
    }
}
