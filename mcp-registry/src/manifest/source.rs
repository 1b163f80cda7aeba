//! Turning manifest text into a JSON value, and finding where a field path sits in that text.
//!
//! Each format is parsed once, by its usual serde crate (`yaml_serde`, `toml`, `serde_json`), into a
//! `serde_json::Value` that the decoder reads. Positions are only needed when something is wrong, so the
//! position index is built from a span-keeping parse (`saphyr-parser` events for YAML and JSON, which is a YAML
//! 1.2 subset; `toml`'s spanned tables for TOML) only on that path.

use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser};
use serde_json::Value;

use super::Manifest;
use super::decode::RawIssue;
use crate::error::{Error, Issue, Location, ManifestErrors, Result};
use crate::path::FieldPath;

/// A manifest file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// TOML (`.toml`).
    Toml,
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format a file name's extension says.
    pub fn from_path(path: &Path) -> Result<Self> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("toml") => Ok(Self::Toml),
            Some("yaml" | "yml") => Ok(Self::Yaml),
            Some("json") => Ok(Self::Json),
            other => Err(Error::Manifest(Box::new(ManifestErrors {
                source_name: path.display().to_string(),
                issues: vec![Issue {
                    path: FieldPath::root().to_string(),
                    location: None,
                    message: format!(
                        "cannot tell the format from the extension {}: name the file `.toml`, `.yaml`, `.yml` or \
                         `.json`",
                        other.map_or_else(|| "(none)".to_owned(), |e| format!("`.{e}`"))
                    ),
                    suggestion: None,
                }],
            }))),
        }
    }
}

/// Parses `text` into a JSON value, or the syntax error with its position.
pub(crate) fn parse(text: &str, format: Format) -> std::result::Result<Value, RawIssue> {
    match format {
        Format::Json => serde_json::from_str(text).map_err(|err| {
            RawIssue::at(
                FieldPath::root(),
                Location {
                    line: err.line(),
                    column: err.column(),
                },
                format!("invalid JSON: {err}"),
            )
        }),
        Format::Yaml => yaml_serde::from_str(text).map_err(|err| {
            let message = format!("invalid YAML: {err}");
            match err.location() {
                Some(at) => RawIssue::at(
                    FieldPath::root(),
                    Location {
                        line: at.line(),
                        column: at.column(),
                    },
                    message,
                ),
                None => RawIssue::new(FieldPath::root(), message),
            }
        }),
        Format::Toml => toml::from_str(text).map_err(|err| {
            let message = format!("invalid TOML: {}", err.message());
            match err.span() {
                Some(span) => RawIssue::at(
                    FieldPath::root(),
                    LineIndex::new(text).location(span.start),
                    message,
                ),
                None => RawIssue::new(FieldPath::root(), message),
            }
        }),
    }
}

/// Writes a manifest in `format`.
pub(crate) fn write(manifest: &Manifest, format: Format) -> Result<String> {
    let encode = |format: &'static str, message: String| Error::Encode {
        what: "manifest",
        format,
        message,
    };
    match format {
        Format::Json => serde_json::to_string_pretty(manifest)
            .map(|text| text + "\n")
            .map_err(|err| encode("JSON", err.to_string())),
        // Through a JSON value: the YAML writer would spell enums as YAML tags (`!equals 15`), which no reader
        // of this format expects.
        Format::Yaml => serde_json::to_value(manifest)
            .map_err(|err| encode("YAML", err.to_string()))
            .and_then(|value| {
                yaml_serde::to_string(&value).map_err(|err| encode("YAML", err.to_string()))
            }),
        Format::Toml => {
            // TOML has no null: say which value is one (a smoke call's argument, say) instead of the writer's
            // bare "unsupported unit type".
            toml::to_string_pretty(manifest).map_err(|err| {
                let null = serde_json::to_value(manifest)
                    .ok()
                    .and_then(|value| first_null(&value, String::new()));
                match null {
                    Some(path) => encode(
                        "TOML",
                        format!(
                            "`{path}` is null, which TOML cannot hold: write it as YAML or JSON"
                        ),
                    ),
                    None => encode("TOML", err.to_string()),
                }
            })
        }
    }
}

/// The path of the first null inside `value` (`servers[1].smoke[0].arguments.title`).
fn first_null(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::Null => Some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_null(item, format!("{at}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            first_null(field, path)
        }),
        _ => None,
    }
}

/// Where each field path starts in the text: the key of a mapping entry, or the first character of a sequence
/// item.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    positions: HashMap<FieldPath, Location>,
}

impl SpanIndex {
    /// Builds the index; a document the span parser cannot read gives an empty index (positions are then
    /// omitted, never wrong).
    pub(crate) fn build(text: &str, format: Format) -> Self {
        let mut index = Self::default();
        match format {
            Format::Yaml | Format::Json => index.index_yaml_events(text),
            Format::Toml => index.index_toml(text),
        }
        index
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub(crate) fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut current = Some(path.clone());
        while let Some(path) = current {
            if let Some(at) = self.positions.get(&path) {
                return Some(*at);
            }
            current = path.parent();
        }
        None
    }

    fn index_yaml_events(&mut self, text: &str) {
        enum Frame {
            Map {
                path: FieldPath,
                key: Option<String>,
            },
            Seq {
                path: FieldPath,
                next: usize,
            },
        }
        self.positions
            .insert(FieldPath::root(), Location { line: 1, column: 1 });
        let mut stack: Vec<Frame> = Vec::new();
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { return };
            let at = Location {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
            let is_node = opens || matches!(event, Event::Scalar(..) | Event::Alias(..));
            if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
                stack.pop();
                continue;
            }
            if !is_node {
                continue;
            }
            // The path of this node, and whether it is a mapping key (keys are not nodes of their own).
            let path = match stack.last_mut() {
                None => Some(FieldPath::root()),
                Some(Frame::Map { path, key }) => match key.take() {
                    None => {
                        match &event {
                            Event::Scalar(value, ..) => {
                                let entry = path.key(value.as_ref());
                                self.positions.entry(entry).or_insert(at);
                                *key = Some(value.to_string());
                            }
                            // A complex key: give it a placeholder so its value is skipped cleanly.
                            _ => *key = Some(String::new()),
                        }
                        None
                    }
                    Some(key) => Some(path.key(key)),
                },
                Some(Frame::Seq { path, next }) => {
                    let item = path.index(*next);
                    *next += 1;
                    self.positions.entry(item.clone()).or_insert(at);
                    Some(item)
                }
            };
            if opens {
                // A complex key's mapping still needs a frame so its end pops the right one.
                let path = path.unwrap_or_default();
                stack.push(match event {
                    Event::MappingStart(..) => Frame::Map { path, key: None },
                    _ => Frame::Seq { path, next: 0 },
                });
            }
        }
    }

    fn index_toml(&mut self, text: &str) {
        use toml::de::{DeTable, DeValue};
        fn walk(
            index: &mut SpanIndex,
            lines: &LineIndex<'_>,
            path: &FieldPath,
            value: &DeValue<'_>,
        ) {
            match value {
                DeValue::Table(table) => {
                    for (key, value) in table {
                        let entry = path.key(key.get_ref().as_ref());
                        index
                            .positions
                            .entry(entry.clone())
                            .or_insert_with(|| lines.location(key.span().start));
                        walk(index, lines, &entry, value.get_ref());
                    }
                }
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let entry = path.index(i);
                        index
                            .positions
                            .entry(entry.clone())
                            .or_insert_with(|| lines.location(item.span().start));
                        walk(index, lines, &entry, item.get_ref());
                    }
                }
                _ => {}
            }
        }
        let Ok(document) = DeTable::parse(text) else {
            return;
        };
        let lines = LineIndex::new(text);
        self.positions
            .insert(FieldPath::root(), Location { line: 1, column: 1 });
        let root = DeValue::Table(document.into_inner());
        walk(self, &lines, &FieldPath::root(), &root);
    }
}

/// Byte offsets → 1-based line and character column.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    fn location(&self, offset: usize) -> Location {
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        Location { line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(parts: &[&str]) -> FieldPath {
        parts
            .iter()
            .fold(FieldPath::root(), |p, part| match part.parse::<usize>() {
                Ok(i) => p.index(i),
                Err(_) => p.key(*part),
            })
    }

    #[test]
    fn yaml_positions_point_at_keys_and_items() {
        let text = "fleet: demo\nservers:\n  - name: a\n    url: http://x\n  - name: b\n    smoke:\n      - tool: t\n";
        let index = SpanIndex::build(text, Format::Yaml);
        let at = |parts: &[&str]| index.locate(&path(parts)).map(|l| (l.line, l.column));
        assert_eq!(at(&["fleet"]), Some((1, 1)));
        assert_eq!(at(&["servers", "0"]), Some((3, 5)));
        assert_eq!(at(&["servers", "0", "url"]), Some((4, 5)));
        assert_eq!(at(&["servers", "1", "smoke", "0", "tool"]), Some((7, 9)));
        // An unknown deeper path falls back to its nearest known ancestor.
        assert_eq!(at(&["servers", "1", "smoke", "0", "nope"]), Some((7, 9)));
    }

    #[test]
    fn a_null_refused_by_toml_is_named() {
        // Found by the `manifest` fuzz target: a smoke argument written `{title}` in YAML is null.
        let text = "fleet: demo\ngateway: {url: \"http://127.0.0.1:4444\"}\nservers:\n  - name: a\n    url: http://127.0.0.1:9/mcp\n    transport: sse\n    smoke: [{tool: t, arguments: {title}}]\n";
        let manifest = Manifest::from_str_with_env(text, Format::Yaml, "m.yaml", |_| None).unwrap();
        let err = write(&manifest, Format::Toml).unwrap_err().to_string();
        assert!(
            err.contains("`servers[0].smoke[0].arguments.title` is null"),
            "{err}"
        );
        assert!(write(&manifest, Format::Json).is_ok());
    }

    #[test]
    fn json_is_indexed_as_yaml() {
        let text = "{\n  \"fleet\": \"demo\",\n  \"servers\": [\n    {\"name\": \"a\"}\n  ]\n}\n";
        let index = SpanIndex::build(text, Format::Json);
        let at = |parts: &[&str]| index.locate(&path(parts)).map(|l| (l.line, l.column));
        assert_eq!(at(&["fleet"]), Some((2, 3)));
        assert_eq!(at(&["servers", "0", "name"]), Some((4, 6)));
    }

    #[test]
    fn toml_positions_point_at_keys_and_items() {
        let text = "fleet = \"demo\"\n\n[gateway]\nurl = \"http://x\"\n\n[[servers]]\nname = \"a\"\n\n[[servers]]\nname = \"b\"\n";
        let index = SpanIndex::build(text, Format::Toml);
        let at = |parts: &[&str]| index.locate(&path(parts)).map(|l| (l.line, l.column));
        assert_eq!(at(&["gateway", "url"]), Some((4, 1)));
        assert_eq!(at(&["servers", "1", "name"]), Some((10, 1)));
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let err = parse("fleet: [unclosed\n", Format::Yaml).unwrap_err();
        assert!(err.location.is_some(), "{err:?}");
        let err = parse("{\"fleet\": }", Format::Json).unwrap_err();
        assert_eq!(err.location.map(|l| l.line), Some(1));
        let err = parse("fleet = \n", Format::Toml).unwrap_err();
        assert_eq!(err.location.map(|l| l.line), Some(1));
    }
}
