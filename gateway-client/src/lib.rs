//! A typed async client for the [IBM ContextForge](https://github.com/IBM/mcp-context-forge) MCP gateway
//! (1.1.0) REST API: register upstream MCP servers, bundle their tools into virtual servers, mint
//! least-privilege API tokens, audit roles, and call tools, with every way the gateway says "no" mapped to
//! a typed [`Error`].
//!
//! # Tour
//!
//! Build a [`Client`] once (it is a cheap `Clone`), then work through one handle per resource. Every
//! method documents its **operation id** (the stable strings of [`Operation`], shared with
//! `mcpfleet-scope-audit`) and the permission it needs.
//!
//! ## Connecting
//!
//! ```no_run
//! use std::time::Duration;
//! use mcpfleet_gateway_client::Client;
//!
//! # async fn run() -> mcpfleet_gateway_client::Result<()> {
//! // Explicit configuration…
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:4444")
//!     .bearer_token(std::env::var("MCPGATEWAY_BEARER_TOKEN").unwrap_or_default())
//!     .timeout(Duration::from_secs(30))
//!     .build()?;
//! // …or the gateway's own conventions: MCPGATEWAY_URL and MCPGATEWAY_BEARER_TOKEN.
//! let client = Client::from_env()?;
//! println!("{}", client.health().await?.status);
//! println!("ContextForge {}", client.version().await?.app.version);
//! # Ok(()) }
//! ```
//!
//! ## Gateways: `client.gateways()`
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use mcpfleet_gateway_client::{Client, Error, GatewayCreate, GatewayUpdate, Transport};
//!
//! # async fn run(client: Client) -> mcpfleet_gateway_client::Result<()> {
//! let created = client
//!     .gateways()
//!     .create(&GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp").transport(Transport::StreamableHttp))
//!     .await;
//! let gateway = match created {
//!     Ok(gateway) => gateway,
//!     Err(Error::Conflict(api)) => panic!("already registered: {}", api.message),
//!     Err(Error::UpstreamUnreachable(api)) => panic!("cannot reach it: {}", api.message),
//!     Err(other) => return Err(other),
//! };
//! client.gateways().update(&gateway.id, &GatewayUpdate::new().description("small utilities")).await?;
//! let report = client.gateways().refresh_tools(&gateway.id).await?;
//! println!("{} tools added", report.tools_added);
//! client.gateways().disable(&gateway.id).await?;
//! client.gateways().enable(&gateway.id).await?;
//!
//! // One page, every page as a stream, or everything collected:
//! let page = client.gateways().list().limit(10).send().await?;
//! let mut all = std::pin::pin!(client.gateways().list().stream());
//! while let Some(gateway) = all.try_next().await? {
//!     println!("{} → {}", gateway.name, gateway.url);
//! }
//! let everything = client.gateways().list().include_inactive(true).all().await?;
//! client.gateways().delete(&gateway.id).await?;
//! # let _ = (page, everything); Ok(()) }
//! ```
//!
//! ## Tools: `client.tools()`
//!
//! ```no_run
//! use mcpfleet_gateway_client::{Client, Error};
//! use serde_json::json;
//!
//! # async fn run(client: Client, gateway_id: &str) -> mcpfleet_gateway_client::Result<()> {
//! // Find a tool by what the upstream calls it, not by guessing the gateway's slug rule.
//! let add = client.tools().resolve(gateway_id, "add").await?;
//! let result = client.tools().call(&add.name, &json!({"a": 2, "b": 3})).await?;
//! assert_eq!(result.text(), "5");
//! match client.tools().call("no-such-tool", &json!({})).await {
//!     Err(Error::JsonRpc(rpc)) => assert_eq!(rpc.code, -32601),
//!     Err(Error::ToolFailed(failure)) => println!("tool failed: {}", failure.result.text()),
//!     other => println!("{other:?}"),
//! }
//! let of_gateway = client.tools().list_by_gateway(gateway_id).all().await?;
//! # let _ = of_gateway; Ok(()) }
//! ```
//!
//! ## Virtual servers: `client.servers()`
//!
//! ```no_run
//! use mcpfleet_gateway_client::{Client, ServerCreate, ServerUpdate};
//!
//! # async fn run(client: Client, tool_id: &str) -> mcpfleet_gateway_client::Result<()> {
//! let server = client.servers().create(&ServerCreate::new("fleet").tool_ids([tool_id])).await?;
//! println!("MCP endpoint: {}", client.servers().mcp_url(&server.id)?);
//! let tools = client.servers().tools(&server.id).await?;
//! client.servers().update(&server.id, &ServerUpdate::new().description("the fleet")).await?;
//! client.servers().delete(&server.id).await?;
//! # let _ = tools; Ok(()) }
//! ```
//!
//! With the `mcp` feature, [`Servers::connect_mcp`] opens an MCP session on that endpoint with the
//! official Rust SDK (`rmcp`) and calls tools the way an MCP client would.
//!
//! ## Tokens: `client.tokens()`
//!
//! ```no_run
//! use mcpfleet_gateway_client::{Client, TokenCreate};
//!
//! # async fn run(client: Client, server_id: &str) -> mcpfleet_gateway_client::Result<()> {
//! // Token management needs an interactive session or CLI JWT, never an API token.
//! let created = client
//!     .tokens()
//!     .create(&TokenCreate::new("fleet-caller").expires_in_days(30).permissions(["tools.execute"]).server_id(server_id))
//!     .await?;
//! let caller = client.with_token(created.expose_token());
//! let mine = client.tokens().list().all().await?;
//! client.tokens().revoke(&created.token.id).await?;
//! # let _ = (caller, mine); Ok(()) }
//! ```
//!
//! ## RBAC and auth: `client.rbac()`, `client.auth()`
//!
//! ```no_run
//! # async fn run(client: mcpfleet_gateway_client::Client) -> mcpfleet_gateway_client::Result<()> {
//! let me = client.auth().me().await?;
//! let permissions = client.rbac().my_permissions().await?;
//! let roles = client.rbac().my_roles().await?;
//! let catalogue = client.rbac().available_permissions().await?;
//! let all_roles = client.rbac().roles().await?;
//! let session = client.auth().login("dev@example.com", "a long passphrase").await?;
//! # let _ = (me, permissions, roles, catalogue, all_roles, session); Ok(()) }
//! ```
//!
//! # Endpoints that refuse scoped API tokens
//!
//! A ContextForge API token whose scope lists permissions is denied (403) on every path not mapped to one
//! of them, including "who am I": [`Auth::me`], all of [`Rbac`]`::my_*`, and `/v1/auth/validate`. **All of
//! [`Tokens`] refuses every API token**, whatever its scope ("Token management requires an interactive
//! session"): use [`Auth::login`] or a CLI-minted JWT. An API token's effective rights are its scope
//! intersected with its user's roles; no endpoint reports that intersection.
//!
//! # Errors
//!
//! [`Error`] has one variant per way the gateway refuses (401, 403, 404, 409, 422, 429, 502 on register,
//! 5xx), plus JSON-RPC errors and failed tools (both HTTP 200 on the wire), timeouts, transport failures,
//! refused redirects, runaway listings and decode failures (with the JSON path and the raw body). Every
//! answered error keeps the status and the raw body ([`ApiError`]).
//!
//! A request that got no answer is [`Error::Timeout`] or [`Error::Transport`], whose message names the method,
//! the full URL (never credentials) and a [`TransportKind`] read from the cause chain — connection refused, DNS
//! resolution failed, TLS failed, timed out, connection closed, other — and whose `source()` chain keeps
//! reqwest's, hyper's, the OS's or rustls's own words. [`Error::transport_kind`] gives the kind to match on.
//!
//! # Redirects
//!
//! The client follows a redirect only when nothing can leak: a `GET` or `HEAD`, to the same origin (scheme,
//! host and port), at most [`MAX_REDIRECTS`] times, never back to a URL already requested. Any other redirect
//! is [`Error::Redirect`], naming the method, path, status, where it pointed (without credentials or query)
//! and the [`RedirectReason`]; nothing is sent there — a write's body, which can carry an upstream's
//! credentials, and the bearer token stay where the caller sent them. reqwest never follows redirects itself:
//! the client the builder makes has `redirect::Policy::none()`, and [`ClientBuilder::http_client`] refuses a
//! `reqwest::Client` without it.
//!
//! # Listings
//!
//! [`ListBuilder::stream`] and [`ListBuilder::all`] follow the gateway's cursors, and stop with
//! [`Error::PaginationLoop`] when a cursor repeats and with [`Error::TooManyPages`] when another page is still
//! announced after [`ListBuilder::max_pages`] pages (default [`DEFAULT_MAX_PAGES`]), so a gateway that hands out
//! new cursors forever costs at most that many requests. [`TokenListBuilder::all`] has the same cap.
//!
//! # Retries
//!
//! Idempotent requests (`GET`, `PUT`, `DELETE`) are retried with exponential backoff and jitter after
//! connect errors, 429 (honouring `Retry-After`) and 502/503/504. `POST` (creates, tool calls, state
//! changes) is never retried. See [`RetryPolicy`].
//!
//! # Tracing
//!
//! Every request runs in a `gateway_request` debug span with `operation`, `method`, `path`, `status`,
//! `attempts` and `elapsed_ms`. The token is never a field, and no `Debug` or `Display` in this crate
//! prints it.
//!
//! # Features
//!
//! - `mcp`: [`Servers::connect_mcp`] and [`McpSession`], on the official Rust MCP SDK.
//! - `tls-aws-lc` (default): HTTPS through rustls with the `aws-lc-rs` provider (reqwest's own default), which
//!   compiles the AWS-LC C library.
//! - `tls-ring`: HTTPS through rustls with `ring`, a lighter build (`default-features = false, features =
//!   ["tls-ring"]`; the cold-build figures are in the repository's `BENCHMARKS.md`). With `tls-aws-lc` off, the
//!   first client built makes `ring` the process's default rustls provider unless the program installed one.
//!
//! With neither TLS feature the client speaks plain HTTP only, and [`ClientBuilder::build`] refuses an
//! `https://` base URL by naming the features.
//!
//! # Bounded answers
//!
//! A gateway (or whatever answers in its place) cannot make the client hold more than
//! [`ClientBuilder::max_response_bytes`] (default 16 MiB) of body per request in flight, nor wait longer than
//! the whole-request timeout (default 60 s) for a body that trickles or never ends: those are
//! [`Error::ResponseTooLarge`] and [`Error::Timeout`]. Wrong types, HTML error pages and truncated JSON are
//! [`Error::Decode`] (with the JSON path) or the status's own variant, keeping the raw body.
//!
//! # Why each dependency
//!
//! - `reqwest` (rustls): HTTP client with connection pooling and TLS; also what `rmcp` uses, so the MCP
//!   session shares the pool.
//! - `rustls` (with either TLS feature): to recognise a TLS failure in a cause chain ([`TransportKind::Tls`]);
//!   with `tls-ring`, to install `ring` as the crypto provider reqwest then uses.
//! - `serde`, `serde_json`: request bodies are serde structs; answers decode into typed structs.
//! - `serde_path_to_error`: a decode error names the JSON path that failed, not just a line and column.
//! - `thiserror`: the one error enum without hand-written `Display`/`source` boilerplate.
//! - `backon`: maintained retry/backoff with jitter and a hook to honour `Retry-After`.
//! - `tokio` (`time` only): backoff sleeps and MCP timeouts.
//! - `futures-util`: the `Stream` returned by [`ListBuilder::stream`].
//! - `secrecy`: the bearer token and returned JWTs live in `SecretString`, redacted in `Debug`.
//! - `schemars`: request bodies derive `JsonSchema`, so tools can validate fleet files against them.
//! - `tracing`: one span per request for whoever installs a subscriber; no output otherwise.
//! - `url`: validates the base URL once, at build time.
//! - `rmcp` (optional, `mcp`): the official MCP SDK, so the MCP protocol is not re-implemented here.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
mod error;
#[cfg(feature = "mcp")]
mod mcp;
mod operation;
mod pagination;
mod redirect;
mod retry;
mod types;

pub use api::{Auth, Gateways, Rbac, Servers, TokenListBuilder, Tokens, Tools};
pub use client::{
    Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_URL,
    ENV_BEARER_TOKEN, ENV_URL,
};
pub use error::{
    ApiError, DecodeContext, Error, FieldError, JsonRpcError, RedirectReason, Result, ToolFailure,
    TransportKind,
};
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub use mcp::McpSession;
pub use operation::Operation;
pub use pagination::{DEFAULT_MAX_PAGES, ListBuilder, Page};
pub use redirect::MAX_REDIRECTS;
pub use retry::RetryPolicy;
pub use types::{
    AppInfo, AuthHeader, AuthType, AvailablePermissions, Content, Extra, GatewayCreate,
    GatewayRead, GatewayUpdate, Health, RefreshReport, RoleAssignmentRead, RoleRead, RpcTool,
    Sensitive, ServerCreate, ServerRead, ServerUpdate, Session, StateChange, StatusMessage, Tag,
    TokenCreate, TokenCreated, TokenInfo, TokenList, TokenScopeRequest, ToolRead, ToolResult,
    Transport, User, VersionInfo, Visibility,
};

/// Re-exported so callers can hold tokens the way this crate does without adding `secrecy` themselves.
pub use secrecy::{ExposeSecret, SecretString};
