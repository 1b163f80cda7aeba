//! Docker for the containerized tests: the engine through its CLI, a locally made base image, an offline
//! wheelhouse, and cleanup by label that also runs when the test process dies.
//!
//! These machines have a Docker engine (20.10, classic builder) but no registry: nothing can be pulled and pip
//! inside a container cannot reach PyPI. So the base image is made here with `debootstrap --variant=minbase`
//! (Debian trixie: Python 3.13, Node 20) and `docker import`ed under a tag that is the hash of its recipe (built
//! once, reused while the recipe is unchanged); Python packages come from a wheelhouse downloaded on the host;
//! every image is built with `docker build --network none`.
//!
//! Everything a run creates carries the label `dev.mcpfleet.test-run=<run id>` (compose projects are named after
//! the run id). A janitor process, supervised like the gateway, removes it all when the test process ends in any
//! way — including a panic, Ctrl-C or SIGKILL — and objects left by runs whose process is gone are removed at the
//! start of the next one.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{HarnessError, Result, io_err};
use crate::paths::harness_dir;
use crate::process::{Launch, Supervised};
use crate::python::Python;

/// The label key on every container, image, network and volume a test run creates.
pub const RUN_LABEL: &str = "dev.mcpfleet.test-run";

/// The Debian release and packages of the base image.
const BASE_SUITE: &str = "trixie";
const BASE_PACKAGES: &str = "python3,python3-venv,nodejs";
/// The seed project's kind of base (`python:3.11`, which carries compilers and version control), for comparison.
const BUILD_TOOLS_PACKAGES: &str =
    "python3,python3-venv,python3-pip,python3-dev,build-essential,git,curl";
const BASE_MIRROR: &str = "http://deb.debian.org/debian";

/// `docker run` flags of a hardened service, as compose and the generated Kubernetes pods set them: read-only root,
/// a tmpfs `/tmp`, every capability dropped, no privilege gain.
pub const HARDENED_RUN: [&str; 7] = [
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges:true",
];

/// A Docker engine the tests may use, and the run they label their objects with.
#[derive(Debug)]
pub struct Docker {
    run_id: String,
    _janitor: Supervised,
}

/// Whether a container test must fail (under CI) or may skip loudly (elsewhere) when Docker is unusable.
pub fn docker_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl Docker {
    /// The engine shared by every test of this process, with its janitor started; an error says why Docker
    /// cannot be used (no CLI, engine down).
    pub fn shared() -> Result<&'static Docker> {
        static SHARED: OnceLock<std::result::Result<Docker, String>> = OnceLock::new();
        match SHARED.get_or_init(|| Docker::start().map_err(|e| e.to_string())) {
            Ok(docker) => Ok(docker),
            Err(reason) => Err(HarnessError::Command {
                what: "using Docker".to_owned(),
                status: "unavailable".to_owned(),
                output: reason.clone(),
            }),
        }
    }

    fn start() -> Result<Docker> {
        let version = docker(&["version", "--format", "{{.Server.Version}}"])?;
        // The pid, then five digits of the clock (zero-padded: stale-run detection strips exactly five).
        let run_id = format!(
            "{}{:05}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() % 100_000)
                .unwrap_or(0)
        );
        remove_stale_runs();
        let python = Python::find()?;
        let dir = harness_dir().join("docker");
        fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
        let janitor = Supervised::spawn(Launch {
            what: format!("docker janitor of run {run_id}"),
            python: &python,
            program: Path::new("/bin/sh"),
            args: vec!["-c".to_owned(), janitor_script(&run_id)],
            env: &[],
            cwd: &dir,
            log: dir.join(format!("janitor-{run_id}.log")),
            grace_secs: 120,
        })?;
        eprintln!(
            "[harness] Docker engine {} (test run {run_id})",
            version.trim()
        );
        Ok(Docker {
            run_id,
            _janitor: janitor,
        })
    }

    /// This run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// `dev.mcpfleet.test-run=<id>`.
    pub fn label(&self) -> String {
        format!("{RUN_LABEL}={}", self.run_id)
    }

    /// A compose project name for `name` in this run (compose v1: lowercase letters and digits).
    pub fn project(&self, name: &str) -> String {
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        format!("mcpfleettest{}{clean}", self.run_id)
    }

    /// Runs `docker <args>` and returns its standard output.
    pub fn cmd(&self, args: &[&str]) -> Result<String> {
        docker(args)
    }

    /// `docker build --network none --force-rm` of `context` as `tag`, labelled with this run; returns the time
    /// it took.
    pub fn build(&self, context: &Path, tag: &str) -> Result<Duration> {
        self.build_with_args(context, tag, &[])
    }

    /// [`Docker::build`] with `--build-arg NAME=VALUE` for each of `build_args`.
    pub fn build_with_args(
        &self,
        context: &Path,
        tag: &str,
        build_args: &[(&str, &str)],
    ) -> Result<Duration> {
        self.build_on("none", context, tag, build_args)
    }

    /// [`Docker::build_with_args`] on the host's network (`--network host`): an online build, whose package
    /// index (a [`crate::PackageIndex`] on loopback, or Debian's mirror) the build reaches as the host does.
    pub fn build_online(
        &self,
        context: &Path,
        tag: &str,
        build_args: &[(&str, &str)],
    ) -> Result<Duration> {
        self.build_on("host", context, tag, build_args)
    }

    fn build_on(
        &self,
        network: &str,
        context: &Path,
        tag: &str,
        build_args: &[(&str, &str)],
    ) -> Result<Duration> {
        let started = Instant::now();
        let label = self.label();
        let context = context.display().to_string();
        let pairs: Vec<String> = build_args
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let mut args = vec![
            "build",
            "--network",
            network,
            "--force-rm",
            "--label",
            &label,
            "--tag",
            tag,
        ];
        for pair in &pairs {
            args.extend(["--build-arg", pair.as_str()]);
        }
        args.push(&context);
        docker(&args)?;
        Ok(started.elapsed())
    }

    /// `docker run --detach` with this run's label; returns the container id.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let label = self.label();
        let mut all = vec!["run", "--detach", "--label", &label];
        all.extend_from_slice(args);
        Ok(docker(&all)?.trim().to_owned())
    }

    /// `docker run` of `tag` the way a hardened compose service runs: read-only root, tmpfs `/tmp`, every capability
    /// dropped, no privilege gain, `container_port` published on 127.0.0.1 at `host_port`. Returns the container
    /// id.
    pub fn run_hardened(
        &self,
        tag: &str,
        name: Option<&str>,
        container_port: u16,
        host_port: u16,
    ) -> Result<String> {
        let publish = format!("127.0.0.1:{host_port}:{container_port}");
        let mut args = HARDENED_RUN.to_vec();
        args.extend(["--publish", &publish]);
        if let Some(name) = name {
            args.extend(["--name", name]);
        }
        args.push(tag);
        self.run(&args)
    }

    /// `docker inspect` of one object.
    pub fn inspect(&self, id: &str) -> Result<Value> {
        let text = docker(&["inspect", id])?;
        let value: Value = serde_json::from_str(&text).map_err(|e| HarnessError::Command {
            what: format!("docker inspect {id}"),
            status: "unreadable".to_owned(),
            output: e.to_string(),
        })?;
        Ok(value.get(0).cloned().unwrap_or(Value::Null))
    }

    /// Waits until the container's healthcheck reports `healthy`; returns how long that took from now.
    pub fn wait_healthy(&self, id: &str, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        loop {
            let state = docker(&[
                "inspect",
                "--format",
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                id,
            ])?;
            let state = state.trim();
            if state.ends_with("healthy") && !state.ends_with("unhealthy") {
                return Ok(started.elapsed());
            }
            if state.starts_with("exited")
                || state.starts_with("dead")
                || started.elapsed() > timeout
            {
                let logs = docker(&["logs", "--tail", "40", id]).unwrap_or_default();
                return Err(HarnessError::Command {
                    what: format!("waiting for container {id} to be healthy"),
                    status: state.to_owned(),
                    output: logs,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the container's health status is `wanted` (`healthy`, `unhealthy`); returns how long that took.
    pub fn wait_health(&self, id: &str, wanted: &str, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        loop {
            let now = docker(&["inspect", "--format", "{{.State.Health.Status}}", id])?;
            if now.trim() == wanted {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                return Err(HarnessError::Command {
                    what: format!("waiting for container {id} to be {wanted}"),
                    status: now.trim().to_owned(),
                    output: docker(&["logs", "--tail", "20", id]).unwrap_or_default(),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The container's resident memory now (`docker stats`), in MiB.
    pub fn memory_mib(&self, id: &str) -> Result<f64> {
        let usage = docker(&["stats", "--no-stream", "--format", "{{.MemUsage}}", id])?;
        let used = usage.split('/').next().unwrap_or_default().trim();
        let split = used
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(used.len());
        let number: f64 = used[..split].trim().parse().unwrap_or(0.0);
        Ok(match &used[split..] {
            "GiB" => number * 1024.0,
            "KiB" => number / 1024.0,
            "B" => number / 1024.0 / 1024.0,
            _ => number,
        })
    }

    /// `docker-compose -p <project> -f <file> <args>`, with `env` added to compose's environment (the values
    /// its `${NAME:?…}` interpolations read; they never reach a file).
    pub fn compose(
        &self,
        project: &str,
        file: &Path,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Result<String> {
        let file = file.display().to_string();
        let mut all = vec!["-p", project, "-f", &file];
        all.extend_from_slice(args);
        run_with_env("docker-compose", &all, env)
    }
}

fn docker(args: &[&str]) -> Result<String> {
    run("docker", args)
}

fn run(program: &str, args: &[&str]) -> Result<String> {
    run_with_env(program, args, &[])
}

fn run_with_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::Command {
            what: format!("{program} {}", args.join(" ")),
            status: "could not start".to_owned(),
            output: e.to_string(),
        })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(HarnessError::Command {
        what: format!("{program} {}", args.join(" ")),
        status: output.status.to_string(),
        output: crate::python::tail(&text, 60),
    })
}

/// Removes everything labelled by (or named after) `run`: containers with their anonymous volumes, then
/// networks, named volumes and images.
fn removal_commands(run: &str) -> String {
    let label = format!("{RUN_LABEL}={run}");
    let project = format!("mcpfleettest{run}");
    format!(
        "ids=$(docker ps -aq --filter label={label}); \
         ids=\"$ids $(docker ps -a --format '{{{{.ID}}}} {{{{.Label \"com.docker.compose.project\"}}}}' | awk '$2 ~ /^{project}/ {{print $1}}')\"; \
         [ -n \"$(echo $ids)\" ] && docker rm -f -v $ids >/dev/null 2>&1; \
         for n in $(docker network ls -q --filter label={label}) $(docker network ls --format '{{{{.ID}}}} {{{{.Label \"com.docker.compose.project\"}}}}' | awk '$2 ~ /^{project}/ {{print $1}}'); do docker network rm $n >/dev/null 2>&1; done; \
         for v in $(docker volume ls -q --filter label={label}) $(docker volume ls --format '{{{{.Name}}}} {{{{.Label \"com.docker.compose.project\"}}}}' | awk '$2 ~ /^{project}/ {{print $1}}'); do docker volume rm -f $v >/dev/null 2>&1; done; \
         imgs=$(docker images -q --filter label={label}); [ -n \"$imgs\" ] && docker rmi -f $imgs >/dev/null 2>&1; \
         docker image prune -f --filter label=dev.mcpfleet.base-recipe >/dev/null 2>&1; \
         echo cleaned run {run}"
    )
}

/// The janitor: sleeps until the supervisor signals that the test process is gone, then removes the run's objects.
fn janitor_script(run: &str) -> String {
    format!(
        "cleanup() {{ {} ; exit 0; }}; trap cleanup TERM INT; while :; do sleep 3600 & wait $!; done",
        removal_commands(run)
    )
}

/// Removes what every finished test run left (containers, networks, volumes, images and the builder stages they
/// came from) and returns how many labelled objects remain afterwards (those of runs still in progress).
/// `.ci/run` calls it after the tests so that cleanup does not depend on the janitor getting its time.
pub fn clean_finished_runs() -> Result<usize> {
    remove_stale_runs();
    let label = format!("label={RUN_LABEL}");
    let mut remaining = 0;
    for args in [
        vec!["ps", "-aq", "--filter", &label],
        vec!["images", "-q", "--filter", &label],
        vec!["network", "ls", "-q", "--filter", &label],
        vec!["volume", "ls", "-q", "--filter", &label],
    ] {
        remaining += docker(&args)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
    }
    Ok(remaining)
}

/// Removes the objects of earlier runs whose test process no longer exists.
fn remove_stale_runs() {
    let Ok(labels) = docker(&[
        "ps",
        "-a",
        "--format",
        &format!("{{{{.Label \"{RUN_LABEL}\"}}}}"),
    ]) else {
        return;
    };
    let mut runs: Vec<String> = labels
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if let Ok(images) = docker(&[
        "images",
        "--format",
        "{{.ID}}",
        "--filter",
        &format!("label={RUN_LABEL}"),
    ]) {
        for image in images.lines() {
            if let Ok(label) = docker(&[
                "inspect",
                "--format",
                &format!("{{{{index .Config.Labels \"{RUN_LABEL}\"}}}}"),
                image.trim(),
            ]) {
                runs.push(label.trim().to_owned());
            }
        }
    }
    runs.sort();
    runs.dedup();
    for run in runs {
        // The run id starts with the pid of its test process.
        let alive = run
            .get(..run.len().saturating_sub(5))
            .is_some_and(|pid| !pid.is_empty() && Path::new("/proc").join(pid).exists());
        if !alive {
            let _ = run_sh(&removal_commands(&run));
        }
    }
}

fn run_sh(script: &str) -> Result<String> {
    run("/bin/sh", &["-c", script])
}

/// A base image made here from Debian packages.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// `mcpfleet-base:trixie-<recipe hash>`.
    pub tag: String,
    /// The image id (`sha256:…`), the content address of the image.
    pub id: String,
    /// Whether this call built it (else it was reused).
    pub built: bool,
}

/// The base image for the generated Dockerfiles: Debian trixie minbase with Python 3.13 (`python3`,
/// `python3-venv`) and Node 20, apt caches and docs removed. Built once per recipe and reused; `debootstrap`
/// must be installed (`.ci/run` installs it).
pub fn base_image() -> Result<BaseImage> {
    static BASE: OnceLock<std::result::Result<BaseImage, String>> = OnceLock::new();
    BASE.get_or_init(|| build_base("mcpfleet-base", BASE_PACKAGES).map_err(|e| e.to_string()))
        .clone()
        .map_err(|reason| HarnessError::Command {
            what: "making the base image".to_owned(),
            status: "failed".to_owned(),
            output: reason,
        })
}

/// A base like the seed project's `python:3.11`: Debian trixie with Python, pip, compilers, git and curl. Only the
/// benchmarks use it, as the baseline the generated images are measured against.
pub fn build_tools_base_image() -> Result<BaseImage> {
    build_base("mcpfleet-base-buildtools", BUILD_TOOLS_PACKAGES)
}

fn build_base(repository: &str, packages: &str) -> Result<BaseImage> {
    use sha2::{Digest, Sha256};
    let recipe = format!(
        "debootstrap --variant=minbase --include={packages} {BASE_SUITE} {BASE_MIRROR}; strip apt lists, caches, docs, man, locales"
    );
    let hash: String = Sha256::digest(recipe.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let tag = format!("{repository}:{BASE_SUITE}-{hash}");
    if let Ok(id) = docker(&["image", "inspect", "--format", "{{.Id}}", &tag]) {
        return Ok(BaseImage {
            tag,
            id: id.trim().to_owned(),
            built: false,
        });
    }
    let started = Instant::now();
    let root = harness_dir().join("docker").join(format!("rootfs-{hash}"));
    if root.exists() {
        fs::remove_dir_all(&root).map_err(io_err("removing", &root))?;
    }
    fs::create_dir_all(&root).map_err(io_err("creating directory", &root))?;
    eprintln!("[harness] making the base image {tag} with debootstrap (about a minute)...");
    let root_text = root.display().to_string();
    run(
        "debootstrap",
        &[
            "--variant=minbase",
            &format!("--include={packages}"),
            BASE_SUITE,
            &root_text,
            BASE_MIRROR,
        ],
    )
    .map_err(|e| match e {
        HarnessError::Command { status, output, .. } if status == "could not start" => {
            HarnessError::Command {
                what: "debootstrap (install it: apt-get install debootstrap)".to_owned(),
                status,
                output,
            }
        }
        other => other,
    })?;
    for dir in [
        "var/cache/apt",
        "var/lib/apt/lists",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/locale",
    ] {
        let path = root.join(dir);
        if path.exists() {
            fs::remove_dir_all(&path).map_err(io_err("removing", &path))?;
            fs::create_dir_all(&path).map_err(io_err("creating directory", &path))?;
        }
    }
    let script = format!(
        "tar -C {root_text} -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'LABEL dev.mcpfleet.base-recipe={hash}' - {tag}"
    );
    let id = run_sh(&script)?;
    let _ = fs::remove_dir_all(&root);
    eprintln!(
        "[harness] base image {tag} made in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(BaseImage {
        tag,
        id: id.trim().to_owned(),
        built: true,
    })
}

/// Wheels for Python 3.13 on manylinux x86_64, downloaded on the host (pip in a container cannot reach PyPI here),
/// and a hashed lock of exactly those wheels.
#[derive(Debug, Clone)]
pub struct Wheelhouse {
    /// The directory of wheels.
    pub dir: PathBuf,
    /// `requirements.lock`: `name==version --hash=sha256:…` for every wheel.
    pub lock: PathBuf,
}

/// Downloads (once; cached by the requirements' hash) the wheels for `requirements` (lines of a requirements
/// file) into `target/harness/wheels/<name>-<hash>/` and writes their hashed lock.
pub fn wheelhouse(name: &str, requirements: &str) -> Result<Wheelhouse> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(requirements.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let root = harness_dir().join("wheels").join(format!("{name}-{hash}"));
    let dir = root.join("wheels");
    let lock = root.join("requirements.lock");
    if lock.exists() {
        return Ok(Wheelhouse { dir, lock });
    }
    fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
    let input = root.join("requirements.in");
    fs::write(&input, requirements).map_err(io_err("writing", &input))?;
    let python = Python::find()?;
    let python_path = python.path.display().to_string();
    let dir_text = dir.display().to_string();
    let input_text = input.display().to_string();
    run(
        &python_path,
        &[
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--python-version",
            "3.13",
            "--implementation",
            "cp",
            "--abi",
            "cp313",
            "--platform",
            "manylinux_2_28_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            "--platform",
            "manylinux2014_x86_64",
            "--only-binary=:all:",
            "--dest",
            &dir_text,
            "--requirement",
            &input_text,
        ],
    )?;
    let mut lines = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(io_err("reading", &dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    entries.sort();
    for wheel in entries {
        let file = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        // name-version-... with `_` for `-` in the name (PEP 427).
        let mut parts = file.split('-');
        let (Some(package), Some(version)) = (parts.next(), parts.next()) else {
            continue;
        };
        let bytes = fs::read(&wheel).map_err(io_err("reading", &wheel))?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        lines.push(format!(
            "{}=={version} --hash=sha256:{digest}",
            package.replace('_', "-")
        ));
    }
    let mut out = fs::File::create(&lock).map_err(io_err("writing", &lock))?;
    writeln!(out, "# Generated by the mcpfleet test harness from the wheels in wheels/ (pip download, Python 3.13).")
        .and_then(|()| out.write_all((lines.join("\n") + "\n").as_bytes()))
        .map_err(io_err("writing", &lock))?;
    Ok(Wheelhouse { dir, lock })
}

/// Copies a wheelhouse into a build context (hard links where the filesystem allows), as `<context>/<name>`.
pub fn link_wheels(wheelhouses: &[&Wheelhouse], context: &Path, name: &str) -> Result<()> {
    let target = context.join(name);
    fs::create_dir_all(&target).map_err(io_err("creating directory", &target))?;
    for house in wheelhouses {
        for entry in fs::read_dir(&house.dir)
            .map_err(io_err("reading", &house.dir))?
            .flatten()
        {
            let to = target.join(entry.file_name());
            if to.exists() {
                continue;
            }
            if fs::hard_link(entry.path(), &to).is_err() {
                fs::copy(entry.path(), &to).map_err(io_err("copying", &to))?;
            }
        }
    }
    Ok(())
}

/// The wheels of the fixture servers' pinned requirements (`tests/fixtures/requirements.txt`).
pub fn fixture_wheels() -> Result<Wheelhouse> {
    let path = crate::paths::fixtures_dir().join("requirements.txt");
    let text = fs::read_to_string(&path).map_err(io_err("reading", &path))?;
    wheelhouse("fixtures", &text)
}

/// The wheels of `mcp-proxy`, the stdio bridge the bridged images install into an environment of their own.
pub fn mcp_proxy_wheels() -> Result<Wheelhouse> {
    wheelhouse("mcp-proxy", "mcp-proxy==0.13.0\n")
}

/// The wheels of the pinned gateway, `mcp-contextforge-gateway`.
pub fn contextforge_wheels() -> Result<Wheelhouse> {
    wheelhouse(
        "contextforge",
        &format!(
            "mcp-contextforge-gateway=={}\n",
            crate::gateway::GATEWAY_VERSION
        ),
    )
}

/// A pip wheel on the host, for checking the venvs of images that carry no pip of their own: mount its directory
/// and run `<venv>/bin/python <dir>/<wheel>/pip check` (pip runs from its wheel).
pub fn pip_wheel() -> Result<PathBuf> {
    let house = wheelhouse("pip", "pip==26.3\n")?;
    fs::read_dir(&house.dir)
        .map_err(io_err("reading", &house.dir))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("pip-"))
        })
        .ok_or_else(|| HarnessError::Command {
            what: "finding the pip wheel".to_owned(),
            status: "missing".to_owned(),
            output: house.dir.display().to_string(),
        })
}
