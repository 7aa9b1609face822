//! The etcd3 storage backend against a real etcd.
//!
//! Each test starts its own `etcd` (from PATH) on loopback with a temporary data folder and free
//! ports, and waits until it is healthy. The tests:
//!
//! * run the storage contract suite of the embedded store (`contract/mod.rs`), unchanged,
//!   against etcd: the same fixed and generated operation sequences, compared with the same
//!   reference store;
//! * run one deterministic sequence of storage requests both through the etcd storage thread
//!   and on `MemStore` (the reference implementation of the storage contract) and compare the
//!   answers and the watch events op by op, checking that every write's events are reported
//!   before its answer;
//! * serve Gatehouse on etcd end to end, on the tokio and on the smol runtime: kubectl creates a
//!   configmap, `etcdctl` finds it under `/registry/configmaps/`, a Gatehouse started afresh (new
//!   data folder) still has it, and a `kubectl get -w` sees a later write;
//! * keep one watch per resource type apart: each reports only its own keys (a write's event
//!   before the write's answer), and a compaction only for the watch it overtook;
//! * fail over from a closed port to a live endpoint, answer `Unavailable` quickly when no
//!   endpoint answers, speak TLS with client certificates, and coordinate compaction between
//!   two replicas through `compact_rev_key`.
//!
//! `kubectl` must be on PATH. `etcd` and `etcdctl` come from Debian's `etcd-server` and
//! `etcd-client`, which the tests install when they are missing and run as root with apt; a tool
//! that is missing otherwise fails the tests.

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

mod contract;
// Finds etcd and etcdctl, installing them when missing (shared with gatehouse-tests, which this
// crate cannot depend on).
#[path = "../../tests/src/packages.rs"]
mod packages;

use std::cell::RefCell;
use std::collections::BTreeMap;

use clap::Parser;
use contract::normalised;
use gatehouse_core::storage::{
    prefix_end, Compare, MemStore, StorageError, StorageEvent, StorageRequest, StorageResponse, TxnOp,
    WatchId,
};
use gatehouse_core::EffectId;
use gatehouse_host::etcd::{self, EtcdOptions};
use gatehouse_host::flags::Flags;
use gatehouse_host::store::{StoreCmd, StoreReport};
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

// ---------------------------------------------------------------------------------------------
// Temporary folders and etcd processes
// ---------------------------------------------------------------------------------------------

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("gatehouse-etcd-{}-{n}-{label}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("creating a temp folder");
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A free loopback port (bound, read and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port")
}

/// TLS material for an etcd that requires client certificates.
struct TlsFiles {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

/// An etcd member on loopback; killed when dropped.
struct Etcd {
    child: Child,
    url: String,
    peer: String,
    dir: TempDir,
    tls: Option<TlsFiles>,
}

impl Etcd {
    fn start() -> Etcd {
        Etcd::start_with(false)
    }

    fn start_with(tls: bool) -> Etcd {
        packages::require("etcd", "etcd-server");
        packages::require("etcdctl", "etcd-client");
        let dir = TempDir::new("etcd");
        let files = tls.then(|| {
            let pki =
                gatehouse_host::pki::ensure_pki(dir.path(), &[], SystemTime::now()).expect("making a PKI");
            let write = |name: &str, pem: &str| {
                let p = dir.path().join(name);
                fs::write(&p, pem).expect("writing PEM");
                p
            };
            TlsFiles {
                ca: write("ca.crt", &pki.ca.cert_pem),
                server_cert: write("server.crt", &pki.serving.cert_pem),
                server_key: write("server.key", &pki.serving.key_pem),
                client_cert: write("client.crt", &pki.admin.cert_pem),
                client_key: write("client.key", &pki.admin.key_pem),
            }
        });
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{}", free_port());
        let peer = format!("http://127.0.0.1:{}", free_port());
        let child = Etcd::spawn_member(&url, &peer, dir.path(), files.as_ref());
        let mut etcd = Etcd {
            child,
            url,
            peer,
            dir,
            tls: files,
        };
        // A port picked as free may be taken by a parallel test before etcd binds it: then
        // etcd exits, and it gets other ports.
        for _ in 0..3 {
            if etcd.wait_healthy() {
                return etcd;
            }
            etcd.kill();
            etcd.url = format!("{scheme}://127.0.0.1:{}", free_port());
            etcd.peer = format!("http://127.0.0.1:{}", free_port());
            let _ = fs::remove_dir_all(etcd.dir.path().join("data"));
            etcd.child = Etcd::spawn_member(&etcd.url, &etcd.peer, etcd.dir.path(), etcd.tls.as_ref());
        }
        etcd.healthy_or_panic();
        etcd
    }

    fn spawn_member(url: &str, peer: &str, dir: &Path, files: Option<&TlsFiles>) -> Child {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("etcd.log"))
            .expect("opening the etcd log");
        let mut cmd = Command::new("etcd");
        cmd.arg("--name=gatehouse-test")
            .arg(format!("--data-dir={}", dir.join("data").display()))
            .arg(format!("--listen-client-urls={url}"))
            .arg(format!("--advertise-client-urls={url}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=gatehouse-test={peer}"))
            .env_remove("ETCDCTL_API")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(f) = files {
            cmd.arg(format!("--cert-file={}", f.server_cert.display()))
                .arg(format!("--key-file={}", f.server_key.display()))
                .arg(format!("--trusted-ca-file={}", f.ca.display()))
                .arg("--client-cert-auth");
        }
        cmd.spawn().expect("starting etcd")
    }

    /// Kills the member (as a crash would).
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the member again on the same ports and data.
    fn restart(&mut self) {
        self.kill();
        self.child = Etcd::spawn_member(&self.url, &self.peer, self.dir.path(), self.tls.as_ref());
        self.healthy_or_panic();
    }

    fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.url))
            .arg("--command-timeout=5s");
        if let Some(f) = &self.tls {
            cmd.arg(format!("--cacert={}", f.ca.display()))
                .arg(format!("--cert={}", f.client_cert.display()))
                .arg(format!("--key={}", f.client_key.display()));
        }
        cmd.args(args).output().expect("running etcdctl")
    }

    /// Waits (at most 30 s) until the member is healthy; `false` if it exited or never was.
    fn wait_healthy(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if self.etcdctl(&["endpoint", "health"]).status.success() {
                return true;
            }
            if !matches!(self.child.try_wait(), Ok(None)) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn healthy_or_panic(&mut self) {
        if !self.wait_healthy() {
            let log = fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default();
            panic!("etcd at {} did not become healthy; its log:\n{log}", self.url);
        }
    }

    fn options(&self) -> EtcdOptions {
        let mut o = EtcdOptions::new(std::slice::from_ref(&self.url)).expect("options");
        if let Some(f) = &self.tls {
            o = o
                .with_tls(&f.ca, Some(&f.client_cert), Some(&f.client_key))
                .expect("TLS options");
        }
        o.compaction_interval = Duration::ZERO;
        o
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The storage thread, driven synchronously
// ---------------------------------------------------------------------------------------------

/// The etcd storage thread with its reports collected in order.
struct Thread {
    tx: mpsc::Sender<StoreCmd>,
    rx: mpsc::Receiver<StoreReport>,
    next_op: u64,
    /// Events reported so far, of every watch, in order.
    events: Vec<StorageEvent>,
    /// The same, by watch.
    events_of: BTreeMap<WatchId, Vec<StorageEvent>>,
    /// Watches reported compacted, in order.
    compacted: Vec<WatchId>,
    /// Progress reported, if any.
    progress: Option<i64>,
}

/// The watch the single-watch tests use: every key of the core.
const ALL: WatchId = WatchId(0);

const REPORT_WAIT: Duration = Duration::from_secs(30);

impl Thread {
    fn spawn(opts: EtcdOptions) -> Thread {
        let (rtx, rx) = mpsc::channel();
        let (tx, _handle) =
            etcd::spawn(opts, move |r| rtx.send(r).is_ok()).expect("starting the etcd thread");
        Thread {
            tx,
            rx,
            next_op: 1,
            events: Vec::new(),
            events_of: BTreeMap::new(),
            compacted: Vec::new(),
            progress: None,
        }
    }

    fn take(&mut self, r: StoreReport) -> Option<(EffectId, Result<StorageResponse, StorageError>)> {
        match r {
            StoreReport::Done(op, res) => Some((op, res)),
            StoreReport::Events(w, evs) => {
                self.events_of.entry(w).or_default().extend(evs.iter().cloned());
                self.events.extend(evs);
                None
            }
            StoreReport::WatchCompacted(w) => {
                self.compacted.push(w);
                None
            }
            StoreReport::Progress(r) => {
                self.progress = Some(r);
                None
            }
        }
    }

    /// Runs one request and returns its answer; events reported meanwhile are kept.
    fn run(&mut self, req: StorageRequest) -> Result<StorageResponse, StorageError> {
        let op = EffectId(self.next_op);
        self.next_op += 1;
        self.tx
            .send(StoreCmd::Run(op, req))
            .expect("the etcd thread is gone");
        let deadline = Instant::now() + REPORT_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let r = self
                .rx
                .recv_timeout(left)
                .expect("no answer from the etcd thread");
            if let Some((got, res)) = self.take(r) {
                assert_eq!(got, op, "answers come back for the request asked");
                return res;
            }
        }
    }

    /// Starts (or replaces) watch `watch` of the keys under `prefix` after `from`.
    fn watch(&mut self, watch: WatchId, prefix: &[u8], from: i64) {
        let cmd = StoreCmd::Watch {
            watch,
            prefix: prefix.to_vec(),
            from,
        };
        self.tx.send(cmd).expect("the etcd thread is gone");
    }

    /// The events reported on watch `w`.
    fn events_of(&self, w: WatchId) -> &[StorageEvent] {
        self.events_of.get(&w).map(Vec::as_slice).unwrap_or_default()
    }

    /// Collects reports until `done` holds, within a bound.
    fn wait_until(&mut self, what: &str, done: impl Fn(&Thread) -> bool) {
        let deadline = Instant::now() + REPORT_WAIT;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(r) => {
                    let _ = self.take(r);
                }
                Err(_) => panic!("gave up waiting for {what}"),
            }
        }
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        let _ = self.tx.send(StoreCmd::Stop);
    }
}

// ---------------------------------------------------------------------------------------------
// The operation sequence
// ---------------------------------------------------------------------------------------------

fn k(s: &str) -> Vec<u8> {
    format!("/registry/{s}").into_bytes()
}

fn put(key: &str, value: &str) -> TxnOp {
    TxnOp::Put {
        key: k(key),
        value: value.as_bytes().to_vec(),
        ttl_secs: None,
    }
}

fn create(key: &str, value: &str) -> StorageRequest {
    StorageRequest::Txn {
        compare: vec![Compare::CreateRevision(k(key), 0)],
        success: vec![put(key, value)],
        failure: vec![TxnOp::Get { key: k(key) }],
    }
}

fn update(key: &str, rev: i64, value: &str) -> StorageRequest {
    StorageRequest::Txn {
        compare: vec![Compare::ModRevision(k(key), rev)],
        success: vec![put(key, value), TxnOp::Get { key: k(key) }],
        failure: vec![TxnOp::Get { key: k(key) }],
    }
}

fn delete(key: &str, rev: i64) -> StorageRequest {
    StorageRequest::Txn {
        compare: vec![Compare::ModRevision(k(key), rev)],
        success: vec![TxnOp::Delete { key: k(key) }],
        failure: vec![TxnOp::Get { key: k(key) }],
    }
}

fn range(from: &str, to: Option<&str>, revision: i64, limit: i64) -> StorageRequest {
    StorageRequest::Range {
        key: k(from),
        range_end: to.map(k).unwrap_or_default(),
        revision,
        limit,
    }
}

fn prefix_range(prefix: &str, revision: i64, limit: i64) -> StorageRequest {
    StorageRequest::Range {
        key: k(prefix),
        range_end: prefix_end(&k(prefix)),
        revision,
        limit,
    }
}

/// A small deterministic generator (64-bit LCG), so the sequence is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The fixed part of the sequence: every request kind and error, in a known order.
/// `at(i)` names the revision of the i-th write, resolved while running.
enum Step {
    Req(StorageRequest),
    /// A request built from the reference store's state.
    With(Box<dyn Fn(&MemStore) -> StorageRequest>),
}

fn mod_rev(s: &MemStore, key: &str) -> i64 {
    match s.live().into_iter().find(|kv| kv.key == k(key)) {
        Some(kv) => kv.mod_revision,
        None => 0,
    }
}

fn fixed_steps() -> Vec<Step> {
    use Step::*;
    vec![
        Req(create("configmaps/ns1/a", r#"{"v":1}"#)),
        Req(create("configmaps/ns1/a", r#"{"v":"again"}"#)),
        With(Box::new(|s| {
            update("configmaps/ns1/a", mod_rev(s, "configmaps/ns1/a"), r#"{"v":2}"#)
        })),
        Req(update("configmaps/ns1/a", 1, r#"{"v":"stale"}"#)),
        Req(create("configmaps/ns1/b", r#"{"v":"b"}"#)),
        Req(create("configmaps/ns2/c", r#"{"v":"c"}"#)),
        Req(create("secrets/ns1/s", r#"{"v":"s"}"#)),
        Req(prefix_range("configmaps/", 0, 0)),
        Req(prefix_range("configmaps/", 0, 2)),
        Req(prefix_range("configmaps/ns1/", 0, 1)),
        Req(range("configmaps/ns1/a", None, 0, 0)),
        Req(range("configmaps/ns1/zz", None, 0, 0)),
        Req(range("configmaps/ns1/a", None, 2, 0)),
        Req(prefix_range("configmaps/", 3, 0)),
        Req(range("configmaps/", Some("configmaps/ns2/"), 0, 0)),
        Req(StorageRequest::Range {
            key: k(""),
            range_end: vec![0],
            revision: 0,
            limit: 0,
        }),
        // Several writes in one transaction; a delete of a missing key writes nothing.
        Req(StorageRequest::Txn {
            compare: vec![],
            success: vec![
                put("configmaps/ns3/x", "x1"),
                put("configmaps/ns3/y", "y1"),
                TxnOp::Delete {
                    key: k("configmaps/ns2/c"),
                },
            ],
            failure: vec![],
        }),
        Req(StorageRequest::Txn {
            compare: vec![],
            success: vec![TxnOp::Delete {
                key: k("configmaps/none"),
            }],
            failure: vec![],
        }),
        Req(delete("configmaps/ns1/b", 1)),
        With(Box::new(|s| {
            delete("configmaps/ns1/b", mod_rev(s, "configmaps/ns1/b"))
        })),
        Req(delete("configmaps/ns1/b", 0)),
        Req(create("configmaps/ns1/b", r#"{"v":"b again"}"#)),
        Req(range("configmaps/ns1/b", None, 6, 0)),
        With(Box::new(|s| range("configmaps/ns1/a", None, s.revision() + 5, 0))),
        // Compaction and reads across it.
        Req(StorageRequest::Compact { revision: 4 }),
        Req(range("configmaps/ns1/a", None, 3, 0)),
        Req(range("configmaps/ns1/a", None, 4, 0)),
        Req(StorageRequest::Compact { revision: 4 }),
        Req(StorageRequest::Compact { revision: 2 }),
        With(Box::new(|s| StorageRequest::Compact {
            revision: s.revision() + 1,
        })),
        Req(prefix_range("", 5, 0)),
    ]
}

/// The generated part: a run of creates, updates (matching or stale), deletes and reads over a
/// few keys.
fn generated_steps(n: usize, seed: u64) -> Vec<Step> {
    let mut g = Lcg(seed);
    let keys = [
        "pods/ns1/p0",
        "pods/ns1/p1",
        "pods/ns2/p2",
        "pods/ns2/p3",
        "pods/ns3/p4",
    ];
    let mut out = Vec::new();
    for i in 0..n {
        let key = keys[g.next(keys.len() as u64) as usize];
        let stale = g.next(4) == 0;
        let value = format!("{{\"n\":{i}}}");
        let step = match g.next(8) {
            0 | 1 => Step::Req(create(key, &value)),
            2..=4 => Step::With(Box::new(move |s| {
                let rev = mod_rev(s, key);
                update(key, if stale { rev.max(1) - 1 } else { rev }, &value)
            })),
            5 => Step::With(Box::new(move |s| {
                let rev = mod_rev(s, key);
                delete(key, if stale { rev + 1 } else { rev })
            })),
            6 => {
                let limit = g.next(4) as i64;
                let back = g.next(6) as i64;
                Step::With(Box::new(move |s| {
                    prefix_range(
                        "pods/",
                        (s.revision() - back).max(s.compact_revision()).max(0),
                        limit,
                    )
                }))
            }
            _ => Step::Req(range(key, None, 0, 0)),
        };
        out.push(step);
    }
    out
}

fn revision_of(r: &Result<StorageResponse, StorageError>) -> Option<i64> {
    match r {
        Ok(StorageResponse::Txn {
            revision,
            succeeded: _,
            ..
        }) => Some(*revision),
        _ => None,
    }
}

#[test]
fn etcd_answers_like_the_reference_store() {
    let etcd = Etcd::start();
    let mut t = Thread::spawn(etcd.options());
    let mut mem = MemStore::new();
    // The core watches from the revision of its first list.
    t.watch(ALL, b"/registry/", 1);
    let mut expected_events: Vec<StorageEvent> = Vec::new();
    let steps: Vec<Step> = fixed_steps()
        .into_iter()
        .chain(generated_steps(300, 0x5eed))
        .collect();
    let mut writes = 0;
    for (i, step) in steps.iter().enumerate() {
        let req = match step {
            Step::Req(r) => r.clone(),
            Step::With(f) => f(&mem),
        };
        let want = mem.execute(&req);
        let new_events = mem.take_events();
        let got = t.run(req.clone());
        assert_eq!(got, want, "step {i}: {req:?}");
        if !new_events.is_empty() {
            writes += 1;
            expected_events.extend(new_events);
            // The contract: a write's events are reported no later than its answer.
            let rev = revision_of(&got).expect("a write answers a transaction");
            assert!(
                t.events.last().is_some_and(|e| e.kv.mod_revision >= rev),
                "step {i}: the answer at revision {rev} came before its watch events"
            );
        }
    }
    assert!(writes > 50, "the sequence writes ({writes} writes)");
    assert_eq!(
        normalised(t.events.clone()),
        normalised(expected_events),
        "the live watch reported what the reference store recorded"
    );
    assert!(t.compacted.is_empty());

    // A watch restarted from a past revision (after the compaction point) catches up from
    // history.
    let from = mem.revision() - 20;
    t.events.clear();
    t.watch(ALL, b"/registry/", from);
    let want = mem.events_after(from).expect("history kept");
    let last = mem.revision();
    t.wait_until("the catch-up events", |t| {
        t.events.last().is_some_and(|e| e.kv.mod_revision >= last)
    });
    assert_eq!(normalised(t.events.clone()), normalised(want));

    // Events at the watch's own revision or below are not repeated; a write after the
    // catch-up comes live.
    let r = t.run(create("configmaps/late/z", "z"));
    let want = mem.execute(&create("configmaps/late/z", "z"));
    assert_eq!(r, want);
    let ev = mem.take_events();
    assert_eq!(t.events.last(), ev.last(), "the live event follows the catch-up");

    // A watch from before the compaction point fails as compacted.
    t.watch(ALL, b"/registry/", 1);
    t.wait_until("the compacted watch", |t| t.compacted == [ALL]);
}

// ---------------------------------------------------------------------------------------------
// The storage contract suite
// ---------------------------------------------------------------------------------------------

/// etcd, through the storage thread, as a [`contract::Backend`]. Sequences share one etcd, so
/// each begins by deleting every key and compacting at the revision that leaves.
struct EtcdBackend<'a> {
    etcd: &'a Etcd,
    thread: Thread,
}

impl<'a> EtcdBackend<'a> {
    fn new(etcd: &'a Etcd) -> EtcdBackend<'a> {
        EtcdBackend {
            etcd,
            thread: EtcdBackend::spawn(etcd),
        }
    }

    fn spawn(etcd: &Etcd) -> Thread {
        Thread::spawn(etcd.options())
    }

    /// The current revision, read through the thread.
    fn revision(&mut self) -> i64 {
        match self.thread.run(contract::everything()) {
            Ok(StorageResponse::Range { revision, .. }) => revision,
            other => panic!("reading the revision: {other:?}"),
        }
    }

    /// Points the live watch at the writes after `revision`, forgetting what was reported.
    fn watch_from(&mut self, revision: i64) {
        self.thread.events.clear();
        self.thread.compacted.clear();
        // The suite's keys all start with `/`.
        self.thread.watch(ALL, b"/", revision);
    }
}

impl contract::Backend for EtcdBackend<'_> {
    fn begin(&mut self) -> i64 {
        let t = &mut self.thread;
        let keys: Vec<Vec<u8>> = match t.run(contract::everything()) {
            Ok(StorageResponse::Range { kvs, .. }) => kvs.into_iter().map(|kv| kv.key).collect(),
            other => panic!("listing etcd: {other:?}"),
        };
        // A marker write first, so the wipe always moves the revision past any compaction
        // an earlier sequence left.
        let pad = b"/pad".to_vec();
        t.run(StorageRequest::Txn {
            compare: vec![],
            success: vec![contract::put(pad.clone(), Vec::new())],
            failure: vec![],
        })
        .expect("writing the marker");
        let mut success: Vec<TxnOp> = keys
            .into_iter()
            .filter(|k| *k != pad)
            .map(|key| TxnOp::Delete { key })
            .collect();
        success.push(TxnOp::Delete { key: pad });
        let start = match t.run(StorageRequest::Txn {
            compare: vec![],
            success,
            failure: vec![],
        }) {
            Ok(StorageResponse::Txn { revision, .. }) => revision,
            other => panic!("wiping etcd: {other:?}"),
        };
        t.run(StorageRequest::Compact { revision: start })
            .expect("compacting etcd");
        self.watch_from(start);
        start
    }

    fn execute(&mut self, req: &StorageRequest) -> Result<StorageResponse, StorageError> {
        self.thread.run(req.clone())
    }

    fn take_events(&mut self) -> Vec<StorageEvent> {
        std::mem::take(&mut self.thread.events)
    }

    fn events_after(
        &mut self,
        after: i64,
        want: &Result<Vec<StorageEvent>, StorageError>,
    ) -> Result<Vec<StorageEvent>, StorageError> {
        self.watch_from(after);
        // etcd 3.4 answers a progress request at once, even while a new watch is still
        // catching up, so the thread's hold does not mark the end of a catch-up: wait for the
        // last event the reference reports (or the compaction) first, then read once more so
        // that anything extra the watch reports before that answer is seen too.
        let through = match want {
            Ok(evs) => evs.iter().map(|e| e.kv.mod_revision).max(),
            Err(_) => None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = &self.thread;
            let done = !t.compacted.is_empty()
                || match (want, through) {
                    (Err(_), _) => false,
                    (Ok(_), None) => true,
                    (Ok(_), Some(r)) => t.events.last().is_some_and(|e| e.kv.mod_revision >= r),
                };
            if done || Instant::now() >= deadline {
                break;
            }
            if let Ok(r) = self.thread.rx.recv_timeout(Duration::from_millis(50)) {
                let _ = self.thread.take(r);
            }
        }
        let now = self.revision();
        let result = if !self.thread.compacted.is_empty() {
            Err(StorageError::Compacted { compact_revision: 0 })
        } else {
            Ok(std::mem::take(&mut self.thread.events))
        };
        self.watch_from(now);
        result
    }

    fn checkpoint(&mut self) {}

    fn restart(&mut self) -> Option<i64> {
        self.thread = EtcdBackend::spawn(self.etcd);
        let now = self.revision();
        self.watch_from(now);
        // etcd keeps its history across a reconnect.
        None
    }
}

#[test]
fn etcd_meets_the_storage_contract() {
    let etcd = Etcd::start();
    let backend = RefCell::new(EtcdBackend::new(&etcd));
    for ops in contract::fixed_sequences() {
        if let Err(e) = contract::run_sequence(&mut *backend.borrow_mut(), &ops) {
            panic!("{ops:?}: {e}");
        }
    }
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let sequences = proptest::collection::vec(contract::op(), 1..60);
    if let Err(e) = runner.run(&sequences, |ops| {
        contract::run_sequence(&mut *backend.borrow_mut(), &ops)
    }) {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Failover, unavailability, TLS, compaction coordination
// ---------------------------------------------------------------------------------------------

fn list_all() -> StorageRequest {
    prefix_range("", 0, 0)
}

#[test]
fn fails_over_from_a_closed_port_to_the_next_endpoint() {
    let etcd = Etcd::start();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let flags = Flags::parse_from([
        "gatehouse".to_string(),
        format!("--etcd-servers={closed},{}", etcd.url),
        "--etcd-compaction-interval=0".to_string(),
    ]);
    assert_eq!(flags.backend(), "etcd3");
    let mut t = Thread::spawn(EtcdOptions::from_flags(&flags).expect("options"));
    let r = t.run(create("configmaps/f/one", "1"));
    assert!(
        matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
        "{r:?}"
    );
    let r = t.run(list_all());
    assert!(matches!(&r, Ok(StorageResponse::Range { count: 1, .. })), "{r:?}");
}

#[test]
fn writes_with_a_ttl_are_attached_to_a_shared_lease() {
    let etcd = Etcd::start();
    let mut t = Thread::spawn(etcd.options());
    let with_ttl = |key: &str| StorageRequest::Txn {
        compare: vec![],
        success: vec![TxnOp::Put {
            key: k(key),
            value: b"{}".to_vec(),
            ttl_secs: Some(3600),
        }],
        failure: vec![],
    };
    for key in ["events/ns/a", "events/ns/b"] {
        let r = t.run(with_ttl(key));
        assert!(
            matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
            "{r:?}"
        );
    }
    let r = t.run(create("configmaps/ns/plain", "{}"));
    assert!(
        matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
        "{r:?}"
    );
    let lease_of = |key: &str| -> String {
        let out = etcd.etcdctl(&["get", "-w", "json", &format!("/registry/{key}")]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("etcdctl json");
        v["kvs"][0]["lease"].to_string()
    };
    let a = lease_of("events/ns/a");
    assert!(a != "null" && a != "0", "the Event carries a lease: {a}");
    assert_eq!(
        a,
        lease_of("events/ns/b"),
        "writes within the reuse window share one lease"
    );
    assert_eq!(lease_of("configmaps/ns/plain"), "null", "no lease without a TTL");
    let leases = etcd.etcdctl(&["lease", "list"]);
    assert!(
        String::from_utf8_lossy(&leases.stdout).contains("found 1 leases"),
        "{leases:?}"
    );
}

#[test]
fn no_reachable_endpoint_is_unavailable_quickly() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut o = EtcdOptions::new(&[closed]).expect("options");
    o.compaction_interval = Duration::ZERO;
    let mut t = Thread::spawn(o);
    let start = Instant::now();
    let r = t.run(list_all());
    assert!(matches!(r, Err(StorageError::Unavailable(_))), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    let r = t.run(create("configmaps/u/one", "1"));
    assert!(matches!(r, Err(StorageError::Unavailable(_))), "{r:?}");
}

#[test]
fn speaks_tls_with_client_certificates() {
    let etcd = Etcd::start_with(true);
    let mut t = Thread::spawn(etcd.options());
    t.watch(ALL, b"/registry/", 1);
    let r = t.run(create("configmaps/tls/one", r#"{"tls":true}"#));
    assert!(
        matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
        "{r:?}"
    );
    assert_eq!(t.events.len(), 1, "the event came before the answer");
    let out = etcd.etcdctl(&["get", "--print-value-only", "/registry/configmaps/tls/one"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"{"tls":true}"#);
    // Without the client certificate etcd refuses the connection.
    let f = etcd.tls.as_ref().expect("TLS files");
    let mut o = EtcdOptions::new(std::slice::from_ref(&etcd.url))
        .and_then(|o| o.with_tls(&f.ca, None, None))
        .expect("options");
    o.compaction_interval = Duration::ZERO;
    let mut anon = Thread::spawn(o);
    let r = anon.run(list_all());
    assert!(matches!(r, Err(StorageError::Unavailable(_))), "{r:?}");
}

/// Runs `f` with a client on a fresh single-threaded executor.
fn with_client<T>(opts: &EtcdOptions, f: impl AsyncFnOnce(etcd::Client) -> T) -> T {
    let ex = Rc::new(async_executor::LocalExecutor::new());
    let client = etcd::Client::new(&ex, opts.client.clone());
    async_io::block_on(ex.run(f(client)))
}

#[test]
fn replicas_compact_once_per_round_through_compact_rev_key() {
    let etcd = Etcd::start();
    let opts = etcd.options();
    let mut t = Thread::spawn(opts.clone());
    for i in 0..5 {
        let r = t.run(create(&format!("configmaps/c/{i}"), "v"));
        assert!(
            matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
            "{r:?}"
        );
    }
    with_client(&opts, async |c| {
        let round = etcd::backend::compact_round;
        // Round one: replica A writes the key (version 0 → 1) and records the revision;
        // replica B finds the version moved and adopts it. Nobody compacts yet.
        let (va, ra) = round(&c, 0, 0).await.expect("A, round one");
        let (vb, rb) = round(&c, 0, 0).await.expect("B, round one");
        assert_eq!((va, vb), (1, 1));
        assert_eq!(ra, 7, "five creates and the key's write");
        assert_eq!(rb, 7);
        // Round two: A wins again and compacts to the revision it saw a round ago; B loses.
        let (va, _) = round(&c, va, ra).await.expect("A, round two");
        assert_eq!(va, 2);
        assert_eq!(c.known_compact_revision(), ra);
        let (vb, _) = round(&c, vb, rb).await.expect("B, round two");
        assert_eq!(vb, 2, "B adopts the version A wrote");
    });
    let r = t.run(prefix_range("", 6, 0));
    assert!(matches!(r, Err(StorageError::Compacted { .. })), "{r:?}");
    let out = etcd.etcdctl(&["get", "--print-value-only", "compact_rev_key"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "7");
}

#[test]
fn survives_an_etcd_restart_and_resumes_the_watch() {
    let mut etcd = Etcd::start();
    let mut t = Thread::spawn(etcd.options());
    t.watch(ALL, b"/registry/", 1);
    let r = t.run(create("configmaps/r/before", "1"));
    assert!(
        matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
        "{r:?}"
    );
    etcd.kill();
    let r = t.run(list_all());
    assert!(
        matches!(r, Err(StorageError::Unavailable(_)) | Err(StorageError::Timeout)),
        "{r:?}"
    );
    etcd.restart();
    // A write made while Gatehouse is not looking arrives through the resumed watch.
    let out = etcd.etcdctl(&["put", "/registry/configmaps/r/behind", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let r = t.run(create("configmaps/r/after", "3"));
        if r.is_ok() || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        matches!(
            r,
            Ok(StorageResponse::Txn {
                succeeded: true,
                revision: 4,
                ..
            })
        ),
        "{r:?}"
    );
    let keys: Vec<String> = t
        .events
        .iter()
        .map(|e| String::from_utf8_lossy(&e.kv.key).into_owned())
        .collect();
    assert_eq!(
        keys,
        [
            "/registry/configmaps/r/before",
            "/registry/configmaps/r/behind",
            "/registry/configmaps/r/after"
        ],
        "every event once, in order, the last before its answer"
    );
}

#[test]
fn reads_after_writes_outside_the_prefix_do_not_wait_for_the_hold_limit() {
    let etcd = Etcd::start();
    let mut t = Thread::spawn(etcd.options());
    t.watch(ALL, b"/registry/", 1);
    for i in 0..3 {
        let out = etcd.etcdctl(&["put", &format!("/elsewhere/{i}"), "x"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let start = Instant::now();
        let r = t.run(list_all());
        assert!(
            matches!(r, Ok(StorageResponse::Range { revision, .. }) if revision == i + 2),
            "{r:?}"
        );
        // The answer's revision has no event under the prefix: a progress notification
        // releases it, well before the hold limit.
        assert!(
            start.elapsed() < etcd::HOLD_LIMIT / 2,
            "the read waited {:?}",
            start.elapsed()
        );
    }
    assert!(t.events.is_empty());
}

#[test]
fn each_watch_reports_its_own_keys_and_its_own_compaction() {
    let etcd = Etcd::start();
    let mut t = Thread::spawn(etcd.options());
    let (maps, secrets) = (WatchId(1), WatchId(2));
    t.watch(maps, b"/registry/configmaps/", 1);
    t.watch(secrets, b"/registry/secrets/", 1);
    let ok = |r: &Result<StorageResponse, StorageError>| {
        assert!(
            matches!(r, Ok(StorageResponse::Txn { succeeded: true, .. })),
            "{r:?}"
        );
    };
    let keys = |evs: &[StorageEvent]| -> Vec<String> {
        evs.iter()
            .map(|e| String::from_utf8_lossy(&e.kv.key).into_owned())
            .collect()
    };

    // A write's event arrives on the watch covering its key, before its answer, and on no
    // other watch.
    ok(&t.run(create("configmaps/ns/a", "1")));
    assert_eq!(keys(t.events_of(maps)), ["/registry/configmaps/ns/a"]);
    assert!(t.events_of(secrets).is_empty());
    ok(&t.run(create("secrets/ns/b", "2")));
    assert_eq!(keys(t.events_of(secrets)), ["/registry/secrets/ns/b"]);
    assert_eq!(t.events_of(maps).len(), 1);
    // A write neither watch covers, and a read after it, are answered without waiting out
    // the hold limit: both watches' progress notifications release them.
    let start = Instant::now();
    ok(&t.run(create("pods/ns/c", "3")));
    let r = t.run(list_all());
    assert!(matches!(r, Ok(StorageResponse::Range { count: 3, .. })), "{r:?}");
    assert!(
        start.elapsed() < etcd::HOLD_LIMIT / 2,
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(t.events.len(), 2, "nothing watched the pod");

    // History goes; the configmaps watch restarted from before it is compacted, alone.
    let revision = match t.run(list_all()) {
        Ok(StorageResponse::Range { revision, .. }) => revision,
        other => panic!("{other:?}"),
    };
    t.run(StorageRequest::Compact { revision }).expect("compacting");
    t.watch(maps, b"/registry/configmaps/", 1);
    t.wait_until("the compacted watch", |t| !t.compacted.is_empty());
    assert_eq!(t.compacted, [maps]);
    // The secrets watch goes on; a configmap written while its watch is down is answered
    // (its watch is not waited for).
    let start = Instant::now();
    ok(&t.run(create("secrets/ns/d", "4")));
    assert_eq!(
        keys(t.events_of(secrets)),
        ["/registry/secrets/ns/b", "/registry/secrets/ns/d"]
    );
    ok(&t.run(create("configmaps/ns/e", "5")));
    assert!(
        start.elapsed() < etcd::HOLD_LIMIT / 2,
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(t.events_of(maps).len(), 1);
    // Re-listed, the configmaps watch starts again from the list's revision.
    let listed = match t.run(prefix_range("configmaps/", 0, 0)) {
        Ok(StorageResponse::Range {
            revision, count: 2, ..
        }) => revision,
        other => panic!("{other:?}"),
    };
    t.watch(maps, b"/registry/configmaps/", listed);
    ok(&t.run(create("configmaps/ns/f", "6")));
    assert_eq!(
        keys(t.events_of(maps)),
        ["/registry/configmaps/ns/a", "/registry/configmaps/ns/f"]
    );
    assert_eq!(t.compacted, [maps], "reported once");
    // The backend never claims progress (etcd 3.4's notifications cannot prove it).
    assert_eq!(t.progress, None);
}

// ---------------------------------------------------------------------------------------------
// Gatehouse end to end
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Runtime {
    Tokio,
    Smol,
}

/// A Gatehouse on a thread of its own; stopped when dropped.
struct Gatehouse {
    kubeconfig: PathBuf,
    stop: Option<async_channel::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: TempDir,
}

impl Gatehouse {
    fn start(runtime: Runtime, etcd_servers: &str) -> Gatehouse {
        let dir = TempDir::new("gatehouse");
        let flags = Flags::parse_from([
            "gatehouse".to_string(),
            "--secure-port=0".to_string(),
            "--bind-address=127.0.0.1".to_string(),
            format!("--data-dir={}", dir.path().display()),
            "--storage-backend=etcd3".to_string(),
            format!("--etcd-servers={etcd_servers}"),
        ]);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(SocketAddr, Option<PathBuf>), String>>();
        let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
        let thread = std::thread::spawn(move || match runtime {
            Runtime::Tokio => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async move {
                    match gatehouse_tokio::start(flags).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok((running.addr, running.kubeconfig.clone())));
                            let _ = stop_rx.recv().await;
                            running.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                        }
                    }
                });
            }
            Runtime::Smol => {
                let ex = Arc::new(smol::Executor::new());
                let ex2 = ex.clone();
                smol::block_on(ex.run(async move {
                    match gatehouse_smol::start(ex2, flags).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok((running.addr, running.kubeconfig.clone())));
                            let _ = stop_rx.recv().await;
                            running.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                        }
                    }
                }));
            }
        });
        let (_addr, kubeconfig) = match ready_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => panic!("Gatehouse ({runtime:?}) did not start: {e}"),
            Err(e) => panic!("Gatehouse ({runtime:?}) did not start: {e}"),
        };
        Gatehouse {
            kubeconfig: kubeconfig.expect("an admin kubeconfig"),
            stop: Some(stop_tx),
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn kubectl(&self, args: &[&str]) -> (bool, String, String) {
        kubectl(&self.kubeconfig, args)
    }
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs kubectl with `kubeconfig`, bounded by a minute.
fn kubectl(kubeconfig: &Path, args: &[&str]) -> (bool, String, String) {
    assert!(
        packages::on_path("kubectl"),
        "kubectl is not on PATH: the etcd tests run it"
    );
    let mut child = Command::new("kubectl")
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg("--request-timeout=30s")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running kubectl");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for kubectl") {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (o, e) = (o.join().unwrap_or_default(), e.join().unwrap_or_default());
    (status.is_some_and(|s| s.success()), o, e)
}

/// A `kubectl get -w` running in the background, its output collected into a file.
struct Background {
    child: Child,
    out: PathBuf,
}

impl Background {
    fn start(kubeconfig: &Path, dir: &Path, args: &[&str]) -> Background {
        let out = dir.join(format!("watch-{}.out", NEXT.fetch_add(1, Ordering::Relaxed)));
        let file = fs::File::create(&out).expect("watch output");
        let child = Command::new("kubectl")
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("file"))
            .stderr(file)
            .spawn()
            .expect("running kubectl");
        Background { child, out }
    }

    fn wait_for(&self, needle: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let s = fs::read_to_string(&self.out).unwrap_or_default();
            if s.contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let s = fs::read_to_string(&self.out).unwrap_or_default();
        panic!("the watch never showed {needle:?}; its output:\n{s}");
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_on_etcd(runtime: Runtime) {
    let etcd = Etcd::start();
    let scratch = TempDir::new("scratch");
    {
        let g = Gatehouse::start(runtime, &etcd.url);
        let (ok, out, err) = g.kubectl(&["create", "configmap", "on-etcd", "--from-literal=answer=42"]);
        assert!(ok, "kubectl create: {out}{err}");
        let out = etcd.etcdctl(&["get", "--prefix", "/registry/configmaps/"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("/registry/configmaps/default/on-etcd"),
            "etcdctl get --prefix /registry/configmaps/ shows the configmap:\n{text}"
        );
        assert!(
            text.contains(r#""answer":"42""#),
            "the value is the object's JSON:\n{text}"
        );
        let (ok, out, err) = g.kubectl(&["get", "namespaces", "-o", "name"]);
        assert!(ok && out.contains("namespace/kube-system"), "{out}{err}");
    }
    // A Gatehouse with a fresh data folder: everything it serves comes from etcd.
    let g = Gatehouse::start(runtime, &etcd.url);
    let (ok, out, err) = g.kubectl(&["get", "configmap", "on-etcd", "-o", "jsonpath={.data.answer}"]);
    assert!(ok, "kubectl get after the restart: {out}{err}");
    assert_eq!(out.trim(), "42");
    let watch = Background::start(
        &g.kubeconfig,
        scratch.path(),
        &["get", "configmaps", "--watch", "-o", "name"],
    );
    watch.wait_for("configmap/on-etcd");
    let (ok, out, err) = g.kubectl(&["create", "configmap", "seen-by-watch", "--from-literal=a=b"]);
    assert!(ok, "kubectl create: {out}{err}");
    watch.wait_for("configmap/seen-by-watch");
    // A write made behind Gatehouse's back (by another replica, say) reaches it through the
    // watch.
    let object = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-etcdctl","namespace":"default","uid":"0b5a3f0e-8d0c-4f43-9d7e-3a1f6c1d2e01","creationTimestamp":"2024-01-01T00:00:00Z"},"data":{"x":"y"}}"#;
    let out = etcd.etcdctl(&["put", "/registry/configmaps/default/from-etcdctl", object]);
    assert!(
        out.status.success(),
        "etcdctl put: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    watch.wait_for("configmap/from-etcdctl");
    let (ok, out, err) = g.kubectl(&["get", "configmap", "from-etcdctl", "-o", "jsonpath={.data.x}"]);
    assert!(ok && out.trim() == "y", "{out}{err}");
    let (ok, out, err) = g.kubectl(&["delete", "configmap", "on-etcd"]);
    assert!(ok, "kubectl delete: {out}{err}");
    let out = etcd.etcdctl(&["get", "--prefix", "--keys-only", "/registry/configmaps/default/"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("on-etcd") && text.contains("seen-by-watch"),
        "{text}"
    );
}

#[test]
fn gatehouse_tokio_serves_from_etcd() {
    serve_on_etcd(Runtime::Tokio);
}

#[test]
fn gatehouse_smol_serves_from_etcd() {
    serve_on_etcd(Runtime::Smol);
}
