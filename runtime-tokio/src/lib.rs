//! gatehouse-tokio: Gatehouse on the tokio runtime.
//!
//! Listeners, TLS handshakes and per-connection read and write tasks; everything else is the
//! shared driver of `gatehouse-host` around the pure core. [`start`] runs a server inside the
//! calling process (for tests of controllers, or of Gatehouse itself).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::{ConnId, Peer};
use gatehouse_host::driver::{self, ConnCmd, Input, CONN_QUEUE};
use gatehouse_host::flags::Flags;
use gatehouse_host::launch;
use gatehouse_host::tls::ServingTls;
use gatehouse_host::HostError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

mod net;
pub use net::TokioNet;

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The admin kubeconfig, when Gatehouse generated its certificates.
    pub kubeconfig: Option<PathBuf>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The cluster CA and admin credentials, when generated.
    pub pki: Option<gatehouse_host::pki::Pki>,
    inputs: async_channel::Sender<Input>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops the server and waits for the driver to finish.
    pub async fn stop(self) {
        let _ = self.inputs.send(Input::Shutdown).await;
        let _ = self.done.await;
    }

    /// Waits until the server stops by itself.
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// Starts Gatehouse with `flags` on the current tokio runtime and returns once it is ready
/// (storage loaded, system namespaces present) and listening.
pub async fn start(flags: Flags) -> Result<Running, HostError> {
    let prepared = launch::prepare(&flags)?;
    let listener = TcpListener::bind(prepared.bind)
        .await
        .map_err(|e| HostError::io(prepared.bind.to_string(), e))?;
    let addr = listener.local_addr().map_err(|e| HostError::io("listener", e))?;
    let a = prepared.assemble(addr)?;
    let done = tokio::spawn(driver::run(
        a.server,
        a.inputs_rx,
        a.store,
        a.ready_tx,
        a.relays,
        TokioNet::current(),
    ));
    let _ = a.ready_rx.recv().await;
    tokio::spawn(accept_loop(listener, a.tls, a.inputs.clone()));
    Ok(Running {
        addr,
        kubeconfig: a.kubeconfig,
        data_dir: a.data_dir,
        pki: a.pki,
        inputs: a.inputs,
        done,
    })
}

async fn accept_loop(listener: TcpListener, tls: Arc<ServingTls>, inputs: async_channel::Sender<Input>) {
    let next = Arc::new(AtomicU64::new(1));
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if inputs.is_closed() {
            return;
        }
        let conn = ConnId(next.fetch_add(1, Ordering::Relaxed));
        // The configuration current now: a client CA added since start-up is named.
        let acceptor = TlsAcceptor::from(tls.config());
        tokio::spawn(serve_conn(tcp, remote, conn, acceptor, inputs.clone()));
    }
}

async fn serve_conn(
    tcp: TcpStream,
    remote: SocketAddr,
    conn: ConnId,
    acceptor: TlsAcceptor,
    inputs: async_channel::Sender<Input>,
) {
    let _ = tcp.set_nodelay(true);
    // A client that never finishes its handshake must not hold a task forever.
    let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await else {
        return;
    };
    let cert_chain = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.to_vec()).collect())
        .unwrap_or_default();
    let (mut rd, mut wr) = tokio::io::split(tls);
    let (tx, rx) = async_channel::bounded::<ConnCmd>(CONN_QUEUE);
    let peer = Peer {
        remote: remote.to_string(),
        cert_chain,
    };
    if inputs.send(Input::Connected { conn, peer, tx }).await.is_err() {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Ok(cmd) = rx.recv().await {
            match cmd {
                ConnCmd::Write(bytes) => {
                    if wr.write_all(&bytes).await.is_err() {
                        break;
                    }
                    if rx.is_empty() && wr.flush().await.is_err() {
                        break;
                    }
                }
                ConnCmd::Close => break,
            }
        }
        let _ = wr.flush().await;
        let _ = wr.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if inputs.send(Input::Bytes(conn, buf[..n].to_vec())).await.is_err() {
                        break;
                    }
                }
            },
            _ = wait_finished(&writer) => break,
        }
    }
    let _ = inputs.send(Input::Closed(conn)).await;
    let _ = writer.await;
}

async fn wait_finished(h: &tokio::task::JoinHandle<()>) {
    while !h.is_finished() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Parses flags from the command line and serves until interrupted.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> Result<(), HostError> {
    use clap::Parser;
    let flags = Flags::parse_from(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| HostError::io("tokio runtime", e))?;
    rt.block_on(async move {
        let running = start(flags).await?;
        announce(&running);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = wait_finished(&running.done) => {}
        }
        running.stop().await;
        Ok(())
    })
}

/// Prints where the server listens and how to point kubectl at it.
pub fn announce(r: &Running) {
    eprintln!(
        "gatehouse: serving the Kubernetes API on https://{} (tokio runtime)",
        r.addr
    );
    if let Some(k) = &r.kubeconfig {
        eprintln!(
            "gatehouse: point kubectl at it with:  export KUBECONFIG={}",
            k.display()
        );
    }
}
