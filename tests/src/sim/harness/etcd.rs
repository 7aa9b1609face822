//! The harness's side of runs through the etcd backend: each replica's core talks to its own
//! [`Session`] (the same state machine the etcd storage thread drives), and the harness carries
//! the session's outputs to the simulated etcd ([`SimEtcd`]) and back, with latency and faults.

use std::collections::BTreeMap;
use std::time::Duration;

use gatehouse_core::storage::{StorageError, StorageResponse, WatchId};
use gatehouse_host::etcd::grpc::CallError;
use gatehouse_host::etcd::session::{
    self, Answer, Call, ConnId, Output, RpcId, Session, StreamId, WatchResponse, HOLD_LIMIT,
};
use gatehouse_host::store::{StoreCmd, StoreReport};

use super::{describe_result, known, Ev, World};
use crate::sim::etcd::{Endpoint, SimEtcd};
use crate::sim::store::{Item, SimStore};

/// Deadline of a call in the simulation (below the core's request timeout).
const REQUEST_TIMEOUT_MS: u64 = 3_000;
/// Deadline of a dial step.
const DIAL_TIMEOUT_MS: u64 = 300;

/// Something on its way between a session and the simulated etcd.
#[derive(Debug)]
pub(crate) enum EtcdEv {
    /// A dial's outcome reaches the session.
    Dialed { conn: ConnId, refused: bool },
    /// A call reaches etcd.
    CallIn { conn: ConnId, rpc: RpcId, call: Call },
    /// A call's answer reaches the session.
    CallOut {
        conn: ConnId,
        rpc: RpcId,
        result: Result<Answer, CallError>,
    },
    /// A watch stream's opening reaches etcd.
    WatchIn {
        conn: ConnId,
        stream: StreamId,
        start: i64,
        prefix: Vec<u8>,
    },
    /// A message of a watch stream that is not an event (compacted) reaches the session.
    WatchOut { stream: StreamId, resp: WatchResponse },
    /// A progress request reaches etcd.
    ProgressIn { stream: StreamId },
    /// The session learns that a watch stream broke.
    StreamBroken { stream: StreamId, why: String },
    /// The session learns that a connection died.
    ConnLost { conn: ConnId, why: String },
}

/// What a replica's session told its core of its storage watches.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The watches running (the core asked for them, and they were not compacted).
    watches: BTreeMap<WatchId, SeenWatch>,
    /// The session released an answer at the hold limit: the next answer is exempt.
    expired: bool,
    /// Counts the batches of the session's outputs carried out (see [`World::drain`]).
    pub(super) batch: u64,
}

/// One running watch, as its core knows it.
#[derive(Debug)]
struct SeenWatch {
    prefix: Vec<u8>,
    /// The core's cache has every event under the prefix up to this revision.
    through: i64,
    /// The batch of outputs during which the session learnt of it: answers of that batch
    /// were released before, so they owe it nothing.
    batch: u64,
}

impl World {
    /// The first event up to `revision` of watch `w` its core has not been told of.
    fn missing(&self, w: &SeenWatch, revision: i64) -> Option<i64> {
        self.core
            .store
            .truth
            .events_under(&w.prefix, w.through)
            .map(|e| e.kv.mod_revision)
            .find(|rev| *rev <= revision)
    }

    /// Whether every watch replica `r`'s core runs has an open stream and every event.
    pub(super) fn etcd_caught_up(&self, r: usize) -> bool {
        let Some(etcd) = self.etcd.as_ref() else {
            return true;
        };
        let seen = &self.replicas[r].etcd_seen.watches;
        etcd.watches_of(r) == seen.len() && seen.values().all(|w| self.missing(w, i64::MAX).is_none())
    }
}

/// Replica `r`'s streams on connection `conn` are gone with it.
fn drop_streams(etcd: &mut SimEtcd, store: &mut SimStore, r: usize, conn: ConnId) {
    for stream in etcd.watches_on(r, conn) {
        etcd.watches.remove(&(r, stream));
        store.close_watch((r, stream.0));
    }
}

fn ms(d: Duration) -> u64 {
    let m = d.as_millis() as u64;
    if Duration::from_millis(m) < d {
        m + 1
    } else {
        m
    }
}

impl World {
    fn now_d(&self) -> Duration {
        Duration::from_millis(self.core.now_ms())
    }

    /// A fresh session for replica `r`, when the run goes through etcd.
    pub(super) fn new_session(&mut self, r: usize) {
        let Some(etcd) = self.etcd.as_ref() else {
            return;
        };
        let cfg = session::Config {
            endpoints: (0..etcd.endpoints.len()).map(|i| format!("etcd-{i}")).collect(),
            request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS),
            dial_timeout: Duration::from_millis(DIAL_TIMEOUT_MS),
            compaction_interval: Duration::from_millis(self.compaction_ms),
            hold_limit: HOLD_LIMIT,
        };
        let now = self.now_d();
        self.replicas[r].session = Some(Session::new(cfg, now));
        self.replicas[r].etcd_timer_at = None;
    }

    pub(super) fn session_command(&mut self, r: usize, cmd: StoreCmd) {
        let now = self.now_d();
        if let StoreCmd::Watch { watch, prefix, from } = &cmd {
            let w = SeenWatch {
                prefix: prefix.clone(),
                through: *from,
                batch: self.replicas[r].etcd_seen.batch,
            };
            self.replicas[r].etcd_seen.watches.insert(*watch, w);
        }
        if let Some(s) = self.replicas[r].session.as_mut() {
            s.command(now, cmd);
        }
    }

    pub(super) fn schedule_session_timer(&mut self, r: usize) {
        let want = self.replicas[r]
            .session
            .as_ref()
            .and_then(Session::poll_timeout)
            .map(ms);
        if want.is_some() && want != self.replicas[r].etcd_timer_at {
            self.replicas[r].etcd_timer_at = want;
            if let Some(at) = want {
                self.core.schedule(at, Ev::EtcdTimer { replica: r });
            }
        }
    }

    pub(super) fn session_timer(&mut self, r: usize) {
        let t = self.core.now_ms();
        let due = self.replicas[r]
            .session
            .as_ref()
            .and_then(Session::poll_timeout)
            .is_some_and(|d| ms(d) <= t);
        if due {
            self.replicas[r].etcd_timer_at = None;
            let now = self.now_d();
            if let Some(s) = self.replicas[r].session.as_mut() {
                s.handle_timeout(now);
            }
            self.drain(r);
        }
    }

    fn send_etcd(&mut self, r: usize, delay_ms: u64, ev: EtcdEv) {
        let at = self.core.now_ms() + delay_ms;
        let epoch = self.replicas[r].epoch;
        self.core.schedule(
            at,
            Ev::Etcd {
                replica: r,
                epoch,
                ev,
            },
        );
    }

    /// Carries out one output of replica `r`'s session.
    pub(super) fn session_output(&mut self, r: usize, out: Output) {
        let now = self.core.clock.now();
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        match out {
            Output::Dial { conn, endpoint } => {
                etcd.conns.insert(
                    (r, conn),
                    crate::sim::etcd::Conn {
                        endpoint,
                        alive: false,
                    },
                );
                let state = etcd
                    .endpoints
                    .get(endpoint)
                    .copied()
                    .unwrap_or(Endpoint::Refusing);
                self.core.note(&format!(
                    "r{r} dials etcd-{endpoint} (conn {}, {state:?})",
                    conn.0
                ));
                let lat = self.core.store.latency(&mut self.core.rng);
                match state {
                    Endpoint::Up => self.send_etcd(r, lat, EtcdEv::Dialed { conn, refused: false }),
                    Endpoint::Refusing => self.send_etcd(r, lat, EtcdEv::Dialed { conn, refused: true }),
                    // No answer: the session's dial deadline ends the attempt.
                    Endpoint::Hanging => {}
                }
            }
            Output::Disconnect { conn } => {
                if let Some(c) = etcd.conns.get_mut(&(r, conn)) {
                    c.alive = false;
                }
                drop_streams(etcd, &mut self.core.store, r, conn);
            }
            Output::Send { rpc, conn, call } => {
                let lat = self.core.store.latency(&mut self.core.rng);
                self.send_etcd(r, lat, EtcdEv::CallIn { conn, rpc, call });
            }
            Output::Cancel { rpc } => self.core.note(&format!("r{r} gives up rpc {}", rpc.0)),
            Output::OpenWatch {
                stream,
                conn,
                start_revision,
                key,
                ..
            } => {
                self.core.note(&format!(
                    "r{r} opens stream {} of {} on conn {} from rev {start_revision}",
                    stream.0,
                    String::from_utf8_lossy(&key),
                    conn.0
                ));
                let lat = self.core.store.latency(&mut self.core.rng);
                self.send_etcd(
                    r,
                    lat,
                    EtcdEv::WatchIn {
                        conn,
                        stream,
                        start: start_revision,
                        prefix: key,
                    },
                );
            }
            Output::RequestProgress { stream } => {
                let lat = self.core.store.latency(&mut self.core.rng);
                self.send_etcd(r, lat, EtcdEv::ProgressIn { stream });
            }
            Output::CloseWatch { stream } => {
                if etcd.watches.remove(&(r, stream)).is_some() {
                    self.core.store.close_watch((r, stream.0));
                }
            }
            Output::Report(StoreReport::Done(op, result)) => {
                self.core.note(&format!(
                    "r{r} <- session answer op {}: {}",
                    op.0,
                    describe_result(&result)
                ));
                self.check_order(r, op.0, &result);
                self.replicas[r]
                    .server
                    .handle_effect(now, op, gatehouse_core::Completion::Storage(result));
            }
            Output::Report(StoreReport::Events(watch, events)) => {
                let max = events.iter().map(|e| e.kv.mod_revision).max().unwrap_or(0);
                let min = events.iter().map(|e| e.kv.mod_revision).min().unwrap_or(0);
                if let Some(w) = self.replicas[r].etcd_seen.watches.get_mut(&watch) {
                    w.through = w.through.max(max);
                }
                self.core.note(&format!(
                    "r{r} <- session: {} events of watch {}, revs {min}..={max}",
                    events.len(),
                    watch.0
                ));
                self.replicas[r].server.handle_watch_events(now, watch, events);
            }
            Output::Report(StoreReport::WatchCompacted(watch)) => {
                self.core.count("watch resume compacted");
                if self.known_bugs & known::RELIST_WINDOW == 0 {
                    self.replicas[r].refilling.insert(watch);
                }
                self.replicas[r].etcd_seen.watches.remove(&watch);
                self.core
                    .note(&format!("r{r} <- session: watch {} compacted", watch.0));
                self.replicas[r].server.handle_watch_failed(now, watch, true);
            }
            Output::Report(StoreReport::Progress(revision)) => {
                // A claim the core may serve reads on: every watch must have every event.
                let seen = &self.replicas[r].etcd_seen;
                let missing = seen
                    .watches
                    .iter()
                    .filter(|(_, w)| w.batch != seen.batch)
                    .find_map(|(id, w)| self.missing(w, revision).map(|m| (*id, m)));
                if let Some((id, m)) = missing {
                    self.core.history.violation(
                        "etcd-order",
                        format!(
                            "r{r}: progress at revision {revision} reported before watch {}'s event at revision {m}",
                            id.0
                        ),
                    );
                }
                self.core
                    .note(&format!("r{r} <- session: progress at rev {revision}"));
                self.replicas[r].server.handle_watch_progress(now, revision);
            }
            Output::Log(line) => {
                if line.contains("answering anyway") {
                    self.core.count("answer released at the hold limit");
                    self.replicas[r].etcd_seen.expired = true;
                }
                self.core.note(&format!("r{r} session: {line}"));
            }
        }
    }

    /// The core's run-loop contract: a write's answer at revision R comes after the events up
    /// to R of the watches covering what it wrote; any other answer at R after every event up
    /// to R of every watch (checked against the ground truth). A watch down for a re-list, or
    /// an answer that waited the whole hold limit, is exempt.
    fn check_order(&mut self, r: usize, op: u64, result: &Result<StorageResponse, StorageError>) {
        if std::mem::take(&mut self.replicas[r].etcd_seen.expired) {
            return;
        }
        let (revision, maybe_write) = match result {
            Ok(StorageResponse::Range { revision, .. }) => (*revision, false),
            Ok(StorageResponse::Txn {
                revision, succeeded, ..
            }) => (*revision, *succeeded),
            _ => return,
        };
        // A transaction that succeeded may have written at its revision: then only the watches
        // covering the commit there must be at it (checking fewer is never a false alarm).
        let written: Option<Vec<Vec<u8>>> = maybe_write
            .then(|| self.core.store.truth.commit(revision))
            .flatten()
            .map(|c| c.events.iter().map(|e| e.kv.key.clone()).collect());
        let seen = &self.replicas[r].etcd_seen;
        let covering = |w: &SeenWatch| match &written {
            Some(keys) => keys.iter().any(|k| k.starts_with(&w.prefix)),
            None => true,
        };
        let watched_write = written
            .as_ref()
            .is_some_and(|_| seen.watches.values().any(covering));
        let missing = seen
            .watches
            .iter()
            .filter(|(_, w)| w.batch != seen.batch && (!watched_write || covering(w)))
            .find_map(|(id, w)| self.missing(w, revision).map(|m| (*id, w.through, m)));
        if let Some((id, through, missing)) = missing {
            self.core.history.violation(
                "etcd-order",
                format!(
                    "r{r}: the answer of op {op} at revision {revision} reached the core before watch {}'s event at revision {missing} (events reported through {through})",
                    id.0
                ),
            );
        }
    }

    /// One event between replica `r`'s session and etcd.
    pub(super) fn etcd_event(&mut self, r: usize, ev: EtcdEv) {
        let t = self.core.now_ms();
        let now = self.now_d();
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let Some(session) = self.replicas[r].session.as_mut() else {
            return;
        };
        match ev {
            EtcdEv::Dialed { conn, refused } => {
                let Some(c) = etcd.conns.get(&(r, conn)).copied() else {
                    return;
                };
                match (refused, etcd.endpoints.get(c.endpoint).copied()) {
                    (false, Some(Endpoint::Up)) => {
                        if let Some(c) = etcd.conns.get_mut(&(r, conn)) {
                            c.alive = true;
                        }
                        session.connected(now, conn);
                    }
                    (_, Some(Endpoint::Hanging)) => {}
                    _ => session.dial_failed(now, conn, "connection refused"),
                }
                self.drain(r);
            }
            EtcdEv::CallIn { conn, rpc, call } => {
                if !etcd.alive(r, conn) || etcd.hanging(r, conn) {
                    // Lost on the way: the session learns it from the connection or deadline.
                    self.core
                        .note(&format!("etcd: rpc {} of r{r} lost on conn {}", rpc.0, conn.0));
                    return;
                }
                let served = etcd.serve(&mut self.core.store, t, &call, &mut self.core.rng);
                if let Some(b) = self.core.store.broken.take() {
                    self.core.history.violation("store", b);
                }
                if !served.fault.is_empty() {
                    self.core.count(served.fault);
                }
                let line = format!(
                    "etcd runs rpc {} of r{r}: {} -> {}{}{}",
                    rpc.0,
                    describe_call(&call),
                    match &served.result {
                        Ok(a) => describe_answer(a),
                        Err(e) => e.to_string(),
                    },
                    served
                        .wrote
                        .map(|w| format!(" wrote rev {w}"))
                        .unwrap_or_default(),
                    if served.fault.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", served.fault)
                    }
                );
                self.core.note(&line);
                self.schedule_wakeups();
                if served.reset {
                    let d = self.core.rng.between(1, 20);
                    self.kill_conn(r, conn, "connection reset by peer", d);
                    return;
                }
                let mut answer_ms = self.core.store.latency(&mut self.core.rng);
                if self.core.rng.chance(self.core.store.faults.slow) {
                    let (lo, hi) = self.core.store.faults.slow_ms;
                    answer_ms += self.core.rng.between(lo, hi);
                }
                self.send_etcd(
                    r,
                    answer_ms,
                    EtcdEv::CallOut {
                        conn,
                        rpc,
                        result: served.result,
                    },
                );
            }
            EtcdEv::CallOut { conn, rpc, result } => {
                if !etcd.alive(r, conn) {
                    self.core.note(&format!(
                        "etcd: answer of rpc {} to r{r} lost with conn {}",
                        rpc.0, conn.0
                    ));
                    return;
                }
                session.rpc_answered(now, rpc, result);
                self.drain(r);
            }
            EtcdEv::WatchIn {
                conn,
                stream,
                start,
                prefix,
            } => {
                if !etcd.alive(r, conn) || etcd.hanging(r, conn) {
                    return;
                }
                if self.core.store.paused {
                    let lat = self.core.store.latency(&mut self.core.rng);
                    let why = "etcdserver: no leader".to_string();
                    self.send_etcd(r, lat, EtcdEv::StreamBroken { stream, why });
                    return;
                }
                let key = (r, stream.0);
                match self
                    .core
                    .store
                    .start_watch(key, &prefix, start - 1, t, &mut self.core.rng)
                {
                    Ok(n) => {
                        etcd.watches.insert((r, stream), conn);
                        self.core.note(&format!(
                            "etcd: r{r} stream {} from rev {start}, {n} to catch up",
                            stream.0
                        ));
                        let revision = self.core.store.revision();
                        session.watch_opened(now, stream);
                        let created = WatchResponse {
                            revision,
                            created: true,
                            ..WatchResponse::default()
                        };
                        session.watch_response(now, stream, created);
                        self.schedule_wakeups();
                        self.drain(r);
                    }
                    Err(compacted) => {
                        self.core.store.close_watch(key);
                        let lat = self.core.store.latency(&mut self.core.rng);
                        self.core.note(&format!(
                            "etcd: r{r} stream {} from rev {start} refused ({})",
                            stream.0,
                            if compacted { "compacted" } else { "unavailable" }
                        ));
                        let ev = if compacted {
                            let resp = WatchResponse {
                                revision: self.core.store.revision(),
                                canceled: true,
                                compact_revision: self.core.store.compact_revision().max(1),
                                ..WatchResponse::default()
                            };
                            EtcdEv::WatchOut { stream, resp }
                        } else {
                            EtcdEv::StreamBroken {
                                stream,
                                why: "etcdserver: no leader".into(),
                            }
                        };
                        self.send_etcd(r, lat, ev);
                    }
                }
            }
            EtcdEv::WatchOut { stream, resp } => {
                session.watch_response(now, stream, resp);
                self.drain(r);
            }
            EtcdEv::ProgressIn { stream } => {
                if let Some(conn) = etcd.watches.get(&(r, stream)).copied() {
                    if !etcd.hanging(r, conn) {
                        self.core
                            .store
                            .enqueue_progress((r, stream.0), t, &mut self.core.rng);
                        self.schedule_wakeups();
                    }
                }
            }
            EtcdEv::StreamBroken { stream, why } => {
                self.core
                    .note(&format!("r{r} <- stream {} broken: {why}", stream.0));
                session.watch_broken(now, stream, &why);
                self.drain(r);
            }
            EtcdEv::ConnLost { conn, why } => {
                if let Some(c) = etcd.conns.get_mut(&(r, conn)) {
                    c.alive = false;
                }
                drop_streams(etcd, &mut self.core.store, r, conn);
                self.core.note(&format!("r{r} <- conn {} lost: {why}", conn.0));
                session.connection_lost(now, conn, &why);
                self.drain(r);
            }
        }
    }

    /// Replica `r`'s streams have something due: events (those under their prefixes) or
    /// progress notifications.
    pub(super) fn etcd_watch_due(&mut self, r: usize) {
        let t = self.core.now_ms();
        let now = self.now_d();
        let due = self.core.store.due_items(r, t);
        let Some(etcd) = self.etcd.as_ref() else {
            return;
        };
        let mut out = Vec::new();
        for (stream, items) in due {
            let stream = StreamId(stream);
            if !etcd.watches.contains_key(&(r, stream)) {
                continue;
            }
            for item in items {
                let resp = match item {
                    Item::Events(events) if events.is_empty() => continue,
                    Item::Events(events) => WatchResponse {
                        revision: events.iter().map(|e| e.kv.mod_revision).max().unwrap_or(0),
                        events,
                        ..WatchResponse::default()
                    },
                    Item::Progress(revision) => WatchResponse {
                        revision,
                        ..WatchResponse::default()
                    },
                };
                out.push((stream, resp));
            }
        }
        if let Some(session) = self.replicas[r].session.as_mut() {
            for (stream, resp) in out {
                session.watch_response(now, stream, resp);
            }
        }
        self.drain(r);
    }

    /// Connection `conn` of replica `r` dies now; the session learns it after `delay_ms`.
    fn kill_conn(&mut self, r: usize, conn: ConnId, why: &str, delay_ms: u64) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        if let Some(c) = etcd.conns.get_mut(&(r, conn)) {
            c.alive = false;
        }
        drop_streams(etcd, &mut self.core.store, r, conn);
        let why = why.to_string();
        self.send_etcd(r, delay_ms, EtcdEv::ConnLost { conn, why });
    }

    /// Fault: a random watch stream (of one resource type of one replica) breaks.
    pub(super) fn etcd_break_watch(&mut self) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let open: Vec<(usize, StreamId)> = etcd.watches.keys().copied().collect();
        if open.is_empty() {
            return;
        }
        let (r, stream) = open[self.core.rng.index(open.len())];
        etcd.watches.remove(&(r, stream));
        self.core.store.close_watch((r, stream.0));
        self.core.count("watch stream broken");
        self.core
            .note(&format!("fault: r{r} etcd stream {} broken", stream.0));
        let d = self.core.rng.between(1, 50);
        let why = "stream reset".to_string();
        self.send_etcd(r, d, EtcdEv::StreamBroken { stream, why });
    }

    /// Fault: etcd loses its leader (the store is paused): watch streams are canceled, and
    /// sometimes the members restart, resetting every connection.
    pub(super) fn etcd_leader_lost(&mut self) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let watches = std::mem::take(&mut etcd.watches);
        let live = etcd.live();
        for (r, stream) in watches.into_keys() {
            self.core.store.close_watch((r, stream.0));
            let d = self.core.rng.between(1, 30);
            let why = "etcdserver: no leader".to_string();
            self.send_etcd(r, d, EtcdEv::StreamBroken { stream, why });
        }
        if self.core.rng.chance(0.5) {
            self.core.note("fault: etcd members restart");
            for (r, conn) in live {
                let d = self.core.rng.between(1, 30);
                self.kill_conn(r, conn, "connection reset by peer", d);
            }
        }
    }

    /// Fault: a random etcd connection resets.
    pub(super) fn etcd_conn_drop(&mut self) {
        let Some(etcd) = self.etcd.as_ref() else {
            return;
        };
        let live = etcd.live();
        if live.is_empty() {
            return;
        }
        let (r, conn) = live[self.core.rng.index(live.len())];
        self.core.count("etcd connection reset");
        self.core.note(&format!("fault: r{r} etcd conn {} reset", conn.0));
        let d = self.core.rng.between(1, 20);
        self.kill_conn(r, conn, "connection reset by peer", d);
    }

    /// Fault: an endpoint refuses (its member is down) or hangs (unreachable) for a while.
    pub(super) fn endpoint_down(&mut self) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let e = self.core.rng.index(etcd.endpoints.len());
        if etcd.endpoints[e] != Endpoint::Up {
            return;
        }
        let hang = self.core.rng.chance(0.5);
        etcd.endpoints[e] = if hang {
            Endpoint::Hanging
        } else {
            Endpoint::Refusing
        };
        let live = etcd.live_to(e);
        if hang {
            self.core.count("etcd endpoint hangs");
            // Streams on its connections go quiet; keepalive probes give the connections up.
            for (r, conn) in &live {
                drop_streams(etcd, &mut self.core.store, *r, *conn);
            }
            for (r, conn) in live {
                let d = self.core.rng.between(1_000, 4_000);
                let why = "keepalive probe unanswered".to_string();
                self.send_etcd(r, d, EtcdEv::ConnLost { conn, why });
            }
        } else {
            self.core.count("etcd endpoint refuses");
            for (r, conn) in live {
                let d = self.core.rng.between(1, 20);
                self.kill_conn(r, conn, "connection reset by peer", d);
            }
        }
        self.core.note(&format!(
            "fault: etcd-{e} {}",
            if hang { "hangs" } else { "refuses connections" }
        ));
        let d = self.core.rng.between(300, 4_000);
        let at = self.core.now_ms() + d;
        self.core.schedule(at, Ev::Fault(super::Fault::EndpointUp(e)));
    }

    /// An endpoint serves again.
    pub(super) fn endpoint_up(&mut self, e: usize) {
        if let Some(etcd) = self.etcd.as_mut() {
            if etcd.endpoints.get(e).is_some_and(|s| *s != Endpoint::Up) {
                etcd.endpoints[e] = Endpoint::Up;
                self.core.note(&format!("etcd-{e} serves again"));
            }
        }
    }
}

fn describe_call(call: &Call) -> String {
    match call {
        Call::Kv(req) => super::describe(req),
        Call::Compact { revision } => format!("compact {revision}"),
        Call::CurrentRevision => "current revision".into(),
        Call::CompactRound { version, revision } => format!("compaction round v{version} rev {revision}"),
    }
}

fn describe_answer(a: &Answer) -> String {
    match a {
        Answer::Kv(o) => describe_result(&Ok(o.response.clone())),
        Answer::Revision(r) => format!("rev {r}"),
        Answer::CompactRound {
            succeeded,
            version,
            revision,
        } => format!(
            "round {} (v{version}) at rev {revision}",
            if *succeeded { "won" } else { "lost" }
        ),
    }
}
