//! Turning manifest text into a JSON value, and finding where a field path sits in that text.
//!
//! Each format is parsed once into the `serde_json::Value` the decoder reads: YAML by `serde-saphyr` under a
//! budget scaled to the text (nesting depth, alias expansion, node and byte counts), JSON by `serde_json`
//! through a value builder that refuses duplicate keys and deep nesting, TOML by `toml`. A duplicate key is
//! refused in every format, naming where the key was first set. Positions are only needed when something is
//! wrong, so the position index ([`SpanIndex`]) is built from a span-keeping parse (`granit-parser` events for
//! YAML and JSON, which is a YAML 1.2 subset; `toml`'s spanned tables for TOML) only on that path, in time
//! linear in the text, and never on text the parser refused.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{Event, Parser};

use super::Manifest;
use super::decode::RawIssue;
use crate::error::{Error, Issue, Location, ManifestErrors, Result};
use crate::path::{FieldPath, Segment};

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

/// The largest file the loaders read unless told otherwise: 8 MiB, some fifty times the largest manifest in this
/// repository and twice what the loading benchmark reads.
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// How deep mappings and sequences may nest, in every format but TOML (whose parser stops at 80 levels itself).
/// A manifest needs about eight; the bound keeps parsing, the position index and the decoder's recursion small.
pub(crate) const MAX_DEPTH: usize = 64;

/// Limits on what a loader reads from disk ([`Manifest::from_path_with`],
/// [`import_server_json_file`](crate::import_server_json_file)).
///
/// Only regular files are read (a directory, FIFO, device or socket is refused before it is opened, since a
/// FIFO blocks and a device may never end), and at most [`LoadOptions::max_bytes`] of them. What the text may
/// expand to — YAML aliases, nesting — is bounded separately, by the size of the text itself.
///
/// ```
/// use mcpfleet_registry::{DEFAULT_MAX_BYTES, LoadOptions};
/// assert_eq!(LoadOptions::default().max_bytes, DEFAULT_MAX_BYTES);
/// let generous = LoadOptions::default().with_max_bytes(64 * 1024 * 1024);
/// assert_eq!(generous.max_bytes, 64 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The largest file read, in bytes ([`DEFAULT_MAX_BYTES`] by default). A larger one is refused with
    /// [`Error::FileTooLarge`] before its content is read.
    pub max_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl LoadOptions {
    /// These options with another size limit.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Reads a regular file of at most [`LoadOptions::max_bytes`] as UTF-8 text: what the `from_path` loaders
    /// read, for callers that parse the text themselves.
    pub fn read(&self, path: impl AsRef<Path>) -> Result<String> {
        let path = path.as_ref();
        let read_error = |source| Error::Read {
            path: path.to_owned(),
            source,
        };
        // Checked before opening: opening a FIFO blocks until someone writes to it.
        let metadata = std::fs::metadata(path).map_err(read_error)?;
        refuse_unless_file(path, &metadata)?;
        if metadata.len() > self.max_bytes {
            return Err(self.too_large(path, Some(metadata.len())));
        }
        let file = std::fs::File::open(path).map_err(read_error)?;
        // Again on what was opened, in case the path changed in between.
        let metadata = file.metadata().map_err(read_error)?;
        refuse_unless_file(path, &metadata)?;
        // The size said can be wrong (files under /proc say 0, a file can grow): the read itself is bounded.
        let expected = metadata.len().min(self.max_bytes);
        let mut bytes =
            Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
        file.take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(self.too_large(path, None));
        }
        String::from_utf8(bytes).map_err(|err| {
            read_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    err.utf8_error().valid_up_to()
                ),
            ))
        })
    }

    fn too_large(&self, path: &Path, size: Option<u64>) -> Error {
        Error::FileTooLarge {
            path: path.to_owned(),
            limit: self.max_bytes,
            size,
        }
    }
}

fn refuse_unless_file(path: &Path, metadata: &std::fs::Metadata) -> Result<()> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        "a directory"
    } else {
        unix_kind(&file_type).unwrap_or("not a regular file")
    };
    Err(Error::NotAFile {
        path: path.to_owned(),
        kind,
    })
}

#[cfg(unix)]
fn unix_kind(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn unix_kind(_: &std::fs::FileType) -> Option<&'static str> {
    None
}

/// A parsed document, held compactly until the decoder takes it apart: a mapping is a vector of its entries.
/// (`serde_json`'s map gives every mapping, however small, a tree node of eleven slots, which would make a
/// manifest of many small mappings take over ten times its size in memory; the decoder turns one entry of a list
/// at a time into a [`Value`].)
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The JSON value, built now.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(value) => Value::Bool(value),
            Self::Number(value) => Value::Number(value),
            Self::String(value) => Value::String(value),
            Self::Seq(items) => Value::Array(items.into_iter().map(Self::into_value).collect()),
            Self::Map(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(key, node)| (key, node.into_value()))
                    .collect(),
            ),
        }
    }

    /// The value of `key`, taken out of a mapping.
    pub(crate) fn take(&mut self, key: &str) -> Option<Self> {
        let Self::Map(entries) = self else {
            return None;
        };
        let at = entries.iter().position(|(name, _)| name == key)?;
        Some(entries.remove(at).1)
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        NodeSeed {
            depth: 0,
            refusal: &std::cell::Cell::new(Refusal::None),
        }
        .deserialize(deserializer)
    }
}

/// Parses `text` into a document, or says why not, with the parser's own position (never the position index's,
/// which is built only from text that parsed).
pub(crate) fn parse(text: &str, format: Format) -> std::result::Result<Node, RawIssue> {
    match format {
        Format::Json => parse_json(text),
        Format::Yaml => serde_saphyr::from_str_with_options(text, yaml_options(text.len()))
            .map_err(|err| yaml_issue(text, &err)),
        Format::Toml => toml::from_str(text).map_err(|err| toml_issue(text, &err)),
    }
}

/// The error for text [`parse`] refused: its one issue, at the parser's position.
pub(crate) fn refused(source_name: &str, issue: RawIssue) -> Error {
    Error::Manifest(Box::new(ManifestErrors {
        source_name: source_name.to_owned(),
        issues: vec![Issue {
            path: issue.path.to_string(),
            location: issue.location,
            message: issue.message,
            suggestion: issue.suggestion,
        }],
    }))
}

/// The YAML reader's settings for a text of `len` bytes. What a document may become — nodes, events, scalar
/// bytes, aliases replayed — is a small multiple of the text's own size plus a fixed allowance (8,192 nodes,
/// 32 KiB of text), so it stays proportional to the file: an alias bomb doubling at each level is refused after a
/// few levels, while a `<<: *defaults` template merged into every server fits easily (the allowance covers a
/// small file's reuse; past it, each merge line may bring back a few times its own length).
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let scaled = |numerator: usize, denominator: usize, floor: usize| {
        (len / denominator)
            .saturating_mul(numerator)
            .saturating_add(floor)
    };
    let budget = serde_saphyr::budget! {
        max_depth: MAX_DEPTH,
        flow_nesting_limit: MAX_DEPTH,
        max_events: scaled(4, 1, 16_384),
        max_nodes: scaled(2, 1, 8192),
        // Parsed scalars hold at most the text; replays may add three times as much (a template of a few
        // dozen words merged into every server by a line of its own).
        max_total_scalar_bytes: scaled(4, 1, 32_768),
        max_anchors: scaled(1, 1, 1024),
        max_aliases: scaled(1, 1, 1024),
        max_merge_keys: scaled(1, 4, 1024),
        max_recorded_anchor_events: scaled(1, 32, 1024),
        max_recorded_anchor_bytes: scaled(1, 4, 4096),
        // The bounds above decide; a ratio of aliases to anchors would refuse one template used by every server.
        enforce_alias_anchor_ratio: false,
    };
    serde_saphyr::options! {
        budget: budget,
        alias_limits: serde_saphyr::alias_limits! {
            // As many as the node budget allows: that budget bounds what a document becomes; this one must not
            // refuse a template merged into every server first.
            max_total_replayed_events: scaled(2, 1, 8192),
            max_replay_stack_depth: MAX_DEPTH,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        // The YAML 1.2 core schema, as the manifests were read before (`yes` is a string, `0755` too), and no
        // value silently dropped (`.inf` stays text rather than becoming null; an unknown tag is refused).
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        reject_unsupported_tags: true,
        with_snippet: false,
    }
}

fn yaml_issue(text: &str, err: &serde_saphyr::Error) -> RawIssue {
    let at = err.location().and_then(|at| {
        Some(Location {
            line: usize::try_from(at.line()).ok().filter(|&l| l > 0)?,
            column: usize::try_from(at.column()).ok().filter(|&c| c > 0)?,
        })
    });
    let issue = |message: String| match at {
        Some(at) => RawIssue::at(FieldPath::root(), at, message),
        None => RawIssue::new(FieldPath::root(), message),
    };
    match inner_yaml_error(err) {
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => {
            let found =
                at.and_then(|second| SpanIndex::duplicate(text, Format::Yaml, Some(second)));
            match found {
                Some(duplicate) => duplicate.issue(),
                None => issue(format!(
                    "the key {}repeats an earlier key of the same mapping (YAML compares `0xB` and `11` as the \
                     same number): a second value would silently replace the first",
                    key.as_deref()
                        .map(|k| format!("`{k}` "))
                        .unwrap_or_default()
                )),
            }
        }
        serde_saphyr::Error::Budget { breach, .. } => issue(budget_message(breach)),
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => issue(ALIAS_BOMB.to_owned()),
        serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => issue(too_deep()),
        serde_saphyr::Error::ExternalMessage { source, .. }
            if matches!(
                &**source,
                serde_saphyr::ExternalMessageSource::Parser(scan)
                    if matches!(scan.kind(), serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded)
            ) =>
        {
            issue(too_deep())
        }
        _ => issue(format!("invalid YAML: {}", without_location(err))),
    }
}

/// The error behind the wrappers that add source snippets or alias locations.
fn inner_yaml_error(err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    match err {
        serde_saphyr::Error::WithSnippet { error, .. }
        | serde_saphyr::Error::AliasError { error, .. } => inner_yaml_error(error),
        other => other,
    }
}

/// The error's message without the " at line L, column C" the issue carries separately.
fn without_location(err: &serde_saphyr::Error) -> String {
    let message = err.without_snippet().to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

const ALIAS_BOMB: &str = "anchors and aliases expand to far more than the file holds (a YAML alias bomb?): an \
     alias may repeat about as much as the file itself contains, so write the repeated parts out or reuse fewer";

fn too_deep() -> String {
    format!(
        "mappings and sequences nest deeper than {MAX_DEPTH} levels (a manifest needs about eight)"
    )
}

fn budget_message(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Depth { .. } => too_deep(),
        BudgetBreach::Documents { .. } => {
            "more than one YAML document: a manifest is one".to_owned()
        }
        _ => ALIAS_BOMB.to_owned(),
    }
}

fn toml_issue(text: &str, err: &toml::de::Error) -> RawIssue {
    let Some(span) = err.span() else {
        return RawIssue::new(
            FieldPath::root(),
            format!("invalid TOML: {}", err.message()),
        );
    };
    if err.message().starts_with("duplicate key")
        && let Some(duplicate) = toml_duplicate(text, span.clone())
    {
        return duplicate.issue();
    }
    let message = if err.message().contains("max recursion depth") {
        "arrays and inline tables nest deeper than the TOML reader's 80 levels (a manifest needs about eight)"
            .to_owned()
    } else {
        format!("invalid TOML: {}", err.message())
    };
    RawIssue::at(
        FieldPath::root(),
        LineIndex::new(text).location(span.start),
        message,
    )
}

/// Where a duplicate TOML key was first set. `toml` reports only the second key's span; reading the text again
/// with that key renamed to one that cannot clash puts it where the original landed, which names its table,
/// and so the first key (kept by the recovering parse).
fn toml_duplicate(text: &str, second: std::ops::Range<usize>) -> Option<Duplicate> {
    use toml::de::{DeTable, DeValue};
    let key = text.get(second.clone())?;
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    let marker = (0..)
        .map(|i| format!("mcpfleet_duplicate_{i}"))
        .find(|m| !text.contains(m.as_str()))?;
    let renamed = format!("{}{marker}{}", &text[..second.start], &text[second.end..]);
    let (document, _) = DeTable::parse_recoverable(&renamed);
    fn find(value: &DeValue<'_>, marker: &str, steps: &mut Vec<Segment>) -> bool {
        match value {
            DeValue::Table(table) => table.iter().any(|(key, value)| {
                steps.push(Segment::Key(key.get_ref().to_string()));
                let found = key.get_ref() == marker || find(value.get_ref(), marker, steps);
                if !found {
                    steps.pop();
                }
                found
            }),
            DeValue::Array(items) => items.iter().enumerate().any(|(i, item)| {
                steps.push(Segment::Index(i));
                let found = find(item.get_ref(), marker, steps);
                if !found {
                    steps.pop();
                }
                found
            }),
            _ => false,
        }
    }
    let mut steps = Vec::new();
    let renamed_root = DeValue::Table(document.into_inner());
    if !find(&renamed_root, &marker, &mut steps) {
        return None;
    }
    steps.pop();
    // The first key, in the original text (the renaming only changed text after it).
    let (original, _) = DeTable::parse_recoverable(text);
    let mut table = original.get_ref();
    let mut path = FieldPath::root();
    let mut steps = steps.into_iter().peekable();
    while let Some(step) = steps.next() {
        let Segment::Key(name) = step else {
            return None;
        };
        let mut value = table.get(name.as_str())?.get_ref();
        path = path.key(name);
        while let Some(Segment::Index(i)) = steps.peek() {
            let DeValue::Array(items) = value else {
                return None;
            };
            value = items.get(*i)?.get_ref();
            path = path.index(*i);
            steps.next();
        }
        let DeValue::Table(inner) = value else {
            return None;
        };
        table = inner;
    }
    let (first_key, _) = table.get_key_value(key)?;
    let lines = LineIndex::new(text);
    let mut first = first_key.span().start;
    if first >= second.start {
        // A table header declared twice (`[gateway]` … `[gateway]`): the recovering parse keeps the second
        // header's key, so the first is the same header on an earlier line.
        first = earlier_header(text, second.start)?;
    }
    Some(Duplicate {
        path: path.key(key),
        first: lines.location(first),
        second: lines.location(second.start),
    })
}

/// The offset of the same key in the last earlier line that declares the same table header as the line holding
/// `offset`.
fn earlier_header(text: &str, offset: usize) -> Option<usize> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let header = text[line_start..line_end].trim();
    if !header.starts_with('[') {
        return None;
    }
    let key_in_header = offset
        - line_start
        - (text[line_start..line_end].len() - text[line_start..line_end].trim_start().len());
    let mut start = 0;
    let mut found = None;
    for line in text[..line_start].split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line.trim() == header {
            found = Some(start + indent + key_in_header);
        }
        start += line.len();
    }
    found
}

/// A key set twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicate {
    pub(crate) path: FieldPath,
    pub(crate) first: Location,
    pub(crate) second: Location,
}

impl Duplicate {
    fn issue(&self) -> RawIssue {
        RawIssue::at(
            self.path.clone(),
            self.second,
            format!(
                "`{}` at {}:{} repeats the key first set at {}:{}: the second value would silently replace the \
                 first; keep one",
                self.path, self.second.line, self.second.column, self.first.line, self.first.column
            ),
        )
    }
}

/// JSON through `serde_json`, into a document built here: `serde_json::Value` keeps the last of two equal keys,
/// and a second `gateway.url` must not silently win.
fn parse_json(text: &str) -> std::result::Result<Node, RawIssue> {
    let refusal = std::cell::Cell::new(Refusal::None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = NodeSeed {
        depth: 0,
        refusal: &refusal,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    result.map_err(|err| {
        let at = Location {
            line: err.line(),
            column: err.column(),
        };
        match refusal.get() {
            Refusal::Duplicate => match SpanIndex::duplicate(text, Format::Json, None) {
                Some(duplicate) => duplicate.issue(),
                None => RawIssue::at(
                    FieldPath::root(),
                    at,
                    format!("{err}: a second value would silently replace the first; keep one"),
                ),
            },
            Refusal::TooDeep => RawIssue::at(FieldPath::root(), at, too_deep()),
            Refusal::None => RawIssue::at(FieldPath::root(), at, format!("invalid JSON: {err}")),
        }
    })
}

/// Why [`NodeSeed`] refused a document (its error is only text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    None,
    Duplicate,
    TooDeep,
}

/// Builds a [`Node`], refusing a repeated key and nesting past [`MAX_DEPTH`]: what the YAML and TOML parsers
/// refuse themselves, and `serde_json` does not.
#[derive(Clone, Copy)]
struct NodeSeed<'a> {
    depth: usize,
    refusal: &'a std::cell::Cell<Refusal>,
}

impl NodeSeed<'_> {
    fn nested<E: serde::de::Error>(&self) -> std::result::Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            self.refusal.set(Refusal::TooDeep);
            return Err(E::custom(too_deep()));
        }
        Ok(Self {
            depth: self.depth + 1,
            refusal: self.refusal,
        })
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E>(self, value: bool) -> std::result::Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> std::result::Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> std::result::Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> std::result::Result<Node, E> {
        // Like `serde_json::Value`: a float JSON cannot hold (NaN, infinite) becomes null.
        Ok(serde_json::Number::from_f64(value).map_or(Node::Null, Node::Number))
    }

    fn visit_str<E>(self, value: &str) -> std::result::Result<Node, E> {
        Ok(Node::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> std::result::Result<Node, E> {
        Ok(Node::String(value))
    }

    fn visit_unit<E>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Node, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
        let item = self.nested()?;
        let mut items = Vec::new();
        while let Some(value) = seq.next_element_seed(item)? {
            items.push(value);
        }
        items.shrink_to_fit();
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
        /// Up to this many entries a repeated key is looked for by scanning; past it, through a set.
        const SCANNED: usize = 16;
        let entry = self.nested()?;
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let repeated = if entries.len() < SCANNED {
                entries.iter().any(|(seen, _)| *seen == key)
            } else {
                if keys.is_empty() {
                    keys.extend(entries.iter().map(|(seen, _)| seen.clone()));
                }
                !keys.insert(key.clone())
            };
            if repeated {
                self.refusal.set(Refusal::Duplicate);
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = map.next_value_seed(entry)?;
            entries.push((key, value));
        }
        entries.shrink_to_fit();
        Ok(Node::Map(entries))
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
///
/// An arena: each node stores its parent and position, and a map from (parent, step) to node stands for the
/// paths, so building it is linear in the text (a path is never copied per node) and a lookup walks the path's
/// steps. Nesting is bounded by [`MAX_DEPTH`] (the parser stops deeper), so the walk's stack stays small too.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    /// Node 0 is the document.
    positions: Vec<Location>,
    /// The node a step leads to from its parent; the first one wins, as the first key of a name is where it was
    /// set.
    children: HashMap<(usize, Segment), usize>,
}

/// What the walk of the events is for.
#[derive(Debug, Clone, Copy)]
enum Walk {
    /// Every position.
    Index,
    /// The first repeated key (whose second occurrence is at `Some(location)`, if given; the walk stops there).
    Duplicate(Option<Location>),
}

impl SpanIndex {
    /// Builds the index; a document the span parser cannot read gives the positions before the problem (positions
    /// are then omitted, never wrong).
    pub(crate) fn build(text: &str, format: Format) -> Self {
        let mut index = Self::default();
        match format {
            Format::Yaml | Format::Json => {
                index.walk_events(text, Walk::Index);
            }
            Format::Toml => index.index_toml(text),
        }
        index
    }

    /// The first key of a YAML or JSON text that repeats one of its mapping, with both positions. With `second`,
    /// the one whose repetition is there (what the parser refused); the walk reads no further.
    pub(crate) fn duplicate(
        text: &str,
        format: Format,
        second: Option<Location>,
    ) -> Option<Duplicate> {
        debug_assert!(format != Format::Toml, "TOML has toml_duplicate");
        Self::default().walk_events(text, Walk::Duplicate(second))
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub(crate) fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut node = 0;
        for segment in path.segments() {
            match self.children.get(&(node, segment.clone())) {
                Some(&child) => node = child,
                None => break,
            }
        }
        self.positions.get(node).copied()
    }

    fn add(&mut self, at: Location) -> usize {
        self.positions.push(at);
        self.positions.len() - 1
    }

    /// The node `step` leads to from `parent`, made at `at` if new; `Err` with the existing node when the step
    /// is taken a second time.
    fn child(
        &mut self,
        parent: usize,
        step: Segment,
        at: Location,
    ) -> std::result::Result<usize, usize> {
        match self.children.entry((parent, step)) {
            std::collections::hash_map::Entry::Occupied(existing) => Err(*existing.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                self.positions.push(at);
                let node = self.positions.len() - 1;
                slot.insert(node);
                Ok(node)
            }
        }
    }

    fn walk_events(&mut self, text: &str, walk: Walk) -> Option<Duplicate> {
        /// An open mapping or sequence: its node, the step that led to it, and where its next entry goes.
        struct Frame {
            node: Option<usize>,
            step: Option<Segment>,
            next: Next,
        }
        enum Next {
            /// A mapping waiting for a key.
            Key,
            /// A mapping waiting for the value of a key (`None`: a complex key, whose value is not indexed).
            Value(Option<(usize, Segment)>),
            /// A sequence, at its next index.
            Item(usize),
        }
        let options = serde_saphyr::granit_parser::options! {
            flow_nesting_limit: MAX_DEPTH,
            block_nesting_limit: MAX_DEPTH + 1,
            emit_comments: false,
        };
        let root = self.add(Location { line: 1, column: 1 });
        let mut stack: Vec<Frame> = Vec::new();
        for event in Parser::new_from_str_with_options(text, options) {
            let Ok((event, span)) = event else {
                return None;
            };
            let at = Location {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            if let Walk::Duplicate(Some(limit)) = walk
                && at > limit
            {
                return None;
            }
            if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
                stack.pop();
                continue;
            }
            let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
            if !opens && !matches!(event, Event::Scalar(..) | Event::Alias(..)) {
                continue;
            }
            // This node's index entry and the step to it; `None` for a key (not a node of its own) and inside
            // complex keys.
            let placed: Option<(Option<usize>, Option<Segment>)> = match stack.last_mut() {
                None => Some((Some(root), None)),
                Some(frame) => match &mut frame.next {
                    Next::Key => {
                        frame.next = Next::Value(None);
                        if let (Event::Scalar(key, ..), Some(parent)) = (&event, frame.node) {
                            let step = Segment::Key(key.to_string());
                            match self.child(parent, step.clone(), at) {
                                Ok(node) => frame.next = Next::Value(Some((node, step))),
                                Err(first) => {
                                    let wanted = match walk {
                                        Walk::Index => false,
                                        Walk::Duplicate(None) => true,
                                        Walk::Duplicate(Some(second)) => second == at,
                                    };
                                    if wanted {
                                        let path = stack
                                            .iter()
                                            .filter_map(|f| f.step.clone())
                                            .chain(std::iter::once(step))
                                            .fold(FieldPath::root(), |path, step| match step {
                                                Segment::Key(key) => path.key(key),
                                                Segment::Index(i) => path.index(i),
                                            });
                                        return Some(Duplicate {
                                            path,
                                            first: self.positions[first],
                                            second: at,
                                        });
                                    }
                                }
                            }
                        }
                        // A key is not a node; a complex key's frame below indexes nothing.
                        if opens { Some((None, None)) } else { None }
                    }
                    Next::Value(entry) => {
                        let entry = entry.take();
                        frame.next = Next::Key;
                        Some(match entry {
                            Some((node, step)) => (Some(node), Some(step)),
                            None => (None, None),
                        })
                    }
                    Next::Item(next) => {
                        let index = *next;
                        *next += 1;
                        let node = frame.node.map(|parent| {
                            self.child(parent, Segment::Index(index), at)
                                .unwrap_or_else(|existing| existing)
                        });
                        Some((node, Some(Segment::Index(index))))
                    }
                },
            };
            if opens {
                let (node, step) = placed.unwrap_or((None, None));
                stack.push(Frame {
                    node,
                    step,
                    next: if matches!(event, Event::MappingStart(..)) {
                        Next::Key
                    } else {
                        Next::Item(0)
                    },
                });
            }
        }
        None
    }

    fn index_toml(&mut self, text: &str) {
        use toml::de::{DeTable, DeValue};
        /// Recursion is bounded by the TOML parser's own depth limit (80).
        fn walk(index: &mut SpanIndex, lines: &LineIndex<'_>, node: usize, value: &DeValue<'_>) {
            match value {
                DeValue::Table(table) => {
                    for (key, value) in table {
                        let step = Segment::Key(key.get_ref().to_string());
                        let at = lines.location(key.span().start);
                        let child = index.child(node, step, at).unwrap_or_else(|first| first);
                        walk(index, lines, child, value.get_ref());
                    }
                }
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = lines.location(item.span().start);
                        let child = index
                            .child(node, Segment::Index(i), at)
                            .unwrap_or_else(|first| first);
                        walk(index, lines, child, item.get_ref());
                    }
                }
                _ => {}
            }
        }
        let Ok(document) = DeTable::parse(text) else {
            return;
        };
        let lines = LineIndex::new(text);
        let root = self.add(Location { line: 1, column: 1 });
        walk(self, &lines, root, &DeValue::Table(document.into_inner()));
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
