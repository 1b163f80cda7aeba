//! The `yaml_aliases` target: structure-aware fuzzing of YAML anchors, aliases and merge keys (issue 25).
//!
//! The input is not YAML text but a program read through [`arbitrary::Unstructured`]: a [`Header`] and then
//! [`Op`]s (or [`SpecOp`]s) until the bytes run out. The program builds a document — a tree of mappings,
//! sequences and scalars whose nodes may carry anchors (`&a0` … `&a11`), be aliases to them (`*a3`) or merge
//! them (`<<: *a3`, `<<: [*a1, *a2]`), in block or flow style, nested up to [`MAX_TREE_DEPTH`] levels — and writes
//! it twice: as generated, and written out plainly (every alias and merge replaced by what it stands for, when
//! that is small enough to write). Two placements:
//!
//! * [`Mode::Tree`]: the tree is the `arguments` of a smoke call of a valid fleet manifest (a manifest takes any
//!   JSON value there), loaded by `Manifest::from_str_with_env`; the same tree is also given, as a whole
//!   document, to the container spec loaders (`FleetSpec`/`ServerSpec::from_text`), which refuse it early.
//! * [`Mode::Fleet`]: a container fleet spec (`FleetSpec::from_text`) whose real fields carry the anchors: whole
//!   servers used as `<<:` templates, `runtime`/`transport`/`env`/… aliased between servers, `sources` lists and
//!   `labels.extra` maps of aliased scalars, merges into `labels.extra`.
//!
//! Checks (a failure panics):
//!
//! * no panic, and every error names the origin (the file name the loader was given);
//! * what loads is small: its `serde_json` serialization is at most [`size_bound`] bytes;
//! * when the document is *predictable* — every alias names an anchor defined (and closed) before it, no anchor
//!   is redefined inside itself, no key repeats, every merge names a mapping — its plain equivalent is known, and:
//!   - a manifest refusal can only be the budget's: the message mentions the alias bomb or the 64 levels;
//!   - a manifest that expands past the node budget (`2 × len + 8192` nodes, replays included) is refused;
//!   - a manifest nesting deeper than 64 levels (counting what aliases bring in) is refused;
//!   - a document whose expansion stays under every floor of the budget (so that no limit can apply) loads
//!     exactly when its plain equivalent loads, as the same manifest or spec: aliases do not change what small
//!     legitimate reuse means or whether it is accepted;
//!   - whatever its size, a document that loads is equal to its plain equivalent, and a fleet spec refused while
//!     its plain equivalent loads is refused by the budget (alias bomb or depth), not by anything else.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use mcpfleet_dockerfile_gen::{FleetSpec, ServerSpec, SpecFormat};
use mcpfleet_registry::{Format, Manifest};

/// How deep the generated tree may nest (the root mapping is level 1). Past the loaders' 64 levels, so that the
/// depth limit is reached, directly and through aliases.
pub const MAX_TREE_DEPTH: usize = 72;

/// How many anchor names there are (`a0` … `a11`): few, so that aliases often find one and names get redefined.
const ANCHOR_NAMES: u8 = 12;

/// At most this many smoke calls (tree roots) in a manifest.
const MAX_ROOTS: usize = 8;
/// At most this many servers in a fleet.
const MAX_SERVERS: usize = 48;

/// Plain equivalents are written only up to this many nodes and scalar bytes (a bomb's would not fit in memory).
const MAX_PLAIN_NODES: u64 = 50_000;
const MAX_PLAIN_BYTES: u64 = 1 << 20;

/// The upper bound checked on the `serde_json` serialization of whatever loads from a text of `len` bytes, plus
/// 2 KiB for each server of a loaded fleet spec (the defaults a spec fills in: healthcheck, user, port, …).
///
/// Derived from the budget both loaders give `serde-saphyr` (mcp-registry `manifest/source.rs` and
/// dockerfile-gen `load.rs`, `yaml_options`), which counts replayed alias events like parsed ones:
/// at most `2 × len + 8192` nodes and `4 × len + 32 KiB` scalar bytes in all. In JSON a node of this target's
/// vocabulary costs its scalar text plus at most 6 bytes (`"k0":` quotes and colon, a comma, `~` written
/// `null`, brackets), so the loaded tree writes as at most `4 len + 32 KiB + 6 (2 len + 8192)` =
/// `16 len + 80 KiB` bytes; the manifest around it and its defaults are under 2 KiB. Hence `16 × len + 128 KiB`:
/// linear, where an alias bomb is exponential (ten levels of doubling: 1024 × the text).
///
/// Measured: the largest ratio the budget lets through is about 6 × the text for large manifests (aliases
/// replaying mappings of nulls, 24 KB of YAML → 142 KB of JSON, with the budget of the first run), and more for
/// texts of a few KB, where the floors (8,192 nodes, 32 KiB) decide; none of the inputs the fuzzer kept comes near
/// the bound.
pub const fn size_bound(len: usize) -> usize {
    16 * len + 128 * 1024
}

/// Reused structure the loaders must accept whatever the budget scale: under the smallest floors of the budget
/// (`+ 1024` events recorded under anchors and aliases; `+ 4096` bytes recorded under anchors), with a margin.
const SMALL_EVENTS: u64 = 900;
const SMALL_BYTES: u64 = 3_500;

/// Nesting the loaders accept (`MAX_DEPTH` in both).
const LOADER_DEPTH: u64 = 64;

/// What the loaders say when the budget refuses a document.
fn budget_refusal(message: &str) -> bool {
    message.contains("alias bomb") || message.contains("deeper than 64 levels")
}

/// The first thing read: where the generated document goes.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Which loader, and which program follows.
    pub mode: Mode,
    /// The first root mapping in flow style (`{…}`) rather than block style.
    pub flow_root: bool,
}

/// Which loaders a program feeds.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// [`Op`]s: a tree under a manifest's smoke `arguments`, and the same tree as a whole spec document.
    Tree,
    /// [`SpecOp`]s: a container fleet spec with anchors on its fields.
    Fleet,
}

/// An anchor name. On a node it defines, it is `a{byte % 12}`. In an alias or a merge, a byte below
/// [`Anchor::RAW`] picks among the anchors already defined and closed that fit, the latest first, so that most
/// references resolve (with none, the reference is left out): any anchor for an alias in a tree, mappings for a
/// merge; in a fleet, those of earlier servers defined on the same field (whole servers for a template). From
/// [`Anchor::RAW`] on, the byte names `a{byte % 12}` whether defined or not (an undefined or recursive alias).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor(pub u8);

impl Anchor {
    /// The first byte that names an anchor directly in a reference: `Anchor(Anchor::RAW + n)` is `*an`.
    pub const RAW: u8 = 240;

    fn id(self) -> u8 {
        self.0 % ANCHOR_NAMES
    }

    /// The anchor a reference names, among the `known` ones (in the order they closed) for which `fits` holds;
    /// `None` (the reference is left out) when none fits.
    fn pick(self, known: &[Known], fits: impl Fn(&Known) -> bool) -> Option<u8> {
        if self.0 >= Self::RAW {
            return Some(self.id());
        }
        let fitting: Vec<&Known> = known.iter().filter(|k| fits(k)).collect();
        let back = usize::from(self.0).checked_rem(fitting.len())?;
        Some(fitting[fitting.len() - 1 - back].id)
    }
}

/// An anchor defined and closed: its name, what it is, and the key it was defined under (`-` in a sequence).
#[derive(Debug, Clone)]
struct Known {
    id: u8,
    is_map: bool,
    is_scalar: bool,
    key: String,
}

/// The anchors of `node`, in the order they close.
fn collect_anchors(node: &Node, key: &str, out: &mut Vec<Known>) {
    let anchor = match node {
        Node::Scalar { anchor, .. } => *anchor,
        Node::Seq { anchor, items, .. } => {
            for item in items {
                collect_anchors(item, "-", out);
            }
            *anchor
        }
        Node::Map {
            anchor, entries, ..
        } => {
            for entry in entries {
                if let Entry::Pair(key, value) = entry {
                    collect_anchors(value, key, out);
                }
            }
            *anchor
        }
        Node::Alias(_) => None,
    };
    if let Some(id) = anchor {
        out.push(Known {
            id,
            is_map: matches!(node, Node::Map { .. }),
            is_scalar: matches!(node, Node::Scalar { .. }),
            key: key.to_owned(),
        });
    }
}

/// One step of a [`Mode::Tree`] program, applied to the innermost open mapping or sequence. In a mapping, each
/// new node is the value of the next key (`k0`, `k1`, …).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Opens a mapping (flow style inside a flow collection, whatever `flow` says).
    Map {
        /// `&aN` on it.
        anchor: Option<Anchor>,
        /// `{…}` rather than indented lines.
        flow: bool,
    },
    /// Opens a sequence.
    Seq {
        /// `&aN` on it.
        anchor: Option<Anchor>,
        /// `[…]` rather than `- ` lines.
        flow: bool,
    },
    /// A scalar.
    Scalar {
        /// `&aN` on it.
        anchor: Option<Anchor>,
        /// Its spelling.
        word: Word,
    },
    /// `*aN`.
    Alias(Anchor),
    /// `<<: *aN` in a mapping (successive merges make `<<: [*aN, *aM]`); in a sequence, an item `{<<: *aN}`.
    Merge(Anchor),
    /// Closes the innermost collection (the root mapping stays open).
    Close,
    /// The next value of the open mapping reuses the previous key: a duplicate key.
    RepeatKey,
    /// Starts the next smoke call's `arguments` (up to `MAX_ROOTS`); anchors stay defined.
    NextRoot,
}

/// Scalar spellings, each valid in block and flow context alike.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// `x`
    X,
    /// `hello world`
    Words,
    /// `1`
    One,
    /// `-7`
    Negative,
    /// `2.5`
    Float,
    /// `true`
    True,
    /// `null`
    Null,
    /// `~`
    Tilde,
    /// `yes` (a string in YAML 1.2)
    Yes,
    /// `0755` (a string: leading zero)
    Octal,
    /// `1_000` (a string: underscore)
    Underscored,
    /// `.inf` (kept as a string)
    Inf,
    /// `0x1F`
    Hex,
    /// `'single: quoted'`
    Single,
    /// `"double \u00e9"`
    Double,
    /// `""`
    Empty,
    /// `'<<'`, a quoted merge-key spelling as a plain value
    QuotedMerge,
    /// `k0`, a key's spelling as a value
    KeyLike,
    /// 256 `x`s, so that replays add bytes fast
    Long,
}

impl Word {
    fn text(self) -> &'static str {
        const LONG: &str = concat!(
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        );
        match self {
            Self::X => "x",
            Self::Words => "hello world",
            Self::One => "1",
            Self::Negative => "-7",
            Self::Float => "2.5",
            Self::True => "true",
            Self::Null => "null",
            Self::Tilde => "~",
            Self::Yes => "yes",
            Self::Octal => "0755",
            Self::Underscored => "1_000",
            Self::Inf => ".inf",
            Self::Hex => "0x1F",
            Self::Single => "'single: quoted'",
            Self::Double => "\"double \\u00e9\"",
            Self::Empty => "\"\"",
            Self::QuotedMerge => "'<<'",
            Self::KeyLike => "k0",
            Self::Long => LONG,
        }
    }
}

/// One step of a [`Mode::Fleet`] program, applied to the last server (the first step that needs one starts it).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOp {
    /// A new server `sN`: with a template, `<<: *aN` and only its name; without, the required fields.
    Server {
        /// `&aN` on the server's mapping.
        anchor: Option<Anchor>,
        /// Flow style.
        flow: bool,
        /// `<<: *aN`.
        template: Option<Anchor>,
    },
    /// Sets a field to one of its written values (`variant` picks).
    Field {
        /// Which field.
        field: SpecField,
        /// Which value.
        variant: u8,
        /// Flow style.
        flow: bool,
        /// `&aN` on the value.
        anchor: Option<Anchor>,
    },
    /// Sets a field to `*aN`.
    AliasField {
        /// Which field.
        field: SpecField,
        /// The alias.
        to: Anchor,
    },
    /// Appends a scalar to `sources`.
    Source {
        /// `&aN` on it.
        anchor: Option<Anchor>,
        /// Its spelling.
        word: Word,
    },
    /// Appends `*aN` to `sources`.
    SourceAlias(Anchor),
    /// `&aN` on the `sources` list.
    AnchorSources(Anchor),
    /// Adds an entry to `labels.extra`.
    Extra {
        /// `&aN` on the value.
        anchor: Option<Anchor>,
        /// Its spelling.
        word: Word,
    },
    /// Adds an entry `*aN` to `labels.extra`.
    ExtraAlias(Anchor),
    /// Merges `*aN` into `labels.extra`.
    ExtraMerge(Anchor),
    /// `&aN` on the `labels.extra` mapping.
    AnchorExtra(Anchor),
}

/// The spec fields a [`SpecOp`] sets.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecField {
    /// `runtime`
    Runtime,
    /// `entrypoint`
    Entrypoint,
    /// `transport`
    Transport,
    /// `dependencies`
    Dependencies,
    /// `healthcheck`
    Healthcheck,
    /// `user`
    User,
    /// `env`
    Env,
    /// `resources`
    Resources,
    /// `writable_paths`
    WritablePaths,
    /// `port`
    Port,
    /// `labels`
    Labels,
    /// `sources`
    Sources,
}

// ---------------------------------------------------------------------------------------------------------------
// The document model.

/// A node as written: possibly anchored, possibly an alias.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        anchor: Option<u8>,
        text: String,
    },
    Seq {
        anchor: Option<u8>,
        flow: bool,
        items: Vec<Node>,
    },
    Map {
        anchor: Option<u8>,
        flow: bool,
        entries: Vec<Entry>,
    },
    Alias(u8),
}

#[derive(Debug, Clone)]
enum Entry {
    Pair(String, Node),
    /// `<<: *aN` (one) or `<<: [*aN, …]`.
    Merge(Vec<u8>),
}

fn scalar(text: &str) -> Node {
    Node::Scalar {
        anchor: None,
        text: text.to_owned(),
    }
}

fn map(flow: bool, pairs: Vec<(&str, Node)>) -> Node {
    Node::Map {
        anchor: None,
        flow,
        entries: pairs
            .into_iter()
            .map(|(key, value)| Entry::Pair(key.to_owned(), value))
            .collect(),
    }
}

fn seq(flow: bool, items: Vec<Node>) -> Node {
    Node::Seq {
        anchor: None,
        flow,
        items,
    }
}

fn with_anchor(mut node: Node, id: Option<u8>) -> Node {
    match &mut node {
        Node::Scalar { anchor, .. } | Node::Seq { anchor, .. } | Node::Map { anchor, .. } => {
            *anchor = id
        }
        Node::Alias(_) => {}
    }
    node
}

// ---------------------------------------------------------------------------------------------------------------
// Writing YAML.

fn anchor_prefix(out: &mut String, anchor: Option<u8>) {
    if let Some(id) = anchor {
        let _ = write!(out, "&a{id} ");
    }
}

fn is_block(node: &Node) -> bool {
    match node {
        Node::Seq { flow, items, .. } => !flow && !items.is_empty(),
        Node::Map { flow, entries, .. } => !flow && !entries.is_empty(),
        Node::Scalar { .. } | Node::Alias(_) => false,
    }
}

fn write_merge(out: &mut String, ids: &[u8]) {
    match ids {
        [one] => {
            let _ = write!(out, "*a{one}");
        }
        _ => {
            out.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "*a{id}");
            }
            out.push(']');
        }
    }
}

/// A node on one line, in flow style.
fn write_inline(out: &mut String, node: &Node) {
    match node {
        Node::Scalar { anchor, text } => {
            anchor_prefix(out, *anchor);
            out.push_str(text);
        }
        Node::Alias(id) => {
            let _ = write!(out, "*a{id}");
        }
        Node::Seq { anchor, items, .. } => {
            anchor_prefix(out, *anchor);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(out, item);
            }
            out.push(']');
        }
        Node::Map {
            anchor, entries, ..
        } => {
            anchor_prefix(out, *anchor);
            out.push('{');
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match entry {
                    Entry::Pair(key, value) => {
                        out.push_str(key);
                        out.push_str(": ");
                        write_inline(out, value);
                    }
                    Entry::Merge(ids) => {
                        out.push_str("<<: ");
                        write_merge(out, ids);
                    }
                }
            }
            out.push('}');
        }
    }
}

/// What follows `key:` or `-`: the node on the same line, or (a non-empty block collection) its anchor and then
/// its content on the next lines, indented to `indent`.
fn write_after_indicator(out: &mut String, node: &Node, indent: usize) {
    if is_block(node) {
        match node {
            Node::Seq {
                anchor: Some(id), ..
            }
            | Node::Map {
                anchor: Some(id), ..
            } => {
                let _ = write!(out, " &a{id}");
            }
            _ => {}
        }
        out.push('\n');
        write_block_body(out, node, indent);
    } else {
        out.push(' ');
        write_inline(out, node);
        out.push('\n');
    }
}

/// The lines of a non-empty block collection, at `indent`.
fn write_block_body(out: &mut String, node: &Node, indent: usize) {
    let pad = " ".repeat(indent);
    match node {
        Node::Seq { items, .. } => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                write_after_indicator(out, item, indent + 2);
            }
        }
        Node::Map { entries, .. } => {
            for entry in entries {
                out.push_str(&pad);
                match entry {
                    Entry::Pair(key, value) => {
                        out.push_str(key);
                        out.push(':');
                        write_after_indicator(out, value, indent + 2);
                    }
                    Entry::Merge(ids) => {
                        out.push_str("<<: ");
                        write_merge(out, ids);
                        out.push('\n');
                    }
                }
            }
        }
        Node::Scalar { .. } | Node::Alias(_) => {}
    }
}

/// A whole document whose root is `node` (never anchored).
fn write_document(node: &Node) -> String {
    let mut out = String::new();
    if is_block(node) {
        write_block_body(&mut out, node, 0);
    } else {
        write_inline(&mut out, node);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Expanding aliases and merges: what the document stands for, and what reading it costs.

/// What reading a node costs the YAML reader, counted as its budget counts: events (an alias's own event plus
/// every event it replays), nodes, scalar bytes, nesting. Saturating: a bomb's counts are astronomical.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    events: u64,
    nodes: u64,
    bytes: u64,
    depth: u64,
}

impl Cost {
    fn scalar(text: &str) -> Self {
        Self {
            events: 1,
            nodes: 1,
            bytes: text.len() as u64,
            depth: 0,
        }
    }

    fn add(&mut self, other: Self) {
        self.events = self.events.saturating_add(other.events);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.depth = self.depth.max(other.depth);
    }

    /// A collection around `inside`: two events, one node, a level.
    fn collection(inside: Self) -> Self {
        Self {
            events: inside.events.saturating_add(2),
            nodes: inside.nodes.saturating_add(1),
            bytes: inside.bytes,
            depth: inside.depth + 1,
        }
    }
}

/// A node with its aliases and merges resolved (shared, not copied: a bomb's expansion is a small DAG).
#[derive(Debug)]
struct Expanded {
    kind: ExpandedKind,
    flow: bool,
    /// What reading the node as written costs (replays included).
    raw: Cost,
    /// The size of its plain equivalent.
    plain: Cost,
}

#[derive(Debug)]
enum ExpandedKind {
    Scalar(String),
    Seq(Vec<Rc<Expanded>>),
    Map(Vec<(String, Rc<Expanded>)>),
}

/// Anchors by name, as the reader sees them while it reads.
enum Definition {
    Open,
    Done(Rc<Expanded>),
}

#[derive(Default)]
struct Expander {
    definitions: HashMap<u8, Definition>,
    /// Something whose meaning this model does not pin down: an alias to no anchor or to an open one, an anchor
    /// redefined inside itself, a repeated key, a merge of a non-mapping.
    uncertain: bool,
    /// Events replayed by aliases and merges.
    replayed: u64,
    /// Events recorded under anchors (an event inside nested anchors counts once per anchor), and their bytes.
    recorded: u64,
    recorded_bytes: u64,
    aliases: u64,
    anchors: u64,
}

impl Expander {
    fn open(&mut self, anchor: Option<u8>) {
        if let Some(id) = anchor {
            self.anchors += 1;
            if matches!(self.definitions.get(&id), Some(Definition::Open)) {
                self.uncertain = true;
            }
            self.definitions.insert(id, Definition::Open);
        }
    }

    fn close(&mut self, anchor: Option<u8>, expanded: &Rc<Expanded>) {
        if let Some(id) = anchor {
            self.recorded = self.recorded.saturating_add(expanded.raw.events);
            self.recorded_bytes = self.recorded_bytes.saturating_add(expanded.raw.bytes);
            self.definitions
                .insert(id, Definition::Done(Rc::clone(expanded)));
        }
    }

    fn resolve(&mut self, id: u8) -> Option<Rc<Expanded>> {
        self.aliases += 1;
        match self.definitions.get(&id) {
            Some(Definition::Done(expanded)) => {
                self.replayed = self.replayed.saturating_add(expanded.raw.events);
                Some(Rc::clone(expanded))
            }
            Some(Definition::Open) | None => {
                self.uncertain = true;
                None
            }
        }
    }

    fn expand(&mut self, node: &Node) -> Rc<Expanded> {
        match node {
            Node::Scalar { anchor, text } => {
                self.open(*anchor);
                let expanded = Rc::new(Expanded {
                    kind: ExpandedKind::Scalar(text.clone()),
                    flow: false,
                    raw: Cost::scalar(text),
                    plain: Cost::scalar(text),
                });
                self.close(*anchor, &expanded);
                expanded
            }
            Node::Alias(id) => match self.resolve(*id) {
                Some(target) => Rc::new(Expanded {
                    kind: match &target.kind {
                        ExpandedKind::Scalar(text) => ExpandedKind::Scalar(text.clone()),
                        ExpandedKind::Seq(items) => ExpandedKind::Seq(items.clone()),
                        ExpandedKind::Map(entries) => ExpandedKind::Map(entries.clone()),
                    },
                    flow: target.flow,
                    raw: Cost {
                        events: target.raw.events.saturating_add(1),
                        ..target.raw
                    },
                    plain: target.plain,
                }),
                // Stands for nothing the model knows; an empty scalar keeps the counts going.
                None => Rc::new(Expanded {
                    kind: ExpandedKind::Scalar(String::new()),
                    flow: false,
                    raw: Cost::scalar(""),
                    plain: Cost::scalar(""),
                }),
            },
            Node::Seq {
                anchor,
                flow,
                items,
            } => {
                self.open(*anchor);
                let items: Vec<_> = items.iter().map(|item| self.expand(item)).collect();
                let mut raw = Cost::default();
                let mut plain = Cost::default();
                for item in &items {
                    raw.add(item.raw);
                    plain.add(item.plain);
                }
                let expanded = Rc::new(Expanded {
                    kind: ExpandedKind::Seq(items),
                    flow: *flow,
                    raw: Cost::collection(raw),
                    plain: Cost::collection(plain),
                });
                self.close(*anchor, &expanded);
                expanded
            }
            Node::Map {
                anchor,
                flow,
                entries,
            } => {
                self.open(*anchor);
                let mut raw = Cost::default();
                let mut explicit: Vec<(String, Rc<Expanded>)> = Vec::new();
                let mut sources: Vec<Rc<Expanded>> = Vec::new();
                for entry in entries {
                    match entry {
                        Entry::Pair(key, value) => {
                            raw.add(Cost::scalar(key));
                            let value = self.expand(value);
                            raw.add(value.raw);
                            if explicit.iter().any(|(k, _)| k == key) {
                                self.uncertain = true;
                            }
                            explicit.push((key.clone(), value));
                        }
                        Entry::Merge(ids) => {
                            raw.add(Cost::scalar("<<"));
                            let mut merged = Cost::default();
                            for &id in ids {
                                // The alias event, then the replay.
                                merged.events = merged.events.saturating_add(1);
                                if let Some(source) = self.resolve(id) {
                                    merged.add(source.raw);
                                    if matches!(source.kind, ExpandedKind::Map(_)) {
                                        sources.push(source);
                                    } else {
                                        self.uncertain = true;
                                    }
                                }
                            }
                            raw.add(if ids.len() == 1 {
                                merged
                            } else {
                                Cost::collection(merged)
                            });
                        }
                    }
                }
                // YAML's merge: explicit keys win, then earlier sources over later ones.
                let mut resolved = explicit;
                for source in &sources {
                    if let ExpandedKind::Map(pairs) = &source.kind {
                        for (key, value) in pairs {
                            if !resolved.iter().any(|(k, _)| k == key) {
                                resolved.push((key.clone(), Rc::clone(value)));
                            }
                        }
                    }
                }
                let mut plain = Cost::default();
                for (key, value) in &resolved {
                    plain.add(Cost::scalar(key));
                    plain.add(value.plain);
                }
                let expanded = Rc::new(Expanded {
                    kind: ExpandedKind::Map(resolved),
                    flow: *flow,
                    raw: Cost::collection(raw),
                    plain: Cost::collection(plain),
                });
                self.close(*anchor, &expanded);
                expanded
            }
        }
    }

    /// Whether no limit of the budget can apply, at any text length.
    fn small(&self, raw: Cost) -> bool {
        raw.nodes <= SMALL_EVENTS
            && raw.events <= 2 * SMALL_EVENTS
            && raw.bytes <= SMALL_BYTES
            && self.replayed <= SMALL_EVENTS
            && self.recorded <= SMALL_EVENTS
            && self.recorded_bytes <= SMALL_BYTES
            && self.aliases <= SMALL_EVENTS
            && self.anchors <= SMALL_EVENTS
    }
}

/// The plain equivalent as a written node (no anchors, no aliases).
fn plain_node(expanded: &Expanded) -> Node {
    match &expanded.kind {
        ExpandedKind::Scalar(text) => scalar(text),
        ExpandedKind::Seq(items) => {
            seq(expanded.flow, items.iter().map(|i| plain_node(i)).collect())
        }
        ExpandedKind::Map(pairs) => Node::Map {
            anchor: None,
            flow: expanded.flow,
            entries: pairs
                .iter()
                .map(|(key, value)| Entry::Pair(key.clone(), plain_node(value)))
                .collect(),
        },
    }
}

/// A generated document: its text, and what the model knows of it.
struct Document {
    text: String,
    /// The plain equivalent's text, when the document is predictable and it is small enough to write.
    plain: Option<String>,
    predictable: bool,
    small: bool,
    raw: Cost,
}

fn document(root: &Node) -> Document {
    let mut expander = Expander::default();
    let expanded = expander.expand(root);
    let predictable = !expander.uncertain;
    let plain = (predictable
        && expanded.plain.nodes <= MAX_PLAIN_NODES
        && expanded.plain.bytes <= MAX_PLAIN_BYTES)
        .then(|| write_document(&plain_node(&expanded)));
    Document {
        text: write_document(root),
        plain,
        predictable,
        small: expander.small(expanded.raw),
        raw: expanded.raw,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Building documents from programs.

/// A collection being built.
struct Frame {
    is_map: bool,
    anchor: Option<u8>,
    flow: bool,
    items: Vec<Node>,
    entries: Vec<Entry>,
    next_key: usize,
    repeat_key: bool,
    /// Index in `entries` of this mapping's one `<<` entry.
    merge_at: Option<usize>,
}

impl Frame {
    fn new(is_map: bool, anchor: Option<u8>, flow: bool) -> Self {
        Self {
            is_map,
            anchor,
            flow,
            items: Vec::new(),
            entries: Vec::new(),
            next_key: 0,
            repeat_key: false,
            merge_at: None,
        }
    }

    fn push(&mut self, node: Node) {
        if self.is_map {
            let key = if self.repeat_key && self.next_key > 0 {
                self.next_key - 1
            } else {
                self.next_key += 1;
                self.next_key - 1
            };
            self.repeat_key = false;
            self.entries.push(Entry::Pair(format!("k{key}"), node));
        } else {
            self.items.push(node);
        }
    }

    fn merge(&mut self, id: u8) {
        if !self.is_map {
            self.items.push(Node::Map {
                anchor: None,
                flow: true,
                entries: vec![Entry::Merge(vec![id])],
            });
            return;
        }
        match self.merge_at.and_then(|at| self.entries.get_mut(at)) {
            Some(Entry::Merge(ids)) => ids.push(id),
            _ => {
                self.merge_at = Some(self.entries.len());
                self.entries.push(Entry::Merge(vec![id]));
            }
        }
    }

    fn finish(self) -> Node {
        if self.is_map {
            Node::Map {
                anchor: self.anchor,
                flow: self.flow,
                entries: self.entries,
            }
        } else {
            Node::Seq {
                anchor: self.anchor,
                flow: self.flow,
                items: self.items,
            }
        }
    }
}

/// The roots (smoke `arguments` mappings) a [`Mode::Tree`] program builds.
fn build_tree(header: Header, u: &mut Unstructured<'_>) -> Vec<Node> {
    let mut roots = Vec::new();
    let mut stack = vec![Frame::new(true, None, header.flow_root)];
    let mut known: Vec<Known> = Vec::new();
    let close = |stack: &mut Vec<Frame>, known: &mut Vec<Known>| {
        if let Some(frame) = stack.pop() {
            let node = frame.finish();
            if let Node::Map {
                anchor: Some(id), ..
            }
            | Node::Seq {
                anchor: Some(id), ..
            } = node
            {
                known.push(Known {
                    id,
                    is_map: matches!(node, Node::Map { .. }),
                    is_scalar: false,
                    key: String::new(),
                });
            }
            match stack.last_mut() {
                Some(parent) => parent.push(node),
                None => stack.push(Frame::new(true, None, false)),
            }
        }
    };
    while !u.is_empty() {
        let Ok(op) = u.arbitrary::<Op>() else { break };
        // Inside a flow collection everything is flow.
        let in_flow = stack.iter().any(|f| f.flow);
        let depth = stack.len();
        match op {
            Op::Map { anchor, flow } | Op::Seq { anchor, flow } => {
                if depth < MAX_TREE_DEPTH {
                    let is_map = matches!(op, Op::Map { .. });
                    stack.push(Frame::new(is_map, anchor.map(Anchor::id), flow || in_flow));
                }
            }
            Op::Close => {
                if depth > 1 {
                    close(&mut stack, &mut known);
                }
            }
            Op::NextRoot => {
                if roots.len() + 1 < MAX_ROOTS {
                    while stack.len() > 1 {
                        close(&mut stack, &mut known);
                    }
                    if let Some(root) = stack.pop() {
                        roots.push(root.finish());
                    }
                    stack.push(Frame::new(true, None, false));
                }
            }
            Op::Scalar { .. } | Op::Alias(_) | Op::Merge(_) | Op::RepeatKey => {
                let Some(top) = stack.last_mut() else { break };
                match op {
                    Op::Scalar { anchor, word } => {
                        if let Some(anchor) = anchor {
                            known.push(Known {
                                id: anchor.id(),
                                is_map: false,
                                is_scalar: true,
                                key: String::new(),
                            });
                        }
                        top.push(with_anchor(scalar(word.text()), anchor.map(Anchor::id)));
                    }
                    Op::Alias(to) => {
                        if let Some(id) = to.pick(&known, |_| true) {
                            top.push(Node::Alias(id));
                        }
                    }
                    Op::Merge(from) => {
                        if let Some(id) = from.pick(&known, |k| k.is_map) {
                            top.merge(id);
                        }
                    }
                    _ => top.repeat_key = true,
                }
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack, &mut known);
    }
    if let Some(root) = stack.pop() {
        roots.push(root.finish());
    }
    roots
}

/// The manifest around the roots: one server, one smoke call per root.
fn manifest_document(roots: Vec<Node>) -> Node {
    let calls = roots
        .into_iter()
        .enumerate()
        .map(|(i, arguments)| {
            map(
                false,
                vec![("tool", scalar(&format!("t{i}"))), ("arguments", arguments)],
            )
        })
        .collect();
    map(
        false,
        vec![
            ("fleet", scalar("fuzz")),
            (
                "gateway",
                map(false, vec![("url", scalar("http://localhost:4444"))]),
            ),
            (
                "servers",
                seq(
                    false,
                    vec![map(
                        false,
                        vec![
                            ("name", scalar("s0")),
                            ("url", scalar("http://localhost:9000/mcp")),
                            ("transport", scalar("streamable-http")),
                            ("smoke", seq(false, calls)),
                        ],
                    )],
                ),
            ),
        ],
    )
}

/// A written value of a spec field.
fn field_value(field: SpecField, variant: u8, flow: bool) -> Node {
    let pick = |n: u8| variant % n;
    match field {
        SpecField::Runtime => match pick(2) {
            0 => map(
                flow,
                vec![
                    ("language", scalar("python")),
                    ("version", scalar("\"3.13\"")),
                ],
            ),
            _ => map(
                flow,
                vec![("language", scalar("node")), ("version", scalar("\"22\""))],
            ),
        },
        SpecField::Entrypoint => match pick(2) {
            0 => map(
                flow,
                vec![("kind", scalar("script")), ("path", scalar("app.py"))],
            ),
            _ => map(
                flow,
                vec![
                    ("kind", scalar("module")),
                    ("module", scalar("app")),
                    (
                        "args",
                        seq(true, vec![scalar("--port"), scalar("\"8000\"")]),
                    ),
                ],
            ),
        },
        SpecField::Transport => match pick(3) {
            0 => map(flow, vec![("kind", scalar("streamable_http"))]),
            1 => map(
                flow,
                vec![("kind", scalar("sse")), ("path", scalar("/events"))],
            ),
            _ => map(
                flow,
                vec![
                    ("kind", scalar("stdio")),
                    (
                        "bridge",
                        map(flow, vec![("kind", scalar("fastmcp_launcher"))]),
                    ),
                ],
            ),
        },
        SpecField::Dependencies => match pick(2) {
            0 => map(
                flow,
                vec![
                    ("kind", scalar("requirements")),
                    ("path", scalar("requirements.txt")),
                ],
            ),
            _ => map(flow, vec![("kind", scalar("none"))]),
        },
        SpecField::Healthcheck => match pick(2) {
            0 => map(
                flow,
                vec![
                    ("probe", map(true, vec![("kind", scalar("tcp"))])),
                    ("interval_secs", scalar("30")),
                ],
            ),
            _ => map(flow, vec![("retries", scalar("5"))]),
        },
        SpecField::User => map(
            flow,
            vec![
                ("uid", scalar("1000")),
                ("gid", scalar("1000")),
                ("name", scalar("app")),
            ],
        ),
        SpecField::Env => seq(
            flow,
            vec![
                map(
                    true,
                    vec![
                        ("name", scalar("API_URL")),
                        ("default", scalar("\"http://api\"")),
                    ],
                ),
                map(
                    true,
                    vec![("name", scalar("TOKEN")), ("secret", scalar("true"))],
                ),
            ],
        ),
        SpecField::Resources => map(
            flow,
            vec![("cpus", scalar("0.5")), ("memory", scalar("256m"))],
        ),
        SpecField::WritablePaths => seq(flow, vec![scalar("/tmp/cache"), scalar("/data")]),
        SpecField::Port => scalar("8080"),
        SpecField::Labels => map(
            flow,
            vec![
                ("title", scalar("demo")),
                ("tools", seq(true, vec![scalar("add"), scalar("now")])),
            ],
        ),
        SpecField::Sources => seq(flow, vec![scalar("src"), scalar("README.md")]),
    }
}

fn field_key(field: SpecField) -> &'static str {
    match field {
        SpecField::Runtime => "runtime",
        SpecField::Entrypoint => "entrypoint",
        SpecField::Transport => "transport",
        SpecField::Dependencies => "dependencies",
        SpecField::Healthcheck => "healthcheck",
        SpecField::User => "user",
        SpecField::Env => "env",
        SpecField::Resources => "resources",
        SpecField::WritablePaths => "writable_paths",
        SpecField::Port => "port",
        SpecField::Labels => "labels",
        SpecField::Sources => "sources",
    }
}

/// A server being built.
struct ServerDraft {
    anchor: Option<u8>,
    flow: bool,
    template: Option<u8>,
    name: String,
    fields: Vec<(&'static str, Node)>,
    sources: Option<Frame>,
    extra: Option<Frame>,
}

impl ServerDraft {
    fn new(index: usize, anchor: Option<u8>, flow: bool, template: Option<u8>) -> Self {
        let mut draft = Self {
            anchor,
            flow,
            template,
            name: format!("s{index}"),
            fields: Vec::new(),
            sources: None,
            extra: None,
        };
        if template.is_none() {
            for field in [
                SpecField::Runtime,
                SpecField::Entrypoint,
                SpecField::Transport,
            ] {
                draft.set(field_key(field), field_value(field, 0, true));
            }
        }
        draft
    }

    fn set(&mut self, key: &'static str, value: Node) {
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    fn sources(&mut self) -> &mut Frame {
        self.fields.retain(|(k, _)| *k != "sources");
        self.sources
            .get_or_insert_with(|| Frame::new(false, None, false))
    }

    fn extra(&mut self) -> &mut Frame {
        self.extra
            .get_or_insert_with(|| Frame::new(true, None, false))
    }

    fn finish(self) -> Node {
        let mut entries = vec![Entry::Pair("name".to_owned(), scalar(&self.name))];
        if let Some(id) = self.template {
            entries.push(Entry::Merge(vec![id]));
        }
        let mut labels_done = false;
        for (key, mut value) in self.fields {
            if key == "labels"
                && let (Some(extra), Node::Map { entries, .. }) = (&self.extra, &mut value)
            {
                labels_done = true;
                entries.push(Entry::Pair("extra".to_owned(), extra_node(extra)));
            }
            if key == "labels" {
                labels_done = true;
            }
            entries.push(Entry::Pair(key.to_owned(), value));
        }
        if let Some(sources) = self.sources {
            entries.push(Entry::Pair("sources".to_owned(), sources.finish()));
        }
        if !labels_done && let Some(extra) = &self.extra {
            entries.push(Entry::Pair(
                "labels".to_owned(),
                Node::Map {
                    anchor: None,
                    flow: false,
                    entries: vec![Entry::Pair("extra".to_owned(), extra_node(extra))],
                },
            ));
        }
        Node::Map {
            anchor: self.anchor,
            flow: self.flow,
            entries,
        }
    }
}

fn extra_node(extra: &Frame) -> Node {
    Node::Map {
        anchor: extra.anchor,
        flow: extra.flow,
        entries: extra.entries.clone(),
    }
}

/// The fleet spec a [`Mode::Fleet`] program builds.
fn build_fleet(header: Header, u: &mut Unstructured<'_>) -> Node {
    let mut done: Vec<Node> = Vec::new();
    // The anchors of the finished servers: what references pick from.
    let mut known: Vec<Known> = Vec::new();
    let mut current: Option<ServerDraft> = None;
    let finish = |draft: ServerDraft, done: &mut Vec<Node>, known: &mut Vec<Known>| {
        let node = draft.finish();
        collect_anchors(&node, "server", known);
        done.push(node);
    };
    while !u.is_empty() {
        let Ok(op) = u.arbitrary::<SpecOp>() else {
            break;
        };
        if let SpecOp::Server {
            anchor,
            flow,
            template,
        } = op
        {
            if done.len() + 1 < MAX_SERVERS {
                if let Some(draft) = current.take() {
                    finish(draft, &mut done, &mut known);
                }
                let template =
                    template.and_then(|t| t.pick(&known, |k| k.key == "server" && k.is_map));
                current = Some(ServerDraft::new(
                    done.len(),
                    anchor.map(Anchor::id),
                    flow,
                    template,
                ));
            }
            continue;
        }
        let index = done.len();
        let server =
            current.get_or_insert_with(|| ServerDraft::new(index, None, header.flow_root, None));
        match op {
            SpecOp::Server { .. } => {}
            SpecOp::Field {
                field: SpecField::Sources,
                variant,
                flow,
                anchor,
            } => {
                server.sources = None;
                server.set(
                    "sources",
                    with_anchor(
                        field_value(SpecField::Sources, variant, flow),
                        anchor.map(Anchor::id),
                    ),
                );
            }
            SpecOp::Field {
                field,
                variant,
                flow,
                anchor,
            } => server.set(
                field_key(field),
                with_anchor(field_value(field, variant, flow), anchor.map(Anchor::id)),
            ),
            SpecOp::AliasField { field, to } => {
                if field == SpecField::Sources {
                    server.sources = None;
                }
                let key = field_key(field);
                if let Some(id) = to.pick(&known, |k| k.key == key) {
                    server.set(key, Node::Alias(id));
                }
            }
            SpecOp::Source { anchor, word } => server
                .sources()
                .push(with_anchor(scalar(word.text()), anchor.map(Anchor::id))),
            SpecOp::SourceAlias(to) => {
                if let Some(id) = to.pick(&known, |k| k.is_scalar) {
                    server.sources().push(Node::Alias(id));
                }
            }
            SpecOp::AnchorSources(anchor) => server.sources().anchor = Some(anchor.id()),
            SpecOp::Extra { anchor, word } => server
                .extra()
                .push(with_anchor(scalar(word.text()), anchor.map(Anchor::id))),
            SpecOp::ExtraAlias(to) => {
                if let Some(id) = to.pick(&known, |k| k.is_scalar) {
                    server.extra().push(Node::Alias(id));
                }
            }
            SpecOp::ExtraMerge(from) => {
                if let Some(id) = from.pick(&known, |k| k.key == "extra" && k.is_map) {
                    server.extra().merge(id);
                }
            }
            SpecOp::AnchorExtra(anchor) => server.extra().anchor = Some(anchor.id()),
        }
    }
    if let Some(draft) = current.take() {
        finish(draft, &mut done, &mut known);
    }
    map(
        false,
        vec![("name", scalar("fuzz")), ("servers", seq(false, done))],
    )
}

// ---------------------------------------------------------------------------------------------------------------
// The checks.

fn message_naming(error: &dyn std::fmt::Display, origin: &str, text: &str) -> String {
    let message = error.to_string();
    assert!(
        message.contains(origin),
        "an error that does not say where (`{origin}`): {message}\n{text}"
    );
    message
}

fn assert_small_output(json_len: usize, text: &str, extra: usize) {
    let bound = size_bound(text.len()) + extra;
    assert!(
        json_len <= bound,
        "{} bytes of YAML loaded as {json_len} bytes of JSON, over the bound {bound}:\n{text}",
        text.len()
    );
}

/// Structured YAML with anchors, aliases and merge keys into the manifest and container spec loaders; see the
/// module documentation for what is checked.
pub fn yaml_aliases(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(header) = u.arbitrary::<Header>() else {
        return;
    };
    match header.mode {
        Mode::Tree => {
            let roots = build_tree(header, &mut u);
            // The first root alone, as a whole spec document: refused early (unknown fields), naming the file.
            if let Some(root) = roots.first() {
                let text = write_document(root);
                if let Err(err) = FleetSpec::from_text(&text, SpecFormat::Yaml, "tree.yaml") {
                    message_naming(&err, "tree.yaml", &text);
                }
                if let Err(err) = ServerSpec::from_text(&text, SpecFormat::Yaml, "tree.yaml") {
                    message_naming(&err, "tree.yaml", &text);
                }
            }
            check_manifest(&document(&manifest_document(roots)));
        }
        Mode::Fleet => check_fleet(&document(&build_fleet(header, &mut u))),
    }
}

fn load_manifest(text: &str, origin: &str) -> Result<Manifest, String> {
    Manifest::from_str_with_env(text, Format::Yaml, origin, |_| None)
        .map_err(|err| message_naming(&err, origin, text))
}

fn check_manifest(doc: &Document) {
    let text = &doc.text;
    let loaded = load_manifest(text, "fuzz.yaml");
    if let Ok(manifest) = &loaded {
        let json = serde_json::to_string(manifest).expect("a loaded manifest serializes");
        assert_small_output(json.len(), text, 0);
    }
    if !doc.predictable {
        return;
    }
    let len = text.len() as u64;
    if let Err(message) = &loaded {
        assert!(
            budget_refusal(message),
            "a manifest with nothing wrong but its size refused for something else: {message}\n{text}"
        );
    }
    assert!(
        doc.raw.nodes <= 2 * len + 8192 || loaded.is_err(),
        "{} nodes loaded from {len} bytes, past the node budget:\n{text}",
        doc.raw.nodes
    );
    assert!(
        doc.raw.depth <= LOADER_DEPTH || loaded.is_err(),
        "nesting {} levels deep loaded:\n{text}",
        doc.raw.depth
    );
    if let Some(plain_text) = &doc.plain {
        let plain = load_manifest(plain_text, "plain.yaml");
        if doc.small && doc.raw.depth <= LOADER_DEPTH {
            match (&loaded, &plain) {
                (Ok(aliased), Ok(plain)) => assert_eq!(
                    aliased, plain,
                    "aliases changed what loads:\n{text}\nwritten out:\n{plain_text}"
                ),
                _ => panic!(
                    "small reuse and its plain equivalent load differently: {:?} / {:?}\n{text}\nwritten out:\n{plain_text}",
                    loaded.as_ref().err(),
                    plain.as_ref().err()
                ),
            }
        } else if let (Ok(aliased), Ok(plain)) = (&loaded, &plain) {
            assert_eq!(
                aliased, plain,
                "aliases changed what loads:\n{text}\nwritten out:\n{plain_text}"
            );
        }
    }
}

fn load_fleet(text: &str, origin: &str) -> Result<FleetSpec, String> {
    FleetSpec::from_text(text, SpecFormat::Yaml, origin)
        .map_err(|err| message_naming(&err, origin, text))
}

fn check_fleet(doc: &Document) {
    let text = &doc.text;
    let loaded = load_fleet(text, "fleet.yaml");
    if let Ok(spec) = &loaded {
        let json = serde_json::to_string(spec).expect("a loaded spec serializes");
        assert_small_output(json.len(), text, 2048 * spec.servers.len());
    }
    if !doc.predictable {
        return;
    }
    let Some(plain_text) = &doc.plain else {
        return;
    };
    let plain = load_fleet(plain_text, "plain.yaml");
    match (&loaded, &plain) {
        (Ok(aliased), Ok(plain)) => assert_eq!(
            aliased, plain,
            "aliases changed what loads:\n{text}\nwritten out:\n{plain_text}"
        ),
        (Err(_), Err(_)) => {}
        (Err(message), Ok(_)) => assert!(
            !(doc.small && doc.raw.depth <= LOADER_DEPTH) && budget_refusal(message),
            "refused, while its plain equivalent loads: {message}\n{text}\nwritten out:\n{plain_text}"
        ),
        (Ok(_), Err(message)) => {
            panic!(
                "loads, while its plain equivalent is refused: {message}\n{text}\nwritten out:\n{plain_text}"
            )
        }
    }
}

/// Inputs for hand-made structures: the bytes `arbitrary` decodes back into a given program, and the seeds
/// committed under `fuzz/corpus/yaml_aliases/` (rewritten by `MCPFLEET_WRITE_SEEDS=1 cargo test -p mcpfleet-fuzz
/// seeds`).
#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes `arbitrary`'s derive reads as variant `index` of `count`: a little-endian `u32` scaled by the
    /// count.
    fn tag(out: &mut Vec<u8>, index: u32, count: u32) {
        let raw = (u64::from(index) << 32).div_ceil(u64::from(count));
        out.extend(u32::try_from(raw).unwrap().to_le_bytes());
    }

    fn flag(out: &mut Vec<u8>, value: bool) {
        out.push(u8::from(value));
    }

    fn anchor(out: &mut Vec<u8>, anchor: Option<u8>) {
        flag(out, anchor.is_some());
        if let Some(id) = anchor {
            out.push(id);
        }
    }

    fn word(out: &mut Vec<u8>, word: Word) {
        const ALL: [Word; 19] = [
            Word::X,
            Word::Words,
            Word::One,
            Word::Negative,
            Word::Float,
            Word::True,
            Word::Null,
            Word::Tilde,
            Word::Yes,
            Word::Octal,
            Word::Underscored,
            Word::Inf,
            Word::Hex,
            Word::Single,
            Word::Double,
            Word::Empty,
            Word::QuotedMerge,
            Word::KeyLike,
            Word::Long,
        ];
        let index = ALL.iter().position(|w| *w == word).unwrap();
        tag(out, u32::try_from(index).unwrap(), 19);
    }

    fn header(mode: Mode, flow_root: bool) -> Vec<u8> {
        let mut out = Vec::new();
        tag(&mut out, u32::from(mode == Mode::Fleet), 2);
        flag(&mut out, flow_root);
        out
    }

    fn op(out: &mut Vec<u8>, op: Op) {
        match op {
            Op::Map { anchor: a, flow } => {
                tag(out, 0, 8);
                anchor(out, a.map(|a| a.0));
                flag(out, flow);
            }
            Op::Seq { anchor: a, flow } => {
                tag(out, 1, 8);
                anchor(out, a.map(|a| a.0));
                flag(out, flow);
            }
            Op::Scalar { anchor: a, word: w } => {
                tag(out, 2, 8);
                anchor(out, a.map(|a| a.0));
                word(out, w);
            }
            Op::Alias(to) => {
                tag(out, 3, 8);
                out.push(to.0);
            }
            Op::Merge(from) => {
                tag(out, 4, 8);
                out.push(from.0);
            }
            Op::Close => tag(out, 5, 8),
            Op::RepeatKey => tag(out, 6, 8),
            Op::NextRoot => tag(out, 7, 8),
        }
    }

    fn field(out: &mut Vec<u8>, field: SpecField) {
        const ALL: [SpecField; 12] = [
            SpecField::Runtime,
            SpecField::Entrypoint,
            SpecField::Transport,
            SpecField::Dependencies,
            SpecField::Healthcheck,
            SpecField::User,
            SpecField::Env,
            SpecField::Resources,
            SpecField::WritablePaths,
            SpecField::Port,
            SpecField::Labels,
            SpecField::Sources,
        ];
        let index = ALL.iter().position(|f| *f == field).unwrap();
        tag(out, u32::try_from(index).unwrap(), 12);
    }

    fn spec_op(out: &mut Vec<u8>, op: SpecOp) {
        match op {
            SpecOp::Server {
                anchor: a,
                flow,
                template,
            } => {
                tag(out, 0, 10);
                anchor(out, a.map(|a| a.0));
                flag(out, flow);
                anchor(out, template.map(|a| a.0));
            }
            SpecOp::Field {
                field: f,
                variant,
                flow,
                anchor: a,
            } => {
                tag(out, 1, 10);
                field(out, f);
                out.push(variant);
                flag(out, flow);
                anchor(out, a.map(|a| a.0));
            }
            SpecOp::AliasField { field: f, to } => {
                tag(out, 2, 10);
                field(out, f);
                out.push(to.0);
            }
            SpecOp::Source { anchor: a, word: w } => {
                tag(out, 3, 10);
                anchor(out, a.map(|a| a.0));
                word(out, w);
            }
            SpecOp::SourceAlias(to) => {
                tag(out, 4, 10);
                out.push(to.0);
            }
            SpecOp::AnchorSources(a) => {
                tag(out, 5, 10);
                out.push(a.0);
            }
            SpecOp::Extra { anchor: a, word: w } => {
                tag(out, 6, 10);
                anchor(out, a.map(|a| a.0));
                word(out, w);
            }
            SpecOp::ExtraAlias(to) => {
                tag(out, 7, 10);
                out.push(to.0);
            }
            SpecOp::ExtraMerge(from) => {
                tag(out, 8, 10);
                out.push(from.0);
            }
            SpecOp::AnchorExtra(a) => {
                tag(out, 9, 10);
                out.push(a.0);
            }
        }
    }

    fn tree(flow_root: bool, ops: &[Op]) -> Vec<u8> {
        let mut out = header(Mode::Tree, flow_root);
        for &o in ops {
            op(&mut out, o);
        }
        out
    }

    fn fleet(ops: &[SpecOp]) -> Vec<u8> {
        let mut out = header(Mode::Fleet, false);
        for &o in ops {
            spec_op(&mut out, o);
        }
        out
    }

    /// `&a{id}` on a node.
    const fn a(id: u8) -> Option<Anchor> {
        Some(Anchor(id))
    }

    /// `*a{id}` in a reference, whether defined or not.
    const fn to(id: u8) -> Anchor {
        Anchor(Anchor::RAW + id)
    }

    fn map_op(anchor: Option<Anchor>, flow: bool) -> Op {
        Op::Map { anchor, flow }
    }

    fn seq_op(anchor: Option<Anchor>, flow: bool) -> Op {
        Op::Seq { anchor, flow }
    }

    fn word_op(anchor: Option<Anchor>, word: Word) -> Op {
        Op::Scalar { anchor, word }
    }

    /// The committed seeds, by file name.
    fn seeds() -> Vec<(&'static str, Vec<u8>)> {
        let mut seeds = Vec::new();

        // A `defaults` mapping merged into others, overriding a key, merged twice in a list, aliased whole.
        seeds.push((
            "merge_template",
            tree(
                false,
                &[
                    map_op(a(0), false),
                    word_op(None, Word::X),
                    word_op(None, Word::One),
                    word_op(None, Word::Words),
                    Op::Close,
                    map_op(None, false),
                    Op::Merge(to(0)),
                    word_op(None, Word::Negative),
                    Op::Close,
                    map_op(a(1), true),
                    word_op(None, Word::Yes),
                    Op::Close,
                    map_op(None, false),
                    Op::Merge(to(1)),
                    Op::Merge(to(0)),
                    Op::Close,
                    Op::Alias(to(0)),
                    Op::NextRoot,
                    Op::Merge(to(0)),
                    word_op(None, Word::Octal),
                ],
            ),
        ));

        // Billion laughs: ten levels of ten aliases each to the level below (10^10 scalars).
        let mut ops = vec![word_op(a(0), Word::Words)];
        for level in 1..=10 {
            ops.push(seq_op(a(level), true));
            ops.extend(std::iter::repeat_n(Op::Alias(to(level - 1)), 10));
            ops.push(Op::Close);
        }
        seeds.push(("bomb_10_levels", tree(false, &ops)));

        // Ten levels of doubling, in block style: 2^10 copies of a small mapping, past the budget of this text.
        let mut ops = vec![map_op(a(0), false), word_op(None, Word::Long), Op::Close];
        for level in 1..=10 {
            ops.push(seq_op(a(level), false));
            ops.extend([Op::Alias(to(level - 1)), Op::Alias(to(level - 1))]);
            ops.push(Op::Close);
        }
        seeds.push(("doubling_block", tree(false, &ops)));

        // Nesting: 58 levels inside the arguments (64 in all) load; 59 are refused.
        for (name, levels) in [("deep_at_limit", 58), ("deep_refused", 59)] {
            let mut ops = Vec::new();
            for level in 0..levels {
                ops.push(seq_op(None, level % 7 == 6));
            }
            ops.push(word_op(None, Word::X));
            seeds.push((name, tree(false, &ops)));
        }

        // Depth reached through an alias: a 40-level anchored nest, aliased 30 levels down.
        let mut ops = vec![seq_op(a(3), false)];
        ops.extend(std::iter::repeat_n(seq_op(None, false), 39));
        ops.push(word_op(None, Word::X));
        ops.extend(std::iter::repeat_n(Op::Close, 40));
        ops.extend(std::iter::repeat_n(map_op(None, false), 30));
        ops.push(Op::Alias(to(3)));
        seeds.push(("deep_through_alias", tree(false, &ops)));

        // An alias before its anchor, to no anchor, and to an anchor still open.
        seeds.push((
            "undefined_alias",
            tree(
                true,
                &[
                    Op::Alias(to(4)),
                    word_op(a(4), Word::X),
                    Op::Alias(to(7)),
                    seq_op(a(5), false),
                    Op::Alias(to(5)),
                    Op::Close,
                    Op::Merge(to(9)),
                ],
            ),
        ));

        // An anchor defined twice: aliases take the latest; one redefined inside itself.
        seeds.push((
            "duplicate_anchors",
            tree(
                false,
                &[
                    word_op(a(1), Word::X),
                    Op::Alias(to(1)),
                    seq_op(a(1), false),
                    word_op(None, Word::Hex),
                    Op::Close,
                    Op::Alias(to(1)),
                    map_op(a(1), true),
                    word_op(None, Word::Double),
                    Op::Close,
                    map_op(None, false),
                    Op::Merge(to(1)),
                    Op::Close,
                    Op::NextRoot,
                    seq_op(a(2), false),
                    word_op(a(2), Word::Single),
                    Op::Alias(to(2)),
                    Op::Close,
                ],
            ),
        ));

        // A key repeated in a mapping, and a merge of a sequence.
        seeds.push((
            "duplicate_key",
            tree(
                false,
                &[
                    word_op(None, Word::X),
                    Op::RepeatKey,
                    word_op(None, Word::One),
                    seq_op(a(0), true),
                    word_op(None, Word::X),
                    Op::Close,
                    map_op(None, false),
                    Op::Merge(to(0)),
                ],
            ),
        ));

        // A fleet: a complete server anchored and used as the template of three more, fields aliased between
        // servers, `sources` and `labels.extra` of aliased scalars, an `extra` mapping merged into the next.
        let mut ops = vec![
            SpecOp::Server {
                anchor: a(0),
                flow: false,
                template: None,
            },
            SpecOp::Field {
                field: SpecField::Transport,
                variant: 2,
                flow: false,
                anchor: a(1),
            },
            SpecOp::Field {
                field: SpecField::Env,
                variant: 0,
                flow: false,
                anchor: a(2),
            },
            SpecOp::Source {
                anchor: a(3),
                word: Word::X,
            },
            SpecOp::SourceAlias(to(3)),
            SpecOp::Extra {
                anchor: a(4),
                word: Word::Words,
            },
            SpecOp::AnchorExtra(Anchor(5)),
        ];
        for _ in 0..3 {
            ops.extend([
                SpecOp::Server {
                    anchor: None,
                    flow: false,
                    template: Some(to(0)),
                },
                SpecOp::AliasField {
                    field: SpecField::Env,
                    to: to(2),
                },
                SpecOp::ExtraMerge(to(5)),
                SpecOp::ExtraAlias(to(4)),
            ]);
        }
        ops.extend([
            SpecOp::Server {
                anchor: None,
                flow: true,
                template: None,
            },
            SpecOp::AliasField {
                field: SpecField::Transport,
                to: to(1),
            },
            SpecOp::Field {
                field: SpecField::Port,
                variant: 0,
                flow: false,
                anchor: None,
            },
        ]);
        seeds.push(("fleet_template", fleet(&ops)));

        // One long scalar in `sources`, aliased 300 times: bytes past the budget of this text.
        let mut ops = vec![SpecOp::Source {
            anchor: a(0),
            word: Word::Long,
        }];
        ops.extend(std::iter::repeat_n(SpecOp::SourceAlias(to(0)), 300));
        seeds.push(("fleet_scalar_bytes", fleet(&ops)));

        // Eleven servers whose `labels.extra` each merge the previous one's twice: the merged mapping stays
        // small, the events replayed double.
        let mut ops = vec![
            SpecOp::Extra {
                anchor: None,
                word: Word::X,
            },
            SpecOp::AnchorExtra(Anchor(0)),
        ];
        for level in 1..=11 {
            ops.extend([
                SpecOp::Server {
                    anchor: None,
                    flow: level % 2 == 0,
                    template: None,
                },
                SpecOp::ExtraMerge(to(level - 1)),
                SpecOp::ExtraMerge(to(level - 1)),
                SpecOp::AnchorExtra(Anchor(level)),
            ]);
        }
        seeds.push(("fleet_merge_doubling", fleet(&ops)));
        seeds
    }

    fn text_of(data: &[u8]) -> String {
        let mut u = Unstructured::new(data);
        let header = u.arbitrary::<Header>().unwrap();
        match header.mode {
            Mode::Tree => write_document(&manifest_document(build_tree(header, &mut u))),
            Mode::Fleet => write_document(&build_fleet(header, &mut u)),
        }
    }

    fn manifest_of(data: &[u8]) -> Result<Manifest, String> {
        load_manifest(&text_of(data), "seed.yaml")
    }

    fn seed(name: &str) -> Vec<u8> {
        seeds().into_iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn seeds_pass_and_are_committed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/yaml_aliases");
        let write = std::env::var_os("MCPFLEET_WRITE_SEEDS").is_some();
        for (name, data) in seeds() {
            yaml_aliases(&data);
            let path = dir.join(format!("seed_{name}"));
            if write {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &data).unwrap();
            } else {
                assert_eq!(
                    std::fs::read(&path).ok().as_deref(),
                    Some(&data[..]),
                    "{} is not the seed `{name}` (MCPFLEET_WRITE_SEEDS=1 rewrites the seeds)",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn seeds_are_what_they_say() {
        let template = text_of(&seed("merge_template"));
        assert!(template.contains("<<: [*a1, *a0]"), "{template}");
        let loaded = manifest_of(&seed("merge_template")).unwrap();
        let arguments = &loaded.servers[0].smoke[0].arguments;
        // The explicit key wins over the merged one; in a list, the earlier mapping over the later.
        assert_eq!(
            arguments["k1"],
            serde_json::json!({"k0": -7, "k1": 1, "k2": "hello world"})
        );
        assert_eq!(
            arguments["k3"],
            serde_json::json!({"k0": "yes", "k1": 1, "k2": "hello world"})
        );

        for bomb in ["bomb_10_levels", "doubling_block"] {
            let err = manifest_of(&seed(bomb)).unwrap_err();
            assert!(err.contains("alias bomb"), "{bomb}: {err}");
        }
        manifest_of(&seed("deep_at_limit")).unwrap();
        for deep in ["deep_refused", "deep_through_alias"] {
            let err = manifest_of(&seed(deep)).unwrap_err();
            assert!(err.contains("deeper than 64 levels"), "{deep}: {err}");
        }
        manifest_of(&seed("undefined_alias")).unwrap_err();
        let err = manifest_of(&seed("duplicate_key")).unwrap_err();
        assert!(err.contains("repeats"), "{err}");

        let fleet = load_fleet(&text_of(&seed("fleet_template")), "fleet.yaml").unwrap();
        assert_eq!(fleet.servers.len(), 5);
        assert_eq!(fleet.servers[1].transport, fleet.servers[0].transport);
        for bomb in ["fleet_scalar_bytes", "fleet_merge_doubling"] {
            let err = load_fleet(&text_of(&seed(bomb)), "fleet.yaml").unwrap_err();
            assert!(err.contains("alias bomb"), "{bomb}: {err}");
        }
    }

    #[test]
    #[ignore = "prints the seeds' documents"]
    fn print_seeds() {
        for (name, data) in seeds() {
            println!("# {name} ({} bytes)\n{}", data.len(), text_of(&data));
        }
    }
}
