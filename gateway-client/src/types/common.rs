//! Small types shared by several resources.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How the gateway talks to an upstream MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum Transport {
    /// MCP streamable HTTP (URL usually ends in `/mcp`).
    #[serde(rename = "STREAMABLEHTTP", alias = "streamablehttp")]
    StreamableHttp,
    /// MCP over server-sent events (URL usually ends in `/sse`). The gateway's default.
    #[serde(rename = "SSE", alias = "sse")]
    Sse,
    /// A transport this client does not know (only ever read from the gateway, never sent).
    #[serde(other, skip_serializing)]
    #[schemars(skip)]
    Unknown,
}

impl Transport {
    /// The wire spelling: `STREAMABLEHTTP` or `SSE` (`UNKNOWN` for [`Transport::Unknown`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::StreamableHttp => "STREAMABLEHTTP",
            Transport::Sse => "SSE",
            Transport::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who can see a gateway, server or tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Visibility {
    /// Only the owner.
    Private,
    /// Members of the owning team.
    Team,
    /// Everyone (the gateway's default).
    Public,
    /// A visibility this client does not know (only ever read, never sent).
    #[serde(other, skip_serializing)]
    #[schemars(skip)]
    Unknown,
}

impl Visibility {
    /// The wire spelling (`private`, `team`, `public`).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Team => "team",
            Visibility::Public => "public",
            Visibility::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tag as the gateway returns it: `{"id","label"}` (older answers use plain strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tag {
    /// Normalized id, e.g. `fleet`.
    pub id: String,
    /// Label as entered.
    pub label: String,
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Plain(String),
            Object {
                #[serde(default)]
                id: Option<String>,
                label: String,
            },
        }
        Ok(match Wire::deserialize(d)? {
            Wire::Plain(s) => Tag {
                id: s.clone(),
                label: s,
            },
            Wire::Object { id, label } => Tag {
                id: id.unwrap_or_else(|| label.clone()),
                label,
            },
        })
    }
}

/// A secret inside a request body (an upstream's bearer token or password, an auth header value).
///
/// It is serialized as a plain string, because the gateway needs it, but `Debug` prints `[REDACTED]`, so
/// logging a request body never leaks it.
#[derive(Clone)]
pub struct Sensitive(SecretString);

impl Sensitive {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Sensitive(SecretString::from(secret.into()))
    }

    /// The secret itself. Call only where the value must leave the program.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl PartialEq for Sensitive {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl From<String> for Sensitive {
    fn from(s: String) -> Self {
        Sensitive::new(s)
    }
}

impl From<&str> for Sensitive {
    fn from(s: &str) -> Self {
        Sensitive::new(s)
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Sensitive::new)
    }
}

impl JsonSchema for Sensitive {
    fn schema_name() -> Cow<'static, str> {
        "Sensitive".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "writeOnly": true,
            "description": "A secret; redacted in Debug output."
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

/// The `{"status","message"}` body the gateway answers to deletes and state changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatusMessage {
    /// `success` on success.
    #[serde(default)]
    pub status: String,
    /// Human-readable, e.g. `Gateway <id> deleted`.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_wire_names() {
        assert_eq!(
            serde_json::to_string(&Transport::StreamableHttp).unwrap(),
            r#""STREAMABLEHTTP""#
        );
        assert_eq!(
            serde_json::from_str::<Transport>(r#""sse""#).unwrap(),
            Transport::Sse
        );
        assert_eq!(
            serde_json::from_str::<Transport>(r#""WEBSOCKET""#).unwrap(),
            Transport::Unknown
        );
        assert!(serde_json::to_string(&Transport::Unknown).is_err());
    }

    #[test]
    fn tags_in_both_shapes() {
        let tags: Vec<Tag> =
            serde_json::from_str(r#"["a", {"id":"b","label":"B"}, {"label":"c"}]"#).unwrap();
        assert_eq!(tags[0].id, "a");
        assert_eq!(tags[1].label, "B");
        assert_eq!(tags[2].id, "c");
    }

    #[test]
    fn sensitive_is_redacted_but_serialized() {
        let s = Sensitive::new("hunter2");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""hunter2""#);
    }
}
