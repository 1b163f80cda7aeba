//! Helpers the live tests share: a client without retries, the least-privilege token of a manifest, and the
//! servers a verify failed.

use mcpfleet_registry::{
    ContextForge, Manifest, Mode, Registry, VerifyOptions, preflight, token_create,
};
use mcpfleet_scope_audit::BearerToken;

pub(crate) use mcpfleet_harness::client;

/// Mints, with `admin_token`, the least-privilege token for applying and verifying `manifest`; returns its id and
/// the token.
pub(crate) async fn mint_least_privilege(
    manifest: &Manifest,
    gateway_url: &str,
    admin_token: &str,
) -> (String, String) {
    let admin = client(gateway_url, admin_token);
    let planner = Registry::new(manifest.clone(), ContextForge::new(admin.clone())).unwrap();
    let mut calls = planner.plan(Mode::Apply).await.unwrap().calls();
    calls.extend(planner.verify_calls(&VerifyOptions::default()));
    let recipe = preflight(&calls, &BearerToken::new(admin_token))
        .unwrap()
        .least_privilege;
    let body = recipe
        .token
        .unwrap()
        // Unique: a fleet may need a second token (the first revoked), and token names are unique per user.
        .name(format!("{}-registrar-{}", manifest.fleet, unique_suffix()))
        .expires_in_days(1);
    let minted = admin.tokens().create(&token_create(&body)).await.unwrap();
    (minted.token.id.clone(), minted.expose_token().to_owned())
}

fn unique_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos())
}

/// The names of the servers `report` failed.
pub(crate) fn failing(report: &mcpfleet_registry::VerifyReport) -> Vec<String> {
    report
        .servers
        .iter()
        .filter(|s| !s.passed)
        .map(|s| s.name.clone())
        .collect()
}
