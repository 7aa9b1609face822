//! The harness: one event queue on a virtual clock that drives every replica, the store, the
//! network and the clients, in phases (boot, set-up, workload, quiescence, audit), then runs
//! the checkers.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatehouse_core::storage::{StorageError, StorageEvent, StorageRequest, StorageResponse, WatchId};
use gatehouse_core::{
    Completion, Config, ConnId, Effect, EffectId, NetError, Output, Peer, RelayEvent, Server,
};

use gatehouse_host::etcd::session::Session;

use super::checkers::{self, History, Violation};
use super::client::{Client, Role};
use super::etcd::SimEtcd;
use super::network::{Dir, NetConfig, Network, Packet};
use super::rng::{Clock, SimRng, WALL_BASE_MS};
use super::store::{SimStore, StoreFaults, StreamState};
use super::trace::{preview, Trace};
use super::webhook;

mod etcd;

pub(crate) use etcd::EtcdEv;

/// How a run is sized.
#[derive(Clone, Debug)]
pub struct Options {
    /// The seed every choice derives from.
    pub seed: u64,
    /// Requests the workload clients make in all (the size of a run).
    pub ops: u32,
    /// Most events one run may process before it is declared stuck.
    pub max_events: u64,
    /// Keep the whole trace (for `SIM_TRACE`).
    pub keep_trace: bool,
    /// Scenarios that once exposed core bugs, now fixed, that this run includes (a mask of
    /// [`known`] bits; all by default). See the `fixed bug:` notes.
    pub known_bugs: u8,
    /// Replicas reach the store through the etcd backend's session and a simulated etcd
    /// cluster (see [`super::etcd`]) instead of directly.
    pub etcd: bool,
    /// Whether the replicas call an admission webhook (see [`super::webhook`]); `None`: as
    /// the seed draws it.
    pub webhook: Option<bool>,
}

impl Options {
    /// The default size for `seed`.
    pub fn new(seed: u64) -> Self {
        Options {
            seed,
            ops: 300,
            max_events: 400_000,
            keep_trace: false,
            known_bugs: known::ALL,
            etcd: false,
            webhook: None,
        }
    }
}

/// What a run did and found.
#[derive(Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Hash of the whole trace.
    pub trace_hash: u64,
    /// Lines of the trace.
    pub trace_lines: u64,
    /// Events processed.
    pub events: u64,
    /// Virtual time at the end, in ms.
    pub virtual_ms: u64,
    /// Client requests made (watches included).
    pub requests: usize,
    /// Watches opened.
    pub watches: usize,
    /// Writes the store committed.
    pub commits: usize,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u32>,
    /// Broken invariants.
    pub violations: Vec<Violation>,
    /// The last lines of the trace.
    pub trace_tail: String,
    /// Every line, when kept.
    pub trace: Option<Vec<String>>,
    /// The known bugs whose scenarios ran too.
    pub known_bugs: u8,
    /// The planted defect active during the run (0: none).
    pub planted: u8,
    /// Whether the run went through the simulated etcd.
    pub etcd: bool,
    /// Answers by request kind and status, watch events received, and the like.
    pub summary: String,
}

impl Report {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether some violation came from the checker `check`.
    pub fn found(&self, check: &str) -> bool {
        self.violations.iter().any(|v| v.check == check)
    }
}

/// Core bugs this simulator found, now fixed, each with the scenario that exposed it. All
/// run by default; `SIM_KNOWN_BUGS=<name>,<name>` (or `none`) narrows them to bisect.
pub mod known {
    /// `MemStore` drops a tombstone at exactly the compaction revision, yet still resumes a
    /// watch from the revision before: the delete is lost (see `store::SimStore::start_watch`).
    pub const COMPACTION_TOMBSTONE: u8 = 1;
    /// A watch registered while a replica re-lists after its storage watch fell behind a
    /// compaction misses the changes in between (see `harness`, `Ev::Up`).
    pub const RELIST_WINDOW: u8 = 2;
    /// `sendInitialEvents=true` with `resourceVersionMatch=NotOlderThan` serves a lagging
    /// cache's older state (see `client`, `watcher_step`).
    pub const WATCH_LIST_FRESHNESS: u8 = 4;
    /// Every known bug.
    pub const ALL: u8 = 7;

    const NAMES: [(u8, &str); 3] = [
        (COMPACTION_TOMBSTONE, "compaction-tombstone"),
        (RELIST_WINDOW, "relist-window"),
        (WATCH_LIST_FRESHNESS, "watch-list-freshness"),
    ];

    /// Parses `all`, `1` (all) or a comma-separated list of names.
    pub fn parse(s: &str) -> u8 {
        let s = s.trim();
        if s == "all" || s == "1" {
            return ALL;
        }
        s.split(',')
            .filter_map(|n| NAMES.iter().find(|(_, name)| *name == n.trim()).map(|(b, _)| *b))
            .fold(0, |m, b| m | b)
    }

    /// The names of the bits of `mask`, comma-separated.
    pub fn names(mask: u8) -> String {
        if mask & ALL == ALL {
            return "all".into();
        }
        NAMES
            .iter()
            .filter(|(b, _)| mask & b != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The one command that replays `seed` (with the planted defect `planted`, 0 for none, and
/// the scenarios of the known bugs in the mask `known_bugs`).
pub fn replay_command(seed: u64, planted: u8, known_bugs: u8) -> String {
    let known = if known_bugs != known::ALL {
        format!(" SIM_KNOWN_BUGS={}", known::names(known_bugs))
    } else {
        String::new()
    };
    if planted != 0 {
        format!(
            "SIM_SEED={seed}{known} SIM_BUG={planted} cargo test -p gatehouse-tests --features sim-bugs --test simulation -- replay --nocapture"
        )
    } else {
        format!(
            "SIM_SEED={seed}{known} cargo test -p gatehouse-tests --test simulation -- replay --nocapture"
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            return write!(
                f,
                "seed {} passed: {} requests, {} watches, {} commits, {} events, {} ms virtual, trace {:016x}",
                self.seed, self.requests, self.watches, self.commits, self.events, self.virtual_ms, self.trace_hash
            );
        }
        writeln!(
            f,
            "simulation seed {} failed with {} violation(s):",
            self.seed,
            self.violations.len()
        )?;
        for v in self.violations.iter().take(12) {
            writeln!(f, "  - [{}] {}", v.check, v.detail)?;
        }
        if self.violations.len() > 12 {
            writeln!(f, "  ... and {} more", self.violations.len() - 12)?;
        }
        writeln!(f, "last trace lines:\n{}", self.trace_tail)?;
        writeln!(f, "simulation seed {} failed; replay it with:", self.seed)?;
        write!(
            f,
            "  {}{}",
            if self.etcd { "SIM_ETCD=1 " } else { "" },
            replay_command(self.seed, self.planted, self.known_bugs)
        )
    }
}

/// The phases of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Replicas fill their caches and create the system objects.
    Boot,
    /// The namespaces of the workload are created.
    Setup,
    /// Clients work while faults are injected.
    Workload,
    /// Faults stop; everything settles.
    Quiesce,
    /// Every replica's cache is read back through a watch.
    Audit,
    /// Finished.
    Done,
}

/// Faults the harness injects at random times.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    DropConn,
    BreakWatch,
    Compact,
    Pause,
    Resume,
    RestartReplica,
    /// A connection of a replica's etcd session resets.
    EtcdConnDrop,
    /// An etcd endpoint refuses or hangs for a while.
    EndpointDown,
    /// An etcd endpoint serves again.
    EndpointUp(usize),
}

/// Everything that happens, at a time.
#[derive(Debug)]
pub(crate) enum Ev {
    Up {
        conn: ConnId,
        packet: Packet,
    },
    Down {
        conn: ConnId,
        packet: Packet,
    },
    ServerReset {
        conn: ConnId,
    },
    ClientReset {
        conn: ConnId,
    },
    StoreIn {
        replica: usize,
        epoch: u64,
        op: EffectId,
        req: StorageRequest,
    },
    StoreOut {
        replica: usize,
        epoch: u64,
        op: EffectId,
        result: Result<StorageResponse, StorageError>,
        wrote: Option<i64>,
    },
    WatchStartIn {
        replica: usize,
        epoch: u64,
        watch: WatchId,
        prefix: Vec<u8>,
        from: i64,
        generation: u64,
    },
    WatchDue {
        replica: usize,
    },
    WatchFailed {
        replica: usize,
        epoch: u64,
        watch: WatchId,
        compacted: bool,
    },
    Release {
        replica: usize,
    },
    Timer {
        replica: usize,
    },
    Wake {
        client: usize,
    },
    ClientTimeout {
        client: usize,
        slot: usize,
        serial: u64,
    },
    Fault(Fault),
    /// Something between a replica's etcd session and the simulated etcd.
    Etcd {
        replica: usize,
        epoch: u64,
        ev: EtcdEv,
    },
    /// A replica's etcd session wants its timeout handled.
    EtcdTimer {
        replica: usize,
    },
    /// What came of a replica's effect outside storage (a dial, a relay).
    Outside {
        replica: usize,
        epoch: u64,
        id: EffectId,
        completion: Completion,
    },
}

impl Ev {
    /// Whether the event is work in flight (the run is not quiet while one is queued).
    fn in_flight(&self) -> bool {
        matches!(
            self,
            Ev::Up { .. }
                | Ev::Down { .. }
                | Ev::ServerReset { .. }
                | Ev::ClientReset { .. }
                | Ev::StoreIn { .. }
                | Ev::StoreOut { .. }
                | Ev::WatchStartIn { .. }
                | Ev::WatchDue { .. }
                | Ev::WatchFailed { .. }
                | Ev::Release { .. }
                | Ev::Etcd { .. }
                | Ev::Outside { .. }
        )
    }
}

struct Scheduled {
    at: u64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        // Earliest first; ties in scheduling order.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Everything but the clients and the replicas: what both act on.
pub struct Core {
    /// The virtual clock.
    pub clock: Clock,
    /// The run's generator (network, store, faults).
    pub rng: SimRng,
    queue: BinaryHeap<Scheduled>,
    seq: u64,
    in_flight: u64,
    /// The network.
    pub net: Network,
    /// The store.
    pub store: SimStore,
    /// What the clients did and saw.
    pub history: History,
    /// The trace.
    pub trace: Trace,
    /// The phase.
    pub phase: Phase,
    /// Number of replicas.
    pub replicas: usize,
    /// Set by the set-up client once the namespaces exist.
    pub setup_done: bool,
    /// Chance that a client half-closes right after sending a request.
    pub half_close: f64,
    /// Known bugs whose scenarios run too (mask of [`known`] bits).
    pub known_bugs: u8,
    next_op: u64,
    faults: BTreeMap<&'static str, u32>,
}

impl Core {
    /// Now, in ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.ms()
    }

    /// The store's revision (ground truth).
    pub fn rev(&self) -> i64 {
        self.store.revision()
    }

    /// A fresh operation id (also the marker of a write).
    pub fn next_op_id(&mut self) -> u64 {
        self.next_op += 1;
        self.next_op
    }

    pub(crate) fn schedule(&mut self, at: u64, ev: Ev) {
        if ev.in_flight() {
            self.in_flight += 1;
        }
        self.seq += 1;
        self.queue.push(Scheduled {
            at: at.max(self.clock.ms()),
            seq: self.seq,
            ev,
        });
    }

    /// A trace line.
    pub fn note(&mut self, text: &str) {
        let t = self.clock.ms();
        self.trace.line(t, text);
    }

    fn count(&mut self, fault: &'static str) {
        *self.faults.entry(fault).or_default() += 1;
    }

    /// Opens a connection from `client` to `replica`.
    pub fn open(&mut self, client: usize, replica: usize) -> ConnId {
        let conn = self.net.open(client, replica, &mut self.rng);
        let now = self.clock.ms();
        if let Some(at) = self.net.send(conn, Dir::Up, now, &mut self.rng) {
            self.schedule(
                at,
                Ev::Up {
                    conn,
                    packet: Packet::Connect,
                },
            );
        }
        self.note(&format!("c{client} opens conn {} to r{replica}", conn.0));
        conn
    }

    /// Sends bytes from a client.
    pub fn send(&mut self, conn: ConnId, bytes: Vec<u8>) {
        let now = self.clock.ms();
        if self.net.link(conn).is_some_and(|l| l.up_closed) {
            return;
        }
        self.trace.bytes(&bytes);
        if let Some(at) = self.net.send(conn, Dir::Up, now, &mut self.rng) {
            let line = format!("conn {} up: {}", conn.0, preview(&bytes, 90));
            self.note(&line);
            self.schedule(
                at,
                Ev::Up {
                    conn,
                    packet: Packet::Data(bytes),
                },
            );
        }
    }

    /// Closes the client's side of a connection (FIN after the data).
    pub fn fin(&mut self, conn: ConnId) {
        let now = self.clock.ms();
        match self.net.link_mut(conn) {
            Some(l) if !l.up_closed => l.up_closed = true,
            _ => return,
        }
        if let Some(at) = self.net.send(conn, Dir::Up, now, &mut self.rng) {
            self.note(&format!("conn {} up: FIN", conn.0));
            self.schedule(
                at,
                Ev::Up {
                    conn,
                    packet: Packet::Fin,
                },
            );
        }
    }

    /// Wakes `client` after `delay_ms`.
    pub fn wake(&mut self, client: usize, delay_ms: u64) {
        let at = self.clock.ms() + delay_ms;
        self.schedule(at, Ev::Wake { client });
    }

    /// Ends a client's wait for an answer after `delay_ms`, unless answered by then.
    pub fn client_timeout(&mut self, client: usize, slot: usize, serial: u64, delay_ms: u64) {
        let at = self.clock.ms() + delay_ms;
        self.schedule(at, Ev::ClientTimeout { client, slot, serial });
    }
}

/// One Gatehouse replica.
struct Replica {
    server: Server,
    /// Its configuration, to start it again.
    cfg: Config,
    /// Incarnation: answers meant for an earlier one are lost with it.
    epoch: u64,
    timer_at: Option<u64>,
    /// Answers held back until the replica's watches have caught up with their write.
    parked: Vec<(EffectId, Result<StorageResponse, StorageError>, i64)>,
    /// Watches re-listing after they fell behind a compaction.
    refilling: BTreeSet<WatchId>,
    /// Client packets held while re-listing (see `known bug:` in `dispatch`).
    held: Vec<(ConnId, Packet)>,
    /// Its etcd session, when the run goes through the simulated etcd.
    session: Option<Session>,
    etcd_timer_at: Option<u64>,
    /// What its session told its core of the watch, to check answers against.
    etcd_seen: etcd::Seen,
}

/// The client certificate authority and the simulated clients' certificate (DER), made once
/// per process: CN=sim, O=system:masters, valid for decades around the virtual wall clock.
fn identity() -> &'static (Vec<u8>, Vec<u8>) {
    static ID: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    ID.get_or_init(|| {
        let ca = gatehouse_host::pki::new_ca("gatehouse-sim-ca").expect("simulation CA");
        let base = UNIX_EPOCH + Duration::from_millis(WALL_BASE_MS as u64);
        let year = Duration::from_secs(365 * 24 * 3600);
        let not_before: SystemTime = base - 20 * year;
        let not_after: SystemTime = base + 20 * year;
        let leaf =
            gatehouse_host::pki::issue_client_cert(&ca, "sim", &["system:masters"], not_before, not_after)
                .expect("simulation client certificate");
        let ca_der = gatehouse_host::tls::certs_from_pem(ca.cert_pem.as_bytes(), "CA")
            .expect("CA PEM")
            .remove(0)
            .to_vec();
        let leaf_der = gatehouse_host::tls::certs_from_pem(leaf.cert_pem.as_bytes(), "client certificate")
            .expect("client PEM")
            .remove(0)
            .to_vec();
        (ca_der, leaf_der)
    })
}

/// How stormy a run is, drawn from its seed.
#[derive(Clone, Copy, Debug)]
struct Weather {
    name: &'static str,
    store: f64,
    drops_ms: Option<(u64, u64)>,
    breaks_ms: Option<(u64, u64)>,
    compact_ms: Option<(u64, u64)>,
    pause_ms: Option<(u64, u64)>,
    restart_ms: Option<(u64, u64)>,
    half_close: f64,
}

fn weather(rng: &mut SimRng) -> Weather {
    match rng.weighted(&[1, 4, 5]) {
        0 => Weather {
            name: "calm",
            store: 0.0,
            drops_ms: None,
            breaks_ms: None,
            compact_ms: Some((2_000, 6_000)),
            pause_ms: None,
            restart_ms: None,
            half_close: 0.0,
        },
        1 => Weather {
            name: "mild",
            store: 1.0,
            drops_ms: Some((1_500, 6_000)),
            breaks_ms: Some((1_000, 5_000)),
            compact_ms: Some((500, 3_000)),
            pause_ms: Some((5_000, 20_000)),
            restart_ms: Some((8_000, 30_000)),
            half_close: 0.01,
        },
        _ => Weather {
            name: "stormy",
            store: 3.0,
            drops_ms: Some((300, 2_500)),
            breaks_ms: Some((300, 2_000)),
            compact_ms: Some((200, 1_500)),
            pause_ms: Some((2_000, 8_000)),
            restart_ms: Some((3_000, 12_000)),
            half_close: 0.03,
        },
    }
}

fn workload_faults(w: &Weather, rng: &mut SimRng) -> StoreFaults {
    let k = w.store;
    StoreFaults {
        latency_ms: (1, rng.between(3, 25)),
        unavailable: 0.012 * k,
        timeout_lost: 0.006 * k,
        timeout_applied: 0.01 * k,
        slow: 0.004 * k,
        slow_ms: (3_000, 7_000),
        watch_lag_ms: rng.between(1, 80),
        slow_full_list: 0.15 * k,
    }
}

/// The simulated world.
struct World {
    core: Core,
    replicas: Vec<Replica>,
    clients: Vec<Client>,
    weather: Weather,
    faults: StoreFaults,
    phase_started_ms: u64,
    peer_chain: Vec<Vec<u8>>,
    known_bugs: u8,
    /// The simulated etcd cluster, when the run uses one.
    etcd: Option<SimEtcd>,
    /// How often each session runs a compaction round (zero: never).
    compaction_ms: u64,
    /// The admission webhook the replicas call, if the run has one, and its own generator.
    webhook: Option<(webhook::Weather, SimRng)>,
}

/// Longest a phase may take (virtual ms) before the run is declared stuck.
const PHASE_LIMIT_MS: u64 = 600_000;

impl World {
    fn new(opts: &Options) -> World {
        let mut rng = SimRng::new(opts.seed);
        let weather = weather(&mut rng);
        let replicas_n = rng.between(2, 3) as usize;
        let faults = workload_faults(&weather, &mut rng);
        let (ca_der, leaf_der) = identity().clone();
        let mut core = Core {
            clock: Clock::default(),
            rng: rng.fork(),
            queue: BinaryHeap::new(),
            seq: 0,
            in_flight: 0,
            net: Network::new(NetConfig {
                base_ms: (1, rng.between(2, 15)),
                jitter_ms: rng.between(0, 10),
            }),
            store: SimStore::new(StoreFaults::calm(), opts.known_bugs),
            history: History::default(),
            trace: Trace::new(opts.keep_trace),
            phase: Phase::Boot,
            replicas: replicas_n,
            setup_done: false,
            half_close: 0.0,
            known_bugs: opts.known_bugs,
            next_op: 0,
            faults: BTreeMap::new(),
        };
        let hook = webhook::Weather::draw(opts.seed, opts.webhook);
        if let Some(w) = &hook {
            core.note(&format!("admission webhook {w:?}"));
            core.history.webhook = true;
            core.history.webhook_fails_closed = w.fail_closed;
            // Its configurations are in storage before any replica starts.
            let mut setup = SimRng::new(opts.seed ^ 0x434f_4e46);
            for write in webhook::configurations(w) {
                let _ = core.store.apply(0, &write, &mut setup);
            }
        }
        let mut replicas = Vec::new();
        for r in 0..replicas_n {
            let cfg = Config {
                seed: opts.seed.wrapping_mul(31).wrapping_add(r as u64),
                client_ca_der: Some(vec![ca_der.clone()]),
                anonymous_auth: false,
                request_timeout_ms: 4_000,
                min_request_timeout_s: 10,
                watch_window: rng.between(15, 150) as usize,
                serve_openapi: false,
                ..Config::default()
            };
            core.note(&format!("r{r}: watch window {} events", cfg.watch_window));
            replicas.push(Replica {
                server: new_server(&cfg),
                cfg,
                epoch: 0,
                timer_at: None,
                parked: Vec::new(),
                refilling: BTreeSet::new(),
                held: Vec::new(),
                session: None,
                etcd_timer_at: None,
                etcd_seen: etcd::Seen::default(),
            });
        }
        core.note(&format!(
            "seed {} weather {} replicas {} store {:?} network {:?}",
            opts.seed, weather.name, replicas_n, faults, core.net.cfg
        ));
        let clients = super::client::cast(&mut rng, replicas_n, opts.ops);
        let (etcd, compaction_ms) = if opts.etcd {
            let endpoints = rng.between(1, 3) as usize;
            let compaction_ms = if rng.chance(0.5) {
                rng.between(2_000, 10_000)
            } else {
                0
            };
            core.note(&format!(
                "etcd: {endpoints} endpoint(s), compaction every {compaction_ms} ms"
            ));
            (Some(SimEtcd::new(endpoints)), compaction_ms)
        } else {
            (None, 0)
        };
        World {
            core,
            replicas,
            clients,
            weather,
            faults,
            phase_started_ms: 0,
            peer_chain: vec![leaf_der],
            known_bugs: opts.known_bugs,
            etcd,
            compaction_ms,
            webhook: hook.map(|w| (w, SimRng::new(opts.seed ^ 0x484f_4f4b))),
        }
    }

    fn boot(&mut self) {
        let now = self.core.clock.now();
        for r in 0..self.replicas.len() {
            self.new_session(r);
            self.replicas[r].server.start(now);
            self.drain(r);
        }
    }

    /// Executes everything replica `r` asked for, releasing held answers when their write's
    /// events have been delivered.
    fn drain(&mut self, r: usize) {
        loop {
            while let Some(out) = self.replicas[r].server.poll_output() {
                self.output(r, out);
            }
            // What the session has queued was decided before any command the core sends
            // while it is carried out: one batch.
            let batch: Vec<_> = match self.replicas[r].session.as_mut() {
                Some(s) => std::iter::from_fn(|| s.poll_output()).collect(),
                None => Vec::new(),
            };
            if !batch.is_empty() {
                self.replicas[r].etcd_seen.batch += 1;
                for out in batch {
                    self.session_output(r, out);
                    while let Some(out) = self.replicas[r].server.poll_output() {
                        self.output(r, out);
                    }
                }
                continue;
            }
            let store = &self.core.store;
            let Some(i) = self.replicas[r]
                .parked
                .iter()
                .position(|p| store.write_delivered(r, p.2))
            else {
                break;
            };
            let (op, result, rev) = self.replicas[r].parked.remove(i);
            self.core
                .note(&format!("r{r} <- store answer op {} (held for rev {rev})", op.0));
            let now = self.core.clock.now();
            self.replicas[r]
                .server
                .handle_effect(now, op, Completion::Storage(result));
        }
        let want = self.replicas[r].server.poll_timeout();
        if want.is_some() && want != self.replicas[r].timer_at {
            self.replicas[r].timer_at = want;
            if let Some(at) = want {
                self.core.schedule(at, Ev::Timer { replica: r });
            }
        }
        self.schedule_session_timer(r);
    }

    fn output(&mut self, r: usize, out: Output) {
        let now = self.core.now_ms();
        match out {
            Output::Write { conn, bytes } => {
                let open = self
                    .core
                    .net
                    .link(conn)
                    .is_some_and(|l| l.alive && !l.down_closed && l.replica == r);
                if !open {
                    return;
                }
                self.core.trace.bytes(&bytes);
                if let Some(at) = self.core.net.send(conn, Dir::Down, now, &mut self.core.rng) {
                    let line = format!("conn {} down: {}", conn.0, preview(&bytes, 90));
                    self.core.note(&line);
                    self.core.schedule(
                        at,
                        Ev::Down {
                            conn,
                            packet: Packet::Data(bytes),
                        },
                    );
                }
            }
            Output::Close { conn } => {
                match self.core.net.link_mut(conn) {
                    Some(l) if l.alive && !l.down_closed => l.down_closed = true,
                    _ => return,
                }
                if let Some(at) = self.core.net.send(conn, Dir::Down, now, &mut self.core.rng) {
                    self.core.note(&format!("conn {} down: FIN", conn.0));
                    self.core.schedule(
                        at,
                        Ev::Down {
                            conn,
                            packet: Packet::Fin,
                        },
                    );
                }
            }
            Output::Effect {
                id: op,
                effect: Effect::Storage(request),
            } if self.etcd.is_some() => {
                self.core
                    .note(&format!("r{r} -> session op {}: {}", op.0, describe(&request)));
                self.session_command(r, gatehouse_host::store::StoreCmd::Run(op, request));
            }
            Output::Effect {
                id: op,
                effect: Effect::Storage(request),
            } => {
                let lat = self.core.store.latency(&mut self.core.rng);
                self.core
                    .note(&format!("r{r} -> store op {}: {}", op.0, describe(&request)));
                self.core.schedule(
                    now + lat,
                    Ev::StoreIn {
                        replica: r,
                        epoch: self.replicas[r].epoch,
                        op,
                        req: request,
                    },
                );
            }
            Output::StartWatch {
                watch,
                prefix,
                from_revision,
            } => {
                if self.replicas[r].refilling.remove(&watch) && self.replicas[r].refilling.is_empty() {
                    self.core.schedule(now, Ev::Release { replica: r });
                }
                let line = format!(
                    "watch {} of {} after rev {from_revision}",
                    watch.0,
                    String::from_utf8_lossy(&prefix)
                );
                if self.etcd.is_some() {
                    self.core.note(&format!("r{r} -> session: {line}"));
                    let cmd = gatehouse_host::store::StoreCmd::Watch {
                        watch,
                        prefix,
                        from: from_revision,
                    };
                    self.session_command(r, cmd);
                    return;
                }
                let generation = self
                    .core
                    .store
                    .ask_watch((r, u64::from(watch.0)), &prefix, from_revision);
                let lat = self.core.store.latency(&mut self.core.rng);
                self.core.note(&format!("r{r} -> store: {line}"));
                self.core.schedule(
                    now + lat,
                    Ev::WatchStartIn {
                        replica: r,
                        epoch: self.replicas[r].epoch,
                        watch,
                        prefix,
                        from: from_revision,
                        generation,
                    },
                );
            }
            // The simulated cluster has no kubelets (every dial is refused); the run's admission
            // webhook, if any, answers HTTPS calls (else they are refused); a timer completes
            // when its time has come.
            Output::Effect { id, effect } => {
                let (delay, completion) = match effect {
                    Effect::Dial { host, port } => (0, Completion::Dial(Err(refused(&host, port)))),
                    Effect::Relay { host, port, .. } => {
                        (0, Completion::Relay(RelayEvent::End(Err(refused(&host, port)))))
                    }
                    Effect::Https(call) => match self.webhook.as_mut() {
                        Some((weather, rng)) => {
                            let (delay, completion, seen) = webhook::answer(&call, weather, rng);
                            self.core.note(&format!(
                                "r{r} -> webhook {} {}: answered in {delay} ms: {}",
                                id.0,
                                call.url,
                                preview(format!("{completion:?}").as_bytes(), 90)
                            ));
                            self.core.history.admission_calls.extend(seen);
                            (delay, completion)
                        }
                        None => (0, Completion::Https(Err(refused(&call.url, 443)))),
                    },
                    Effect::Timer { after_ms } => (after_ms, Completion::Timer),
                    Effect::Storage(_) => unreachable!("storage effects are matched above"),
                };
                let epoch = self.replicas[r].epoch;
                self.core.schedule(
                    now + delay,
                    Ev::Outside {
                        replica: r,
                        epoch,
                        id,
                        completion,
                    },
                );
            }
            Output::Cancel { id } => self.core.note(&format!("r{r} cancels effect {}", id.0)),
            Output::Log(line) => self.core.note(&format!("r{r} log: {line}")),
        }
    }

    /// Hands replica `r` the events that arrived on its streams (by watch).
    fn deliver_events(&mut self, r: usize, due: Vec<(u64, Vec<StorageEvent>)>) {
        let now = self.core.clock.now();
        for (watch, events) in due {
            if events.is_empty() {
                continue;
            }
            let max = events.iter().map(|e| e.kv.mod_revision).max().unwrap_or(0);
            let min = events.iter().map(|e| e.kv.mod_revision).min().unwrap_or(0);
            self.core.note(&format!(
                "r{r} <- {} events of watch {watch}, revs {min}..={max}",
                events.len()
            ));
            let watch = WatchId(watch as u32);
            self.replicas[r].server.handle_watch_events(now, watch, events);
        }
        self.drain(r);
    }

    fn schedule_wakeups(&mut self) {
        for (at, r) in std::mem::take(&mut self.core.store.wakeups) {
            self.core.schedule(at, Ev::WatchDue { replica: r });
        }
    }

    fn dispatch(&mut self, ev: Ev) {
        let now = self.core.clock.now();
        let t = now.mono_ms;
        match ev {
            Ev::Up { conn, packet } => {
                let Some(link) = self.core.net.link(conn) else {
                    return;
                };
                if !link.alive {
                    return;
                }
                let r = link.replica;
                // fixed bug: a replica re-listing after its storage watch fell behind a
                // compaction once kept serving watches from its stale cache; the cache is now
                // marked not ready until the re-list. Leaving `relist-window` out of
                // `SIM_KNOWN_BUGS` holds that replica's client bytes until it is done.
                if !self.replicas[r].refilling.is_empty() {
                    self.core
                        .note(&format!("r{r} re-listing: holds a packet of conn {}", conn.0));
                    self.replicas[r].held.push((conn, packet));
                    return;
                }
                let client = link.client;
                let down_closed = link.down_closed;
                match packet {
                    Packet::Connect => {
                        self.core
                            .note(&format!("r{r} accepts conn {} of c{client}", conn.0));
                        let peer = Peer {
                            remote: format!("client-{client}:{}", conn.0),
                            cert_chain: self.peer_chain.clone(),
                        };
                        self.replicas[r].server.handle_connect(now, conn, peer);
                    }
                    Packet::Data(bytes) => {
                        if down_closed {
                            self.core
                                .note(&format!("r{r} drops bytes on closed conn {}", conn.0));
                            return;
                        }
                        self.core
                            .note(&format!("r{r} reads {} bytes on conn {}", bytes.len(), conn.0));
                        self.replicas[r].server.handle_bytes(now, conn, &bytes);
                    }
                    Packet::Fin => {
                        // The runtime treats end of input as a closed connection and closes the
                        // socket in turn.
                        self.core.note(&format!("r{r} sees EOF on conn {}", conn.0));
                        self.replicas[r].server.handle_closed(now, conn);
                        if !down_closed {
                            if let Some(l) = self.core.net.link_mut(conn) {
                                l.down_closed = true;
                            }
                            if let Some(at) = self.core.net.send(conn, Dir::Down, t, &mut self.core.rng) {
                                self.core.schedule(
                                    at,
                                    Ev::Down {
                                        conn,
                                        packet: Packet::Fin,
                                    },
                                );
                            }
                        }
                    }
                }
                self.drain(r);
            }
            Ev::Down { conn, packet } => {
                let Some(link) = self.core.net.link(conn) else {
                    return;
                };
                if !link.alive {
                    return;
                }
                let c = link.client;
                match packet {
                    Packet::Data(bytes) => self.clients[c].on_bytes(&mut self.core, conn, &bytes),
                    Packet::Fin => {
                        self.core.net.kill(conn);
                        self.clients[c].on_closed(&mut self.core, conn, "closed by the server");
                    }
                    Packet::Connect => {}
                }
            }
            Ev::ServerReset { conn } => {
                if let Some(r) = self.core.net.link(conn).map(|l| l.replica) {
                    self.core.note(&format!("r{r} sees reset of conn {}", conn.0));
                    self.replicas[r].server.handle_closed(now, conn);
                    self.drain(r);
                }
            }
            Ev::ClientReset { conn } => {
                if let Some(c) = self.core.net.link(conn).map(|l| l.client) {
                    self.clients[c].on_closed(&mut self.core, conn, "connection reset");
                }
            }
            Ev::StoreIn {
                replica,
                epoch,
                op,
                req,
            } => {
                let ex = self.core.store.execute(t, &req, &mut self.core.rng);
                if let Some(b) = self.core.store.broken.take() {
                    self.core.history.violation("store", b);
                }
                if !ex.fault.is_empty() {
                    self.core.count(ex.fault);
                }
                let line = format!(
                    "store runs op {} of r{replica}: {} -> {}{}{}",
                    op.0,
                    describe(&req),
                    describe_result(&ex.result),
                    ex.wrote.map(|w| format!(" wrote rev {w}")).unwrap_or_default(),
                    if ex.fault.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", ex.fault)
                    }
                );
                self.core.note(&line);
                self.schedule_wakeups();
                self.core.schedule(
                    t + ex.answer_ms,
                    Ev::StoreOut {
                        replica,
                        epoch,
                        op,
                        result: ex.result,
                        wrote: ex.wrote,
                    },
                );
            }
            Ev::StoreOut {
                replica: r,
                epoch,
                op,
                result,
                wrote,
            } => {
                if epoch != self.replicas[r].epoch {
                    self.core
                        .note(&format!("store answer op {} to a restarted r{r} is lost", op.0));
                    return;
                }
                if let (Some(v), true) = (wrote, result.is_ok()) {
                    if !self.core.store.write_delivered(r, v) {
                        let early = self.core.store.flush_until(r, v);
                        self.deliver_events(r, early);
                    }
                    if !self.core.store.write_delivered(r, v) {
                        self.core.note(&format!(
                            "r{r}: answer of op {} held until its watch reaches rev {v}",
                            op.0
                        ));
                        self.replicas[r].parked.push((op, result, v));
                        self.core.count("answer held for watch");
                        return;
                    }
                }
                self.core.note(&format!("r{r} <- store answer op {}", op.0));
                self.replicas[r]
                    .server
                    .handle_effect(now, op, Completion::Storage(result));
                self.drain(r);
            }
            Ev::WatchStartIn {
                replica: r,
                epoch,
                watch,
                prefix,
                from,
                generation,
            } => {
                if epoch != self.replicas[r].epoch {
                    return;
                }
                let key = (r, u64::from(watch.0));
                if self
                    .core
                    .store
                    .streams
                    .get(&key)
                    .is_none_or(|s| s.generation != generation)
                {
                    // Replaced by a later start of the same watch.
                    return;
                }
                match self
                    .core
                    .store
                    .start_watch(key, &prefix, from, t, &mut self.core.rng)
                {
                    Ok(n) => {
                        self.core.note(&format!(
                            "store: r{r} watch {} after rev {from}, {n} to catch up",
                            watch.0
                        ));
                        self.schedule_wakeups();
                    }
                    Err(compacted) => {
                        self.core.store.break_watch(key);
                        if compacted {
                            self.core.count("watch resume compacted");
                        }
                        let delay = if compacted {
                            self.core.store.latency(&mut self.core.rng)
                        } else {
                            self.core.rng.between(50, 250)
                        };
                        self.core.note(&format!(
                            "store: r{r} watch {} after rev {from} refused ({})",
                            watch.0,
                            if compacted { "compacted" } else { "unavailable" }
                        ));
                        self.core.schedule(
                            t + delay,
                            Ev::WatchFailed {
                                replica: r,
                                epoch,
                                watch,
                                compacted,
                            },
                        );
                    }
                }
            }
            Ev::WatchDue { replica: r } if self.etcd.is_some() => self.etcd_watch_due(r),
            Ev::WatchDue { replica: r } => {
                let due = self.core.store.due(r, t);
                self.deliver_events(r, due);
            }
            Ev::Outside {
                replica: r,
                epoch,
                id,
                completion,
            } => {
                if epoch != self.replicas[r].epoch {
                    return;
                }
                let now = self.core.clock.now();
                self.replicas[r].server.handle_effect(now, id, completion);
                self.drain(r);
            }
            Ev::Release { replica: r } => {
                if !self.replicas[r].refilling.is_empty() {
                    return;
                }
                let held = std::mem::take(&mut self.replicas[r].held);
                if !held.is_empty() {
                    self.core
                        .note(&format!("r{r} re-listed: reads {} held packets", held.len()));
                }
                for (conn, packet) in held {
                    self.dispatch(Ev::Up { conn, packet });
                }
            }
            Ev::WatchFailed {
                replica: r,
                epoch,
                watch,
                compacted,
            } => {
                if epoch != self.replicas[r].epoch {
                    return;
                }
                if compacted && self.known_bugs & known::RELIST_WINDOW == 0 {
                    self.replicas[r].refilling.insert(watch);
                }
                self.core.note(&format!(
                    "r{r} <- watch {} failed (compacted: {compacted})",
                    watch.0
                ));
                self.replicas[r].server.handle_watch_failed(now, watch, compacted);
                self.drain(r);
            }
            Ev::Timer { replica: r } => {
                if self.replicas[r].server.poll_timeout().is_some_and(|d| d <= t) {
                    self.replicas[r].timer_at = None;
                    self.replicas[r].server.handle_timeout(now);
                    self.drain(r);
                }
            }
            Ev::Wake { client } => self.clients[client].wake(&mut self.core),
            Ev::ClientTimeout { client, slot, serial } => {
                self.clients[client].on_timeout(&mut self.core, slot, serial)
            }
            Ev::Fault(f) => self.fault(f),
            Ev::Etcd { replica, epoch, ev } => {
                if epoch == self.replicas[replica].epoch {
                    self.etcd_event(replica, ev);
                }
            }
            Ev::EtcdTimer { replica: r } => self.session_timer(r),
        }
    }

    fn schedule_fault(&mut self, f: Fault) {
        let range = match f {
            Fault::DropConn => self.weather.drops_ms,
            Fault::BreakWatch => self.weather.breaks_ms,
            Fault::Compact => self.weather.compact_ms,
            Fault::Pause => self.weather.pause_ms,
            Fault::RestartReplica => self.weather.restart_ms,
            Fault::EtcdConnDrop => self.weather.drops_ms,
            Fault::EndpointDown => self.weather.pause_ms,
            Fault::Resume | Fault::EndpointUp(_) => None,
        };
        if let Some((lo, hi)) = range {
            let d = self.core.rng.between(lo, hi);
            let at = self.core.now_ms() + d;
            self.core.schedule(at, Ev::Fault(f));
        }
    }

    fn fault(&mut self, f: Fault) {
        if self.core.phase != Phase::Workload {
            match f {
                Fault::Resume => self.resume_store(),
                Fault::EndpointUp(e) => self.endpoint_up(e),
                _ => {}
            }
            return;
        }
        let t = self.core.now_ms();
        match f {
            Fault::DropConn => {
                let live = self.core.net.live();
                if !live.is_empty() {
                    let conn = live[self.core.rng.index(live.len())];
                    self.core.net.kill(conn);
                    self.core.count("connection dropped");
                    self.core.note(&format!("fault: conn {} dropped", conn.0));
                    let a = self.core.rng.between(1, 20);
                    let b = self.core.rng.between(1, 20);
                    self.core.schedule(t + a, Ev::ServerReset { conn });
                    self.core.schedule(t + b, Ev::ClientReset { conn });
                }
                self.schedule_fault(f);
            }
            Fault::BreakWatch if self.etcd.is_some() => {
                self.etcd_break_watch();
                self.schedule_fault(f);
            }
            Fault::BreakWatch => {
                let active = self.active_streams();
                if !active.is_empty() {
                    let (r, watch) = active[self.core.rng.index(active.len())];
                    self.break_stream(r, watch);
                    self.core.count("watch stream broken");
                }
                self.schedule_fault(f);
            }
            Fault::Compact => {
                // Often right at the head, so that replicas whose watch is down fall behind it.
                let lagging = self
                    .core
                    .store
                    .streams
                    .values()
                    .any(|s| s.state == StreamState::Broken);
                let keep = if self.core.rng.chance(if lagging { 0.7 } else { 0.3 }) {
                    0
                } else {
                    self.core.rng.between(1, 25) as i64
                };
                let target = self.core.store.revision() - keep;
                if !self.core.store.paused
                    && target > self.core.store.compact_revision()
                    && self.core.store.compact(target)
                {
                    self.core.count("compaction");
                    self.core.note(&format!("fault: store compacted at rev {target}"));
                }
                self.schedule_fault(f);
            }
            Fault::Pause => {
                if !self.core.store.paused {
                    self.core.store.paused = true;
                    self.core.count("store restart");
                    self.core.note("fault: store down (restart)");
                    if self.etcd.is_some() {
                        self.etcd_leader_lost();
                    }
                    for (r, watch) in self.active_streams() {
                        self.break_stream(r, watch);
                    }
                    let d = self.core.rng.between(200, 2_500);
                    self.core.schedule(t + d, Ev::Fault(Fault::Resume));
                }
                self.schedule_fault(f);
            }
            Fault::Resume => self.resume_store(),
            Fault::RestartReplica => {
                let r = self.core.rng.index(self.replicas.len());
                self.restart_replica(r);
                self.schedule_fault(f);
            }
            Fault::EtcdConnDrop => {
                self.etcd_conn_drop();
                self.schedule_fault(f);
            }
            Fault::EndpointDown => {
                self.endpoint_down();
                self.schedule_fault(f);
            }
            Fault::EndpointUp(e) => self.endpoint_up(e),
        }
    }

    /// Replica `r` crashes and starts again: its connections reset, its requests and
    /// storage answers in flight are lost (writes already sent may still apply), and it
    /// starts from an empty cache.
    fn restart_replica(&mut self, r: usize) {
        self.core.count("replica restart");
        self.core.note(&format!("fault: r{r} crashes and restarts"));
        let t = self.core.now_ms();
        for conn in self.core.net.live() {
            if self.core.net.link(conn).is_some_and(|l| l.replica == r) {
                self.core.net.kill(conn);
                let d = self.core.rng.between(1, 20);
                self.core.schedule(t + d, Ev::ClientReset { conn });
            }
        }
        self.core.store.forget(r);
        let rep = &mut self.replicas[r];
        rep.epoch += 1;
        rep.cfg.seed = rep.cfg.seed.wrapping_add(1_000_003);
        rep.server = new_server(&rep.cfg);
        rep.timer_at = None;
        rep.parked.clear();
        rep.refilling.clear();
        rep.held.clear();
        rep.etcd_timer_at = None;
        rep.etcd_seen = etcd::Seen::default();
        if let Some(etcd) = self.etcd.as_mut() {
            etcd.forget(r);
        }
        self.new_session(r);
        let now = self.core.clock.now();
        self.replicas[r].server.start(now);
        self.drain(r);
    }

    fn resume_store(&mut self) {
        if self.core.store.paused {
            self.core.store.paused = false;
            self.core.note("store up again");
        }
    }

    /// The streams delivering on the direct path: (replica, watch).
    fn active_streams(&self) -> Vec<(usize, WatchId)> {
        if self.etcd.is_some() {
            return Vec::new();
        }
        self.core
            .store
            .streams
            .iter()
            .filter(|(_, s)| s.state == StreamState::Active)
            .map(|((r, w), _)| (*r, WatchId(*w as u32)))
            .collect()
    }

    fn break_stream(&mut self, r: usize, watch: WatchId) {
        self.core.store.break_watch((r, u64::from(watch.0)));
        // Mostly a quick resume; sometimes the replica stays cut off for a while.
        let d = if self.core.rng.chance(0.3) {
            self.core.rng.between(500, 3_000)
        } else {
            self.core.rng.between(1, 200)
        };
        self.core
            .note(&format!("fault: r{r} storage watch {} broken", watch.0));
        let at = self.core.now_ms() + d;
        self.core.schedule(
            at,
            Ev::WatchFailed {
                replica: r,
                epoch: self.replicas[r].epoch,
                watch,
                compacted: false,
            },
        );
    }

    /// Nothing in flight, every replica caught up with the store, no client waiting.
    fn quiet(&self) -> bool {
        let rev = self.core.store.revision();
        self.core.in_flight == 0
            && self.replicas.iter().all(|r| r.parked.is_empty())
            && self
                .replicas
                .iter()
                .all(|r| r.session.as_ref().is_none_or(Session::is_idle))
            && (0..self.replicas.len()).all(|r| self.core.store.caught_up(r, rev) && self.etcd_caught_up(r))
            && self.clients.iter().all(|c| !c.waiting_for_answer())
    }

    fn set_phase(&mut self, p: Phase) {
        self.core.phase = p;
        self.phase_started_ms = self.core.now_ms();
        self.core.note(&format!("phase {p:?}"));
    }

    fn advance_phase(&mut self) {
        match self.core.phase {
            Phase::Boot => {
                if self.replicas.iter().all(|r| r.server.is_ready()) {
                    self.set_phase(Phase::Setup);
                    for c in 0..self.clients.len() {
                        if matches!(self.clients[c].role, Role::Setup { .. }) {
                            self.core.wake(c, 0);
                        }
                    }
                }
            }
            Phase::Setup => {
                if self.core.setup_done {
                    self.set_phase(Phase::Workload);
                    self.core.store.faults = self.faults.clone();
                    self.core.half_close = self.weather.half_close;
                    for c in 0..self.clients.len() {
                        if self.clients[c].role.is_workload() {
                            let d = self.core.rng.below(30);
                            self.core.wake(c, d);
                        }
                    }
                    for f in [
                        Fault::DropConn,
                        Fault::BreakWatch,
                        Fault::Compact,
                        Fault::Pause,
                        Fault::RestartReplica,
                    ] {
                        self.schedule_fault(f);
                    }
                    if self.etcd.is_some() {
                        self.schedule_fault(Fault::EtcdConnDrop);
                        self.schedule_fault(Fault::EndpointDown);
                    }
                }
            }
            Phase::Workload => {
                if self.clients.iter().all(|c| !c.role.has_budget() || c.finished()) {
                    self.set_phase(Phase::Quiesce);
                    self.core.store.faults = StoreFaults::calm();
                    self.core.half_close = 0.0;
                    self.resume_store();
                    if let Some(n) = self.etcd.as_ref().map(|e| e.endpoints.len()) {
                        for e in 0..n {
                            self.endpoint_up(e);
                        }
                    }
                }
            }
            Phase::Quiesce => {
                if self.quiet() {
                    self.set_phase(Phase::Audit);
                    for c in 0..self.clients.len() {
                        if matches!(self.clients[c].role, Role::Auditor { .. }) {
                            self.core.wake(c, 0);
                        }
                    }
                }
            }
            Phase::Audit => {
                let audited = self
                    .clients
                    .iter()
                    .all(|c| !matches!(&c.role, Role::Auditor { .. }) || c.finished());
                if audited && self.quiet() {
                    self.set_phase(Phase::Done);
                }
            }
            Phase::Done => {}
        }
    }
}

/// A short description of a storage request for the trace.
fn describe(req: &StorageRequest) -> String {
    match req {
        StorageRequest::Range {
            key,
            range_end,
            revision,
            limit,
        } => format!(
            "range {}{} rev {revision} limit {limit}",
            String::from_utf8_lossy(key).replace('\0', "\\0"),
            if range_end.is_empty() { "" } else { ".." }
        ),
        StorageRequest::Txn { compare, success, .. } => {
            let key = success
                .iter()
                .map(|op| match op {
                    gatehouse_core::storage::TxnOp::Put { key, .. } => {
                        format!("put {}", String::from_utf8_lossy(key))
                    }
                    gatehouse_core::storage::TxnOp::Delete { key } => {
                        format!("delete {}", String::from_utf8_lossy(key))
                    }
                    gatehouse_core::storage::TxnOp::Get { key } => {
                        format!("get {}", String::from_utf8_lossy(key))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let cmp = compare
                .iter()
                .map(|c| match c {
                    gatehouse_core::storage::Compare::ModRevision(_, r) => format!("mod={r}"),
                    gatehouse_core::storage::Compare::CreateRevision(_, r) => format!("create={r}"),
                })
                .collect::<Vec<_>>()
                .join(",");
            format!("txn [{cmp}] {key}")
        }
        StorageRequest::Compact { revision } => format!("compact {revision}"),
    }
}

fn describe_result(r: &Result<StorageResponse, StorageError>) -> String {
    match r {
        Ok(StorageResponse::Range {
            revision, kvs, more, ..
        }) => {
            format!(
                "{} kvs at rev {revision}{}",
                kvs.len(),
                if *more { " (more)" } else { "" }
            )
        }
        Ok(StorageResponse::Txn {
            revision, succeeded, ..
        }) => format!(
            "txn {} at rev {revision}",
            if *succeeded { "ok" } else { "failed" }
        ),
        Ok(StorageResponse::Compacted { revision }) => format!("compacted {revision}"),
        Err(e) => format!("error: {e}"),
    }
}

/// Runs one seed to the end and checks it.
pub fn run(opts: &Options) -> Report {
    let mut w = World::new(opts);
    w.boot();
    let mut events = 0u64;
    while let Some(s) = w.core.queue.pop() {
        if s.ev.in_flight() {
            w.core.in_flight -= 1;
        }
        events += 1;
        if events > opts.max_events {
            let phase = w.core.phase;
            w.core.history.violation(
                "bounded",
                format!(
                    "the run did not finish within {} events (stuck in phase {phase:?})",
                    opts.max_events
                ),
            );
            break;
        }
        w.core.clock.advance_to(s.at);
        w.dispatch(s.ev);
        w.advance_phase();
        if w.core.phase == Phase::Done {
            break;
        }
        if w.core.now_ms() > w.phase_started_ms + PHASE_LIMIT_MS {
            let phase = w.core.phase;
            w.core.history.violation(
                "bounded",
                format!(
                    "phase {phase:?} did not end within {} s of virtual time (in flight: {}, replicas caught up: {:?}, store rev {})",
                    PHASE_LIMIT_MS / 1000,
                    w.core.in_flight,
                    w.core
                        .store
                        .streams
                        .iter()
                        .filter(|(_, s)| s.state != StreamState::Active || s.delivered < w.core.store.revision())
                        .map(|(k, s)| (*k, s.state, s.delivered))
                        .take(8)
                        .collect::<Vec<_>>(),
                    w.core.store.revision()
                ),
            );
            break;
        }
    }
    let complete = w.core.phase == Phase::Done;
    if complete {
        // Every client has its answer and every effect has ended: a replica still holding a
        // request or waiting on an effect has leaked it.
        for (r, replica) in w.replicas.iter().enumerate() {
            let o = replica.server.outstanding();
            if o != gatehouse_core::Outstanding::default() {
                w.core.history.violation(
                    "leak",
                    format!(
                        "r{r} still holds {} request(s) and waits on {} effect(s) once the run is quiet",
                        o.requests, o.effects
                    ),
                );
            }
        }
    }
    if !complete && w.core.history.violations.is_empty() {
        let phase = w.core.phase;
        w.core
            .history
            .violation("bounded", format!("the event queue ran dry in phase {phase:?}"));
    }
    let planted = planted();
    let mut violations = std::mem::take(&mut w.core.history.violations);
    violations.extend(checkers::check_all(
        &w.core.history,
        &w.core.store.truth,
        complete,
    ));
    let virtual_ms = w.core.now_ms();
    let line = format!("end: {} violation(s)", violations.len());
    w.core.note(&line);
    Report {
        seed: opts.seed,
        trace_hash: w.core.trace.hash(),
        trace_lines: w.core.trace.len(),
        events,
        virtual_ms,
        requests: w.core.history.ops.len() + w.core.history.watches.len(),
        watches: w.core.history.watches.len(),
        commits: w.core.store.truth.commits.len(),
        faults: w.core.faults.clone(),
        violations,
        trace_tail: w.core.trace.tail(),
        trace: w.core.trace.full().map(<[String]>::to_vec),
        known_bugs: opts.known_bugs,
        planted,
        etcd: opts.etcd,
        summary: checkers::summary(&w.core.history),
    }
}

/// The planted defect selected in the core (0 when none or when the feature is off).
pub fn planted() -> u8 {
    #[cfg(feature = "sim-bugs")]
    {
        gatehouse_core::sim_bugs::PLANTED.load(std::sync::atomic::Ordering::SeqCst)
    }
    #[cfg(not(feature = "sim-bugs"))]
    {
        0
    }
}

/// A replica's server (its webhook plugins find the run's webhook configurations, if any,
/// in storage).
fn new_server(cfg: &Config) -> Server {
    Server::new(cfg.clone())
}

/// A dial of `host:port` where nothing listens.
fn refused(host: &str, port: u16) -> NetError {
    NetError::Refused {
        addr: format!("{host}:{port}"),
    }
}
