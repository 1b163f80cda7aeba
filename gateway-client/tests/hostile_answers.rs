//! Answers a broken or hostile gateway (or whatever sits in its place) can give: bodies far larger than any
//! real answer, with and without `Content-Length`, bodies that never end or arrive a byte at a time, HTML error
//! pages, wrong JSON types, bytes that are not UTF-8. Each must be a typed error within the configured timeout,
//! and the client must stop reading at its response limit (the memory bound: `max_response_bytes` plus one
//! network read per request in flight).
//!
//! wiremock serves what it can (it always sends `Content-Length`); a raw TCP server here serves the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mcpfleet_gateway_client::{Client, DEFAULT_MAX_RESPONSE_BYTES, Error, RetryPolicy};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::read_request_head;

const LIMIT: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(2);

fn client_for(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .bearer_token("eyJ.hostile-test.sig")
        .max_response_bytes(LIMIT)
        .timeout(TIMEOUT)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// What the raw server does after reading a request's headers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// `Transfer-Encoding: chunked`, 64 KiB chunks of `[` forever (until the client hangs up).
    EndlessChunked,
    /// `Content-Length: 1000`, then one byte every 100 ms.
    Trickle,
    /// No length at all: the body is "whatever arrives before the connection closes", and it never closes.
    EndlessUntilClose,
}

/// A raw HTTP/1.1 server; returns its base URL and the count of body bytes it managed to write.
async fn raw_server(behaviour: Behaviour) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(stream, behaviour, counter.clone()));
        }
    });
    (base, written)
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, written: Arc<AtomicU64>) {
    if read_request_head(&mut stream).await.is_none() {
        return;
    }
    let chunk = vec![b'['; 64 * 1024];
    match behaviour {
        Behaviour::EndlessChunked => {
            let headers = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(headers.as_bytes()).await.is_err() {
                return;
            }
            loop {
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if stream.write_all(&frame).await.is_err() {
                    return;
                }
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
        Behaviour::EndlessUntilClose => {
            let headers =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
            if stream.write_all(headers.as_bytes()).await.is_err() {
                return;
            }
            while stream.write_all(&chunk).await.is_ok() {
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
        Behaviour::Trickle => {
            let headers =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
            if stream.write_all(headers.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..1000 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
                written.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn assert_too_large(err: &Error, status: u16) {
    match err {
        Error::ResponseTooLarge {
            limit, status: s, ..
        } => {
            assert_eq!(*limit, LIMIT);
            assert_eq!(s.as_u16(), status);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    assert!(
        err.to_string().contains("1048576-byte response limit"),
        "{err}"
    );
}

#[tokio::test]
async fn an_announced_huge_body_is_refused_before_it_is_read() {
    let server = MockServer::start().await;
    let huge = vec![b' '; 8 * LIMIT];
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge.clone(), "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/servers"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(huge, "text/html"))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());

    let err = client.gateways().list().send().await.unwrap_err();
    assert_too_large(&err, 200);
    assert!(
        err.to_string()
            .starts_with("the 200 OK answer to GET /v1/gateways"),
        "{err}"
    );
    // An error page is bounded the same way: the raw body an `ApiError` keeps is never larger than the limit.
    let err = client.servers().list().send().await.unwrap_err();
    assert_too_large(&err, 500);

    // Just under the limit is read whole and decoded (here: a decode error that keeps the body).
    let server = MockServer::start().await;
    let padded = format!("{{\"status\": \"healthy\"}}{}", " ".repeat(LIMIT - 30));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(padded, "application/json"))
        .mount(&server)
        .await;
    let health = client_for(&server.uri()).health().await.unwrap();
    assert_eq!(health.status, "healthy");
}

#[tokio::test]
async fn a_chunked_body_that_never_ends_stops_at_the_limit() {
    let (base, written) = raw_server(Behaviour::EndlessChunked).await;
    let started = Instant::now();
    let err = client_for(&base)
        .gateways()
        .list()
        .send()
        .await
        .unwrap_err();
    assert_too_large(&err, 200);
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    // The server got ahead by what the socket buffers hold, not by what the client kept.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::Relaxed);
    assert!(sent >= LIMIT as u64, "server wrote only {sent} bytes");
    assert!(
        sent < 16 * LIMIT as u64,
        "the client kept reading: {sent} bytes"
    );
}

#[tokio::test]
async fn a_body_without_length_that_never_ends_stops_at_the_limit() {
    let (base, _) = raw_server(Behaviour::EndlessUntilClose).await;
    let started = Instant::now();
    let err = client_for(&base).health().await.unwrap_err();
    assert_too_large(&err, 200);
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_trickling_body_is_a_timeout_at_the_configured_time() {
    let (base, written) = raw_server(Behaviour::Trickle).await;
    let started = Instant::now();
    let err = client_for(&base).health().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("GET {base}/health timed out"));
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(1),
        "timed out after {took:?}"
    );
    // The headers arrived at once: the timeout covered the body, not only the wait for an answer.
    assert!(written.load(Ordering::Relaxed) >= 5);
}

#[tokio::test]
async fn the_default_limit_is_sixteen_mebibytes() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 16 * 1024 * 1024);
    let client = Client::builder().base_url("http://h").build().unwrap();
    assert!(format!("{client:?}").contains("max_response_bytes: 16777216"));
}

#[tokio::test]
async fn html_error_pages_keep_their_status_and_an_excerpt() {
    let server = MockServer::start().await;
    let page = format!(
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "nginx ".repeat(100)
    );
    Mock::given(method("GET"))
        .and(path("/v1/gateways"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(page.clone(), "text/html"))
        .mount(&server)
        .await;
    // A proxy's login page answered with 200: a decode error at the document's root, with the page kept.
    Mock::given(method("GET"))
        .and(path("/v1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page.clone(), "text/html"))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());

    let err = client.gateways().list().send().await.unwrap_err();
    let api = match &err {
        Error::Server(api) => api,
        other => panic!("{other:?}"),
    };
    assert_eq!(api.status.as_u16(), 502);
    assert_eq!(api.body, page);
    assert!(
        api.message.starts_with("<!DOCTYPE html>"),
        "{}",
        api.message
    );
    assert!(api.message.chars().count() <= 200);

    let err = client.servers().list().send().await.unwrap_err();
    match &err {
        Error::Decode { context, .. } => {
            assert_eq!(context.json_path, ".");
            assert_eq!(context.body, page);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wrong_types_anywhere_name_their_json_path() {
    let server = MockServer::start().await;
    // Each answer is valid JSON of the wrong shape for its endpoint.
    let cases = [
        ("/health", json!("healthy"), "."),
        ("/v1/gateways/abc", json!({"id": 7}), "id"),
        ("/v1/tools", json!({"tools": {"not": "a list"}}), "tools"),
        ("/v1/servers", json!([null]), "[0]"),
    ];
    for (route, body, _) in &cases {
        Mock::given(method("GET"))
            .and(path(*route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let client = client_for(&server.uri());
    let errors = [
        client.health().await.map(drop).unwrap_err(),
        client.gateways().get("abc").await.map(drop).unwrap_err(),
        client.tools().list().send().await.map(drop).unwrap_err(),
        client.servers().list().send().await.map(drop).unwrap_err(),
    ];
    for ((route, _, json_path), err) in cases.iter().zip(&errors) {
        match err {
            Error::Decode { context, .. } => {
                assert_eq!(&context.path, route);
                assert_eq!(&context.json_path, json_path, "{route}: {err}");
            }
            other => panic!("{route}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_kept_lossily_in_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_raw(b"Service \xe9puis\xe9".to_vec(), "text/plain"),
        )
        .mount(&server)
        .await;
    let err = client_for(&server.uri()).health().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.body(), Some("Service \u{fffd}puis\u{fffd}"));
}
