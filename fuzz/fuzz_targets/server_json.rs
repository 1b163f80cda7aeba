//! `cargo fuzz run server_json`: the MCP registry `server.json` import.
#![cfg_attr(fuzzing, no_main)]
mcpfleet_fuzz::fuzz_target!(mcpfleet_fuzz::server_json);
