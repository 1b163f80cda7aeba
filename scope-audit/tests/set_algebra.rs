//! Property tests of the permission set algebra: wildcards, layer intersection, least privilege.
// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_scope_audit::{
    Access, Catalogue, Grant, Permission, PermissionSet, Role, RoleScope, ScopeMatcher, Status,
    TokenScope, UserRoles,
};
use proptest::prelude::*;

fn catalogue() -> &'static Catalogue {
    Catalogue::contextforge_1_1_0()
}

/// Known permissions, wildcards, category wildcards and strings no gateway defines.
fn any_permission() -> impl Strategy<Value = Permission> {
    let known: Vec<Permission> = catalogue().permissions.iter().cloned().collect();
    prop_oneof![
        8 => proptest::sample::select(known),
        1 => Just(Permission::wildcard()),
        1 => proptest::sample::select(vec!["tools.*", "gateways.*", "admin.*", "servers.*"])
            .prop_map(|s| s.parse().unwrap()),
        1 => "[a-z]{1,8}[.:][a-z_]{1,8}".prop_map(|s| s.parse().unwrap()),
    ]
}

fn any_set(max: usize) -> impl Strategy<Value = PermissionSet> {
    proptest::collection::vec(any_permission(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn any_operations() -> impl Strategy<Value = Vec<String>> {
    let ids: Vec<String> = catalogue()
        .operations
        .iter()
        .map(|op| op.id.clone())
        .collect();
    proptest::sample::subsequence(ids, 1..8)
}

fn user_with(role_permissions: PermissionSet) -> UserRoles {
    UserRoles::new("user@example.com", false).with_global(Role::new(
        "custom",
        RoleScope::Global,
        role_permissions,
    ))
}

proptest! {
    #[test]
    fn wildcard_covers_everything(extra in any_set(6), target in any_permission()) {
        let mut held = extra;
        held.insert(Permission::wildcard());
        let scope = TokenScope::new(held.clone());
        prop_assert!(scope.grants(&target, ScopeMatcher::Standard));
        prop_assert!(scope.grants(&target, ScopeMatcher::Exact));
        prop_assert!(held.covers(&target));
        let grant = Grant::api_token(&held.clone(), user_with(held));
        prop_assert_eq!(grant.effective_permissions(&catalogue().permissions), catalogue().permissions.clone());
    }

    #[test]
    fn effective_set_is_inside_each_layer(scope in any_set(10), roles in any_set(10), admin in any::<bool>()) {
        let universe = &catalogue().permissions;
        let mut user = user_with(roles.clone());
        user.is_admin = admin;
        let grant = Grant::api_token(&scope, user);
        let effective = grant.effective_permissions(universe);
        prop_assert!(effective.is_subset(&grant.scope.expand(universe)));
        prop_assert!(effective.is_subset(&grant.role_permissions(universe)));
        if !admin {
            let from_roles: PermissionSet = universe.iter().filter(|p| roles.covers(p)).cloned().collect();
            prop_assert!(effective.is_subset(&from_roles));
        }
    }

    #[test]
    fn exact_matching_never_grants_more_than_standard(scope in any_set(10), target in any_permission()) {
        let scope = TokenScope::new(scope);
        if scope.grants(&target, ScopeMatcher::Exact) {
            prop_assert!(scope.grants(&target, ScopeMatcher::Standard));
        }
    }

    #[test]
    fn least_privilege_satisfies_every_operation_and_is_minimal(ids in any_operations()) {
        let catalogue = catalogue();
        let recipe = catalogue.least_privilege(&ids).unwrap();
        let operations = catalogue.resolve(&ids).unwrap();
        let scoped: Vec<_> = operations.iter().filter(|op| matches!(op.access, Access::Scoped { .. })).collect();

        // Sufficient: the token as issued, owned by a user holding exactly the role recipe, passes every
        // operation a scoped token can perform.
        let grant = Grant::api_token(&recipe.request, user_with(recipe.role_permissions.clone()));
        for op in &scoped {
            prop_assert!(grant.evaluate(op).is_satisfied(), "{} with {}", op.id, recipe.request);
        }
        // Everything else is listed as needing another credential.
        for op in operations.iter().filter(|op| !matches!(op.access, Access::Scoped { .. } | Access::NoAuth)) {
            prop_assert!(recipe.unscoped.iter().any(|u| u.operation == op.id), "{}", op.id);
        }

        // Minimal in the scope: dropping any requested permission breaks an operation, or leaves the empty
        // list, which the gateway reads as "unrestricted" — the recipe then keeps that one permission.
        for permission in recipe.request.iter() {
            let mut fewer = recipe.request.clone();
            fewer.remove(permission);
            if fewer.is_empty() {
                prop_assert_eq!(recipe.request.len(), 1);
                continue;
            }
            let issued = TokenScope::as_issued(&fewer);
            prop_assert!(scoped.iter().any(|op| !op.scope_allows(&issued)), "{} is not needed", permission);
        }
        // Minimal in the roles: dropping any role permission breaks an operation for a non-admin session.
        for permission in recipe.role_permissions.iter() {
            let mut fewer = recipe.role_permissions.clone();
            fewer.remove(permission);
            let session = Grant::session(user_with(fewer));
            prop_assert!(operations.iter().any(|op| !session.evaluate(op).is_satisfied()), "{} is not needed", permission);
        }
        // And never an empty permission list.
        if let Some(body) = &recipe.token {
            prop_assert!(!body.scope.permissions.is_empty());
        }
    }

    #[test]
    fn audit_lines_agree_with_evaluate_and_excess_is_never_needed(
        ids in any_operations(), scope in any_set(10), roles in any_set(10), admin in any::<bool>(),
    ) {
        let catalogue = catalogue();
        let mut user = user_with(roles);
        user.is_admin = admin;
        let grant = Grant::api_token(&scope, user);
        let report = catalogue.audit(&grant, &ids).unwrap();
        prop_assert_eq!(report.operations.len(), ids.len());
        for (line, id) in report.operations.iter().zip(&ids) {
            prop_assert_eq!(&line.operation, id);
            let check = grant.evaluate(catalogue.operation(id).unwrap());
            prop_assert_eq!(line.status == Status::Satisfied, check.is_satisfied());
        }
        prop_assert!(report.excess.intersection(&report.needed).is_empty());
        prop_assert!(report.excess.is_subset(&grant.effective_permissions(&catalogue.permissions)));
    }

    #[test]
    fn permissions_round_trip_verbatim(text in "[^\\s\\p{Cc}]{1,40}") {
        let permission: Permission = text.parse().unwrap();
        prop_assert_eq!(permission.to_string(), text.clone());
        let json = serde_json::to_string(&permission).unwrap();
        prop_assert_eq!(serde_json::from_str::<Permission>(&json).unwrap(), permission);
    }

    #[test]
    fn whitespace_or_control_characters_are_rejected(head in "[a-z.]{0,8}", bad in "[\\s\\p{Cc}]", tail in "[a-z.]{0,8}") {
        let text = format!("{head}{bad}{tail}");
        prop_assert!(text.parse::<Permission>().is_err());
    }
}
