//! One operation vocabulary: the catalogue describes exactly the operations `mcpfleet-gateway-client` performs,
//! in the same order, with the same id, method and path, so an orchestrator can pair every client call with the
//! permissions it needs and neither list can drift from the other unnoticed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpfleet_gateway_client::Operation;
use mcpfleet_scope_audit::Catalogue;

#[test]
fn catalogue_names_exactly_the_client_operations() {
    let client: Vec<(&str, &str, &str)> = Operation::ALL
        .iter()
        .map(|op| (op.as_str(), op.method(), op.path_template()))
        .collect();
    let catalogue: Vec<(&str, &str, &str)> = Catalogue::contextforge_1_1_0()
        .operations
        .iter()
        .map(|rule| (rule.id.as_str(), rule.method.as_str(), rule.path.as_str()))
        .collect();
    assert_eq!(catalogue, client);
}

#[test]
fn every_client_operation_id_resolves_in_the_catalogue() {
    let catalogue = Catalogue::contextforge_1_1_0();
    for op in Operation::ALL {
        let rule = catalogue.operation(op.as_str()).unwrap();
        assert_eq!(rule.id.parse::<Operation>().unwrap(), *op);
    }
}
