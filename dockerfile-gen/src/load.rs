//! Reading specs people write: YAML or JSON, with errors at `origin:line:column` and the field's path.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::spec::{FleetSpec, ServerSpec};

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

impl ServerSpec {
    /// Reads a server spec from `text`; `origin` (a file name) starts every error message.
    pub fn from_text(text: &str, format: SpecFormat, origin: &str) -> Result<Self> {
        parse(text, format, origin)
    }

    /// Reads a server spec file (JSON by extension, else YAML).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let (text, format, origin) = read(path.as_ref())?;
        Self::from_text(&text, format, &origin)
    }
}

impl FleetSpec {
    /// Reads a fleet spec from `text`; `origin` (a file name) starts every error message.
    pub fn from_text(text: &str, format: SpecFormat, origin: &str) -> Result<Self> {
        parse(text, format, origin)
    }

    /// Reads a fleet spec file (JSON by extension, else YAML).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let (text, format, origin) = read(path.as_ref())?;
        Self::from_text(&text, format, &origin)
    }
}

fn read(path: &Path) -> Result<(String, SpecFormat, String)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok((
        text,
        SpecFormat::from_path(path),
        path.display().to_string(),
    ))
}

fn parse<T: DeserializeOwned>(text: &str, format: SpecFormat, origin: &str) -> Result<T> {
    match format {
        SpecFormat::Json => {
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
            let deserializer = yaml_serde::Deserializer::from_str(text);
            serde_path_to_error::deserialize(deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let (line, column) = inner
                    .location()
                    .map_or((0, 0), |at| (at.line(), at.column()));
                parse_error(origin, line, column, path, inner.to_string())
            })
        }
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
}
