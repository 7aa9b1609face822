//! The driver: one loop that owns the core server and carries inputs in and outputs out.
//!
//! Written once for both runtimes. It follows the core's run-loop contract: apply one input,
//! drain every output, arm the timer the core asks for. Runtimes hand in a sleep function and
//! feed [`Input`]s from their connection tasks; the storage thread feeds its reports.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gatehouse_core::{Completion, ConnId, Effect, EffectId, Now, Output, Peer, Server};

use crate::net::Net;
use crate::relay::RelayConfig;
use crate::store::{StoreCmd, StoreReport};

/// Most writes queued for one connection; a client that does not read is disconnected
/// rather than allowed to pin memory.
pub const CONN_QUEUE: usize = 1024;

/// Commands to a connection's writer task.
#[derive(Debug)]
pub enum ConnCmd {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Flush and close.
    Close,
}

/// Inputs of the driver.
pub enum Input {
    /// A connection finished its TLS handshake.
    Connected {
        /// Its id.
        conn: ConnId,
        /// The peer's address and certificate chain.
        peer: Peer,
        /// Where to send its writes.
        tx: async_channel::Sender<ConnCmd>,
    },
    /// Bytes read from a connection.
    Bytes(ConnId, Vec<u8>),
    /// A connection closed.
    Closed(ConnId),
    /// A storage report.
    Store(StoreReport),
    /// What came of an effect run outside the storage thread (a dial, a relay).
    Effect(EffectId, Completion),
    /// `--client-ca-file` changed: its certificates (DER).
    ClientCa(Vec<Vec<u8>>),
    /// `--authorization-config` changed: the new chain.
    Authorizers(Vec<std::sync::Arc<dyn gatehouse_core::authz::Authorizer>>),
    /// Stop serving.
    Shutdown,
}

/// The clock the driver reads; the core only ever sees what it returns.
pub struct Clock {
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start: Instant::now(),
        }
    }
}

impl Clock {
    /// Now.
    pub fn now(&self) -> Now {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Now {
            mono_ms: self.start.elapsed().as_millis() as u64,
            wall_ms,
        }
    }

    fn until(&self, mono_ms: u64) -> Duration {
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(mono_ms.saturating_sub(now))
    }
}

/// Runs the server until [`Input::Shutdown`] or every input sender is gone.
///
/// `ready` receives one message when start-up has finished (the system namespaces exist).
pub async fn run<N: Net>(
    mut server: Server,
    inputs: async_channel::Receiver<Input>,
    store: mpsc::Sender<StoreCmd>,
    ready: async_channel::Sender<()>,
    relays: RelayConfig,
    net: N,
) {
    let clock = Clock::default();
    // Dials and relays run as tasks on the runtime and report here.
    let (side_tx, side) = async_channel::unbounded::<Input>();
    let mut outside = Outside {
        net: net.clone(),
        relays,
        side: side_tx,
        cancels: HashMap::new(),
    };
    let mut conns: HashMap<ConnId, async_channel::Sender<ConnCmd>> = HashMap::new();
    // Inputs that arose while draining outputs, applied after the drain.
    let mut later: VecDeque<Input> = VecDeque::new();
    let mut announced = false;
    server.start(clock.now());
    loop {
        drain(&mut server, &mut conns, &store, &mut outside, &mut later);
        if !announced && server.is_ready() {
            announced = true;
            let _ = ready.try_send(());
        }
        let next = match later.pop_front() {
            Some(input) => Some(Ok(input)),
            None => {
                let wait = server
                    .poll_timeout()
                    .map(|t| clock.until(t))
                    .unwrap_or(Duration::from_secs(3600));
                let reported = async {
                    match side.recv().await {
                        Ok(input) => Some(Ok(input)),
                        Err(_) => std::future::pending().await,
                    }
                };
                // Raced, not polled in a fixed order: a busy client must not starve the answers
                // of effects (webhooks, relays) or the timer.
                futures_lite::future::race(
                    futures_lite::future::race(async { Some(inputs.recv().await) }, reported),
                    async {
                        net.sleep(wait).await;
                        None
                    },
                )
                .await
            }
        };
        let now = clock.now();
        match next {
            Some(Ok(Input::Effect(id, completion))) => {
                if completion.is_final() {
                    outside.cancels.remove(&id);
                }
                server.handle_effect(now, id, completion)
            }
            None => server.handle_timeout(now),
            Some(Err(_)) | Some(Ok(Input::Shutdown)) => break,
            Some(Ok(Input::Connected { conn, peer, tx })) => {
                conns.insert(conn, tx);
                server.handle_connect(now, conn, peer);
            }
            Some(Ok(Input::Bytes(conn, bytes))) => server.handle_bytes(now, conn, &bytes),
            Some(Ok(Input::ClientCa(der))) => server.set_client_ca(der),
            Some(Ok(Input::Authorizers(chain))) => server.set_authorizers(chain),
            Some(Ok(Input::Closed(conn))) => {
                conns.remove(&conn);
                server.handle_closed(now, conn);
            }
            Some(Ok(Input::Store(StoreReport::Done(op, result)))) => {
                server.handle_effect(now, op, Completion::Storage(result))
            }
            Some(Ok(Input::Store(StoreReport::Events(watch, events)))) => {
                server.handle_watch_events(now, watch, events)
            }
            Some(Ok(Input::Store(StoreReport::WatchCompacted(watch)))) => {
                server.handle_watch_failed(now, watch, true)
            }
            Some(Ok(Input::Store(StoreReport::Progress(revision)))) => {
                server.handle_watch_progress(now, revision)
            }
        }
    }
    for (_, tx) in conns.drain() {
        let _ = tx.try_send(ConnCmd::Close);
    }
    let _ = store.send(StoreCmd::Stop);
}

/// What the driver runs outside itself: dials and relays, as tasks on the runtime.
struct Outside<N> {
    net: N,
    relays: RelayConfig,
    side: async_channel::Sender<Input>,
    /// Closed to stop a relay whose client has gone.
    cancels: HashMap<EffectId, async_channel::Sender<()>>,
}

/// Executes every output the server has. What fails here (a connection that stopped
/// reading, an effect that could not start) is queued in `later` as an input.
fn drain<N: Net>(
    server: &mut Server,
    conns: &mut HashMap<ConnId, async_channel::Sender<ConnCmd>>,
    store: &mpsc::Sender<StoreCmd>,
    outside: &mut Outside<N>,
    later: &mut VecDeque<Input>,
) {
    while let Some(out) = server.poll_output() {
        match out {
            Output::Write { conn, bytes } => {
                let Some(tx) = conns.get(&conn) else { continue };
                if tx.try_send(ConnCmd::Write(bytes)).is_err() {
                    // The client stopped reading: drop it instead of buffering without end.
                    if let Some(tx) = conns.remove(&conn) {
                        tx.close();
                    }
                    later.push_back(Input::Closed(conn));
                }
            }
            Output::Close { conn } => {
                if let Some(tx) = conns.remove(&conn) {
                    if tx.try_send(ConnCmd::Close).is_err() {
                        tx.close();
                    }
                }
            }
            Output::Effect {
                id,
                effect: Effect::Storage(request),
            } => {
                if store.send(StoreCmd::Run(id, request)).is_err() {
                    let gone = gatehouse_core::storage::StorageError::Unavailable("storage stopped".into());
                    later.push_back(Input::Effect(id, Completion::Storage(Err(gone))));
                }
            }
            Output::StartWatch {
                watch,
                prefix,
                from_revision,
            } => {
                let _ = store.send(StoreCmd::Watch {
                    watch,
                    prefix,
                    from: from_revision,
                });
            }
            Output::Effect {
                id,
                effect: Effect::Dial { host, port },
            } => {
                let tx = outside.side.clone();
                let net = outside.net.clone();
                outside.net.spawn(Box::pin(async move {
                    let outcome = crate::kubelet::dial(&net, &host, port).await;
                    let _ = tx.send(Input::Effect(id, Completion::Dial(outcome))).await;
                }));
            }
            Output::Effect {
                id,
                effect:
                    Effect::Relay {
                        host,
                        port,
                        tls,
                        request,
                    },
            } => {
                let tx = outside.side.clone();
                let net = outside.net.clone();
                let config = outside.relays.clone();
                let (cancel_tx, cancel) = async_channel::bounded::<()>(1);
                outside.cancels.insert(id, cancel_tx);
                outside.net.spawn(Box::pin(async move {
                    let report = |event| {
                        // The side channel is unbounded: this fails only once the driver is gone.
                        let _ = tx.try_send(Input::Effect(id, Completion::Relay(event)));
                    };
                    crate::relay::run(&net, &config, (&host, port, tls), &request, &cancel, report).await;
                }));
            }
            Output::Effect {
                id,
                effect: Effect::Https(call),
            } => {
                let tx = outside.side.clone();
                let net = outside.net.clone();
                outside.net.spawn(Box::pin(async move {
                    let answer = crate::https::call(&net, &call).await;
                    let _ = tx.send(Input::Effect(id, Completion::Https(answer))).await;
                }));
            }
            Output::Effect {
                id,
                effect: Effect::Timer { after_ms },
            } => {
                let tx = outside.side.clone();
                let net = outside.net.clone();
                outside.net.spawn(Box::pin(async move {
                    net.sleep(std::time::Duration::from_millis(after_ms)).await;
                    let _ = tx.send(Input::Effect(id, Completion::Timer)).await;
                }));
            }
            Output::Cancel { id } => {
                if let Some(cancel) = outside.cancels.remove(&id) {
                    cancel.close();
                }
            }
            Output::Log(line) => eprintln!("gatehouse: {line}"),
        }
    }
}
