//! Users and sessions (`/v1/auth/email`; snake_case on the wire), health and version.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user record (`GET /v1/auth/email/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// E-mail, the user's login.
    pub email: String,
    /// Full name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Platform admin.
    #[serde(default)]
    pub is_admin: bool,
    /// Active flag.
    #[serde(default)]
    pub is_active: bool,
    /// `local`, `sso`, …
    #[serde(default)]
    pub auth_provider: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last login.
    #[serde(default)]
    pub last_login: Option<String>,
    /// Whether the e-mail is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// Whether the user must change the password.
    #[serde(default)]
    pub password_change_required: bool,
    /// Failed logins since the last success.
    #[serde(default)]
    pub failed_login_attempts: u32,
    /// Lockout end.
    #[serde(default)]
    pub locked_until: Option<String>,
    /// Whether the account is locked.
    #[serde(default)]
    pub is_locked: bool,
}

/// Answer of `POST /v1/auth/email/login`: an interactive session token (20 minutes by default).
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// The session JWT; redacted in `Debug`.
    pub access_token: SecretString,
    /// `bearer`.
    #[serde(default)]
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: u64,
    /// Who logged in.
    pub user: User,
}

impl Session {
    /// The JWT. Call only where it must leave the program.
    pub fn expose_token(&self) -> &str {
        self.access_token.expose_secret()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .finish()
    }
}

/// Answer of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Health {
    /// `healthy`.
    pub status: String,
}

/// The application part of [`VersionInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppInfo {
    /// `ContextForge`.
    pub name: String,
    /// E.g. `1.1.0`.
    pub version: String,
    /// The MCP protocol version the gateway speaks, e.g. `2025-11-25`.
    #[serde(default)]
    pub mcp_protocol_version: Option<String>,
}

/// Answer of `GET /v1/version`.
///
/// Only these fields are kept: the full answer also describes the database and settings, which may hold
/// connection strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VersionInfo {
    /// The application.
    pub app: AppInfo,
    /// Server time.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Host name.
    #[serde(default)]
    pub host: Option<String>,
    /// Uptime.
    #[serde(default)]
    pub uptime_seconds: Option<u64>,
    /// Python, FastAPI, SQLAlchemy and OS versions.
    #[serde(default)]
    pub platform: Option<Value>,
}
