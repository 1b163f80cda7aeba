//! Test harness: a **real** ContextForge gateway and **real** script-based MCP servers, for tests and examples.
//!
//! - [`Gateway`] installs `mcp-contextforge-gateway` ([`GATEWAY_VERSION`]) into a cached virtualenv (Python 3.12 or
//!   3.13, found on `PATH` or in pyenv; `MCPFLEET_PYTHON` overrides), starts it on a free loopback port with
//!   SQLite in a fresh run directory and generated secrets, waits for `/health`, and mints an admin JWT with the
//!   gateway's own CLI. [`Gateway::shared`] starts one per test process, shared by every test in it.
//! - [`Fixtures`] / [`FixtureServer`] start the fixture MCP servers from `tests/fixtures/` (official `mcp` SDK,
//!   FastMCP, pinned in `requirements.txt`, installed into a venv of their own): `utils` over stdio bridged by
//!   `mcp-proxy`, `notes` over streamable HTTP, `textkit` over SSE.
//! - Every process runs under a small supervisor in its own process group, watching a pipe from the test process:
//!   when the test process ends in any way (success, panic, Ctrl-C, SIGKILL) the whole group is stopped, so no
//!   gateway, bridge or fixture is left behind.
//! - [`with_cleanup`] deletes what a test registered even when its assertions fail.
//! - When a test panics, the tail of the shared gateway's log is printed after the panic message.
//!
//! State lives in `target/harness/` (or `$MCPFLEET_HARNESS_DIR`): `venvs/` is reused across runs, `runs/` keeps the
//! logs and databases of the last few runs.
//!
//! - [`env_or`], [`percentile`] and [`millis`] are what the benchmarks share; [`registrations_named`] reads a
//!   fleet's registrations back.
//! - [`HostileGateway`] answers as a gateway should not ([`Hostility`]: redirects to another loopback origin,
//!   duplicate ids, endless cursors, escape codes, huge and slow bodies, silence) and records what reached it, for
//!   what the real gateway cannot be made to do on demand.
//! - [`RequestCounter`] counts the HTTP requests `mcpfleet-gateway-client` sends, by method, from its tracing spans.
//!
//! Dependencies: `reqwest` + `serde_json` for the few HTTP calls the harness makes itself (users, logins, tokens);
//! `tracing` + `tracing-subscriber` for [`RequestCounter`];
//! `base64` to encode generated secrets; `futures-util` to catch a failing test's panic for [`with_cleanup`]; `thiserror` for [`HarnessError`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mcpfleet_harness::{Fixtures, Gateway};
//! let gateway = Gateway::shared();
//! let fixtures = Fixtures::shared();
//! let body = serde_json::json!({"name": "utils", "url": fixtures.utils.url, "transport": fixtures.utils.transport});
//! let created = gateway
//!     .request_ok(reqwest::Method::POST, "/v1/gateways", Some(gateway.admin_token()), Some(&body), &[200])
//!     .await?;
//! # Ok(()) }
//! ```

mod cleanup;
mod compose;
mod docker;
mod error;
mod fixtures;
mod gateway;
mod hostile;
mod images;
mod index;
mod listing;
mod measure;
mod paths;
mod process;
mod python;
mod requests;
mod seed;

pub use cleanup::with_cleanup;
pub use compose::ComposeProject;
pub use docker::{
    BaseImage, Docker, HARDENED_RUN, RUN_LABEL, Wheelhouse, base_image, build_tools_base_image,
    clean_finished_runs, contextforge_wheels, docker_required, fixture_wheels, link_wheels,
    mcp_proxy_wheels, pip_wheel, wheelhouse,
};
pub use error::{HarnessError, Result};
pub use fixtures::{
    FixtureKind, FixtureLease, FixtureServer, Fixtures, ScriptServer, prepare_fixtures_venv,
};
pub use gateway::{
    ADMIN_EMAIL, ApiToken, GATEWAY_VERSION, Gateway, GatewayOptions, GatewayTls, JwtOptions,
    RawResponse, admin_jwt_signed_with, fresh_gateway_secrets, prepare_gateway_venv,
};
pub use hostile::{HostileGateway, Hostility, RecordedRequest, TERMINAL_ESCAPES};
pub use images::{BuildHow, BuiltImage, FleetImages, fleet_images, fleet_images_named};
pub use index::{PackageIndex, prepare_index_venv};
pub use listing::{client, registrations_named};
pub use measure::{env_or, millis, percentile};
pub use paths::{example_binary, fixtures_dir, harness_dir, record_figure, workspace_root};
pub use process::free_port;
pub use python::{Python, Venv};
pub use requests::RequestCounter;
pub use seed::{
    SeedCall, SeedFleet, SeedProcess, SeedProcesses, prepare_seed_process_venv,
    seed_concurrency_call, seed_dir, seed_fleet, seed_manifest, seed_smoke_calls, seed_wheels,
    start_seed_process,
};
