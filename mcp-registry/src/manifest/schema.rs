//! The manifest's JSON Schema, and the field names it allows at a path (for "did you mean" suggestions, so the
//! suggestions and the schema editors use cannot disagree).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use schemars::Schema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::Manifest;
use crate::path::{FieldPath, Segment};

/// The schema's `$id`, as committed in the repository.
pub(crate) const SCHEMA_ID: &str =
    "https://github.com/mcpfleet/mcpfleet/blob/main/mcp-registry/schema/fleet.schema.json";

pub(crate) fn manifest_schema() -> Schema {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Manifest>();
    schema.insert("$id".to_owned(), SCHEMA_ID.into());
    schema.insert("title".to_owned(), "mcpfleet fleet manifest".into());
    schema
}

fn schema_value() -> &'static Value {
    static VALUE: OnceLock<Value> = OnceLock::new();
    VALUE.get_or_init(|| manifest_schema().to_value())
}

/// The keys the schema allows in the mapping at `path` (empty when the path leaves the schema).
pub(crate) fn known_keys(path: &FieldPath) -> Vec<String> {
    let root = schema_value();
    let mut current = expand(root, root);
    for segment in path.segments() {
        current = current
            .into_iter()
            .filter_map(|schema| match segment {
                Segment::Key(key) => schema.get("properties").and_then(|p| p.get(key)),
                Segment::Index(_) => schema.get("items"),
            })
            .flat_map(|schema| expand(root, schema))
            .collect();
    }
    let keys: BTreeSet<String> = current
        .iter()
        .filter_map(|schema| schema.get("properties").and_then(Value::as_object))
        .flat_map(|properties| properties.keys().cloned())
        .collect();
    keys.into_iter().collect()
}

/// A schema and the schemas its `$ref`, `anyOf`, `oneOf` and `allOf` stand for.
fn expand<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut pending = vec![schema];
    while let Some(schema) = pending.pop() {
        if out.len() > 64 {
            break; // a cyclic schema; the suggestions are a convenience
        }
        if let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .and_then(|name| root.get("$defs").and_then(|defs| defs.get(name)))
        {
            pending.push(target);
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            if let Some(options) = schema.get(combinator).and_then(Value::as_array) {
                pending.extend(options);
            }
        }
        out.push(schema);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_follow_refs_lists_and_tagged_enums() {
        let root = FieldPath::root();
        assert!(known_keys(&root).contains(&"servers".to_owned()));
        let server = root.key("servers").index(3);
        let keys = known_keys(&server);
        assert!(keys.contains(&"expected_tools".to_owned()), "{keys:?}");
        let smoke = server.key("smoke").index(0);
        assert_eq!(known_keys(&smoke), ["arguments", "expect", "tool"]);
        let auth = server.key("auth");
        assert!(known_keys(&auth).contains(&"token_env".to_owned()));
        assert!(known_keys(&root.key("nowhere")).is_empty());
    }
}
