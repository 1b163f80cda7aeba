//! `cargo fuzz run spec`: the dockerfile-gen spec loader, and every generator a valid spec reaches.
#![cfg_attr(fuzzing, no_main)]
mcpfleet_fuzz::fuzz_target!(mcpfleet_fuzz::spec);
