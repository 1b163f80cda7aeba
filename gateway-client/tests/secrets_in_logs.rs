//! The bearer token never reaches logs, `Debug` or error text. A test binary of its own: tracing caches
//! callsite interest per process, so a thread-local subscriber in a binary with parallel tests can miss spans.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpfleet_gateway_client::{Client, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJ.super-secret-test-token.sig";

/// A `MakeWriter` that appends everything to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_token_never_appears_in_logs_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways/abc"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "abc", "name": "gw", "url": "http://x/mcp", "transport": "SSE", "enabled": true})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/gateways/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"detail": "Gateway not found: missing"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tools/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token(TOKEN)
        .retry(
            RetryPolicy::default()
                .min_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    client.gateways().get("abc").await.unwrap();
    let not_found = client.gateways().get("missing").await.unwrap_err();
    let flaky = client.tools().get("flaky").await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The logs are really there (so the absence below means something)…
    assert!(logs.contains("gateway_request"), "{logs}");
    assert!(logs.contains("path=/v1/gateways/abc"), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("status=404"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(logs.contains("attempts=4"), "{logs}");
    // …and the token is not.
    assert!(!logs.contains(TOKEN), "{logs}");
    for text in [
        format!("{client:?}"),
        format!("{:?}", client.with_token(TOKEN)),
        not_found.to_string(),
        format!("{not_found:?}"),
        flaky.to_string(),
        format!("{flaky:?}"),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}
