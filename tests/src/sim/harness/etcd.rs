//! The harness's side of runs through the etcd backend: each replica's core talks to its own
//! [`Session`] (the same state machine the etcd storage thread drives), and the harness carries
//! the session's outputs to the simulated etcd ([`SimEtcd`]) and back, with latency and faults.

use std::time::Duration;

use gatehouse_core::storage::{StorageError, StorageEvent, StorageResponse};
use gatehouse_core::Config;
use gatehouse_host::etcd::grpc::CallError;
use gatehouse_host::etcd::session::{
    self, Answer, Call, ConnId, Output, RpcId, Session, StreamId, WatchResponse, HOLD_LIMIT,
};
use gatehouse_host::store::{StoreCmd, StoreReport};

use super::{describe_result, known, Ev, World};
use crate::sim::etcd::{Endpoint, Watch};
use crate::sim::store::Item;

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

/// What a replica's session told its core of the storage watch.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The core's cache has every event under the prefix up to this revision.
    through: i64,
    /// The core has a storage watch running (it asked for one, and it was not compacted).
    live: bool,
    /// The session released an answer at the hold limit: the next answer is exempt.
    expired: bool,
}

/// The prefix a replica with `cfg` watches, as the etcd options make it.
pub(crate) fn watch_prefix(cfg: &Config) -> Vec<u8> {
    format!("{}/", cfg.storage_prefix.trim_end_matches('/')).into_bytes()
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
            watch_prefix: watch_prefix(&self.replicas[r].cfg),
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
        if let StoreCmd::Watch(from) = cmd {
            let seen = &mut self.replicas[r].etcd_seen;
            seen.live = true;
            seen.through = from;
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
                if etcd.watches[r].is_some_and(|w| w.conn == conn) {
                    etcd.watches[r] = None;
                    self.core.store.break_watch(r);
                }
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
                ..
            } => {
                self.core.note(&format!(
                    "r{r} opens watch {} on conn {} from rev {start_revision}",
                    stream.0, conn.0
                ));
                let lat = self.core.store.latency(&mut self.core.rng);
                self.send_etcd(
                    r,
                    lat,
                    EtcdEv::WatchIn {
                        conn,
                        stream,
                        start: start_revision,
                    },
                );
            }
            Output::RequestProgress { stream } => {
                let lat = self.core.store.latency(&mut self.core.rng);
                self.send_etcd(r, lat, EtcdEv::ProgressIn { stream });
            }
            Output::CloseWatch { stream } => {
                if etcd.watches[r].is_some_and(|w| w.stream == stream) {
                    etcd.watches[r] = None;
                    self.core.store.break_watch(r);
                }
            }
            Output::Report(StoreReport::Done(op, result)) => {
                self.core.note(&format!(
                    "r{r} <- session answer op {}: {}",
                    op.0,
                    describe_result(&result)
                ));
                self.check_order(r, op.0, &result);
                self.replicas[r].server.handle_storage(now, op, result);
            }
            Output::Report(StoreReport::Events(events)) => {
                let max = events.iter().map(|e| e.kv.mod_revision).max().unwrap_or(0);
                let min = events.iter().map(|e| e.kv.mod_revision).min().unwrap_or(0);
                let s = &mut self.core.store.streams[r];
                s.delivered = s.delivered.max(max);
                let seen = &mut self.replicas[r].etcd_seen;
                seen.through = seen.through.max(max);
                self.core.note(&format!(
                    "r{r} <- session: {} watch events, revs {min}..={max}",
                    events.len()
                ));
                self.replicas[r].server.handle_watch_events(now, events);
            }
            Output::Report(StoreReport::WatchCompacted) => {
                self.core.count("watch resume compacted");
                if self.known_bugs & known::RELIST_WINDOW == 0 {
                    self.replicas[r].refilling = true;
                }
                self.replicas[r].etcd_seen.live = false;
                self.core.note(&format!("r{r} <- session: watch compacted"));
                self.replicas[r].server.handle_watch_failed(now, true);
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

    /// The core's run-loop contract: an answer at revision R comes after every watch event
    /// under the prefix up to R (checked against the ground truth), unless the watch is down
    /// for a re-list or the answer waited the whole hold limit.
    fn check_order(&mut self, r: usize, op: u64, result: &Result<StorageResponse, StorageError>) {
        let seen = &mut self.replicas[r].etcd_seen;
        if std::mem::take(&mut seen.expired) || !seen.live {
            return;
        }
        let revision = match result {
            Ok(StorageResponse::Range { revision, .. }) | Ok(StorageResponse::Txn { revision, .. }) => {
                *revision
            }
            _ => return,
        };
        let Some(etcd) = self.etcd.as_ref() else {
            return;
        };
        let through = seen.through;
        let missing = self
            .core
            .store
            .truth
            .events_under(&etcd.prefix, through)
            .map(|e| e.kv.mod_revision)
            .find(|rev| *rev <= revision);
        if let Some(missing) = missing {
            self.core.history.violation(
                "etcd-order",
                format!(
                    "r{r}: the answer of op {op} at revision {revision} reached the core before the watch event at revision {missing} (events reported through {through})"
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
            EtcdEv::WatchIn { conn, stream, start } => {
                if !etcd.alive(r, conn) || etcd.hanging(r, conn) {
                    return;
                }
                if self.core.store.paused {
                    let lat = self.core.store.latency(&mut self.core.rng);
                    let why = "etcdserver: no leader".to_string();
                    self.send_etcd(r, lat, EtcdEv::StreamBroken { stream, why });
                    return;
                }
                match self.core.store.start_watch(r, start - 1, t, &mut self.core.rng) {
                    Ok(n) => {
                        etcd.watches[r] = Some(Watch { stream, conn });
                        self.core.note(&format!(
                            "etcd: r{r} watch {} from rev {start}, {n} to catch up",
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
                        self.core.store.break_watch(r);
                        let lat = self.core.store.latency(&mut self.core.rng);
                        self.core.note(&format!(
                            "etcd: r{r} watch {} from rev {start} refused ({})",
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
                let current = etcd.watches[r].is_some_and(|w| w.stream == stream);
                if current && !etcd.watches[r].is_some_and(|w| etcd.hanging(r, w.conn)) {
                    self.core.store.enqueue_progress(r, t, &mut self.core.rng);
                    self.schedule_wakeups();
                }
            }
            EtcdEv::StreamBroken { stream, why } => {
                self.core
                    .note(&format!("r{r} <- watch {} broken: {why}", stream.0));
                session.watch_broken(now, stream, &why);
                self.drain(r);
            }
            EtcdEv::ConnLost { conn, why } => {
                if let Some(c) = etcd.conns.get_mut(&(r, conn)) {
                    c.alive = false;
                }
                if etcd.watches[r].is_some_and(|w| w.conn == conn) {
                    etcd.watches[r] = None;
                    self.core.store.break_watch(r);
                }
                self.core.note(&format!("r{r} <- conn {} lost: {why}", conn.0));
                session.connection_lost(now, conn, &why);
                self.drain(r);
            }
        }
    }

    /// Replica `r`'s stream has something due: events (those under the prefix) or a progress
    /// notification.
    pub(super) fn etcd_watch_due(&mut self, r: usize) {
        let t = self.core.now_ms();
        let now = self.now_d();
        let items = self.core.store.due_items(r, t);
        let Some(etcd) = self.etcd.as_ref() else {
            return;
        };
        let Some(w) = etcd.watches[r] else {
            return;
        };
        let mut responses = Vec::new();
        let mut through = 0;
        for item in items {
            match item {
                Item::Events(events) => {
                    let max = events.iter().map(|e| e.kv.mod_revision).max().unwrap_or(0);
                    through = through.max(max);
                    let events: Vec<StorageEvent> = etcd.filter(events);
                    if !events.is_empty() {
                        responses.push(WatchResponse {
                            revision: max,
                            events,
                            ..WatchResponse::default()
                        });
                    }
                }
                Item::Progress(revision) => {
                    through = through.max(revision);
                    responses.push(WatchResponse {
                        revision,
                        ..WatchResponse::default()
                    });
                }
            }
        }
        if let Some(session) = self.replicas[r].session.as_mut() {
            for resp in responses {
                session.watch_response(now, w.stream, resp);
            }
        }
        // Revisions without events under the prefix leave the cache as it is: it is at them.
        let s = &mut self.core.store.streams[r];
        s.delivered = s.delivered.max(through);
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
        if etcd.watches[r].is_some_and(|w| w.conn == conn) {
            etcd.watches[r] = None;
            self.core.store.break_watch(r);
        }
        let why = why.to_string();
        self.send_etcd(r, delay_ms, EtcdEv::ConnLost { conn, why });
    }

    /// Fault: a random replica's watch stream breaks.
    pub(super) fn etcd_break_watch(&mut self) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let open: Vec<usize> = (0..etcd.watches.len())
            .filter(|r| etcd.watches[*r].is_some())
            .collect();
        if open.is_empty() {
            return;
        }
        let r = open[self.core.rng.index(open.len())];
        let Some(w) = etcd.watches[r].take() else {
            return;
        };
        self.core.store.break_watch(r);
        self.core.count("watch stream broken");
        self.core
            .note(&format!("fault: r{r} etcd watch {} broken", w.stream.0));
        let d = self.core.rng.between(1, 50);
        let why = "stream reset".to_string();
        self.send_etcd(
            r,
            d,
            EtcdEv::StreamBroken {
                stream: w.stream,
                why,
            },
        );
    }

    /// Fault: etcd loses its leader (the store is paused): watch streams are canceled, and
    /// sometimes the members restart, resetting every connection.
    pub(super) fn etcd_leader_lost(&mut self) {
        let Some(etcd) = self.etcd.as_mut() else {
            return;
        };
        let watches: Vec<(usize, Watch)> = (0..etcd.watches.len())
            .filter_map(|r| etcd.watches[r].take().map(|w| (r, w)))
            .collect();
        let live = etcd.live();
        for (r, w) in watches {
            self.core.store.break_watch(r);
            let d = self.core.rng.between(1, 30);
            let why = "etcdserver: no leader".to_string();
            self.send_etcd(
                r,
                d,
                EtcdEv::StreamBroken {
                    stream: w.stream,
                    why,
                },
            );
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
                if etcd.watches[*r].is_some_and(|w| w.conn == *conn) {
                    etcd.watches[*r] = None;
                    self.core.store.break_watch(*r);
                }
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
