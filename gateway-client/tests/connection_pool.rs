//! The connection pool against a gateway that closes idle keep-alive connections, as uvicorn does after 5 s.
//!
//! The hazard: a client that keeps an idle connection longer than the server can send its next request just as the
//! server closes that connection, and the request fails without an answer; a POST (every tool call) cannot be
//! retried safely. The load benchmark met it twice in 600 calls. The raw server here makes the race deterministic:
//! a request that arrives on a connection idle for at least [`SERVER_KEEP_ALIVE`] is read and dropped unanswered,
//! exactly what the client sees when its request crosses the server's close.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcpfleet_gateway_client::{Client, Error, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::read_request_head;

const SERVER_KEEP_ALIVE: Duration = Duration::from_millis(400);
const HEALTH: &str = r#"{"status":"healthy"}"#;

/// A keep-alive HTTP/1.1 server answering every request with a health body; returns its base URL and the count of
/// connections it accepted.
async fn keep_alive_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream));
        }
    });
    (base, accepted)
}

async fn serve(mut stream: TcpStream) {
    let mut idle_since = Instant::now();
    while read_request_head(&mut stream).await.is_some() {
        if idle_since.elapsed() >= SERVER_KEEP_ALIVE {
            // The server's keep-alive ran out while this request was on its way: the connection closes under it.
            return;
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{HEALTH}",
            HEALTH.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        idle_since = Instant::now();
    }
}

fn client(base: &str, pool_idle: Option<Duration>) -> Client {
    let builder = Client::builder()
        .base_url(base)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(5));
    match pool_idle {
        Some(idle) => builder.pool_idle_timeout(idle),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn back_to_back_requests_reuse_one_connection() {
    let (base, accepted) = keep_alive_server().await;
    let client = client(&base, None);
    for _ in 0..5 {
        client.health().await.unwrap();
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "five requests, one connection"
    );
}

#[tokio::test]
async fn a_pool_that_outlives_the_servers_keep_alive_loses_a_request() {
    // The hazard itself, so the test below proves something: without the client's own idle limit the second
    // request goes out on the connection the server is done with.
    let (base, accepted) = keep_alive_server().await;
    let client = client(&base, Some(Duration::from_secs(60)));
    client.health().await.unwrap();
    tokio::time::sleep(SERVER_KEEP_ALIVE + Duration::from_millis(200)).await;
    let err = client.health().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connections_idle_past_the_pool_limit_are_not_reused() {
    let (base, accepted) = keep_alive_server().await;
    // Below the server's keep-alive, as the default (4 s) is below uvicorn's 5 s.
    let client = client(&base, Some(SERVER_KEEP_ALIVE / 2));
    client.health().await.unwrap();
    tokio::time::sleep(SERVER_KEEP_ALIVE + Duration::from_millis(200)).await;
    client.health().await.unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "the idle connection was dropped by the client, and the second request opened a fresh one"
    );
}
