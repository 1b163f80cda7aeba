//! Rendering plans to text with handlebars, and writing the results.

use std::path::{Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, JsonValue, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fleet::FleetPlan;
use crate::plan::BuildPlan;
use crate::templates;

/// File name of the compose file a fleet renders to (the name both
/// docker-compose 1.x and Compose v2 look for).
pub const COMPOSE_FILE: &str = "docker-compose.yml";

/// Renders plans with the embedded templates, or with templates you
/// register in their place.
#[derive(Debug, Clone)]
pub struct Renderer {
    registry: Handlebars<'static>,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeneratedFile {
    /// Path relative to the output directory.
    pub path: PathBuf,
    /// File contents.
    pub contents: String,
}

/// The files a plan renders to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeneratedFiles {
    /// Files in a stable order.
    pub files: Vec<GeneratedFile>,
}

impl GeneratedFile {
    /// A file to write at `path`, relative to the output directory.
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

impl FromIterator<GeneratedFile> for GeneratedFiles {
    fn from_iter<I: IntoIterator<Item = GeneratedFile>>(files: I) -> Self {
        GeneratedFiles {
            files: files.into_iter().collect(),
        }
    }
}

impl GeneratedFiles {
    /// Contents of the file at `path`, if generated.
    pub fn get(&self, path: impl AsRef<Path>) -> Option<&str> {
        let path = path.as_ref();
        self.files
            .iter()
            .find(|file| file.path == path)
            .map(|file| file.contents.as_str())
    }

    /// Writes every file under `dir`, creating directories as needed.
    ///
    /// Nothing is written outside `dir`: a file path that is absolute or climbs out (`..`) is refused, and so is
    /// a symbolic link met anywhere below `dir` (a directory on the way, or the file itself): a link left in an
    /// output directory would otherwise send a file, or overwrite one, wherever it points. Only regular files are
    /// replaced (never a device, a pipe or a directory). Each file is written
    /// to a temporary name beside it and renamed into place, so a failed write leaves no half-written file.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        })?;
        for file in &self.files {
            let path = dir.join(&file.path);
            let refuse = |what: &str| Error::Write {
                path: path.clone(),
                source: std::io::Error::other(what.to_owned()),
            };
            let mut at = dir.to_path_buf();
            let mut parts = file.path.components().peekable();
            while let Some(part) = parts.next() {
                let std::path::Component::Normal(name) = part else {
                    return Err(refuse(
                        "the path is absolute or climbs out of the output directory",
                    ));
                };
                at.push(name);
                match std::fs::symlink_metadata(&at) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        return Err(Error::Write {
                            path: at.clone(),
                            source: std::io::Error::other(
                                "is a symbolic link: refusing to write through it",
                            ),
                        });
                    }
                    Ok(meta) if parts.peek().is_some() && !meta.is_dir() => {
                        return Err(Error::Write {
                            path: at.clone(),
                            source: std::io::Error::other("is in the way of a directory"),
                        });
                    }
                    Ok(meta) if parts.peek().is_none() && !meta.is_file() => {
                        return Err(Error::Write {
                            path: at.clone(),
                            source: std::io::Error::other(
                                "is not a regular file: refusing to replace it",
                            ),
                        });
                    }
                    Ok(_) => {}
                    Err(_) if parts.peek().is_some() => {
                        std::fs::create_dir(&at).map_err(|source| Error::Write {
                            path: at.clone(),
                            source,
                        })?;
                    }
                    Err(_) => {}
                }
            }
            write_replacing(&path, file.contents.as_bytes())?;
        }
        Ok(())
    }

    pub(crate) fn push(&mut self, path: impl Into<PathBuf>, contents: String) {
        self.files.push(GeneratedFile {
            path: path.into(),
            contents,
        });
    }
}

/// Writes `bytes` to a new file beside `path` and renames it over `path`: the rename replaces a file without
/// following a link there, and a failed write (a full disk) leaves the old file, or nothing, in place.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let failed = |source: std::io::Error| Error::Write {
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut out| {
            out.write_all(bytes)?;
            out.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(failed)
}

impl Renderer {
    /// A renderer with the built-in templates (see [`crate::templates`]).
    pub fn new() -> Result<Self> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // Default escaping is for HTML: it would turn `&&` into `&amp;&amp;`.
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("json", Box::new(json_helper));
        let mut renderer = Self { registry };
        for (name, source) in templates::BUILT_IN {
            renderer.register_template(name, source)?;
        }
        Ok(renderer)
    }

    /// Registers `source` under `name`, replacing a built-in template of
    /// the same name. The template is parsed now, so syntax errors surface
    /// here.
    pub fn register_template(&mut self, name: &str, source: &str) -> Result<()> {
        self.registry
            .register_template_string(name, source)
            .map_err(|source| Error::TemplateSyntax {
                name: name.to_owned(),
                source: Box::new(source),
            })
    }

    /// Whether a template called `name` is registered.
    pub fn has_template(&self, name: &str) -> bool {
        self.registry.has_template(name)
    }

    /// Renders the template `name` with any serializable data (e.g. a plan
    /// for a template of your own).
    pub fn render_template<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.registry
            .render(name, data)
            .map_err(|source| Error::Render {
                name: name.to_owned(),
                source: Box::new(source),
            })
    }

    /// Renders one server's build context files: `Dockerfile`,
    /// `.dockerignore` and any supporting files.
    pub fn render(&self, plan: &BuildPlan) -> Result<GeneratedFiles> {
        let mut files = GeneratedFiles::default();
        files.push(
            "Dockerfile",
            self.render_template(templates::DOCKERFILE, plan)?,
        );
        files.push(
            ".dockerignore",
            self.render_template(templates::DOCKERIGNORE, plan)?,
        );
        for supporting in &plan.supporting_files {
            files.push(
                supporting.path.clone(),
                self.render_template(&supporting.template, plan)?,
            );
        }
        Ok(files)
    }

    /// Renders only the compose file of a fleet.
    pub fn render_compose(&self, plan: &FleetPlan) -> Result<String> {
        self.render_template(templates::COMPOSE, plan)
    }

    /// Renders the fleet's Docker Swarm stack file (`stack.yml`, for `docker stack deploy`). The images must
    /// already exist on the nodes or in a registry they pull from: Swarm does not build.
    pub fn render_stack(&self, plan: &crate::StackPlan) -> Result<String> {
        self.render_template(templates::STACK, plan)
    }

    /// Renders a whole fleet: the compose file plus every server's build
    /// context, each in the directory its compose service builds from.
    pub fn render_fleet(&self, plan: &FleetPlan) -> Result<GeneratedFiles> {
        let mut files = GeneratedFiles::default();
        files.push(COMPOSE_FILE, self.render_compose(plan)?);
        for (server, service) in plan.servers.iter().zip(&plan.compose.services) {
            let dir = service
                .build_context
                .as_deref()
                .unwrap_or(&server.server)
                .trim_start_matches("./");
            for file in self.render(server)?.files {
                files.push(Path::new(dir).join(file.path), file.contents);
            }
        }
        Ok(files)
    }
}

/// `{{json value}}`: the value as JSON text, arrays with `", "` between
/// items (the usual exec-form look). `prefix="X"` prepends an element.
fn json_helper(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = helper
        .param(0)
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("json", 0)))?
        .value();
    let prefix = helper.hash_get("prefix").map(|p| p.value().clone());
    let text = match value {
        JsonValue::Array(items) => {
            let rendered: Vec<String> = prefix
                .iter()
                .chain(items.iter())
                .map(JsonValue::to_string)
                .collect();
            format!("[{}]", rendered.join(", "))
        }
        other => other.to_string(),
    };
    out.write(&text)?;
    Ok(())
}
