//! A real HTTPS webhook server for tests: TLS with a certificate of its own CA, one
//! HTTP/1.1 request per connection, answered by a closure of the request's path, headers and
//! body. It records what it was sent, and stops when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gatehouse_host::pki::{self, CertKeyPem};
use rustls::{ServerConnection, StreamOwned};

/// One request the webhook received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request line's path.
    pub path: String,
    /// Header lines, `name: value` with the name lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The answer: status code and JSON body.
pub type Answer = Box<dyn Fn(&Received) -> (u16, String) + Send + Sync>;

/// A running webhook.
pub struct WebhookServer {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// Its CA, for the client's trust.
    pub ca: CertKeyPem,
    /// What it was sent, in order.
    pub received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl WebhookServer {
    /// Starts a webhook answering every request with `answer`.
    pub fn start(answer: Answer) -> WebhookServer {
        Self::start_at(answer, "127.0.0.1".parse().expect("an address"), &["localhost"])
    }

    /// Starts a webhook at `ip` (any port) whose certificate names `ip` and `names` (a
    /// Service's `<name>.<namespace>.svc`, say).
    pub fn start_at(answer: Answer, ip: std::net::IpAddr, names: &[&str]) -> WebhookServer {
        let ca = pki::new_ca("webhook-ca").expect("a CA");
        let ip_text = ip.to_string();
        let mut sans = vec![ip_text.as_str()];
        sans.extend_from_slice(names);
        let serving = pki::issue_serving_cert_for(&ca, &sans).expect("a serving cert");
        let tls =
            gatehouse_host::tls::server_config(serving.cert_pem.as_bytes(), serving.key_pem.as_bytes(), None)
                .expect("a TLS config");
        let listener = TcpListener::bind((ip, 0)).expect("binding");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("https://{}", listener.local_addr().expect("an address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping) = (received.clone(), stop.clone());
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                let (tcp, _) = match listener.accept() {
                    Ok(c) => c,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                };
                let _ = tcp.set_nonblocking(false);
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                let (tls, seen, answer) = (tls.clone(), seen.clone(), answer.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = ServerConnection::new(tls) else {
                        return;
                    };
                    let mut stream = StreamOwned::new(conn, tcp);
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    seen.lock().unwrap().push(request.clone());
                    let (status, body) = answer(&request);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes());
                    let _ = stream.flush();
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                });
            }
        });
        WebhookServer {
            url,
            ca,
            received,
            stop,
        }
    }

    /// A kubeconfig naming this webhook at `path` (its URL plus `path`), trusting its CA and
    /// presenting `token`.
    pub fn kubeconfig(&self, path: &str, token: &str) -> String {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca.cert_pem);
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hook\n  cluster:\n    server: {}{path}\n    certificate-authority-data: {ca}\nusers:\n- name: apiserver\n  user:\n    token: {token}\ncontexts:\n- name: hook\n  context:\n    cluster: hook\n    user: apiserver\ncurrent-context: hook\n",
            self.url
        )
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_request<S: Read>(stream: &mut S) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received { path, headers, body })
}
