//! What a hostile or broken network path can do to a request, and what the client must do instead:
//!
//! - a redirect must never carry a request (its body holds an upstream's `authToken`) or the bearer token to
//!   another origin, nor re-send a write anywhere: a second loopback server counts every connection it gets;
//! - a same-origin `GET` redirect is followed, a loop or a long chain is an error;
//! - a listing whose cursors never end stops at the page cap, having sent no more requests than the cap;
//! - a request that gets no answer names the URL and the kind of failure, and keeps its cause chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use mcpfleet_gateway_client::{
    Client, DEFAULT_MAX_PAGES, Error, GatewayCreate, GatewayRead, GatewayUpdate, MAX_REDIRECTS,
    RedirectReason, RetryPolicy, TransportKind,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;
use common::read_request_head;

const TOKEN: &str = "eyJ.bearer-must-not-travel.sig";
const UPSTREAM_SECRET: &str = "upstream-authToken-must-not-travel";

fn client_for(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .bearer_token(TOKEN)
        .timeout(Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The client with retries on: a refused redirect must not be retried either.
fn retrying_client_for(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .bearer_token(TOKEN)
        .retry(
            RetryPolicy::default()
                .min_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn gateway_json(id: &str) -> Value {
    json!({"id": id, "name": format!("gw-{id}"), "url": "http://localhost:9000/mcp", "transport": "SSE",
           "enabled": true})
}

/// Another origin (another loopback port) that records everything it is sent, and answers like a gateway would,
/// so that a client that followed a redirect there would succeed and the test would see it.
struct Elsewhere {
    base: String,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Elsewhere {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count, log) = (connections.clone(), received.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(head) = read_request_head(&mut stream).await else {
                        return;
                    };
                    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|n| n.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    let _ = stream.read_exact(&mut body).await;
                    log.lock().unwrap().extend(head.iter().chain(&body));
                    let answer =
                        json!({"gateways": [], "nextCursor": null, "id": "evil", "name": "evil",
                                        "url": "http://evil", "transport": "SSE", "enabled": true})
                        .to_string();
                    let _ = stream
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                                 connection: close\r\n\r\n{answer}",
                                answer.len()
                            )
                            .as_bytes(),
                        )
                        .await;
                });
            }
        });
        Elsewhere {
            base,
            connections,
            received,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

fn redirect_to(status: u16, location: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("location", location)
}

/// Asserts a refused redirect, and that its message names what it must and nothing it must not.
fn assert_refused(
    err: &Error,
    (verb, route): (&str, &str),
    expected_status: u16,
    expected_location: Option<&str>,
    expected_reason: RedirectReason,
) {
    match err {
        Error::Redirect {
            method,
            path,
            status,
            location,
            reason,
            ..
        } => {
            assert_eq!(method.as_str(), verb, "{err}");
            assert_eq!(path, route, "{err}");
            assert_eq!(status.as_u16(), expected_status, "{err}");
            assert_eq!(location.as_deref(), expected_location, "{err}");
            assert_eq!(*reason, expected_reason, "{err}");
        }
        other => panic!("expected Error::Redirect, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("{verb} {route} ")), "{shown}");
    assert!(shown.contains(&expected_status.to_string()), "{shown}");
    if let Some(location) = expected_location {
        assert!(shown.contains(location), "{shown}");
    }
    assert_eq!(err.status().map(|s| s.as_u16()), Some(expected_status));
    assert!(!err.is_retryable());
    let everything = format!("{err} {err:?}");
    for secret in [TOKEN, UPSTREAM_SECRET, "pw-in-location", "q-in-location"] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
}

#[tokio::test]
async fn a_write_redirected_to_another_origin_sends_nothing_there() {
    let elsewhere = Elsewhere::start().await;
    let server = MockServer::start().await;
    // Credentials and a query in the Location must not be echoed back into the error.
    let target = elsewhere
        .base
        .replace("http://", "http://fleet:pw-in-location@");
    let location = format!("{target}/v1/gateways?token=q-in-location");
    let shown = format!("{}/v1/gateways", elsewhere.base);
    let create =
        GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp").bearer_auth(UPSTREAM_SECRET);
    let update = GatewayUpdate::new().bearer_auth(UPSTREAM_SECRET);

    for status in [307, 308, 302, 301, 303] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/v1/gateways"))
            .respond_with(redirect_to(status, &location))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path("/v1/gateways/g1"))
            .respond_with(redirect_to(status, &location))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/v1/gateways/g1"))
            .respond_with(redirect_to(status, &location))
            .expect(1)
            .mount(&server)
            .await;
        // Retries on: a PUT and a DELETE are retried after some failures, never after a refused redirect.
        let client = retrying_client_for(&server.uri());

        let err = client.gateways().create(&create).await.unwrap_err();
        assert_refused(
            &err,
            ("POST", "/v1/gateways"),
            status,
            Some(&shown),
            RedirectReason::CrossOrigin,
        );
        let err = client.gateways().update("g1", &update).await.unwrap_err();
        assert_refused(
            &err,
            ("PUT", "/v1/gateways/g1"),
            status,
            Some(&shown),
            RedirectReason::CrossOrigin,
        );
        let err = client.gateways().delete("g1").await.unwrap_err();
        assert_refused(
            &err,
            ("DELETE", "/v1/gateways/g1"),
            status,
            Some(&shown),
            RedirectReason::CrossOrigin,
        );
        // The gateway was asked once per call: the request was neither retried nor re-sent to it.
        server.verify().await;
        // The body that carries the upstream's credential went to the gateway, and nowhere else.
        let sent = server.received_requests().await.unwrap();
        let post = sent.iter().find(|r| r.method.as_str() == "POST").unwrap();
        assert!(String::from_utf8_lossy(&post.body).contains(UPSTREAM_SECRET));
    }
    assert_eq!(elsewhere.connections(), 0, "{}", elsewhere.received());
}

#[tokio::test]
async fn a_write_is_not_re_sent_even_to_the_same_origin() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/gateways"))
        .respond_with(redirect_to(307, "/v1/gateways/"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/gateways/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gateway_json("g1")))
        .expect(0)
        .mount(&server)
        .await;
    let create =
        GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp").bearer_auth(UPSTREAM_SECRET);
    let err = client_for(&server.uri())
        .gateways()
        .create(&create)
        .await
        .unwrap_err();
    let resolved = format!("{}/v1/gateways/", server.uri());
    assert_refused(
        &err,
        ("POST", "/v1/gateways"),
        307,
        Some(&resolved),
        RedirectReason::Write,
    );
    assert!(
        err.to_string().contains("a write is never re-sent"),
        "{err}"
    );
}

#[tokio::test]
async fn a_get_redirected_to_another_origin_is_refused() {
    let elsewhere = Elsewhere::start().await;
    let server = MockServer::start().await;
    let location = format!("{}/v1/gateways", elsewhere.base);
    Mock::given(method("GET"))
        .respond_with(redirect_to(302, &location))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    // A plan is computed from listings: one that silently came from elsewhere would look like an empty gateway.
    let err = client.gateways().list().all().await.unwrap_err();
    assert_refused(
        &err,
        ("GET", "/v1/gateways"),
        302,
        Some(&location),
        RedirectReason::CrossOrigin,
    );
    assert!(err.to_string().contains("another origin"), "{err}");
    let err = client.health().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Redirect {
                reason: RedirectReason::CrossOrigin,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(elsewhere.connections(), 0, "{}", elsewhere.received());
}

#[tokio::test]
async fn a_same_origin_get_redirect_is_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(redirect_to(
            301,
            "/moved/v1/gateways?include_pagination=true",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved/v1/gateways"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"gateways": [gateway_json("g1")], "nextCursor": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let gateways = client_for(&server.uri())
        .gateways()
        .list()
        .all()
        .await
        .unwrap();
    assert_eq!(gateways.len(), 1);
    assert_eq!(gateways[0].id, "g1");
    // The same server, so the token went along.
    let moved = server.received_requests().await.unwrap();
    let moved = moved
        .iter()
        .find(|r| r.url.path() == "/moved/v1/gateways")
        .unwrap();
    assert_eq!(
        moved.headers.get("authorization").unwrap(),
        &format!("Bearer {TOKEN}")
    );
}

#[tokio::test]
async fn a_redirect_loop_and_a_long_chain_are_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(redirect_to(302, "/b"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(redirect_to(302, "/a"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let err = client.get::<Value>("/a").await.unwrap_err();
    let a = format!("{}/a", server.uri());
    assert_refused(&err, ("GET", "/a"), 302, Some(&a), RedirectReason::Loop);
    server.verify().await;

    // /hop/0 → /hop/1 → … never ends: MAX_REDIRECTS are followed, then it stops.
    struct Onwards;
    impl Respond for Onwards {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let n: usize = request.url.path()[5..].parse().unwrap();
            redirect_to(307, &format!("/hop/{}", n + 1))
        }
    }
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(Onwards)
        .mount(&server)
        .await;
    let err = client.get::<Value>("/hop/0").await.unwrap_err();
    let next = format!("{}/hop/{}", server.uri(), MAX_REDIRECTS + 1);
    assert_refused(
        &err,
        ("GET", "/hop/0"),
        307,
        Some(&next),
        RedirectReason::TooMany,
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        MAX_REDIRECTS + 1
    );
}

#[tokio::test]
async fn a_redirect_without_location_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(308))
        .mount(&server)
        .await;
    let err = client_for(&server.uri()).health().await.unwrap_err();
    assert_refused(
        &err,
        ("GET", "/health"),
        308,
        None,
        RedirectReason::NoLocation,
    );
    assert!(err.to_string().contains("no valid Location"), "{err}");
}

#[tokio::test]
async fn a_supplied_reqwest_client_must_leave_redirects_to_the_client() {
    // Building a client first installs the crypto provider a `tls-ring`-only reqwest needs to build at all.
    let _ = client_for("http://127.0.0.1:4444");
    // reqwest's default policy would re-post a write on a 307 before the client saw the answer: refused up front.
    for following in [
        reqwest::Client::new(),
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(1))
            .build()
            .unwrap(),
    ] {
        let err = Client::builder()
            .base_url("http://127.0.0.1:4444")
            .http_client(following)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(
            err.to_string().contains("redirect::Policy::none()"),
            "{err}"
        );
    }

    // One that leaves them to the client gets the same rule as the client the builder makes.
    let elsewhere = Elsewhere::start().await;
    let server = MockServer::start().await;
    let location = format!("{}/v1/gateways", elsewhere.base);
    Mock::given(method("POST"))
        .respond_with(redirect_to(307, &location))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(redirect_to(302, &location))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token(TOKEN)
        .http_client(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        )
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let create =
        GatewayCreate::new("utils", "http://127.0.0.1:9000/mcp").bearer_auth(UPSTREAM_SECRET);
    let err = client.gateways().create(&create).await.unwrap_err();
    assert_refused(
        &err,
        ("POST", "/v1/gateways"),
        307,
        Some(&location),
        RedirectReason::CrossOrigin,
    );
    let err = client.gateways().list().send().await.unwrap_err();
    assert_refused(
        &err,
        ("GET", "/v1/gateways"),
        302,
        Some(&location),
        RedirectReason::CrossOrigin,
    );
    server.verify().await;
    assert_eq!(elsewhere.connections(), 0, "{}", elsewhere.received());
}

/// Answers every listing page with one item and a cursor never seen before.
struct EndlessCursors(AtomicUsize);

impl Respond for EndlessCursors {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({
            "gateways": [gateway_json(&format!("g{n}"))], "nextCursor": format!("cursor-{n}")
        }))
    }
}

#[tokio::test]
async fn endless_cursors_stop_at_the_page_cap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(EndlessCursors(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());

    // The stream delivers the pages it fetched, then the error; it never asks for page cap + 1.
    let mut stream = std::pin::pin!(client.gateways().list().max_pages(5).stream());
    let mut items = Vec::<GatewayRead>::new();
    let err = within(async {
        loop {
            match stream.try_next().await {
                Ok(Some(item)) => items.push(item),
                Ok(None) => panic!("an endless listing ended"),
                Err(err) => break err,
            }
        }
    })
    .await;
    assert_eq!(items.len(), 5);
    match &err {
        Error::TooManyPages { path, pages, .. } => {
            assert_eq!(path, "/v1/gateways");
            assert_eq!(*pages, 5);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "listing /v1/gateways stopped at the 5-page limit: the gateway still announced another page"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 5);

    // The default cap holds too: DEFAULT_MAX_PAGES requests, then the error.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(EndlessCursors(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let err = within(client.gateways().list().all()).await.unwrap_err();
    assert!(
        matches!(err, Error::TooManyPages { pages, .. } if pages == DEFAULT_MAX_PAGES),
        "{err:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        DEFAULT_MAX_PAGES as usize
    );
}

/// An endless listing that the cap failed to stop fails the test instead of hanging it.
async fn within<T>(listing: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), listing)
        .await
        .expect("the listing did not stop within 60 s")
}

#[tokio::test]
async fn a_token_listing_whose_total_is_never_reached_stops_at_the_page_cap() {
    struct OneMoreToken(AtomicUsize);
    impl Respond for OneMoreToken {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({
                "tokens": [{"id": format!("t{n}"), "name": format!("t{n}"), "user_email": "a@example.com",
                            "is_active": true}],
                "total": u64::MAX, "limit": 1, "offset": n
            }))
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/tokens"))
        .respond_with(OneMoreToken(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let err = within(client_for(&server.uri()).tokens().list().max_pages(4).all())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::TooManyPages { path, pages: 4, .. } if path == "/v1/tokens"),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

/// The error's sources, outermost first.
fn causes(err: &Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        out.push(cause.to_string());
        next = cause.source();
    }
    out
}

/// Asserts a transport failure that names the request's URL and its kind, and keeps its causes.
fn assert_transport(err: &Error, url: &str, kind: TransportKind, shown_kind: &str) {
    assert_eq!(err.transport_kind(), Some(kind), "{err:?}");
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("GET {url}")), "{shown}");
    assert!(shown.ends_with(shown_kind), "{shown}");
    assert!(!causes(err).is_empty(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_refused_connection_names_the_url_and_the_kind() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let err = client_for(&base)
        .gateways()
        .list()
        .limit(5)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::ConnectionRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "GET {base}/v1/gateways?include_pagination=true&limit=5 failed: connection refused"
        )
    );
    assert_transport(
        &err,
        &base,
        TransportKind::ConnectionRefused,
        "connection refused",
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_unresolvable_host_is_a_dns_failure() {
    // `.invalid` never resolves (RFC 6761), with or without a network.
    let base = "http://gateway.mcpfleet.invalid:4444";
    // A generous timeout: a slow resolver must still end in its own answer, not in the client's timeout.
    let client = Client::builder()
        .base_url(base)
        .bearer_token(TOKEN)
        .timeout(Duration::from_secs(30))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.health().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Dns,
                ..
            }
        ),
        "{err:?}"
    );
    assert_transport(
        &err,
        &format!("{base}/health"),
        TransportKind::Dns,
        "DNS resolution failed",
    );
}

#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
#[tokio::test]
async fn https_to_a_plain_http_port_is_a_tls_failure() {
    let server = MockServer::start().await;
    let base = server.uri().replace("http://", "https://");
    let err = client_for(&base).health().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Tls,
                ..
            }
        ),
        "{err:?}: {:?}",
        causes(&err)
    );
    assert_transport(
        &err,
        &format!("{base}/health"),
        TransportKind::Tls,
        "TLS failed",
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_naming_the_url() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and holds connections, never answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = Client::builder()
        .base_url(&base)
        .bearer_token(TOKEN)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.health().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("GET {base}/health timed out"));
    assert_transport(
        &err,
        &format!("{base}/health"),
        TransportKind::Timeout,
        "timed out",
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Reads the request, then hangs up without a word.
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = read_request_head(&mut stream).await;
            drop(stream);
        }
    });
    let err = client_for(&base).health().await.unwrap_err();
    assert_transport(
        &err,
        &format!("{base}/health"),
        TransportKind::ConnectionClosed,
        "connection closed before the answer was complete",
    );
}
