//! The catch-all for answer fields this crate does not name.

use std::collections::BTreeMap;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Answer fields a response type does not name, by wire name.
///
/// Credential-looking fields (names containing `password`, `token`, `secret`, `unmasked`, `authvalue`,
/// `headervalue`, `clientkey`, `authheaders`, `queryparamvalue`) are dropped while decoding: the gateway
/// masks most of them, but not all, and a read model must never carry an upstream secret into `Debug`
/// output or logs.
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
}
