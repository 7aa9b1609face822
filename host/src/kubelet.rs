//! Dials kubelets and proxy backends for the core, and words a failure as Go's dialer does,
//! since kube-apiserver's answer quotes it.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a dial may take, as kube-apiserver's kubelet client allows.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens and closes a TCP connection to `host:port`; `Err` says why it failed.
pub fn dial(host: &str, port: u16) -> Result<(), String> {
    connect(host, port).map(drop)
}

/// A TCP connection to `host:port` (each address of a name in turn); `Err` says why none
/// could be made, in Go's words.
pub fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs: Vec<_> = match (host, port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(_) => return Err(format!("dial tcp: lookup {host}: no such host")),
    };
    let mut last = format!("dial tcp: lookup {host}: no such host");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, DIAL_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => "connect: connection refused".to_string(),
                    std::io::ErrorKind::TimedOut => "i/o timeout".to_string(),
                    _ => format!("connect: {e}"),
                };
                last = format!("dial tcp {addr}: {why}");
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_refused_in_go_words() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        assert_eq!(
            dial("127.0.0.1", port),
            Err(format!("dial tcp 127.0.0.1:{port}: connect: connection refused"))
        );
        let open = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let port = open.local_addr().expect("its address").port();
        assert_eq!(dial("127.0.0.1", port), Ok(()));
    }
}
