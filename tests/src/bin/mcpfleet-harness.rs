//! `mcpfleet-harness`: prepare or run the test harness by hand.
//!
//! - `mcpfleet-harness setup` creates (or checks) the cached virtualenvs: the pinned gateway and the fixture
//!   servers' requirements. `.ci/run` calls it so the install is timed on its own line.
//! - `mcpfleet-harness docker-setup` makes the local base image (debootstrap), downloads the wheelhouses the
//!   container tests build from, and installs the package index and the seed fleet's host processes, so `.ci/run`
//!   times them on their own line.
//! - `mcpfleet-harness docker-clean` removes what finished test runs left in Docker and fails if anything labelled
//!   remains; `.ci/run` calls it after the tests.
//! - `mcpfleet-harness up` starts a gateway and the three fixture servers, prints their URLs and the path of a file
//!   holding the admin token, and keeps them running until Enter, end of input or Ctrl-C.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Instant;

use mcpfleet_harness::{
    Fixtures, Gateway, GatewayOptions, Python, base_image, clean_finished_runs,
    contextforge_wheels, fixture_wheels, prepare_fixtures_venv, prepare_gateway_venv,
    prepare_index_venv, prepare_seed_process_venv, seed_wheels,
};

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = match command.as_str() {
        "setup" => setup(),
        "docker-setup" => docker_setup(),
        "docker-clean" => docker_clean(),
        "up" => up(),
        _ => {
            eprintln!("usage: mcpfleet-harness setup|docker-setup|docker-clean|up");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcpfleet-harness {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn docker_setup() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let base = base_image()?;
    println!(
        "base image: {} ({}, {})",
        base.tag,
        base.id,
        if base.built { "built" } else { "reused" }
    );
    let mut houses = vec![
        ("fixtures", fixture_wheels()?),
        ("contextforge", contextforge_wheels()?),
    ];
    houses.extend(
        seed_wheels()?
            .into_iter()
            .map(|house| ("seed fleet", house)),
    );
    for (name, house) in houses {
        println!(
            "{name} wheelhouse: {} ({})",
            house.dir.display(),
            house.lock.display()
        );
    }
    // What the seed fleet's online builds and its host processes run from.
    let python = Python::find()?;
    println!(
        "package index venv: {}",
        prepare_index_venv(&python)?.dir.display()
    );
    println!(
        "seed processes venv: {}",
        prepare_seed_process_venv(&python)?.dir.display()
    );
    println!("docker setup took {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn docker_clean() -> Result<(), Box<dyn std::error::Error>> {
    let remaining = clean_finished_runs()?;
    if remaining > 0 {
        return Err(format!(
            "{remaining} labelled Docker objects remain (a test run still in progress?)"
        )
        .into());
    }
    println!("no container, image, network or volume of a test run remains");
    Ok(())
}

fn setup() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let python = Python::find()?;
    println!(
        "python: {} (Python {})",
        python.path.display(),
        python.version
    );
    let gateway = prepare_gateway_venv()?;
    println!("gateway venv: {}", gateway.dir.display());
    let fixtures = prepare_fixtures_venv()?;
    println!("fixtures venv: {}", fixtures.dir.display());
    println!("setup took {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn up() -> Result<(), Box<dyn std::error::Error>> {
    let gateway = Gateway::start(GatewayOptions::default())?;
    let fixtures = Fixtures::start(&gateway)?;
    let token_file = gateway.run_dir().join("admin.jwt");
    write_private(&token_file, gateway.admin_token())?;
    println!("MCPGATEWAY_URL={}", gateway.url());
    println!("MCPGATEWAY_BEARER_TOKEN_FILE={}", token_file.display());
    for server in fixtures.all() {
        println!(
            "FIXTURE_{}_URL={} ({})",
            server.name.to_uppercase(),
            server.url,
            server.transport
        );
    }
    println!("gateway log: {}", gateway.log_path().display());
    let groups: Vec<String> = std::iter::once(gateway.process_group())
        .chain(fixtures.all().iter().map(|s| s.process_group()))
        .map(|g| g.to_string())
        .collect();
    println!("PROCESS_GROUPS={}", groups.join(","));
    println!("running; press Enter (or Ctrl-C) to stop");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    drop(fixtures);
    drop(gateway);
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(f, "{text}")
}
