//! The etcd backend's decisions, without IO: which endpoint to dial, when a call is retried and
//! what its failure means for the storage contract, how long an answer is held for the watches,
//! when each watch is resumed and from where, and the compaction rounds.
//!
//! The core asks for one watch per resource type ([`StoreCmd::Watch`], each with its own id
//! and key prefix), as kube-apiserver's cachers do. Each runs on a gRPC watch stream of its
//! own, so one that breaks, lags or falls behind a compaction leaves the others alone: it is
//! resumed from its own last revision, and a compaction is reported for it alone.
//!
//! A [`Session`] opens no socket and reads no clock: time is an input (`now`, the time since
//! some fixed start). The driver ([`super::backend`] over real etcd, the simulator over a
//! simulated one) feeds it what happened ([`Session::command`], [`Session::connected`],
//! [`Session::rpc_answered`], [`Session::watch_response`], [`Session::handle_timeout`], ...)
//! and carries out what it asks, drained with [`Session::poll_output`]: dial an endpoint, send
//! a call, open a watch stream, report to the core. [`Session::poll_timeout`] says when to call
//! [`Session::handle_timeout`] next.
//!
//! Outputs come out in the order the inputs caused them; nothing depends on hash order or on
//! randomness, so the same inputs give the same outputs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use gatehouse_core::storage::{
    prefix_end, StorageError, StorageEvent, StorageRequest, StorageResponse, WatchId,
};
use gatehouse_core::EffectId;

use super::grpc::CallError;
use crate::store::{StoreCmd, StoreReport};

/// Longest an answer waits for the watch to catch up with it.
pub const HOLD_LIMIT: Duration = Duration::from_secs(5);
/// The key kube-apiserver replicas coordinate compaction on (outside any prefix, as theirs).
pub const COMPACT_REV_KEY: &[u8] = b"compact_rev_key";

/// First pause after every endpoint failed; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often a progress notification is asked for while an answer waits for one: a request
/// may be lost with a broken stream.
const PROGRESS_RETRY: Duration = Duration::from_secs(1);

/// gRPC status codes etcd uses.
pub const DEADLINE_EXCEEDED: u32 = 4;
/// gRPC `OUT_OF_RANGE`: a compacted or future revision.
pub const OUT_OF_RANGE: u32 = 11;
/// gRPC `UNAVAILABLE`: no leader, a timed-out proposal, a member going away.
pub const UNAVAILABLE: u32 = 14;

/// What a session needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// The endpoints' names (for log lines), dialed in turn.
    pub endpoints: Vec<String>,
    /// Deadline of each call, and of a watch stream's first answer.
    pub request_timeout: Duration,
    /// Deadline of each step of a connection attempt (handshakes, then the first ping).
    pub dial_timeout: Duration,
    /// How often to run a compaction round; zero turns compaction off.
    pub compaction_interval: Duration,
    /// Longest an answer waits for the watch (normally [`HOLD_LIMIT`]).
    pub hold_limit: Duration,
}

/// One connection attempt, and the connection it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// One sending of one call (a retry is a new one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RpcId(pub u64);

/// One watch stream (a watch that breaks resumes on a new one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u64);

/// A call to etcd, in the storage contract's terms; the driver turns it into etcd's messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    /// A range or a transaction of the core (KV Range, KV Txn).
    Kv(StorageRequest),
    /// Compacts history before `revision` (KV Compact).
    Compact {
        /// The new compaction point.
        revision: i64,
    },
    /// The store's current revision (a linearizable count-only range).
    CurrentRevision,
    /// A compaction round's transaction: if [`COMPACT_REV_KEY`]'s version is `version`, put
    /// `revision` there; otherwise read the key.
    CompactRound {
        /// The version this replica saw last round.
        version: i64,
        /// The revision this replica saw last round.
        revision: i64,
    },
}

impl Call {
    /// Whether sending it twice does no harm: reads and compactions.
    pub fn idempotent(&self) -> bool {
        match self {
            Call::Kv(StorageRequest::Txn { .. }) | Call::CompactRound { .. } => false,
            Call::Kv(_) | Call::Compact { .. } | Call::CurrentRevision => true,
        }
    }
}

/// What a request did, besides its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The answer.
    pub response: StorageResponse,
    /// Keys the request wrote (put, or deleted when they existed): each has a watch event at
    /// the answer's revision.
    pub written: Vec<Vec<u8>>,
}

/// etcd's answer to a [`Call`].
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// To [`Call::Kv`].
    Kv(Outcome),
    /// The header's revision: to [`Call::Compact`] and [`Call::CurrentRevision`].
    Revision(i64),
    /// To [`Call::CompactRound`].
    CompactRound {
        /// Whether the compare held (this replica won the round).
        succeeded: bool,
        /// The key's version when the compare failed (0 when absent).
        version: i64,
        /// The store's revision.
        revision: i64,
    },
}

/// One message of a watch stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WatchResponse {
    /// The header's revision.
    pub revision: i64,
    /// The watch was created.
    pub created: bool,
    /// The watch was canceled.
    pub canceled: bool,
    /// Why, when canceled.
    pub cancel_reason: String,
    /// Set when the start revision is compacted: the compaction point.
    pub compact_revision: i64,
    /// Events in revision order; none in a progress notification.
    pub events: Vec<StorageEvent>,
}

/// What the session asks of its driver.
pub enum Output {
    /// Connect to endpoint `endpoint`; answer with [`Session::connected`] or
    /// [`Session::dial_failed`].
    Dial {
        /// The attempt (and the connection, once up).
        conn: ConnId,
        /// Index into the configured endpoints.
        endpoint: usize,
    },
    /// Close a connection or abandon an attempt; nothing more is expected of it.
    Disconnect {
        /// Which.
        conn: ConnId,
    },
    /// Send `call` on `conn`; answer with [`Session::rpc_answered`].
    Send {
        /// Names the answer.
        rpc: RpcId,
        /// The connection to use.
        conn: ConnId,
        /// What to send.
        call: Call,
    },
    /// The answer of `rpc` is no longer awaited (its deadline passed).
    Cancel {
        /// Which.
        rpc: RpcId,
    },
    /// Open a watch stream on `conn`: the range from `start_revision`, with progress
    /// notifications and previous values.
    OpenWatch {
        /// Names the stream.
        stream: StreamId,
        /// The connection to use.
        conn: ConnId,
        /// The first revision wanted.
        start_revision: i64,
        /// The watched range.
        key: Vec<u8>,
        /// Its end.
        range_end: Vec<u8>,
    },
    /// Ask for a progress notification on `stream`.
    RequestProgress {
        /// Which.
        stream: StreamId,
    },
    /// Close a watch stream; nothing more is expected of it.
    CloseWatch {
        /// Which.
        stream: StreamId,
    },
    /// Tell the core.
    Report(StoreReport),
    /// A line for the operator.
    Log(String),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Dial { conn, endpoint } => write!(f, "dial {} to endpoint {endpoint}", conn.0),
            Output::Disconnect { conn } => write!(f, "disconnect {}", conn.0),
            Output::Send { rpc, conn, call } => write!(f, "send rpc {} on {}: {call:?}", rpc.0, conn.0),
            Output::Cancel { rpc } => write!(f, "cancel rpc {}", rpc.0),
            Output::OpenWatch {
                stream,
                conn,
                start_revision,
                key,
                ..
            } => write!(
                f,
                "open watch {} of {} on {} from {start_revision}",
                stream.0,
                String::from_utf8_lossy(key),
                conn.0
            ),
            Output::RequestProgress { stream } => write!(f, "progress request on watch {}", stream.0),
            Output::CloseWatch { stream } => write!(f, "close watch {}", stream.0),
            Output::Report(StoreReport::Done(op, r)) => write!(f, "report op {}: {r:?}", op.0),
            Output::Report(StoreReport::Events(w, evs)) => {
                write!(f, "report {} events of watch {}", evs.len(), w.0)
            }
            Output::Report(StoreReport::WatchCompacted(w)) => write!(f, "report watch {} compacted", w.0),
            Output::Report(StoreReport::Progress(r)) => write!(f, "report progress at {r}"),
            Output::Log(line) => write!(f, "log: {line}"),
        }
    }
}

/// Why a call was made.
#[derive(Clone, Copy, Debug)]
enum Purpose {
    /// A request of the core.
    Core(EffectId),
    /// The current revision, for the core's request that asked for a future one.
    FutureRevision(EffectId),
    /// The compactor's round transaction.
    Round,
    /// The compactor's compaction after a won round, carrying the round's result.
    RoundCompact { version: i64, revision: i64 },
}

struct Pending {
    purpose: Purpose,
    call: Call,
    deadline: Duration,
    /// Failed dial rounds when the call began: one more and it gives up.
    rounds_at_start: u64,
    tries: usize,
    sent: Option<(RpcId, ConnId)>,
}

enum Link {
    /// No connection; the next dial round starts at `at`.
    Idle { at: Duration },
    Dialing {
        conn: ConnId,
        endpoint: usize,
        deadline: Duration,
    },
    Up {
        conn: ConnId,
        endpoint: usize,
        since: Duration,
    },
}

enum StreamState {
    /// None open; one opens once there is a connection.
    None,
    /// Broken; the next one opens at `until`.
    Backoff {
        until: Duration,
    },
    Opening {
        id: StreamId,
        conn: ConnId,
        deadline: Duration,
    },
    Open {
        id: StreamId,
        conn: ConnId,
    },
}

/// One storage watch the core asked for, and how far it got. It lives until the core
/// replaces it or it falls behind a compaction.
struct Watch {
    prefix: Vec<u8>,
    prefix_end: Vec<u8>,
    /// Every event up to this revision has been reported (events come in revision order, and
    /// etcd never splits one revision's events between messages).
    events_through: i64,
    /// Nothing up to this revision remains to report (events, or progress notifications).
    progress_through: i64,
    stream: StreamState,
    progress_asked: Option<Duration>,
    backoff: Duration,
    logged: String,
}

impl Watch {
    fn new(prefix: Vec<u8>, from: i64) -> Watch {
        Watch {
            prefix_end: prefix_end(&prefix),
            prefix,
            events_through: from,
            progress_through: from,
            stream: StreamState::None,
            progress_asked: None,
            backoff: MIN_BACKOFF,
            logged: String::new(),
        }
    }

    fn covers(&self, key: &[u8]) -> bool {
        key >= self.prefix.as_slice() && (self.prefix_end == [0] || key < self.prefix_end.as_slice())
    }

    fn stream_id(&self) -> Option<StreamId> {
        match self.stream {
            StreamState::Opening { id, .. } | StreamState::Open { id, .. } => Some(id),
            _ => None,
        }
    }

    fn on_conn(&self, conn: ConnId) -> bool {
        matches!(self.stream, StreamState::Opening { conn: c, .. } | StreamState::Open { conn: c, .. } if c == conn)
    }
}

/// An answer waiting for the watches.
struct Held {
    op: EffectId,
    response: StorageResponse,
    revision: i64,
    /// Keys the request wrote: the watches covering them must report its events.
    written: Vec<Vec<u8>>,
    deadline: Duration,
}

/// What a held answer still waits for from one watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Nothing.
    No,
    /// The events of its write.
    Events,
    /// Events or a progress notification at (or after) its revision.
    Progress,
}

impl Held {
    /// Whether the answer is of a write some watch covers: it waits for its events on the
    /// watches covering its keys, and for nothing else. Any other answer (a read, a failed
    /// compare, a write outside every watch) waits until every watch is at its revision.
    fn is_watched_write(&self, watches: &BTreeMap<WatchId, Watch>) -> bool {
        self.written.iter().any(|k| watches.values().any(|w| w.covers(k)))
    }

    /// What this answer waits for from watch `w` (`watched_write`: see
    /// [`Held::is_watched_write`]).
    fn wait_on(&self, w: &Watch, watched_write: bool) -> Wait {
        if watched_write {
            if w.events_through < self.revision && self.written.iter().any(|k| w.covers(k)) {
                return Wait::Events;
            }
            return Wait::No;
        }
        if w.progress_through < self.revision {
            Wait::Progress
        } else {
            Wait::No
        }
    }

    fn caught_up(&self, watches: &BTreeMap<WatchId, Watch>) -> bool {
        let watched_write = self.is_watched_write(watches);
        watches
            .values()
            .all(|w| self.wait_on(w, watched_write) == Wait::No)
    }
}

struct Compactor {
    interval: Duration,
    next_at: Option<Duration>,
    version: i64,
    revision: i64,
}

/// The etcd backend's state machine (see the module documentation).
pub struct Session {
    cfg: Config,
    out: VecDeque<Output>,
    link: Link,
    /// The endpoint a dial round starts with: the last one that worked.
    first: usize,
    /// Endpoints tried in the current round.
    tried: usize,
    backoff: Duration,
    failed_rounds: u64,
    last_error: String,
    logged_failure: String,
    next_id: u64,
    /// Calls by the order they began.
    pending: BTreeMap<u64, Pending>,
    rpcs: BTreeMap<RpcId, u64>,
    held: Vec<Held>,
    /// The watches the core asked for, by id; one that fell behind a compaction is gone
    /// until the core asks again.
    watches: BTreeMap<WatchId, Watch>,
    /// Which watch each open stream serves.
    streams: BTreeMap<StreamId, WatchId>,
    compactor: Compactor,
    known_compact: i64,
    stopping: bool,
}

impl Session {
    /// A session that starts dialing at once.
    pub fn new(cfg: Config, now: Duration) -> Session {
        let interval = cfg.compaction_interval;
        let mut s = Session {
            out: VecDeque::new(),
            link: Link::Idle { at: now },
            first: 0,
            tried: 0,
            backoff: MIN_BACKOFF,
            failed_rounds: 0,
            last_error: "not connected yet".into(),
            logged_failure: String::new(),
            next_id: 0,
            pending: BTreeMap::new(),
            rpcs: BTreeMap::new(),
            held: Vec::new(),
            watches: BTreeMap::new(),
            streams: BTreeMap::new(),
            compactor: Compactor {
                interval,
                next_at: (!interval.is_zero()).then(|| now + interval),
                version: 0,
                revision: 0,
            },
            known_compact: 0,
            stopping: false,
            cfg,
        };
        s.step(now);
        s
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Session::handle_timeout`] wants to run next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let mut t: Option<Duration> = None;
        let mut at = |d: Duration| t = Some(t.map_or(d, |t| t.min(d)));
        match self.link {
            Link::Idle { at: a } => at(a),
            Link::Dialing { deadline, .. } => at(deadline),
            Link::Up { .. } => {}
        }
        for p in self.pending.values() {
            at(p.deadline);
        }
        for h in &self.held {
            at(h.deadline);
        }
        let wanted = self.progress_wanted();
        for (id, w) in &self.watches {
            match w.stream {
                StreamState::Backoff { until } => at(until),
                StreamState::Opening { deadline, .. } => at(deadline),
                StreamState::Open { .. } => {
                    if let Some(asked) = w.progress_asked.filter(|_| wanted.contains(id)) {
                        at(asked + PROGRESS_RETRY);
                    }
                }
                StreamState::None => {}
            }
        }
        if let Some(n) = self.compactor.next_at {
            at(n);
        }
        t
    }

    /// Whether a [`StoreCmd::Stop`] came and every request of the core has been answered.
    pub fn is_finished(&self) -> bool {
        self.stopping && self.is_idle()
    }

    /// Whether no request of the core waits for an answer (the compactor may be busy).
    pub fn is_idle(&self) -> bool {
        self.held.is_empty()
            && !self
                .pending
                .values()
                .any(|p| matches!(p.purpose, Purpose::Core(_) | Purpose::FutureRevision(_)))
    }

    /// The newest compaction revision this session knows of (0: none seen).
    pub fn known_compact_revision(&self) -> i64 {
        self.known_compact
    }

    /// A command of the core.
    pub fn command(&mut self, now: Duration, cmd: StoreCmd) {
        match cmd {
            StoreCmd::Run(op, req) => {
                let call = match req {
                    StorageRequest::Compact { revision } => Call::Compact { revision },
                    other => Call::Kv(other),
                };
                self.begin(now, Purpose::Core(op), call);
            }
            StoreCmd::Watch { watch, prefix, from } => self.start_watch(watch, prefix, from),
            StoreCmd::Stop => self.stopping = true,
        }
        self.step(now);
    }

    /// The attempt `conn` is connected (etcd answered its first ping).
    pub fn connected(&mut self, now: Duration, conn: ConnId) {
        let Link::Dialing {
            conn: c, endpoint, ..
        } = self.link
        else {
            self.out.push_back(Output::Disconnect { conn });
            return;
        };
        if c != conn {
            self.out.push_back(Output::Disconnect { conn });
            return;
        }
        if !self.logged_failure.is_empty() || endpoint != self.first {
            let name = self.endpoint_name(endpoint);
            self.log(format!("connected to {name}"));
        }
        self.logged_failure.clear();
        self.first = endpoint;
        self.tried = 0;
        self.link = Link::Up {
            conn,
            endpoint,
            since: now,
        };
        self.step(now);
    }

    /// The attempt `conn` failed.
    pub fn dial_failed(&mut self, now: Duration, conn: ConnId, why: &str) {
        if matches!(self.link, Link::Dialing { conn: c, .. } if c == conn) {
            self.next_endpoint(now, why);
            self.step(now);
        }
    }

    /// The connection `conn` died (it closed, or a keepalive probe went unanswered).
    pub fn connection_lost(&mut self, now: Duration, conn: ConnId, why: &str) {
        match self.link {
            Link::Up { conn: c, .. } if c == conn => {
                self.lose_connection(now, why);
                self.step(now);
            }
            Link::Dialing { conn: c, .. } if c == conn => self.dial_failed(now, conn, why),
            _ => {}
        }
    }

    /// The answer to the call sent as `rpc`.
    pub fn rpc_answered(&mut self, now: Duration, rpc: RpcId, result: Result<Answer, CallError>) {
        let Some(key) = self.rpcs.remove(&rpc) else {
            return;
        };
        let Some(p) = self.pending.get(&key) else {
            return;
        };
        let conn = p.sent.map(|(_, c)| c);
        match result {
            Ok(answer) => {
                if let Some(p) = self.pending.remove(&key) {
                    self.finish(now, p, Ok(answer));
                }
            }
            Err(e @ (CallError::NotSent(_) | CallError::Lost(_))) => {
                // The connection is unusable: give it up, with every call on it.
                let why = e.to_string();
                self.retry_or_fail(now, key, e);
                if let (Some(c), Link::Up { conn: up, .. }) = (conn, &self.link) {
                    if c == *up {
                        self.lose_connection(now, &why);
                    }
                }
            }
            Err(e) => {
                if let Some(p) = self.pending.remove(&key) {
                    self.finish(now, p, Err(e));
                }
            }
        }
        self.step(now);
    }

    /// The watch stream `stream` has its response headers: it is open.
    pub fn watch_opened(&mut self, now: Duration, stream: StreamId) {
        let Some(w) = self.watch_of(stream) else {
            return;
        };
        if let StreamState::Opening { id, conn, .. } = w.stream {
            w.stream = StreamState::Open { id, conn };
            // Answers waiting for progress may ask for it on this stream now.
            w.progress_asked = None;
            self.step(now);
        }
    }

    /// One message of the watch stream `stream`.
    pub fn watch_response(&mut self, now: Duration, stream: StreamId, resp: WatchResponse) {
        let Some(&id) = self.streams.get(&stream) else {
            return;
        };
        let Some(w) = self.watch_of(stream) else {
            return;
        };
        if let StreamState::Opening { id, conn, .. } = w.stream {
            w.stream = StreamState::Open { id, conn };
            w.progress_asked = None;
        }
        if resp.compact_revision > 0 {
            let from = w.events_through + 1;
            let prefix = String::from_utf8_lossy(&w.prefix).into_owned();
            self.watches.remove(&id);
            self.streams.remove(&stream);
            self.out.push_back(Output::CloseWatch { stream });
            self.saw_compaction(resp.compact_revision);
            self.log(format!(
                "watch of {prefix} from revision {from} is compacted (at {}); the core re-lists",
                resp.compact_revision
            ));
            self.report(StoreReport::WatchCompacted(id));
        } else if resp.canceled {
            self.stream_broken(now, id, format!("watch canceled: {}", resp.cancel_reason));
        } else if resp.created {
        } else if resp.events.is_empty() {
            // A progress notification: nothing at or below this revision is still to come.
            // etcd 3.4 answers a progress request at once, even for a watch still catching
            // up, so this only ever shortens how long an answer is held (as kube-apiserver
            // trusts it too); it is never passed on as the core's `Progress`.
            w.progress_through = w.progress_through.max(resp.revision);
            w.progress_asked = None;
        } else {
            let after = w.events_through;
            let events: Vec<StorageEvent> = resp
                .events
                .into_iter()
                .filter(|e| e.kv.mod_revision > after)
                .collect();
            if let Some(last) = events.last().map(|e| e.kv.mod_revision) {
                w.events_through = w.events_through.max(last);
                w.progress_through = w.progress_through.max(last);
                self.report(StoreReport::Events(id, events));
            }
        }
        self.step(now);
    }

    /// The watch stream `stream` failed or ended.
    pub fn watch_broken(&mut self, now: Duration, stream: StreamId, why: &str) {
        if let Some(&id) = self.streams.get(&stream) {
            if self.watch_of(stream).is_some() {
                self.stream_broken(now, id, why.to_string());
                self.step(now);
            }
        }
    }

    /// Time passed: deadlines, back-offs, the compactor.
    pub fn handle_timeout(&mut self, now: Duration) {
        if let Link::Dialing { conn, deadline, .. } = self.link {
            if now >= deadline {
                self.out.push_back(Output::Disconnect { conn });
                self.next_endpoint(now, "no answer within the dial timeout");
            }
        }
        let late: Vec<WatchId> = self
            .watches
            .iter()
            .filter(|(_, w)| matches!(w.stream, StreamState::Opening { deadline, .. } if now >= deadline))
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            self.stream_broken(now, id, "no answer before the deadline".into());
        }
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            if let Some(p) = self.pending.remove(&key) {
                if let Some((rpc, _)) = p.sent {
                    self.rpcs.remove(&rpc);
                    self.out.push_back(Output::Cancel { rpc });
                }
                let e = CallError::Status {
                    code: DEADLINE_EXCEEDED,
                    message: "request deadline exceeded".into(),
                };
                self.finish(now, p, Err(e));
            }
        }
        if self.compactor.next_at.is_some_and(|t| now >= t) {
            self.compactor.next_at = None;
            let call = Call::CompactRound {
                version: self.compactor.version,
                revision: self.compactor.revision,
            };
            self.begin(now, Purpose::Round, call);
        }
        self.step(now);
    }

    // ---------------------------------------------------------------------------------------
    // Calls
    // ---------------------------------------------------------------------------------------

    fn begin(&mut self, now: Duration, purpose: Purpose, call: Call) {
        self.next_id += 1;
        self.pending.insert(
            self.next_id,
            Pending {
                purpose,
                call,
                deadline: now + self.cfg.request_timeout,
                rounds_at_start: self.failed_rounds,
                tries: 0,
                sent: None,
            },
        );
    }

    /// A call that never left is retried on the next connection; one lost after it left is
    /// retried only when idempotent, else it fails (etcd may or may not have applied it).
    fn retry_or_fail(&mut self, now: Duration, key: u64, e: CallError) {
        let Some(p) = self.pending.get_mut(&key) else {
            return;
        };
        if let Some((rpc, _)) = p.sent.take() {
            self.rpcs.remove(&rpc);
        }
        p.tries += 1;
        let retry = matches!(e, CallError::NotSent(_)) || p.call.idempotent();
        if !retry || p.tries > self.cfg.endpoints.len() + 1 {
            if let Some(p) = self.pending.remove(&key) {
                self.finish(now, p, Err(e));
            }
        }
    }

    /// A call ended (answered, failed, or out of time).
    fn finish(&mut self, now: Duration, p: Pending, result: Result<Answer, CallError>) {
        let idempotent = p.call.idempotent();
        match p.purpose {
            Purpose::Core(op) => match (result, &p.call) {
                (Ok(Answer::Kv(outcome)), Call::Kv(_)) => self.hold(now, op, outcome),
                (Ok(Answer::Revision(_)), Call::Compact { revision }) => {
                    self.saw_compaction(*revision);
                    let r = StorageResponse::Compacted { revision: *revision };
                    self.report(StoreReport::Done(op, Ok(r)));
                }
                (Ok(_), _) => {
                    let e =
                        StorageError::Unavailable("etcd protocol error: an answer of another call".into());
                    self.report(StoreReport::Done(op, Err(e)));
                }
                (Err(e), _) if is_future_revision(&e) => {
                    self.begin(now, Purpose::FutureRevision(op), Call::CurrentRevision);
                }
                (Err(e), _) => {
                    let e = storage_error(e, idempotent, self.known_compact);
                    self.report(StoreReport::Done(op, Err(e)));
                }
            },
            Purpose::FutureRevision(op) => {
                let e = match result {
                    Ok(Answer::Revision(current_revision)) => {
                        StorageError::FutureRevision { current_revision }
                    }
                    Ok(_) => StorageError::FutureRevision { current_revision: 0 },
                    Err(e) => map_simple(e, 0),
                };
                self.report(StoreReport::Done(op, Err(e)));
            }
            Purpose::Round => self.round_answered(now, result),
            Purpose::RoundCompact { version, revision } => {
                let Call::Compact { revision: compacted } = p.call else {
                    return;
                };
                match result {
                    Ok(_) => {
                        self.saw_compaction(compacted);
                        self.log(format!("compacted history up to revision {compacted}"));
                        self.next_round(now, version, revision);
                    }
                    // Someone compacted further already: nothing to do.
                    Err(e) if matches!(map_simple(e.clone(), 0), StorageError::Compacted { .. }) => {
                        self.next_round(now, version, revision);
                    }
                    Err(e) => {
                        let e = storage_error(e, true, self.known_compact);
                        self.log(format!("compaction round failed: {e}"));
                        self.compactor.next_at = Some(now + self.compactor.interval);
                    }
                }
            }
        }
    }

    fn send_unsent(&mut self) {
        let Link::Up { conn, .. } = self.link else {
            return;
        };
        for (key, p) in self.pending.iter_mut() {
            if p.sent.is_none() {
                self.next_id += 1;
                let rpc = RpcId(self.next_id);
                p.sent = Some((rpc, conn));
                self.rpcs.insert(rpc, *key);
                self.out.push_back(Output::Send {
                    rpc,
                    conn,
                    call: p.call.clone(),
                });
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Connection
    // ---------------------------------------------------------------------------------------

    /// The connection is given up: its calls fail as lost, its watch stream breaks, and the
    /// next dial round waits a little when the connection was short-lived.
    fn lose_connection(&mut self, now: Duration, why: &str) {
        let Link::Up {
            conn,
            endpoint,
            since,
        } = self.link
        else {
            return;
        };
        self.out.push_back(Output::Disconnect { conn });
        let name = self.endpoint_name(endpoint);
        self.last_error = format!("{name}: {why}");
        self.log(format!("connection to {name} lost ({why}); reconnecting"));
        // A connection that dies at once must not turn into a busy loop.
        let at = if now.saturating_sub(since) < MAX_BACKOFF {
            let at = now + self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            at
        } else {
            self.backoff = MIN_BACKOFF;
            now
        };
        self.link = Link::Idle { at };
        self.tried = 0;
        let on_conn: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent.is_some_and(|(_, c)| c == conn))
            .map(|(k, _)| *k)
            .collect();
        for key in on_conn {
            self.retry_or_fail(now, key, CallError::Lost(why.to_string()));
        }
        // Every stream on the connection breaks; the line above says why, once.
        let on_conn: Vec<WatchId> = self
            .watches
            .iter()
            .filter(|(_, w)| w.on_conn(conn))
            .map(|(id, _)| *id)
            .collect();
        let why = format!("connection lost: {why}");
        for id in on_conn {
            if let Some(w) = self.watches.get_mut(&id) {
                w.logged = why.clone();
            }
            self.stream_broken(now, id, why.clone());
        }
    }

    /// The current attempt failed: try the next endpoint, or end the round.
    fn next_endpoint(&mut self, now: Duration, why: &str) {
        let Link::Dialing { endpoint, .. } = self.link else {
            return;
        };
        self.last_error = format!("{}: {why}", self.endpoint_name(endpoint));
        self.tried += 1;
        if self.tried < self.cfg.endpoints.len().max(1) {
            self.link = Link::Idle { at: now };
            return;
        }
        // A whole round failed: calls waiting for a connection since before it give up.
        self.tried = 0;
        self.failed_rounds += 1;
        if self.last_error != self.logged_failure {
            self.log(format!(
                "cannot reach any endpoint ({}); retrying",
                self.last_error
            ));
            self.logged_failure = self.last_error.clone();
        }
        let msg = format!("no etcd endpoint reachable: {}", self.last_error);
        let given_up: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent.is_none() && p.rounds_at_start < self.failed_rounds)
            .map(|(k, _)| *k)
            .collect();
        for key in given_up {
            if let Some(p) = self.pending.remove(&key) {
                self.finish(now, p, Err(CallError::NotSent(msg.clone())));
            }
        }
        self.link = Link::Idle {
            at: now + self.backoff,
        };
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn dial_if_due(&mut self, now: Duration) {
        let Link::Idle { at } = self.link else {
            return;
        };
        if now < at {
            return;
        }
        let n = self.cfg.endpoints.len().max(1);
        let endpoint = (self.first + self.tried) % n;
        self.next_id += 1;
        let conn = ConnId(self.next_id);
        // The handshakes, then the first ping, each under the dial timeout.
        let deadline = now + self.cfg.dial_timeout * 2;
        self.link = Link::Dialing {
            conn,
            endpoint,
            deadline,
        };
        self.out.push_back(Output::Dial { conn, endpoint });
    }

    // ---------------------------------------------------------------------------------------
    // Watch and held answers
    // ---------------------------------------------------------------------------------------

    /// The core asks for watch `id`, replacing the one it had under that id.
    fn start_watch(&mut self, id: WatchId, prefix: Vec<u8>, from: i64) {
        if let Some(stream) = self.watches.get(&id).and_then(Watch::stream_id) {
            self.streams.remove(&stream);
            self.out.push_back(Output::CloseWatch { stream });
        }
        self.watches.insert(id, Watch::new(prefix, from));
    }

    /// The watch the open (or opening) stream `stream` serves.
    fn watch_of(&mut self, stream: StreamId) -> Option<&mut Watch> {
        let id = self.streams.get(&stream)?;
        self.watches.get_mut(id).filter(|w| w.stream_id() == Some(stream))
    }

    fn stream_broken(&mut self, now: Duration, id: WatchId, why: String) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if let Some(stream) = w.stream_id() {
            self.streams.remove(&stream);
            self.out.push_back(Output::CloseWatch { stream });
        }
        w.stream = StreamState::Backoff {
            until: now + w.backoff,
        };
        w.backoff = (w.backoff * 2).min(MAX_BACKOFF);
        if why != w.logged {
            let line = format!(
                "watch stream of {} broke ({why}); resuming from revision {}",
                String::from_utf8_lossy(&w.prefix),
                w.events_through + 1
            );
            w.logged = why;
            self.log(line);
        }
    }

    /// Opens a stream for every watch without one, once there is a connection.
    fn open_streams_if_due(&mut self, now: Duration) {
        // A back-off that ran out ends even without a connection: it must not stay a
        // deadline in the past.
        for w in self.watches.values_mut() {
            if matches!(w.stream, StreamState::Backoff { until } if now >= until) {
                w.stream = StreamState::None;
            }
        }
        let Link::Up { conn, .. } = self.link else {
            return;
        };
        for (wid, w) in self.watches.iter_mut() {
            if !matches!(w.stream, StreamState::None) {
                continue;
            }
            self.next_id += 1;
            let id = StreamId(self.next_id);
            w.stream = StreamState::Opening {
                id,
                conn,
                deadline: now + self.cfg.request_timeout,
            };
            self.streams.insert(id, *wid);
            self.out.push_back(Output::OpenWatch {
                stream: id,
                conn,
                start_revision: w.events_through + 1,
                key: w.prefix.clone(),
                range_end: w.prefix_end.clone(),
            });
        }
    }

    /// Holds an answer until the watches have caught up with it (see [`Held::wait_on`]).
    ///
    /// `StoreReport::Progress` is never reported from here, though the core would serve
    /// more reads from its caches with it: the only evidence that a watch has nothing more
    /// up to a revision is a progress notification, and etcd 3.4 answers a progress request
    /// at once even while the watch is still catching up, so it may arrive ahead of events it
    /// covers. Holding an answer on it costs at most a stale read the core tolerates; the
    /// core's `Progress`, which it would trust for every later read, must be exact. Without
    /// it, the core falls back to reading storage.
    fn hold(&mut self, now: Duration, op: EffectId, outcome: Outcome) {
        let revision = match &outcome.response {
            StorageResponse::Range { revision, .. } | StorageResponse::Txn { revision, .. } => *revision,
            StorageResponse::Compacted { .. } => 0,
        };
        self.held.push(Held {
            op,
            response: outcome.response,
            revision,
            written: outcome.written,
            deadline: now + self.cfg.hold_limit,
        });
    }

    /// The watches some answer waits on for a progress notification.
    fn progress_wanted(&self) -> BTreeSet<WatchId> {
        let mut wanted = BTreeSet::new();
        for h in &self.held {
            if h.is_watched_write(&self.watches) {
                continue;
            }
            for (id, w) in &self.watches {
                if h.wait_on(w, false) == Wait::Progress {
                    wanted.insert(*id);
                }
            }
        }
        wanted
    }

    fn release_held(&mut self, now: Duration) {
        let mut i = 0;
        while i < self.held.len() {
            let h = &self.held[i];
            let caught_up = h.caught_up(&self.watches);
            if !caught_up && now < h.deadline {
                i += 1;
                continue;
            }
            let h = self.held.remove(i);
            if !caught_up {
                let watched_write = h.is_watched_write(&self.watches);
                let lagging = self
                    .watches
                    .values()
                    .find(|w| h.wait_on(w, watched_write) != Wait::No)
                    .map(|w| {
                        format!(
                            "{} is at {}",
                            String::from_utf8_lossy(&w.prefix),
                            w.progress_through
                        )
                    })
                    .unwrap_or_default();
                self.log(format!(
                    "the watches have not reached revision {} after {}s ({lagging}); answering anyway",
                    h.revision,
                    self.cfg.hold_limit.as_secs(),
                ));
            }
            self.report(StoreReport::Done(h.op, Ok(h.response)));
        }
    }

    /// Asks each open stream an answer waits on for a progress notification, at most once
    /// per [`PROGRESS_RETRY`]: a request may be lost with a broken stream.
    fn request_progress_if_needed(&mut self, now: Duration) {
        if self.held.is_empty() {
            return;
        }
        let progress_wanted = self.progress_wanted();
        let wanted: Vec<(WatchId, StreamId)> = self
            .watches
            .iter()
            .filter_map(|(wid, w)| match w.stream {
                StreamState::Open { id, .. } if progress_wanted.contains(wid) => Some((*wid, id)),
                _ => None,
            })
            .collect();
        for (wid, stream) in wanted {
            let Some(w) = self.watches.get_mut(&wid) else {
                continue;
            };
            if w.progress_asked
                .is_some_and(|t| now.saturating_sub(t) < PROGRESS_RETRY)
            {
                continue;
            }
            w.progress_asked = Some(now);
            self.out.push_back(Output::RequestProgress { stream });
        }
    }

    // ---------------------------------------------------------------------------------------
    // Compaction
    // ---------------------------------------------------------------------------------------

    /// A round of the compactor, coordinated between replicas as kube-apiserver does it: if
    /// [`COMPACT_REV_KEY`]'s version is still the one this replica saw last round, it writes
    /// the revision seen then and compacts up to it; otherwise another replica won the round,
    /// and this one adopts the key's version. So one compaction happens per interval however
    /// many replicas run, and it keeps at least one interval of history. The first round only
    /// records the current revision.
    fn round_answered(&mut self, now: Duration, result: Result<Answer, CallError>) {
        match result {
            Ok(Answer::CompactRound {
                succeeded: false,
                version,
                revision,
            }) => self.next_round(now, version, revision),
            Ok(Answer::CompactRound {
                succeeded: true,
                revision: current,
                ..
            }) => {
                let (version, revision) = (self.compactor.version, self.compactor.revision);
                if revision > 0 {
                    let purpose = Purpose::RoundCompact {
                        version: version + 1,
                        revision: current,
                    };
                    self.begin(now, purpose, Call::Compact { revision });
                } else {
                    self.next_round(now, version + 1, current);
                }
            }
            Ok(_) => {
                self.log("compaction round failed: an answer of another call".into());
                self.compactor.next_at = Some(now + self.compactor.interval);
            }
            Err(e) => {
                let e = storage_error(e, false, self.known_compact);
                self.log(format!("compaction round failed: {e}"));
                self.compactor.next_at = Some(now + self.compactor.interval);
            }
        }
    }

    fn next_round(&mut self, now: Duration, version: i64, revision: i64) {
        self.compactor.version = version;
        self.compactor.revision = revision;
        self.compactor.next_at = Some(now + self.compactor.interval);
    }

    // ---------------------------------------------------------------------------------------

    fn endpoint_name(&self, i: usize) -> String {
        self.cfg
            .endpoints
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("endpoint {i}"))
    }

    fn saw_compaction(&mut self, revision: i64) {
        self.known_compact = self.known_compact.max(revision);
    }

    fn report(&mut self, r: StoreReport) {
        self.out.push_back(Output::Report(r));
    }

    fn log(&mut self, line: String) {
        self.out.push_back(Output::Log(line));
    }

    /// Everything that may follow any input: dial, send, open the stream, release answers.
    fn step(&mut self, now: Duration) {
        self.dial_if_due(now);
        self.send_unsent();
        self.open_streams_if_due(now);
        self.release_held(now);
        self.request_progress_if_needed(now);
    }
}

fn is_future_revision(e: &CallError) -> bool {
    matches!(e, CallError::Status { code: OUT_OF_RANGE, message } if message.contains("future revision"))
}

/// Maps a failed call onto the storage contract. A call that failed for want of a connection
/// is `Unavailable`; a write whose fate is unknown is `Timeout`.
pub fn storage_error(e: CallError, idempotent: bool, known_compact: i64) -> StorageError {
    if let (CallError::Lost(_), false) = (&e, idempotent) {
        return StorageError::Timeout;
    }
    map_simple(e, known_compact)
}

/// The mapping of a failed call that needs no knowledge of the call.
pub fn map_simple(e: CallError, known_compact: i64) -> StorageError {
    match e {
        CallError::Status { code, message } => match code {
            OUT_OF_RANGE if message.contains("compacted") => StorageError::Compacted {
                compact_revision: known_compact,
            },
            OUT_OF_RANGE if message.contains("future revision") => {
                StorageError::FutureRevision { current_revision: 0 }
            }
            DEADLINE_EXCEEDED => StorageError::Timeout,
            UNAVAILABLE if message.contains("timed out") => StorageError::Timeout,
            _ => StorageError::Unavailable(format!("etcd: {message}")),
        },
        CallError::NotSent(m) => StorageError::Unavailable(m),
        CallError::Lost(m) => StorageError::Unavailable(format!("etcd connection lost: {m}")),
        CallError::Protocol(m) => StorageError::Unavailable(format!("etcd protocol error: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::storage::{KeyValue, TxnOp};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn session(endpoints: usize) -> Session {
        let cfg = Config {
            endpoints: (0..endpoints).map(|i| format!("e{i}")).collect(),
            request_timeout: ms(1_000),
            dial_timeout: ms(100),
            compaction_interval: Duration::ZERO,
            hold_limit: HOLD_LIMIT,
        };
        Session::new(cfg, ms(0))
    }

    fn watch(id: u32, prefix: &str, from: i64) -> StoreCmd {
        StoreCmd::Watch {
            watch: WatchId(id),
            prefix: prefix.as_bytes().to_vec(),
            from,
        }
    }

    fn drain(s: &mut Session) -> Vec<Output> {
        std::iter::from_fn(|| s.poll_output()).collect()
    }

    fn put(key: &str) -> StorageRequest {
        StorageRequest::Txn {
            compare: Vec::new(),
            success: vec![TxnOp::Put {
                key: key.as_bytes().to_vec(),
                value: b"v".to_vec(),
                ttl_secs: None,
            }],
            failure: Vec::new(),
        }
    }

    /// Connects `s` on its first dial; returns the connection.
    fn connect(s: &mut Session) -> ConnId {
        let conn = drain(s)
            .into_iter()
            .find_map(|o| match o {
                Output::Dial { conn, .. } => Some(conn),
                _ => None,
            })
            .expect("a dial");
        s.connected(ms(0), conn);
        conn
    }

    fn sent(outs: &[Output]) -> Vec<RpcId> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Send { rpc, .. } => Some(*rpc),
                _ => None,
            })
            .collect()
    }

    fn done(outs: &[Output]) -> Vec<(EffectId, Result<StorageResponse, StorageError>)> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Report(StoreReport::Done(op, r)) => Some((*op, r.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_refused_endpoint_fails_over_to_the_next() {
        let mut s = session(2);
        let first = drain(&mut s);
        let Some(Output::Dial { conn, endpoint: 0 }) = first.first() else {
            panic!("{first:?}");
        };
        s.dial_failed(ms(1), *conn, "connection refused");
        let next = drain(&mut s);
        assert!(
            matches!(next.first(), Some(Output::Dial { endpoint: 1, .. })),
            "{next:?}"
        );
    }

    #[test]
    fn a_write_lost_after_sending_is_a_timeout_and_not_retried() {
        let mut s = session(2);
        connect(&mut s);
        s.command(ms(1), StoreCmd::Run(EffectId(1), put("/r/a")));
        let rpc = sent(&drain(&mut s))[0];
        s.rpc_answered(ms(2), rpc, Err(CallError::Lost("reset".into())));
        let outs = drain(&mut s);
        assert_eq!(done(&outs), vec![(EffectId(1), Err(StorageError::Timeout))]);
        assert!(sent(&outs).is_empty(), "{outs:?}");
    }

    #[test]
    fn a_write_waits_for_its_event_and_a_read_for_progress() {
        let mut s = session(1);
        connect(&mut s);
        s.command(ms(1), watch(1, "/r/", 1));
        let stream = drain(&mut s)
            .into_iter()
            .find_map(|o| match o {
                Output::OpenWatch {
                    stream,
                    start_revision,
                    ..
                } => {
                    assert_eq!(start_revision, 2);
                    Some(stream)
                }
                _ => None,
            })
            .expect("a watch");
        s.watch_opened(ms(2), stream);
        s.command(ms(3), StoreCmd::Run(EffectId(1), put("/r/a")));
        let rpc = sent(&drain(&mut s))[0];
        let txn = StorageResponse::Txn {
            revision: 2,
            succeeded: true,
            gets: Vec::new(),
        };
        let outcome = Outcome {
            response: txn.clone(),
            written: vec![b"/r/a".to_vec()],
        };
        s.rpc_answered(ms(4), rpc, Ok(Answer::Kv(outcome)));
        assert!(done(&drain(&mut s)).is_empty(), "held until the event");
        let kv = KeyValue {
            key: b"/r/a".to_vec(),
            value: b"v".to_vec(),
            create_revision: 2,
            mod_revision: 2,
            version: 1,
        };
        let event = StorageEvent {
            kind: gatehouse_core::storage::EventKind::Put,
            kv,
            prev: None,
        };
        let resp = WatchResponse {
            revision: 2,
            events: vec![event],
            ..WatchResponse::default()
        };
        s.watch_response(ms(5), stream, resp);
        let outs = drain(&mut s);
        assert!(
            matches!(
                outs.first(),
                Some(Output::Report(StoreReport::Events(WatchId(1), _)))
            ),
            "{outs:?}"
        );
        assert_eq!(done(&outs), vec![(EffectId(1), Ok(txn))]);
        // A read at a revision with no event under the prefix asks for progress.
        let read = StorageRequest::Range {
            key: b"/r/".to_vec(),
            range_end: b"/r0".to_vec(),
            revision: 0,
            limit: 0,
        };
        s.command(ms(6), StoreCmd::Run(EffectId(2), read));
        let rpc = sent(&drain(&mut s))[0];
        let range = StorageResponse::Range {
            revision: 3,
            count: 0,
            more: false,
            kvs: Vec::new(),
        };
        let outcome = Outcome {
            response: range.clone(),
            written: Vec::new(),
        };
        s.rpc_answered(ms(7), rpc, Ok(Answer::Kv(outcome)));
        let outs = drain(&mut s);
        assert!(done(&outs).is_empty());
        assert!(
            outs.iter().any(|o| matches!(o, Output::RequestProgress { .. })),
            "{outs:?}"
        );
        let progress = WatchResponse {
            revision: 3,
            ..WatchResponse::default()
        };
        s.watch_response(ms(8), stream, progress);
        assert_eq!(done(&drain(&mut s)), vec![(EffectId(2), Ok(range))]);
    }

    #[test]
    fn a_broken_stream_resumes_after_the_last_revision_seen() {
        let mut s = session(1);
        connect(&mut s);
        s.command(ms(1), watch(1, "/r/", 7));
        let first = drain(&mut s);
        let Some(Output::OpenWatch { stream, .. }) =
            first.iter().find(|o| matches!(o, Output::OpenWatch { .. }))
        else {
            panic!("{first:?}");
        };
        s.watch_broken(ms(2), *stream, "reset");
        assert!(!drain(&mut s)
            .iter()
            .any(|o| matches!(o, Output::OpenWatch { .. })));
        let at = s.poll_timeout().expect("a back-off");
        s.handle_timeout(at);
        let outs = drain(&mut s);
        assert!(
            outs.iter().any(|o| matches!(
                o,
                Output::OpenWatch {
                    start_revision: 8,
                    ..
                }
            )),
            "{outs:?}"
        );
    }

    /// The streams opened in `outs`: (prefix, stream, start revision).
    fn opened(outs: &[Output]) -> Vec<(String, StreamId, i64)> {
        outs.iter()
            .filter_map(|o| match o {
                Output::OpenWatch {
                    stream,
                    start_revision,
                    key,
                    ..
                } => Some((
                    String::from_utf8_lossy(key).into_owned(),
                    *stream,
                    *start_revision,
                )),
                _ => None,
            })
            .collect()
    }

    fn event(key: &str, revision: i64) -> StorageEvent {
        StorageEvent {
            kind: gatehouse_core::storage::EventKind::Put,
            kv: KeyValue {
                key: key.as_bytes().to_vec(),
                value: b"v".to_vec(),
                create_revision: revision,
                mod_revision: revision,
                version: 1,
            },
            prev: None,
        }
    }

    fn events(stream: StreamId, revision: i64, evs: Vec<StorageEvent>) -> (StreamId, WatchResponse) {
        let resp = WatchResponse {
            revision,
            events: evs,
            ..WatchResponse::default()
        };
        (stream, resp)
    }

    fn progress(stream: StreamId, revision: i64) -> (StreamId, WatchResponse) {
        let resp = WatchResponse {
            revision,
            ..WatchResponse::default()
        };
        (stream, resp)
    }

    /// Watches 1 (`/r/a/`) and 2 (`/r/b/`) from revision 1, both streams open.
    fn two_watches() -> (Session, StreamId, StreamId) {
        let mut s = session(1);
        assert_eq!(connect(&mut s), ConnId(1));
        s.command(ms(1), watch(1, "/r/a/", 1));
        s.command(ms(1), watch(2, "/r/b/", 1));
        let streams = opened(&drain(&mut s));
        assert_eq!(
            streams
                .iter()
                .map(|(k, _, from)| (k.as_str(), *from))
                .collect::<Vec<_>>(),
            vec![("/r/a/", 2), ("/r/b/", 2)]
        );
        let (a, b) = (streams[0].1, streams[1].1);
        s.watch_opened(ms(2), a);
        s.watch_opened(ms(2), b);
        drain(&mut s);
        (s, a, b)
    }

    fn answer(s: &mut Session, now: Duration, response: StorageResponse, written: &[&str]) {
        let rpc = *sent(&drain(s)).last().expect("a call");
        let outcome = Outcome {
            response,
            written: written.iter().map(|k| k.as_bytes().to_vec()).collect(),
        };
        s.rpc_answered(now, rpc, Ok(Answer::Kv(outcome)));
    }

    fn range_at(revision: i64) -> StorageResponse {
        StorageResponse::Range {
            revision,
            count: 0,
            more: false,
            kvs: Vec::new(),
        }
    }

    fn read() -> StorageRequest {
        StorageRequest::Range {
            key: b"/r/".to_vec(),
            range_end: b"/r0".to_vec(),
            revision: 0,
            limit: 0,
        }
    }

    fn progress_asked(outs: &[Output]) -> Vec<StreamId> {
        outs.iter()
            .filter_map(|o| match o {
                Output::RequestProgress { stream } => Some(*stream),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_write_waits_for_the_watch_of_its_key_and_a_read_for_every_watch() {
        let (mut s, a, b) = two_watches();
        s.command(ms(3), StoreCmd::Run(EffectId(1), put("/r/a/x")));
        let txn = StorageResponse::Txn {
            revision: 2,
            succeeded: true,
            gets: Vec::new(),
        };
        answer(&mut s, ms(4), txn, &["/r/a/x"]);
        let outs = drain(&mut s);
        assert!(done(&outs).is_empty(), "held until its event: {outs:?}");
        assert!(
            progress_asked(&outs).is_empty(),
            "a write asks no progress: {outs:?}"
        );
        let (st, resp) = events(a, 2, vec![event("/r/a/x", 2)]);
        s.watch_response(ms(5), st, resp);
        let outs = drain(&mut s);
        assert!(
            matches!(&outs[..], [Output::Report(StoreReport::Events(WatchId(1), evs)), Output::Report(StoreReport::Done(EffectId(1), _))] if evs.len() == 1),
            "the event on watch 1, then the answer, without waiting for watch 2: {outs:?}"
        );

        // A read waits until both watches are at its revision, asking each for progress.
        s.command(ms(6), StoreCmd::Run(EffectId(2), read()));
        answer(&mut s, ms(7), range_at(3), &[]);
        let outs = drain(&mut s);
        assert!(done(&outs).is_empty());
        assert_eq!(progress_asked(&outs), vec![a, b]);
        let (st, resp) = progress(a, 3);
        s.watch_response(ms(8), st, resp);
        assert!(done(&drain(&mut s)).is_empty(), "watch 2 is not there yet");
        let (st, resp) = progress(b, 3);
        s.watch_response(ms(9), st, resp);
        assert_eq!(done(&drain(&mut s)), vec![(EffectId(2), Ok(range_at(3)))]);
        assert_eq!(s.poll_timeout(), None, "nothing left to wait for");
    }

    #[test]
    fn a_compacted_watch_is_reported_for_its_id_and_leaves_the_others() {
        let (mut s, a, b) = two_watches();
        let resp = WatchResponse {
            revision: 9,
            canceled: true,
            compact_revision: 5,
            ..WatchResponse::default()
        };
        s.watch_response(ms(3), a, resp);
        let outs = drain(&mut s);
        assert!(
            outs.iter()
                .any(|o| matches!(o, Output::Report(StoreReport::WatchCompacted(WatchId(1))))),
            "{outs:?}"
        );
        assert!(
            outs.iter()
                .all(|o| !matches!(o, Output::CloseWatch { stream } if *stream == b)),
            "{outs:?}"
        );
        assert!(
            opened(&outs).is_empty(),
            "the core re-lists before watching again"
        );
        assert_eq!(s.known_compact_revision(), 5);
        // A read now waits for watch 2 alone.
        s.command(ms(4), StoreCmd::Run(EffectId(1), read()));
        answer(&mut s, ms(5), range_at(9), &[]);
        assert_eq!(progress_asked(&drain(&mut s)), vec![b]);
        let (st, resp) = progress(b, 9);
        s.watch_response(ms(6), st, resp);
        assert_eq!(done(&drain(&mut s)), vec![(EffectId(1), Ok(range_at(9)))]);
        // Late messages of the compacted stream are ignored; the new watch starts afresh.
        let (st, resp) = events(a, 3, vec![event("/r/a/x", 3)]);
        s.watch_response(ms(7), st, resp);
        assert!(drain(&mut s).is_empty());
        s.command(ms(8), watch(1, "/r/a/", 9));
        assert_eq!(
            opened(&drain(&mut s))
                .into_iter()
                .map(|(k, _, from)| (k, from))
                .collect::<Vec<_>>(),
            vec![("/r/a/".to_string(), 10)]
        );
    }

    #[test]
    fn each_watch_resumes_from_its_own_revision() {
        let (mut s, a, b) = two_watches();
        let (st, resp) = events(a, 4, vec![event("/r/a/x", 4)]);
        s.watch_response(ms(3), st, resp);
        let (st, resp) = events(b, 6, vec![event("/r/b/y", 6)]);
        s.watch_response(ms(3), st, resp);
        drain(&mut s);
        // One stream breaks: only it resumes.
        s.watch_broken(ms(4), a, "reset");
        assert!(opened(&drain(&mut s)).is_empty(), "after a back-off");
        let at = s.poll_timeout().expect("a back-off");
        s.handle_timeout(at);
        let again = opened(&drain(&mut s));
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!((again[0].0.as_str(), again[0].2), ("/r/a/", 5));
        // The connection goes: every stream resumes on the next one, each where it was.
        s.connection_lost(at, ConnId(1), "reset");
        let mut now = at;
        let conn = loop {
            assert!(now < ms(10_000), "no dial");
            now += ms(100);
            s.handle_timeout(now);
            if let Some(conn) = drain(&mut s).into_iter().find_map(|o| match o {
                Output::Dial { conn, .. } => Some(conn),
                _ => None,
            }) {
                break conn;
            }
        };
        s.connected(now, conn);
        let mut resumed = opened(&drain(&mut s));
        while resumed.len() < 2 {
            assert!(now < ms(20_000), "not resumed: {resumed:?}");
            now += ms(100);
            s.handle_timeout(now);
            resumed.extend(opened(&drain(&mut s)));
        }
        // (Watch 1 broke twice, so its back-off is the longer.)
        let mut resumed: Vec<(String, i64)> = resumed.into_iter().map(|(k, _, from)| (k, from)).collect();
        resumed.sort();
        assert_eq!(resumed, vec![("/r/a/".to_string(), 5), ("/r/b/".to_string(), 7)]);
    }

    #[test]
    fn errors_map_onto_the_storage_contract() {
        let status = |code, m: &str| CallError::Status {
            code,
            message: m.into(),
        };
        assert_eq!(
            map_simple(
                status(11, "etcdserver: mvcc: required revision has been compacted"),
                7
            ),
            StorageError::Compacted { compact_revision: 7 }
        );
        assert_eq!(
            map_simple(status(4, "context deadline exceeded"), 0),
            StorageError::Timeout
        );
        assert_eq!(
            map_simple(status(14, "etcdserver: request timed out"), 0),
            StorageError::Timeout
        );
        assert!(matches!(
            map_simple(status(14, "etcdserver: no leader"), 0),
            StorageError::Unavailable(_)
        ));
        assert!(matches!(
            map_simple(CallError::NotSent("connection refused".into()), 0),
            StorageError::Unavailable(_)
        ));
    }
}
