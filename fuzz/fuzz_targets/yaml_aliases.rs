//! `cargo fuzz run yaml_aliases`: YAML anchors, aliases and merge keys, generated as structured documents, in the
//! manifest and container spec loaders. An input is a program read by `arbitrary`, not YAML text; this binary
//! checks such files too, and `cargo test -p mcpfleet-fuzz --lib -- --ignored print_seeds --nocapture` shows the
//! documents the committed seeds build.
#![cfg_attr(fuzzing, no_main)]
mcpfleet_fuzz::fuzz_target!(mcpfleet_fuzz::yaml_aliases);
