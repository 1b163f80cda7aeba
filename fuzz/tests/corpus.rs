//! Replays every committed fuzz input (`fuzz/corpus/<target>/`) through its target's checks: what `cargo fuzz`
//! found and kept runs in every `cargo test`, without libFuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn every_committed_input_passes_its_targets_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, check) in mcpfleet_fuzz::TARGETS {
        let dir = corpus.join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(
            inputs.len() >= 3,
            "{target}: only {} inputs in {}",
            inputs.len(),
            dir.display()
        );
        for input in &inputs {
            let data = std::fs::read(input).unwrap();
            // A panic names the input, so a failure here is reproducible with the target's binary.
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "{target} fails on {}", input.display());
        }
        eprintln!("{target}: {} inputs replayed", inputs.len());
    }
}
