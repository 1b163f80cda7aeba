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
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        for file in &self.files {
            let path = dir.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                    path: parent.to_owned(),
                    source,
                })?;
            }
            std::fs::write(&path, &file.contents).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
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
