//! The outbound HTTPS client against a real TLS server: a trusted server and a client
//! certificate it checks, an untrusted server, a server too slow for the deadline, and a
//! chunked answer.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use gatehouse_core::server::TlsFailure;
use gatehouse_core::{ClientTls, HttpsCall, NetError};
use gatehouse_host::https;
use gatehouse_host::pki::{self, CertKeyPem};
use gatehouse_host::tls::{certs_from_pem, key_from_pem, provider};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

/// What the server does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answer 200 with the client certificate's presence and the request body echoed.
    Echo,
    /// Answer in chunks.
    Chunked,
    /// Say nothing for a long time.
    Stall,
}

/// A TLS server on 127.0.0.1 with a certificate of `ca`, requiring a client certificate of
/// `client_ca` when given. Returns its port and the requests it read.
fn server(
    ca: &CertKeyPem,
    client_ca: Option<&CertKeyPem>,
    behaviour: Behaviour,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let serving = pki::issue_serving_cert_for(ca, &["127.0.0.1", "localhost"]).expect("serving cert");
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        Some(cca) => {
            let mut roots = RootCertStore::empty();
            for c in certs_from_pem(cca.cert_pem.as_bytes(), "client CA").expect("pem") {
                roots.add(c).expect("root");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .expect("verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = Arc::new(
        builder
            .with_single_cert(
                certs_from_pem(serving.cert_pem.as_bytes(), "cert").expect("pem"),
                key_from_pem(serving.key_pem.as_bytes(), "key").expect("pem"),
            )
            .expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = config.clone();
            let keep = keep.clone();
            std::thread::spawn(move || {
                let Ok(conn) = ServerConnection::new(config) else {
                    return;
                };
                let mut tls = StreamOwned::new(conn, tcp);
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&got).into_owned();
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let head_end = text.find("\r\n\r\n").map_or(0, |i| i + 4);
                while got.len() < head_end + len {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let with_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
                keep.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&got).into_owned());
                let body = String::from_utf8_lossy(&got[head_end..]).into_owned();
                let answer = match behaviour {
                    Behaviour::Echo => {
                        let b = format!("cert={with_cert} body={body}");
                        format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{b}", b.len())
                    }
                    Behaviour::Chunked => {
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".to_string()
                    }
                    Behaviour::Stall => {
                        std::thread::sleep(Duration::from_secs(20));
                        return;
                    }
                };
                let _ = tls.write_all(answer.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (port, seen)
}

fn post(port: u16, tls: ClientTls, timeout_ms: u64) -> HttpsCall {
    HttpsCall {
        url: format!("https://127.0.0.1:{port}/review?timeout=10s"),
        method: "POST".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: br#"{"kind":"TokenReview"}"#.to_vec(),
        tls,
        timeout_ms,
    }
}

async fn scenarios<N: gatehouse_host::net::Net>(net: N) {
    let ca = pki::new_ca("webhook-ca").expect("CA");
    let client_ca = pki::new_ca("client-ca").expect("client CA");
    let now = SystemTime::now();
    let client = pki::issue_client_cert(
        &client_ca,
        "gatehouse",
        &[],
        now - Duration::from_secs(60),
        now + Duration::from_secs(3600),
    )
    .expect("client cert");
    let trusted = ClientTls {
        ca_pem: ca.cert_pem.as_bytes().to_vec(),
        client_cert_pem: client.cert_pem.as_bytes().to_vec(),
        client_key_pem: client.key_pem.as_bytes().to_vec(),
        ..ClientTls::default()
    };

    // A trusted server that checks the client certificate.
    let (port, seen) = server(&ca, Some(&client_ca), Behaviour::Echo);
    let r = https::call(&net, &post(port, trusted.clone(), 10_000))
        .await
        .expect("an answer");
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        r#"cert=true body={"kind":"TokenReview"}"#
    );
    assert!(r.headers.contains(&("content-type".into(), "text/plain".into())));
    let request = seen.lock().expect("lock")[0].clone();
    assert!(
        request.starts_with(&format!(
            "POST /review?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        )),
        "{request}"
    );
    assert!(request.contains("Connection: close\r\n"), "{request}");

    // The same server refuses a client without a certificate.
    let no_cert = ClientTls {
        ca_pem: ca.cert_pem.as_bytes().to_vec(),
        ..ClientTls::default()
    };
    let refused = https::call(&net, &post(port, no_cert, 10_000)).await;
    assert!(refused.is_err(), "{refused:?}");

    // A server whose certificate another authority signed is refused.
    let other = pki::new_ca("other-ca").expect("CA");
    let (port, _) = server(&other, None, Behaviour::Echo);
    let r = https::call(&net, &post(port, trusted.clone(), 10_000)).await;
    assert_eq!(r, Err(NetError::Tls(TlsFailure::UnknownAuthority)));
    assert_eq!(
        r.unwrap_err().to_string(),
        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    );
    // ...unless the call says not to check (insecure-skip-tls-verify).
    let insecure = ClientTls {
        insecure: true,
        ..ClientTls::default()
    };
    let r = https::call(&net, &post(port, insecure, 10_000))
        .await
        .expect("an answer");
    assert_eq!(r.status, 200);

    // A name the certificate does not carry is refused.
    let mut wrong_name = trusted.clone();
    wrong_name.server_name = Some("webhook.elsewhere".into());
    let (port, _) = server(&ca, None, Behaviour::Echo);
    let r = https::call(&net, &post(port, wrong_name, 10_000)).await;
    assert_eq!(r, Err(NetError::Tls(TlsFailure::NameMismatch)));

    // A chunked answer is read whole.
    let (port, _) = server(&ca, None, Behaviour::Chunked);
    let r = https::call(&net, &post(port, trusted.clone(), 10_000))
        .await
        .expect("an answer");
    assert_eq!(r.body, b"hello world");

    // A server slower than the deadline: the call ends at it.
    let (port, _) = server(&ca, None, Behaviour::Stall);
    let started = std::time::Instant::now();
    let r = https::call(&net, &post(port, trusted, 300)).await;
    assert_eq!(
        r,
        Err(NetError::TimedOut {
            addr: format!("127.0.0.1:{port}")
        })
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn https_calls_on_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async { scenarios(gatehouse_tokio::TokioNet::current()).await });
}

#[test]
fn https_calls_on_smol() {
    let ex = Arc::new(smol::Executor::new());
    let net = gatehouse_smol::SmolNet::new(ex.clone());
    smol::block_on(ex.run(scenarios(net)));
}
