//! The seed-shaped fixture fleet (`tests/fixtures/seed/`): twelve servers written the way the seed project's
//! are (standalone `fastmcp` 2.x and 4.x, `mcp` 1.x `FastMCP`, `mcp` 2.x `MCPServer`, plain Node), ten of them
//! containerized from `fleet.yaml` by `mcpfleet-dockerfile-gen`, two (`council`, `orchestrator`) run as host
//! processes, and a backend stand-in for Chroma and Ollama.
//!
//! The images are built **online**, as a user with internet builds them: `docker build --network host` with pip
//! installing from a package index over HTTP (a [`PackageIndex`] serving the wheelhouses on loopback, named by
//! the `PIP_INDEX_URL` build argument) and apt installing git from Debian's mirror; the base is the local one,
//! given as the `BASE_IMAGE` build argument. Only the backend stand-in, which needs nothing, builds offline.

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mcpfleet_dockerfile_gen::{
    BuildPlan, FleetPlan, FleetSpec, ImageRef, Renderer, ServerSpec, templates,
};
use serde_json::Value;

use crate::docker::{BaseImage, Docker, Wheelhouse, base_image, mcp_proxy_wheels, wheelhouse};
use crate::error::{HarnessError, Result, io_err};
use crate::images::{
    BuildHow, BuiltImage, build_image, offline_build, online_build, two_at_a_time,
};
use crate::index::PackageIndex;
use crate::paths::{fixtures_dir, harness_dir};
use crate::process::{Launch, Supervised, free_port};
use crate::python::{Python, Venv};

/// The seed fleet's requirement sets, under `tests/fixtures/seed/requirements/`.
const REQUIREMENTS: [&str; 4] = ["fastmcp2.txt", "fastmcp4.txt", "mcp1.txt", "mcp2.txt"];
/// The backend stand-in's spec: a standard-library HTTP server, probed over plain HTTP (it speaks no MCP).
const BACKEND_SPEC: &str = r#"{"name": "backend", "runtime": {"language": "python", "version": "3.13"},
    "entrypoint": {"kind": "script", "path": "backend/backend_server.py"},
    "transport": {"kind": "streamable_http"},
    "healthcheck": {"probe": {"kind": "http", "path": "/healthz"}},
    "labels": {"description": "Stand-in for Chroma and Ollama (tests/fixtures/seed/backend)"}}"#;

/// `tests/fixtures/seed/`.
pub fn seed_dir() -> PathBuf {
    fixtures_dir().join("seed")
}

/// The wheelhouses of the seed fleet's requirement sets and of `mcp-proxy`, downloaded on the host once.
pub fn seed_wheels() -> Result<Vec<Wheelhouse>> {
    let mut houses = Vec::new();
    for file in REQUIREMENTS {
        let path = seed_dir().join("requirements").join(file);
        let text = fs::read_to_string(&path).map_err(io_err("reading", &path))?;
        let stem = file.trim_end_matches(".txt");
        houses.push(wheelhouse(&format!("seed-{stem}"), &text)?);
    }
    houses.push(mcp_proxy_wheels()?);
    Ok(houses)
}

/// The seed fleet's container images, built once per test process.
#[derive(Debug)]
pub struct SeedFleet {
    /// `tests/fixtures/seed/fleet.yaml`, with the image names of this run.
    pub spec: FleetSpec,
    /// Its plan (build plans and the compose model).
    pub plan: FleetPlan,
    /// The base every image was built on.
    pub base: BaseImage,
    /// One image per server, by service name, and the backend stand-in as `backend`.
    pub images: BTreeMap<String, BuiltImage>,
    /// Wall time of all the builds.
    pub build_time: Duration,
}

impl SeedFleet {
    /// The image of service `name`.
    pub fn image(&self, name: &str) -> Result<&BuiltImage> {
        self.images.get(name).ok_or_else(|| HarnessError::Command {
            what: format!("finding the seed image `{name}`"),
            status: "missing".to_owned(),
            output: format!("built: {:?}", self.images.keys().collect::<Vec<_>>()),
        })
    }
}

/// Builds (once per process) the seed fleet's images. Needs Docker, `debootstrap`, PyPI on the host (the
/// wheelhouses) and Debian's mirror (git); the builds reach only the local index and the mirror.
pub fn seed_fleet(docker: &Docker) -> Result<&'static SeedFleet> {
    static FLEET: OnceLock<std::result::Result<SeedFleet, String>> = OnceLock::new();
    FLEET
        .get_or_init(|| build_seed_fleet(docker).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|reason| HarnessError::Command {
            what: "building the seed fleet's images".to_owned(),
            status: "failed".to_owned(),
            output: reason.clone(),
        })
}

fn invalid(what: &str) -> impl Fn(mcpfleet_dockerfile_gen::Error) -> HarnessError + '_ {
    move |e| HarnessError::Command {
        what: what.to_owned(),
        status: "refused".to_owned(),
        output: e.to_string(),
    }
}

fn build_seed_fleet(docker: &Docker) -> Result<SeedFleet> {
    let started = Instant::now();
    let base = base_image()?;
    let index = PackageIndex::seed()?;
    let mut spec = FleetSpec::from_path(seed_dir().join("fleet.yaml"))
        .map_err(invalid("reading tests/fixtures/seed/fleet.yaml"))?;
    // This run's image names, so that concurrent runs never share a tag.
    let prefix = docker.project("seed");
    let backend_image = ImageRef::new(format!("{prefix}/backend"), "1");
    spec.image_prefix = prefix;
    for backend in &mut spec.backends {
        backend.image = backend_image.clone();
    }
    let plan = FleetPlan::from_spec(&spec).map_err(invalid("planning the seed fleet"))?;
    let root = harness_dir()
        .join("docker")
        .join(format!("seed-{}", docker.run_id()));
    let renderer = Renderer::new().map_err(invalid("loading the templates"))?;

    // Servers sharing a requirement set share their builder stage, which the classic builder takes from its cache
    // once one of them has built it: build one server of each set first, so two builds never fill the same stage.
    let mut seen = Vec::new();
    let first_of_its_set: Vec<bool> = spec
        .servers
        .iter()
        .map(|server| {
            let key = format!("{:?}", server.dependencies);
            let first = !seen.contains(&key);
            seen.push(key);
            first
        })
        .collect();
    let mut order: Vec<usize> = (0..spec.servers.len()).collect();
    order.sort_by_key(|&i| !first_of_its_set[i]);
    let how = online_build(&base, index);

    let backend = build_backend(docker, &root, &base, &backend_image, &renderer)?;
    let built = two_at_a_time(&order, |&i| {
        build_server(
            docker,
            &root.join(&spec.servers[i].name),
            &spec.servers[i],
            &plan.servers[i],
            &plan.compose.services[i].image,
            &how,
            &renderer,
        )
    });
    let mut images = BTreeMap::new();
    images.insert("backend".to_owned(), backend);
    for image in built {
        let image = image?;
        images.insert(image.name.clone(), image);
    }
    Ok(SeedFleet {
        spec,
        plan,
        base,
        images,
        build_time: started.elapsed(),
    })
}

/// The backend stand-in, offline (it installs nothing).
fn build_backend(
    docker: &Docker,
    root: &Path,
    base: &BaseImage,
    tag: &ImageRef,
    renderer: &Renderer,
) -> Result<BuiltImage> {
    let spec: ServerSpec =
        serde_json::from_str(BACKEND_SPEC).map_err(|e| HarnessError::Command {
            what: "reading the backend stand-in's spec".to_owned(),
            status: "invalid".to_owned(),
            output: e.to_string(),
        })?;
    let plan = BuildPlan::from_spec(&spec).map_err(invalid("planning the backend stand-in"))?;
    let context = root.join("backend");
    write_context(&context, &plan, renderer)?;
    build_image(
        docker,
        "backend",
        spec,
        plan,
        context,
        tag.to_string(),
        offline_build(base),
    )
}

fn build_server(
    docker: &Docker,
    context: &Path,
    spec: &ServerSpec,
    plan: &BuildPlan,
    tag: &str,
    how: &BuildHow,
    renderer: &Renderer,
) -> Result<BuiltImage> {
    write_context(context, plan, renderer)?;
    build_image(
        docker,
        &spec.name,
        spec.clone(),
        plan.clone(),
        context.to_owned(),
        tag.to_owned(),
        how.clone(),
    )
}

/// A build context: the generated files, and from `tests/fixtures/seed/` exactly what the `.dockerignore`
/// allow-list names (the sources and the dependency manifest), as a user's checkout would hold them.
fn write_context(context: &Path, plan: &BuildPlan, renderer: &Renderer) -> Result<()> {
    if context.exists() {
        fs::remove_dir_all(context).map_err(io_err("removing", context))?;
    }
    let files = renderer
        .render(plan)
        .map_err(invalid("rendering a seed image"))?;
    files
        .write_to(context)
        .map_err(invalid("writing a seed build context"))?;
    let generated: Vec<String> = files
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    for allowed in plan.dockerignore.iter().filter_map(|l| l.strip_prefix('!')) {
        if generated.iter().any(|g| g == allowed) {
            continue;
        }
        copy_tree(&seed_dir().join(allowed), &context.join(allowed))?;
    }
    Ok(())
}

/// Copies a file or a directory tree (without `__pycache__`).
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to).map_err(io_err("creating directory", to))?;
        for entry in fs::read_dir(from)
            .map_err(io_err("reading", from))?
            .flatten()
        {
            let name = entry.file_name();
            if name == "__pycache__" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(name))?;
        }
        return Ok(());
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(io_err("creating directory", parent))?;
    }
    fs::copy(from, to).map_err(io_err("copying", from))?;
    Ok(())
}

/// One of the seed's two servers that stay processes (`council`, `orchestrator`), served over streamable HTTP by
/// the generator's FastMCP launcher from a host virtualenv, as an operator would run it beside the containers.
#[derive(Debug)]
pub struct SeedProcess {
    /// The server's name (`council`).
    pub name: String,
    /// The URL to register: `http://<address>:<port>/mcp`.
    pub url: String,
    _process: Supervised,
}

/// Starts `server` (`council` or `orchestrator`) from `tests/fixtures/seed/`, listening on `address` (an address
/// the gateway reaches, such as a Docker network's gateway address), with `env` added; its state goes under
/// `state_dir`. Stopped when dropped.
pub fn start_seed_process(
    server: &str,
    address: IpAddr,
    env: &[(&str, &str)],
    state_dir: &Path,
) -> Result<SeedProcess> {
    let python = Python::find()?;
    let venv = prepare_seed_process_venv(&python)?;
    let dir = harness_dir().join("seed-processes");
    fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
    let launcher = dir.join(format!("{server}-launcher.py"));
    let spec: ServerSpec = serde_json::from_value(serde_json::json!({
        "name": server.replace('_', "-"),
        "runtime": {"language": "python", "version": "3.13"},
        "entrypoint": {"kind": "module", "module": format!("mcp_servers.{server}.server")},
        "sources": ["mcp_servers"],
        "transport": {"kind": "stdio", "bridge": {"kind": "fastmcp_launcher"}},
        "dependencies": {"kind": "requirements", "path": "requirements/fastmcp2.txt"},
    }))
    .map_err(|e| HarnessError::Command {
        what: format!("the launcher spec of {server}"),
        status: "invalid".to_owned(),
        output: e.to_string(),
    })?;
    let plan = BuildPlan::from_spec(&spec).map_err(invalid("planning a seed process"))?;
    let text = Renderer::new()
        .and_then(|r| r.render_template(templates::FASTMCP_LAUNCHER, &plan))
        .map_err(invalid("rendering the launcher"))?;
    fs::write(&launcher, text).map_err(io_err("writing", &launcher))?;
    let port = free_port()?;
    let host = address.to_string();
    let mut all_env: Vec<(String, String)> = vec![
        ("STATE_DIR".into(), state_dir.display().to_string()),
        ("FASTMCP_CHECK_FOR_UPDATES".into(), "off".into()),
    ];
    all_env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let mut process = Supervised::spawn(Launch {
        what: format!("seed process {server} on {host}:{port}"),
        python: &python,
        program: &venv.python(),
        args: vec![
            launcher.display().to_string(),
            "--module".into(),
            format!("mcp_servers.{server}.server"),
            "--host".into(),
            host.clone(),
            "--port".into(),
            port.to_string(),
            "--path".into(),
            "/mcp".into(),
            "--allow-host".into(),
            host.clone(),
        ],
        env: &all_env,
        cwd: &seed_dir(),
        log: dir.join(format!("{server}-{port}.log")),
        grace_secs: 3,
    })?;
    let socket = SocketAddr::new(address, port);
    process.wait_ready(Duration::from_secs(60), || {
        TcpStream::connect_timeout(&socket, Duration::from_millis(200)).is_ok()
    })?;
    Ok(SeedProcess {
        name: server.to_owned(),
        url: format!("http://{socket}/mcp"),
        _process: process,
    })
}

/// The seed's two host processes (`council`, `orchestrator`) with a backend stand-in of their own on loopback (the
/// fleet's backends are on its private network, out of the host's reach), all stopped when dropped.
#[derive(Debug)]
pub struct SeedProcesses {
    /// The processes, `council` first.
    pub processes: Vec<SeedProcess>,
    _backend: crate::fixtures::ScriptServer,
}

impl SeedProcesses {
    /// Starts them listening on `address` (where the gateway's container reaches the host), the backend requiring
    /// `key` from the model's callers, their state under `state_dir`.
    pub fn start(address: IpAddr, key: &str, state_dir: &Path) -> Result<SeedProcesses> {
        let backend = crate::fixtures::ScriptServer::spawn(
            "seed/backend/backend_server.py",
            &[("BACKEND_API_KEY", key)],
            crate::gateway::Gateway::shared(),
        )?;
        let url = backend.base_url();
        let env = [
            ("OLLAMA_HOST", url.as_str()),
            ("CHROMA_URL", url.as_str()),
            ("OPENAI_API_KEY", key),
        ];
        let processes = ["council", "orchestrator"]
            .into_iter()
            .map(|server| start_seed_process(server, address, &env, state_dir))
            .collect::<Result<Vec<_>>>()?;
        Ok(SeedProcesses {
            processes,
            _backend: backend,
        })
    }
}

/// `tests/fixtures/seed/manifest.yaml`, its gateway at `gateway_url` and its two processes at `processes`' URLs;
/// without processes, the ten containerized servers only.
pub fn seed_manifest(
    gateway_url: &str,
    processes: &[SeedProcess],
) -> Result<mcpfleet_registry::Manifest> {
    let path = seed_dir().join("manifest.yaml");
    let text = fs::read_to_string(&path).map_err(io_err("reading", &path))?;
    let mut manifest = mcpfleet_registry::Manifest::from_str_with_env(
        &text,
        mcpfleet_registry::Format::Yaml,
        "tests/fixtures/seed/manifest.yaml",
        |name| match name {
            "MCPGATEWAY_URL" => Some(gateway_url.to_owned()),
            _ => processes
                .iter()
                .find(|p| name == format!("SEED_{}_URL", p.name.to_ascii_uppercase()))
                .map(|p| p.url.clone()),
        },
    )
    .map_err(|e| HarnessError::Command {
        what: "reading tests/fixtures/seed/manifest.yaml".to_owned(),
        status: "invalid".to_owned(),
        output: e.to_string(),
    })?;
    if processes.is_empty() {
        manifest
            .servers
            .retain(|s| !["council", "orchestrator"].contains(&s.name.as_str()));
    }
    Ok(manifest)
}

/// The host virtualenv of the processes: the standalone fastmcp 2.x set, from PyPI (the host's Python may differ
/// from the images' 3.13 the wheelhouses are for).
pub fn prepare_seed_process_venv(python: &Python) -> Result<Venv> {
    let requirements = seed_dir().join("requirements/fastmcp2.txt");
    let pinned = fs::read_to_string(&requirements).map_err(io_err("reading", &requirements))?;
    let path = requirements.display().to_string();
    Venv::ensure(
        python,
        &format!("seed-fastmcp2-py{}", python.version),
        &["-r", &path],
        &pinned,
    )
}

/// One call of `smoke.json` or `concurrency.json`.
#[derive(Debug, Clone)]
pub struct SeedCall {
    /// The tool's original name.
    pub tool: String,
    /// Its arguments.
    pub arguments: Value,
    /// A substring the result text must contain.
    pub expect: String,
    /// Whether the tool answers with an error result on purpose.
    pub is_error: bool,
}

fn read_json(file: &str) -> Result<Value> {
    let path = seed_dir().join(file);
    let text = fs::read_to_string(&path).map_err(io_err("reading", &path))?;
    serde_json::from_str(&text).map_err(|e| HarnessError::Command {
        what: format!("reading {}", path.display()),
        status: "invalid".to_owned(),
        output: e.to_string(),
    })
}

fn call_of(value: &Value) -> SeedCall {
    SeedCall {
        tool: value["tool"].as_str().unwrap_or_default().to_owned(),
        arguments: value["arguments"].clone(),
        expect: value["expect"].as_str().unwrap_or_default().to_owned(),
        is_error: value["is_error"].as_bool().unwrap_or(false),
    }
}

/// The smoke calls of `smoke.json`, per server (the manifest name: `agent_persona`), in order.
pub fn seed_smoke_calls() -> Result<BTreeMap<String, Vec<SeedCall>>> {
    let value = read_json("smoke.json")?;
    Ok(value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(server, calls)| {
            (
                server.clone(),
                calls
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(call_of)
                    .collect(),
            )
        })
        .collect())
}

/// The concurrency call of `concurrency.json` for `server`, with `$N` replaced by `n` (a value that is exactly
/// `"$N"` becomes the number).
pub fn seed_concurrency_call(server: &str, n: u64) -> Result<SeedCall> {
    let value = read_json("concurrency.json")?;
    let entry = value.get(server).ok_or_else(|| HarnessError::Command {
        what: format!("finding {server} in concurrency.json"),
        status: "missing".to_owned(),
        output: String::new(),
    })?;
    fn substitute(value: &Value, n: u64) -> Value {
        match value {
            Value::String(text) if text == "$N" => Value::from(n),
            Value::String(text) => Value::from(text.replace("$N", &n.to_string())),
            Value::Array(items) => items.iter().map(|v| substitute(v, n)).collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, n)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => other.clone(),
        }
    }
    Ok(call_of(&substitute(entry, n)))
}
