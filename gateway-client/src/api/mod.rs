//! Resource handles: each borrows the [`crate::Client`] and maps one area of the REST API.

mod auth;
mod gateways;
mod rbac;
mod servers;
mod tokens;
mod tools;

pub use auth::Auth;
pub use gateways::Gateways;
pub use rbac::Rbac;
pub use servers::Servers;
pub use tokens::{TokenListBuilder, Tokens};
pub use tools::Tools;
#[cfg(feature = "mcp")]
pub(crate) use tools::arguments_object;

use crate::error::{Error, Result};
use crate::operation::Operation;

/// `/v1/<collection>/<id>` with the id percent-encoded, so an id can never change the path's shape.
pub(crate) fn item_path(
    operation: Operation,
    collection: &str,
    id: &str,
    rest: &str,
) -> Result<String> {
    if id.is_empty() {
        return Err(Error::InvalidRequest {
            operation: operation.as_str(),
            message: "the id is empty".to_owned(),
        });
    }
    let mut encoded = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(format!("{collection}/{encoded}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded() {
        assert_eq!(
            item_path(Operation::GatewaysGet, "/v1/gateways", "ab12", "").unwrap(),
            "/v1/gateways/ab12"
        );
        assert_eq!(
            item_path(Operation::GatewaysGet, "/v1/gateways", "../x?y", "/state").unwrap(),
            "/v1/gateways/..%2Fx%3Fy/state"
        );
        assert!(item_path(Operation::GatewaysGet, "/v1/gateways", "", "").is_err());
    }
}
