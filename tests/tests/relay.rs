//! Relaying to kubelets and proxy backends that answer: `kubectl logs` reads a container's
//! log from a kubelet over TLS with the `--kubelet-client-certificate` credentials, and the
//! proxy subresources pass a request to a pod's HTTP server and its answer back.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use gatehouse_host::pki;
use gatehouse_tests::*;

/// What a fake backend saw of the one request it served.
#[derive(Debug)]
struct Seen {
    head: String,
    client_cn: Option<String>,
}

/// Reads a request head (and nothing more) from `stream`.
fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The CN of a DER certificate.
fn common_name(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let cn = cert
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some(cn)
}

/// A kubelet stand-in: serves one TLS request on `listener` with `body`, asking for a client
/// certificate, and reports what it saw.
fn fake_kubelet(
    listener: TcpListener,
    serving: pki::CertKeyPem,
    ca_pem: String,
    body: &'static str,
) -> mpsc::Receiver<Seen> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let config = gatehouse_host::tls::server_config(
            serving.cert_pem.as_bytes(),
            serving.key_pem.as_bytes(),
            Some(ca_pem.as_bytes()),
        )
        .expect("a TLS configuration");
        let Ok((tcp, _)) = listener.accept() else { return };
        let conn = rustls::ServerConnection::new(config).expect("a TLS connection");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let head = read_head(&mut tls);
        let client_cn = tls
            .conn
            .peer_certificates()
            .and_then(|c| c.first().and_then(|c| common_name(c)));
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = tls.write_all(answer.as_bytes());
        tls.conn.send_close_notify();
        let _ = tls.flush();
        let _ = tx.send(Seen { head, client_cn });
    });
    rx
}

/// A pod's HTTP server stand-in: serves one plain request with `body`.
fn fake_backend(listener: TcpListener, body: &'static str) -> mpsc::Receiver<Seen> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut tcp, _)) = listener.accept() else {
            return;
        };
        let head = read_head(&mut tcp);
        let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: pod\r\n\r\n{body}");
        let _ = tcp.write_all(answer.as_bytes());
        let _ = tx.send(Seen {
            head,
            client_cn: None,
        });
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_proxies_are_relayed_to_backends_that_answer() {
    let dir = TempDir::new("relay");
    // The credentials Gatehouse presents to kubelets, from a CA of their own.
    let kubelet_ca = pki::new_ca("kubelet-ca").expect("a CA");
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let client = pki::issue_client_cert(
        &kubelet_ca,
        "kube-apiserver-kubelet-client",
        &["system:masters"],
        now - hour,
        now + hour,
    )
    .expect("a kubelet client certificate");
    let cert = dir.write("kubelet-client.crt", &client.cert_pem);
    let key = dir.write("kubelet-client.key", &client.key_pem);
    let server = Server::start(
        Options::tokio()
            .memory()
            .arg(format!("--kubelet-client-certificate={}", cert.display()))
            .arg(format!("--kubelet-client-key={}", key.display())),
    )
    .await;
    let k = server.kubectl(&dir);
    let ns = unique("relay");
    k.ok(&["create", "namespace", &ns]).await;

    // A node whose kubelet answers, and a pod on it.
    let kubelet = TcpListener::bind("127.0.0.1:0").expect("a kubelet port");
    let kubelet_port = kubelet.local_addr().expect("its address").port();
    let serving = pki::issue_client_cert(&kubelet_ca, "kubelet", &[], now - hour, now + hour)
        .expect("a kubelet serving certificate");
    let seen = fake_kubelet(
        kubelet,
        serving,
        kubelet_ca.cert_pem.clone(),
        "line one\nline two\n",
    );
    let node = unique("node");
    node_with_pod(&k, &dir, &node, "127.0.0.1", kubelet_port, &ns, "web").await;

    let logs = k.ok(&["logs", "web", "-n", &ns, "--tail=2"]).await;
    assert_eq!(logs, "line one\nline two\n");
    let seen = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the kubelet was asked");
    assert!(
        seen.head.starts_with(&format!(
            "GET /containerLogs/{ns}/web/web?tailLines=2 HTTP/1.1\r\n"
        )),
        "{seen:?}"
    );
    assert_eq!(
        seen.client_cn.as_deref(),
        Some("kube-apiserver-kubelet-client"),
        "{seen:?}"
    );

    // A pod whose HTTP server answers: the path after /proxy, the query and the answer.
    let ip = routable_ip();
    let backend = TcpListener::bind((ip, 0)).expect("a backend port");
    let port = backend.local_addr().expect("its address").port();
    let seen = fake_backend(backend, "hello from the pod\n");
    k.ok(&["run", "app", "--image=nginx:1.27", "-n", &ns]).await;
    let pod_status = format!(r#"{{"status":{{"podIP":"{ip}","podIPs":[{{"ip":"{ip}"}}]}}}}"#);
    k.ok(&[
        "patch",
        "pod",
        "app",
        "-n",
        &ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        &pod_status,
    ])
    .await;
    let out = k
        .ok(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/{ns}/pods/app:{port}/proxy/healthz?verbose=1"),
        ])
        .await;
    assert_eq!(out, "hello from the pod\n");
    let seen = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the pod was asked");
    assert!(
        seen.head.starts_with("GET /healthz?verbose=1 HTTP/1.1\r\n"),
        "{seen:?}"
    );
    assert!(seen.head.contains(&format!("Host: {ip}:{port}\r\n")), "{seen:?}");
    assert!(
        !seen.head.to_ascii_lowercase().contains("authorization"),
        "{seen:?}"
    );

    // The backend's own headers come back too.
    let backend = TcpListener::bind((ip, 0)).expect("a backend port");
    let port = backend.local_addr().expect("its address").port();
    let _seen = fake_backend(backend, "again\n");
    let http = server.http(&dir);
    let r = http
        .get(&format!("/api/v1/namespaces/{ns}/pods/app:{port}/proxy/"))
        .await;
    assert_eq!(r.code, 200, "{r}");
    assert_eq!(r.header("x-backend").as_deref(), Some("pod"), "{r}");
    assert_eq!(r.body, "again\n");

    // A node's kubelet through nodes/proxy: TLS with the kubelet client credentials.
    let kubelet = TcpListener::bind((ip, 0)).expect("a kubelet port");
    let kubelet_port = kubelet.local_addr().expect("its address").port();
    let serving = pki::issue_client_cert(&kubelet_ca, "kubelet", &[], now - hour, now + hour)
        .expect("a kubelet serving certificate");
    let seen = fake_kubelet(
        kubelet,
        serving,
        kubelet_ca.cert_pem.clone(),
        "kubelet_running_pods 1\n",
    );
    let node = unique("node");
    node_with_pod(&k, &dir, &node, &ip.to_string(), kubelet_port, &ns, "").await;
    let out = k
        .ok(&["get", "--raw", &format!("/api/v1/nodes/{node}/proxy/metrics")])
        .await;
    assert_eq!(out, "kubelet_running_pods 1\n");
    let seen = seen
        .recv_timeout(Duration::from_secs(10))
        .expect("the kubelet was asked");
    assert!(seen.head.starts_with("GET /metrics HTTP/1.1\r\n"), "{seen:?}");
    assert_eq!(
        seen.client_cn.as_deref(),
        Some("kube-apiserver-kubelet-client"),
        "{seen:?}"
    );
    server.stop().await;
}

/// With `--kubelet-certificate-authority`, kubelets are checked: one whose serving
/// certificate the authority signed for its address is read, one another authority signed
/// is refused, and `kubectl logs` says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelets_are_checked_against_the_kubelet_authority() {
    let dir = TempDir::new("relay-ca");
    let trusted = pki::new_ca("trusted-kubelet-ca").expect("a CA");
    let other = pki::new_ca("other-ca").expect("a CA");
    let ca = dir.write("kubelet-ca.crt", &trusted.cert_pem);
    let server = Server::start(
        Options::smol()
            .memory()
            .arg(format!("--kubelet-certificate-authority={}", ca.display())),
    )
    .await;
    let k = server.kubectl(&dir);
    let ns = unique("relay-ca");
    k.ok(&["create", "namespace", &ns]).await;
    let mut answers = Vec::new();
    for (name, authority) in [("good", &trusted), ("forged", &other)] {
        let kubelet = TcpListener::bind("127.0.0.1:0").expect("a kubelet port");
        let port = kubelet.local_addr().expect("its address").port();
        let serving =
            pki::issue_serving_cert_for(authority, &["127.0.0.1"]).expect("a kubelet serving certificate");
        let seen = fake_kubelet(kubelet, serving, other.cert_pem.clone(), "the log\n");
        let node = unique(name);
        node_with_pod(&k, &dir, &node, "127.0.0.1", port, &ns, name).await;
        answers.push((name, port, k.run(&["logs", name, "-n", &ns]).await, seen));
    }
    let (_, _, good, _) = &answers[0];
    assert!(good.success() && good.stdout == "the log\n", "{good}");
    let (_, port, forged, _) = &answers[1];
    assert!(
        !forged.success() && !forged.stdout.contains("the log"),
        "{forged}"
    );
    assert!(
        forged.stderr.contains(&format!(
            "Get \"https://127.0.0.1:{port}/containerLogs/{ns}/forged/forged\": tls: failed to verify certificate: x509: certificate signed by unknown authority"
        )),
        "{forged}"
    );
    server.stop().await;
}
