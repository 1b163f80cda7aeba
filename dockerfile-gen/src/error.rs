//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong between a spec and the files on disk.
///
/// Messages name the offending field or template; the underlying cause, when
/// there is one, is reachable through [`std::error::Error::source`] and is not
/// repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A spec value is unusable. `field` is a path such as
    /// `servers[2].env[0].name`; `reason` says what is wrong with it.
    #[error("invalid spec: `{field}` {reason}")]
    InvalidSpec {
        /// Path of the offending field, e.g. `servers[2].env[0].name`.
        field: String,
        /// What is wrong, phrased to follow the field name.
        reason: String,
    },

    /// A spec file does not parse or has a value of the wrong shape. `line` and `column` start at 1 (0 when
    /// the parser could not tell); `path` is the field (`servers[0].transport`, `.` for the document).
    #[error("{origin}:{line}:{column}: `{path}` {message}")]
    Parse {
        /// The file name (or whatever the caller named the text).
        origin: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// The field's path.
        path: String,
        /// What the parser said.
        message: String,
    },

    /// Reading a spec file failed.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A path given to a loader is not a regular file (a directory, a FIFO, a device, a socket). It is refused
    /// before it is opened: opening a FIFO waits for a writer, and a device such as `/dev/zero` never ends.
    #[error("cannot load `{}`: it is {kind}, not a regular file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
        /// What it is instead (`a directory`, `a FIFO (named pipe)`, `a character device`, …).
        kind: &'static str,
    },

    /// A spec file is larger than the loader reads ([`LoadOptions::max_bytes`](crate::LoadOptions::max_bytes));
    /// it was not read (or not past the limit, when its size could not be known beforehand).
    #[error(
        "cannot load `{}`: {} the limit of {limit} bytes (a larger file is read with \
         `LoadOptions::with_max_bytes`)",
        path.display(),
        size.map_or_else(|| "its content exceeds".to_owned(), |size| format!("its {size} bytes exceed"))
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in force.
        limit: u64,
        /// The size the file system reported, when it was already over the limit.
        size: Option<u64>,
    },

    /// A template (built-in or registered) does not parse.
    #[error("template `{name}` does not parse")]
    TemplateSyntax {
        /// Name the template was registered under.
        name: String,
        /// The parser's complaint.
        #[source]
        source: Box<handlebars::TemplateError>,
    },

    /// Rendering a template failed, for example because strict mode met a
    /// field the data does not have, or the template name is unknown.
    #[error("rendering template `{name}` failed")]
    Render {
        /// Name of the template being rendered.
        name: String,
        /// What handlebars reported.
        #[source]
        source: Box<handlebars::RenderError>,
    },

    /// A plan could not be serialized (YAML or JSON) into a file.
    #[error("serializing {what} failed")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The serializer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Writing a generated file failed.
    #[error("writing `{}` failed", path.display())]
    Write {
        /// The file (or directory) that could not be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand used by validation: `field` is the spec path, `reason`
    /// completes the sentence "`field` ...".
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidSpec {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The spec path of an [`Error::InvalidSpec`], or `None` for other kinds.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidSpec { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
