//! `cargo fuzz run manifest`: the fleet manifest loader (YAML, TOML, JSON), and writing back what it loads.
#![cfg_attr(fuzzing, no_main)]
mcpfleet_fuzz::fuzz_target!(mcpfleet_fuzz::manifest);
