//! The one error type of the crate, and the pieces it carries: manifest issues with their positions, and gateway
//! failures with status, raw body and cause.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from reading a manifest to verifying a tool call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A path given to a loader is not a regular file (a directory, a FIFO, a device, a socket). It is refused
    /// before it is opened: opening a FIFO waits for a writer, and a device such as `/dev/zero` never ends.
    #[error("cannot load {}: it is {kind}, not a regular file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
        /// What it is instead (`a directory`, `a FIFO (named pipe)`, `a character device`, …).
        kind: &'static str,
    },
    /// A file is larger than the loader reads ([`LoadOptions::max_bytes`](crate::LoadOptions::max_bytes)); it was
    /// not read (or not past the limit, when its size could not be known beforehand).
    #[error(
        "cannot load {}: {} the limit of {limit} bytes (a larger file is read with \
         `LoadOptions::with_max_bytes`)",
        path.display(),
        size.map_or_else(|| "its content exceeds".to_owned(), |size| format!("its {size} bytes exceed"))
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in force.
        limit: u64,
        /// The size the file system reported, when it was already over the limit.
        size: Option<u64>,
    },
    /// A file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The manifest (or an imported `server.json`) has problems: every one found is listed, and nothing was
    /// loaded.
    #[error("{0}")]
    Manifest(Box<ManifestErrors>),
    /// A call to the gateway failed.
    #[error("{0}")]
    Gateway(Box<GatewayFailure>),
    /// An environment variable the manifest names is not set.
    #[error("environment variable `{name}` is not set ({purpose})")]
    MissingEnv {
        /// The variable.
        name: String,
        /// What it is for, e.g. "the gateway token".
        purpose: String,
    },
    /// Another apply of the same fleet held the fleet lock for longer than the timeout.
    #[error(
        "another apply of fleet `{fleet}` is running (lock {}) and did not finish within {waited_secs}s",
        path.display()
    )]
    Locked {
        /// The fleet.
        fleet: String,
        /// The lock file.
        path: PathBuf,
        /// How long this apply waited.
        waited_secs: u64,
    },
    /// A saved plan was made against another state of the gateway (someone changed it since), so applying it
    /// could undo their change.
    #[error(
        "the saved plan no longer matches the gateway (planned against state {planned}, the gateway is now at \
         {current}): make a new plan"
    )]
    StalePlan {
        /// The state fingerprint the plan was made against.
        planned: String,
        /// The gateway's fingerprint now.
        current: String,
    },
    /// A saved plan belongs to another fleet, gateway or mode than the one it is applied with.
    #[error("the saved plan is for {field} `{planned}`, not `{given}`")]
    PlanMismatch {
        /// What differs (`fleet`, `gateway`, `mode`).
        field: &'static str,
        /// What the plan says.
        planned: String,
        /// What was given.
        given: String,
    },
    /// The plan has conflicts that no write can fix; nothing was written.
    #[error("the plan has {} conflict(s); nothing was written: {}", conflicts.len(), conflicts.join("; "))]
    Conflicts {
        /// One sentence per conflict.
        conflicts: Vec<String>,
    },
    /// The token cannot perform what the plan needs; nothing was written.
    #[error(
        "the token lacks {}: needed for {}; nothing was written",
        missing.join(", "),
        operations.join(", ")
    )]
    InsufficientPermissions {
        /// The permissions the token's scope lacks.
        missing: Vec<String>,
        /// The operations that need them.
        operations: Vec<String>,
    },
    /// A manifest with `targets` was given where one gateway is meant ([`Registry::new`](crate::Registry::new)):
    /// take each target's view with [`Manifest::per_target`](crate::Manifest::per_target), or use
    /// [`apply_targets`](crate::apply_targets).
    #[error(
        "the manifest targets {} gateways ({}); use one target's view (`Manifest::per_target`) or `apply_targets`",
        targets.len(),
        targets.join(", ")
    )]
    SeveralTargets {
        /// The targets' names.
        targets: Vec<String>,
    },
    /// A reference in a client configuration (`${env:NAME}`, `${input:id}`, `${NAME}`) has no value.
    #[error("client configuration: nothing resolves the reference `${{{reference}}}`")]
    UnresolvedReference {
        /// The text inside the braces.
        reference: String,
    },
    /// An apply, a verify or a multi-target apply (`what`) finished with failures (the report has the details).
    #[error("{what}: {failed} of {total} failed; first: {first}")]
    Incomplete {
        /// `apply` or `verify`.
        what: &'static str,
        /// How many steps or checks failed.
        failed: usize,
        /// How many there were.
        total: usize,
        /// The first failure, in one line.
        first: String,
    },
    /// A JSON document (a saved plan, a report) could not be read or written.
    #[error("{context}")]
    Json {
        /// What was being read or written.
        context: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A document could not be written in the requested format.
    #[error("cannot write {what} as {format}: {message}")]
    Encode {
        /// What was being written (`manifest`).
        what: &'static str,
        /// The format (`TOML`).
        format: &'static str,
        /// The writer's message.
        message: String,
    },
    /// A client configuration target is invalid (the field, and why; a value that may be a token is not
    /// shown).
    #[error("client configuration: `{field}` {reason}")]
    InvalidClientTarget {
        /// The field (`name`, `url`, `token_env`).
        field: &'static str,
        /// Why, with the value when it is safe to show.
        reason: String,
    },
    /// A client configuration file does not have the expected shape.
    #[error("client configuration: {message}")]
    ClientConfig {
        /// What is missing or wrong.
        message: String,
    },
    /// The permission catalogue refused the plan's operations (preflight).
    #[cfg(feature = "preflight")]
    #[cfg_attr(docsrs, doc(cfg(feature = "preflight")))]
    #[error("permission audit failed")]
    Audit(#[source] mcpfleet_scope_audit::Error),
    /// A `container:` spec could not be planned.
    #[cfg(feature = "container")]
    #[cfg_attr(docsrs, doc(cfg(feature = "container")))]
    #[error("container of server `{server}`")]
    Container {
        /// The server.
        server: String,
        /// The generator's error (names the field).
        #[source]
        source: mcpfleet_dockerfile_gen::Error,
    },
}

/// A 1-based line and column in a file people write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1 (in characters).
    pub column: usize,
}

/// One problem in a manifest: where, what, and the nearest fix when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Issue {
    /// Field path, e.g. `servers[2].transport`.
    pub path: String,
    /// Position in the file, when the path could be found in it.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// The nearest valid alternative (`name` for `naem`).
    pub suggestion: Option<String>,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean `{suggestion}`?)")?;
        }
        Ok(())
    }
}

/// Every issue found in one file, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManifestErrors {
    /// The file as the caller named it (or `<memory>`).
    pub source_name: String,
    /// The issues, sorted by position.
    pub issues: Vec<Issue>,
}

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.issues.len();
        write!(
            f,
            "{}: {count} problem{}",
            self.source_name,
            if count == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            f.write_str("\n  ")?;
            match issue.location {
                Some(at) => write!(f, "{}:{}:{}: ", self.source_name, at.line, at.column)?,
                None => write!(f, "{}: ", self.source_name)?,
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Which gateway call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GatewayCall {
    /// Reading the registered upstreams.
    ListUpstreams,
    /// Registering an upstream.
    CreateUpstream,
    /// Updating an upstream.
    UpdateUpstream,
    /// Deleting an upstream.
    DeleteUpstream,
    /// Reading the virtual servers.
    ListVirtualServers,
    /// Creating a virtual server.
    CreateVirtualServer,
    /// Updating a virtual server.
    UpdateVirtualServer,
    /// Deleting a virtual server.
    DeleteVirtualServer,
    /// Reading tools.
    ListTools,
    /// Reading the tools a virtual server offers over MCP.
    ListVirtualServerTools,
    /// Calling a tool over `/rpc`.
    CallTool,
    /// Calling a tool through a virtual server's MCP endpoint.
    CallToolViaVirtualServer,
}

impl GatewayCall {
    /// Whether the call writes.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Self::CreateUpstream
                | Self::UpdateUpstream
                | Self::DeleteUpstream
                | Self::CreateVirtualServer
                | Self::UpdateVirtualServer
                | Self::DeleteVirtualServer
        )
    }

    /// A short label (`create upstream`).
    pub fn label(self) -> &'static str {
        match self {
            Self::ListUpstreams => "list upstreams",
            Self::CreateUpstream => "register upstream",
            Self::UpdateUpstream => "update upstream",
            Self::DeleteUpstream => "delete upstream",
            Self::ListVirtualServers => "list virtual servers",
            Self::CreateVirtualServer => "create virtual server",
            Self::UpdateVirtualServer => "update virtual server",
            Self::DeleteVirtualServer => "delete virtual server",
            Self::ListTools => "list tools",
            Self::ListVirtualServerTools => "list virtual server tools",
            Self::CallTool => "call tool",
            Self::CallToolViaVirtualServer => "call tool through a virtual server",
        }
    }
}

/// How a gateway call failed, in the terms the engine decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// 401: no or bad credentials (expired or revoked token).
    Unauthorized,
    /// 403: the token may not do this.
    Forbidden,
    /// 404.
    NotFound,
    /// 409: the name (slug) is taken.
    NameTaken,
    /// 409: the same URL and credentials are registered under another name.
    UrlTaken,
    /// 409: a discovered tool's name collides with an existing tool.
    ToolNameCollision,
    /// Another 409.
    Conflict,
    /// 400/422: the gateway rejected the request body.
    Rejected,
    /// 502 on registration: the gateway could not reach or initialize the upstream.
    UpstreamUnreachable,
    /// 429.
    RateLimited,
    /// 5xx, a timeout, or a connection that broke before the answer: **the call may have taken effect**.
    Ambiguous,
    /// The call reached the gateway, which answered with something unusable (bad body, JSON-RPC error).
    Protocol,
    /// A tool ran and reported failure (`isError`).
    ToolFailed,
}

impl FailureKind {
    /// Whether the gateway may have performed the call although it failed: a write must be looked for before
    /// it is sent again.
    pub fn may_have_applied(self) -> bool {
        matches!(self, Self::Ambiguous)
    }

    /// Whether the gateway refused because something already exists (any 409). When a create is refused so, the
    /// engine looks for the fleet's own registration before reporting a failure: a concurrent apply of the same
    /// fleet may have made it, and ContextForge then answers with whichever of its checks fires first (the name,
    /// the URL or a tool name).
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            Self::NameTaken | Self::UrlTaken | Self::ToolNameCollision | Self::Conflict
        )
    }

    /// Whether trying again later can help.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Ambiguous | Self::RateLimited)
    }
}

/// A failed gateway call: which one, on what, how it failed, and everything the gateway said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub struct GatewayFailure {
    /// The call.
    pub call: GatewayCall,
    /// The upstream, virtual server or tool it was about.
    pub target: Option<String>,
    /// How it failed.
    pub kind: FailureKind,
    /// HTTP status, when the gateway answered.
    pub status: Option<u16>,
    /// The gateway's message (or the transport's).
    pub message: String,
    /// The raw answer body, when there was one.
    pub body: Option<String>,
    /// The underlying error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl GatewayFailure {
    /// A failure without status, body or source.
    pub fn new(call: GatewayCall, kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            call,
            target: None,
            kind,
            status: None,
            message: message.into(),
            body: None,
            source: None,
        }
    }

    /// Names what the call was about.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Records the HTTP status and raw body.
    pub fn answer(mut self, status: u16, body: impl Into<String>) -> Self {
        self.status = Some(status);
        self.body = Some(body.into());
        self
    }

    /// Records the cause.
    pub fn source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for GatewayFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.call.label())?;
        if let Some(target) = &self.target {
            write!(f, " `{target}`")?;
        }
        match self.status {
            Some(status) => write!(f, " failed (HTTP {status}): {}", self.message),
            None => write!(f, " failed: {}", self.message),
        }
    }
}

impl From<GatewayFailure> for Error {
    fn from(failure: GatewayFailure) -> Self {
        Error::Gateway(Box::new(failure))
    }
}

impl Error {
    /// The gateway failure behind this error, if it is one.
    pub fn gateway_failure(&self) -> Option<&GatewayFailure> {
        match self {
            Error::Gateway(failure) => Some(failure),
            _ => None,
        }
    }

    /// The manifest issues behind this error, if it is a manifest error.
    pub fn issues(&self) -> &[Issue] {
        match self {
            Error::Manifest(errors) => &errors.issues,
            _ => &[],
        }
    }
}
