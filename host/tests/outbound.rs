//! Outbound calls (kubelet dials, relays) as tasks on each runtime, against real sockets.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_core::{NetError, RelayEvent, RelayTls};
use gatehouse_host::kubelet;
use gatehouse_host::net::Net;
use gatehouse_host::relay::{self, RelayConfig};

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn dials<N: Net>(net: N) {
    let port = closed_port();
    let refused = kubelet::dial(&net, "127.0.0.1", port)
        .await
        .map_err(|e| e.to_string());
    assert_eq!(
        refused,
        Err(format!("dial tcp 127.0.0.1:{port}: connect: connection refused"))
    );
    let open = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = open.local_addr().expect("its address").port();
    assert_eq!(kubelet::dial(&net, "127.0.0.1", port).await, Ok(()));
    let unknown = kubelet::dial(&net, "no-such-host.invalid", 80).await;
    assert_eq!(
        unknown,
        Err(NetError::NoSuchHost {
            host: "no-such-host.invalid".into()
        })
    );
}

/// A backend that reads one request, answers `answer` and closes (or, without an answer,
/// holds the connection open until the test ends). Returns its port and what it read.
fn backend(answer: Option<&'static [u8]>) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = l.local_addr().expect("its address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).unwrap_or(0);
        keep.lock().expect("lock").extend_from_slice(&buf[..n]);
        match answer {
            Some(a) => {
                let _ = s.write_all(a);
            }
            None => std::thread::sleep(Duration::from_secs(30)),
        }
    });
    (port, seen)
}

/// Runs one relay to `127.0.0.1:port` and returns every event it reported.
async fn relay_events<N: Net>(
    net: &N,
    port: u16,
    tls: RelayTls,
    request: &[u8],
    cancel: &async_channel::Receiver<()>,
) -> Vec<RelayEvent> {
    let config = RelayConfig::new(None, None).expect("relay TLS");
    let events = Mutex::new(Vec::new());
    relay::run(net, &config, ("127.0.0.1", port, tls), request, cancel, |e| {
        events.lock().expect("lock").push(e)
    })
    .await;
    events.into_inner().expect("lock")
}

async fn relays<N: Net>(net: N) {
    let answer: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    let request = b"GET /x HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n";
    let (port, seen) = backend(Some(answer));
    let (_keep, cancel) = async_channel::bounded::<()>(1);
    let events = relay_events(&net, port, RelayTls::Plain, request, &cancel).await;
    let data: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            RelayEvent::Data(d) => Some(d.clone()),
            RelayEvent::End(_) => None,
        })
        .flatten()
        .collect();
    assert_eq!(data, answer);
    assert!(
        matches!(events.last(), Some(RelayEvent::End(Ok(())))),
        "{events:?}"
    );
    assert_eq!(&seen.lock().expect("lock")[..], request);

    // A backend that never answers: closing the cancel channel ends the relay at once.
    let (port, _) = backend(None);
    let (stop, cancel) = async_channel::bounded::<()>(1);
    let started = Instant::now();
    let stopper = net.clone();
    net.spawn(Box::pin(async move {
        stopper.sleep(Duration::from_millis(200)).await;
        stop.close();
    }));
    let events = relay_events(&net, port, RelayTls::Plain, request, &cancel).await;
    assert!(
        matches!(events.last(), Some(RelayEvent::End(Ok(())))),
        "{events:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the relay stopped when called off"
    );

    // Nothing listens: the end says why, in Go's words.
    let port = closed_port();
    let (_keep, cancel) = async_channel::bounded::<()>(1);
    let events = relay_events(&net, port, RelayTls::Insecure, request, &cancel).await;
    match events.last() {
        Some(RelayEvent::End(Err(e))) => assert_eq!(
            e.to_string(),
            format!("dial tcp 127.0.0.1:{port}: connect: connection refused")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn outbound_calls_run_on_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        dials(gatehouse_tokio::TokioNet::current()).await;
        relays(gatehouse_tokio::TokioNet::current()).await;
    });
}

#[test]
fn outbound_calls_run_on_smol() {
    let ex = Arc::new(smol::Executor::new());
    let net = gatehouse_smol::SmolNet::new(ex.clone());
    smol::block_on(ex.run(async {
        dials(net.clone()).await;
        relays(net).await;
    }));
}
