//! Kubernetes manifests: snapshotted, validated offline against the Kubernetes 1.33 schemas by
//! `kubernetes-validate --strict` (unknown fields are errors), and checked for the hardening, the network policy
//! and the secret handling every pod must have. No cluster runs here.
#![cfg(feature = "kubernetes")]
// Helper functions outside #[test] unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use mcpfleet_dockerfile_gen::{
    FleetPlan, ImageRef, JOB_FILE, KubernetesPlan, KubernetesSpec, REGISTRAR_FILE, RegistrarSpec,
    Renderer, SERVERS_FILE, SecretKeyRef, VALUES_FILE,
};
use serde_json::Value;

const ROLES: &str =
    r#"[{"name": "fleet-registrar", "scope": "global", "permissions": ["servers.read"]}]"#;

fn spec() -> KubernetesSpec {
    let mut registrar = RegistrarSpec::new(
        ImageRef::new("mcpfleet/registrar", "0.1.0"),
        "fleet: demo\ngateway: {url: \"${MCPGATEWAY_URL}\"}\n",
        vec!["apply".into(), "--verify".into(), "{manifest}".into()],
        SecretKeyRef::new("demo-registrar-token", "token"),
        "MCPGATEWAY_BEARER_TOKEN",
    );
    registrar.env.insert(
        "MCPGATEWAY_URL".into(),
        "http://mcp-stack-mcpgateway:80".into(),
    );
    registrar.roles_file = Some(ROLES.into());
    KubernetesSpec::new("mcp")
        .replicas("utils", 2)
        .registrar(registrar)
}

/// The test fleet without its backend (Kubernetes leaves backends to their own charts).
fn fleet_without_backends() -> FleetPlan {
    let mut fleet = common::fleet_spec();
    fleet.backends.clear();
    for server in &mut fleet.servers {
        server.depends_on.clear();
    }
    // One server that calls out, to see both egress policies.
    fleet.servers[1].egress = true;
    FleetPlan::from_spec(&fleet).unwrap()
}

fn plan() -> KubernetesPlan {
    fleet_without_backends().kubernetes(&spec()).unwrap()
}

#[test]
fn backends_are_refused_by_name() {
    let (fleet, _) = common::fleet();
    let err = fleet.kubernetes(&spec()).unwrap_err();
    assert_eq!(err.field(), Some("backends"));
    assert!(err.to_string().contains("`vector-db`"), "{err}");
}

fn rendered() -> Vec<(String, String)> {
    Renderer::new()
        .unwrap()
        .render_kubernetes(&plan())
        .unwrap()
        .files
        .into_iter()
        .map(|f| (f.path.display().to_string(), f.contents))
        .collect()
}

#[test]
fn the_manifests_are_snapshotted() {
    for (path, contents) in rendered() {
        insta::assert_snapshot!(format!("kubernetes.{path}"), contents);
    }
}

#[test]
fn kubernetes_validate_strict_accepts_every_object() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (path, contents) in rendered() {
        if path == VALUES_FILE {
            continue; // Helm values, not an object.
        }
        std::fs::write(dir.path().join(&path), contents).unwrap();
        paths.push(path);
    }
    assert_eq!(paths, [SERVERS_FILE, REGISTRAR_FILE, JOB_FILE]);
    let output = Command::new(common::kubernetes_validate())
        .args(["--strict", "--kubernetes-version", "1.33.0"])
        .args(&paths)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    // One line per object (the tool names each), none failed or warned.
    let objects = plan().objects().unwrap().len();
    assert_eq!(
        report.matches(" passed for resource ").count(),
        objects,
        "{report}"
    );
    assert!(
        !report.contains("WARN") && !report.contains("ERROR") && !report.contains("failed"),
        "{report}"
    );
}

#[test]
fn kubernetes_validate_refuses_what_strict_schemas_refuse() {
    // The validator is not a rubber stamp: an unknown field in a generated Deployment fails.
    let mut deployment = serde_json::to_value(&plan().servers[0].deployment).unwrap();
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsRoot"] =
        Value::Bool(false);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        yaml_serde::to_string(&deployment).unwrap(),
    )
    .unwrap();
    let output = Command::new(common::kubernetes_validate())
        .args(["--strict", "--kubernetes-version", "1.33.0", "bad.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
}

fn pods(plan: &KubernetesPlan) -> Vec<(String, Value)> {
    let mut pods: Vec<(String, Value)> = plan
        .servers
        .iter()
        .map(|s| {
            let deployment = serde_json::to_value(&s.deployment).unwrap();
            (
                s.name.clone(),
                deployment["spec"]["template"]["spec"].clone(),
            )
        })
        .collect();
    let job = serde_json::to_value(&plan.registrar.as_ref().unwrap().job).unwrap();
    pods.push(("registrar".into(), job["spec"]["template"]["spec"].clone()));
    pods
}

#[test]
fn every_pod_is_hardened() {
    let plan = plan();
    for (name, pod) in pods(&plan) {
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        assert_eq!(pod["enableServiceLinks"], false, "{name}");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert_eq!(pod["securityContext"]["runAsUser"], 10001, "{name}");
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        for container in pod["containers"].as_array().unwrap() {
            let security = &container["securityContext"];
            assert_eq!(security["runAsNonRoot"], true, "{name}");
            assert!(security["runAsUser"].as_i64().unwrap() > 0, "{name}");
            assert_eq!(security["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(security["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(security["privileged"], false, "{name}");
            assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
            assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
            // Requests equal limits, both set.
            assert_eq!(
                container["resources"]["limits"], container["resources"]["requests"],
                "{name}"
            );
            assert!(container["resources"]["limits"]["memory"].is_string());
        }
    }
}

#[test]
fn probes_run_the_images_healthcheck() {
    let fleet = fleet_without_backends();
    let plan = plan();
    for (server, service) in plan.servers.iter().zip(&fleet.compose.services) {
        let deployment = serde_json::to_value(&server.deployment).unwrap();
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            assert_eq!(
                container[probe]["exec"]["command"],
                serde_json::json!(service.healthcheck.as_ref().unwrap().test),
                "{} {probe}",
                server.name
            );
        }
        // The default 30 s start period at a 2 s interval, plus the 3 retries.
        assert_eq!(container["startupProbe"]["periodSeconds"], 2);
        assert_eq!(container["startupProbe"]["failureThreshold"], 15 + 3);
        assert_eq!(container["readinessProbe"]["failureThreshold"], 3);
    }
}

#[test]
fn only_the_gateway_gets_in_and_only_egress_servers_get_out() {
    let plan = plan();
    for server in &plan.servers {
        let policy = serde_json::to_value(&server.network_policy).unwrap();
        let spec = &policy["spec"];
        assert_eq!(
            spec["policyTypes"],
            serde_json::json!(["Ingress", "Egress"])
        );
        assert_eq!(
            spec["ingress"],
            serde_json::json!([{
                "from": [{"podSelector": {"matchLabels": {"app": "mcp-stack-mcpgateway"}}}],
                "ports": [{"port": 8000, "protocol": "TCP"}],
            }]),
            "{}",
            server.name
        );
        let egress = spec["egress"].as_array().unwrap();
        if server.name == "shout" {
            // DNS, and anywhere but link-local (instance metadata).
            assert_eq!(egress.len(), 2);
            assert_eq!(egress[1]["to"][0]["ipBlock"]["except"][0], "169.254.0.0/16");
        } else {
            assert!(egress.is_empty(), "{} may not go out", server.name);
        }
        // The policy selects exactly the Deployment's pods.
        let deployment = serde_json::to_value(&server.deployment).unwrap();
        assert_eq!(
            spec["podSelector"]["matchLabels"],
            deployment["spec"]["selector"]["matchLabels"]
        );
    }
    // The registrar: nothing in, out to DNS and the gateway's pod port only.
    let registrar = serde_json::to_value(&plan.registrar.as_ref().unwrap().network_policy).unwrap();
    assert_eq!(registrar["spec"]["ingress"], serde_json::json!([]));
    assert_eq!(
        registrar["spec"]["egress"][1],
        serde_json::json!({
            "to": [{"podSelector": {"matchLabels": {"app": "mcp-stack-mcpgateway"}}}],
            "ports": [{"port": 4444, "protocol": "TCP"}],
        })
    );
}

#[test]
fn secrets_are_referenced_by_name_and_key_only() {
    let plan = plan();
    for (name, pod) in pods(&plan) {
        for var in pod["containers"][0]["env"].as_array().into_iter().flatten() {
            let var_name = var["name"].as_str().unwrap();
            let is_secret = var_name.contains("TOKEN");
            if is_secret {
                assert!(var.get("value").is_none(), "{name}: {var}");
                assert!(
                    var["valueFrom"]["secretKeyRef"]["name"].is_string(),
                    "{name}: {var}"
                );
            }
        }
    }
    let notes = plan.servers.iter().find(|s| s.name == "notes").unwrap();
    let env =
        serde_json::to_value(&notes.deployment).unwrap()["spec"]["template"]["spec"]["containers"]
            [0]["env"]
            .clone();
    assert_eq!(
        env,
        serde_json::json!([
            {"name": "NOTES_TOKEN", "valueFrom": {"secretKeyRef": {"name": "notes-env", "key": "NOTES_TOKEN", "optional": false}}},
            {"name": "NOTES_TITLE", "valueFrom": {"configMapKeyRef": {"name": "notes-env", "key": "NOTES_TITLE", "optional": false}}},
        ])
    );
    let job = serde_json::to_value(&plan.registrar.as_ref().unwrap().job).unwrap();
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["env"][0],
        serde_json::json!({"name": "MCPGATEWAY_BEARER_TOKEN", "valueFrom": {"secretKeyRef": {"name": "demo-registrar-token", "key": "token", "optional": false}}})
    );
    // No Secret object is generated at all.
    for object in plan.objects().unwrap() {
        assert_ne!(object["kind"], "Secret");
    }
}

#[test]
fn a_writable_path_gets_a_claim_and_one_replica_recreated() {
    let plan = plan();
    let notes = plan.servers.iter().find(|s| s.name == "notes").unwrap();
    assert_eq!(notes.volume_claims.len(), 1);
    let deployment = serde_json::to_value(&notes.deployment).unwrap();
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    assert_eq!(deployment["spec"]["replicas"], 1);
    let utils = plan.servers.iter().find(|s| s.name == "utils").unwrap();
    let deployment = serde_json::to_value(&utils.deployment).unwrap();
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"],
        serde_json::json!({"maxSurge": 1, "maxUnavailable": 0})
    );
}

#[test]
fn registration_urls_are_short_service_names() {
    let plan = plan();
    let urls: Vec<&str> = plan
        .servers
        .iter()
        .map(|s| s.registration_url.as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "http://utils:8000/mcp",
            "http://shout:8000/mcp",
            "http://notes:8000/mcp"
        ]
    );
    for server in &plan.servers {
        let service = serde_json::to_value(&server.service).unwrap();
        assert_eq!(service["metadata"]["name"], server.name.as_str());
        assert_eq!(service["spec"]["ports"][0]["port"], 8000);
    }
}

#[test]
fn the_job_is_a_hook_with_its_manifest_mounted() {
    let plan = plan();
    let registrar = plan.registrar.as_ref().unwrap();
    let job = serde_json::to_value(&registrar.job).unwrap();
    let annotations = &job["metadata"]["annotations"];
    assert_eq!(annotations["helm.sh/hook"], "post-install,post-upgrade");
    assert_eq!(
        annotations["helm.sh/hook-delete-policy"],
        "before-hook-creation"
    );
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(
        pod["containers"][0]["args"],
        serde_json::json!(["apply", "--verify", "/etc/mcpfleet/fleet.yaml"])
    );
    let manifest = serde_json::to_value(&registrar.manifest).unwrap();
    assert!(
        manifest["data"]["fleet.yaml"]
            .as_str()
            .unwrap()
            .starts_with("fleet: demo")
    );
    // The role file reaches the chart's migration Job through the values overlay.
    let values = serde_json::to_value(&plan.chart_values).unwrap();
    assert_eq!(
        values["mcpContextForge"]["extraEnvFrom"][0]["configMapRef"]["name"],
        "demo-registrar-role"
    );
    assert_eq!(
        values["mcpContextForge"]["config"]["MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_FILE"],
        "/tmp/additional_roles_in_db.json"
    );
    assert!(
        values["migration"]["command"]["migrate"]
            .as_str()
            .unwrap()
            .ends_with("python3 -m mcpgateway.bootstrap_db")
    );
    assert_eq!(
        values["mcpContextForge"]["config"]["SSRF_ALLOWED_NETWORKS"],
        "[\"10.96.0.0/12\"]"
    );
    let role = serde_json::to_value(registrar.role.as_ref().unwrap()).unwrap();
    assert_eq!(role["data"]["MCPFLEET_BOOTSTRAP_ROLES"], ROLES);
}

#[test]
fn the_plan_is_data() {
    let plan = plan();
    let json = serde_json::to_string(&plan).unwrap();
    let back: KubernetesPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn bad_input_names_the_field() {
    let fleet = fleet_without_backends();
    let err = fleet
        .kubernetes(&KubernetesSpec::new("mcp").replicas("utlis", 2))
        .unwrap_err();
    assert_eq!(err.field(), Some("kubernetes.replicas.utlis"));
    assert!(err.to_string().contains("utils, shout, notes"), "{err}");
    let err = fleet
        .kubernetes(&KubernetesSpec::new("mcp").replicas("notes", 2))
        .unwrap_err();
    assert_eq!(err.field(), Some("kubernetes.replicas.notes"));
    assert!(err.to_string().contains("volume"), "{err}");
    let err = fleet.kubernetes(&KubernetesSpec::new("My_NS")).unwrap_err();
    assert_eq!(err.field(), Some("kubernetes.namespace"));
    let mut registrar = spec().registrar.unwrap();
    registrar.env.insert(
        "MCPGATEWAY_BEARER_TOKEN".into(),
        "a token in plain text".into(),
    );
    let err = fleet
        .kubernetes(&KubernetesSpec::new("mcp").registrar(registrar))
        .unwrap_err();
    assert_eq!(
        err.field(),
        Some("kubernetes.registrar.env.MCPGATEWAY_BEARER_TOKEN")
    );
    assert!(!err.to_string().contains("plain text"), "{err}");
}
