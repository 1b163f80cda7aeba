//! Whether a piece of text carries something shaped like a credential: the one test the workspace uses wherever a
//! value must not be a secret (a manifest field, a variable name, an expanded URL, a container spec's baked-in
//! default), so that every place agrees on what a secret looks like.

use std::fmt;

/// The shape of credential found in a text; says *what* was found, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialShape {
    /// A JSON Web Token (`eyJ….….…`), such as a ContextForge bearer token.
    Jwt,
    /// A key with a vendor's published prefix (`sk_live_…`, `ghp_…`, `AKIA…`, …); the vendor is named.
    VendorKey(&'static str),
    /// A PEM private key block.
    PrivateKey,
    /// A URL with a password in it (`https://user:password@host`).
    UrlPassword,
    /// A long random-looking string of letters and digits in mixed case, as API keys and session secrets are.
    HighEntropy,
}

impl fmt::Display for CredentialShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialShape::Jwt => f.write_str("a token (a JWT)"),
            CredentialShape::VendorKey(vendor) => write!(f, "a {vendor} key"),
            CredentialShape::PrivateKey => f.write_str("a private key"),
            CredentialShape::UrlPassword => f.write_str("a URL with a password"),
            CredentialShape::HighEntropy => f.write_str("a random-looking key"),
        }
    }
}

/// Published key prefixes, and how many characters at least follow each in a real key (so that a word that
/// merely starts the same way, `sk-learn`, is not taken for one).
const VENDOR_PREFIXES: &[(&str, usize, &str)] = &[
    ("sk_live_", 16, "Stripe"),
    ("sk_test_", 16, "Stripe"),
    ("rk_live_", 16, "Stripe"),
    ("whsec_", 24, "Stripe webhook"),
    ("sk-ant-", 24, "Anthropic"),
    ("sk-proj-", 24, "OpenAI"),
    ("sk-", 32, "OpenAI-style"),
    ("ghp_", 30, "GitHub"),
    ("gho_", 30, "GitHub"),
    ("ghu_", 30, "GitHub"),
    ("ghs_", 30, "GitHub"),
    ("ghr_", 30, "GitHub"),
    ("github_pat_", 30, "GitHub"),
    ("glpat-", 20, "GitLab"),
    ("xoxb-", 20, "Slack"),
    ("xoxp-", 20, "Slack"),
    ("xoxa-", 20, "Slack"),
    ("xoxs-", 20, "Slack"),
    ("xapp-", 20, "Slack"),
    ("AKIA", 16, "AWS"),
    ("ASIA", 16, "AWS"),
    ("AIza", 35, "Google"),
    ("hf_", 30, "Hugging Face"),
    ("npm_", 36, "npm"),
    ("pypi-", 50, "PyPI"),
    ("SG.", 60, "SendGrid"),
];

/// The credential `text` carries, if any: the whole text or any part of it between separators (a URL's path
/// segments, query values, user information).
///
/// The test is deliberately about shape, not meaning: it must never miss a pasted token, and it must not flag
/// the names, URLs, hashes and versions that fill a manifest.
///
/// ```
/// use mcpfleet_scope_audit::{CredentialShape, credential_shape};
/// assert_eq!(credential_shape("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"), Some(CredentialShape::Jwt));
/// assert_eq!(credential_shape("http://collector.example/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln/mcp"),
///            Some(CredentialShape::Jwt));
/// assert_eq!(credential_shape("sk_live_51HqLyjWDarjtT1zdp7dc"), Some(CredentialShape::VendorKey("Stripe")));
/// assert_eq!(credential_shape("https://admin:hunter2@gw.example"), Some(CredentialShape::UrlPassword));
/// assert_eq!(credential_shape("MCPGATEWAY_BEARER_TOKEN"), None);
/// assert_eq!(credential_shape("http://utils.example.com:8000/mcp?session=abc"), None);
/// assert_eq!(credential_shape("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), None);
/// ```
pub fn credential_shape(text: &str) -> Option<CredentialShape> {
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY") {
        return Some(CredentialShape::PrivateKey);
    }
    if url_password(text) {
        return Some(CredentialShape::UrlPassword);
    }
    let pieces = || {
        text.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '/' | '?' | '&' | '=' | ':' | '@' | '#' | ';' | ',' | '"' | '\''
                )
        })
    };
    if let Some(shape) = pieces().find_map(known_shape) {
        return Some(shape);
    }
    // Base64 keys carry `/`, `+` and `=`: tested whole as well as cut at separators.
    let whole = (!text.contains("://")).then(|| text.trim());
    whole
        .into_iter()
        .chain(pieces())
        .any(high_entropy)
        .then_some(CredentialShape::HighEntropy)
}

/// A JWT or a vendor's key.
fn known_shape(piece: &str) -> Option<CredentialShape> {
    if is_jwt(piece) {
        return Some(CredentialShape::Jwt);
    }
    VENDOR_PREFIXES
        .iter()
        .find(|(prefix, at_least, _)| {
            piece.strip_prefix(prefix).is_some_and(|rest| {
                rest.len() >= *at_least
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            })
        })
        .map(|(_, _, vendor)| CredentialShape::VendorKey(vendor))
}

fn is_jwt(piece: &str) -> bool {
    let mut segments = piece.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return false;
    };
    header.starts_with("eyJ")
        && [header, payload, signature].iter().all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
        })
}

/// `scheme://user:password@host…` with a non-empty password.
fn url_password(text: &str) -> bool {
    let Some((_, rest)) = text.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .and_then(|(user_info, _)| user_info.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with("${"))
}

/// At least 32 characters of letters and digits (and `-`, `_`, `+`, `/`, `=`), with upper and lower case and at
/// least three digits, the characters spread out (Shannon entropy of at least 4 bits each). Hex (hashes, ids),
/// identifiers and words joined by separators fall short of that.
fn high_entropy(piece: &str) -> bool {
    const MIN_LEN: usize = 32;
    if piece.len() < MIN_LEN
        || !piece
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'='))
    {
        return false;
    }
    let count = |test: fn(&u8) -> bool| piece.bytes().filter(test).count();
    if count(u8::is_ascii_uppercase) == 0
        || count(u8::is_ascii_lowercase) == 0
        || count(u8::is_ascii_digit) < 3
    {
        return false;
    }
    let mut counts = [0u32; 128];
    for b in piece.bytes() {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss)] // lengths far below 2^52
    let len = piece.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / len;
            -p * p.log2()
        })
        .sum();
    entropy >= 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_credentials_are_found_wherever_they_sit() {
        for (text, shape) in [
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
                CredentialShape::Jwt,
            ),
            (
                "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
                CredentialShape::VendorKey("GitHub"),
            ),
            ("AKIAIOSFODNN7EXAMPLE", CredentialShape::VendorKey("AWS")),
            (
                "https://api.example/v1?key=sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                CredentialShape::VendorKey("Stripe"),
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA=\n",
                CredentialShape::PrivateKey,
            ),
            (
                "postgres://app:s3cret@db:5432/app",
                CredentialShape::UrlPassword,
            ),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY9Zq3",
                CredentialShape::HighEntropy,
            ),
            (
                "Zx8kQ2mN7vB4cT1wR9yL6pH3jF5dG0sA",
                CredentialShape::HighEntropy,
            ),
        ] {
            assert_eq!(credential_shape(text), Some(shape), "{text}");
        }
    }

    #[test]
    fn what_fills_a_manifest_is_not_taken_for_a_secret() {
        for text in [
            "MCPGATEWAY_BEARER_TOKEN",
            "FLEET_UTILS_URL",
            "http://utils.example.com:8000/mcp",
            "${FLEET_UTILS_URL}/mcp",
            "https://user:${PASSWORD}@host/x",
            "https://user@host/x",
            "v1.2.3",
            "sk-learn",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "123e4567-e89b-12d3-a456-426614174000",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4",
            "mcp_servers.config_server.server",
            "python -m mcp_servers.chroma_memory.server --transport stdio",
            "ThisIsAVeryLongCamelCaseIdentifierName2",
            "/srv/app/data/notes.sqlite3",
        ] {
            assert_eq!(credential_shape(text), None, "{text}");
        }
    }
}
