//! OIDC end to end: a real HTTPS issuer serving its discovery document and key set (whose
//! keys rotate), ID tokens it signs accepted with kube's user and group mapping, and every
//! token kube refuses refused: unsigned, another algorithm, another issuer, another
//! audience, expired, not yet valid, signed by a key the issuer does not publish, tampered,
//! a required claim missing.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::authn::jwt::{encode, Signer};
use gatehouse_host::service_accounts::KeySigner;
use gatehouse_tests::webhook_server::WebhookServer;
use gatehouse_tests::*;

/// An issuer's signing key: a fresh P-256 key (the private key of a throwaway CA).
fn signer() -> KeySigner {
    let key = gatehouse_host::pki::new_ca("oidc-signing-key").unwrap().key_pem;
    KeySigner::from_pem(key.as_bytes()).unwrap()
}

async fn whoami(server: &Server, dir: &TempDir, token: &str) -> Response {
    server
        .http_as(dir, None)
        .request(Request {
            method: "POST",
            path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            headers: vec![
                format!("Authorization: Bearer {token}"),
                "Content-Type: application/json".into(),
            ],
            body: Some(br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#.to_vec()),
            ..Request::default()
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_tokens_are_verified_against_the_issuers_published_keys() {
    let issuer = Arc::new(Mutex::new(String::new()));
    let jwks = Arc::new(Mutex::new(Vec::<Value>::new()));
    let (i, k) = (issuer.clone(), jwks.clone());
    let hook = WebhookServer::start(Box::new(move |r| {
        let iss = i.lock().unwrap().clone();
        match r.path.as_str() {
            "/.well-known/openid-configuration" => (
                200,
                json!({"issuer": iss, "jwks_uri": format!("{iss}/keys"),
                       "id_token_signing_alg_values_supported": ["ES256"]})
                .to_string(),
            ),
            "/keys" => (200, json!({"keys": *k.lock().unwrap()}).to_string()),
            _ => (404, "{}".into()),
        }
    }));
    *issuer.lock().unwrap() = hook.url.clone();
    let first = signer();
    jwks.lock().unwrap().push(first.public_key().jwk());

    let dir = TempDir::new("oidc");
    let ca = dir.write("issuer-ca.crt", &hook.ca.cert_pem);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--oidc-issuer-url={}", hook.url))
            .arg("--oidc-client-id=kubernetes")
            .arg(format!("--oidc-ca-file={}", ca.display()))
            .arg("--oidc-username-claim=email")
            .arg("--oidc-groups-claim=groups")
            .arg("--oidc-groups-prefix=oidc:")
            .arg("--oidc-required-claim=hd=example.com")
            .arg("--oidc-signing-algs=ES256"),
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({
        "iss": hook.url, "aud": ["kubernetes", "other"], "sub": "1234",
        "email": "jane@example.com", "email_verified": true, "hd": "example.com",
        "groups": ["devs", "ops"], "iat": now, "exp": now + 600,
    });
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };

    // Accepted, through kubectl too.
    let token = encode(&claims, &first).unwrap();
    let k = server.kubectl_as(&dir, "jane", Credential::Token(&token));
    let me = parse_json(&k.ok(&["auth", "whoami", "-o", "json"]).await)["status"]["userInfo"].clone();
    assert_eq!(me["username"], "jane@example.com", "{me}");
    assert_eq!(
        me["groups"],
        json!(["oidc:devs", "oidc:ops", "system:authenticated"]),
        "{me}"
    );

    // Refused, each with kube's 401.
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(with("email", json!("admin@example.com")).to_string()),
        parts[2]
    );
    let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), parts[1]);
    let refused = [
        ("tampered", tampered),
        ("unsigned", unsigned),
        (
            "another audience",
            encode(&with("aud", json!("dashboard")), &first).unwrap(),
        ),
        ("expired", encode(&with("exp", json!(now - 60)), &first).unwrap()),
        (
            "not yet valid",
            encode(&with("nbf", json!(now + 3600)), &first).unwrap(),
        ),
        (
            "required claim missing",
            encode(&with("hd", json!("evil.com")), &first).unwrap(),
        ),
        (
            "email not verified",
            encode(&with("email_verified", json!(false)), &first).unwrap(),
        ),
        (
            "another issuer",
            encode(&with("iss", json!("https://evil.example")), &first).unwrap(),
        ),
        ("an unpublished key", encode(&claims, &signer()).unwrap()),
    ];
    for (what, token) in &refused {
        let resp = whoami(&server, &dir, token).await;
        let status = resp.status(401, "Unauthorized");
        assert_eq!(status["message"], "Unauthorized", "{what}: {resp}");
    }

    // The issuer rotates to a new key: tokens it signs are accepted once the key set is
    // fetched again (at most once per 10 s), and the old key's tokens no longer are.
    let second = signer();
    *jwks.lock().unwrap() = vec![second.public_key().jwk()];
    let rotated = encode(&claims, &second).unwrap();
    let start = std::time::Instant::now();
    loop {
        let resp = whoami(&server, &dir, &rotated).await;
        if resp.code == 201 {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "{resp}");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    // An old token not seen before (a new jti-like claim, so no cache holds it).
    let old = encode(&with("sub", json!("5678")), &first).unwrap();
    whoami(&server, &dir, &old).await.status(401, "Unauthorized");
    server.stop().await;
}

#[test]
fn bad_oidc_flags_are_refused_at_start_up() {
    use clap::Parser;
    let dir = TempDir::new("oidc-flags");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--oidc-issuer-url=http://insecure.example", "--oidc-client-id=k"],
            "--oidc-issuer-url",
        ),
        (&["--oidc-issuer-url=https://issuer.example"], "--oidc-client-id"),
        (
            &[
                "--oidc-issuer-url=https://issuer.example",
                "--oidc-client-id=k",
                "--oidc-signing-algs=HS256",
            ],
            "--oidc-signing-algs",
        ),
        (
            &[
                "--oidc-issuer-url=https://issuer.example",
                "--oidc-client-id=k",
                "--oidc-required-claim=novalue",
            ],
            "--oidc-required-claim",
        ),
    ];
    for (flags, which) in cases {
        let mut args = vec![
            "gatehouse".to_string(),
            "--storage-backend=memory".into(),
            format!("--data-dir={}", dir.path().display()),
        ];
        args.extend(flags.iter().map(|f| f.to_string()));
        let parsed = gatehouse_host::flags::Flags::try_parse_from(args).unwrap();
        let err = match gatehouse_host::launch::prepare(&parsed) {
            Ok(_) => panic!("{flags:?} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(which), "{flags:?}: {err}");
    }
}
