//! What the raw-TCP test servers share (wiremock cannot misbehave the way they must).

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads one request's head, through the blank line, a byte at a time (so nothing of a next request is consumed);
/// `None` when the client hung up first. The requests these servers get have no body.
pub(crate) async fn read_request_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}
