//! Dials kubelets and proxy backends for the core; a failure is reported as the core's
//! typed [`NetError`], which words it as Go's dialer does.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use gatehouse_core::NetError;

/// How long a dial may take, as kube-apiserver's kubelet client allows.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens and closes a TCP connection to `host:port`; `Err` says why it failed.
pub fn dial(host: &str, port: u16) -> Result<(), NetError> {
    connect(host, port).map(drop)
}

/// A TCP connection to `host:port` (each address of a name in turn); `Err` says why none
/// could be made (the last address's failure).
pub fn connect(host: &str, port: u16) -> Result<TcpStream, NetError> {
    let no_such_host = || NetError::NoSuchHost {
        host: host.to_string(),
    };
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return Err(no_such_host());
    };
    let mut last = no_such_host();
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, DIAL_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                let addr = addr.to_string();
                last = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => NetError::Refused { addr },
                    std::io::ErrorKind::TimedOut => NetError::TimedOut { addr },
                    _ => NetError::Connect {
                        addr,
                        why: e.to_string(),
                    },
                };
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
        let refused = dial("127.0.0.1", port).map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err(format!("dial tcp 127.0.0.1:{port}: connect: connection refused"))
        );
        let open = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let port = open.local_addr().expect("its address").port();
        assert_eq!(dial("127.0.0.1", port), Ok(()));
    }
}
