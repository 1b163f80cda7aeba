//! Bearer tokens (held as secrets), their decoded claims, and the credential a claim set describes.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::permission::{PermissionSet, TokenScope};
use crate::role::TeamNarrowing;

/// A bearer token (a JWT), held as a secret.
///
/// `Debug` prints `BearerToken([REDACTED])`; there is no `Display` and no `Serialize`. The only way to the text is
/// [`BearerToken::expose_secret`], for putting it in an `Authorization` header.
///
/// ```
/// use mcpfleet_scope_audit::BearerToken;
///
/// let token = BearerToken::new("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
/// assert_eq!(format!("{token:?}"), "BearerToken([REDACTED])");
/// ```
#[derive(Clone)]
pub struct BearerToken(SecretString);

impl BearerToken {
    /// Wraps the token text.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token text. Do not log it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Decodes the claims **without verifying the signature**; see [`TokenClaims::decode_unverified`].
    pub fn claims_unverified(&self) -> Result<TokenClaims> {
        TokenClaims::decode_unverified(self)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken([REDACTED])")
    }
}

impl From<String> for BearerToken {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

/// JWT segments are base64url without padding; accept padding too, as some minting tools add it.
const JWT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `teams` claim, keeping the difference between "missing" and `null` that the gateway relies on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "teams")]
#[non_exhaustive]
pub enum TeamsClaim {
    /// No `teams` claim (CLI tokens without `--admin`, session tokens).
    #[default]
    Missing,
    /// `"teams": null`.
    Null,
    /// `"teams": [...]` (team ids; `{"id": ...}` objects are reduced to their id).
    Teams(Vec<String>),
}

/// This type's own serialized form (`{"kind": ..., "teams": [...]}`), so that [`TokenClaims`] round-trips.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "teams")]
enum TaggedTeamsClaim {
    Missing,
    Null,
    Teams(Vec<String>),
}

impl<'de> Deserialize<'de> for TeamsClaim {
    /// Accepts the JWT claim (`null`, or a list of ids or `{"id": ...}` objects) and this type's own serialized
    /// form.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        // Present-but-null arrives here as Null; a missing claim never calls this (see `#[serde(default)]`).
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Array(entries) => Self::Teams(
                entries
                    .into_iter()
                    .filter_map(|entry| match entry {
                        serde_json::Value::String(id) => Some(id),
                        serde_json::Value::Object(mut object) => match object.remove("id") {
                            Some(serde_json::Value::String(id)) => Some(id),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
            ),
            tagged @ serde_json::Value::Object(_) => {
                match serde_json::from_value(tagged).map_err(serde::de::Error::custom)? {
                    TaggedTeamsClaim::Missing => Self::Missing,
                    TaggedTeamsClaim::Null => Self::Null,
                    TaggedTeamsClaim::Teams(teams) => Self::Teams(teams),
                }
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "`teams` must be null, a list of team ids, or {\"kind\": ...}",
                ));
            }
        })
    }
}

/// The `user` claim of API tokens and admin CLI tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserClaim {
    /// The user's e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The admin flag copied into the token at issue time (the gateway checks its database for the RBAC bypass).
    #[serde(default)]
    pub is_admin: bool,
    /// `cli`, `api_token`, `local`, ...
    #[serde(default)]
    pub auth_provider: Option<String>,
}

/// The `scopes` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScopesClaim {
    /// Restricts the token to one virtual server's paths (plus general endpoints such as `/rpc`).
    #[serde(default)]
    pub server_id: Option<String>,
    /// The permission cap. Empty = no cap.
    #[serde(default)]
    pub permissions: PermissionSet,
    /// CIDRs the token may be used from.
    #[serde(default)]
    pub ip_restrictions: Vec<String>,
    /// Time windows (`business_hours_only`, `weekdays_only`), verbatim.
    #[serde(default)]
    pub time_restrictions: serde_json::Value,
}

/// A ContextForge JWT's claims, decoded for **inspection only**.
///
/// # This is not validation
///
/// [`TokenClaims::decode_unverified`] reads the payload segment and **does not check the signature, the expiry,
/// the audience, the issuer or revocation**. Anyone can write a JWT that decodes to any claims. Use the result to
/// explain what a token *says* it may do (audits, least-privilege recipes, error messages); never to decide
/// whether to trust a caller. Only the gateway can do that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenClaims {
    /// Subject: an e-mail (CLI tokens) or a user UUID (API and session tokens).
    #[serde(default)]
    pub sub: Option<String>,
    /// Token id (revocation key).
    #[serde(default)]
    pub jti: Option<String>,
    /// `api`, `session`, or absent for self-minted (CLI) tokens.
    #[serde(default)]
    pub token_use: Option<String>,
    /// Issuer (`mcpgateway`).
    #[serde(default)]
    pub iss: Option<String>,
    /// Audience (`mcpgateway-api`), a string or a list.
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    /// Issued at (Unix seconds).
    #[serde(default)]
    pub iat: Option<i64>,
    /// Expiry (Unix seconds).
    #[serde(default)]
    pub exp: Option<i64>,
    /// Top-level admin flag, honoured by `normalize_token_teams` next to `user.is_admin`.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// The `user` claim.
    #[serde(default)]
    pub user: Option<UserClaim>,
    /// The `teams` claim.
    #[serde(default)]
    pub teams: TeamsClaim,
    /// The `scopes` claim.
    #[serde(default)]
    pub scopes: Option<ScopesClaim>,
}

impl TokenClaims {
    /// Decodes a JWT's payload **without verifying anything** (see the type docs).
    ///
    /// ```
    /// use mcpfleet_scope_audit::{BearerToken, CredentialKind, TokenClaims};
    /// # use base64::Engine as _;
    /// # let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
    /// #     r#"{"sub":"u-1","token_use":"api","teams":null,"scopes":{"permissions":["tools.execute","servers.use"]}}"#);
    /// # let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
    /// let token = BearerToken::new(jwt);
    /// let claims = TokenClaims::decode_unverified(&token)?;
    /// assert_eq!(claims.credential_kind(), CredentialKind::ApiToken);
    /// assert!(claims.scope().permissions().contains_str("tools.execute"));
    /// # Ok::<(), mcpfleet_scope_audit::Error>(())
    /// ```
    pub fn decode_unverified(token: &BearerToken) -> Result<Self> {
        let text = token.expose_secret().trim();
        let segments: Vec<&str> = text.split('.').collect();
        if segments.len() != 3 {
            return Err(Error::TokenNotJwt {
                segments: segments.len(),
            });
        }
        let payload = JWT_BASE64
            .decode(segments[1])
            .map_err(|source| Error::TokenPayloadEncoding { source })?;
        serde_json::from_slice(&payload).map_err(|source| Error::TokenClaims { source })
    }

    /// What kind of credential the `token_use` claim says this is.
    pub fn credential_kind(&self) -> CredentialKind {
        match self.token_use.as_deref() {
            Some("api") => CredentialKind::ApiToken,
            Some("session") => CredentialKind::Session,
            _ => CredentialKind::SelfSigned,
        }
    }

    /// The token's scope (an absent `scopes` claim is an unrestricted scope).
    pub fn scope(&self) -> TokenScope {
        TokenScope::new(
            self.scopes
                .as_ref()
                .map(|s| s.permissions.clone())
                .unwrap_or_default(),
        )
    }

    /// Whether the token itself claims admin (top-level `is_admin` or `user.is_admin`).
    pub fn claims_admin(&self) -> bool {
        self.is_admin.unwrap_or(false) || self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    /// How this token narrows teams, as `normalize_token_teams` computes it from the claims alone.
    ///
    /// Session tokens are the exception the gateway makes: their teams come from the database, so they are
    /// reported as [`TeamNarrowing::Unrestricted`].
    pub fn team_narrowing(&self) -> TeamNarrowing {
        if self.credential_kind() == CredentialKind::Session {
            return TeamNarrowing::Unrestricted;
        }
        match &self.teams {
            TeamsClaim::Missing => TeamNarrowing::PublicOnly,
            TeamsClaim::Null if self.claims_admin() => TeamNarrowing::Unrestricted,
            TeamsClaim::Null => TeamNarrowing::PublicOnly,
            TeamsClaim::Teams(teams) if teams.is_empty() => TeamNarrowing::PublicOnly,
            TeamsClaim::Teams(teams) => TeamNarrowing::Teams(teams.clone()),
        }
    }
}

/// What kind of credential a request carries; operations differ in which kinds they accept.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialKind {
    /// No token at all.
    Anonymous,
    /// An API token from `POST /v1/tokens` (`token_use: "api"`).
    ApiToken,
    /// An interactive session from login or SSO (`token_use: "session"`).
    Session,
    /// A JWT signed with the gateway's secret outside the token API (`create_jwt_token` CLI), no `token_use`.
    SelfSigned,
}

impl CredentialKind {
    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Anonymous => "no token",
            Self::ApiToken => "API token",
            Self::Session => "session token",
            Self::SelfSigned => "self-signed JWT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> BearerToken {
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
        BearerToken::new(format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{body}.c2lnbmF0dXJl"
        ))
    }

    #[test]
    fn decodes_a_real_api_token_shape() {
        let token = jwt(
            r#"{"sub":"9c1f","jti":"j1","token_use":"api","iat":1,"iss":"mcpgateway","aud":"mcpgateway-api",
            "env":"development","user":{"email":"dev@example.com","full_name":"API Token User","is_admin":false,
            "auth_provider":"api_token"},"teams":["t1"],"scopes":{"server_id":null,"permissions":["tools.read",
            "tools.execute","servers.use"],"ip_restrictions":[],"time_restrictions":{}},"exp":2}"#,
        );
        let claims = token.claims_unverified().unwrap();
        assert_eq!(claims.credential_kind(), CredentialKind::ApiToken);
        assert_eq!(claims.teams, TeamsClaim::Teams(vec!["t1".into()]));
        assert_eq!(
            claims.team_narrowing(),
            TeamNarrowing::Teams(vec!["t1".into()])
        );
        assert_eq!(claims.scope().permissions().len(), 3);
        assert_eq!(
            claims.user.unwrap().email.as_deref(),
            Some("dev@example.com")
        );
    }

    #[test]
    fn teams_missing_null_and_objects_are_told_apart() {
        let missing = jwt(r#"{"sub":"a"}"#).claims_unverified().unwrap();
        assert_eq!(missing.teams, TeamsClaim::Missing);
        assert_eq!(missing.team_narrowing(), TeamNarrowing::PublicOnly);
        let null_admin = jwt(r#"{"teams":null,"user":{"is_admin":true}}"#)
            .claims_unverified()
            .unwrap();
        assert_eq!(null_admin.teams, TeamsClaim::Null);
        assert_eq!(null_admin.team_narrowing(), TeamNarrowing::Unrestricted);
        let null_user = jwt(r#"{"teams":null}"#).claims_unverified().unwrap();
        assert_eq!(null_user.team_narrowing(), TeamNarrowing::PublicOnly);
        let objects = jwt(r#"{"teams":[{"id":"t9","name":"x"},7]}"#)
            .claims_unverified()
            .unwrap();
        assert_eq!(objects.teams, TeamsClaim::Teams(vec!["t9".into()]));
        let session = jwt(r#"{"token_use":"session"}"#)
            .claims_unverified()
            .unwrap();
        assert_eq!(session.team_narrowing(), TeamNarrowing::Unrestricted);
    }

    #[test]
    fn malformed_tokens_are_errors_that_never_echo_the_token() {
        let secret = "not-a-jwt-secret-value";
        let err = BearerToken::new(secret).claims_unverified().unwrap_err();
        assert!(matches!(err, Error::TokenNotJwt { segments: 1 }));
        assert!(!err.to_string().contains(secret));

        let err = BearerToken::new("a.%%%secret%%%.c")
            .claims_unverified()
            .unwrap_err();
        assert!(matches!(err, Error::TokenPayloadEncoding { .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("secret"));

        let err = jwt(r#"{"scopes":{"permissions":["bad perm"]}}"#)
            .claims_unverified()
            .unwrap_err();
        assert!(matches!(err, Error::TokenClaims { .. }), "{err:?}");
        let err = jwt("[1,2]").claims_unverified().unwrap_err();
        assert!(matches!(err, Error::TokenClaims { .. }));
    }

    #[test]
    fn decoded_claims_round_trip_through_their_own_json() {
        for payload in [
            r#"{"sub":"a"}"#,
            r#"{"teams":null,"is_admin":true}"#,
            r#"{"teams":["t1",{"id":"t2"}],"scopes":{"permissions":["tools.read"]}}"#,
        ] {
            let claims = jwt(payload).claims_unverified().unwrap();
            let json = serde_json::to_value(&claims).unwrap();
            let back: TokenClaims = serde_json::from_value(json.clone())
                .unwrap_or_else(|e| panic!("{payload} -> {json}: {e}"));
            assert_eq!(back, claims, "{payload}");
        }
        let err = jwt(r#"{"teams":"t1"}"#).claims_unverified().unwrap_err();
        assert!(matches!(err, Error::TokenClaims { .. }), "{err:?}");
    }

    #[test]
    fn padded_payloads_are_accepted() {
        let body = base64::engine::general_purpose::URL_SAFE.encode(r#"{"sub":"ab"}"#);
        let claims = BearerToken::new(format!("h.{body}.s"))
            .claims_unverified()
            .unwrap();
        assert_eq!(claims.sub.as_deref(), Some("ab"));
    }

    #[test]
    fn debug_redacts() {
        let token = BearerToken::new("super-secret-token");
        assert!(!format!("{token:?}").contains("super"));
    }
}
