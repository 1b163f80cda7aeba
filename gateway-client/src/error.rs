//! The crate's one error type, and the details the gateway gave when it said "no".

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::types::ToolResult;

/// Everything that can go wrong talking to a ContextForge gateway.
///
/// Every variant that the gateway itself answered keeps an [`ApiError`] with the HTTP status, the request
/// and the raw body. `Display` names what failed and where; it never contains the bearer token.
///
/// How HTTP answers map onto variants:
///
/// | answer | variant |
/// |---|---|
/// | 400 | [`Error::BadRequest`] |
/// | 401 | [`Error::Unauthorized`] |
/// | 403 | [`Error::Forbidden`] |
/// | 404 | [`Error::NotFound`] |
/// | 409 | [`Error::Conflict`] (duplicate gateway name or URL, duplicate server name) |
/// | 422 | [`Error::Validation`] (with [`ApiError::field_errors`]) |
/// | 429 | [`Error::RateLimited`] (with [`ApiError::retry_after`]) |
/// | 502 from registering or updating a gateway | [`Error::UpstreamUnreachable`] |
/// | other 5xx | [`Error::Server`] |
/// | anything else that is not a success | [`Error::UnexpectedStatus`] |
/// | HTTP 200 carrying a JSON-RPC `error` (`POST /rpc`, MCP endpoint) | [`Error::JsonRpc`] |
/// | a tool result with `isError: true` | [`Error::ToolFailed`] |
/// | a body larger than [`crate::ClientBuilder::max_response_bytes`], whatever the status | [`Error::ResponseTooLarge`] |
/// | no complete answer within the timeout (also a body that trickles or never ends) | [`Error::Timeout`] |
/// | no answer at all: refused, DNS, TLS, connection closed | [`Error::Transport`] (with a [`TransportKind`]) |
/// | a redirect of a write, to another origin, in a loop, or past [`crate::MAX_REDIRECTS`] | [`Error::Redirect`] |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be built: a bad base URL, certificate or header value.
    #[error("invalid gateway client configuration: {message}")]
    Config {
        /// What is wrong, naming the setting.
        message: String,
    },

    /// A request could not be built from the caller's input (for example tool arguments that are not a JSON
    /// object). Nothing was sent.
    #[error("invalid request for `{operation}`: {message}")]
    #[non_exhaustive]
    InvalidRequest {
        /// The operation id (see [`crate::Operation`]).
        operation: &'static str,
        /// What is wrong with the input.
        message: String,
    },

    /// A string that is not one of [`crate::Operation`]'s ids.
    #[error("`{id}` is not a gateway operation id")]
    UnknownOperation {
        /// The string given.
        id: String,
    },

    /// 400: the gateway rejected the request (for example a duplicate API-token name, or a token without an
    /// expiry; the gateway's detail is often sanitized).
    #[error("bad request: {0}")]
    BadRequest(Box<ApiError>),

    /// 401: no token, a malformed, expired, wrongly signed or revoked token, or a user unknown to the gateway.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),

    /// 403: the token is valid but lacks the permission, or a scoped API token called an endpoint that is not
    /// mapped to one of its permissions.
    #[error("forbidden: {0}")]
    Forbidden(Box<ApiError>),

    /// 404: no such gateway, server, tool or token.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),

    /// 409: a gateway with that name or URL, or a server with that name, already exists.
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),

    /// 422: the body failed validation; see [`ApiError::field_errors`].
    #[error("validation failed: {0}")]
    Validation(Box<ApiError>),

    /// 429: the gateway's rate limiter refused the request; see [`ApiError::retry_after`].
    #[error("rate limited: {0}")]
    RateLimited(Box<ApiError>),

    /// 502 while registering or updating a gateway: the gateway could not reach the upstream MCP server or
    /// its MCP handshake failed. Never retried.
    #[error("upstream MCP server unreachable: {0}")]
    UpstreamUnreachable(Box<ApiError>),

    /// Any other 5xx.
    #[error("gateway server error: {0}")]
    Server(Box<ApiError>),

    /// A status this client does not expect for the operation.
    #[error("unexpected answer: {0}")]
    UnexpectedStatus(Box<ApiError>),

    /// The request did not complete within the configured timeout (or the connect timeout).
    #[error("{method} {url} timed out")]
    #[non_exhaustive]
    Timeout {
        /// HTTP method.
        method: Method,
        /// Path of the request.
        path: String,
        /// The URL requested, with its query and without credentials.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The answer's body was larger than [`crate::ClientBuilder::max_response_bytes`]; reading stopped at the
    /// limit and nothing of it is kept.
    #[error(
        "the {status} answer to {method} {path} is larger than the {limit}-byte response limit"
    )]
    #[non_exhaustive]
    ResponseTooLarge {
        /// HTTP method.
        method: Method,
        /// Path of the request.
        path: String,
        /// The status the gateway answered with.
        status: StatusCode,
        /// The limit in force, in bytes.
        limit: usize,
    },

    /// The request never got a complete HTTP answer: connection refused, DNS or TLS failure, a connection
    /// closed mid-answer… [`TransportKind`] says which; the source chain keeps the details (the OS error, the
    /// resolver's or rustls's message).
    #[error("{method} {url} failed: {kind}")]
    #[non_exhaustive]
    Transport {
        /// HTTP method.
        method: Method,
        /// Path of the request.
        path: String,
        /// The URL requested, with its query and without credentials.
        url: String,
        /// What kind of failure, read from the source chain.
        kind: TransportKind,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The gateway answered with a redirect the client does not follow: any redirect of a write (`POST`, `PUT`,
    /// `PATCH`, `DELETE`), any redirect to another origin, a loop, or more than [`crate::MAX_REDIRECTS`]. Nothing
    /// was sent to where it points: not the request, its body, nor the `Authorization` header.
    #[error(
        "{method} {path} was redirected ({status}) to {}; not followed: {reason}",
        .location.as_deref().unwrap_or("nowhere usable")
    )]
    #[non_exhaustive]
    Redirect {
        /// HTTP method.
        method: Method,
        /// Path of the request.
        path: String,
        /// The redirect's status: 301, 302, 303, 307 or 308.
        status: StatusCode,
        /// Where it pointed, resolved against the request's URL, without credentials, query or fragment;
        /// `None` when the answer had no usable `Location` header.
        location: Option<String>,
        /// Why it was not followed.
        reason: RedirectReason,
    },

    /// The gateway answered with a success status, but the body did not have the expected shape.
    #[error(
        "could not decode the {} answer to {} {} at JSON path `{}`",
        .context.status, .context.method, .context.path, .context.json_path
    )]
    #[non_exhaustive]
    Decode {
        /// Where and what: request, status, JSON path and the raw body.
        context: Box<DecodeContext>,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },

    /// The gateway answered a JSON-RPC request with an `error` object (HTTP 200 on `POST /rpc`), for example
    /// `-32601` unknown tool, `-32603` arguments that fail the input schema, `-32003` access denied.
    #[error("{0}")]
    JsonRpc(Box<JsonRpcError>),

    /// The tool ran but reported failure (`isError: true`): it raised, its upstream was down, or (on the MCP
    /// endpoint) the tool is unknown or its arguments were invalid.
    #[error("{0}")]
    ToolFailed(Box<ToolFailure>),

    /// A paginated listing returned a cursor it had already returned; following it would never end.
    #[error("pagination of {path} looped: the gateway returned cursor `{cursor}` twice")]
    #[non_exhaustive]
    PaginationLoop {
        /// The listing's path.
        path: String,
        /// The repeated cursor.
        cursor: String,
    },

    /// A paginated listing still had a next page after [`crate::ListBuilder::max_pages`] (or
    /// [`crate::TokenListBuilder::max_pages`]) pages, default [`crate::DEFAULT_MAX_PAGES`]: a gateway that never
    /// stops handing out new cursors cannot keep the client listing forever.
    #[error(
        "listing {path} stopped at the {pages}-page limit: the gateway still announced another page"
    )]
    #[non_exhaustive]
    TooManyPages {
        /// The listing's path.
        path: String,
        /// How many pages were fetched (the limit).
        pages: u32,
    },

    /// [`crate::Tools::resolve`] found no tool with that original name on that gateway.
    #[error("gateway `{gateway_id}` has no tool whose original name is `{original_name}`")]
    ToolNotResolved {
        /// The gateway searched.
        gateway_id: String,
        /// The upstream tool name looked for.
        original_name: String,
    },

    /// The MCP session (feature `mcp`) failed below the JSON-RPC layer: initialization or transport.
    #[cfg(feature = "mcp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
    #[error("MCP session with {endpoint} failed while {stage}")]
    #[non_exhaustive]
    Mcp {
        /// The MCP endpoint URL (never contains the token).
        endpoint: String,
        /// What the session was doing: "initializing", "calling tool `x`", "listing tools".
        stage: String,
        /// The rmcp error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// The gateway's answer, for every variant the gateway answered over HTTP with a non-success status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Validation(e)
            | Error::RateLimited(e)
            | Error::UpstreamUnreachable(e)
            | Error::Server(e)
            | Error::UnexpectedStatus(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status the gateway answered with, where it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { context, .. } => Some(context.status),
            Error::JsonRpc(e) => Some(e.status),
            Error::ResponseTooLarge { status, .. } | Error::Redirect { status, .. } => {
                Some(*status)
            }
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The raw body of the gateway's answer, where it answered (see [`DecodeContext::body`] for the one
    /// exception).
    pub fn body(&self) -> Option<&str> {
        match self {
            Error::Decode { context, .. } => Some(&context.body),
            Error::JsonRpc(e) => Some(&e.body),
            Error::ToolFailed(e) => e.body.as_deref(),
            _ => self.api_error().map(|e| e.body.as_str()),
        }
    }

    /// Whether the retry policy may repeat an idempotent request that failed this way: connect errors, 429,
    /// 502, 503 and 504. (A 502 from registering a gateway is [`Error::UpstreamUnreachable`] and is not
    /// retryable.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_connect(),
            Error::RateLimited(_) => true,
            Error::Server(e) => matches!(e.status.as_u16(), 502..=504),
            _ => false,
        }
    }

    /// What kind of transport failure this is: [`TransportKind::Timeout`] for [`Error::Timeout`], the kind of an
    /// [`Error::Transport`]; `None` for every error the gateway answered.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            Error::Timeout { .. } => Some(TransportKind::Timeout),
            Error::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }
}

/// What the gateway answered when it refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// HTTP method of the request.
    pub method: Method,
    /// Path of the request (no query string, never a token).
    pub path: String,
    /// The gateway's message: `detail` (a string), `message`, or `error`; for 422 the field errors joined.
    pub message: String,
    /// For 422: one entry per failing field.
    pub field_errors: Vec<FieldError>,
    /// The `Retry-After` header, when the gateway sent one in seconds.
    pub retry_after: Option<Duration>,
    /// The raw body.
    pub body: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.path, self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Builds the error from an answer, reading the three error-body shapes ContextForge uses:
    /// `{"detail":"…"}`, `{"detail":[{"type","loc","msg"}]}` and `{"message":"…"}` (plus the rate
    /// limiter's `{"error":"…","message":"…"}`).
    pub(crate) fn from_answer(
        status: StatusCode,
        method: Method,
        path: String,
        retry_after: Option<Duration>,
        body: String,
    ) -> Self {
        let (message, field_errors) = parse_error_body(&body);
        ApiError {
            status,
            method,
            path,
            message,
            field_errors,
            retry_after,
            body,
        }
    }
}

/// One failing field of a 422 answer (`{"type","loc","msg"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FieldError {
    /// Where: e.g. `["body", "url"]`.
    #[serde(default, deserialize_with = "loc_as_strings")]
    pub loc: Vec<String>,
    /// The validator's message, e.g. `Field required`.
    #[serde(default)]
    pub msg: String,
    /// The pydantic error type, e.g. `missing`, `value_error`.
    #[serde(default, rename = "type")]
    pub kind: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.is_empty() {
            f.write_str(&self.msg)
        } else {
            write!(f, "{}: {}", self.loc.join("."), self.msg)
        }
    }
}

fn loc_as_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let values = Vec::<Value>::deserialize(d)?;
    Ok(values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

fn parse_error_body(body: &str) -> (String, Vec<FieldError>) {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else {
        // Not JSON (a proxy's HTML page, an empty body): keep a short excerpt as the message.
        let excerpt: String = body.trim().chars().take(200).collect();
        return (excerpt, Vec::new());
    };
    match map.get("detail") {
        Some(Value::String(s)) => return (s.clone(), Vec::new()),
        Some(detail @ Value::Array(_)) => {
            let fields: Vec<FieldError> =
                serde_json::from_value(detail.clone()).unwrap_or_default();
            let message = fields
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return (message, fields);
        }
        _ => {}
    }
    for key in ["message", "error"] {
        if let Some(Value::String(s)) = map.get(key) {
            return (s.clone(), Vec::new());
        }
    }
    // JSON-RPC error envelope (`POST /rpc` answers 400 to a body that is not JSON).
    if let Some(Value::Object(err)) = map.get("error")
        && let Some(Value::String(s)) = err.get("message")
    {
        return (s.clone(), Vec::new());
    }
    (String::new(), Vec::new())
}

/// Where a successful answer failed to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeContext {
    /// HTTP method of the request.
    pub method: Method,
    /// Path of the request.
    pub path: String,
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The JSON path that failed, e.g. `gateways[3].url` (`.` for the whole document).
    pub json_path: String,
    /// The raw body; replaced by a redaction notice for answers that carry a new credential
    /// (`auth.login`, `tokens.create`).
    pub body: String,
}

/// A JSON-RPC `error` object returned inside an HTTP 200 answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JsonRpcError {
    /// The JSON-RPC method called, e.g. `tools/call`.
    pub rpc_method: String,
    /// The tool called, for `tools/call`.
    pub tool: Option<String>,
    /// JSON-RPC error code: `-32601` method or tool not found, `-32603` internal error (the gateway's answer
    /// to arguments that fail the input schema), `-32003` access denied, `-32700` parse error.
    pub code: i64,
    /// The error message.
    pub message: String,
    /// The optional `data` member.
    pub data: Option<Value>,
    /// HTTP status (200 on `/rpc`).
    pub status: StatusCode,
    /// The raw body.
    pub body: String,
}

impl JsonRpcError {
    /// JSON-RPC "method not found"; the gateway also uses it for an unknown or inactive tool.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// JSON-RPC "invalid params".
    pub const INVALID_PARAMS: i64 = -32602;
    /// JSON-RPC "internal error"; the gateway's answer to arguments that fail the tool's input schema.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// ContextForge's "access denied" (the caller lacks `tools.execute` in the team context).
    pub const ACCESS_DENIED: i64 = -32003;
}

impl fmt::Display for JsonRpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON-RPC `{}`", self.rpc_method)?;
        if let Some(tool) = &self.tool {
            write!(f, " of tool `{tool}`")?;
        }
        write!(f, " failed with code {}: {}", self.code, self.message)
    }
}

/// A tool call whose result had `isError: true`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolFailure {
    /// The tool called (its gateway name).
    pub tool: String,
    /// The full result; its `content` usually carries the reason as text.
    pub result: ToolResult,
    /// The raw body, when the call went through `POST /rpc`.
    pub body: Option<String>,
}

impl fmt::Display for ToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tool `{}` reported an error", self.tool)?;
        let text = self.result.text();
        if !text.is_empty() {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

/// What kind of failure kept a request from getting an answer ([`Error::Transport`], [`Error::transport_kind`]),
/// read from the error's source chain so that callers can react (retry a refused connection, fix a host name,
/// check a certificate) without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// Nothing listens at the address (`ECONNREFUSED`).
    ConnectionRefused,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed: an untrusted or invalid certificate, or no TLS at all on the other end.
    Tls,
    /// The connect timeout or the whole-request timeout passed ([`Error::Timeout`]).
    Timeout,
    /// The connection was reset or closed before the answer was complete.
    ConnectionClosed,
    /// Anything else; the source chain says what.
    Other,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::ConnectionRefused => "connection refused",
            TransportKind::Dns => "DNS resolution failed",
            TransportKind::Tls => "TLS failed",
            TransportKind::Timeout => "timed out",
            TransportKind::ConnectionClosed => "connection closed before the answer was complete",
            TransportKind::Other => "transport error",
        })
    }
}

impl TransportKind {
    /// Walks reqwest's error and its sources (hyper, hyper-util, io, rustls) for the first thing that names
    /// the failure.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            return TransportKind::Timeout;
        }
        // reqwest wraps every resolver's error in its own DNS error, which this finds.
        if error.is_dns() {
            return TransportKind::Dns;
        }
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(err) = next {
            if is_tls(err) {
                return TransportKind::Tls;
            }
            // hyper's `IncompleteMessage`, by its message: this crate does not depend on hyper to downcast it.
            if err.to_string() == "connection closed before message completed" {
                return TransportKind::ConnectionClosed;
            }
            next = match err.downcast_ref::<std::io::Error>() {
                Some(io) => {
                    match io.kind() {
                        std::io::ErrorKind::ConnectionRefused => {
                            return TransportKind::ConnectionRefused;
                        }
                        std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof => {
                            return TransportKind::ConnectionClosed;
                        }
                        _ => {}
                    }
                    // An io::Error's `source` skips the error it wraps (where rustls's errors are); go through it.
                    match io.get_ref() {
                        Some(inner) => Some(inner),
                        None => err.source(),
                    }
                }
                None => err.source(),
            };
        }
        TransportKind::Other
    }
}

#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
fn is_tls(err: &(dyn std::error::Error + 'static)) -> bool {
    err.is::<rustls::Error>()
}

/// Without a TLS backend there is no TLS to fail (an `https://` base URL is refused at build time).
#[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
fn is_tls(_: &(dyn std::error::Error + 'static)) -> bool {
    false
}

/// Why the client did not follow a redirect ([`Error::Redirect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectReason {
    /// It points to another origin (scheme, host or port), which must never get the request, its body (an
    /// upstream's credentials) or the bearer token.
    CrossOrigin,
    /// The request is a write (`POST`, `PUT`, `PATCH`, `DELETE`): it is sent once, to the URL the caller chose.
    Write,
    /// It points back to a URL this request already visited.
    Loop,
    /// [`crate::MAX_REDIRECTS`] redirects were followed already, and this is one more.
    TooMany,
    /// It has no `Location` header, or one that is not a URL.
    NoLocation,
}

impl fmt::Display for RedirectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RedirectReason::CrossOrigin => "it points to another origin",
            RedirectReason::Write => "a write is never re-sent",
            RedirectReason::Loop => "it loops back to a URL already requested",
            RedirectReason::TooMany => "too many redirects",
            RedirectReason::NoLocation => "it has no valid Location header",
        })
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_detail_string() {
        let (m, f) = parse_error_body(r#"{"detail":"Gateway not found: x"}"#);
        assert_eq!(m, "Gateway not found: x");
        assert!(f.is_empty());
    }

    #[test]
    fn reads_validation_list() {
        let (m, f) = parse_error_body(
            r#"{"detail":[{"type":"missing","loc":["body","url"],"msg":"Field required"},{"type":"x","loc":["body","tags",0],"msg":"bad"}]}"#,
        );
        assert_eq!(m, "body.url: Field required; body.tags.0: bad");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].kind, "missing");
        assert_eq!(f[1].loc, vec!["body", "tags", "0"]);
    }

    #[test]
    fn reads_message_and_rate_limit_and_rpc_shapes() {
        assert_eq!(
            parse_error_body(r#"{"message":"Gateway already exists"}"#).0,
            "Gateway already exists"
        );
        assert_eq!(
            parse_error_body(r#"{"error":"Rate limit exceeded","message":"Maximum 30"}"#).0,
            "Maximum 30"
        );
        assert_eq!(
            parse_error_body(
                r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}"#
            )
            .0,
            "Parse error"
        );
        assert_eq!(
            parse_error_body("<html>bad gateway</html>").0,
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn error_stays_small() {
        // Keeps `Result<T, Error>` cheap to move (clippy::result_large_err).
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
