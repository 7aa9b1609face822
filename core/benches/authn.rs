//! What authentication costs per request, side by side in one run: the same request
//! (`POST selfsubjectreviews`, which reads nothing from storage) through the whole server
//! state machine, presented with a client certificate (the baseline), a static token, a
//! service-account token the token cache has seen, service-account tokens it has not (each
//! one verified: ES256 signature, claims, the service account looked up), and OIDC ID tokens
//! (seen, and new: ES256 signature and claims). Prints a Markdown table; checks nothing.
//!
//! `cargo bench -p gatehouse-core --bench authn`

// A benchmark reads the clock; the core's own code may not (core/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_core::authn::jwt::{self, Signer};
use gatehouse_core::authn::keys::{public_keys_from_pem, PublicKey};
use gatehouse_core::authn::oidc::{Oidc, OidcConfig};
use gatehouse_core::authn::serviceaccount::{self, Binding, BoundTokens, Ref};
use gatehouse_core::authn::token::Tokens;
use gatehouse_core::authn::token_file::TokenFile;
use gatehouse_core::server::HttpsResponse;
use gatehouse_core::storage::MemStore;
use gatehouse_core::{Completion, Config, ConnId, Effect, Now, Output, Peer, Server};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const OIDC_ISSUER: &str = "https://oidc.example";
const REVIEW: &str = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;

struct BenchSigner {
    key: EcdsaKeyPair,
    public: PublicKey,
}

impl Signer for BenchSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    }
}

/// A server and the in-memory store it runs on, driven synchronously.
struct Bench {
    server: Server,
    store: MemStore,
    now: Now,
    written: Vec<u8>,
    /// The OIDC issuer's one key, as its key set lists it.
    oidc_jwk: serde_json::Value,
}

impl Bench {
    fn drive(&mut self) {
        loop {
            let mut done = Vec::new();
            while let Some(out) = self.server.poll_output() {
                match out {
                    Output::Effect {
                        id,
                        effect: Effect::Storage(request),
                    } => {
                        let result = self.store.execute(&request);
                        self.store.take_wal();
                        self.store.take_events();
                        done.push((id, Completion::Storage(result)));
                    }
                    Output::Effect {
                        id,
                        effect: Effect::Https(call),
                    } => {
                        // The OIDC issuer: its discovery document and key set.
                        let body = if call.url.ends_with("/.well-known/openid-configuration") {
                            serde_json::json!({"issuer": OIDC_ISSUER, "jwks_uri": format!("{OIDC_ISSUER}/keys")})
                        } else {
                            serde_json::json!({"keys": [self.oidc_jwk]})
                        };
                        done.push((
                            id,
                            Completion::Https(Ok(HttpsResponse {
                                status: 200,
                                headers: Vec::new(),
                                body: body.to_string().into_bytes(),
                            })),
                        ));
                    }
                    Output::Write { bytes, .. } => self.written.extend_from_slice(&bytes),
                    _ => {}
                }
            }
            if done.is_empty() {
                return;
            }
            for (id, completion) in done {
                self.server.handle_effect(self.now, id, completion);
            }
        }
    }

    /// Sends one request on `conn` and returns the status line's code.
    fn request(&mut self, conn: ConnId, method: &str, path: &str, auth: Option<&str>, body: &str) -> u16 {
        let auth = auth
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let wire = format!(
            "{method} {path} HTTP/1.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.written.clear();
        self.server.handle_bytes(self.now, conn, wire.as_bytes());
        self.drive();
        std::str::from_utf8(self.written.get(9..12).unwrap_or_default())
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }
}

fn main() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bench-ca");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let admin_key = rcgen::KeyPair::generate().unwrap();
    let mut admin_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    admin_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "admin");
    admin_params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "system:masters");
    admin_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let admin = admin_params.signed_by(&admin_key, &issuer).unwrap();

    let sa_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let signer = Arc::new(BenchSigner {
        key: EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &sa_key.serialize_der(),
            &SystemRandom::new(),
        )
        .unwrap(),
        public: public_keys_from_pem(sa_key.public_key_pem().as_bytes())
            .unwrap()
            .remove(0),
    });
    let sa = Arc::new(serviceaccount::Config {
        issuers: vec![ISSUER.into()],
        api_audiences: vec![ISSUER.into()],
        keys: vec![signer.public.clone()],
        signer: Some(signer.clone()),
        ..serviceaccount::Config::default()
    });
    let mut tokens = Tokens::default();
    tokens.set_audiences(sa.api_audiences.clone());
    let (file, _) = TokenFile::parse("tokens.csv", "static-token,admin,1,system:masters\n").unwrap();
    tokens.push(Arc::new(file));
    tokens.push(Arc::new(BoundTokens::new(sa.clone())));
    tokens.push(Arc::new(Oidc::new(OidcConfig {
        issuer_url: OIDC_ISSUER.into(),
        client_id: "kubernetes".into(),
        username_claim: "sub".into(),
        signing_algs: vec!["ES256".into()],
        ..OidcConfig::default()
    })));
    let oidc_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let oidc_signer = BenchSigner {
        key: EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &oidc_key.serialize_der(),
            &SystemRandom::new(),
        )
        .unwrap(),
        public: public_keys_from_pem(oidc_key.public_key_pem().as_bytes())
            .unwrap()
            .remove(0),
    };

    let now = Now {
        mono_ms: 1_000,
        wall_ms: 1_800_000_000_000,
    };
    let mut server = Server::new(Config {
        client_ca_der: Some(vec![ca.der().to_vec()]),
        serve_openapi: false,
        ..Config::default()
    });
    server.set_tokens(tokens);
    server.set_service_accounts(sa);
    let mut b = Bench {
        server,
        store: MemStore::new(),
        now,
        written: Vec::new(),
        oidc_jwk: oidc_signer.public.jwk(),
    };
    b.server.start(now);
    b.drive();
    let x509 = ConnId(1);
    b.server.handle_connect(
        now,
        x509,
        Peer {
            remote: "bench".into(),
            cert_chain: vec![admin.der().to_vec()],
        },
    );
    let bearer = ConnId(2);
    b.server.handle_connect(now, bearer, Peer::default());
    let code = b.request(
        x509,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts",
        None,
        r#"{"metadata":{"name":"bench"}}"#,
    );
    assert_eq!(code, 201);
    b.written.clear();
    b.request(
        x509,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts/bench/token",
        None,
        "{}",
    );
    let answer = String::from_utf8_lossy(&b.written).into_owned();
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let issued: serde_json::Value = serde_json::from_str(body).unwrap();
    let sa_token = issued["status"]["token"].as_str().unwrap().to_string();
    let sa_uid = jwt::Jwt::parse(&sa_token).unwrap().claims["kubernetes.io"]["serviceaccount"]["uid"]
        .as_str()
        .unwrap()
        .to_string();

    let n = 20_000;
    // Fresh tokens, each verified in full (the cache has never seen them).
    let fresh: Vec<String> = (0..n)
        .map(|i| {
            let binding = Binding {
                namespace: "default".into(),
                service_account: Ref {
                    name: "bench".into(),
                    uid: sa_uid.clone(),
                },
                ..Binding::default()
            };
            let claims = serviceaccount::claims(
                ISSUER,
                &binding,
                &[ISSUER.into()],
                1_800_000_000,
                1_800_003_600,
                None,
                &format!("jti-{i}"),
            );
            jwt::encode(&claims, &*signer).unwrap()
        })
        .collect();

    // OIDC ID tokens, each new to the caches (the key set is fetched once, on the first).
    let oidc: Vec<String> = (0..n)
        .map(|i| {
            let claims = serde_json::json!({"iss": OIDC_ISSUER, "aud": "kubernetes", "sub": format!("user-{i}"),
                "iat": 1_800_000_000, "exp": 1_800_003_600});
            jwt::encode(&claims, &oidc_signer).unwrap()
        })
        .collect();

    let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    let run = |b: &mut Bench, conn: ConnId, token: &dyn Fn(usize) -> Option<String>| -> Duration {
        for i in 0..100 {
            assert_eq!(b.request(conn, "POST", path, token(i).as_deref(), REVIEW), 201);
        }
        let start = Instant::now();
        for i in 0..n {
            let t = token(i);
            let code = b.request(conn, "POST", path, t.as_deref(), REVIEW);
            debug_assert_eq!(code, 201);
        }
        start.elapsed() / n as u32
    };
    let rounds = 3;
    let mut rows: Vec<(&str, Vec<Duration>)> = vec![
        ("client certificate (baseline)", Vec::new()),
        ("static token (--token-auth-file)", Vec::new()),
        ("service-account token, cached", Vec::new()),
        ("service-account token, verified (ES256 + lookup)", Vec::new()),
        ("OIDC ID token, cached", Vec::new()),
        ("OIDC ID token, verified (ES256)", Vec::new()),
    ];
    for _ in 0..rounds {
        // Past the token cache's lifetime: each round starts from a cold cache.
        b.now.mono_ms += 11_000;
        rows[0].1.push(run(&mut b, x509, &|_| None));
        rows[1]
            .1
            .push(run(&mut b, bearer, &|_| Some("static-token".into())));
        rows[2].1.push(run(&mut b, bearer, &|_| Some(sa_token.clone())));
        rows[3].1.push(run(&mut b, bearer, &|i| Some(fresh[i].clone())));
        rows[4].1.push(run(&mut b, bearer, &|_| Some(oidc[0].clone())));
        rows[5].1.push(run(&mut b, bearer, &|i| Some(oidc[i].clone())));
    }
    let base = rows[0].1.iter().min().copied().unwrap_or_default();
    println!("| credential | µs per request (best of {rounds}) | over the certificate |");
    println!("|---|---:|---:|");
    for (name, times) in &rows {
        let best = times.iter().min().copied().unwrap_or_default();
        println!(
            "| {name} | {:.1} | {:+.1} µs |",
            best.as_secs_f64() * 1e6,
            (best.as_secs_f64() - base.as_secs_f64()) * 1e6
        );
    }
}
