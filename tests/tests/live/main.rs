//! Live tests against a real ContextForge gateway and real Python MCP fixture servers.
//!
//! Every library test that needs the gateway lives in this one test binary, so that one gateway process (started
//! by [`mcpfleet_harness::Gateway::shared`]) serves the whole run; the example's tests have a binary of their own.
//!
//! libtest runs tests in name order, two at a time on two cores. The tests that need the fixture fleet's Docker
//! images live under `with_docker`, which sorts last, and the first test in name order starts building those images
//! on a thread of its own: the other tests run while the images build, instead of waiting behind them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_harness::{Docker, docker_required, fleet_images, seed_fleet};

mod client_configs;
mod common;
mod faults;
mod federation;
mod gateway_client;
mod harness_selftest;
mod registry;
mod scope_audit;
mod tls;

/// The tests that run the fixture fleet in Docker (they share its images, built once per run).
mod with_docker {
    pub(crate) mod containers;
    mod seed_fleet;
    pub(crate) mod swarm;
}

/// Starts building the fixture fleet's images in the background (a filter that leaves this test out builds them
/// on first use instead). Under `CI=true` it fails at once when Docker is unusable.
#[test]
fn build_the_fleet_images_while_other_tests_run() {
    match Docker::shared() {
        Ok(docker) => {
            // The tests under `with_docker` wait for these builds (each builds once per process) and report their
            // failure: the fixture fleet first (the gateway image), then the seed-shaped fleet.
            std::thread::spawn(move || {
                fleet_images(docker)?;
                seed_fleet(docker).map(|_| ())
            });
        }
        Err(err) if docker_required() => panic!("CI=true and Docker is unusable: {err}"),
        Err(err) => eprintln!(
            "\n*** Docker is unusable here ({err}); the tests under with_docker will say they did not run. ***\n"
        ),
    }
}
