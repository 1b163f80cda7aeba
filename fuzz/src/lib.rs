//! What every input to the loaders people feed files to must satisfy, checked by `cargo fuzz` (`fuzz_targets/`,
//! millions of generated inputs) and by the corpus replay in `tests/corpus.rs` (every committed input, in the
//! workspace's tests): no panic, no hang, and every error says where — the file it was given, and for specs the
//! field. Valid input goes on through everything it feeds (plans, renderers, writers), which must not fail.
//!
//! Run one target: `cargo fuzz run manifest fuzz/corpus/manifest` (needs `cargo install cargo-fuzz`; on a stable
//! toolchain with `RUSTC_BOOTSTRAP=1`). Without libFuzzer, each target's binary checks the files named on its
//! command line: `cargo run -p mcpfleet-fuzz --bin manifest -- crash-file`.

// A failed check panics: that is what libFuzzer and the corpus replay detect.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use base64::Engine as _;
use mcpfleet_dockerfile_gen::{
    BuildPlan, FleetPlan, FleetSpec, KubernetesSpec, Renderer, ServerSpec, SpecFormat, SwarmSpec,
};
use mcpfleet_registry::{Format, Manifest, import_server_json};
use mcpfleet_scope_audit::BearerToken;

mod yaml_aliases;
pub use yaml_aliases::{
    Anchor, Header, MAX_TREE_DEPTH, Mode, Op, SpecField, SpecOp, Word, size_bound, yaml_aliases,
};

/// What a target checks on one input; a failed check panics.
pub type Check = fn(&[u8]);

/// Every target, by name: the name of its binary and of its corpus directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("manifest", manifest),
    ("server_json", server_json),
    ("spec", spec),
    ("jwt_claims", jwt_claims),
    ("yaml_aliases", yaml_aliases),
];

/// A fuzz target's binary: libFuzzer's entry point under `cargo fuzz`, else a `main` that checks each file named
/// on the command line.
#[macro_export]
macro_rules! fuzz_target {
    ($check:path) => {
        #[cfg(fuzzing)]
        libfuzzer_sys::fuzz_target!(|data: &[u8]| $check(data));
        #[cfg(not(fuzzing))]
        fn main() {
            $crate::check_files($check);
        }
    };
}

/// Runs `check` on each file named on the command line, saying which one it is about to check.
pub fn check_files(check: Check) {
    for path in std::env::args_os().skip(1) {
        eprintln!("checking {}", path.to_string_lossy());
        match std::fs::read(&path) {
            Ok(data) => check(&data),
            Err(err) => eprintln!("cannot read {}: {err}", path.to_string_lossy()),
        }
    }
}

/// Splits an input into a selector byte (which format, which variant) and UTF-8 text; `None` for input no loader
/// is given (the loaders take `&str`: a file that is not UTF-8 fails earlier, at reading).
fn selector_and_text(data: &[u8]) -> Option<(u8, &str)> {
    let (&selector, rest) = data.split_first()?;
    Some((selector, std::str::from_utf8(rest).ok()?))
}

fn assert_names(error: &dyn std::fmt::Display, origin: &str) {
    let message = error.to_string();
    assert!(
        message.contains(origin),
        "an error that does not say where (`{origin}`): {message}"
    );
}

/// The fleet manifest loader: an error names the file; a manifest that loads writes back and reads again as the
/// same manifest (nothing lost).
pub fn manifest(data: &[u8]) {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let (format, origin) = match selector % 3 {
        0 => (Format::Yaml, "fuzz.yaml"),
        1 => (Format::Toml, "fuzz.toml"),
        _ => (Format::Json, "fuzz.json"),
    };
    match Manifest::from_str_with_env(text, format, origin, |_| None) {
        Err(err) => assert_names(&err, origin),
        Ok(manifest) => {
            for written_as in [Format::Yaml, Format::Toml, Format::Json] {
                let written = match manifest.to_string_as(written_as) {
                    Ok(written) => written,
                    // TOML has no null (a smoke argument may be one): refused, naming the value.
                    Err(err)
                        if written_as == Format::Toml && err.to_string().contains("is null") =>
                    {
                        continue;
                    }
                    Err(err) => panic!("a loaded manifest does not write as {written_as:?}: {err}"),
                };
                let again = Manifest::from_str_with_env(&written, written_as, "written", |_| None)
                    .unwrap_or_else(|e| {
                        panic!("what was written does not load again: {e}\n{written}")
                    });
                assert_eq!(
                    again, manifest,
                    "written as {written_as:?} and read again:\n{written}"
                );
            }
        }
    }
}

/// The `server.json` import: an error names the file; what imports is servers a manifest can hold.
pub fn server_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(err) = import_server_json(text, "server.json") {
        assert_names(&err, "server.json");
    }
}

fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| Renderer::new().expect("the built-in templates parse"))
}

/// The dockerfile-gen spec loader (a fleet or one server, YAML or JSON): a parse error names the file, line and
/// column, a refused spec names the field; a spec that plans renders — Dockerfiles, compose, stack, Kubernetes —
/// without error.
pub fn spec(data: &[u8]) {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let (format, origin) = if selector & 1 == 0 {
        (SpecFormat::Yaml, "fuzz.yaml")
    } else {
        (SpecFormat::Json, "fuzz.json")
    };
    if selector & 2 == 0 {
        let spec = match FleetSpec::from_text(text, format, origin) {
            Ok(spec) => spec,
            Err(err) => return assert_names(&err, origin),
        };
        let plan = match FleetPlan::from_spec(&spec) {
            Ok(plan) => plan,
            Err(err) => {
                return assert!(err.field().is_some(), "a refusal without its field: {err}");
            }
        };
        renderer()
            .render_fleet(&plan)
            .expect("a planned fleet renders");
        if let Ok(stack) = plan.stack(&SwarmSpec::default()) {
            renderer()
                .render_stack(&stack)
                .expect("a stack plan renders");
        }
        match plan.kubernetes(&KubernetesSpec::new("fuzz")) {
            Ok(kubernetes) => {
                renderer()
                    .render_kubernetes(&kubernetes)
                    .expect("a Kubernetes plan renders");
            }
            Err(err) => assert!(err.field().is_some(), "a refusal without its field: {err}"),
        }
    } else {
        let spec = match ServerSpec::from_text(text, format, origin) {
            Ok(spec) => spec,
            Err(err) => return assert_names(&err, origin),
        };
        match BuildPlan::from_spec(&spec) {
            Ok(plan) => {
                renderer().render(&plan).expect("a planned server renders");
            }
            Err(err) => assert!(err.field().is_some(), "a refusal without its field: {err}"),
        }
    }
}

/// The JWT claim decoder, on raw token text or (selector odd) on a token whose payload segment is the input: an
/// error says which part of the token is wrong.
pub fn jwt_claims(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = if selector & 1 == 1 {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rest)
        )
    } else {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return,
        }
    };
    if let Err(err) = BearerToken::new(text).claims_unverified() {
        let message = err.to_string();
        assert!(
            message.contains("JWT") || message.contains("token"),
            "an error that does not say which part of the token: {message}"
        );
    }
}
