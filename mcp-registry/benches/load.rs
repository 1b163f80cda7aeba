//! Benchmark: how loading a manifest scales with its size, and what hostile text costs before it is refused.
//!
//! Run with `cargo bench -p mcpfleet-registry --bench load`. Measures, in one run:
//!
//! - **scaling**: a 64 KiB and a 4 MiB YAML manifest (the same servers, 64 times as many), each loaded and checked
//!   in full; the time ratio against the size ratio (64) shows the loader is linear, and the peak heap each load
//!   takes is compared with the file's size;
//! - **baseline**: the same texts parsed by `yaml_serde` into a JSON value (what the loader used before issue 25,
//!   without budgets, duplicate-key refusal or checking), so the cost of the limits is visible;
//! - **hostile**: a 1 KiB and a 100 KiB alias bomb, 100,000-deep flow nesting, and a misspelt key at the end of a
//!   4 MiB manifest (the position index's worst case), each with its time to refusal and peak heap.
//!
//! Three rounds of both sizes and both readers; the median round is reported. Prints a table; exits non-zero when
//! a target is missed (4 MiB ≤ 80× the 64 KiB time; peak heap ≤ 10× the file; every hostile input refused within
//! 2 s and 10× its size plus 1 MiB of heap).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use mcpfleet_registry::{Format, Manifest};
use peak_alloc::PeakAlloc;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

/// A manifest of servers (about 200 bytes each) filling `bytes`, then `tail`.
fn manifest(bytes: usize, tail: &str) -> String {
    let mut text = String::from("fleet: demo\ngateway: {url: \"http://gw:4444\"}\nservers:\n");
    let mut i = 0;
    while text.len() + tail.len() < bytes {
        text.push_str(&format!(
            "  - name: s{i}\n    url: http://s{i}:8000/mcp\n    transport: streamable-http\n    \
             expected_tools: [add, sub]\n    tags: [team-a]\n    auth: {{type: headers, headers: [{{name: X-Team, value_env: TEAM_{i}}}]}}\n"
        ));
        i += 1;
    }
    text.push_str(tail);
    text
}

/// Median time and largest peak heap (bytes above what was live before) of `runs` calls of `work`.
fn measure<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let before = PEAK.current_usage();
        PEAK.reset_peak_usage();
        let started = Instant::now();
        let out = work();
        times.push(started.elapsed());
        peak = peak.max(PEAK.peak_usage().saturating_sub(before));
        drop(out);
    }
    times.sort();
    (times[runs / 2], peak)
}

fn load(text: &str) -> Result<Manifest, mcpfleet_registry::Error> {
    Manifest::from_str_with_env(text, Format::Yaml, "bench.yaml", |_| None)
}

fn baseline(text: &str) -> serde_json::Value {
    yaml_serde::from_str(text).unwrap()
}

fn bomb(levels: usize, width: usize) -> String {
    let mut text = String::from(
        "    smoke:\n      - tool: t\n        arguments:\n          a0: &a0 \"lol\"\n",
    );
    for level in 1..levels {
        let aliases = vec![format!("*a{}", level - 1); width].join(", ");
        text.push_str(&format!("          a{level}: &a{level} [{aliases}]\n"));
    }
    text
}

fn main() {
    let mut missed = Vec::new();
    let small = manifest(64 * 1024, "");
    let large = manifest(4 * 1024 * 1024, "");
    load(&small)
        .map_err(|e| e.to_string().chars().take(400).collect::<String>())
        .unwrap();
    load(&large)
        .map_err(|e| e.to_string().chars().take(400).collect::<String>())
        .unwrap();

    // Three rounds, each measuring both sizes, for both readers: the ratio reported is the median round's, which
    // moves less between runs than the times do.
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let small_load = measure(15, || load(&small).unwrap());
        let large_load = measure(5, || load(&large).unwrap());
        let small_base = measure(15, || baseline(&small));
        let large_base = measure(5, || baseline(&large));
        rounds.push((small_load, large_load, small_base, large_base));
    }
    let ratio_of = |small: Duration, large: Duration| large.as_secs_f64() / small.as_secs_f64();
    rounds.sort_by(|a, b| ratio_of(a.0.0, a.1.0).total_cmp(&ratio_of(b.0.0, b.1.0)));
    let ratios: Vec<String> = rounds
        .iter()
        .map(|round| format!("{:.1}×", ratio_of(round.0.0, round.1.0)))
        .collect();
    let mut base_ratios: Vec<f64> = rounds
        .iter()
        .map(|round| ratio_of(round.2.0, round.3.0))
        .collect();
    base_ratios.sort_by(f64::total_cmp);
    let (
        (small_time, small_peak),
        (large_time, large_peak),
        (small_base, small_base_peak),
        (large_base, large_base_peak),
    ) = rounds[1];
    let ratio = ratio_of(small_time, large_time);
    let size_ratio = large.len() as f64 / small.len() as f64;

    println!(
        "| input | bytes | load | peak heap | peak / bytes | `yaml_serde` baseline | baseline peak |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (what, text, time, peak, base, base_peak) in [
        (
            "manifest",
            &small,
            small_time,
            small_peak,
            small_base,
            small_base_peak,
        ),
        (
            "manifest",
            &large,
            large_time,
            large_peak,
            large_base,
            large_base_peak,
        ),
    ] {
        let per_byte = peak as f64 / text.len() as f64;
        println!(
            "| {what} | {} | {time:.2?} | {:.1} MiB | {per_byte:.1}× | {base:.2?} | {:.1} MiB |",
            text.len(),
            peak as f64 / 1048576.0,
            base_peak as f64 / 1048576.0
        );
        if per_byte > 10.0 {
            missed.push(format!(
                "{} bytes took {per_byte:.1}× their size in heap",
                text.len()
            ));
        }
    }
    println!(
        "\n4 MiB / 64 KiB: {ratio:.1}× the time for {size_ratio:.0}× the text (target ≤ 80×; rounds {}); \
         `yaml_serde` parsing alone, same rounds: {:.1}× (median)",
        ratios.join(", "),
        base_ratios[1]
    );
    if ratio > 80.0 {
        missed.push(format!("scaling {ratio:.1}× > 80×"));
    }

    let misspelt = manifest(
        4 * 1024 * 1024,
        "  - name: last\n    url: http://last:8000/mcp\n    transprot: sse\n",
    );
    let hostile = [
        ("1 KiB alias bomb", manifest(0, &bomb(10, 10))),
        ("100 KiB alias bomb", manifest(100 * 1024, &bomb(10, 10))),
        (
            "flow nesting 100,000 deep",
            format!("fleet: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        ("misspelt key after 4 MiB", misspelt),
    ];
    println!("\n| hostile input | bytes | refused after | peak heap |");
    println!("|---|---|---|---|");
    for (what, text) in &hostile {
        let (time, peak) = measure(5, || load(text).expect_err(what));
        println!(
            "| {what} | {} | {time:.2?} | {:.1} MiB |",
            text.len(),
            peak as f64 / 1048576.0
        );
        if time > Duration::from_secs(2) || peak > 10 * text.len() + (1 << 20) {
            missed.push(format!("{what}: {time:.2?}, {peak} bytes of heap"));
        }
    }
    if !missed.is_empty() {
        eprintln!("\ntargets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
}
