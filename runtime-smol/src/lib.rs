//! gatehouse-smol: Gatehouse on the smol runtime, with no tokio anywhere.
//!
//! The same shape as the tokio runtime: a listener, TLS handshakes with futures-rustls, and
//! per-connection read and write tasks feeding the shared driver of `gatehouse-host`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_rustls::TlsAcceptor;
use gatehouse_core::{ConnId, Peer};
use gatehouse_host::driver::{self, ConnCmd, Input, CONN_QUEUE};
use gatehouse_host::flags::Flags;
use gatehouse_host::launch;
use gatehouse_host::tls::ServingTls;
use gatehouse_host::HostError;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::Executor;

mod net;
pub use net::SmolNet;

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
    done: smol::Task<()>,
}

impl Running {
    /// Stops the server and waits for the driver to finish.
    pub async fn stop(self) {
        let _ = self.inputs.send(Input::Shutdown).await;
        self.done.await;
    }
}

async fn sleep(d: Duration) {
    smol::Timer::after(d).await;
}

/// Starts Gatehouse with `flags` on `ex` and returns once it is ready and listening.
pub async fn start(ex: Arc<Executor<'static>>, flags: Flags) -> Result<Running, HostError> {
    let prepared = launch::prepare(&flags)?;
    let listener = TcpListener::bind(prepared.bind)
        .await
        .map_err(|e| HostError::io(prepared.bind.to_string(), e))?;
    let addr = listener.local_addr().map_err(|e| HostError::io("listener", e))?;
    let a = prepared.assemble(addr)?;
    let done = ex.spawn(driver::run(
        a.server,
        a.inputs_rx,
        a.store,
        a.ready_tx,
        a.relays,
        SmolNet::new(ex.clone()),
    ));
    let _ = a.ready_rx.recv().await;
    ex.spawn(accept_loop(ex.clone(), listener, a.tls, a.inputs.clone()))
        .detach();
    Ok(Running {
        addr,
        kubeconfig: a.kubeconfig,
        data_dir: a.data_dir,
        pki: a.pki,
        inputs: a.inputs,
        done,
    })
}

async fn accept_loop(
    ex: Arc<Executor<'static>>,
    listener: TcpListener,
    tls: Arc<ServingTls>,
    inputs: async_channel::Sender<Input>,
) {
    let mut next = 1u64;
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if inputs.is_closed() {
            return;
        }
        let conn = ConnId(next);
        next += 1;
        ex.spawn(serve_conn(
            ex.clone(),
            tcp,
            remote,
            conn,
            // The configuration current now: a client CA added since start-up is named.
            TlsAcceptor::from(tls.config()),
            inputs.clone(),
        ))
        .detach();
    }
}

async fn serve_conn(
    ex: Arc<Executor<'static>>,
    tcp: TcpStream,
    remote: SocketAddr,
    conn: ConnId,
    acceptor: TlsAcceptor,
    inputs: async_channel::Sender<Input>,
) {
    let _ = tcp.set_nodelay(true);
    let handshake = smol::future::or(async { acceptor.accept(tcp).await.ok() }, async {
        // A client that never finishes its handshake must not hold a task forever.
        sleep(Duration::from_secs(10)).await;
        None
    });
    let Some(tls) = handshake.await else { return };
    let cert_chain = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.to_vec()).collect())
        .unwrap_or_default();
    let (mut rd, mut wr) = smol::io::split(tls);
    let (tx, rx) = async_channel::bounded::<ConnCmd>(CONN_QUEUE);
    let peer = Peer {
        remote: remote.to_string(),
        cert_chain,
    };
    if inputs.send(Input::Connected { conn, peer, tx }).await.is_err() {
        return;
    }
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let writer = ex.spawn(async move {
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
        let _ = wr.close().await;
        drop(stop_tx);
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = smol::future::or(async { Some(rd.read(&mut buf).await) }, async {
            let _ = stop_rx.recv().await;
            None
        })
        .await;
        match read {
            Some(Ok(n)) if n > 0 => {
                if inputs.send(Input::Bytes(conn, buf[..n].to_vec())).await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
    let _ = inputs.send(Input::Closed(conn)).await;
    writer.await;
}

/// Parses flags from the command line and serves until interrupted.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> Result<(), HostError> {
    use clap::Parser;
    let flags = Flags::parse_from(args);
    let ex = Arc::new(Executor::new());
    // One thread per core runs the executor; the main thread drives it too.
    for _ in 1..std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) {
        let ex = ex.clone();
        std::thread::spawn(move || smol::block_on(ex.run(smol::future::pending::<()>())));
    }
    let (int_tx, int_rx) = async_channel::bounded::<()>(1);
    let _ = ctrlc::set_handler(move || {
        let _ = int_tx.try_send(());
    });
    smol::block_on(ex.clone().run(async move {
        let running = start(ex.clone(), flags).await?;
        eprintln!(
            "gatehouse: serving the Kubernetes API on https://{} (smol runtime)",
            running.addr
        );
        if let Some(k) = &running.kubeconfig {
            eprintln!(
                "gatehouse: point kubectl at it with:  export KUBECONFIG={}",
                k.display()
            );
        }
        let _ = int_rx.recv().await;
        running.stop().await;
        Ok(())
    }))
}
