//! HTTPS, as the seed project's gateway served it on 4444: a gateway started with a certificate from a CA made
//! in this test. The client connects when given that CA, refuses without it or with another CA — a typed
//! `Transport` error whose cause says the certificate is not trusted — and `danger_accept_invalid_certs`, meant
//! for a lab only, connects anyway. A registry plans against the gateway over HTTPS too.

use std::error::Error as _;

use mcpfleet_gateway_client::{Client, Error as ClientError, RetryPolicy, TransportKind};
use mcpfleet_harness::{Gateway, GatewayOptions};
use mcpfleet_registry::{ContextForge, Format, Manifest, Mode, Registry};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA (its PEM) and, when `server` is set, a certificate it issued for `localhost` and `127.0.0.1` with its key.
fn ca_and_server() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "mcpfleet test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    (ca_pem, server.pem(), server_key.serialize_pem())
}

fn client(
    url: &str,
    token: &str,
    configure: impl FnOnce(
        mcpfleet_gateway_client::ClientBuilder,
    ) -> mcpfleet_gateway_client::ClientBuilder,
) -> Client {
    configure(
        Client::builder()
            .base_url(url)
            .bearer_token(token)
            .retry(RetryPolicy::none()),
    )
    .build()
    .unwrap()
}

/// The whole cause chain of an error, as one string.
fn chain(err: &ClientError) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(" <- ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_trusts_the_gateways_ca_and_nothing_else() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, cert_pem, key_pem) = ca_and_server();
    let (other_ca_pem, _, _) = ca_and_server();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let gateway = tokio::task::spawn_blocking(move || {
        Gateway::start(GatewayOptions::default().tls(cert, key)).expect("an HTTPS gateway")
    })
    .await
    .unwrap();
    let url = gateway.url().to_owned();
    assert!(url.starts_with("https://"), "{url}");
    let token = gateway.admin_token().to_owned();

    // Given the CA: a real authenticated call.
    let trusted = client(&url, &token, |b| b.add_root_certificate_pem(ca_pem.clone()));
    let me = trusted.auth().me().await.unwrap();
    assert_eq!(me.email, gateway.admin_email());

    // Without it, or with another CA: refused before any HTTP answer, and the cause names the certificate.
    for (what, configure) in [("no CA", None), ("another CA", Some(other_ca_pem.clone()))] {
        let untrusted = client(&url, &token, |b| match configure {
            Some(pem) => b.add_root_certificate_pem(pem),
            None => b,
        });
        let err = untrusted.auth().me().await.unwrap_err();
        assert!(
            matches!(err, ClientError::Transport { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(
            err.transport_kind(),
            Some(TransportKind::Tls),
            "{what}: {err}"
        );
        let causes = chain(&err).to_lowercase();
        assert!(
            causes.contains("certificate") || causes.contains("unknownissuer"),
            "{what}: {causes}"
        );
    }

    // The lab-only switch connects to anything; the docs call it dangerous, and so does its name.
    let reckless = client(&url, &token, |b| b.danger_accept_invalid_certs(true));
    assert!(reckless.auth().me().await.is_ok());

    // The registry over HTTPS: a plan of an empty fleet reads the gateway.
    let manifest = Manifest::from_str_with_env(
        &format!("fleet: tls\ngateway: {{url: \"{url}\"}}\n"),
        Format::Yaml,
        "tls.yaml",
        |_| None,
    )
    .unwrap();
    let plan = Registry::new(manifest, ContextForge::new(trusted))
        .unwrap()
        .plan(Mode::Apply)
        .await
        .unwrap();
    assert!(plan.is_converged());
    mcpfleet_harness::record_figure(&format!(
        "[tls] HTTPS gateway with a test CA: trusted, refused without it and with another CA; {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}
