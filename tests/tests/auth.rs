//! Authentication and authorization: client certificates from another CA or expired ones are
//! refused (401), a user outside `system:masters` is forbidden (403) with kube's message, and
//! anonymous requests are forbidden (403) or, with `--anonymous-auth=false`, unauthorized (401).

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

/// How kubectl reports a 401. kubectl 1.32 meets it during discovery and prints
/// `error: You must be logged in to the server (the server has asked for the client to provide
/// credentials)`, as it does against kube-apiserver; a 401 on the request itself would end in
/// `(Unauthorized)`.
const KUBECTL_UNAUTHORIZED: &str = "error: You must be logged in to the server (";

fn assert_unauthorized(resp: &Response) {
    let status = resp.status(401, "Unauthorized");
    assert_eq!(status["message"], "Unauthorized", "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_from_another_ca_is_unauthorized() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth-foreign");
    let cert = foreign_cert("kubernetes-admin");

    let k = server.kubectl_as(&dir, "mallory", cert_credential(&cert));
    let out = k.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(out.stderr.contains(KUBECTL_UNAUTHORIZED), "{out}");
    let out = k
        .fails(&[
            "create",
            "configmap",
            "evil",
            "-n",
            "default",
            "--from-literal=a=b",
        ])
        .await;
    assert!(out.stderr.contains("Unauthorized"), "{out}");

    let http = server.http_as(&dir, Some(&cert));
    assert_unauthorized(&http.get("/api/v1/namespaces/default/configmaps").await);
    assert_unauthorized(&http.get("/api").await);
    assert_unauthorized(
        &http
            .send_json(
                "POST",
                "/api/v1/namespaces/default/configmaps",
                &json!({"metadata": {"name": "evil"}}),
            )
            .await,
    );

    let admin = server.http(&dir);
    admin
        .get("/api/v1/namespaces/default/configmaps/evil")
        .await
        .status(404, "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_certificate_from_the_cluster_ca_is_unauthorized() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth-expired");
    let cert = expired_cert(server, "kubernetes-admin");

    let k = server.kubectl_as(&dir, "expired", cert_credential(&cert));
    let out = k.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(out.stderr.contains(KUBECTL_UNAUTHORIZED), "{out}");

    let http = server.http_as(&dir, Some(&cert));
    assert_unauthorized(&http.get("/api/v1/namespaces/default/configmaps").await);

    // The same user with a valid certificate is fine.
    let fresh = server.client_cert("kubernetes-admin", &["system:masters"]);
    let k = server.kubectl_as(&dir, "fresh", cert_credential(&fresh));
    k.ok(&["get", "configmaps", "-n", "default"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_outside_system_masters_is_forbidden() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth-jane");
    let cert = server.client_cert("jane", &[]);

    let k = server.kubectl_as(&dir, "jane", cert_credential(&cert));
    let out = k.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(
        out.stderr.contains(
            "Error from server (Forbidden): configmaps is forbidden: User \"jane\" cannot list \
             resource \"configmaps\" in API group \"\" in the namespace \"default\""
        ),
        "{out}"
    );
    let out = k.fails(&["get", "deployments", "-A"]).await;
    assert!(
        out.stderr.contains(
            "Error from server (Forbidden): deployments.apps is forbidden: User \"jane\" cannot list \
             resource \"deployments\" in API group \"apps\" at the cluster scope"
        ),
        "{out}"
    );

    let http = server.http_as(&dir, Some(&cert));
    let status = http
        .get("/api/v1/namespaces/default/configmaps")
        .await
        .status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"jane\" cannot list resource \"configmaps\" in API group \"\" \
         in the namespace \"default\""
    );
    assert_eq!(status["details"]["kind"], "configmaps", "{status}");

    let status = http
        .send_json(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            &json!({"metadata": {"name": "janes"}}),
        )
        .await
        .status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"jane\" cannot create resource \"configmaps\" in API group \"\" \
         in the namespace \"default\""
    );
    let status = http
        .get("/api/v1/namespaces/kube-system/configmaps/janes")
        .await
        .status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "configmaps \"janes\" is forbidden: User \"jane\" cannot get resource \"configmaps\" in API group \"\" \
         in the namespace \"kube-system\""
    );
    assert_eq!(status["details"]["name"], "janes", "{status}");

    // Groups from the certificate count: system:masters may do everything.
    let admin_cert = server.client_cert("john", &["system:masters"]);
    let k = server.kubectl_as(&dir, "john", cert_credential(&admin_cert));
    k.ok(&["get", "configmaps", "-n", "default"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_are_forbidden_for_resources() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth-anon");
    let http = server.http_as(&dir, None);
    let status = http
        .get("/api/v1/namespaces/default/configmaps")
        .await
        .status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API \
         group \"\" in the namespace \"default\""
    );
    let status = http.get("/api/v1/namespaces").await.status(403, "Forbidden");
    assert_eq!(
        status["message"],
        "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API \
         group \"\" at the cluster scope"
    );
    // Public information stays readable (system:public-info-viewer).
    let version = http.get("/version").await.ok();
    assert_eq!(version["major"], "1", "{version}");
    assert_eq!(version["minor"], "32", "{version}");
    let healthz = http.get("/healthz").await;
    assert_eq!((healthz.code, healthz.body.as_str()), (200, "ok"), "{healthz}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_anonymous_auth_no_credentials_is_unauthorized() {
    let server = Server::start(Options::tokio().memory().anonymous_auth(false)).await;
    let dir = TempDir::new("auth-no-anon");
    let http = server.http_as(&dir, None);
    assert_unauthorized(&http.get("/api/v1/namespaces/default/configmaps").await);
    assert_unauthorized(&http.get("/version").await);
    assert_unauthorized(&http.get("/api").await);

    // kubectl with a kubeconfig user that has no credential prompts for a password, so the
    // no-credential case is checked with curl above; a bearer token nobody issued fails too.
    let k = server.kubectl_as(&dir, "guesser", Credential::Token("not-a-real-token"));
    let out = k.fails(&["get", "configmaps"]).await;
    assert!(out.stderr.contains(KUBECTL_UNAUTHORIZED), "{out}");

    // Certificates still work.
    let k = server.kubectl(&dir);
    k.ok(&["get", "configmaps", "-n", "default"]).await;
    server.stop().await;
}

/// A request that presents credentials nobody accepts is refused (401), not served as
/// anonymous: kube-apiserver's bearer-token authenticator turns an unknown token into an error,
/// and the anonymous fallback only applies when no credential was presented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_bearer_token_is_unauthorized_even_with_anonymous_auth() {
    let server = SERVER.get().await;
    let dir = TempDir::new("auth-token");
    let http = server.http_as(&dir, None);
    let resp = http
        .request(Request {
            path: "/api/v1/namespaces/default/configmaps",
            headers: vec!["Authorization: Bearer not-a-real-token".to_string()],
            ..Request::default()
        })
        .await;
    assert_unauthorized(&resp);

    let k = server.kubectl_as(&dir, "guesser", Credential::Token("not-a-real-token"));
    let out = k.fails(&["get", "configmaps", "-n", "default"]).await;
    assert!(out.stderr.contains(KUBECTL_UNAUTHORIZED), "{out}");
}

/// `--client-ca-file` is read again when it changes: certificates of the new CA are accepted
/// on new connections and those of the old one refused, without a restart; a file that stops
/// holding certificates keeps the last good bundle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_ca_file_is_reloaded_when_it_changes() {
    use std::time::{Duration, Instant, SystemTime};
    let dir = TempDir::new("auth-ca-reload");
    let issue = |ca: &CertKeyPem, user: &str| {
        let now = SystemTime::now();
        gatehouse_host::pki::issue_client_cert(
            ca,
            user,
            &["system:masters"],
            now - Duration::from_secs(60),
            now + Duration::from_secs(3600),
        )
        .unwrap()
    };
    let old_ca = gatehouse_host::pki::new_ca("old-client-ca").unwrap();
    let new_ca = gatehouse_host::pki::new_ca("new-client-ca").unwrap();
    let ca_file = dir.write("client-ca.crt", &old_ca.cert_pem);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--client-ca-file={}", ca_file.display())),
    )
    .await;
    let path = "/api/v1/namespaces/default/configmaps";
    let old_cert = issue(&old_ca, "old-admin");
    let new_cert = issue(&new_ca, "new-admin");
    assert_eq!(server.http_as(&dir, Some(&old_cert)).get(path).await.code, 200);
    assert_unauthorized(&server.http_as(&dir, Some(&new_cert)).get(path).await);

    // Not certificates: the old bundle stays.
    std::fs::write(&ca_file, "garbage").unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(server.http_as(&dir, Some(&old_cert)).get(path).await.code, 200);

    std::fs::write(&ca_file, &new_ca.cert_pem).unwrap();
    let start = Instant::now();
    loop {
        if server.http_as(&dir, Some(&new_cert)).get(path).await.code == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new CA was never loaded"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_unauthorized(&server.http_as(&dir, Some(&old_cert)).get(path).await);
    // The handshake names the new CA from now on, without a restart: clients that choose
    // their certificate by the names (Go's crypto/tls, Java, browsers) offer it.
    let named = named_cas(&server);
    assert!(named.iter().any(|dn| contains(dn, b"new-client-ca")), "{named:?}");
    assert!(
        !named.iter().any(|dn| contains(dn, b"old-client-ca")),
        "{named:?}"
    );
    let k = server.kubectl_as(&dir, "new-admin", cert_credential(&new_cert));
    let me = parse_json(&k.ok(&["auth", "whoami", "-o", "json"]).await);
    assert_eq!(me["status"]["userInfo"]["username"], "new-admin", "{me}");
    server.stop().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Records the CA names a server's certificate request carries, and offers no certificate.
#[derive(Debug, Default)]
struct RecordNames(std::sync::Mutex<Vec<Vec<u8>>>);

impl rustls::client::ResolvesClientCert for RecordNames {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        *self.0.lock().unwrap() = root_hint_subjects.iter().map(|s| s.to_vec()).collect();
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The distinguished names (DER) of the CAs `server` names in its TLS certificate request.
fn named_cas(server: &Server) -> Vec<Vec<u8>> {
    use std::sync::Arc;
    let base = gatehouse_host::tls::client_config(server.pki.ca.cert_pem.as_bytes(), None).unwrap();
    let mut config = (*base).clone();
    let names = Arc::new(RecordNames::default());
    config.client_auth_cert_resolver = names.clone();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    let seen = names.0.lock().unwrap().clone();
    seen
}
