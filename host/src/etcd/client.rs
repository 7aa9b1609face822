//! The etcd v3 client's IO: connections ([`open_channel`]: handshakes, first ping, keepalive),
//! and the calls of a [`super::session::Session`] in etcd's messages ([`perform`]).
//!
//! [`Client`] is a standalone async client over the same pieces, for tools and tests that talk
//! to etcd directly (benchmarks, the compaction contract test): a connection manager task
//! dials the endpoints in turn, and each call carries a deadline. The storage backend does not
//! use it: its dialing, retries and deadlines are the session's.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use async_io::Timer;
use bytes::Bytes;
use event_listener::Event;
use futures_rustls::TlsConnector;
use gatehouse_core::storage::{Compare, KeyValue, StorageError, StorageRequest, StorageResponse, TxnOp};
use prost::Message;

use super::grpc::{self, CallError, Responses, Target};
use super::proto;
use super::session::{self, Answer, Call, OUT_OF_RANGE, UNAVAILABLE};
use super::transport::{self, Endpoint};

pub use super::session::Outcome;

/// How often an idle connection is probed, and how long a probe may take before the
/// connection is given up.
const KEEPALIVE: Duration = Duration::from_secs(10);
/// First pause after every endpoint failed; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How to reach etcd.
#[derive(Clone)]
pub struct ClientOptions {
    /// Endpoints, tried in order.
    pub endpoints: Vec<Endpoint>,
    /// TLS for `https` endpoints.
    pub tls: Option<TlsConnector>,
    /// Deadline of each call.
    pub request_timeout: Duration,
    /// Deadline of each connection attempt (TCP, TLS and HTTP/2 handshakes).
    pub dial_timeout: Duration,
}

/// A live connection.
#[derive(Clone)]
pub struct Conn {
    send: h2::client::SendRequest<Bytes>,
    target: Target,
    alive: Rc<Cell<bool>>,
}

impl Conn {
    fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Opens a streaming call on this connection.
    pub async fn open(
        &self,
        path: &str,
    ) -> Result<(h2::client::ResponseFuture, h2::SendStream<Bytes>), CallError> {
        grpc::open(&self.send, &self.target, path).await
    }
}

struct Inner {
    opts: ClientOptions,
    conn: RefCell<Option<Conn>>,
    /// Notified whenever the connection appears, dies, or a round of dialing fails.
    changed: Event,
    failed_rounds: Cell<u64>,
    last_error: RefCell<String>,
    known_compact: Cell<i64>,
}

/// See [`LEASE_REUSE_SECS`].
const LEASE_REUSE: Duration = Duration::from_secs(LEASE_REUSE_SECS as u64);

/// A handle to the client; cheap to clone, bound to the thread that made it.
#[derive(Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

impl Client {
    /// Makes a client and starts dialing on `ex`. Its tasks hold no strong reference to the
    /// executor: dropping the executor ends them and closes the connection.
    pub fn new(ex: &Rc<LocalExecutor<'static>>, opts: ClientOptions) -> Client {
        let inner = Rc::new(Inner {
            opts,
            conn: RefCell::new(None),
            changed: Event::new(),
            failed_rounds: Cell::new(0),
            last_error: RefCell::new("not connected yet".into()),
            known_compact: Cell::new(0),
        });
        ex.spawn(manage(Rc::downgrade(ex), inner.clone())).detach();
        Client { inner }
    }

    /// The deadline of each call.
    pub fn request_timeout(&self) -> Duration {
        self.inner.opts.request_timeout
    }

    /// The newest compaction revision this client knows of (0: none seen).
    pub fn known_compact_revision(&self) -> i64 {
        self.inner.known_compact.get()
    }

    /// Records a compaction revision learnt elsewhere (e.g. from a watch).
    pub fn saw_compaction(&self, revision: i64) {
        if revision > self.inner.known_compact.get() {
            self.inner.known_compact.set(revision);
        }
    }

    /// The live connection, waiting for one while the manager dials. Fails with
    /// [`StorageError::Unavailable`] once a whole round over every endpoint has failed since
    /// the call began.
    pub async fn conn(&self) -> Result<Conn, StorageError> {
        let start_rounds = self.inner.failed_rounds.get();
        loop {
            let listener = self.inner.changed.listen();
            if let Some(c) = self.inner.conn.borrow().as_ref().filter(|c| c.is_alive()) {
                return Ok(c.clone());
            }
            if self.inner.failed_rounds.get() > start_rounds {
                return Err(StorageError::Unavailable(format!(
                    "no etcd endpoint reachable: {}",
                    self.inner.last_error.borrow()
                )));
            }
            listener.await;
        }
    }

    fn drop_conn(&self, c: &Conn) {
        if c.alive.replace(false) {
            self.inner.changed.notify(usize::MAX);
        }
    }

    /// One unary call under the request deadline. A call that never left is retried on the
    /// next connection; one lost after it left is retried only when `idempotent`, else it ends
    /// as [`StorageError::Timeout`] (etcd may or may not have applied it).
    pub async fn call<Req: Message, Resp: Message + Default>(
        &self,
        path: &'static str,
        req: &Req,
        idempotent: bool,
    ) -> Result<Resp, CallError> {
        let attempts = async {
            let mut tries = 0;
            loop {
                let c = self.conn().await.map_err(|e| match e {
                    StorageError::Unavailable(m) => CallError::NotSent(m),
                    other => CallError::NotSent(other.to_string()),
                })?;
                match grpc::unary(&c.send, &c.target, path, req).await {
                    Ok(r) => return Ok(r),
                    Err(e @ CallError::NotSent(_)) | Err(e @ CallError::Lost(_)) => {
                        self.drop_conn(&c);
                        let retry = matches!(e, CallError::NotSent(_)) || idempotent;
                        tries += 1;
                        if !retry || tries > self.inner.opts.endpoints.len() + 1 {
                            return Err(e);
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        with_deadline(self.inner.opts.request_timeout, attempts)
            .await
            .unwrap_or_else(|| {
                Err(CallError::Status {
                    code: DEADLINE_EXCEEDED,
                    message: "request deadline exceeded".into(),
                })
            })
    }

    /// Compacts etcd's history before `revision`.
    pub async fn compact(&self, revision: i64) -> Result<i64, StorageError> {
        let r = proto::CompactionRequest {
            revision,
            physical: false,
        };
        match self
            .call::<_, proto::CompactionResponse>(proto::method::COMPACT, &r, true)
            .await
        {
            Ok(resp) => {
                self.saw_compaction(revision);
                Ok(revision_of(&resp.header))
            }
            Err(e) => Err(self.storage_error(e, true).await),
        }
    }

    /// A transaction in etcd's own terms (for callers needing compares the core does not
    /// make, such as the compactor's compare on a key's version).
    pub async fn txn(&self, r: &proto::TxnRequest) -> Result<proto::TxnResponse, StorageError> {
        match self.call(proto::method::TXN, r, false).await {
            Ok(resp) => Ok(resp),
            Err(e) => Err(self.storage_error(e, false).await),
        }
    }

    /// Grants a lease of `ttl_seconds`; returns its id.
    pub async fn lease_grant(&self, ttl_seconds: i64) -> Result<i64, StorageError> {
        let r = proto::LeaseGrantRequest {
            ttl: ttl_seconds,
            id: 0,
        };
        match self
            .call::<_, proto::LeaseGrantResponse>(proto::method::LEASE_GRANT, &r, false)
            .await
        {
            Ok(resp) if resp.error.is_empty() => Ok(resp.id),
            Ok(resp) => Err(StorageError::Unavailable(format!("etcd: {}", resp.error))),
            Err(e) => Err(self.storage_error(e, false).await),
        }
    }

    /// The answering member's status: its etcd version and the store's revision.
    pub async fn status(&self) -> Result<(String, i64), StorageError> {
        match self
            .call::<_, proto::StatusResponse>(proto::method::STATUS, &proto::StatusRequest {}, true)
            .await
        {
            Ok(resp) => Ok((resp.version, revision_of(&resp.header))),
            Err(e) => Err(self.storage_error(e, true).await),
        }
    }

    /// The store's current revision (a linearizable read of one key).
    pub async fn current_revision(&self) -> Result<i64, StorageError> {
        let r = current_revision_request();
        match self
            .call::<_, proto::RangeResponse>(proto::method::RANGE, &r, true)
            .await
        {
            Ok(resp) => Ok(revision_of(&resp.header)),
            Err(e) => Err(session::map_simple(e, 0)),
        }
    }

    /// Maps a failed call onto the storage contract. A read that failed for want of a
    /// connection is `Unavailable`; a write whose fate is unknown is `Timeout`.
    async fn storage_error(&self, e: CallError, idempotent: bool) -> StorageError {
        if let CallError::Status {
            code: OUT_OF_RANGE,
            message,
        } = &e
        {
            if message.contains("future revision") {
                return match self.current_revision().await {
                    Ok(current_revision) => StorageError::FutureRevision { current_revision },
                    Err(e) => e,
                };
            }
        }
        session::storage_error(e, idempotent, self.known_compact_revision())
    }
}

/// gRPC status code of a call that ran out of time.
const DEADLINE_EXCEEDED: u32 = session::DEADLINE_EXCEEDED;

/// Runs `fut` for at most `d`; `None` when time ran out.
pub async fn with_deadline<T>(d: Duration, fut: impl Future<Output = T>) -> Option<T> {
    let deadline = Instant::now() + d;
    futures_lite::future::or(async { Some(fut.await) }, async {
        Timer::at(deadline).await;
        None
    })
    .await
}

/// Reads the first message of a freshly opened stream's answers within the deadline.
pub async fn first_responses(
    client: &Client,
    fut: h2::client::ResponseFuture,
) -> Result<Responses, CallError> {
    with_deadline(client.request_timeout(), grpc::responses(fut))
        .await
        .unwrap_or_else(|| Err(CallError::Lost("no answer before the deadline".into())))
}

/// Keeps one connection up: dials the endpoints in turn, hands the connection out, and dials
/// again when it dies.
async fn manage(ex: Weak<LocalExecutor<'static>>, inner: Rc<Inner>) {
    let n = inner.opts.endpoints.len();
    let mut first = 0;
    let mut backoff = MIN_BACKOFF;
    let mut logged_failure = String::new();
    loop {
        let mut connected = None;
        for i in 0..n {
            let idx = (first + i) % n;
            match dial(&ex, &inner, idx).await {
                Ok(conn) => {
                    connected = Some((idx, conn));
                    break;
                }
                Err(e) => {
                    *inner.last_error.borrow_mut() = format!("{}: {e}", inner.opts.endpoints[idx].url())
                }
            }
        }
        let Some((idx, conn)) = connected else {
            let err = inner.last_error.borrow().clone();
            if err != logged_failure {
                eprintln!("gatehouse: etcd: cannot reach any endpoint ({err}); retrying");
                logged_failure = err;
            }
            inner.failed_rounds.set(inner.failed_rounds.get() + 1);
            inner.changed.notify(usize::MAX);
            Timer::after(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            continue;
        };
        let url = inner.opts.endpoints[idx].url();
        if !logged_failure.is_empty() || first != idx {
            eprintln!("gatehouse: etcd: connected to {url}");
        }
        logged_failure.clear();
        first = idx;
        let alive = conn.alive.clone();
        *inner.conn.borrow_mut() = Some(conn);
        inner.changed.notify(usize::MAX);
        let since = Instant::now();
        while alive.get() {
            let l = inner.changed.listen();
            if !alive.get() {
                break;
            }
            l.await;
        }
        *inner.conn.borrow_mut() = None;
        eprintln!(
            "gatehouse: etcd: connection to {url} lost ({}); reconnecting",
            inner.last_error.borrow()
        );
        // A connection that dies at once must not turn into a busy loop.
        if since.elapsed() < MAX_BACKOFF {
            Timer::after(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        } else {
            backoff = MIN_BACKOFF;
        }
    }
}

/// Connects to endpoint `idx` and starts the task that drives the connection.
async fn dial(ex: &Weak<LocalExecutor<'static>>, inner: &Rc<Inner>, idx: usize) -> Result<Conn, String> {
    let ep = inner.opts.endpoints[idx].clone();
    let (channel, run) = open_channel(&ep, inner.opts.tls.as_ref(), inner.opts.dial_timeout).await?;
    let Some(ex) = ex.upgrade() else {
        return Err("the client is shutting down".to_string());
    };
    let alive = Rc::new(Cell::new(true));
    let task_alive = alive.clone();
    let task_inner = inner.clone();
    // The task moves the bytes until the connection fails, a keepalive probe goes unanswered,
    // or the connection is given up.
    ex.spawn(async move {
        let given_up = async {
            while task_alive.get() {
                let l = task_inner.changed.listen();
                if !task_alive.get() {
                    break;
                }
                l.await;
            }
            "given up".to_string()
        };
        let why = futures_lite::future::or(run, given_up).await;
        if task_alive.replace(false) {
            *task_inner.last_error.borrow_mut() = format!("{}: {why}", ep.url());
            task_inner.changed.notify(usize::MAX);
        }
    })
    .detach();
    Ok(Conn {
        send: channel.send,
        target: channel.target,
        alive,
    })
}

/// The request side of an open connection.
#[derive(Clone)]
pub struct Channel {
    /// Opens streams.
    pub send: h2::client::SendRequest<Bytes>,
    /// Where they go.
    pub target: Target,
}

/// What keeps a connection going; it ends, with the reason, when the connection fails or a
/// keepalive probe goes unanswered. Dropping it closes the connection.
pub type Driving = Pin<Box<dyn Future<Output = String>>>;

/// Connects to `ep`. The connection counts only once etcd answered a first HTTP/2 ping: that
/// proves the server speaks HTTP/2 and accepted this client (a TLS server may reject the client
/// certificate only after the handshake).
pub async fn open_channel(
    ep: &Endpoint,
    tls: Option<&TlsConnector>,
    dial_timeout: Duration,
) -> Result<(Channel, Driving), String> {
    let (send, mut connection) = transport::connect(ep, tls, dial_timeout)
        .await
        .map_err(|e| e.to_string())?;
    let mut pinger = connection
        .ping_pong()
        .ok_or_else(|| "the HTTP/2 connection offers no ping".to_string())?;
    let first = futures_lite::future::or(
        async {
            Err(match (&mut connection).await {
                Ok(()) => "closed by etcd".to_string(),
                Err(e) => transport::h2_to_io(e).to_string(),
            })
        },
        async {
            match with_deadline(dial_timeout, pinger.ping(h2::Ping::opaque())).await {
                Some(Ok(_)) => Ok(()),
                Some(Err(e)) => Err(transport::h2_to_io(e).to_string()),
                None => Err("no answer to the first HTTP/2 ping".to_string()),
            }
        },
    )
    .await;
    first?;
    let driving = async move {
        let probes = async {
            loop {
                Timer::after(KEEPALIVE).await;
                match with_deadline(KEEPALIVE, pinger.ping(h2::Ping::opaque())).await {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return format!("keepalive: {e}"),
                    None => return "keepalive probe unanswered".to_string(),
                }
            }
        };
        let run = async {
            match (&mut connection).await {
                Ok(()) => "closed by etcd".to_string(),
                Err(e) => transport::h2_to_io(e).to_string(),
            }
        };
        futures_lite::future::or(run, probes).await
    };
    let channel = Channel {
        send,
        target: Target {
            scheme: if ep.tls { "https" } else { "http" },
            authority: ep.authority(),
        },
    };
    Ok((channel, Box::pin(driving)))
}

/// How long one lease is shared by writes with the same TTL, as kube-apiserver's
/// `--lease-reuse-duration-seconds` default: one lease per minute instead of one per Event.
const LEASE_REUSE_SECS: i64 = 60;

/// Leases handed to keys with a TTL, by TTL: (lease id, when it was granted).
#[derive(Default)]
pub struct Leases {
    by_ttl: RefCell<BTreeMap<u32, (i64, Instant)>>,
}

impl Leases {
    /// A lease under which a key lives at least `ttl` seconds: one granted for `ttl` plus the
    /// reuse window, shared by every such write within that window.
    async fn lease_for(&self, ch: &Channel, ttl: u32) -> Result<i64, CallError> {
        if let Some((id, at)) = self.by_ttl.borrow().get(&ttl) {
            if at.elapsed() < LEASE_REUSE {
                return Ok(*id);
            }
        }
        let r = proto::LeaseGrantRequest {
            ttl: i64::from(ttl) + LEASE_REUSE_SECS,
            id: 0,
        };
        let resp: proto::LeaseGrantResponse =
            grpc::unary(&ch.send, &ch.target, proto::method::LEASE_GRANT, &r).await?;
        if !resp.error.is_empty() {
            return Err(CallError::Status {
                code: UNAVAILABLE,
                message: format!("lease grant: {}", resp.error),
            });
        }
        self.by_ttl.borrow_mut().insert(ttl, (resp.id, Instant::now()));
        Ok(resp.id)
    }
}

/// Makes one call of a [`super::session::Session`] on `ch`, in etcd's messages.
pub async fn perform(ch: &Channel, call: &Call, leases: &Leases) -> Result<Answer, CallError> {
    match call {
        Call::Kv(StorageRequest::Range {
            key,
            range_end,
            revision,
            limit,
        }) => {
            let r = proto::RangeRequest {
                key: key.clone(),
                range_end: range_end.clone(),
                limit: *limit,
                revision: *revision,
                ..Default::default()
            };
            let resp: proto::RangeResponse =
                grpc::unary(&ch.send, &ch.target, proto::method::RANGE, &r).await?;
            Ok(Answer::Kv(Outcome {
                response: StorageResponse::Range {
                    revision: revision_of(&resp.header),
                    count: resp.count,
                    more: resp.more,
                    kvs: resp.kvs.into_iter().map(kv_of).collect(),
                },
                written: Vec::new(),
            }))
        }
        Call::Kv(StorageRequest::Txn {
            compare,
            success,
            failure,
        }) => {
            let mut ids = BTreeMap::new();
            for op in success.iter().chain(failure) {
                if let TxnOp::Put {
                    ttl_secs: Some(ttl), ..
                } = op
                {
                    if !ids.contains_key(ttl) {
                        // The transaction has not left yet: a lost grant leaves it unsent.
                        let id = leases.lease_for(ch, *ttl).await.map_err(|e| match e {
                            CallError::Lost(m) => CallError::NotSent(format!("lease grant: {m}")),
                            other => other,
                        })?;
                        ids.insert(*ttl, id);
                    }
                }
            }
            let r = proto::TxnRequest {
                compare: compare.iter().map(compare_of).collect(),
                success: success.iter().map(|op| op_of(op, &ids)).collect(),
                failure: failure.iter().map(|op| op_of(op, &ids)).collect(),
            };
            let resp: proto::TxnResponse = grpc::unary(&ch.send, &ch.target, proto::method::TXN, &r).await?;
            Ok(Answer::Kv(outcome_of_txn(success, failure, resp)))
        }
        Call::Kv(StorageRequest::Compact { revision }) | Call::Compact { revision } => {
            let r = proto::CompactionRequest {
                revision: *revision,
                physical: false,
            };
            let resp: proto::CompactionResponse =
                grpc::unary(&ch.send, &ch.target, proto::method::COMPACT, &r).await?;
            Ok(Answer::Revision(revision_of(&resp.header)))
        }
        Call::CurrentRevision => {
            let r = current_revision_request();
            let resp: proto::RangeResponse =
                grpc::unary(&ch.send, &ch.target, proto::method::RANGE, &r).await?;
            Ok(Answer::Revision(revision_of(&resp.header)))
        }
        Call::CompactRound { version, revision } => {
            let r = compact_round_txn(*version, *revision);
            let resp: proto::TxnResponse = grpc::unary(&ch.send, &ch.target, proto::method::TXN, &r).await?;
            Ok(compact_round_answer(resp))
        }
    }
}

/// The core's view of a transaction's answer: the gets, and the keys written.
fn outcome_of_txn(success: &[TxnOp], failure: &[TxnOp], resp: proto::TxnResponse) -> Outcome {
    let ops = if resp.succeeded { success } else { failure };
    let mut gets = Vec::new();
    let mut written = Vec::new();
    for (op, answer) in ops.iter().zip(resp.responses) {
        match (op, answer.response) {
            (TxnOp::Get { .. }, Some(proto::Response::Range(rr))) => {
                gets.push(rr.kvs.into_iter().next().map(kv_of));
            }
            (TxnOp::Get { .. }, _) => gets.push(None),
            (TxnOp::Put { key, .. }, _) => written.push(key.clone()),
            (TxnOp::Delete { key }, Some(proto::Response::DeleteRange(d))) => {
                if d.deleted > 0 {
                    written.push(key.clone());
                }
            }
            (TxnOp::Delete { .. }, _) => {}
        }
    }
    Outcome {
        response: StorageResponse::Txn {
            revision: revision_of(&resp.header),
            succeeded: resp.succeeded,
            gets,
        },
        written,
    }
}

/// A linearizable read of one key's count: its header carries the store's revision.
fn current_revision_request() -> proto::RangeRequest {
    proto::RangeRequest {
        key: b"\0".to_vec(),
        count_only: true,
        ..Default::default()
    }
}

/// A compaction round's transaction (see [`Call::CompactRound`]).
pub fn compact_round_txn(version: i64, revision: i64) -> proto::TxnRequest {
    let key = session::COMPACT_REV_KEY.to_vec();
    proto::TxnRequest {
        compare: vec![proto::Compare {
            result: proto::CompareResult::Equal as i32,
            target: proto::CompareTarget::Version as i32,
            key: key.clone(),
            target_union: Some(proto::TargetUnion::Version(version)),
            range_end: Vec::new(),
        }],
        success: vec![proto::RequestOp {
            request: Some(proto::Request::Put(proto::PutRequest {
                key: key.clone(),
                value: revision.to_string().into_bytes(),
                ..Default::default()
            })),
        }],
        failure: vec![proto::RequestOp {
            request: Some(proto::Request::Range(proto::RangeRequest {
                key,
                ..Default::default()
            })),
        }],
    }
}

/// The answer to [`compact_round_txn`].
pub fn compact_round_answer(resp: proto::TxnResponse) -> Answer {
    let revision = revision_of(&resp.header);
    let version = resp
        .responses
        .into_iter()
        .find_map(|r| match r.response {
            Some(proto::Response::Range(rr)) => rr.kvs.into_iter().next().map(|kv| kv.version),
            _ => None,
        })
        .unwrap_or(0);
    Answer::CompactRound {
        succeeded: resp.succeeded,
        version,
        revision,
    }
}

fn revision_of(h: &Option<proto::ResponseHeader>) -> i64 {
    h.as_ref().map_or(0, |h| h.revision)
}

/// An etcd key-value as the core's.
pub fn kv_of(kv: proto::KeyValue) -> KeyValue {
    KeyValue {
        key: kv.key,
        value: kv.value,
        create_revision: kv.create_revision,
        mod_revision: kv.mod_revision,
        version: kv.version,
    }
}

fn compare_of(c: &Compare) -> proto::Compare {
    let (key, target, union) = match c {
        Compare::ModRevision(k, r) => (k, proto::CompareTarget::Mod, proto::TargetUnion::ModRevision(*r)),
        Compare::CreateRevision(k, r) => (
            k,
            proto::CompareTarget::Create,
            proto::TargetUnion::CreateRevision(*r),
        ),
    };
    proto::Compare {
        result: proto::CompareResult::Equal as i32,
        target: target as i32,
        key: key.clone(),
        target_union: Some(union),
        range_end: Vec::new(),
    }
}

fn op_of(op: &TxnOp, leases: &BTreeMap<u32, i64>) -> proto::RequestOp {
    let request = match op {
        TxnOp::Put { key, value, ttl_secs } => proto::Request::Put(proto::PutRequest {
            key: key.clone(),
            value: value.clone(),
            lease: ttl_secs.and_then(|t| leases.get(&t).copied()).unwrap_or(0),
            ..Default::default()
        }),
        TxnOp::Delete { key } => proto::Request::DeleteRange(proto::DeleteRangeRequest {
            key: key.clone(),
            ..Default::default()
        }),
        TxnOp::Get { key } => proto::Request::Range(proto::RangeRequest {
            key: key.clone(),
            ..Default::default()
        }),
    };
    proto::RequestOp {
        request: Some(request),
    }
}
