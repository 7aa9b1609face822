//! The outbound HTTPS client the core's [`Effect::Https`](gatehouse_core::Effect::Https)
//! calls go through (webhooks, OIDC discovery and keys): one HTTP/1.1 request over rustls,
//! trusting the call's CA bundle (or the system's roots when it names none), presenting its
//! client certificate when it has one, and ending at the deadline the core gave.

use std::sync::Arc;
use std::time::Duration;

use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use gatehouse_core::server::TlsFailure;
use gatehouse_core::{ClientTls, HttpsCall, HttpsResponse, NetError};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};

use gatehouse_core::http::client::{head_framing, is_complete, parse_response, Framing};

use crate::net::{within, Net};
use crate::relay::NoVerification;
use crate::tls::{certs_from_pem, key_from_pem, provider};

/// The largest answer read; a server sending more is cut off (kube-apiserver's webhook
/// clients stop reading well before this).
const MAX_RESPONSE: usize = 16 << 20;

/// Runs `call` and returns the server's whole answer, or why there is none.
pub async fn call<N: Net>(net: &N, call: &HttpsCall) -> Result<HttpsResponse, NetError> {
    let target = Target::parse(&call.url)?;
    let deadline = Duration::from_millis(call.timeout_ms.max(1));
    let addr = format!("{}:{}", target.host, target.port);
    match within(net, deadline, exchange(net, call, &target)).await {
        Some(result) => result,
        None => Err(NetError::TimedOut { addr }),
    }
}

/// Where a URL points.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    /// Path and query, at least `/`.
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, NetError> {
        let bad = || NetError::Connect {
            addr: url.to_string(),
            why: "not an https URL".into(),
        };
        let rest = url.strip_prefix("https://").ok_or_else(bad)?;
        // A fragment is the client's own: it is never sent.
        let rest = rest.split('#').next().unwrap_or(rest);
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => 443,
                _ => after
                    .strip_prefix(':')
                    .ok_or_else(bad)?
                    .parse()
                    .map_err(|_| bad())?,
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), 443),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Target { host, port, path })
    }
}

async fn exchange<N: Net>(net: &N, call: &HttpsCall, target: &Target) -> Result<HttpsResponse, NetError> {
    let config = client_config(&call.tls)?;
    let tcp = crate::kubelet::connect(net, &target.host, target.port).await?;
    let peer = format!("{}:{}", target.host, target.port);
    let name = call
        .tls
        .server_name
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let name = ServerName::try_from(name.clone())
        .map_err(|e| NetError::Tls(TlsFailure::InvalidName(format!("{name:?}: {e}"))))?;
    let mut stream = futures_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| crate::relay::io_error("write", &peer, &e))?;
    stream
        .write_all(&request_bytes(call, target)?)
        .await
        .map_err(|e| crate::relay::io_error("write", &peer, &e))?;
    stream
        .flush()
        .await
        .map_err(|e| crate::relay::io_error("write", &peer, &e))?;
    let raw = read_all(&mut stream, &peer).await?;
    parse_response(&raw).ok_or_else(|| NetError::Io {
        op: "read",
        peer,
        kind: gatehouse_core::server::IoFailure::Other("malformed HTTP response".into()),
    })
}

/// The TLS client of one call.
fn client_config(tls: &ClientTls) -> Result<Arc<ClientConfig>, NetError> {
    let bad = |why: String| NetError::Tls(TlsFailure::Other(why));
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| bad(e.to_string()))?;
    let builder = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification))
    } else {
        let mut roots = RootCertStore::empty();
        if tls.ca_pem.is_empty() {
            for cert in native_roots() {
                let _ = roots.add(cert.clone());
            }
        } else {
            for cert in
                certs_from_pem(&tls.ca_pem, "certificate authority").map_err(|e| bad(e.to_string()))?
            {
                roots.add(cert).map_err(|e| bad(e.to_string()))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = if tls.client_cert_pem.is_empty() {
        builder.with_no_client_auth()
    } else {
        let certs =
            certs_from_pem(&tls.client_cert_pem, "client certificate").map_err(|e| bad(e.to_string()))?;
        let key = key_from_pem(&tls.client_key_pem, "client key").map_err(|e| bad(e.to_string()))?;
        builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| bad(e.to_string()))?
    };
    Ok(Arc::new(config))
}

/// The system's trust roots, read from disk once per process.
fn native_roots() -> &'static [rustls::pki_types::CertificateDer<'static>] {
    static ROOTS: std::sync::OnceLock<Vec<rustls::pki_types::CertificateDer<'static>>> =
        std::sync::OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// The request's bytes: one HTTP/1.1 request asking the server to close after its answer.
/// A method or header that would not be one token (or one line) is refused rather than sent.
fn request_bytes(call: &HttpsCall, target: &Target) -> Result<Vec<u8>, NetError> {
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !br#"()<>@,;:\"/[]?={}"#.contains(&b))
    };
    let invalid = |what: &str| NetError::Connect {
        addr: format!("{}:{}", target.host, target.port),
        why: format!("invalid {what} in the request"),
    };
    if !is_token(&call.method) {
        return Err(invalid("method"));
    }
    for (k, v) in &call.headers {
        if !is_token(k) || v.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(invalid("header"));
        }
    }
    let bracketed = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let host = if target.port == 443 {
        bracketed
    } else {
        format!("{bracketed}:{}", target.port)
    };
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {host}\r\n", call.method, target.path);
    for (k, v) in &call.headers {
        let skip = [
            "host",
            "content-length",
            "connection",
            "transfer-encoding",
            "expect",
        ];
        if !skip.contains(&k.to_ascii_lowercase().as_str()) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        call.body.len()
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&call.body);
    Ok(bytes)
}

async fn read_all(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    peer: &str,
) -> Result<Vec<u8>, NetError> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    // Once the head is in: where the body starts and how it is framed.
    let mut framing: Option<(usize, Framing)> = None;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return Ok(out),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > MAX_RESPONSE {
                    return Err(NetError::Io {
                        op: "read",
                        peer: peer.to_string(),
                        kind: gatehouse_core::server::IoFailure::Other("response too large".into()),
                    });
                }
                if framing.is_none() {
                    framing = head_framing(&mut out);
                }
                if is_complete(&out, framing) {
                    return Ok(out);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A server that closes without close_notify has still said all it had.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(out),
            Err(e) => return Err(crate::relay::io_error("read", peer, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        let t = Target::parse("https://webhook.example:8443/validate?timeout=5s").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("webhook.example", 8443, "/validate?timeout=5s")
        );
        let t = Target::parse("https://issuer.example").unwrap();
        assert_eq!((t.port, t.path.as_str()), (443, "/"));
        let t = Target::parse("https://[::1]:9443/x").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9443));
        assert!(Target::parse("http://plain.example/").is_err());
        assert!(Target::parse("https://:80/").is_err());
        assert!(Target::parse("https://host:notaport/").is_err());
        assert!(Target::parse("https://[::1]junk/").is_err());
        assert!(Target::parse("https://host/a b").is_err());
        let t = Target::parse("https://host?x=1#frag").unwrap();
        assert_eq!(t.path, "/?x=1");
    }

    #[test]
    fn nothing_can_split_the_request() {
        let target = Target::parse("https://hook.example/x").unwrap();
        let call = |method: &str, headers: Vec<(String, String)>| HttpsCall {
            url: "https://hook.example/x".into(),
            method: method.into(),
            headers,
            body: Vec::new(),
            tls: ClientTls::default(),
            timeout_ms: 1,
        };
        let ok = request_bytes(&call("POST", vec![("X-A".into(), "b\tc".into())]), &target).unwrap();
        assert!(String::from_utf8(ok)
            .unwrap()
            .starts_with("POST /x HTTP/1.1\r\nHost: hook.example\r\nX-A: b\tc\r\n"));
        assert!(request_bytes(&call("GET /y HTTP/1.1\r\n", vec![]), &target).is_err());
        assert!(request_bytes(
            &call("POST", vec![("X-A".into(), "b\r\nX-Evil: 1".into())]),
            &target
        )
        .is_err());
        assert!(request_bytes(&call("POST", vec![("X A".into(), "b".into())]), &target).is_err());
        let v6 = Target::parse("https://[::1]/x").unwrap();
        let bytes = request_bytes(&call("GET", vec![]), &v6).unwrap();
        assert!(String::from_utf8(bytes).unwrap().contains("Host: [::1]\r\n"));
    }
}
