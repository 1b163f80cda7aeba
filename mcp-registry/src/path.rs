//! Field paths inside a manifest (`servers[2].smoke[0].tool`), shared by decoding, validation and the
//! position index so that an error's path always finds its line.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Segment {
    /// A key of a mapping.
    Key(String),
    /// An index into a sequence.
    Index(usize),
}

/// Where in a document a value lives, printed the way people write it: `servers[2].smoke[0].tool`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The document root.
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    /// This path, one key deeper.
    pub(crate) fn key(&self, key: impl Into<String>) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.into()));
        Self(segments)
    }

    /// This path, one index deeper.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// This path followed by `other`.
    pub(crate) fn join(&self, other: &FieldPath) -> Self {
        let mut segments = self.0.clone();
        segments.extend(other.0.iter().cloned());
        Self(segments)
    }

    /// The steps.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The path without its last step (`None` at the root).
    pub(crate) fn parent(&self) -> Option<FieldPath> {
        let (_, init) = self.0.split_last()?;
        Some(Self(init.to_vec()))
    }

    /// The last key, if the path ends in one.
    pub(crate) fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// Parses a dotted path as other crates print it (`env[1].default`); unparsable parts become keys.
    #[cfg_attr(not(feature = "container"), allow(dead_code))]
    pub(crate) fn parse(text: &str) -> Self {
        let mut segments = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (key, rest) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_owned()));
            }
            for index in rest.split('[') {
                match index.trim_end_matches(']').parse::<usize>() {
                    Ok(i) => segments.push(Segment::Index(i)),
                    Err(_) if index.is_empty() => {}
                    Err(_) => segments.push(Segment::Key(index.to_owned())),
                }
            }
        }
        Self(segments)
    }

    /// Converts a `serde_path_to_error` path.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        Self(
            path.iter()
                .filter_map(|segment| match segment {
                    S::Seq { index } => Some(Segment::Index(*index)),
                    S::Map { key } => Some(Segment::Key(key.clone())),
                    S::Enum { variant } => Some(Segment::Key(variant.clone())),
                    S::Unknown => None,
                })
                .collect(),
        )
    }

    /// Converts a `serde_ignored` path.
    pub(crate) fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        fn walk(path: &serde_ignored::Path<'_>, out: &mut Vec<Segment>) {
            use serde_ignored::Path as P;
            match path {
                P::Root => {}
                P::Seq { parent, index } => {
                    walk(parent, out);
                    out.push(Segment::Index(*index));
                }
                P::Map { parent, key } => {
                    walk(parent, out);
                    out.push(Segment::Key(key.clone()));
                }
                P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
                    walk(parent, out)
                }
            }
        }
        let mut segments = Vec::new();
        walk(path, &mut segments);
        Self(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_people_write_it() {
        let path = FieldPath::root()
            .key("servers")
            .index(2)
            .key("smoke")
            .index(0);
        assert_eq!(path.to_string(), "servers[2].smoke[0]");
        assert_eq!(path.parent().unwrap().to_string(), "servers[2].smoke");
        assert_eq!(FieldPath::root().to_string(), "(document)");
        assert_eq!(path.key("tool").last_key(), Some("tool"));
        assert_eq!(
            FieldPath::parse("env[1].default").to_string(),
            "env[1].default"
        );
        assert_eq!(FieldPath::parse("a[0][2].b").to_string(), "a[0][2].b");
    }
}
