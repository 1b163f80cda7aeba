//! `cargo fuzz run jwt_claims`: the JWT claim decoder.
#![cfg_attr(fuzzing, no_main)]
mcpfleet_fuzz::fuzz_target!(mcpfleet_fuzz::jwt_claims);
