//! Live tests against a real ContextForge gateway and real Python MCP fixture servers.
//!
//! Everything that needs the gateway lives in this one test binary, so that one gateway process (started by
//! [`mcpfleet_harness::Gateway::shared`]) serves the whole run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_configs;
mod containers;
mod faults;
mod federation;
mod gateway_client;
mod harness_selftest;
mod registry;
mod scope_audit;
mod swarm;
mod tls;
