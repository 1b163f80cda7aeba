//! The fleet manifest: what should be registered on one gateway, written in TOML, YAML or JSON.
//!
//! A manifest names the gateway (its URL and the **name** of the environment variable holding the token — never
//! the token), the upstream MCP servers to register, and the virtual servers that bundle their tools. Each
//! server also says how to check it (expected tools, smoke calls) and what it may touch (its risk profile),
//! which the containerization ADR reads.
//!
//! [`Manifest::from_path`] reads a file, picks the format by extension, and either returns a manifest in which
//! every rule holds, or an [`Error::Manifest`](crate::Error::Manifest) listing **every** problem with its
//! `file:line:column` and field path (and the nearest field name for a misspelt one). It never returns half a
//! manifest.

pub(crate) mod decode;
mod import;
mod schema;
mod source;
mod validate;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::Result;

pub use import::{ImportReport, ImportSkipped, import_server_json, import_server_json_file};
pub use source::{DEFAULT_MAX_BYTES, Format, LoadOptions};

/// The default environment variable for the gateway token (ContextForge's own convention).
pub const DEFAULT_TOKEN_ENV: &str = "MCPGATEWAY_BEARER_TOKEN";

/// A fleet: one gateway, its upstream servers and virtual servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct Manifest {
    /// The JSON Schema this file follows (for editors); ignored by the loader.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The fleet's name: lowercase letters, digits and `-`. Registrations the registry creates carry the tag
    /// `mcpfleet:<fleet>`, and `sync` only ever deletes registrations with that tag.
    pub fleet: String,
    /// The gateway to register with.
    pub gateway: GatewayTarget,
    /// Upstream MCP servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerDecl>,
    /// Virtual servers: named bundles of the upstreams' tools, each with its own MCP endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_servers: Vec<VirtualServerDecl>,
    /// Several gateways to register the fleet with (staging and production, regions), each overriding `gateway`
    /// and optionally taking a subset of the servers. Empty: the fleet targets `gateway` alone. See
    /// [`Manifest::per_target`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetDecl>,
}

/// One of several gateways a fleet is registered with; what it does not set comes from `gateway`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetDecl {
    /// The target's name (`staging`, `eu`), unique in the manifest; reports are keyed by it.
    pub name: String,
    /// The gateway's base URL (`${VAR}` allowed, like `gateway.url`).
    pub url: String,
    /// The **name** of the variable holding this gateway's token; default: `gateway.token_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// Team id on this gateway; default: `gateway.team`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The servers registered on this gateway, by name; absent: all of them. Virtual servers keep only the tools
    /// of these servers, and one left with none is not created there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
}

/// Where the gateway is and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct GatewayTarget {
    /// Base URL, e.g. `https://gateway.example.com:4444`.
    pub url: String,
    /// The **name** of the environment variable holding the bearer token. A token value is refused here.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Team id registrations belong to (sent as `team_id`); servers may override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

fn default_token_env() -> String {
    DEFAULT_TOKEN_ENV.to_owned()
}

/// One upstream MCP server, registered as a ContextForge *gateway*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerDecl {
    /// Registration name (letters, digits, `_`, `.`, `-`, space). ContextForge derives a slug from it
    /// (`My_Server` → `my-server`) and prefixes every tool name with that slug.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags (lowercase letters, digits, `-`, `:`, `.`); `mcpfleet:` is reserved for ownership.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Who sees the registration (`public` unless said otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Team id, overriding `gateway.team`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// How the gateway speaks to it. Required with `url`; a `container` server's transport follows from its
    /// spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<UpstreamTransport>,
    /// Where it already runs, as the **gateway** reaches it (not as this machine does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// How to build and run it in a container (an `mcpfleet-dockerfile-gen` server spec); the gateway then
    /// reaches it by its service name. Needs the crate feature `container`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerSpec>,
    /// Credentials the gateway sends to the upstream, taken from environment variables at apply time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<UpstreamAuth>,
    /// Tools (by the upstream's own names) that must be discovered; verify fails without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_tools: Vec<String>,
    /// Calls that prove the server works through the gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smoke: Vec<SmokeCall>,
    /// What the server may touch; the containerization ADR groups servers by it.
    #[serde(default)]
    pub risk: RiskProfile,
    /// System tools and services it needs (`git`, `ollama`, `chroma`): dependency similarity for the ADR.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Other servers of this fleet it imports in-process (a composite such as an orchestrator).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
    /// The container's build plan, made once when the manifest is checked.
    #[cfg(feature = "container")]
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) built: crate::container::Built,
}

/// How the gateway talks to an upstream. WebSocket is deprecated by ContextForge (sunset 2027-01-18) and
/// refused with that explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum UpstreamTransport {
    /// MCP streamable HTTP (`streamable-http`), the current transport.
    StreamableHttp,
    /// MCP over server-sent events (`sse`).
    Sse,
}

impl UpstreamTransport {
    /// The manifest spelling: `streamable-http` or `sse`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StreamableHttp => "streamable-http",
            Self::Sse => "sse",
        }
    }

    /// Parses a transport as other tools spell it too (`streamable_http`, `streamablehttp`, any case), for
    /// imports; a manifest takes only [`UpstreamTransport::as_str`]'s spelling.
    pub fn parse(value: &str) -> std::result::Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "streamable-http" | "streamable_http" | "streamablehttp" => Ok(Self::StreamableHttp),
            "sse" => Ok(Self::Sse),
            "websocket" | "ws" | "wss" => Err(
                "WebSocket upstreams are deprecated by ContextForge (sunset 2027-01-18) and not supported: \
                 serve the server over `streamable-http`"
                    .to_owned(),
            ),
            other => Err(format!(
                "unknown transport `{other}`: expected `streamable-http` or `sse`"
            )),
        }
    }
}

impl fmt::Display for UpstreamTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for UpstreamTransport {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UpstreamTransport {
    /// Only the schema's spellings: a manifest the loader accepts is one the committed schema accepts. Another
    /// spelling of a known transport is refused with the one to write.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        match Self::parse(&value) {
            Ok(transport) if transport.as_str() == value => Ok(transport),
            Ok(transport) => Err(serde::de::Error::custom(format!(
                "`{value}` is written `{transport}` in a manifest (container specs write `streamable_http`)"
            ))),
            Err(message) => Err(serde::de::Error::custom(message)),
        }
    }
}

impl JsonSchema for UpstreamTransport {
    fn schema_name() -> Cow<'static, str> {
        "UpstreamTransport".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "How the gateway talks to the upstream (WebSocket is deprecated by ContextForge and refused).",
            "type": "string",
            "enum": ["streamable-http", "sse"]
        })
    }
}

/// Who sees a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Visibility {
    /// Only the owner.
    Private,
    /// The owning team.
    Team,
    /// Everyone (ContextForge's default).
    Public,
}

impl Visibility {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Team => "team",
            Self::Public => "public",
        }
    }
}

/// A container spec, kept as written: with the `container` feature it is read as an
/// `mcpfleet_dockerfile_gen::ServerSpec` (and checked when the manifest loads); without it, a manifest that
/// uses one is refused with that explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerSpec(pub Value);

impl JsonSchema for ContainerSpec {
    fn schema_name() -> Cow<'static, str> {
        "ContainerSpec".into()
    }

    #[cfg(feature = "container")]
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        mcpfleet_dockerfile_gen::ServerSpec::json_schema(generator)
    }

    #[cfg(not(feature = "container"))]
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An mcpfleet-dockerfile-gen server spec (the `container` feature reads it).",
            "type": "object"
        })
    }
}

/// Credentials the gateway sends to an upstream; values come from environment variables when the plan is
/// applied, so no manifest, plan or report holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub enum UpstreamAuth {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The environment variable holding the token.
        token_env: String,
    },
    /// Custom headers (`X-API-Key`, …).
    Headers {
        /// The headers.
        headers: Vec<HeaderFromEnv>,
    },
}

impl UpstreamAuth {
    /// The environment variables the credentials come from, in order.
    pub fn env_names(&self) -> Vec<&str> {
        match self {
            Self::Bearer { token_env } => vec![token_env.as_str()],
            Self::Headers { headers } => headers.iter().map(|h| h.value_env.as_str()).collect(),
        }
    }
}

/// One header whose value is read from the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct HeaderFromEnv {
    /// Header name.
    pub name: String,
    /// The environment variable holding its value.
    pub value_env: String,
}

/// A tool call that proves a server works through the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct SmokeCall {
    /// The tool, by the upstream's own name (`add`, not `utils-add`).
    pub tool: String,
    /// Arguments; they must satisfy the tool's input schema (the gateway checks).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub arguments: serde_json::Map<String, Value>,
    /// What the result must hold; without it, any non-error result passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
}

/// What a smoke call's result must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Expectation {
    /// The result's text contains this.
    Contains(String),
    /// The result equals this JSON value (the structured content, else the text read as JSON, else the text).
    Equals(Value),
}

/// What a server may touch. The ADR groups servers with equal profiles and isolates the riskier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct RiskProfile {
    /// Filesystem access.
    #[serde(default)]
    pub filesystem: FilesystemAccess,
    /// Network access.
    #[serde(default)]
    pub network: NetworkAccess,
    /// Names of the secrets (environment variables) it needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// How heavy it runs.
    #[serde(default)]
    pub compute: ComputeProfile,
}

/// Filesystem access of a server.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FilesystemAccess {
    /// None beyond its own code.
    #[default]
    None,
    /// Reads data it does not own.
    Read,
    /// Writes data.
    Write,
}

/// Network access of a server.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NetworkAccess {
    /// Only answers the gateway.
    #[default]
    None,
    /// Reaches other services of the fleet (a vector DB, a model server).
    Fleet,
    /// Reaches the internet.
    Internet,
}

/// How heavy a server runs.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ComputeProfile {
    /// Milliseconds of CPU per call.
    #[default]
    Light,
    /// Seconds of CPU or large memory per call (embeddings, indexing).
    Heavy,
    /// Needs a GPU.
    Gpu,
}

/// A virtual server: a named bundle of tools with its own MCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct VirtualServerDecl {
    /// Name (letters, digits, `_`, `.`, `-`, space).
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags; `mcpfleet:` is reserved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Who sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Team id, overriding `gateway.team`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The tools it bundles.
    pub tools: Vec<ToolSelection>,
}

/// Tools of one upstream server, by the upstream's own names, or all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[non_exhaustive]
pub struct ToolSelection {
    /// The server, by its name in this manifest.
    pub server: String,
    /// Tool names; absent means every tool the server offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
}

impl Manifest {
    /// The manifest as seen by each gateway it targets: one single-gateway manifest per entry of `targets`
    /// (in order, named), or the manifest itself under the name `default` when it has none. Each is ready for
    /// [`Registry::new`](crate::Registry::new); the registrations they create carry the same owner tag, and the
    /// fleet lock is per gateway, so the targets are independent.
    ///
    /// ```
    /// use mcpfleet_registry::{Format, Manifest};
    /// let manifest = Manifest::from_str_as(r#"
    /// fleet: demo
    /// gateway: {url: "https://staging.example.com", token_env: STAGING_TOKEN}
    /// servers:
    ///   - {name: calc, url: "http://calc:8000/mcp", transport: streamable-http}
    ///   - {name: notes, url: "http://notes:8000/mcp", transport: streamable-http}
    /// targets:
    ///   - {name: staging, url: "https://staging.example.com"}
    ///   - {name: production, url: "https://gw.example.com", token_env: PROD_TOKEN, servers: [calc]}
    /// "#, Format::Yaml, "demo.yaml")?;
    /// let targets = manifest.per_target();
    /// assert_eq!(targets[1].0, "production");
    /// assert_eq!(targets[1].1.gateway.token_env, "PROD_TOKEN");
    /// assert_eq!(targets[1].1.servers.len(), 1);
    /// # Ok::<(), mcpfleet_registry::Error>(())
    /// ```
    pub fn per_target(&self) -> Vec<(String, Manifest)> {
        if self.targets.is_empty() {
            return vec![("default".to_owned(), self.clone())];
        }
        self.targets
            .iter()
            .map(|target| (target.name.clone(), self.for_target(target)))
            .collect()
    }

    fn for_target(&self, target: &TargetDecl) -> Manifest {
        let keep = |name: &str| {
            target
                .servers
                .as_ref()
                .is_none_or(|servers| servers.iter().any(|s| s == name))
        };
        let virtual_servers = self
            .virtual_servers
            .iter()
            .filter_map(|declared| {
                let tools: Vec<ToolSelection> = declared
                    .tools
                    .iter()
                    .filter(|pick| keep(&pick.server))
                    .cloned()
                    .collect();
                (!tools.is_empty()).then(|| VirtualServerDecl {
                    tools,
                    ..declared.clone()
                })
            })
            .collect();
        Manifest {
            schema: self.schema.clone(),
            fleet: self.fleet.clone(),
            gateway: GatewayTarget {
                url: target.url.clone(),
                token_env: target
                    .token_env
                    .clone()
                    .unwrap_or_else(|| self.gateway.token_env.clone()),
                team: target.team.clone().or_else(|| self.gateway.team.clone()),
            },
            servers: self
                .servers
                .iter()
                .filter(|s| keep(&s.name))
                .cloned()
                .collect(),
            virtual_servers,
            targets: Vec::new(),
        }
    }

    /// Reads and checks a manifest; the format follows the extension (`.toml`, `.yaml`/`.yml`, `.json`). Only a
    /// regular file of at most [`DEFAULT_MAX_BYTES`] is read ([`Manifest::from_path_with`] takes other limits).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_path_with(path, &LoadOptions::default())
    }

    /// Like [`Manifest::from_path`], within `options`: a directory, FIFO or device is refused before it is
    /// opened ([`Error::NotAFile`](crate::Error::NotAFile)), a file over [`LoadOptions::max_bytes`] before its
    /// content is read ([`Error::FileTooLarge`](crate::Error::FileTooLarge)).
    ///
    /// ```no_run
    /// use mcpfleet_registry::{LoadOptions, Manifest};
    /// let manifest = Manifest::from_path_with("fleet.yaml", &LoadOptions::default().with_max_bytes(1 << 20))?;
    /// # Ok::<(), mcpfleet_registry::Error>(())
    /// ```
    pub fn from_path_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        let format = Format::from_path(path)?;
        let text = options.read(path)?;
        Self::from_str_as(&text, format, &path.display().to_string())
    }

    /// Checks a manifest held in memory; `source_name` is what errors print as the file name. `${NAME}` in URLs
    /// reads the process environment. The text is in memory already, so no size limit applies; what it may
    /// expand to (YAML aliases, nesting past 64 levels) is bounded by its own size, and a repeated key is refused
    /// with both its positions.
    pub fn from_str_as(text: &str, format: Format, source_name: &str) -> Result<Self> {
        decode::load(text, format, source_name, &|name| std::env::var(name).ok())
    }

    /// Like [`Manifest::from_str_as`], with `${NAME}` in URLs read from `lookup` instead of the process
    /// environment (`gateway.url`, `targets[].url` and `servers[].url` only; `${NAME:-default}` gives a fallback).
    ///
    /// A URL never reads a credential: a variable the manifest names as one (any `*_env` value, `risk.secrets`, a
    /// `secret: true` variable, the default token variable) or whose name says so (`…TOKEN…`, `…SECRET…`,
    /// `…PASSWORD…`, `…API_KEY…`) is refused by name, and an expansion shaped like a credential is refused without
    /// being shown. Any value shaped like a credential, in any field, is reported by its path and shape only.
    ///
    /// ```
    /// use mcpfleet_registry::{Format, Manifest};
    /// let text = "fleet: demo\ngateway: {url: \"${GW:-http://127.0.0.1:4444}\"}\nservers:\n  - {name: utils, url: \"${UTILS_URL}\", transport: streamable-http}\n";
    /// let manifest = Manifest::from_str_with_env(text, Format::Yaml, "fleet.yaml", |name| {
    ///     (name == "UTILS_URL").then(|| "http://127.0.0.1:9001/mcp".to_owned())
    /// })?;
    /// assert_eq!(manifest.gateway.url, "http://127.0.0.1:4444");
    /// assert_eq!(manifest.servers[0].url.as_deref(), Some("http://127.0.0.1:9001/mcp"));
    /// # Ok::<(), mcpfleet_registry::Error>(())
    /// ```
    pub fn from_str_with_env(
        text: &str,
        format: Format,
        source_name: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        decode::load(text, format, source_name, &lookup)
    }

    /// The JSON Schema of the manifest format (draft 2020-12). The repository commits it as
    /// `mcp-registry/schema/fleet.schema.json`; editors complete manifests that reference it in `$schema`.
    pub fn json_schema() -> Schema {
        schema::manifest_schema()
    }

    /// The declared server called `name`.
    pub fn server(&self, name: &str) -> Option<&ServerDecl> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// Writes the manifest in `format` (a manifest converted from `server.json`, say).
    pub fn to_string_as(&self, format: Format) -> Result<String> {
        source::write(self, format)
    }
}

impl ServerDecl {
    /// A server reached at `url`.
    pub fn at_url(
        name: impl Into<String>,
        url: impl Into<String>,
        transport: UpstreamTransport,
    ) -> Self {
        Self {
            name: name.into(),
            description: None,
            tags: Vec::new(),
            visibility: None,
            team: None,
            transport: Some(transport),
            url: Some(url.into()),
            container: None,
            auth: None,
            expected_tools: Vec::new(),
            smoke: Vec::new(),
            risk: RiskProfile::default(),
            needs: Vec::new(),
            imports: Vec::new(),
            #[cfg(feature = "container")]
            built: crate::container::Built::default(),
        }
    }
}
