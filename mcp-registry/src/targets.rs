//! One fleet, several gateways: apply and verify the manifest on every gateway it targets
//! ([`Manifest::per_target`]), each on its own, with one combined report.
//!
//! The targets run concurrently and independently: one gateway being down, refusing the token or failing a
//! step never stops the others, and the report says which target failed and why.

use std::fmt::Write as _;

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

use crate::engine::{ApplyOptions, ApplyReport, Registry};
use crate::error::{Error, Result};
use crate::gateway::Gateway;
use crate::manifest::Manifest;
use crate::plan::Mode;
use crate::verify::{VerifyOptions, VerifyReport};

/// What happened on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target's name (`default` for a manifest without `targets`).
    pub target: String,
    /// Its gateway URL.
    pub gateway: String,
    /// The apply, when it ran.
    pub apply: Option<ApplyReport>,
    /// The verify, when it ran (only after an apply without failures).
    pub verify: Option<VerifyReport>,
    /// Why the target failed before or instead of a report (connection, token, conflicts), on one line.
    pub error: Option<String>,
    /// Whether the apply and the verify both passed.
    pub passed: bool,
}

/// Every target's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CombinedReport {
    /// The fleet.
    pub fleet: String,
    /// One per target, in manifest order.
    pub targets: Vec<TargetReport>,
    /// Whether every target passed.
    pub passed: bool,
}

impl CombinedReport {
    /// `Ok(self)` when every target passed, else [`Error::Incomplete`] naming the first failing target.
    pub fn into_result(self) -> Result<Self> {
        let failed: Vec<&TargetReport> = self.targets.iter().filter(|t| !t.passed).collect();
        match failed.first() {
            None => Ok(self),
            Some(first) => Err(Error::Incomplete {
                what: "targets",
                failed: failed.len(),
                total: self.targets.len(),
                first: format!(
                    "`{}` ({}): {}",
                    first.target,
                    first.gateway,
                    first.error.as_deref().unwrap_or("see its report")
                ),
            }),
        }
    }

    /// One table row per target, then each target's verify report.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Fleet `{}` on {} gateway(s)\n\n",
            self.fleet,
            self.targets.len()
        );
        out.push_str("| target | gateway | apply | verify | result |\n|---|---|---|---|---|\n");
        for target in &self.targets {
            let apply = target.apply.as_ref().map_or_else(
                || "—".to_owned(),
                |a| format!("{} write(s), {} failed", a.writes, a.failures().count()),
            );
            let verify = target.verify.as_ref().map_or_else(
                || "—".to_owned(),
                |v| {
                    let failing = v.servers.iter().filter(|s| !s.passed).count();
                    format!("{} server(s), {failing} failing", v.servers.len())
                },
            );
            let result = match (&target.error, target.passed) {
                (_, true) => "passed".to_owned(),
                (Some(error), false) => format!("failed: {}", error.replace('|', "/")),
                (None, false) => "failed".to_owned(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {apply} | {verify} | {result} |",
                target.target, target.gateway
            );
        }
        for target in &self.targets {
            if let Some(verify) = &target.verify {
                let _ = write!(out, "\n## `{}`\n\n{}", target.target, verify.to_markdown());
            }
        }
        out
    }
}

/// Applies `manifest` on every gateway it targets with `mode`, then (when `verify` is given) verifies each one
/// whose apply had no failure. `connect` makes the gateway of one target and its apply options from the target's
/// single-gateway manifest — e.g. `ContextForge::from_manifest`, which reads that target's token variable, with a
/// `preflight_hook` on that same token, since each gateway has its own.
pub async fn apply_targets<G, F>(
    manifest: &Manifest,
    mode: Mode,
    verify: Option<&VerifyOptions>,
    connect: F,
) -> CombinedReport
where
    G: Gateway,
    F: Fn(&Manifest) -> Result<(G, ApplyOptions)>,
{
    let runs = manifest.per_target().into_iter().map(|(name, target)| {
        let gateway = target.gateway.url.clone();
        let setup =
            connect(&target).and_then(|(g, options)| Ok((Registry::new(target, g)?, options)));
        async move {
            let mut report = TargetReport {
                target: name,
                gateway,
                apply: None,
                verify: None,
                error: None,
                passed: false,
            };
            let (registry, options) = match setup {
                Ok(setup) => setup,
                Err(e) => {
                    report.error = Some(one_line(&e));
                    return report;
                }
            };
            match registry.apply(mode, &options).await {
                Ok(applied) => {
                    let clean = applied.failures().next().is_none();
                    report.apply = Some(applied.clone());
                    if let Err(e) = applied.into_result() {
                        report.error = Some(one_line(&e));
                    }
                    if !clean {
                        return report;
                    }
                }
                Err(e) => {
                    report.error = Some(one_line(&e));
                    return report;
                }
            }
            match verify {
                None => report.passed = true,
                Some(options) => match registry.verify(options).await {
                    Ok(verified) => {
                        report.passed = verified.passed;
                        if let Err(e) = verified.clone().into_result() {
                            report.error = Some(one_line(&e));
                        }
                        report.verify = Some(verified);
                    }
                    Err(e) => report.error = Some(one_line(&e)),
                },
            }
            report
        }
    });
    let targets = join_all(runs).await;
    CombinedReport {
        fleet: manifest.fleet.clone(),
        passed: targets.iter().all(|t| t.passed),
        targets,
    }
}

fn one_line(error: &Error) -> String {
    let mut line = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line.replace('\n', " ")
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::manifest::Format;
    use crate::memory::{Fault, MemoryGateway};

    const TWO: &str = r#"
fleet: demo
gateway: {url: "http://one:4444"}
servers:
  - {name: calc, url: "http://calc:8000/mcp", transport: streamable-http, expected_tools: [add]}
  - {name: notes, url: "http://notes:8000/mcp", transport: streamable-http, expected_tools: [note_add]}
targets:
  - {name: one, url: "http://one:4444"}
  - {name: two, url: "http://two:4444", servers: [calc]}
"#;

    #[tokio::test]
    async fn each_target_gets_its_servers_and_one_failing_target_fails_alone() {
        let manifest = Manifest::from_str_as(TWO, Format::Yaml, "two.yaml").unwrap();
        let one = MemoryGateway::new();
        let two = MemoryGateway::new();
        for gateway in [&one, &two] {
            gateway.serve("http://calc:8000/mcp", ["add"]);
            gateway.serve("http://notes:8000/mcp", ["note_add"]);
        }
        let options = || ApplyOptions::default().lock_dir(None);
        let verify = VerifyOptions::default();
        let connect = |m: &Manifest| {
            Ok((
                if m.gateway.url.contains("two") {
                    &two
                } else {
                    &one
                },
                options(),
            ))
        };
        // One registry is one gateway: the whole manifest is refused, each target's view is not.
        let err = Registry::new(manifest.clone(), &one)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("2 gateways (one, two)"), "{err}");
        assert!(Registry::new(manifest.per_target()[1].1.clone(), &two).is_ok());
        let report = apply_targets(&manifest, Mode::Apply, Some(&verify), connect).await;
        assert!(report.passed, "{}", report.to_markdown());
        assert_eq!(one.upstreams().len(), 2);
        assert_eq!(two.upstreams().len(), 1);

        // The second gateway refuses creates: the first still converges and passes.
        let fresh_one = MemoryGateway::new();
        let broken_two = MemoryGateway::new();
        fresh_one.serve("http://calc:8000/mcp", ["add"]);
        fresh_one.serve("http://notes:8000/mcp", ["note_add"]);
        broken_two.inject(
            crate::GatewayCall::CreateUpstream,
            Fault::Fail(crate::FailureKind::Forbidden),
        );
        let connect = |m: &Manifest| {
            Ok((
                if m.gateway.url.contains("two") {
                    &broken_two
                } else {
                    &fresh_one
                },
                options(),
            ))
        };
        let report = apply_targets(&manifest, Mode::Apply, Some(&verify), connect).await;
        assert!(!report.passed);
        assert!(report.targets[0].passed, "{}", report.to_markdown());
        assert!(!report.targets[1].passed);
        assert!(
            report.targets[1].verify.is_none(),
            "no verify after a failed apply"
        );
        let err = report.clone().into_result().unwrap_err().to_string();
        assert!(err.contains("`two`"), "{err}");
        assert!(
            report.to_markdown().contains("| `two` | http://two:4444 |"),
            "{}",
            report.to_markdown()
        );
    }
}
