//! The crate's one error type.

/// Everything that can go wrong in this crate.
///
/// Messages say what was wrong and where. None of them contains a token: a malformed JWT is described by its
/// shape (how many segments, which segment), never by its text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A permission string is empty or contains whitespace or control characters.
    #[error("invalid permission {value:?}: {reason}")]
    InvalidPermission {
        /// The rejected string, verbatim.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// An operation id is not in the catalogue.
    #[error("unknown operation {id:?}: not in the ContextForge {gateway_version} catalogue")]
    UnknownOperation {
        /// The id that was looked up.
        id: String,
        /// The catalogue's gateway version.
        gateway_version: String,
    },

    /// No catalogue is known for this gateway version.
    #[error("no permission catalogue for ContextForge {version:?} (known: {known})")]
    UnsupportedGatewayVersion {
        /// The version that was asked for.
        version: String,
        /// The versions this crate knows, comma-separated.
        known: String,
    },

    /// A bearer token is not a JWT (`header.payload.signature`).
    #[error("bearer token is not a JWT: expected 3 dot-separated segments, found {segments}")]
    TokenNotJwt {
        /// How many segments the token had.
        segments: usize,
    },

    /// The JWT's payload segment is not base64url.
    #[error("JWT payload (segment 2) is not valid base64url")]
    TokenPayloadEncoding {
        /// The decoder's complaint.
        #[source]
        source: base64::DecodeError,
    },

    /// The JWT's payload is not the JSON claim set this crate understands.
    #[error("JWT payload (segment 2) is not a JSON claim set ContextForge would issue")]
    TokenClaims {
        /// The JSON decoder's complaint (it names the claim and position).
        #[source]
        source: serde_json::Error,
    },
}

/// Shorthand for `Result<T, scope_audit::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
