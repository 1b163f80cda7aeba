//! Snapshot tests of the generated reports, the report schema and the catalogue data.
// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_scope_audit::{
    AuditReport, Catalogue, Grant, PermissionSet, Role, RoleScope, TeamsClaim, TokenClaims,
    UserClaim, UserRoles,
};

/// The operations of a registration run (what `mcpfleet-registry` derives from a plan that registers servers,
/// verifies them, builds a virtual server and calls tools both ways).
const FLEET_PLAN: [&str; 9] = [
    "gateways.create",
    "gateways.list",
    "gateways.get",
    "gateways.refresh_tools",
    "tools.list",
    "servers.create",
    "servers.get",
    "tools.call_rpc",
    "tools.call_mcp",
];

/// The claims `create_jwt_token --admin` writes (what the gateway's admin token says about itself).
fn admin_cli_claims() -> TokenClaims {
    TokenClaims {
        sub: Some("admin@example.com".into()),
        user: Some(UserClaim {
            email: Some("admin@example.com".into()),
            full_name: Some("CLI User".into()),
            is_admin: true,
            auth_provider: Some("cli".into()),
        }),
        teams: TeamsClaim::Null,
        ..TokenClaims::default()
    }
}

fn admin_report() -> AuditReport {
    let grant = Grant::from_claims(
        &admin_cli_claims(),
        UserRoles::platform_admin("admin@example.com"),
    );
    Catalogue::contextforge_1_1_0()
        .audit(&grant, FLEET_PLAN)
        .unwrap()
}

#[test]
fn admin_token_against_the_fleet_plan_markdown() {
    insta::assert_snapshot!(admin_report().to_markdown());
}

#[test]
fn admin_token_against_the_fleet_plan_json() {
    insta::assert_json_snapshot!(admin_report());
}

#[test]
fn tools_only_token_of_a_plain_user_cannot_register_markdown() {
    // The seed's question for a typical token: a non-admin's API token scoped to calling tools, its owner holding
    // only the defaults (platform_viewer + team_admin on the personal team).
    let user = UserRoles::new_user("dev@example.com", "personal-team");
    let grant = Grant::api_token(
        &PermissionSet::parse(["tools.read", "tools.execute"]).unwrap(),
        user,
    );
    let report = Catalogue::contextforge_1_1_0()
        .audit(&grant, FLEET_PLAN)
        .unwrap();
    insta::assert_snapshot!(report.to_markdown());
}

#[test]
fn operator_session_with_a_custom_role_markdown() {
    // A session of a user holding a global role with exactly the recipe: least privilege in layer 2, and the
    // token-management and diagnostics operations show what a scoped token could never do.
    let catalogue = Catalogue::contextforge_1_1_0();
    let recipe = catalogue.least_privilege(FLEET_PLAN).unwrap();
    let user = UserRoles::new("operator@example.com", false).with_global(Role::new(
        "mcpfleet-operator",
        RoleScope::Global,
        recipe.role_permissions,
    ));
    let ids = FLEET_PLAN
        .iter()
        .copied()
        .chain(["tokens.create", "version"]);
    let report = catalogue.audit(&Grant::session(user), ids).unwrap();
    insta::assert_snapshot!(report.to_markdown());
}

#[test]
fn report_json_schema() {
    insta::assert_json_snapshot!(AuditReport::json_schema());
}

#[test]
fn catalogue_1_1_0_data() {
    insta::assert_json_snapshot!(Catalogue::contextforge_1_1_0());
}
