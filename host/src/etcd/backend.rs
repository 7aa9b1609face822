//! The etcd storage thread: the same commands and reports as the embedded store's thread
//! ([`crate::store`]), served by etcd.
//!
//! # Threads
//!
//! The thread runs a single-threaded executor (`async-executor`) driven by `async-io`, which
//! owns the socket and the timers; a second small thread turns the blocking command channel
//! into an async one. Requests run concurrently, each under the client's deadline.
//!
//! # Watch events before answers
//!
//! The core's watch cache must never be behind a write it was told about. Once the core has
//! asked for the watch ([`StoreCmd::Watch`]), every answer is held until the watch stream has
//! caught up with the answer's revision:
//!
//! * a transaction that wrote keys under the watched prefix waits until the watch has reported
//!   an event at (or after) its revision: those events are reported first;
//! * any other answer (a read, a failed compare) waits until the watch has reported events or a
//!   progress notification at (or after) its revision; the thread asks etcd for a progress
//!   notification when one is needed.
//!
//! Reports leave from this one thread, so "events first, then the answer" is an order, not a
//! race. The wait is bounded ([`HOLD_LIMIT`]): a watch that cannot catch up (etcd unreachable)
//! delays answers by at most that long, and such an answer is logged.
//!
//! # Order of requests
//!
//! Requests run side by side, as kube-apiserver's do: the core never sends a request that
//! depends on another before that other is answered (its start-up, for one, creates the
//! system namespaces before anything inside them), and etcd orders the writes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use async_io::Timer;
use bytes::Bytes;
use event_listener::Event;
use gatehouse_core::storage::{prefix_end, EventKind, StorageError, StorageEvent, StorageResponse};
use h2::SendStream;

use super::client::{self, Client, Outcome};
use super::grpc;
use super::proto;
use super::EtcdOptions;
use crate::error::HostError;
use crate::store::{StoreCmd, StoreReport};

/// Longest an answer waits for the watch to catch up with it.
pub const HOLD_LIMIT: Duration = Duration::from_secs(5);
/// The key kube-apiserver replicas coordinate compaction on (outside any prefix, as theirs).
pub const COMPACT_REV_KEY: &[u8] = b"compact_rev_key";

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
    let report: Rc<dyn Fn(StoreReport) -> bool> = Rc::new(report);
    async_io::block_on(ex.run(serve(ex.clone(), opts, arx, report)));
}

/// State shared by the tasks of the thread.
struct Shared {
    client: Client,
    watch: Watch,
    report: Rc<dyn Fn(StoreReport) -> bool>,
    /// The driver is gone: report nothing more.
    closed: Cell<bool>,
    closed_event: Event,
    in_flight: Cell<usize>,
    idle: Event,
}

impl Shared {
    fn deliver(&self, r: StoreReport) {
        if self.closed.get() {
            return;
        }
        if !(self.report)(r) {
            self.closed.set(true);
            self.closed_event.notify(usize::MAX);
        }
    }
}

async fn serve(
    ex: Rc<LocalExecutor<'static>>,
    opts: EtcdOptions,
    cmds: async_channel::Receiver<StoreCmd>,
    report: Rc<dyn Fn(StoreReport) -> bool>,
) {
    let client = Client::new(&ex, opts.client.clone());
    let sh = Rc::new(Shared {
        client,
        watch: Watch::new(opts.watch_prefix.clone()),
        report,
        closed: Cell::new(false),
        closed_event: Event::new(),
        in_flight: Cell::new(0),
        idle: Event::new(),
    });
    ex.spawn(watch_loop(sh.clone())).detach();
    if !opts.compaction_interval.is_zero() {
        ex.spawn(compactor(sh.client.clone(), opts.compaction_interval))
            .detach();
    }
    loop {
        let closed = sh.closed_event.listen();
        if sh.closed.get() {
            return;
        }
        let next = futures_lite::future::or(async { cmds.recv().await.ok() }, async {
            closed.await;
            None
        })
        .await;
        match next {
            Some(StoreCmd::Run(op, req)) => {
                sh.in_flight.set(sh.in_flight.get() + 1);
                let sh = sh.clone();
                ex.spawn(async move {
                    let result = sh.client.execute(&req).await;
                    let result = match result {
                        Ok(outcome) => {
                            hold(&sh, &outcome).await;
                            Ok(outcome.response)
                        }
                        Err(e) => Err(e),
                    };
                    sh.deliver(StoreReport::Done(op, result));
                    sh.in_flight.set(sh.in_flight.get() - 1);
                    sh.idle.notify(usize::MAX);
                })
                .detach();
            }
            Some(StoreCmd::Watch(from)) => sh.watch.start(from),
            Some(StoreCmd::Stop) | None => break,
        }
    }
    // Finish what is in flight; each request is bounded by its deadline and the hold limit.
    while sh.in_flight.get() > 0 && !sh.closed.get() {
        let l = sh.idle.listen();
        if sh.in_flight.get() == 0 {
            break;
        }
        l.await;
    }
}

/// Holds an answer until the watch has caught up with it (see the module documentation).
async fn hold(sh: &Shared, outcome: &Outcome) {
    let revision = match &outcome.response {
        StorageResponse::Range { revision, .. } | StorageResponse::Txn { revision, .. } => *revision,
        StorageResponse::Compacted { .. } => return,
    };
    let w = &sh.watch;
    let needs_event = outcome.written.iter().any(|k| w.covers(k));
    let deadline = Instant::now() + HOLD_LIMIT;
    loop {
        let l = w.changed.listen();
        if !w.active.get() || w.caught_up(revision, needs_event) {
            return;
        }
        if !needs_event {
            w.request_progress();
        }
        // Wake at least once a second, to ask again should a progress request have been lost
        // with a broken stream.
        let wake = deadline.min(Instant::now() + Duration::from_secs(1));
        futures_lite::future::or(l, async {
            Timer::at(wake).await;
        })
        .await;
        if Instant::now() >= deadline && !w.caught_up(revision, needs_event) && w.active.get() {
            eprintln!(
                "gatehouse: etcd: the watch has not reached revision {revision} after {}s (it is at {}); answering anyway",
                HOLD_LIMIT.as_secs(),
                w.events_through.get()
            );
            return;
        }
    }
}

/// The storage watch: what the core asked for and how far it got.
struct Watch {
    prefix: Vec<u8>,
    prefix_end: Vec<u8>,
    /// The core asked for a watch and it has not failed for good.
    active: Cell<bool>,
    /// Bumped by every [`StoreCmd::Watch`]: a running stream of an older generation stops.
    generation: Cell<u64>,
    /// Every event up to this revision has been reported.
    events_through: Cell<i64>,
    /// Nothing up to this revision remains to report (events, or progress notifications).
    progress_through: Cell<i64>,
    /// The open stream's request side, for progress requests.
    sender: RefCell<Option<SendStream<Bytes>>>,
    progress_asked: Cell<Option<Instant>>,
    changed: Event,
}

impl Watch {
    fn new(prefix: Vec<u8>) -> Watch {
        let end = prefix_end(&prefix);
        Watch {
            prefix,
            prefix_end: end,
            active: Cell::new(false),
            generation: Cell::new(0),
            events_through: Cell::new(0),
            progress_through: Cell::new(0),
            sender: RefCell::new(None),
            progress_asked: Cell::new(None),
            changed: Event::new(),
        }
    }

    fn covers(&self, key: &[u8]) -> bool {
        key >= self.prefix.as_slice() && (self.prefix_end == [0] || key < self.prefix_end.as_slice())
    }

    fn start(&self, from: i64) {
        self.generation.set(self.generation.get() + 1);
        self.active.set(true);
        self.events_through.set(from);
        self.progress_through.set(from);
        self.sender.borrow_mut().take();
        self.progress_asked.set(None);
        self.changed.notify(usize::MAX);
    }

    fn caught_up(&self, revision: i64, needs_event: bool) -> bool {
        if needs_event {
            self.events_through.get() >= revision
        } else {
            self.progress_through.get() >= revision
        }
    }

    /// Asks etcd for a progress notification, at most once a second while one is awaited.
    fn request_progress(&self) {
        if self
            .progress_asked
            .get()
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        if let Some(s) = self.sender.borrow_mut().as_mut() {
            let req = proto::WatchRequest {
                request_union: Some(proto::WatchRequestUnion::Progress(proto::WatchProgressRequest {})),
            };
            if s.send_data(grpc::frame(&req), false).is_ok() {
                self.progress_asked.set(Some(Instant::now()));
            }
        }
    }

    fn saw_progress(&self, revision: i64) {
        if revision > self.progress_through.get() {
            self.progress_through.set(revision);
        }
        self.progress_asked.set(None);
        self.changed.notify(usize::MAX);
    }

    fn saw_events(&self, through: i64) {
        if through > self.events_through.get() {
            self.events_through.set(through);
        }
        if through > self.progress_through.get() {
            self.progress_through.set(through);
        }
        self.changed.notify(usize::MAX);
    }
}

/// Why a watch stream ended.
enum StreamEnd {
    /// The core asked for a new watch.
    Restart,
    /// etcd no longer has the history the watch needs.
    Compacted(i64),
    /// The stream or its connection broke; resume from the last reported revision.
    Broken(String),
}

/// Keeps the etcd watch running while the core wants it, resuming after breaks.
async fn watch_loop(sh: Rc<Shared>) {
    let w = &sh.watch;
    let mut backoff = Duration::from_millis(100);
    let mut logged = String::new();
    loop {
        let generation = loop {
            let l = w.changed.listen();
            if w.active.get() {
                break w.generation.get();
            }
            l.await;
        };
        let start = w.events_through.get() + 1;
        let end = run_stream(&sh, generation, start).await;
        w.sender.borrow_mut().take();
        match end {
            StreamEnd::Restart => {
                backoff = Duration::from_millis(100);
                logged.clear();
            }
            StreamEnd::Compacted(rev) => {
                sh.client.saw_compaction(rev);
                if w.generation.get() == generation {
                    w.active.set(false);
                    w.changed.notify(usize::MAX);
                    eprintln!(
                        "gatehouse: etcd: watch from revision {start} is compacted (at {rev}); the core re-lists"
                    );
                    sh.deliver(StoreReport::WatchCompacted);
                }
            }
            StreamEnd::Broken(why) => {
                if w.generation.get() != generation {
                    continue;
                }
                if why != logged {
                    eprintln!(
                        "gatehouse: etcd: watch stream broke ({why}); resuming from revision {}",
                        w.events_through.get() + 1
                    );
                    logged = why;
                }
                // Wait before resuming, unless the core restarts the watch meanwhile.
                let until = Instant::now() + backoff;
                while Instant::now() < until && w.generation.get() == generation {
                    let l = w.changed.listen();
                    futures_lite::future::or(
                        async {
                            l.await;
                        },
                        async {
                            Timer::at(until).await;
                        },
                    )
                    .await;
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// One watch stream from `start` (inclusive), reporting events until it ends.
async fn run_stream(sh: &Shared, generation: u64, start: i64) -> StreamEnd {
    let w = &sh.watch;
    let conn = match sh.client.conn().await {
        Ok(c) => c,
        Err(e) => return StreamEnd::Broken(e.to_string()),
    };
    let (fut, mut send) = match conn.open(proto::method::WATCH).await {
        Ok(x) => x,
        Err(e) => return StreamEnd::Broken(e.to_string()),
    };
    let create = proto::WatchRequest {
        request_union: Some(proto::WatchRequestUnion::Create(proto::WatchCreateRequest {
            key: w.prefix.clone(),
            range_end: w.prefix_end.clone(),
            start_revision: start,
            progress_notify: true,
            prev_kv: true,
            ..Default::default()
        })),
    };
    if let Err(e) = send.send_data(grpc::frame(&create), false) {
        return StreamEnd::Broken(e.to_string());
    }
    let mut responses = match client::first_responses(&sh.client, fut).await {
        Ok(r) => r,
        Err(e) => return StreamEnd::Broken(e.to_string()),
    };
    if w.generation.get() != generation {
        return StreamEnd::Restart;
    }
    *w.sender.borrow_mut() = Some(send);
    // Answers waiting for progress may ask for it on this stream now.
    w.progress_asked.set(None);
    w.changed.notify(usize::MAX);
    loop {
        let restarted = async {
            loop {
                let l = w.changed.listen();
                if w.generation.get() != generation {
                    return;
                }
                l.await;
            }
        };
        let next = futures_lite::future::or(
            async { Some(responses.next::<proto::WatchResponse>().await) },
            async {
                restarted.await;
                None
            },
        )
        .await;
        let resp = match next {
            None => return StreamEnd::Restart,
            Some(Err(e)) => return StreamEnd::Broken(e.to_string()),
            Some(Ok(None)) => return StreamEnd::Broken("the watch stream ended".into()),
            Some(Ok(Some(resp))) => resp,
        };
        if resp.compact_revision > 0 {
            return StreamEnd::Compacted(resp.compact_revision);
        }
        if resp.canceled {
            return StreamEnd::Broken(format!("watch canceled: {}", resp.cancel_reason));
        }
        if resp.created {
            continue;
        }
        if w.generation.get() != generation {
            return StreamEnd::Restart;
        }
        if resp.events.is_empty() {
            // A progress notification: nothing at or below this revision is still to come.
            w.saw_progress(resp.header.as_ref().map_or(0, |h| h.revision));
            continue;
        }
        let after = w.events_through.get();
        let events: Vec<StorageEvent> = resp
            .events
            .into_iter()
            .filter_map(event_of)
            .filter(|e| e.kv.mod_revision > after)
            .collect();
        if let Some(last) = events.last().map(|e| e.kv.mod_revision) {
            sh.deliver(StoreReport::Events(events));
            w.saw_events(last);
        }
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

/// Compacts etcd's history every `interval`, coordinated between replicas as kube-apiserver
/// does it.
///
/// Every replica runs this loop. Each round is a transaction on [`COMPACT_REV_KEY`] (a key
/// outside the storage prefix, shared with kube-apiserver): if the key's version is still the
/// one this replica saw last round, write the revision seen then and compact up to it;
/// otherwise another replica won the round, and this one adopts the key's version. So one
/// compaction happens per interval however many replicas run, and it always keeps at least one
/// interval of history. The first round only records the current revision.
async fn compactor(client: Client, interval: Duration) {
    let mut seen_version = 0i64;
    let mut seen_revision = 0i64;
    loop {
        Timer::after(interval).await;
        match compact_round(&client, seen_version, seen_revision).await {
            Ok((v, r)) => {
                seen_version = v;
                seen_revision = r;
            }
            Err(e) => eprintln!("gatehouse: etcd: compaction round failed: {e}"),
        }
    }
}

/// One round of [`compactor`]: returns the key's version and the store's revision to carry
/// into the next round.
pub async fn compact_round(client: &Client, version: i64, revision: i64) -> Result<(i64, i64), StorageError> {
    let txn = proto::TxnRequest {
        compare: vec![proto::Compare {
            result: proto::CompareResult::Equal as i32,
            target: proto::CompareTarget::Version as i32,
            key: COMPACT_REV_KEY.to_vec(),
            target_union: Some(proto::TargetUnion::Version(version)),
            range_end: Vec::new(),
        }],
        success: vec![proto::RequestOp {
            request: Some(proto::Request::Put(proto::PutRequest {
                key: COMPACT_REV_KEY.to_vec(),
                value: revision.to_string().into_bytes(),
                ..Default::default()
            })),
        }],
        failure: vec![proto::RequestOp {
            request: Some(proto::Request::Range(proto::RangeRequest {
                key: COMPACT_REV_KEY.to_vec(),
                ..Default::default()
            })),
        }],
    };
    let resp = client.txn(&txn).await?;
    let current = resp.header.as_ref().map_or(0, |h| h.revision);
    if !resp.succeeded {
        let version = resp
            .responses
            .into_iter()
            .find_map(|r| match r.response {
                Some(proto::Response::Range(rr)) => rr.kvs.into_iter().next().map(|kv| kv.version),
                _ => None,
            })
            .unwrap_or(0);
        return Ok((version, current));
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
