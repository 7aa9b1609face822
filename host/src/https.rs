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
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = after
                .strip_prefix(':')
                .map(str::parse)
                .transpose()
                .map_err(|_| bad())?;
            (host.to_string(), port.unwrap_or(443))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), 443),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            host,
            port,
            path: path.to_string(),
        })
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
        .write_all(&request_bytes(call, target))
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
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
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

/// The request's bytes: one HTTP/1.1 request asking the server to close after its answer.
fn request_bytes(call: &HttpsCall, target: &Target) -> Vec<u8> {
    let host = if target.port == 443 {
        target.host.clone()
    } else if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {host}\r\n", call.method, target.path);
    for (k, v) in &call.headers {
        let skip = ["host", "content-length", "connection", "transfer-encoding"];
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
    bytes
}

async fn read_all(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    peer: &str,
) -> Result<Vec<u8>, NetError> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return Ok(out),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > MAX_RESPONSE {
                    return Ok(out);
                }
                if complete(&out) {
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

/// Whether `raw` already holds a whole response framed by its length or chunks.
fn complete(raw: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head)) = resp.parse(raw) else {
        return false;
    };
    let body = &raw[head..];
    if is_chunked(resp.headers) {
        return dechunk(body).is_some();
    }
    match content_length(resp.headers) {
        Some(n) => body.len() >= n,
        None => false,
    }
}

fn is_chunked(headers: &[httparse::Header<'_>]) -> bool {
    headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            && String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("chunked")
    })
}

fn content_length(headers: &[httparse::Header<'_>]) -> Option<usize> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
}

/// The answer in `raw`: status, headers and the whole body.
fn parse_response(raw: &[u8]) -> Option<HttpsResponse> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = resp.parse(raw).ok()? else {
        return None;
    };
    let rest = &raw[head..];
    let body = if is_chunked(resp.headers) {
        dechunk(rest)?
    } else {
        match content_length(resp.headers) {
            Some(n) => rest.get(..n)?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(HttpsResponse {
        status: resp.code?,
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body,
    })
}

/// The body of a chunked transfer, once it has ended.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
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
    }

    #[test]
    fn answers_are_read_by_length_by_chunks_or_to_the_end() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiXX").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hi"[..]));
        let chunked =
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert!(complete(chunked));
        assert_eq!(parse_response(chunked).unwrap().body, b"abcde");
        assert!(!complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"
        ));
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\ngone").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"gone"[..]));
        assert!(parse_response(b"garbage").is_none());
    }
}
