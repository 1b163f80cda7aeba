//! The client, its builder, and the one place where requests are sent, retried, traced and mapped to errors.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::Retryable;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::api::{Auth, Gateways, Rbac, Servers, Tokens, Tools};
use crate::error::{ApiError, DecodeContext, Error, Result, TransportKind};
use crate::operation::Operation;
use crate::redirect;
use crate::retry::RetryPolicy;
use crate::types::{Health, VersionInfo};

/// Environment variable [`Client::from_env`] reads the gateway's base URL from.
pub const ENV_URL: &str = "MCPGATEWAY_URL";
/// Environment variable [`Client::from_env`] reads the bearer token from (the name ContextForge's own docs
/// use for it).
pub const ENV_BEARER_TOKEN: &str = "MCPGATEWAY_BEARER_TOKEN";
/// Base URL [`Client::from_env`] uses when [`ENV_URL`] is unset: the gateway's default listen address.
pub const DEFAULT_URL: &str = "http://localhost:4444";

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for [`ClientBuilder::pool_idle_timeout`]: 4 s, below the 5 s for which uvicorn (ContextForge's server)
/// keeps an idle connection open. A client that keeps it longer can send a request on a connection the gateway is
/// closing at that moment, and a POST that fails that way cannot be retried safely.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Default for [`ClientBuilder::max_response_bytes`]: 16 MiB, far above any ContextForge answer (a page of 100
/// tools with their schemas is tens of kilobytes) and small enough that a runaway body cannot exhaust memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
const DEFAULT_USER_AGENT: &str = concat!("mcpfleet-gateway-client/", env!("CARGO_PKG_VERSION"));

/// A ContextForge gateway client. Cheap to clone: clones share one connection pool.
///
/// Build one with [`Client::builder`] or [`Client::from_env`], then use a resource handle:
/// [`Client::gateways`], [`Client::servers`], [`Client::tools`], [`Client::tokens`], [`Client::rbac`],
/// [`Client::auth`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Base URL without a trailing slash; paths are appended to it (so a gateway behind a path prefix works).
    base: String,
    token: Option<SecretString>,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    max_response_bytes: usize,
    user_agent: HeaderValue,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("token", &self.inner.token.as_ref().map(|_| "[REDACTED]"))
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder; [`ClientBuilder::base_url`] is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured the way ContextForge's own tools are:
    ///
    /// - `MCPGATEWAY_URL` ([`ENV_URL`]): the gateway's base URL, e.g. `http://localhost:4444`; defaults to
    ///   [`DEFAULT_URL`] when unset.
    /// - `MCPGATEWAY_BEARER_TOKEN` ([`ENV_BEARER_TOKEN`]): the JWT, e.g. from
    ///   `python -m mcpgateway.utils.create_jwt_token`; without it only [`Client::health`] and
    ///   [`crate::Auth::login`] work.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = lookup(ENV_URL)
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_URL.to_owned());
        let mut builder = Client::builder().base_url(url);
        if let Some(token) = lookup(ENV_BEARER_TOKEN)
            && !token.trim().is_empty()
        {
            builder = builder.bearer_token(token.trim());
        }
        builder.build()
    }

    /// The same client (same connection pool and settings) acting with another token, e.g. a session from
    /// [`crate::Auth::login`] or an API token from [`crate::Tokens::create`]. A token that is not a valid
    /// HTTP header value makes every request fail with [`Error::InvalidRequest`] before anything is sent.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                base: self.inner.base.clone(),
                token: Some(SecretString::from(token.into())),
                retry: self.inner.retry.clone(),
                timeout: self.inner.timeout,
                max_response_bytes: self.inner.max_response_bytes,
                user_agent: self.inner.user_agent.clone(),
            }),
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Upstream MCP servers registered with the gateway.
    pub fn gateways(&self) -> Gateways<'_> {
        Gateways::new(self)
    }

    /// Virtual servers.
    pub fn servers(&self) -> Servers<'_> {
        Servers::new(self)
    }

    /// Tools, and calling them.
    pub fn tools(&self) -> Tools<'_> {
        Tools::new(self)
    }

    /// API tokens.
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens::new(self)
    }

    /// Roles and permissions.
    pub fn rbac(&self) -> Rbac<'_> {
        Rbac::new(self)
    }

    /// The current user and e-mail login.
    pub fn auth(&self) -> Auth<'_> {
        Auth::new(self)
    }

    /// `GET /health`: liveness, no token needed.
    ///
    /// Operation id: `health`.
    pub async fn health(&self) -> Result<Health> {
        self.execute(Request::new(Operation::Health, Method::GET, "/health".into()).anonymous())
            .await
    }

    /// `GET /v1/version`: application and protocol versions. Slow on the gateway (it samples CPU for
    /// about half a second); use [`Client::health`] for readiness.
    ///
    /// Operation id: `version`.
    pub async fn version(&self) -> Result<VersionInfo> {
        self.execute(Request::new(
            Operation::Version,
            Method::GET,
            "/v1/version".into(),
        ))
        .await
    }

    /// Escape hatch: `GET` any path (e.g. `/v1/teams`) and decode the answer. Retried like other `GET`s.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.execute(Request::custom(Method::GET, path)).await
    }

    /// Escape hatch: `POST` a JSON body to any path. Never retried.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.execute(Request::custom(Method::POST, path).json(body)?)
            .await
    }

    /// Escape hatch: `PUT` a JSON body to any path.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.execute(Request::custom(Method::PUT, path).json(body)?)
            .await
    }

    /// Escape hatch: `DELETE` any path, ignoring the answer's body.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.execute_no_content(Request::custom(Method::DELETE, path))
            .await
    }

    #[cfg_attr(not(feature = "mcp"), allow(dead_code))]
    pub(crate) fn bearer(&self) -> Option<&SecretString> {
        self.inner.token.as_ref()
    }

    #[cfg(feature = "mcp")]
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    #[cfg(feature = "mcp")]
    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    pub(crate) fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    /// Sends a request and decodes a JSON answer.
    pub(crate) async fn execute<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let answer = self.send(&request).await?;
        decode(&request, answer.status, &answer.body)
    }

    /// Sends a request whose answer body does not matter (204, or a confirmation message).
    pub(crate) async fn execute_no_content(&self, request: Request) -> Result<()> {
        self.send(&request).await.map(drop)
    }

    /// Sends a request and returns the raw successful answer (status and body).
    pub(crate) async fn send(&self, request: &Request) -> Result<Answer> {
        let span = tracing::debug_span!(
            "gateway_request",
            operation = request.operation,
            method = %request.method,
            path = %request.path,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        async {
            let started = Instant::now();
            let mut attempts = 0u32;
            let idempotent = matches!(request.method, Method::GET | Method::PUT | Method::DELETE);
            let policy = &self.inner.retry;
            let result = if idempotent && policy.retries() > 0 {
                let cap = policy.retry_after_cap();
                (|| {
                    attempts += 1;
                    self.send_once(request)
                })
                .retry(policy.backoff())
                .when(Error::is_retryable)
                .adjust(move |err, backoff| match (err, backoff) {
                    // Backoff exhausted: stop, whatever the server asked.
                    (_, None) => None,
                    (Error::RateLimited(api), Some(delay)) => {
                        Some(api.retry_after.map_or(delay, |wait| wait.min(cap)))
                    }
                    (_, delay) => delay,
                })
                .notify(|err, delay| {
                    tracing::debug!(error = %err, delay_ms = delay.as_millis() as u64, "retrying");
                })
                .await
            } else {
                attempts = 1;
                self.send_once(request).await
            };
            let span = tracing::Span::current();
            span.record("attempts", attempts);
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(answer) => {
                    span.record("status", answer.status.as_u16());
                    tracing::debug!("gateway answered");
                }
                Err(err) => {
                    if let Some(status) = err.status() {
                        span.record("status", status.as_u16());
                    }
                    tracing::debug!(error = %err, "gateway request failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    /// One attempt: the request, plus the same-origin `GET`/`HEAD` redirects the rule allows (see
    /// [`crate::MAX_REDIRECTS`]); any other redirect is [`Error::Redirect`] and goes nowhere.
    async fn send_once(&self, request: &Request) -> Result<Answer> {
        let mut url = self.request_url(request)?;
        let mut visited = Vec::new();
        loop {
            let response = self.send_to(request, &url).await?;
            let status = response.status();
            if redirect::is_redirect(status) {
                visited.push(url.clone());
                match redirect::next_hop(&request.method, &url, response.headers(), &visited) {
                    Ok(next) => {
                        let location = redirect::url_for_display(&next);
                        tracing::debug!(status = status.as_u16(), %location, "following a same-origin redirect");
                        url = next;
                        continue;
                    }
                    Err(refusal) => return Err(redirect::refused(request, status, refusal)),
                }
            }
            let retry_after = parse_retry_after(response.headers());
            let body = read_body(request, &url, response, self.inner.max_response_bytes).await?;
            if status.is_success() {
                return Ok(Answer { status, body });
            }
            return Err(status_error(request, status, retry_after, body));
        }
    }

    /// The request's URL: the base URL, the path and the query.
    fn request_url(&self, request: &Request) -> Result<Url> {
        let mut url =
            Url::parse(&self.url_for(&request.path)).map_err(|e| Error::InvalidRequest {
                operation: request.operation,
                message: format!("`{}` does not make a valid URL: {e}", request.path),
            })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        Ok(url)
    }

    /// Sends the request to `url` once, and returns the answer's head.
    async fn send_to(&self, request: &Request, url: &Url) -> Result<reqwest::Response> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .header(USER_AGENT, &self.inner.user_agent);
        if let Some(timeout) = self.inner.timeout {
            builder = builder.timeout(timeout);
        }
        if request.authenticated
            && let Some(token) = &self.inner.token
        {
            // reqwest marks this header sensitive, so it is never printed by its own Debug output.
            builder = builder.bearer_auth(token.expose_secret());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        builder
            .send()
            .await
            .map_err(|e| transport_error(request, url, e))
    }
}

/// Reads an answer's body, at most `limit` bytes of it: a `Content-Length` above the limit is refused before
/// anything is read, and a body without one (chunked, or never ending) is refused as soon as it passes the limit.
/// The whole-request timeout keeps running while the body arrives, so a body that trickles is a
/// [`Error::Timeout`].
async fn read_body(
    request: &Request,
    url: &Url,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<String> {
    let status = response.status();
    let too_large = || Error::ResponseTooLarge {
        method: request.method.clone(),
        path: request.path.clone(),
        status,
        limit,
    };
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    // Trust an announced length only up to the limit and a modest first allocation.
    let mut body = Vec::with_capacity(announced.map_or(0, |length| length as usize).min(64 * 1024));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(request, url, e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    // ContextForge answers UTF-8; anything else (a proxy's page in Latin-1) is kept, lossily, for the error.
    Ok(match String::from_utf8(body) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    })
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

/// One request, fully described before it is sent, so that retries resend exactly the same bytes.
/// Deliberately not `Debug`: the body may hold a password (login).
#[derive(Clone)]
pub(crate) struct Request {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<String>,
    pub(crate) authenticated: bool,
    /// 502 means "the upstream MCP server is unreachable" (gateway register/update), not a proxy error.
    pub(crate) upstream_502: bool,
    /// A successful answer carries a credential (login, token create): never keep it in an error.
    pub(crate) answer_has_secret: bool,
}

impl Request {
    pub(crate) fn new(operation: Operation, method: Method, path: String) -> Self {
        Request {
            operation: operation.as_str(),
            method,
            path,
            query: Vec::new(),
            body: None,
            authenticated: true,
            upstream_502: matches!(
                operation,
                Operation::GatewaysCreate | Operation::GatewaysUpdate
            ),
            answer_has_secret: matches!(operation, Operation::AuthLogin | Operation::TokensCreate),
        }
    }

    fn custom(method: Method, path: &str) -> Self {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Request {
            operation: "custom",
            method,
            path,
            query: Vec::new(),
            body: None,
            authenticated: true,
            upstream_502: false,
            answer_has_secret: false,
        }
    }

    pub(crate) fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let json = serde_json::to_string(body).map_err(|e| Error::InvalidRequest {
            operation: self.operation,
            message: format!("the request body could not be serialized: {e}"),
        })?;
        self.body = Some(json);
        Ok(self)
    }
}

fn transport_error(request: &Request, url: &Url, source: reqwest::Error) -> Error {
    if source.is_builder() {
        // Nothing was sent: reqwest refused to build the request, typically because a token given to
        // `Client::with_token` is not a valid header value. reqwest's message never contains the value.
        return Error::InvalidRequest {
            operation: request.operation,
            message: format!(
                "{} {} could not be built (is the bearer token a valid HTTP header value?): {source}",
                request.method, request.path
            ),
        };
    }
    let kind = TransportKind::of(&source);
    // The URL is in this error's own message, without credentials; reqwest's copy would repeat it.
    let source = source.without_url();
    let url = redirect::url_for_display(url);
    if kind == TransportKind::Timeout {
        Error::Timeout {
            method: request.method.clone(),
            path: request.path.clone(),
            url,
            source,
        }
    } else {
        Error::Transport {
            method: request.method.clone(),
            path: request.path.clone(),
            url,
            kind,
            source,
        }
    }
}

fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    // ContextForge sends whole seconds; an HTTP date is not worth a date parser here.
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

pub(crate) fn status_error(
    request: &Request,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: String,
) -> Error {
    let api = Box::new(ApiError::from_answer(
        status,
        request.method.clone(),
        request.path.clone(),
        retry_after,
        body,
    ));
    match status.as_u16() {
        400 => Error::BadRequest(api),
        401 => Error::Unauthorized(api),
        403 => Error::Forbidden(api),
        404 => Error::NotFound(api),
        409 => Error::Conflict(api),
        422 => Error::Validation(api),
        429 => Error::RateLimited(api),
        502 if request.upstream_502 => Error::UpstreamUnreachable(api),
        500..=599 => Error::Server(api),
        _ => Error::UnexpectedStatus(api),
    }
}

/// Stands in for the raw body in a decode error when the answer carries a credential.
const REDACTED_BODY: &str =
    "[REDACTED: this answer carries a credential (access_token) and is not kept]";

pub(crate) fn decode<T: DeserializeOwned>(
    request: &Request,
    status: StatusCode,
    body: &str,
) -> Result<T> {
    let decode_error = |json_path: String, source: serde_json::Error| Error::Decode {
        context: Box::new(DecodeContext {
            method: request.method.clone(),
            path: request.path.clone(),
            status,
            json_path,
            // The raw body of a login or token-create answer holds the new JWT; an error (and its
            // `Debug`) must not.
            body: if request.answer_has_secret {
                REDACTED_BODY.to_owned()
            } else {
                body.to_owned()
            },
        }),
        source,
    };
    let mut de = serde_json::Deserializer::from_str(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            // Trailing garbage after a complete document is a malformed answer too.
            de.end().map_err(|e| decode_error(".".to_owned(), e))?;
            Ok(value)
        }
        Err(err) => Err(decode_error(err.path().to_string(), err.into_inner())),
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use mcpfleet_gateway_client::{Client, RetryPolicy};
/// let client = Client::builder()
///     .base_url("https://gateway.example.com")
///     .bearer_token("eyJhbGciOi…")
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(30))
///     .user_agent("fleetctl/1.0")
///     .retry(RetryPolicy::default().max_retries(5))
///     .build()?;
/// assert!(!format!("{client:?}").contains("eyJhbGciOi"));
/// # Ok::<(), mcpfleet_gateway_client::Error>(())
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    token: Option<SecretString>,
    connect_timeout: Option<Duration>,
    timeout: Option<Option<Duration>>,
    pool_idle_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    user_agent: Option<String>,
    root_certificates_pem: Vec<Vec<u8>>,
    accept_invalid_certs: bool,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "base_url",
                &self.base_url.as_deref().map(redact_url_password),
            )
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("user_agent", &self.user_agent)
            .field("root_certificates", &self.root_certificates_pem.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("own_http_client", &self.http.is_some())
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientBuilder {
    /// The gateway's base URL, e.g. `http://127.0.0.1:4444` (a path prefix such as
    /// `https://host/gateway` is kept). Required.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The bearer JWT sent as `Authorization: Bearer …`. Held as a [`SecretString`]: redacted in `Debug`,
    /// never logged. [`ClientBuilder::build`] refuses one that is not a valid HTTP header value.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// TCP/TLS connect timeout (default 10 s). Applies to the client this builder makes.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Whole-request timeout (default 60 s; registering a gateway includes the upstream handshake).
    /// Applies to every request, also with [`ClientBuilder::http_client`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Some(timeout));
        self
    }

    /// No whole-request timeout.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = Some(None);
        self
    }

    /// How long an idle pooled connection is kept for reuse (default [`DEFAULT_POOL_IDLE_TIMEOUT`], 4 s). Keep it
    /// below the gateway's own keep-alive (uvicorn: 5 s; a proxy in front may differ): otherwise a request can go
    /// out on a connection the gateway is closing, and fail as [`Error::Transport`] without an answer. Applies to
    /// the client this builder makes.
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = Some(idle);
        self
    }

    /// The largest answer body the client reads (default [`DEFAULT_MAX_RESPONSE_BYTES`], 16 MiB). A larger
    /// answer — announced by `Content-Length` or found while reading — fails with [`Error::ResponseTooLarge`]
    /// once the limit is passed, so a broken or hostile gateway costs at most this much memory per request in
    /// flight (plus one network chunk). Applies to every REST and `/rpc` answer; MCP sessions (feature `mcp`)
    /// are read by rmcp and bounded by the timeout only.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The `User-Agent` header (default `mcpfleet-gateway-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Trusts an extra root CA (PEM), for gateways behind a private CA.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// Accepts any TLS certificate, for a self-signed gateway in a lab. Never in production: it disables
    /// the check that you are talking to the gateway at all.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Uses your own `reqwest::Client` (proxy settings, pool tuning, shared with other code). Connect
    /// timeout, pool idle timeout and TLS settings must then be configured on that client; setting them here too
    /// is an error.
    ///
    /// It must be built with `.redirect(reqwest::redirect::Policy::none())`, and [`ClientBuilder::build`] refuses
    /// one that follows redirects (reqwest's default): reqwest would re-send a write, body and all, on a 307 before
    /// this client saw the answer. With redirects left to it, this client follows only a same-origin `GET`/`HEAD`
    /// (at most [`crate::MAX_REDIRECTS`]) and refuses the rest with [`Error::Redirect`], as it does with the
    /// client the builder makes. (reqwest has no accessor for a client's redirect policy; the check reads the
    /// client's `Debug` output and refuses whatever it cannot recognise as `Policy::none()`.)
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The retry policy for idempotent requests (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Builds the client. Fails with [`Error::Config`] on a missing or malformed base URL (or one with
    /// `user:password@` credentials), a bad certificate, a user agent or token that is not a valid header
    /// value, or TLS/connect settings combined with [`ClientBuilder::http_client`].
    pub fn build(self) -> Result<Client> {
        let raw = self
            .base_url
            .as_deref()
            .ok_or_else(|| Error::config("base_url is not set"))?;
        let url = Url::parse(raw.trim()).map_err(|e| {
            Error::config(format!(
                "base_url `{}` is not a URL: {e}",
                redact_url_password(raw)
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            // It would show in `Debug`, `base_url()` and MCP endpoint URLs, and reqwest would turn it into
            // a second `Authorization` header next to the bearer token.
            return Err(Error::config(
                "base_url must not contain credentials (`user:password@`); use bearer_token",
            ));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "base_url `{raw}` must use http or https, not `{}`",
                url.scheme()
            )));
        }
        #[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
        if url.scheme() == "https" {
            return Err(Error::config(format!(
                "base_url `{raw}` uses https, but this build has no TLS backend: enable the `tls-aws-lc` or \
                 `tls-ring` feature of mcpfleet-gateway-client"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "base_url `{raw}` must not have a query or fragment"
            )));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let user_agent = match self.user_agent {
            Some(agent) => HeaderValue::from_str(&agent).map_err(|_| {
                Error::config(format!(
                    "user_agent `{}` is not a valid HTTP header value",
                    agent.escape_debug()
                ))
            })?,
            None => HeaderValue::from_static(DEFAULT_USER_AGENT),
        };
        if let Some(token) = &self.token
            && HeaderValue::from_str(token.expose_secret()).is_err()
        {
            // Never echo the token, not even a bad one.
            return Err(Error::config(
                "bearer_token is not a valid HTTP header value (control characters or non-ASCII?)",
            ));
        }

        let http = match self.http {
            Some(http) => {
                if self.connect_timeout.is_some()
                    || self.pool_idle_timeout.is_some()
                    || !self.root_certificates_pem.is_empty()
                    || self.accept_invalid_certs
                {
                    return Err(Error::config(
                        "connect_timeout, pool_idle_timeout, add_root_certificate_pem and danger_accept_invalid_certs \
                         apply only to the client the builder makes; set them on the reqwest::Client passed to \
                         http_client",
                    ));
                }
                if !follows_no_redirects(&http) {
                    return Err(Error::config(
                        "the reqwest::Client given to http_client follows redirects; build it with \
                         .redirect(reqwest::redirect::Policy::none()): this client decides which redirects to follow \
                         (never a write, never to another origin)",
                    ));
                }
                http
            }
            None => {
                let builder = reqwest::Client::builder()
                    // Redirects are the client's to decide (`send_once`), never reqwest's: a write or another
                    // origin is never followed. No `Referer` either: nothing goes anywhere else to carry it.
                    .redirect(reqwest::redirect::Policy::none())
                    .referer(false)
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .pool_idle_timeout(self.pool_idle_timeout.unwrap_or(DEFAULT_POOL_IDLE_TIMEOUT));
                let builder = tls_settings(
                    builder,
                    &self.root_certificates_pem,
                    self.accept_invalid_certs,
                )?;
                builder.build().map_err(|e| {
                    Error::config(format!("the HTTP client could not be built: {e}"))
                })?
            }
        };

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                token: self.token,
                retry: self.retry.unwrap_or_default(),
                timeout: self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT)),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                user_agent,
            }),
        })
    }
}

/// Whether a caller's `reqwest::Client` was built with `redirect::Policy::none()`. reqwest offers no accessor for
/// the policy, only its `Debug` output, which names a policy other than the default; anything else (the default,
/// `limited`, `custom`, or a format this check does not know) counts as following.
fn follows_no_redirects(http: &reqwest::Client) -> bool {
    format!("{http:?}").contains(r#"redirect_policy: "Policy(None)""#)
}

/// Extra roots and the lab-only "accept anything" switch, on the TLS backend the features chose.
#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
fn tls_settings(
    mut builder: reqwest::ClientBuilder,
    root_certificates_pem: &[Vec<u8>],
    accept_invalid_certs: bool,
) -> Result<reqwest::ClientBuilder> {
    #[cfg(not(feature = "tls-aws-lc"))]
    install_ring_provider();
    for (index, pem) in root_certificates_pem.iter().enumerate() {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::config(format!("root certificate #{index} is not valid PEM: {e}"))
        })?;
        if certs.is_empty() {
            return Err(Error::config(format!(
                "root certificate #{index} contains no PEM certificate"
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if accept_invalid_certs {
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// Without a TLS backend only `http://` gateways can be reached, so TLS settings are a mistake worth naming.
#[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
fn tls_settings(
    builder: reqwest::ClientBuilder,
    root_certificates_pem: &[Vec<u8>],
    accept_invalid_certs: bool,
) -> Result<reqwest::ClientBuilder> {
    if !root_certificates_pem.is_empty() || accept_invalid_certs {
        return Err(Error::config(
            "add_root_certificate_pem and danger_accept_invalid_certs need a TLS backend: enable the \
             `tls-aws-lc` or `tls-ring` feature of mcpfleet-gateway-client",
        ));
    }
    Ok(builder)
}

/// reqwest built with `rustls-no-provider` uses the process's default rustls provider; make `ring` that default
/// unless the program chose one itself.
#[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
fn install_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread is fine: a default is then installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// `raw` with the password of a `user:password@` part replaced, for messages and `Debug`.
fn redact_url_password(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) if url.password().is_some() => {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = url.set_password(Some("[REDACTED]"));
            url.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Unparseable: cut everything before an `@` that could be a password.
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("[REDACTED]@{host}"),
            None => raw.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caller's own reqwest client. With only `tls-ring`, reqwest has no crypto provider until one is installed.
    fn own_reqwest(builder: reqwest::ClientBuilder) -> reqwest::Client {
        #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
        install_ring_provider();
        builder.build().unwrap()
    }

    #[test]
    fn base_url_is_required_and_validated() {
        assert!(matches!(
            Client::builder().build(),
            Err(Error::Config { .. })
        ));
        let err = Client::builder().base_url("not a url").build().unwrap_err();
        assert!(err.to_string().contains("`not a url`"), "{err}");
        let err = Client::builder().base_url("ftp://x").build().unwrap_err();
        assert!(err.to_string().contains("http or https"), "{err}");
        let c = Client::builder()
            .base_url("http://h:1/prefix/")
            .build()
            .unwrap();
        assert_eq!(c.url_for("/v1/tools"), "http://h:1/prefix/v1/tools");
    }

    #[test]
    fn credentials_in_base_url_are_refused_and_never_shown() {
        let builder = Client::builder().base_url("https://fleet:hunter2-pw@gw.example.com");
        assert!(!format!("{builder:?}").contains("hunter2-pw"));
        let err = builder.build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("credentials"), "{err}");
        assert!(!format!("{err} {err:?}").contains("hunter2-pw"));
        let err = Client::builder()
            .base_url("http://u:hunter2-pw@gw.example.com:notaport")
            .build()
            .unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2-pw"), "{err}");
    }

    #[test]
    fn header_values_are_checked_at_build_time() {
        let err = Client::builder()
            .base_url("http://h")
            .user_agent("fleet\nctl")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("user_agent"), "{err}");
        let err = Client::builder()
            .base_url("http://h")
            .bearer_token("secret-part\r\ninjected")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("bearer_token"), "{err}");
        assert!(!format!("{err} {err:?}").contains("secret-part"), "{err}");
    }

    #[test]
    fn tls_settings_conflict_with_own_client() {
        let err = Client::builder()
            .base_url("http://h")
            .http_client(own_reqwest(reqwest::Client::builder()))
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
    }

    #[test]
    fn an_own_client_must_not_follow_redirects() {
        let err = Client::builder()
            .base_url("http://h")
            .http_client(own_reqwest(reqwest::Client::builder()))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("Policy::none()"), "{err}");
        let custom = reqwest::redirect::Policy::custom(|attempt| attempt.stop());
        let own = own_reqwest(reqwest::Client::builder().redirect(custom));
        assert!(!follows_no_redirects(&own));
        let own =
            own_reqwest(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()));
        assert!(follows_no_redirects(&own));
        assert!(
            Client::builder()
                .base_url("http://h")
                .http_client(own)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn pool_settings_conflict_with_own_client() {
        let err = Client::builder()
            .base_url("http://h")
            .http_client(own_reqwest(reqwest::Client::builder()))
            .pool_idle_timeout(Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("pool_idle_timeout"), "{err}");
    }

    /// With only `tls-ring`, reqwest has no provider of its own and would panic at build time; the client
    /// installs `ring` first.
    #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
    #[test]
    fn an_https_client_builds_with_the_chosen_tls_backend() {
        let client = Client::builder()
            .base_url("https://gateway.example.com:4444")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "https://gateway.example.com:4444");
        #[cfg(not(feature = "tls-aws-lc"))]
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
    #[test]
    fn without_a_tls_backend_https_is_refused_by_name() {
        let err = Client::builder()
            .base_url("https://gateway.example.com")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(
            err.to_string().contains("`tls-aws-lc` or `tls-ring`"),
            "{err}"
        );
        let err = Client::builder()
            .base_url("http://h")
            .add_root_certificate_pem(b"-----BEGIN CERTIFICATE-----".to_vec())
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("need a TLS backend"), "{err}");
        assert!(Client::builder().base_url("http://h").build().is_ok());
    }

    #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
    #[test]
    fn bad_pem_is_a_config_error() {
        let err = Client::builder()
            .base_url("https://h")
            .add_root_certificate_pem(b"garbage".to_vec())
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("root certificate #0"), "{err}");
    }

    #[test]
    fn debug_redacts_token() {
        let b = Client::builder()
            .base_url("http://h")
            .bearer_token("sekrit-token");
        assert!(!format!("{b:?}").contains("sekrit"));
        let c = b.build().unwrap();
        assert!(!format!("{c:?}").contains("sekrit"));
        assert!(!format!("{:?}", c.with_token("other-sekrit")).contains("sekrit"));
    }

    #[test]
    fn from_env_reads_the_gateway_conventions() {
        let vars = |name: &str| match name {
            ENV_URL => Some("http://gw.example.com/".to_owned()),
            ENV_BEARER_TOKEN => Some(" env-token \n".to_owned()),
            _ => None,
        };
        let client = Client::from_lookup(vars).unwrap();
        assert_eq!(client.base_url(), "http://gw.example.com");
        assert_eq!(
            client.bearer().map(|t| t.expose_secret()),
            Some("env-token")
        );

        let client = Client::from_lookup(|_| None).unwrap();
        assert_eq!(client.base_url(), DEFAULT_URL);
        assert!(client.bearer().is_none());
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), None);
    }
}
