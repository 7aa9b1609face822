//! Service-account tokens end to end: `kubectl create token` (which speaks protobuf) against
//! the zero-setup server's generated key and against an RSA key given by flags, the token
//! used as kubectl's credential, kube's refusals for a bad request, the token dying with its
//! service account or bound pod, and issuer discovery publishing the verification keys.

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_tests::*;

fn part(token: &str, i: usize) -> Value {
    let p = token.trim().split('.').nth(i).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

async fn user_of(k: &Kubectl) -> Value {
    parse_json(&k.ok(&["auth", "whoami", "-o", "json"]).await)["status"]["userInfo"].clone()
}

/// Waits out the server's cache of authenticated tokens (kube's 10 s).
async fn forget() {
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
}

async fn issued_tokens_authenticate_and_die_with_their_service_account(server: &Server) {
    let dir = TempDir::new("sa-tokens");
    let admin = server.kubectl(&dir);
    admin
        .ok(&["create", "serviceaccount", "builder", "-n", "default"])
        .await;
    let token = admin.ok(&["create", "token", "builder", "-n", "default"]).await;
    let header = part(&token, 0);
    let claims = part(&token, 1);
    assert_eq!(
        claims["iss"], "https://kubernetes.default.svc.cluster.local",
        "{claims}"
    );
    assert_eq!(claims["sub"], "system:serviceaccount:default:builder");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    let k = server.kubectl_as(&dir, "builder", Credential::Token(token.trim()));
    let me = user_of(&k).await;
    assert_eq!(me["username"], "system:serviceaccount:default:builder", "{me}");
    assert_eq!(
        me["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:default",
            "system:authenticated"
        ]),
        "{me}"
    );
    assert_eq!(
        me["extra"]["authentication.kubernetes.io/credential-id"],
        json!([format!("JTI={}", claims["jti"].as_str().unwrap())]),
        "{me}"
    );

    // Issuer discovery, readable by service accounts: its keys name the token's key.
    let jwks = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(server.data_dir.join("pki/ca.crt"))
        .args(["-H", &format!("Authorization: Bearer {}", token.trim())])
        .arg(format!("{}/openid/v1/jwks", server.url()))
        .output()
        .unwrap();
    let jwks = parse_json(&String::from_utf8_lossy(&jwks.stdout));
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(kids, vec![header["kid"].as_str().unwrap()], "{jwks}");

    // kube's refusals, through kubectl.
    let out = admin
        .fails(&["create", "token", "builder", "--duration=5m"])
        .await;
    assert!(
        out.stderr.contains(
            "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes"
        ),
        "{out}"
    );
    let out = admin.fails(&["create", "token", "nobody"]).await;
    assert!(
        out.stderr.contains("serviceaccounts \"nobody\" not found"),
        "{out}"
    );
    let out = admin
        .fails(&[
            "create",
            "token",
            "builder",
            "--bound-object-kind=Pod",
            "--bound-object-name=missing",
        ])
        .await;
    assert!(out.stderr.contains("pods \"missing\" not found"), "{out}");

    // Deleted, the service account's tokens are refused.
    admin
        .ok(&["delete", "serviceaccount", "builder", "-n", "default"])
        .await;
    forget().await;
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_token_on_tokio() {
    let server = Server::start(Options::tokio().memory()).await;
    issued_tokens_authenticate_and_die_with_their_service_account(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_token_on_smol() {
    let server = Server::start(Options::smol().memory()).await;
    issued_tokens_authenticate_and_die_with_their_service_account(&server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_bound_token_dies_with_its_pod() {
    let server = Server::start(Options::tokio().memory()).await;
    let dir = TempDir::new("sa-bound");
    let admin = server.kubectl(&dir);
    admin.ok(&["create", "serviceaccount", "runner"]).await;
    let pod = dir.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: runner\n  \
         containers:\n  - name: c\n    image: busybox\n",
    );
    admin.ok(&["apply", "-f", pod.to_str().unwrap()]).await;
    let token = admin
        .ok(&[
            "create",
            "token",
            "runner",
            "--bound-object-kind=Pod",
            "--bound-object-name=p",
        ])
        .await;
    let k = server.kubectl_as(&dir, "runner", Credential::Token(token.trim()));
    let me = user_of(&k).await;
    assert_eq!(
        me["extra"]["authentication.kubernetes.io/pod-name"],
        json!(["p"]),
        "{me}"
    );
    admin
        .ok(&["delete", "pod", "p", "--grace-period=0", "--force"])
        .await;
    forget().await;
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );
    server.stop().await;
}

fn openssl(args: &[&str]) {
    gatehouse_tests::packages::require("openssl", "openssl");
    let out = Command::new("openssl").args(args).output().expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rsa_key_from_flags_signs_and_only_its_tokens_are_accepted() {
    let dir = TempDir::new("sa-rsa");
    let key = dir.join("sa.key");
    let public = dir.join("sa.pub");
    let other = dir.join("other.key");
    openssl(&["genrsa", "-traditional", "-out", key.to_str().unwrap(), "2048"]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    openssl(&["genrsa", "-out", other.to_str().unwrap(), "2048"]);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--service-account-signing-key-file={}", key.display()))
            .arg(format!("--service-account-key-file={}", public.display()))
            .arg("--service-account-issuer=https://issuer.example")
            .arg("--service-account-issuer=https://previous.example")
            .arg("--api-audiences=https://issuer.example,api"),
    )
    .await;
    let admin = server.kubectl(&dir);
    admin.ok(&["create", "serviceaccount", "builder"]).await;
    let token = admin.ok(&["create", "token", "builder"]).await;
    assert_eq!(part(&token, 0)["alg"], "RS256");
    let claims = part(&token, 1);
    assert_eq!(claims["iss"], "https://issuer.example");
    assert_eq!(claims["aud"], json!(["https://issuer.example", "api"]));
    let k = server.kubectl_as(&dir, "builder", Credential::Token(token.trim()));
    assert_eq!(
        user_of(&k).await["username"],
        "system:serviceaccount:default:builder"
    );
    // A token for an audience this server is not is refused.
    let elsewhere = admin
        .ok(&["create", "token", "builder", "--audience=https://elsewhere"])
        .await;
    let k = server.kubectl_as(&dir, "elsewhere", Credential::Token(elsewhere.trim()));
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );

    // Another server with another key (and the same issuer) issues a token this one refuses.
    let dir2 = TempDir::new("sa-rsa-other");
    let other_server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--service-account-signing-key-file={}", other.display()))
            .arg("--service-account-issuer=https://issuer.example"),
    )
    .await;
    let other_admin = other_server.kubectl(&dir2);
    other_admin.ok(&["create", "serviceaccount", "builder"]).await;
    let foreign = other_admin.ok(&["create", "token", "builder"]).await;
    let k = server.kubectl_as(&dir, "foreign", Credential::Token(foreign.trim()));
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );
    other_server.stop().await;
    server.stop().await;
}

#[test]
fn bad_service_account_flags_are_refused_at_start_up() {
    use clap::Parser;
    let dir = TempDir::new("sa-bad-flags");
    let not_a_key = dir.write("junk.pem", "not a key");
    let cases = [
        (
            format!("--service-account-signing-key-file={}", not_a_key.display()),
            "--service-account-signing-key-file",
        ),
        (
            format!("--service-account-key-file={}", not_a_key.display()),
            "--service-account-key-file",
        ),
        (
            "--service-account-max-token-expiration=30m".to_string(),
            "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
        ),
    ];
    for (flag, message) in cases {
        let args = [
            "gatehouse".to_string(),
            "--storage-backend=memory".into(),
            format!("--data-dir={}", dir.path().display()),
            flag.clone(),
        ];
        let flags = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
        let err = match gatehouse_host::launch::prepare(&flags) {
            Ok(_) => panic!("{flag} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(message), "{flag}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_token_secret_is_filled_with_a_long_lived_token() {
    let server = Server::start(Options::tokio().memory()).await;
    let dir = TempDir::new("sa-secret");
    let admin = server.kubectl(&dir);
    admin.ok(&["create", "serviceaccount", "deployer"]).await;
    let secret = dir.write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: deployer-token\n  annotations:\n    \
         kubernetes.io/service-account.name: deployer\ntype: kubernetes.io/service-account-token\n",
    );
    admin.ok(&["apply", "-f", secret.to_str().unwrap()]).await;
    let start = std::time::Instant::now();
    let token = loop {
        let out = admin
            .run(&["get", "secret", "deployer-token", "-o", "jsonpath={.data.token}"])
            .await;
        let encoded = out.stdout.trim().to_string();
        if !encoded.is_empty() {
            let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
            break String::from_utf8(bytes).unwrap();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "never filled: {out}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(part(&token, 1)["iss"], "kubernetes/serviceaccount");
    let ca = admin
        .ok(&[
            "get",
            "secret",
            "deployer-token",
            "-o",
            "jsonpath={.data.ca\\.crt}",
        ])
        .await;
    assert!(!ca.trim().is_empty(), "no ca.crt");
    let k = server.kubectl_as(&dir, "deployer", Credential::Token(&token));
    assert_eq!(
        user_of(&k).await["username"],
        "system:serviceaccount:default:deployer"
    );
    // Deleting the Secret revokes the token.
    admin.ok(&["delete", "secret", "deployer-token"]).await;
    forget().await;
    let out = k.fails(&["auth", "whoami"]).await;
    assert!(
        out.stderr.contains("You must be logged in to the server"),
        "{out}"
    );
    server.stop().await;
}
