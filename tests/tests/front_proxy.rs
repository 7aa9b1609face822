//! The authenticating front proxy (`--requestheader-*`), end to end over TLS: a proxy with a
//! certificate from the request-header CA and an allowed name acts for the user its headers
//! name; the same headers from anyone else are ignored (a client certificate) or refused (a
//! proxy certificate with a name not allowed, 401); the settings are published in
//! `kube-system/extension-apiserver-authentication`; overlapping CAs without allowed names
//! are refused at start-up with kube's message.

use std::time::{Duration, SystemTime};

use clap::Parser;
use gatehouse_tests::*;

const WHOAMI: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

fn proxy_cert(ca: &CertKeyPem, cn: &str) -> CertKeyPem {
    let now = SystemTime::now();
    gatehouse_host::pki::issue_client_cert(
        ca,
        cn,
        &[],
        now - Duration::from_secs(3600),
        now + Duration::from_secs(3600),
    )
    .unwrap()
}

async fn whoami(http: &Http, headers: &[&str]) -> Response {
    let mut all: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    all.push("Content-Type: application/json".into());
    http.request(Request {
        method: "POST",
        path: WHOAMI,
        headers: all,
        body: Some(br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#.to_vec()),
        ..Request::default()
    })
    .await
}

const AS_ALICE: &[&str] = &[
    "X-Remote-User: alice",
    "X-Remote-Group: devs",
    "X-Remote-Group: system:masters",
    "X-Remote-Extra-Scopes: view",
    "X-Remote-Extra-Acme.com%2fteam: blue",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_proxy_acts_for_the_user_its_headers_name() {
    let dir = TempDir::new("front-proxy");
    let proxy_ca = gatehouse_host::pki::new_ca("front-proxy-ca").unwrap();
    let ca_file = dir.write("front-proxy-ca.crt", &proxy_ca.cert_pem);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--requestheader-client-ca-file={}", ca_file.display()))
            .arg("--requestheader-allowed-names=front-proxy-client")
            .arg("--requestheader-username-headers=X-Remote-User")
            .arg("--requestheader-group-headers=X-Remote-Group")
            .arg("--requestheader-extra-headers-prefix=X-Remote-Extra-"),
    )
    .await;

    let proxy = server.http_as(&dir, Some(&proxy_cert(&proxy_ca, "front-proxy-client")));
    let review = whoami(&proxy, AS_ALICE).await.ok();
    let user = &review["status"]["userInfo"];
    assert_eq!(user["username"], "alice", "{review}");
    assert_eq!(
        user["groups"],
        json!(["devs", "system:masters", "system:authenticated"]),
        "{review}"
    );
    assert_eq!(user["extra"]["scopes"], json!(["view"]), "{review}");
    assert_eq!(user["extra"]["acme.com/team"], json!(["blue"]), "{review}");
    // In system:masters as the proxy says, alice may list; the proxy without a user named is
    // nobody (its certificate is not a client certificate of the cluster CA): 401.
    let list = proxy
        .request(Request {
            path: "/api/v1/namespaces/default/configmaps",
            headers: vec![
                "X-Remote-User: alice".into(),
                "X-Remote-Group: system:masters".into(),
            ],
            ..Request::default()
        })
        .await;
    assert_eq!(list.code, 200, "{list}");
    let resp = whoami(&proxy, &[]).await;
    resp.status(401, "Unauthorized");

    // A proxy certificate with a name not allowed: 401, even with anonymous requests allowed.
    let impostor = server.http_as(&dir, Some(&proxy_cert(&proxy_ca, "somebody-else")));
    let resp = whoami(&impostor, AS_ALICE).await;
    let status = resp.status(401, "Unauthorized");
    assert_eq!(status["message"], "Unauthorized");

    // A client certificate of the cluster CA: the headers are ignored, the certificate's
    // user stands.
    let jane = server.client_cert("jane", &[]);
    let client = server.http_as(&dir, Some(&jane));
    let review = whoami(&client, AS_ALICE).await.ok();
    assert_eq!(review["status"]["userInfo"]["username"], "jane", "{review}");
    assert_eq!(
        review["status"]["userInfo"]["groups"],
        json!(["system:authenticated"]),
        "{review}"
    );
    // And anonymous requests cannot use them either.
    let anonymous = server.http_as(&dir, None);
    let resp = anonymous
        .request(Request {
            path: "/api/v1/namespaces/default/configmaps",
            headers: vec![
                "X-Remote-User: alice".into(),
                "X-Remote-Group: system:masters".into(),
            ],
            ..Request::default()
        })
        .await;
    let status = resp.status(403, "Forbidden");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("User \"system:anonymous\""),
        "{status}"
    );

    // What extension API servers read.
    let cm = server
        .http(&dir)
        .get("/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
        .await
        .ok();
    let data = &cm["data"];
    assert_eq!(
        data["requestheader-allowed-names"], "[\"front-proxy-client\"]",
        "{cm}"
    );
    assert_eq!(
        data["requestheader-username-headers"], "[\"X-Remote-User\"]",
        "{cm}"
    );
    assert_eq!(
        data["requestheader-group-headers"], "[\"X-Remote-Group\"]",
        "{cm}"
    );
    assert_eq!(
        data["requestheader-extra-headers-prefix"], "[\"X-Remote-Extra-\"]",
        "{cm}"
    );
    assert_eq!(data["requestheader-uid-headers"], "[]", "{cm}");
    assert_eq!(
        data["requestheader-client-ca-file"].as_str().unwrap().trim(),
        proxy_ca.cert_pem.trim(),
        "{cm}"
    );
    assert_eq!(
        data["client-ca-file"].as_str().unwrap().trim(),
        server.pki.ca.cert_pem.trim(),
        "{cm}"
    );
    server.stop().await;
}

#[test]
fn overlapping_cas_without_allowed_names_are_refused_at_start_up() {
    let dir = TempDir::new("front-proxy-overlap");
    let ca = gatehouse_host::pki::new_ca("shared-ca").unwrap();
    let ca_file = dir.write("ca.crt", &ca.cert_pem);
    let cert = gatehouse_host::pki::issue_serving_cert_for(&ca, &["127.0.0.1"]).unwrap();
    let cert_file = dir.write("serving.crt", &cert.cert_pem);
    let key_file = dir.write("serving.key", &cert.key_pem);
    let args = [
        "gatehouse".to_string(),
        "--storage-backend=memory".into(),
        format!("--data-dir={}", dir.path().display()),
        format!("--tls-cert-file={}", cert_file.display()),
        format!("--tls-private-key-file={}", key_file.display()),
        format!("--client-ca-file={}", ca_file.display()),
        format!("--requestheader-client-ca-file={}", ca_file.display()),
        "--requestheader-username-headers=X-Remote-User".into(),
    ];
    let flags = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
    let err = match gatehouse_host::launch::prepare(&flags) {
        Ok(_) => panic!("overlapping CAs without allowed names were accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("--requestheader-allowed-names must be specified to ensure regular client certificates cannot set authenticating proxy headers for arbitrary users"),
        "{err}"
    );
}
