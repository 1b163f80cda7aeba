//! A gateway that misbehaves on purpose, for the tests of whatever talks to ContextForge (client, registry, CLI).
//!
//! [`HostileGateway::start`] serves one [`Hostility`] on a free loopback port and records every request it gets,
//! so a test can assert both what its code did with the answer and what reached the server (or that nothing
//! did: [`HostileGateway::connections`]). std only — `std::net` and a thread per connection — because the harness
//! has no async runtime of its own; every answer closes its connection, so no state crosses requests.
//!
//! ```no_run
//! use mcpfleet_harness::{HostileGateway, Hostility};
//! # fn demo() -> mcpfleet_harness::Result<()> {
//! let elsewhere = HostileGateway::start(Hostility::Accepting)?;
//! let gateway = HostileGateway::start(Hostility::RedirectTo {
//!     status: 307,
//!     location: format!("{}/v1/gateways", elsewhere.base_url()),
//! })?;
//! // … run the code under test against gateway.base_url() …
//! assert_eq!(elsewhere.connections(), 0, "a redirect carried a request to another origin");
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{Result, io_err};

/// Terminal control sequences a hostile gateway puts in names and messages: erase the line, move the cursor up,
/// return to column 1, an OSC 8 hyperlink, a bell, and a title change. Code that prints them raw lets the
/// gateway rewrite the operator's screen.
pub const TERMINAL_ESCAPES: &str =
    "\u{1b}[2K\u{1b}[1A\r\u{1b}]8;;http://evil.invalid\u{7}click\u{1b}]8;;\u{7}\u{1b}]0;owned\u{7}";

/// How a [`HostileGateway`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hostility {
    /// Every request, of any method and path, is answered with `status` (301, 302, 303, 307, 308) and this
    /// `Location` — typically another [`HostileGateway`]'s URL, i.e. another origin.
    RedirectTo {
        /// The redirect status.
        status: u16,
        /// The `Location` header's value.
        location: String,
    },
    /// A plausible, well-behaved answer to everything: `/health` is healthy, listings are empty, a write echoes a
    /// gateway. The "other origin" a redirect points to, which would make a client that followed it succeed.
    Accepting,
    /// `GET /v1/gateways` lists two gateways with the same id (`g1`) and different names, in the real answer's
    /// shape (`{"gateways": [...], "nextCursor": null}`).
    DuplicateIds,
    /// Every `GET /v1/gateways` page holds one new gateway and announces a cursor never seen before.
    EndlessCursors,
    /// Gateway names, descriptions and URLs in `GET /v1/gateways` carry [`TERMINAL_ESCAPES`], and every other
    /// request is refused with a 400 whose `detail` does too.
    EscapeCodes,
    /// Every answer is a 200 JSON body of `bytes` bytes (a valid listing padded with spaces), announced by
    /// `Content-Length`.
    HugeBody {
        /// The body's size.
        bytes: usize,
    },
    /// Every answer announces a small JSON body, then sends it one byte per `per_byte`.
    SlowBody {
        /// The pause before each byte.
        per_byte: Duration,
    },
    /// Reads the request and never answers, holding the connection until the client hangs up or the
    /// [`HostileGateway`] is dropped.
    Silent,
}

/// One request as the hostile gateway received it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (read by `Content-Length`).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossily).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Redacts `Authorization`: the point of recording is to check where a token went, not to print it.
impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(key, value)| {
                let shown = if key == "authorization" || key == "proxy-authorization" {
                    "[REDACTED]"
                } else {
                    value.as_str()
                };
                (key.as_str(), shown)
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// A loopback HTTP/1.1 server answering with one [`Hostility`]. Stops when dropped.
pub struct HostileGateway {
    base_url: String,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

struct Shared {
    hostility: Hostility,
    stopping: AtomicBool,
    connections: AtomicUsize,
    /// Pages served in [`Hostility::EndlessCursors`], for ids and cursors never seen before.
    pages: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl fmt::Debug for HostileGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostileGateway")
            .field("base_url", &self.base_url)
            .field("hostility", &self.shared.hostility)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl HostileGateway {
    /// Starts serving on a free loopback port.
    pub fn start(hostility: Hostility) -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(io_err("binding the hostile gateway to", "127.0.0.1:0"))?;
        let addr = listener
            .local_addr()
            .map_err(io_err("reading the local address of", "127.0.0.1:0"))?;
        let shared = Arc::new(Shared {
            hostility,
            stopping: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            pages: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let accepting = shared.clone();
        let accept = thread::Builder::new()
            .name(format!("hostile-gateway-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accepting.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    accepting.connections.fetch_add(1, Ordering::SeqCst);
                    let serving = accepting.clone();
                    // A connection the OS cannot give a thread is dropped: the client sees it closed.
                    let _ = thread::Builder::new()
                        .name("hostile-gateway-conn".to_owned())
                        .spawn(move || serve(stream, &serving));
                }
            })
            .map_err(io_err("starting the thread of", addr.to_string()))?;
        Ok(HostileGateway {
            base_url: format!("http://{addr}"),
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many TCP connections it accepted (also those that never sent a complete request).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every complete request it received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `needle` appears anywhere in what it received — request lines, headers or bodies: for asserting
    /// that a token or an upstream credential never reached it.
    pub fn received(&self, needle: &str) -> bool {
        self.requests().iter().any(|request| {
            request.target.contains(needle)
                || request
                    .headers
                    .iter()
                    .any(|(key, value)| key.contains(needle) || value.contains(needle))
                || request.body_text().contains(needle)
        })
    }
}

impl Drop for HostileGateway {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the blocking `accept` so the thread sees the flag; it then ends without counting this connection.
        let woke = self
            .base_url
            .strip_prefix("http://")
            .and_then(|addr| TcpStream::connect(addr).ok())
            .is_some();
        if woke && let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one request and answers it, then closes the connection.
fn serve(stream: TcpStream, shared: &Shared) {
    // Bounds a client that stops reading (or writing) halfway; the slow and silent modes outlast clients anyway.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(reader_stream) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader_stream);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    let mut stream = stream;
    answer(&mut stream, &request, shared);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn read_request(reader: &mut impl BufRead) -> Option<RecordedRequest> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(key, _)| key == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    // A body the size a gateway request has; a larger announcement is not read (nor trusted).
    let mut body = vec![0; length.min(16 * 1024 * 1024)];
    reader.read_exact(&mut body).ok()?;
    Some(RecordedRequest {
        method,
        target,
        headers,
        body,
    })
}

fn answer(stream: &mut TcpStream, request: &RecordedRequest, shared: &Shared) {
    let path = request.target.split('?').next().unwrap_or("");
    let listing = request.method == "GET" && path.trim_end_matches('/') == "/v1/gateways";
    match &shared.hostility {
        Hostility::RedirectTo { status, location } => {
            let body = json!({"detail": "moved"}).to_string();
            let _ = write_head(stream, *status, &[("location", location)], Some(body.len()))
                .and_then(|()| stream.write_all(body.as_bytes()));
        }
        Hostility::Accepting => write_json(stream, 200, &accepting_answer(request, path)),
        Hostility::DuplicateIds if listing => {
            let gateways = [gateway("g1", "fleet-a"), gateway("g1", "fleet-b")];
            write_json(
                stream,
                200,
                &json!({"gateways": gateways, "nextCursor": null}),
            );
        }
        Hostility::EndlessCursors if listing => {
            let n = shared.pages.fetch_add(1, Ordering::SeqCst);
            let page = json!({
                "gateways": [gateway(&format!("g{n}"), &format!("gw-{n}"))],
                "nextCursor": format!("cursor-{n}"),
            });
            write_json(stream, 200, &page);
        }
        Hostility::EscapeCodes if listing => {
            let mut hostile = gateway("g1", &format!("utils{TERMINAL_ESCAPES}"));
            hostile["description"] = json!(format!("fine{TERMINAL_ESCAPES}"));
            hostile["url"] = json!(format!("http://127.0.0.1:9000/mcp{TERMINAL_ESCAPES}"));
            hostile["lastError"] = json!(format!("failed{TERMINAL_ESCAPES}"));
            write_json(
                stream,
                200,
                &json!({"gateways": [hostile], "nextCursor": null}),
            );
        }
        Hostility::EscapeCodes => write_json(
            stream,
            400,
            &json!({"detail": format!("refused{TERMINAL_ESCAPES}")}),
        ),
        Hostility::DuplicateIds | Hostility::EndlessCursors => {
            write_json(stream, 200, &accepting_answer(request, path));
        }
        Hostility::HugeBody { bytes } => {
            let mut body = json!({"gateways": [], "nextCursor": null, "status": "healthy"})
                .to_string()
                .into_bytes();
            body.resize((*bytes).max(body.len()), b' ');
            let _ = write_head(stream, 200, &[], Some(body.len()))
                .and_then(|()| stream.write_all(&body));
        }
        Hostility::SlowBody { per_byte } => {
            let body = json!({"gateways": [], "nextCursor": null, "status": "healthy"}).to_string();
            if write_head(stream, 200, &[], Some(body.len())).is_err() {
                return;
            }
            for byte in body.as_bytes() {
                thread::sleep(*per_byte);
                if stream
                    .write_all(std::slice::from_ref(byte))
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
            }
        }
        Hostility::Silent => {
            // Holds the connection until the client hangs up or the gateway is dropped.
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let mut sink = [0u8; 64];
            loop {
                match stream.read(&mut sink) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        if shared.stopping.load(Ordering::SeqCst) {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }
    }
}

/// What a healthy gateway would answer, roughly: enough for a client that followed a redirect here to succeed.
fn accepting_answer(request: &RecordedRequest, path: &str) -> Value {
    if path == "/health" {
        return json!({"status": "healthy"});
    }
    if request.method == "GET" {
        for plural in ["gateways", "servers", "tools"] {
            if path.trim_end_matches('/') == format!("/v1/{plural}") {
                return json!({plural: [], "nextCursor": null});
            }
        }
    }
    if request.method == "DELETE" {
        return json!({"status": "success", "message": "deleted"});
    }
    gateway("accepted", "accepted")
}

/// A gateway in `GET /v1/gateways`'s shape (ContextForge 1.1.0, camelCase).
fn gateway(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "url": "http://127.0.0.1:9000/mcp",
        "description": null,
        "transport": "STREAMABLEHTTP",
        "capabilities": {"tools": {"listChanged": false}},
        "enabled": true,
        "reachable": true,
        "authType": null,
        "tags": [],
        "teamId": null,
        "ownerEmail": "admin@example.com",
        "visibility": "public",
        "version": 1,
        "slug": name,
        "toolCount": 1,
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2025-01-01T00:00:00Z",
    })
}

fn write_json(stream: &mut TcpStream, status: u16, body: &Value) {
    let body = body.to_string();
    let _ = write_head(stream, status, &[], Some(body.len()))
        .and_then(|()| stream.write_all(body.as_bytes()));
}

fn write_head(
    stream: &mut TcpStream,
    status: u16,
    extra: &[(&str, &str)],
    length: Option<usize>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        _ => "Hostile",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close\r\n"
    );
    if let Some(length) = length {
        head.push_str(&format!("content-length: {length}\r\n"));
    }
    for (key, value) in extra {
        head.push_str(&format!("{key}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blocking HTTP/1.1 exchange: the status line's code, the headers and the body.
    fn exchange(base: &str, raw: &str) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(answer[..split].to_vec()).unwrap();
        let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (code, head, answer[split + 4..].to_vec())
    }

    fn get(base: &str, target: &str) -> (u16, String, Vec<u8>) {
        exchange(
            base,
            &format!("GET {target} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0k3n\r\n\r\n"),
        )
    }

    #[test]
    fn redirects_point_where_told_and_requests_are_recorded() {
        let elsewhere = HostileGateway::start(Hostility::Accepting).unwrap();
        let location = format!("{}/v1/gateways", elsewhere.base_url());
        let gateway = HostileGateway::start(Hostility::RedirectTo {
            status: 307,
            location: location.clone(),
        })
        .unwrap();
        let body = r#"{"authToken":"upstream-secret"}"#;
        let (code, head, _) = exchange(
            gateway.base_url(),
            &format!(
                "POST /v1/gateways HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0k3n\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        assert_eq!(code, 307);
        assert!(head.contains(&format!("location: {location}")), "{head}");
        let requests = gateway.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "POST");
        assert_eq!(requests[0].body_text(), body);
        assert_eq!(requests[0].header("Authorization"), Some("Bearer t0k3n"));
        assert!(gateway.received("upstream-secret"));
        assert!(!format!("{:?}", requests[0]).contains("t0k3n"));
        // Nothing followed it here.
        assert_eq!(elsewhere.connections(), 0);
        assert!(!elsewhere.received("upstream-secret"));
    }

    #[test]
    fn listings_repeat_ids_never_end_and_carry_escapes() {
        let duplicates = HostileGateway::start(Hostility::DuplicateIds).unwrap();
        let (code, _, body) = get(
            duplicates.base_url(),
            "/v1/gateways?include_pagination=true",
        );
        assert_eq!(code, 200);
        let page: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(page["gateways"][0]["id"], "g1");
        assert_eq!(page["gateways"][1]["id"], "g1");
        assert_ne!(page["gateways"][0]["name"], page["gateways"][1]["name"]);

        let endless = HostileGateway::start(Hostility::EndlessCursors).unwrap();
        let cursors: Vec<Value> = (0..3)
            .map(|_| {
                let (_, _, body) = get(endless.base_url(), "/v1/gateways");
                serde_json::from_slice::<Value>(&body).unwrap()["nextCursor"].clone()
            })
            .collect();
        assert_eq!(
            cursors,
            [json!("cursor-0"), json!("cursor-1"), json!("cursor-2")]
        );

        let escapes = HostileGateway::start(Hostility::EscapeCodes).unwrap();
        let (_, _, body) = get(escapes.base_url(), "/v1/gateways");
        let page: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            page["gateways"][0]["name"]
                .as_str()
                .unwrap()
                .contains('\u{1b}')
        );
        let (code, _, body) = get(escapes.base_url(), "/v1/servers/x");
        assert_eq!(code, 400);
        assert!(String::from_utf8(body).unwrap().contains("\\u001b[2K"));
    }

    #[test]
    fn huge_slow_and_silent_bodies() {
        let huge = HostileGateway::start(Hostility::HugeBody { bytes: 3 << 20 }).unwrap();
        let (_, head, body) = get(huge.base_url(), "/health");
        assert_eq!(body.len(), 3 << 20);
        assert!(
            head.contains(&format!("content-length: {}", 3 << 20)),
            "{head}"
        );
        assert!(serde_json::from_slice::<Value>(&body).is_ok());

        let slow = HostileGateway::start(Hostility::SlowBody {
            per_byte: Duration::from_millis(1),
        })
        .unwrap();
        let started = std::time::Instant::now();
        let (code, _, body) = get(slow.base_url(), "/health");
        assert_eq!(code, 200);
        assert!(started.elapsed() >= Duration::from_millis(body.len() as u64));

        let silent = HostileGateway::start(Hostility::Silent).unwrap();
        let mut stream =
            TcpStream::connect(silent.base_url().trim_start_matches("http://")).unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut byte = [0u8; 1];
        let err = stream.read(&mut byte).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{err:?}"
        );
    }
}
