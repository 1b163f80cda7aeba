//! Validation: every string that can reach a template is checked here, and
//! each error names the field path.
//!
//! The rules are allow-lists (which characters may appear), not deny-lists,
//! so a character nobody thought of is rejected rather than rendered.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::layout::{
    GATEWAY_SERVICE, GENERATED_LABEL_PREFIXES, RESERVED_DIRS, RESERVED_ENV, TMPFS_DIR,
    gateway_volume, is_gateway_owned_env, volume_name,
};
use crate::spec::{
    AptPackage, BackendService, Bridge, Dependencies, Entrypoint, EnvVar, FleetSpec,
    GatewayService, Healthcheck, ImageRef, InstallMode, Labels, Probe, Resources, RunAs, Runtime,
    ServerSpec, ServerTransport,
};

/// Joins a field path: `at("servers[1]", "env")` is `servers[1].env`.
pub(crate) fn at(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

fn idx(field: &str, i: usize) -> String {
    format!("{field}[{i}]")
}

/// A spec that passed validation.
///
/// Only [`server`] and [`fleet`] create one, and the planners take one
/// instead of a bare spec: nothing is planned unchecked, and a fleet's
/// servers, checked once by [`fleet`], are planned from
/// [`Valid::servers`] without a second pass.
#[derive(Debug)]
pub(crate) struct Valid<'a, T>(&'a T);

impl<'a, T> Valid<'a, T> {
    /// The validated spec.
    pub(crate) fn spec(&self) -> &'a T {
        self.0
    }
}

impl<'a> Valid<'a, FleetSpec> {
    /// Every server of the fleet, already validated by [`fleet`].
    pub(crate) fn servers(&self) -> impl Iterator<Item = Valid<'a, ServerSpec>> + use<'a> {
        self.0.servers.iter().map(Valid)
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`server`] ran on this thread; tests use it to check
    /// that every path validates each server exactly once.
    pub(crate) static SERVER_PASSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Validates one server; `prefix` is its path inside a fleet (empty alone).
pub(crate) fn server<'a>(spec: &'a ServerSpec, prefix: &str) -> Result<Valid<'a, ServerSpec>> {
    #[cfg(test)]
    SERVER_PASSES.with(|passes| passes.set(passes.get() + 1));
    dns_label(&at(prefix, "name"), &spec.name)?;
    let is_python = runtime(spec, prefix)?;
    entrypoint(spec, prefix, is_python)?;
    transport(spec, prefix, is_python)?;
    dependencies(spec, prefix, is_python)?;
    sources(spec, prefix)?;
    env_vars(&at(prefix, "env"), &spec.env, RESERVED_ENV)?;
    port(&at(prefix, "port"), spec.port)?;
    healthcheck(&at(prefix, "healthcheck"), &spec.healthcheck)?;
    run_as(&at(prefix, "user"), &spec.user)?;
    labels(&at(prefix, "labels"), &spec.labels)?;
    if let Some(image) = &spec.base_image {
        image_ref(&at(prefix, "base_image"), image)?;
    }
    apt_packages(&at(prefix, "system_packages"), &spec.system_packages)?;
    apt_packages(&at(prefix, "build_packages"), &spec.build_packages)?;
    if let InstallMode::Offline { vendor_dir } = &spec.install {
        rel_path(&at(prefix, "install.vendor_dir"), vendor_dir)?;
    }
    writable_paths(&at(prefix, "writable_paths"), &spec.writable_paths)?;
    resources(&at(prefix, "resources"), &spec.resources)?;
    Ok(Valid(spec))
}

/// Validates a fleet and every server in it (each exactly once).
pub(crate) fn fleet(spec: &FleetSpec) -> Result<Valid<'_, FleetSpec>> {
    dns_label("name", &spec.name)?;
    if spec.servers.is_empty() {
        return Err(Error::invalid("servers", "must list at least one server"));
    }
    if spec.context_root != "." {
        rel_path("context_root", &spec.context_root)?;
    }
    image_name("image_prefix", &spec.image_prefix)?;
    let mut seen: Vec<&str> = Vec::new();
    for (i, server_spec) in spec.servers.iter().enumerate() {
        let prefix = idx("servers", i);
        server(server_spec, &prefix)?;
        if let Some(first) = seen.iter().position(|name| *name == server_spec.name) {
            return Err(Error::invalid(
                at(&prefix, "name"),
                format!(
                    "duplicates servers[{first}].name (`{}`): service names must be unique",
                    server_spec.name
                ),
            ));
        }
        if spec.gateway.is_some() && server_spec.name == GATEWAY_SERVICE {
            return Err(Error::invalid(
                at(&prefix, "name"),
                format!("is `{GATEWAY_SERVICE}`, the name of the gateway service; pick another"),
            ));
        }
        seen.push(&server_spec.name);
    }
    for (i, backend) in spec.backends.iter().enumerate() {
        let prefix = idx("backends", i);
        backend_service(&prefix, backend)?;
        if let Some(first) = seen.iter().position(|name| *name == backend.name) {
            return Err(Error::invalid(
                at(&prefix, "name"),
                format!(
                    "is `{}`, already the name of {}: service names must be unique",
                    backend.name,
                    service_field(spec, first)
                ),
            ));
        }
        if spec.gateway.is_some() && backend.name == GATEWAY_SERVICE {
            return Err(Error::invalid(
                at(&prefix, "name"),
                format!("is `{GATEWAY_SERVICE}`, the name of the gateway service; pick another"),
            ));
        }
        seen.push(&backend.name);
    }
    for (i, server_spec) in spec.servers.iter().enumerate() {
        let field = at(&idx("servers", i), "depends_on");
        for (j, name) in server_spec.depends_on.iter().enumerate() {
            if *name == server_spec.name {
                return Err(Error::invalid(idx(&field, j), "names the server itself"));
            }
            if !seen.contains(&name.as_str()) {
                return Err(Error::invalid(
                    idx(&field, j),
                    format!(
                        "names `{}`, which is no server or backend of the fleet ({})",
                        printable(name),
                        seen.join(", ")
                    ),
                ));
            }
        }
    }
    if let Some(gateway) = &spec.gateway {
        gateway_service("gateway", gateway)?;
    }
    distinct_volumes(spec)?;
    Ok(Valid(spec))
}

/// `servers[i]` or `backends[j]`, for the `n`-th service name of a fleet
/// (servers first).
fn service_field(spec: &FleetSpec, n: usize) -> String {
    if n < spec.servers.len() {
        format!("servers[{n}]")
    } else {
        format!("backends[{}]", n - spec.servers.len())
    }
}

/// Two writable paths must not end up on one compose volume (their data
/// would mix, possibly across servers).
fn distinct_volumes(spec: &FleetSpec) -> Result<()> {
    let mut owners: Vec<(String, String)> = Vec::new();
    if spec.gateway.is_some() {
        owners.push((gateway_volume(), "gateway".to_owned()));
    }
    let services = spec
        .servers
        .iter()
        .map(|s| (&s.name, &s.writable_paths))
        .chain(spec.backends.iter().map(|b| (&b.name, &b.writable_paths)));
    for (i, (name, paths)) in services.enumerate() {
        for (j, path) in paths.iter().enumerate() {
            let field = idx(&at(&service_field(spec, i), "writable_paths"), j);
            let volume = volume_name(name, path);
            if let Some((_, first)) = owners.iter().find(|(name, _)| *name == volume) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "would share the compose volume `{volume}` with {first}: rename the path (volume names replace `/._@+` with `-`)"
                    ),
                ));
            }
            owners.push((volume, field));
        }
    }
    Ok(())
}

fn backend_service(prefix: &str, backend: &BackendService) -> Result<()> {
    dns_label(&at(prefix, "name"), &backend.name)?;
    image_ref(&at(prefix, "image"), &backend.image)?;
    port(&at(prefix, "port"), backend.port)?;
    if let Some(first) = backend.command.first() {
        let field = at(prefix, "command");
        program(&idx(&field, 0), first)?;
        arguments(&field, &backend.command)?;
    }
    // The generator sets nothing in a backend's image: every name is the backend's own.
    env_vars(&at(prefix, "env"), &backend.env, &[])?;
    writable_paths(&at(prefix, "writable_paths"), &backend.writable_paths)?;
    if let Some(check) = &backend.healthcheck {
        let field = at(prefix, "healthcheck");
        if !matches!(check.probe, Probe::Command { .. }) {
            return Err(Error::invalid(
                at(&field, "probe"),
                "must be `command` for a backend: the generator did not build its image and does not know which program could probe it",
            ));
        }
        healthcheck(&field, check)?;
    }
    resources(&at(prefix, "resources"), &backend.resources)?;
    match &backend.user {
        Some(user) => run_as(&at(prefix, "user"), user),
        None => Ok(()),
    }
}

fn gateway_service(prefix: &str, gateway: &GatewayService) -> Result<()> {
    image_ref(&at(prefix, "image"), &gateway.image)?;
    port(&at(prefix, "port"), gateway.port)?;
    if let Some(address) = &gateway.publish_address
        && address.parse::<IpAddr>().is_err()
    {
        {
            return Err(Error::invalid(
                at(prefix, "publish_address"),
                format!(
                    "must be an IP address such as 127.0.0.1, not `{}`",
                    printable(address)
                ),
            ));
        }
    }
    env_vars(&at(prefix, "env"), &gateway.env, RESERVED_ENV)?;
    for (i, var) in gateway.env.iter().enumerate() {
        if is_gateway_owned_env(&var.name) {
            return Err(Error::invalid(
                at(prefix, &format!("env[{i}].name")),
                format!(
                    "`{}` is set by the generator for the gateway service",
                    var.name
                ),
            ));
        }
    }
    resources(&at(prefix, "resources"), &gateway.resources)?;
    match &gateway.user {
        Some(user) => run_as(&at(prefix, "user"), user),
        None => Ok(()),
    }
}

/// Returns whether the runtime is Python.
fn runtime(spec: &ServerSpec, prefix: &str) -> Result<bool> {
    match &spec.runtime {
        Runtime::Python {
            version,
            interpreter,
        } => {
            version_number(&at(prefix, "runtime.version"), version)?;
            program(&at(prefix, "runtime.interpreter"), interpreter)?;
            Ok(true)
        }
        Runtime::Node { version } => {
            version_number(&at(prefix, "runtime.version"), version)?;
            Ok(false)
        }
    }
}

fn entrypoint(spec: &ServerSpec, prefix: &str, is_python: bool) -> Result<()> {
    match &spec.entrypoint {
        Entrypoint::Script { path, args } => {
            rel_path(&at(prefix, "entrypoint.path"), path)?;
            arguments(&at(prefix, "entrypoint.args"), args)
        }
        Entrypoint::Module { module, args } => {
            if !is_python {
                return Err(Error::invalid(
                    at(prefix, "entrypoint.module"),
                    "is a Python module, but the runtime is node: use a script or a command",
                ));
            }
            python_module(&at(prefix, "entrypoint.module"), module)?;
            arguments(&at(prefix, "entrypoint.args"), args)
        }
        Entrypoint::Command { argv } => {
            let field = at(prefix, "entrypoint.argv");
            let Some(first) = argv.first() else {
                return Err(Error::invalid(field, "must name a program"));
            };
            program(&idx(&field, 0), first)?;
            arguments(&field, argv)
        }
    }
}

fn transport(spec: &ServerSpec, prefix: &str, is_python: bool) -> Result<()> {
    let field = at(prefix, "transport");
    match &spec.transport {
        ServerTransport::StreamableHttp { path } | ServerTransport::Sse { path } => {
            url_path(&at(&field, "path"), path)
        }
        ServerTransport::Stdio { bridge } => {
            let field = at(&field, "bridge");
            match bridge {
                Bridge::McpProxy {
                    requirement,
                    lock,
                    interpreter,
                } => {
                    if let Some(requirement) = requirement {
                        pinned_requirement(&at(&field, "requirement"), requirement)?;
                    }
                    if let Some(lock) = lock {
                        rel_path(&at(&field, "lock"), lock)?;
                    }
                    if let Some(interpreter) = interpreter {
                        program(&at(&field, "interpreter"), interpreter)?;
                    }
                    let hashed = matches!(
                        spec.dependencies,
                        Dependencies::Requirements {
                            require_hashes: true,
                            ..
                        }
                    );
                    match (requirement, lock) {
                        (_, Some(_)) => Ok(()),
                        // Nothing would install mcp-proxy: the image could not start.
                        (None, None) if !is_python => Err(Error::invalid(
                            at(&field, "requirement"),
                            "is unset, so mcp-proxy would have to come from the dependency manifest, but the runtime is node: pin it here or give a `lock`",
                        )),
                        (None, None) if spec.dependencies == Dependencies::None => {
                            Err(Error::invalid(
                                at(&field, "requirement"),
                                "is unset, so mcp-proxy must come from the dependency manifest, but dependencies is none: pin it here, give a `lock`, or list it in a requirements file or pyproject.toml",
                            ))
                        }
                        // From the server's own (possibly hashed) manifest.
                        (None, None) => Ok(()),
                        (Some(_), None) if hashed => Err(Error::invalid(
                            at(&field, "lock"),
                            "is unset, but dependencies.require_hashes is true: the bridge and every package it pulls in would be installed without a hash check; give a hashed requirements file for the bridge (e.g. `pip-compile --generate-hashes`)",
                        )),
                        (Some(_), None) => Ok(()),
                    }
                }
                Bridge::FastmcpLauncher { server_object } => {
                    if !is_python {
                        return Err(Error::invalid(
                            field,
                            "is fastmcp_launcher, which runs Python FastMCP scripts; for a node server use mcp_proxy",
                        ));
                    }
                    if matches!(spec.entrypoint, Entrypoint::Command { .. }) {
                        return Err(Error::invalid(
                            at(prefix, "entrypoint"),
                            "is a command, but fastmcp_launcher imports a script or module: give its path or module name",
                        ));
                    }
                    if spec.dependencies == Dependencies::None {
                        return Err(Error::invalid(
                            at(prefix, "dependencies"),
                            "is none, but fastmcp_launcher needs the server's `fastmcp` or `mcp` package: list it in a requirements file or pyproject.toml",
                        ));
                    }
                    if let Some(object) = server_object {
                        python_identifier(&at(&field, "server_object"), object)?;
                    }
                    Ok(())
                }
            }
        }
    }
}

fn dependencies(spec: &ServerSpec, prefix: &str, is_python: bool) -> Result<()> {
    let field = at(prefix, "dependencies");
    let wrong_runtime = |kind: &str| {
        Error::invalid(
            field.clone(),
            format!(
                "is {kind}, which does not match the {} runtime",
                if is_python { "python" } else { "node" }
            ),
        )
    };
    match &spec.dependencies {
        Dependencies::None => Ok(()),
        Dependencies::Requirements { path, .. } => {
            if !is_python {
                return Err(wrong_runtime("requirements"));
            }
            rel_path(&at(&field, "path"), path)
        }
        Dependencies::Pyproject { path } => {
            if !is_python {
                return Err(wrong_runtime("pyproject"));
            }
            rel_path(&at(&field, "path"), path)?;
            if let Runtime::Python { version, .. } = &spec.runtime
                && python_before_3_11(version)
            {
                return Err(Error::invalid(
                    field,
                    format!(
                        "is pyproject, which is read with tomllib (Python 3.11+), but runtime.version is {version}: use a requirements file or a newer Python"
                    ),
                ));
            }
            if file_name(path) != "pyproject.toml" {
                return Err(Error::invalid(
                    at(&field, "path"),
                    "must name a file called pyproject.toml",
                ));
            }
            Ok(())
        }
        Dependencies::Npm { manifest, lockfile } => {
            if is_python {
                return Err(wrong_runtime("npm"));
            }
            rel_path(&at(&field, "manifest"), manifest)?;
            rel_path(&at(&field, "lockfile"), lockfile)?;
            if file_name(manifest) != "package.json" {
                return Err(Error::invalid(
                    at(&field, "manifest"),
                    "must name a file called package.json",
                ));
            }
            if !matches!(
                file_name(lockfile),
                "package-lock.json" | "npm-shrinkwrap.json"
            ) {
                return Err(Error::invalid(
                    at(&field, "lockfile"),
                    "must name package-lock.json or npm-shrinkwrap.json (npm ci needs a lockfile)",
                ));
            }
            Ok(())
        }
    }
}

fn sources(spec: &ServerSpec, prefix: &str) -> Result<()> {
    let field = at(prefix, "sources");
    let mut seen = BTreeSet::new();
    for (i, source) in spec.sources.iter().enumerate() {
        rel_path(&idx(&field, i), source)?;
        if !seen.insert(source.as_str()) {
            return Err(Error::invalid(
                idx(&field, i),
                format!("lists `{source}` twice"),
            ));
        }
    }
    match &spec.entrypoint {
        Entrypoint::Script { path, .. } => {
            let covered = spec.sources.is_empty()
                || spec
                    .sources
                    .iter()
                    .any(|source| path == source || path.starts_with(&format!("{source}/")));
            if !covered {
                return Err(Error::invalid(
                    field,
                    format!("does not include the entrypoint script `{path}`"),
                ));
            }
            Ok(())
        }
        // A module or program installed by the dependencies (ContextForge's
        // `mcpgateway`) needs no sources; one from nowhere cannot run.
        Entrypoint::Module { .. } | Entrypoint::Command { .. }
            if spec.sources.is_empty() && spec.dependencies == Dependencies::None =>
        {
            Err(Error::invalid(
                field,
                "is empty, but the entrypoint is a module or command and dependencies is none: list the files and directories to copy",
            ))
        }
        _ => Ok(()),
    }
}

/// Names, uniqueness and values of `vars`; a name in `reserved` is the generator's.
fn env_vars(field: &str, vars: &[EnvVar], reserved: &[&str]) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, var) in vars.iter().enumerate() {
        let item = idx(field, i);
        env_name(&at(&item, "name"), &var.name)?;
        if reserved.contains(&var.name.as_str()) {
            return Err(Error::invalid(
                at(&item, "name"),
                format!("`{}` is set by the generator", var.name),
            ));
        }
        if let Some(first) = seen.iter().position(|name| *name == var.name) {
            return Err(Error::invalid(
                at(&item, "name"),
                format!("duplicates {field}[{first}].name (`{}`)", var.name),
            ));
        }
        seen.push(&var.name);
        match (&var.default, var.secret) {
            (Some(_), true) => {
                // Do not echo the value: it may be the secret itself.
                return Err(Error::invalid(
                    at(&item, "default"),
                    "is set on a secret variable: secrets are supplied at run time, never written into generated files",
                ));
            }
            (Some(value), false) => {
                if let Some(shape) = mcpfleet_scope_audit::credential_shape(value) {
                    // Named by its shape only: the value must not reach a log either.
                    return Err(Error::invalid(
                        at(&item, "default"),
                        format!(
                            "looks like {shape} (not shown): a default is baked into the image as `ENV`, where \
                             anyone with the image reads it; mark `{}` `secret: true` and supply it at run time",
                            var.name
                        ),
                    ));
                }
                quoted_value(&at(&item, "default"), value)?;
            }
            (None, _) => {}
        }
    }
    Ok(())
}

fn port(field: &str, port: u16) -> Result<()> {
    if port == 0 {
        return Err(Error::invalid(field, "must be between 1 and 65535"));
    }
    Ok(())
}

fn healthcheck(field: &str, check: &Healthcheck) -> Result<()> {
    for (name, value) in [
        ("interval_secs", check.interval_secs),
        ("timeout_secs", check.timeout_secs),
        ("retries", check.retries),
    ] {
        if value == 0 {
            return Err(Error::invalid(at(field, name), "must be at least 1"));
        }
    }
    match &check.probe {
        Probe::Http { path } => url_path(&at(field, "probe.path"), path),
        Probe::Command { argv } => {
            let field = at(field, "probe.argv");
            let Some(first) = argv.first() else {
                return Err(Error::invalid(field, "must name a program"));
            };
            program(&idx(&field, 0), first)?;
            arguments(&field, argv)
        }
        Probe::Mcp | Probe::Tcp => Ok(()),
    }
}

fn run_as(field: &str, user: &RunAs) -> Result<()> {
    if user.uid == 0 {
        return Err(Error::invalid(at(field, "uid"), "must not be 0 (root)"));
    }
    if user.gid == 0 {
        return Err(Error::invalid(
            at(field, "gid"),
            "must not be 0 (root's group)",
        ));
    }
    let name = &user.name;
    let valid = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(Error::invalid(
            at(field, "name"),
            format!(
                "must be a user name (lower-case letters, digits, `_` and `-`, at most 32), not `{}`",
                printable(name)
            ),
        ));
    }
    Ok(())
}

fn labels(field: &str, labels: &Labels) -> Result<()> {
    for (name, value) in [
        ("title", &labels.title),
        ("description", &labels.description),
        ("version", &labels.version),
        ("source", &labels.source),
        ("revision", &labels.revision),
        ("licenses", &labels.licenses),
        ("vendor", &labels.vendor),
    ] {
        if let Some(value) = value {
            quoted_value(&at(field, name), value)?;
        }
    }
    if let Some(version) = &labels.version {
        // Also the compose image tag.
        image_tag(&at(field, "version"), version)?;
    }
    for (i, tool) in labels.tools.iter().enumerate() {
        let valid = !tool.is_empty()
            && tool
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(Error::invalid(
                idx(&at(field, "tools"), i),
                format!(
                    "must be a tool name (letters, digits, `_-.`), not `{}`",
                    printable(tool)
                ),
            ));
        }
    }
    for (key, value) in &labels.extra {
        let item = format!("{}[{}]", at(field, "extra"), printable(key));
        let valid = !key.is_empty()
            && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && key.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
        if !valid {
            return Err(Error::invalid(
                item,
                "must be a reverse-DNS label key (lower-case letters, digits, `.` and `-`)",
            ));
        }
        if GENERATED_LABEL_PREFIXES
            .iter()
            .any(|prefix| key.starts_with(prefix))
        {
            return Err(Error::invalid(
                item,
                "uses a key prefix the generator owns; set the matching `labels` field instead",
            ));
        }
        quoted_value(&item, value)?;
    }
    Ok(())
}

fn image_ref(field: &str, image: &ImageRef) -> Result<()> {
    image_name(&at(field, "name"), &image.name)?;
    image_tag(&at(field, "tag"), &image.tag)?;
    if image.tag == "latest" {
        return Err(Error::invalid(
            at(field, "tag"),
            "is `latest`, which moves under you (hadolint DL3007): pin a version tag",
        ));
    }
    if let Some(digest) = &image.digest {
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64
            || !hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            return Err(Error::invalid(
                at(field, "digest"),
                "must be `sha256:` followed by 64 lower-case hex digits",
            ));
        }
    }
    Ok(())
}

fn image_name(field: &str, name: &str) -> Result<()> {
    // registry[:port]/path/components, lower case; `:` only in the registry part.
    let mut components = name.split('/').enumerate().peekable();
    let has_registry = name.contains('/');
    let ok = !name.is_empty()
        && name.len() <= 255
        && components.all(|(i, component)| {
            let allow_colon = i == 0 && has_registry;
            !component.is_empty()
                && component.starts_with(|c: char| c.is_ascii_alphanumeric())
                && component.ends_with(|c: char| c.is_ascii_alphanumeric())
                && component.chars().all(|c| {
                    c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || matches!(c, '.' | '_' | '-')
                        || (allow_colon && c == ':')
                })
        });
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be an image repository such as `python` or `registry.local:5000/base/debian` (lower case), not `{}`",
                printable(name)
            ),
        ));
    }
    Ok(())
}

fn image_tag(field: &str, tag: &str) -> Result<()> {
    let ok = (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be an image tag (letters, digits, `_.-`, at most 128), not `{}`",
                printable(tag)
            ),
        ));
    }
    Ok(())
}

fn apt_packages(field: &str, packages: &[AptPackage]) -> Result<()> {
    for (i, package) in packages.iter().enumerate() {
        let item = idx(field, i);
        let name_ok = package.name.len() >= 2
            && package
                .name
                .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && package.name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '-')
            });
        if !name_ok {
            return Err(Error::invalid(
                at(&item, "name"),
                format!(
                    "must be a Debian package name, not `{}`",
                    printable(&package.name)
                ),
            ));
        }
        package_version(&at(&item, "version"), &package.version)?;
    }
    Ok(())
}

fn writable_paths(field: &str, paths: &[String]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (i, path) in paths.iter().enumerate() {
        let item = idx(field, i);
        abs_path(&item, path)?;
        if path == TMPFS_DIR {
            return Err(Error::invalid(
                item,
                format!("is {TMPFS_DIR}, which is already writable (a tmpfs)"),
            ));
        }
        if RESERVED_DIRS
            .iter()
            .any(|dir| path == dir || path.starts_with(&format!("{dir}/")))
        {
            return Err(Error::invalid(
                item,
                format!("`{path}` is a directory the generator owns"),
            ));
        }
        if !seen.insert(path.as_str()) {
            return Err(Error::invalid(item, format!("lists `{path}` twice")));
        }
    }
    Ok(())
}

fn resources(field: &str, resources: &Resources) -> Result<()> {
    if let Some(cpus) = resources.cpus
        && !(cpus.is_finite() && cpus > 0.0 && cpus <= 1024.0)
    {
        {
            return Err(Error::invalid(
                at(field, "cpus"),
                "must be a number of cores above 0 (e.g. 0.5)",
            ));
        }
    }
    if let Some(memory) = &resources.memory {
        let digits = memory.trim_end_matches(['b', 'k', 'm', 'g', 'B', 'K', 'M', 'G']);
        let suffix_len = memory.len() - digits.len();
        let ok = suffix_len <= 1
            && (1..=12).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(Error::invalid(
                at(field, "memory"),
                format!(
                    "must be a size such as `256M` or `1G`, not `{}`",
                    printable(memory)
                ),
            ));
        }
    }
    Ok(())
}

// ---- character-level rules ------------------------------------------------

/// Shows a rejected value safely inside an error message (control characters
/// escaped, long values cut).
pub(crate) fn printable(value: &str) -> String {
    let escaped: String = value.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > 60 {
        let cut: String = escaped.chars().take(60).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

fn no_control(field: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        let what = match c {
            '\n' | '\r' => "a line break, which would start a new Dockerfile instruction",
            '\0' => "a NUL byte",
            _ => "a control character",
        };
        return Err(Error::invalid(
            field,
            format!("contains {what} ({})", c.escape_debug()),
        ));
    }
    Ok(())
}

fn dns_label(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    let ok = (1..=63).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be a DNS label (lower-case letters, digits and `-`, 1 to 63 characters, no leading or trailing `-`), not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

fn path_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+')
}

/// A path inside the build context: relative, no `..`, no globs or shell
/// syntax, no empty segments.
fn rel_path(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.starts_with('/') {
        return Err(Error::invalid(
            field,
            format!(
                "must be relative to the build context, not absolute (`{}`)",
                printable(value)
            ),
        ));
    }
    segments(field, value)
}

fn abs_path(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    let Some(rest) = value.strip_prefix('/') else {
        return Err(Error::invalid(
            field,
            format!("must be an absolute path, not `{}`", printable(value)),
        ));
    };
    if rest.is_empty() {
        return Err(Error::invalid(field, "must not be `/`"));
    }
    segments(field, rest)
}

fn segments(field: &str, value: &str) -> Result<()> {
    for segment in value.split('/') {
        match segment {
            "" => {
                return Err(Error::invalid(
                    field,
                    format!(
                        "has an empty path segment (`//` or a trailing `/`) in `{}`",
                        printable(value)
                    ),
                ));
            }
            ".." => {
                return Err(Error::invalid(
                    field,
                    format!("contains `..` (path traversal) in `{}`", printable(value)),
                ));
            }
            "." => {
                return Err(Error::invalid(
                    field,
                    format!("contains a `.` segment in `{}`", printable(value)),
                ));
            }
            _ => {}
        }
        if segment.starts_with('-') {
            return Err(Error::invalid(
                field,
                format!("has a segment starting with `-` in `{}`", printable(value)),
            ));
        }
        if let Some(c) = segment.chars().find(|c| !path_segment_char(*c)) {
            return Err(Error::invalid(
                field,
                format!(
                    "contains `{}`; paths may only use letters, digits and `._-@+/`",
                    c.escape_debug()
                ),
            ));
        }
    }
    Ok(())
}

fn url_path(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    let ok = value.starts_with('/')
        && value.len() <= 200
        && !value.contains("//")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~'));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be an absolute URL path using letters, digits and `/._-~`, not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

fn env_name(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    let ok = !value.is_empty()
        && value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be a variable name (`[A-Za-z_][A-Za-z0-9_]*`), not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

/// A value written inside double quotes in `ENV` / `LABEL` lines, where
/// Docker would end the quote at `"`, treat `\` as an escape and expand `$`.
fn quoted_value(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    if value.len() > 1024 {
        return Err(Error::invalid(field, "is longer than 1024 characters"));
    }
    for (c, why) in [
        ('"', "an unbalanced `\"` would end the quoted value early"),
        ('\\', "Docker treats `\\` as an escape character"),
        ('$', "Docker and compose would expand `$` as a variable"),
    ] {
        if value.contains(c) {
            return Err(Error::invalid(field, format!("contains `{c}`: {why}")));
        }
    }
    Ok(())
}

/// Arguments of an exec-form command: no shell and no bridge ever splits
/// them again, so any text goes but control characters.
fn arguments(field: &str, args: &[String]) -> Result<()> {
    for (i, arg) in args.iter().enumerate() {
        let item = idx(field, i);
        no_control(&item, arg)?;
        // A random-looking argument may be an id; a known credential shape never belongs in a `CMD`.
        if let Some(shape) = mcpfleet_scope_audit::credential_shape(arg)
            .filter(|shape| *shape != mcpfleet_scope_audit::CredentialShape::HighEntropy)
        {
            return Err(Error::invalid(
                item,
                format!(
                    "looks like {shape} (not shown): arguments are written into the image's `CMD`; pass the secret \
                     as a `secret: true` environment variable instead"
                ),
            ));
        }
        if arg.len() > 4096 {
            return Err(Error::invalid(item, "is longer than 4096 characters"));
        }
    }
    Ok(())
}

/// A program name or path (the interpreter, `argv[0]`).
fn program(field: &str, value: &str) -> Result<()> {
    no_control(field, value)?;
    let ok = !value.is_empty()
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
        && !value.split('/').any(|s| s == "..");
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be a program name or path (letters, digits, `._-+/`, no `..`), not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

fn python_identifier(field: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(Error::invalid(
            field,
            format!("must be a Python identifier, not `{}`", printable(value)),
        ));
    }
    Ok(())
}

fn python_module(field: &str, value: &str) -> Result<()> {
    for part in value.split('.') {
        python_identifier(field, part).map_err(|_| {
            Error::invalid(
                field,
                format!(
                    "must be a dotted Python module name, not `{}`",
                    printable(value)
                ),
            )
        })?;
    }
    Ok(())
}

fn version_number(field: &str, value: &str) -> Result<()> {
    let parts: Vec<&str> = value.split('.').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be a version such as `3.12` or `22`, not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

/// A package version (apt, npm): starts alphanumeric, then `[A-Za-z0-9.+:~_-]`.
fn package_version(field: &str, value: &str) -> Result<()> {
    let ok = (1..=100).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | ':' | '~' | '-' | '_'));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "must be an exact version (letters, digits, `.+:~-_`), not `{}`",
                printable(value)
            ),
        ));
    }
    Ok(())
}

/// `name==version` or `name[extra,…]==version`.
fn pinned_requirement(field: &str, value: &str) -> Result<()> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "must be a pinned pip requirement `name==version` (hadolint DL3013), not `{}`",
                printable(value)
            ),
        )
    };
    let (name, version) = value.split_once("==").ok_or_else(bad)?;
    let (base, extras) = match name.split_once('[') {
        Some((base, rest)) => (base, Some(rest.strip_suffix(']').ok_or_else(bad)?)),
        None => (name, None),
    };
    let word = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let version_ok = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '-'));
    if !word(base) || !version_ok || !extras.is_none_or(|e| e.split(',').all(word)) {
        return Err(bad());
    }
    Ok(())
}

/// `3.x` with `x < 11` (already validated as a version number).
fn python_before_3_11(version: &str) -> bool {
    let mut parts = version.split('.').map(str::parse::<u32>);
    matches!((parts.next(), parts.next()), (Some(Ok(3)), Some(Ok(minor))) if minor < 11)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
