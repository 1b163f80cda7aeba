//! The catch-all for answer fields this crate does not name.

use std::collections::BTreeMap;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Answer fields a response type does not name, by wire name.
///
/// Credential-looking fields (names containing `password`, `token`, `secret`, `unmasked`, `authvalue`,
/// `headervalue`, `clientkey`, `authheaders`, `queryparamvalue`) are dropped while decoding, at any depth
/// (e.g. a tool's `auth.password` or a server's `oauthConfig.client_secret`): the gateway masks most of
/// them, but not all, and a read model must never carry an upstream secret into `Debug` output or logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Extra(BTreeMap<String, Value>);

const SECRET_MARKERS: &[&str] = &[
    "password",
    "token",
    "secret",
    "unmasked",
    "authvalue",
    "headervalue",
    "clientkey",
    "authheaders",
    "queryparamvalue",
];

fn looks_secret(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_MARKERS.iter().any(|m| normalized.contains(m))
}

/// Drops credential-looking keys from every object nested in `value`.
fn drop_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !looks_secret(k));
            map.values_mut().for_each(drop_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_secrets),
        _ => {}
    }
}

impl Extra {
    /// The underlying map.
    pub fn as_map(&self) -> &BTreeMap<String, Value> {
        &self.0
    }
}

impl Deref for Extra {
    type Target = BTreeMap<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = BTreeMap::<String, Value>::deserialize(d)?;
        map.retain(|k, _| !looks_secret(k));
        map.values_mut().for_each(drop_secrets);
        Ok(Extra(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_credential_fields() {
        let e: Extra = serde_json::from_str(
            r#"{"authTokenUnmasked":"t","auth_value":"v","authPassword":"p","authHeaders":[{"key":"k","value":"v"}],"createdBy":"admin"}"#,
        )
        .unwrap();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["createdBy"]);
    }

    #[test]
    fn drops_nested_credential_fields() {
        // ToolRead's `auth` object and ServerRead's `oauthConfig` hold secrets one level down.
        let e: Extra = serde_json::from_str(
            r#"{"auth":{"authType":"basic","username":"u","password":"tool-pw","authHeaders":[{"key":"k","value":"hv"}]},
                "oauthConfig":{"client_id":"c","client_secret":"oauth-secret"},
                "list":[{"token":"in-array","keep":1}]}"#,
        )
        .unwrap();
        let debug = format!("{e:?}");
        for secret in ["tool-pw", "hv", "oauth-secret", "in-array"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert_eq!(e["auth"]["username"], "u");
        assert_eq!(e["oauthConfig"]["client_id"], "c");
        assert_eq!(e["list"][0]["keep"], 1);
    }
}
