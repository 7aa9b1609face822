//! Connections to etcd: endpoint URLs, TCP through `async-io`, optional TLS through
//! `futures-rustls`, and the HTTP/2 handshake.
//!
//! The HTTP/2 library reads and writes through tokio's I/O traits; [`Io`] implements them on
//! top of the `futures-io` streams that `async-io` and `futures-rustls` provide. Only the traits
//! are borrowed from tokio: no tokio runtime exists anywhere in this client.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_io::{Async, Timer};
use bytes::Bytes;
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use rustls::pki_types::ServerName;

/// One etcd client URL, such as `http://127.0.0.1:2379` or `https://etcd-0:2379`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Whether to speak TLS.
    pub tls: bool,
    /// Host name or IP address (without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Endpoint {
    /// Parses `scheme://host:port`; a URL without scheme is taken as `http`, and one without port
    /// gets etcd's client port 2379.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else if url.contains("://") {
            return Err(format!(
                "{url}: only http:// and https:// etcd endpoints are supported"
            ));
        } else {
            (false, url)
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') {
            return Err(format!("{url}: expected scheme://host:port"));
        }
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, after) = r
                .split_once(']')
                .ok_or_else(|| format!("{url}: unterminated IPv6 address"))?;
            match after.strip_prefix(':') {
                Some(p) => (h.to_string(), Some(p)),
                None if after.is_empty() => (h.to_string(), None),
                None => return Err(format!("{url}: expected scheme://host:port")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (rest.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("{url}: invalid port {p:?}"))?,
            None => 2379,
        };
        if host.is_empty() {
            return Err(format!("{url}: missing host"));
        }
        Ok(Endpoint { tls, host, port })
    }

    /// `host:port` as the HTTP/2 `:authority`.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The URL again, for messages.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.authority()
        )
    }
}

/// A byte stream to etcd, plain or TLS, readable and writable through tokio's I/O traits.
pub enum Io {
    /// Plain TCP.
    Plain(Async<TcpStream>),
    /// TLS over TCP.
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

impl tokio::io::AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        let polled = match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, dst),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, dst),
        };
        match polled {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_close(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
        }
    }
}

/// Opens a TCP connection to the first address of `ep` that answers within `timeout`.
async fn tcp(ep: &Endpoint, timeout: Duration) -> io::Result<Async<TcpStream>> {
    // Name resolution is blocking; it runs on the etcd client's own thread, never on a
    // runtime's worker.
    let addrs: Vec<SocketAddr> = (ep.host.as_str(), ep.port).to_socket_addrs()?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{}: no address", ep.host));
    for addr in addrs {
        let attempt = futures_lite::future::or(Async::<TcpStream>::connect(addr), async {
            Timer::after(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))
        });
        match attempt.await {
            Ok(s) => {
                let _ = s.get_ref().set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = io::Error::new(e.kind(), format!("{addr}: {e}")),
        }
    }
    Err(last)
}

/// The HTTP/2 settings of the client: large windows so big lists stream without stalls.
fn h2_builder() -> h2::client::Builder {
    let mut b = h2::client::Builder::new();
    b.initial_window_size(4 << 20)
        .initial_connection_window_size(16 << 20)
        .max_frame_size(1 << 20)
        .max_header_list_size(1 << 20)
        .enable_push(false);
    b
}

/// An HTTP/2 connection: the handle to open streams, and the connection future that must be
/// polled for anything to move.
pub type Handshake = (h2::client::SendRequest<Bytes>, h2::client::Connection<Io, Bytes>);

/// Connects to `ep` (TCP, TLS when its scheme is `https`, HTTP/2), all within `timeout`.
pub async fn connect(ep: &Endpoint, tls: Option<&TlsConnector>, timeout: Duration) -> io::Result<Handshake> {
    let work = async {
        let tcp = tcp(ep, timeout).await?;
        let io = if ep.tls {
            let connector = tls.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "https endpoint without a TLS configuration",
                )
            })?;
            let name = ServerName::try_from(ep.host.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{}: {e}", ep.host)))?;
            Io::Tls(Box::new(connector.connect(name, tcp).await?))
        } else {
            Io::Plain(tcp)
        };
        h2_builder().handshake::<Io, Bytes>(io).await.map_err(h2_to_io)
    };
    futures_lite::future::or(work, async {
        Timer::after(timeout).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"))
    })
    .await
}

/// An HTTP/2 error as an I/O error, for messages.
pub fn h2_to_io(e: h2::Error) -> io::Error {
    if e.is_io() {
        if let Some(io) = e.get_io() {
            return io::Error::new(io.kind(), io.to_string());
        }
    }
    io::Error::other(e.to_string())
}

/// The TLS client configuration for `https` endpoints: trust `ca_pem`, present the client
/// certificate when given, offer HTTP/2 by ALPN (gRPC requires it).
pub fn tls_connector(
    ca_pem: &[u8],
    client: Option<(&[u8], &[u8])>,
) -> Result<TlsConnector, crate::HostError> {
    let base = crate::tls::client_config(ca_pem, client)?;
    let mut config = (*base).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("http://127.0.0.1:2379").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (false, "127.0.0.1", 2379));
        let e = Endpoint::parse("https://etcd-0.example:12379/").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (true, "etcd-0.example", 12379));
        let e = Endpoint::parse("https://[::1]:2379").unwrap();
        assert_eq!(
            (e.host.as_str(), e.authority()),
            ("::1", "[::1]:2379".to_string())
        );
        assert_eq!(Endpoint::parse("localhost").unwrap().port, 2379);
        assert!(Endpoint::parse("unix:///var/run/etcd.sock").is_err());
        assert!(Endpoint::parse("http://h:notaport").is_err());
    }
}
