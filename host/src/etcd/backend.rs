//! The etcd storage thread: the same commands and reports as the embedded store's thread
//! ([`crate::store`]), served by etcd.
//!
//! The thread is a thin driver of a [`Session`](super::session::Session), which makes every
//! decision described below; the driver dials, sends, reads streams and keeps time.
//!
//! # Threads
//!
//! The thread runs a single-threaded executor (`async-executor`) driven by `async-io`, which
//! owns the sockets and the timers; a second small thread turns the blocking command channel
//! into an async one. Each call and each watch stream is a task of its own, whose result comes
//! back to the one loop that feeds the session. Requests run concurrently, each under the
//! session's deadline.
//!
//! # Watch events before answers
//!
//! The core asks for one watch per resource type ([`StoreCmd::Watch`], each with an id and a
//! key prefix); each runs on a watch stream of its own. The core's caches must never be behind
//! a write they were told about, so answers are held until the watches caught up with them:
//!
//! * a transaction that wrote keys under some watch's prefix waits until each watch covering
//!   those keys has reported an event at (or after) its revision: those events are reported
//!   first;
//! * any other answer (a read, a failed compare) waits until every watch has reported events
//!   or a progress notification at (or after) its revision; the thread asks each stream that
//!   is behind for a progress notification.
//!
//! Reports leave from this one thread, in the order the session makes them, so "events first,
//! then the answer" is an order, not a race. The wait is bounded ([`HOLD_LIMIT`]): a watch that
//! cannot catch up (etcd unreachable) delays answers by at most that long, and such an answer
//! is logged. The thread never reports [`StoreReport::Progress`] (see
//! [`Session`](super::session::Session)'s holding): the core reads storage instead.
//!
//! # Order of requests
//!
//! Requests run side by side, as kube-apiserver's do: the core never sends a request that
//! depends on another before that other is answered (its start-up, for one, creates the
//! system namespaces before anything inside them), and etcd orders the writes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_executor::{LocalExecutor, Task};
use async_io::Timer;
use bytes::Bytes;
use gatehouse_core::storage::{EventKind, StorageError, StorageEvent};
use h2::SendStream;

use super::client::{self, Channel, Client, Leases};
use super::grpc::{self, CallError};
use super::proto;
use super::session::{self, Answer, ConnId, Output, RpcId, Session, StreamId, WatchResponse};
use super::EtcdOptions;
use crate::error::HostError;
use crate::store::{StoreCmd, StoreReport};

pub use super::session::{COMPACT_REV_KEY, HOLD_LIMIT};

/// Starts the etcd storage thread, which reports through `report` (a `false` return stops it).
pub fn spawn(
    opts: EtcdOptions,
    report: impl Fn(StoreReport) -> bool + Send + 'static,
) -> Result<(mpsc::Sender<StoreCmd>, JoinHandle<()>), HostError> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("gatehouse-etcd".into())
        .spawn(move || run(opts, rx, report))
        .map_err(|e| HostError::io("etcd client thread", e))?;
    Ok((tx, handle))
}

/// Serves commands from `rx` until [`StoreCmd::Stop`], the channel closes, or `report`
/// returns `false`. Blocks the calling thread.
pub fn run(opts: EtcdOptions, rx: Receiver<StoreCmd>, report: impl Fn(StoreReport) -> bool + 'static) {
    let (tx, arx) = async_channel::unbounded::<StoreCmd>();
    let bridge = std::thread::Builder::new()
        .name("gatehouse-etcd-cmds".into())
        .spawn(move || {
            while let Ok(cmd) = rx.recv() {
                let stop = matches!(cmd, StoreCmd::Stop);
                if tx.send_blocking(cmd).is_err() || stop {
                    break;
                }
            }
        });
    if let Err(e) = bridge {
        eprintln!("gatehouse: etcd: cannot start the command thread: {e}");
        return;
    }
    let ex = Rc::new(LocalExecutor::new());
    async_io::block_on(ex.run(serve(ex.clone(), opts, arx, report)));
}

/// What the tasks of the thread found out, for the session.
enum Found {
    Dialed(ConnId, Result<Channel, String>),
    ConnLost(ConnId, String),
    Answered(RpcId, Result<Answer, CallError>),
    WatchOpened(StreamId),
    Watch(StreamId, WatchResponse),
    WatchBroken(StreamId, String),
}

/// One input of the loop.
enum Input {
    Cmd(Option<StoreCmd>),
    Found(Found),
    Timer,
}

struct Connection {
    channel: Option<Channel>,
    _task: Task<()>,
}

struct Stream {
    /// The stream's request side, once open: progress requests go there.
    sender: Rc<RefCell<Option<SendStream<Bytes>>>>,
    _task: Task<()>,
}

/// The driver: the session and the tasks doing what it asked. Dropping a task cancels it.
struct Driver<R> {
    ex: Rc<LocalExecutor<'static>>,
    opts: EtcdOptions,
    session: Session,
    start: Instant,
    found: async_channel::Sender<Found>,
    conns: BTreeMap<ConnId, Connection>,
    rpcs: BTreeMap<RpcId, Task<()>>,
    streams: BTreeMap<StreamId, Stream>,
    leases: Rc<Leases>,
    report: R,
    /// The receiver of reports is gone: stop.
    closed: bool,
}

async fn serve(
    ex: Rc<LocalExecutor<'static>>,
    opts: EtcdOptions,
    cmds: async_channel::Receiver<StoreCmd>,
    report: impl Fn(StoreReport) -> bool,
) {
    let (found_tx, found_rx) = async_channel::unbounded();
    let cfg = session::Config {
        endpoints: opts.client.endpoints.iter().map(|e| e.url()).collect(),
        request_timeout: opts.client.request_timeout,
        dial_timeout: opts.client.dial_timeout,
        compaction_interval: opts.compaction_interval,
        hold_limit: HOLD_LIMIT,
    };
    let start = Instant::now();
    let mut d = Driver {
        ex,
        session: Session::new(cfg, Duration::ZERO),
        opts,
        start,
        found: found_tx,
        conns: BTreeMap::new(),
        rpcs: BTreeMap::new(),
        streams: BTreeMap::new(),
        leases: Rc::new(Leases::default()),
        report,
        closed: false,
    };
    let mut stopping = false;
    loop {
        d.execute();
        if d.closed || d.session.is_finished() {
            return;
        }
        let wake = d.session.poll_timeout().map(|t| start + t);
        let cmd = async {
            if stopping {
                std::future::pending::<()>().await;
            }
            Input::Cmd(cmds.recv().await.ok())
        };
        let found = async {
            match found_rx.recv().await {
                Ok(f) => Input::Found(f),
                Err(_) => std::future::pending().await,
            }
        };
        let timer = async {
            match wake {
                Some(at) => {
                    Timer::at(at).await;
                }
                None => std::future::pending::<()>().await,
            }
            Input::Timer
        };
        let input = futures_lite::future::or(cmd, futures_lite::future::or(found, timer)).await;
        let now = start.elapsed();
        let s = &mut d.session;
        match input {
            Input::Cmd(Some(cmd)) => {
                stopping |= matches!(cmd, StoreCmd::Stop);
                s.command(now, cmd);
            }
            Input::Cmd(None) => {
                stopping = true;
                s.command(now, StoreCmd::Stop);
            }
            Input::Timer => s.handle_timeout(now),
            Input::Found(f) => d.found(now, f),
        }
    }
}

impl<R: Fn(StoreReport) -> bool> Driver<R> {
    fn found(&mut self, now: Duration, f: Found) {
        let s = &mut self.session;
        match f {
            Found::Dialed(conn, Ok(channel)) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.channel = Some(channel);
                    s.connected(now, conn);
                }
            }
            Found::Dialed(conn, Err(why)) => {
                self.conns.remove(&conn);
                s.dial_failed(now, conn, &why);
            }
            Found::ConnLost(conn, why) => {
                self.conns.remove(&conn);
                s.connection_lost(now, conn, &why);
            }
            Found::Answered(rpc, result) => {
                self.rpcs.remove(&rpc);
                s.rpc_answered(now, rpc, result);
            }
            Found::WatchOpened(stream) => s.watch_opened(now, stream),
            Found::Watch(stream, resp) => s.watch_response(now, stream, resp),
            Found::WatchBroken(stream, why) => {
                self.streams.remove(&stream);
                s.watch_broken(now, stream, &why);
            }
        }
    }

    /// Carries out everything the session asked.
    fn execute(&mut self) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Dial { conn, endpoint } => self.dial(conn, endpoint),
                Output::Disconnect { conn } => {
                    self.conns.remove(&conn);
                }
                Output::Send { rpc, conn, call } => {
                    let channel = self.conns.get(&conn).and_then(|c| c.channel.clone());
                    let leases = self.leases.clone();
                    let found = self.found.clone();
                    let task = self.ex.spawn(async move {
                        let result = match channel {
                            Some(ch) => client::perform(&ch, &call, &leases).await,
                            None => Err(CallError::NotSent("the connection is gone".into())),
                        };
                        let _ = found.send(Found::Answered(rpc, result)).await;
                    });
                    self.rpcs.insert(rpc, task);
                }
                Output::Cancel { rpc } => {
                    self.rpcs.remove(&rpc);
                }
                Output::OpenWatch {
                    stream,
                    conn,
                    start_revision,
                    key,
                    range_end,
                } => {
                    let channel = self.conns.get(&conn).and_then(|c| c.channel.clone());
                    let create = proto::WatchCreateRequest {
                        key,
                        range_end,
                        start_revision,
                        progress_notify: true,
                        prev_kv: true,
                        ..Default::default()
                    };
                    let sender = Rc::new(RefCell::new(None));
                    let task = self.ex.spawn(watch_stream(
                        channel,
                        stream,
                        create,
                        sender.clone(),
                        self.found.clone(),
                    ));
                    self.streams.insert(stream, Stream { sender, _task: task });
                }
                Output::RequestProgress { stream } => {
                    if let Some(s) = self.streams.get(&stream) {
                        if let Some(send) = s.sender.borrow_mut().as_mut() {
                            let req = proto::WatchRequest {
                                request_union: Some(proto::WatchRequestUnion::Progress(
                                    proto::WatchProgressRequest {},
                                )),
                            };
                            // A request lost here is asked again a second later.
                            let _ = send.send_data(grpc::frame(&req), false);
                        }
                    }
                }
                Output::CloseWatch { stream } => {
                    self.streams.remove(&stream);
                }
                Output::Report(r) => {
                    if !self.closed && !(self.report)(r) {
                        self.closed = true;
                    }
                }
                Output::Log(line) => eprintln!("gatehouse: etcd: {line}"),
            }
        }
    }

    fn dial(&mut self, conn: ConnId, endpoint: usize) {
        let Some(ep) = self.opts.client.endpoints.get(endpoint).cloned() else {
            let now = self.start.elapsed();
            self.session.dial_failed(now, conn, "no such endpoint");
            return;
        };
        let tls = self.opts.client.tls.clone();
        let dial_timeout = self.opts.client.dial_timeout;
        let found = self.found.clone();
        let task = self.ex.spawn(async move {
            match client::open_channel(&ep, tls.as_ref(), dial_timeout).await {
                Ok((channel, driving)) => {
                    let _ = found.send(Found::Dialed(conn, Ok(channel))).await;
                    let why = driving.await;
                    let _ = found.send(Found::ConnLost(conn, why)).await;
                }
                Err(e) => {
                    let _ = found.send(Found::Dialed(conn, Err(e))).await;
                }
            }
        });
        self.conns.insert(
            conn,
            Connection {
                channel: None,
                _task: task,
            },
        );
    }
}

/// One watch stream: opens it, reports its messages, and reports why it ended.
async fn watch_stream(
    channel: Option<Channel>,
    stream: StreamId,
    create: proto::WatchCreateRequest,
    sender: Rc<RefCell<Option<SendStream<Bytes>>>>,
    found: async_channel::Sender<Found>,
) {
    let run = async {
        let ch = channel.ok_or_else(|| "the connection is gone".to_string())?;
        let (fut, mut send) = grpc::open(&ch.send, &ch.target, proto::method::WATCH)
            .await
            .map_err(|e| e.to_string())?;
        let req = proto::WatchRequest {
            request_union: Some(proto::WatchRequestUnion::Create(create)),
        };
        send.send_data(grpc::frame(&req), false)
            .map_err(|e| e.to_string())?;
        let mut responses = grpc::responses(fut).await.map_err(|e| e.to_string())?;
        *sender.borrow_mut() = Some(send);
        let _ = found.send(Found::WatchOpened(stream)).await;
        loop {
            match responses.next::<proto::WatchResponse>().await {
                Err(e) => return Err(e.to_string()),
                Ok(None) => return Err("the watch stream ended".to_string()),
                Ok(Some(resp)) => {
                    let _ = found.send(Found::Watch(stream, watch_response_of(resp))).await;
                }
            }
        }
    };
    let why: Result<(), String> = run.await;
    let why = why.err().unwrap_or_default();
    let _ = found.send(Found::WatchBroken(stream, why)).await;
}

fn watch_response_of(resp: proto::WatchResponse) -> WatchResponse {
    WatchResponse {
        revision: resp.header.as_ref().map_or(0, |h| h.revision),
        created: resp.created,
        canceled: resp.canceled,
        cancel_reason: resp.cancel_reason,
        compact_revision: resp.compact_revision,
        events: resp.events.into_iter().filter_map(event_of).collect(),
    }
}

fn event_of(e: proto::Event) -> Option<StorageEvent> {
    let kind = if e.r#type == proto::EventType::Delete as i32 {
        EventKind::Delete
    } else {
        EventKind::Put
    };
    Some(StorageEvent {
        kind,
        kv: client::kv_of(e.kv?),
        prev: e.prev_kv.map(client::kv_of),
    })
}

/// One compaction round (see [`Call::CompactRound`](super::session::Call::CompactRound)) on a
/// standalone [`Client`]: returns the key's version and the store's revision to carry into the
/// next round. The storage thread runs the same rounds through its session.
pub async fn compact_round(client: &Client, version: i64, revision: i64) -> Result<(i64, i64), StorageError> {
    let resp = client.txn(&client::compact_round_txn(version, revision)).await?;
    let Answer::CompactRound {
        succeeded,
        version: key_version,
        revision: current,
    } = client::compact_round_answer(resp)
    else {
        return Err(StorageError::Unavailable("etcd: an unexpected answer".into()));
    };
    if !succeeded {
        return Ok((key_version, current));
    }
    if revision > 0 {
        match client.compact(revision).await {
            Ok(_) => eprintln!("gatehouse: etcd: compacted history up to revision {revision}"),
            // Someone compacted further already: nothing to do.
            Err(StorageError::Compacted { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((version + 1, current))
}
