//! Reading specs people write: YAML or JSON, with errors at `origin:line:column` and the field's path.
//!
//! Files are read only when they are regular files within a size limit ([`LoadOptions`]). YAML is read by
//! `serde-saphyr` under a budget scaled to the text — nesting past [`MAX_DEPTH`] levels and aliases that expand
//! beyond a fraction of the file are refused — and JSON by `serde_json` after a linear pass that refuses
//! duplicate keys and the same nesting. A key set twice in one mapping is refused in both, naming where it was
//! first set (found by a walk over `granit-parser` events that stops at the repetition).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{Event, Parser};

use crate::error::{Error, Result};
use crate::spec::{FleetSpec, ServerSpec};

/// The largest spec file read unless told otherwise: 8 MiB, thousands of times a real spec.
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// How deep mappings and sequences may nest in a spec (a spec needs about five levels); deeper text is refused
/// before anything recurses into it.
pub const MAX_DEPTH: usize = 64;

/// The format of a spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecFormat {
    /// YAML (also what a `.yml` file or an unknown extension is read as).
    Yaml,
    /// JSON.
    Json,
}

impl SpecFormat {
    /// JSON for a `.json` file, YAML otherwise.
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Yaml,
        }
    }
}

/// Limits on reading a spec file ([`ServerSpec::from_path_with`], [`FleetSpec::from_path_with`]).
///
/// Only regular files are read: a directory, FIFO, device or socket is refused before it is opened (a FIFO
/// blocks, a device may never end). At most [`LoadOptions::max_bytes`] are read.
///
/// ```
/// use mcpfleet_dockerfile_gen::{DEFAULT_MAX_BYTES, LoadOptions};
/// assert_eq!(LoadOptions::default().max_bytes, DEFAULT_MAX_BYTES);
/// assert_eq!(LoadOptions::default().with_max_bytes(1024).max_bytes, 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The largest file read, in bytes ([`DEFAULT_MAX_BYTES`] by default); a larger one is
    /// [`Error::FileTooLarge`].
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

    /// Reads a regular file of at most [`LoadOptions::max_bytes`] as UTF-8 text.
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
        let expected = usize::try_from(metadata.len().min(self.max_bytes)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(expected.saturating_add(1));
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

impl ServerSpec {
    /// Reads a server spec from `text`; `origin` (a file name) starts every error message.
    pub fn from_text(text: &str, format: SpecFormat, origin: &str) -> Result<Self> {
        parse(text, format, origin)
    }

    /// Reads a server spec file (JSON by extension, else YAML): a regular file of at most
    /// [`DEFAULT_MAX_BYTES`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_path_with(path, &LoadOptions::default())
    }

    /// Like [`ServerSpec::from_path`], within `options`.
    pub fn from_path_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self> {
        let (text, format, origin) = read(path.as_ref(), options)?;
        Self::from_text(&text, format, &origin)
    }
}

impl FleetSpec {
    /// Reads a fleet spec from `text`; `origin` (a file name) starts every error message.
    pub fn from_text(text: &str, format: SpecFormat, origin: &str) -> Result<Self> {
        parse(text, format, origin)
    }

    /// Reads a fleet spec file (JSON by extension, else YAML): a regular file of at most
    /// [`DEFAULT_MAX_BYTES`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_path_with(path, &LoadOptions::default())
    }

    /// Like [`FleetSpec::from_path`], within `options`: a directory, FIFO or device is
    /// [`Error::NotAFile`], a file over [`LoadOptions::max_bytes`] is [`Error::FileTooLarge`].
    ///
    /// ```no_run
    /// use mcpfleet_dockerfile_gen::{FleetSpec, LoadOptions};
    /// let spec = FleetSpec::from_path_with("fleet.yaml", &LoadOptions::default().with_max_bytes(1 << 20))?;
    /// # Ok::<(), mcpfleet_dockerfile_gen::Error>(())
    /// ```
    pub fn from_path_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self> {
        let (text, format, origin) = read(path.as_ref(), options)?;
        Self::from_text(&text, format, &origin)
    }
}

fn read(path: &Path, options: &LoadOptions) -> Result<(String, SpecFormat, String)> {
    let text = options.read(path)?;
    Ok((
        text,
        SpecFormat::from_path(path),
        path.display().to_string(),
    ))
}

fn parse<T: DeserializeOwned>(text: &str, format: SpecFormat, origin: &str) -> Result<T> {
    match format {
        SpecFormat::Json => {
            check_json(text, origin)?;
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                parse_error(
                    origin,
                    inner.line(),
                    inner.column(),
                    path,
                    inner.to_string(),
                )
            })?;
            // Trailing text after the document is an error, not ignored.
            deserializer.end().map_err(|e| {
                parse_error(origin, e.line(), e.column(), ".".into(), e.to_string())
            })?;
            Ok(value)
        }
        SpecFormat::Yaml => {
            let path = std::cell::RefCell::new(String::from("."));
            serde_saphyr::with_deserializer_from_str_with_options(
                text,
                yaml_options(text.len()),
                |deserializer| {
                    serde_path_to_error::deserialize(deserializer).map_err(|e| {
                        *path.borrow_mut() = e.path().to_string();
                        e.into_inner()
                    })
                },
            )
            .map_err(|err| yaml_error(text, origin, path.into_inner(), &err))
        }
    }
}

/// The YAML reader's settings for a text of `len` bytes: what a document may become (nodes, events, scalar
/// bytes, aliases replayed) is a small multiple of its size plus a fixed allowance (8,192 nodes, 32 KiB of text),
/// so an alias bomb is refused after a few levels while a server template merged into every server fits.
/// Duplicate keys are errors, and scalars resolve by the YAML 1.2 core schema (`yes` is a string).
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
        max_total_scalar_bytes: scaled(4, 1, 32_768),
        max_anchors: scaled(1, 1, 1024),
        max_aliases: scaled(1, 1, 1024),
        max_merge_keys: scaled(1, 4, 1024),
        max_recorded_anchor_events: scaled(1, 32, 1024),
        max_recorded_anchor_bytes: scaled(1, 4, 4096),
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
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        reject_unsupported_tags: true,
        with_snippet: false,
    }
}

const ALIAS_BOMB: &str = "anchors and aliases expand to far more than the file holds (a YAML alias bomb?): an \
     alias may repeat about as much as the file itself contains, so write the repeated parts out or reuse fewer";

fn too_deep() -> String {
    format!("nests mappings and sequences deeper than {MAX_DEPTH} levels (a spec needs about five)")
}

fn yaml_error(text: &str, origin: &str, path: String, err: &serde_saphyr::Error) -> Error {
    let (line, column) = err.location().map_or((0, 0), |at| {
        (
            usize::try_from(at.line()).unwrap_or(0),
            usize::try_from(at.column()).unwrap_or(0),
        )
    });
    let at = |path: String, message: String| Error::Parse {
        origin: origin.to_owned(),
        line,
        column,
        path,
        message,
    };
    let inner = inner_yaml_error(err);
    match inner {
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => {
            match duplicate(text, Some((line, column))) {
                Some(found) => found.error(origin),
                None => at(
                    path,
                    format!(
                        "repeats the key {}of an earlier entry of the same mapping (YAML compares `0xB` and `11` \
                         as the same number): the second value would silently replace the first",
                        key.as_deref()
                            .map(|k| format!("`{k}` "))
                            .unwrap_or_default()
                    ),
                ),
            }
        }
        serde_saphyr::Error::Budget { breach, .. } => at(
            ".".into(),
            match breach {
                BudgetBreach::Depth { .. } => too_deep(),
                _ => ALIAS_BOMB.to_owned(),
            },
        ),
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => {
            at(".".into(), ALIAS_BOMB.to_owned())
        }
        serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => at(".".into(), too_deep()),
        serde_saphyr::Error::ExternalMessage { source, .. }
            if matches!(
                &**source,
                serde_saphyr::ExternalMessageSource::Parser(scan)
                    if matches!(scan.kind(), serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded)
            ) =>
        {
            at(".".into(), too_deep())
        }
        _ => parse_error(origin, line, column, path, inner.to_string()),
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

fn parse_error(origin: &str, line: usize, column: usize, path: String, message: String) -> Error {
    // The parsers append the position they also report separately; say it once, up front.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    // The YAML parser also starts with the path this error carries separately.
    let message = message
        .strip_prefix(&format!("{path}: "))
        .map(str::to_owned)
        .unwrap_or(message);
    Error::Parse {
        origin: origin.to_owned(),
        line,
        column,
        path,
        message,
    }
}

/// A key set twice in one mapping: its path (`servers[0].name`) and both positions (line, column).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Duplicate {
    path: String,
    first: (usize, usize),
    second: (usize, usize),
}

impl Duplicate {
    fn error(&self, origin: &str) -> Error {
        Error::Parse {
            origin: origin.to_owned(),
            line: self.second.0,
            column: self.second.1,
            path: self.path.clone(),
            message: format!(
                "repeats the key first set at {}:{}: the second value would silently replace the first; keep one",
                self.first.0, self.first.1
            ),
        }
    }
}

/// The first key of a YAML or JSON text that repeats one of its mapping (with `second`, the one whose repetition
/// is there; the walk reads no further). Linear: each open mapping keeps the keys it has seen, and nesting is
/// bounded by the parser's limits.
fn duplicate(text: &str, second: Option<(usize, usize)>) -> Option<Duplicate> {
    enum Frame {
        Map {
            seen: HashMap<String, (usize, usize)>,
            /// Whether the next node is a key.
            at_key: bool,
            /// The key whose value is being read (`None`: a complex key).
            current: Option<String>,
        },
        Seq {
            next: usize,
        },
    }
    fn path(stack: &[Frame], last: &str) -> String {
        let mut out = String::new();
        for frame in stack {
            match frame {
                Frame::Map {
                    current: Some(key), ..
                } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Frame::Map { .. } => {}
                Frame::Seq { next } => out.push_str(&format!("[{}]", next.saturating_sub(1))),
            }
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(last);
        out
    }
    let options = serde_saphyr::granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH + 1,
        emit_comments: false,
    };
    let mut stack: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.ok()?;
        let at = (span.start.line(), span.start.col() + 1);
        if second.is_some_and(|limit| at > limit) {
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
        // Record a key, or move past a value.
        if let Some((top, before)) = stack.split_last_mut() {
            match top {
                Frame::Map {
                    seen,
                    at_key,
                    current,
                } => {
                    if *at_key {
                        *current = match &event {
                            Event::Scalar(name, ..) => Some(name.to_string()),
                            _ => None,
                        };
                        if let Some(name) = current.as_deref() {
                            match seen.get(name) {
                                Some(&first) if second.is_none_or(|limit| limit == at) => {
                                    return Some(Duplicate {
                                        path: path(before, name),
                                        first,
                                        second: at,
                                    });
                                }
                                Some(_) => {}
                                None => {
                                    seen.insert(name.to_owned(), at);
                                }
                            }
                        }
                    }
                    *at_key = !*at_key;
                }
                Frame::Seq { next } => *next += 1,
            }
        }
        if opens {
            stack.push(if matches!(event, Event::MappingStart(..)) {
                Frame::Map {
                    seen: HashMap::new(),
                    at_key: true,
                    current: None,
                }
            } else {
                Frame::Seq { next: 0 }
            });
        }
    }
    None
}

/// Refuses a JSON text with a repeated key (`serde_json` keeps the last, silently) or nesting past
/// [`MAX_DEPTH`], before the typed read; one pass that keeps only the keys of the open objects.
fn check_json(text: &str, origin: &str) -> Result<()> {
    #[derive(Clone, Copy)]
    struct Check<'a> {
        depth: usize,
        refusal: &'a std::cell::Cell<Option<&'static str>>,
    }
    impl Check<'_> {
        fn nested<E: serde::de::Error>(self) -> std::result::Result<Self, E> {
            if self.depth >= MAX_DEPTH {
                self.refusal.set(Some("deep"));
                return Err(E::custom(too_deep()));
            }
            Ok(Self {
                depth: self.depth + 1,
                ..self
            })
        }
    }
    impl<'de> DeserializeSeed<'de> for Check<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> std::result::Result<(), D::Error> {
            deserializer.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Check<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            let item = self.nested()?;
            while seq.next_element_seed(item)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
            let entry = self.nested()?;
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key) {
                    self.refusal.set(Some("duplicate"));
                    return Err(serde::de::Error::custom("repeats a key of the same object"));
                }
                map.next_value_seed(entry)?;
            }
            Ok(())
        }
    }
    let refusal = std::cell::Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let Err(err) = (Check {
        depth: 0,
        refusal: &refusal,
    })
    .deserialize(&mut deserializer) else {
        return Ok(());
    };
    match refusal.get() {
        Some("duplicate") => match duplicate(text, None) {
            Some(found) => Err(found.error(origin)),
            None => Err(parse_error(
                origin,
                err.line(),
                err.column(),
                ".".into(),
                err.to_string(),
            )),
        },
        Some(_) => Err(parse_error(
            origin,
            err.line(),
            err.column(),
            ".".into(),
            too_deep(),
        )),
        // A syntax error: the typed read reports it, with the field's path.
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_the_line_the_column_and_the_field() {
        let text = "name: demo\nservers:\n  - name: utils\n    runtime: {language: python, version: \"3.13\"}\n    entrypoint: {kind: script, path: s.py}\n    transport: {kind: carrier-pigeon}\n";
        let err = FleetSpec::from_text(text, SpecFormat::Yaml, "fleet.yaml").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("fleet.yaml:6:"), "{message}");
        assert!(message.contains("servers[0].transport"), "{message}");
        assert!(!message.contains(" at line "), "{message}");
        assert_eq!(message.matches("servers[0]").count(), 1, "{message}");

        let err = ServerSpec::from_text("{\"name\": 5}", SpecFormat::Json, "s.json").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("s.json:1:"), "{message}");
        assert!(message.contains("`name`"), "{message}");

        let err = FleetSpec::from_text(
            "{\"name\": \"a\", \"servers\": []} trailing",
            SpecFormat::Json,
            "f.json",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("f.json:1:"), "{err}");
    }

    #[test]
    fn a_missing_file_is_a_read_error_naming_it() {
        let err = FleetSpec::from_path("/nonexistent/fleet.yaml").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/fleet.yaml"), "{err}");
    }

    #[test]
    fn the_duplicate_walk_names_the_path_and_both_positions() {
        let text =
            "name: demo\nservers:\n  - name: a\n    labels: {x: \"1\", y: \"2\", x: \"3\"}\n";
        let found = duplicate(text, None).unwrap();
        assert_eq!(found.path, "servers[0].labels.x");
        assert_eq!(found.first, (4, 14));
        assert_eq!(found.second, (4, 30));
        // Stopping at a position finds only the repetition there.
        assert_eq!(duplicate(text, Some((4, 29))), None);
        assert_eq!(duplicate("a: 1\nb: 2\n", None), None);
    }
}
