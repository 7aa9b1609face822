//! Dials kubelets and proxy backends for the core, as tasks on the serving runtime; a failure
//! is reported as the core's typed [`NetError`], which words it as Go's dialer does.

use std::time::Duration;

use gatehouse_core::NetError;

use crate::net::{within, Net};

/// How long a dial may take, as kube-apiserver's kubelet client allows.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens and closes a TCP connection to `host:port`; `Err` says why it failed.
pub async fn dial<N: Net>(net: &N, host: &str, port: u16) -> Result<(), NetError> {
    connect(net, host, port).await.map(drop)
}

/// A TCP connection to `host:port` (each address of a name in turn); `Err` says why none
/// could be made (the last address's failure).
pub async fn connect<N: Net>(net: &N, host: &str, port: u16) -> Result<N::Tcp, NetError> {
    let no_such_host = || NetError::NoSuchHost {
        host: host.to_string(),
    };
    let Ok(addrs) = net.resolve(host.to_string(), port).await else {
        return Err(no_such_host());
    };
    let mut last = no_such_host();
    for addr in addrs {
        let shown = addr.to_string();
        last = match within(net, DIAL_TIMEOUT, net.connect(addr)).await {
            Some(Ok(stream)) => return Ok(stream),
            None => NetError::TimedOut { addr: shown },
            Some(Err(e)) => match e.kind() {
                std::io::ErrorKind::ConnectionRefused => NetError::Refused { addr: shown },
                std::io::ErrorKind::TimedOut => NetError::TimedOut { addr: shown },
                _ => NetError::Connect {
                    addr: shown,
                    why: e.to_string(),
                },
            },
        };
    }
    Err(last)
}
