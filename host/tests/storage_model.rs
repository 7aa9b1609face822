//! Model test of the embedded store: random operation sequences run against a plain
//! [`MemStore`] (the reference) and against the embedded durable store (a `MemStore` from
//! [`Durable::open`] whose write-ahead log is appended after every operation, and which is
//! checkpointed and restarted now and then). Every answer, error and watch event must be the
//! same, and so must the live state at the end.
//!
//! The one designed difference is history across a restart. A restart restores the snapshot,
//! which keeps only the live keys at its revision, and replays the log written since, which
//! keeps every revision after it. So after a restart the embedded store is compacted at the
//! revision of the snapshot it found on disk (if any), and history after that revision is
//! still there. The model compacts the reference at that revision on every restart; reads and
//! watches from before it are then `Compacted` errors on both sides. Opening a store with a
//! non-empty log writes a fresh snapshot at the replayed revision, so the next restart without
//! writes in between compacts everything before the restart.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use gatehouse_core::storage::{
    prefix_end, Compare, MemStore, StorageEvent, StorageRequest, StorageResponse, TxnOp,
};
use gatehouse_host::store::Durable;
use proptest::prelude::*;

/// Keys chosen so that prefixes overlap (`/r/b`, `/r/b/c`, `/r/ba`) and one sorts last.
const KEYS: &[&[u8]] = &[b"/r/a", b"/r/b", b"/r/b/c", b"/r/ba", b"/s/x", b"/s/\xff"];

/// Prefixes for prefix reads; `""` covers every key.
const PREFIXES: &[&[u8]] = &[b"/r/", b"/r/b", b"/s/", b"/", b"", b"/t/"];

fn key(i: usize) -> Vec<u8> {
    KEYS[i % KEYS.len()].to_vec()
}

/// A revision relative to the store's current one, so generated reads and compactions land
/// near the interesting range whatever came before.
#[derive(Clone, Copy, Debug)]
enum Rev {
    /// 0: the latest revision.
    Latest,
    /// The current revision minus this much (may reach 0 or below).
    Back(i64),
    /// One past the current revision.
    Future,
}

impl Rev {
    fn resolve(self, current: i64) -> i64 {
        match self {
            Rev::Latest => 0,
            Rev::Back(n) => current - n,
            Rev::Future => current + 1,
        }
    }
}

/// One operation of a sequence.
#[derive(Clone, Debug)]
enum Op {
    /// Create: put guarded by `CreateRevision == 0`, reading the key back on failure.
    Create { key: usize, value: Vec<u8> },
    /// Update guarded by the key's current modify revision (or a stale one when `stale`).
    UpdateChecked { key: usize, value: Vec<u8>, stale: bool },
    /// Unconditional update.
    Update { key: usize, value: Vec<u8> },
    /// Delete, guarded by the current modify revision when `checked`.
    Delete { key: usize, checked: bool },
    /// A transaction of several puts and deletes (no put of a key after its delete in the
    /// same transaction: see `delete_then_put_in_one_txn_survives_replay`).
    Multi { ops: Vec<(bool, usize, Vec<u8>)> },
    /// Read one key.
    Get { key: usize, rev: Rev },
    /// Read a prefix, with a limit (0: none).
    List { prefix: usize, rev: Rev, limit: i64 },
    /// Read `[key, "\0")`: every key from `key` on.
    ListFrom { key: usize, rev: Rev, limit: i64 },
    /// Compact at a revision.
    Compact { rev: Rev },
    /// Resume a watch after a revision.
    Watch { rev: Rev },
    /// Fold the embedded store's log into a snapshot (the reference does nothing).
    Checkpoint,
    /// Drop the embedded store and open it again.
    Restart,
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..6)
}

fn rev() -> impl Strategy<Value = Rev> {
    prop_oneof![
        3 => Just(Rev::Latest),
        6 => (0i64..8).prop_map(Rev::Back),
        1 => Just(Rev::Future),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS.len();
    prop_oneof![
        8 => (k.clone(), value()).prop_map(|(key, value)| Op::Create { key, value }),
        5 => (k.clone(), value(), prop::bool::weighted(0.3))
            .prop_map(|(key, value, stale)| Op::UpdateChecked { key, value, stale }),
        3 => (k.clone(), value()).prop_map(|(key, value)| Op::Update { key, value }),
        4 => (k.clone(), any::<bool>()).prop_map(|(key, checked)| Op::Delete { key, checked }),
        2 => prop::collection::vec((any::<bool>(), k.clone(), value()), 1..5).prop_map(|ops| Op::Multi { ops }),
        4 => (k.clone(), rev()).prop_map(|(key, rev)| Op::Get { key, rev }),
        4 => (0..PREFIXES.len(), rev(), 0i64..4).prop_map(|(prefix, rev, limit)| Op::List { prefix, rev, limit }),
        2 => (k, rev(), 0i64..3).prop_map(|(key, rev, limit)| Op::ListFrom { key, rev, limit }),
        2 => rev().prop_map(|rev| Op::Compact { rev }),
        3 => rev().prop_map(|rev| Op::Watch { rev }),
        1 => Just(Op::Checkpoint),
        2 => Just(Op::Restart),
    ]
}

fn put(key: Vec<u8>, value: Vec<u8>) -> TxnOp {
    TxnOp::Put {
        key,
        value,
        ttl_secs: None,
    }
}

fn mod_revision(s: &mut MemStore, key: &[u8]) -> i64 {
    let req = StorageRequest::Range {
        key: key.to_vec(),
        range_end: Vec::new(),
        revision: 0,
        limit: 0,
    };
    match s.execute(&req) {
        Ok(StorageResponse::Range { kvs, .. }) => kvs.first().map_or(0, |kv| kv.mod_revision),
        other => panic!("reading {key:?} failed: {other:?}"),
    }
}

/// The request an operation sends, decided from the reference store's state (both stores
/// hold the same state when it is called, or the test has already failed).
fn request(op: &Op, reference: &mut MemStore) -> Option<StorageRequest> {
    let current = reference.revision();
    Some(match op {
        Op::Create { key: k, value } => StorageRequest::Txn {
            compare: vec![Compare::CreateRevision(key(*k), 0)],
            success: vec![put(key(*k), value.clone())],
            failure: vec![TxnOp::Get { key: key(*k) }],
        },
        Op::UpdateChecked { key: k, value, stale } => {
            let mut expected = mod_revision(reference, &key(*k));
            if *stale {
                expected -= 1;
            }
            StorageRequest::Txn {
                compare: vec![Compare::ModRevision(key(*k), expected)],
                success: vec![put(key(*k), value.clone())],
                failure: vec![TxnOp::Get { key: key(*k) }],
            }
        }
        Op::Update { key: k, value } => StorageRequest::Txn {
            compare: vec![],
            success: vec![put(key(*k), value.clone()), TxnOp::Get { key: key(*k) }],
            failure: vec![],
        },
        Op::Delete { key: k, checked } => {
            let compare = if *checked {
                vec![Compare::ModRevision(key(*k), mod_revision(reference, &key(*k)))]
            } else {
                vec![]
            };
            StorageRequest::Txn {
                compare,
                success: vec![TxnOp::Delete { key: key(*k) }],
                failure: vec![TxnOp::Get { key: key(*k) }],
            }
        }
        Op::Multi { ops } => StorageRequest::Txn {
            compare: vec![],
            success: ops
                .iter()
                .map(|(is_put, k, value)| {
                    if *is_put {
                        put(key(*k), value.clone())
                    } else {
                        TxnOp::Delete { key: key(*k) }
                    }
                })
                .collect(),
            failure: vec![],
        },
        Op::Get { key: k, rev } => StorageRequest::Range {
            key: key(*k),
            range_end: Vec::new(),
            revision: rev.resolve(current),
            limit: 0,
        },
        Op::List { prefix, rev, limit } => {
            let p = PREFIXES[*prefix].to_vec();
            StorageRequest::Range {
                range_end: prefix_end(&p),
                key: p,
                revision: rev.resolve(current),
                limit: *limit,
            }
        }
        Op::ListFrom { key: k, rev, limit } => StorageRequest::Range {
            key: key(*k),
            range_end: vec![0],
            revision: rev.resolve(current),
            limit: *limit,
        },
        Op::Compact { rev } => StorageRequest::Compact {
            revision: rev.resolve(current),
        },
        Op::Watch { .. } | Op::Checkpoint | Op::Restart => return None,
    })
}

/// A unique scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("gatehouse-storage-model-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The embedded store under test, and what its directory holds.
struct Embedded {
    durable: Option<Durable>,
    store: MemStore,
    /// The revision of the snapshot on disk, if one was written.
    snapshot_rev: Option<i64>,
    /// Whether the log holds records not folded into the snapshot.
    log_dirty: bool,
}

impl Embedded {
    fn open(dir: &Path) -> Embedded {
        let (durable, store) = Durable::open(dir).expect("open the embedded store");
        Embedded {
            durable: Some(durable),
            store,
            snapshot_rev: None,
            log_dirty: false,
        }
    }

    fn sync(&mut self) {
        let records = self.store.take_wal();
        if !records.is_empty() {
            self.log_dirty = true;
        }
        self.durable
            .as_mut()
            .expect("store is open")
            .append(&records)
            .expect("append to the write-ahead log");
    }

    fn checkpoint(&mut self) {
        self.durable
            .as_mut()
            .expect("store is open")
            .checkpoint(&self.store)
            .expect("checkpoint");
        self.snapshot_rev = Some(self.store.revision());
        self.log_dirty = false;
    }

    /// Restarts the store and returns the revision history is compacted at, if any.
    fn restart(&mut self, dir: &Path) -> Option<i64> {
        let restored_from = self.snapshot_rev;
        // Close the log before opening it again, as a process restart would.
        self.durable = None;
        let (durable, store) = Durable::open(dir).expect("reopen the embedded store");
        self.durable = Some(durable);
        self.store = store;
        if self.log_dirty {
            // Opening folded the log into a new snapshot.
            self.snapshot_rev = Some(self.store.revision());
            self.log_dirty = false;
        }
        restored_from
    }
}

fn run_sequence(ops: &[Op]) -> Result<(), TestCaseError> {
    let scratch = Scratch::new();
    let mut reference = MemStore::new();
    let mut embedded = Embedded::open(scratch.path());
    prop_assert_eq!(embedded.store.revision(), reference.revision());

    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Watch { rev } => {
                let after = rev.resolve(reference.revision());
                let want = reference.events_after(after);
                let got = embedded.store.events_after(after);
                prop_assert_eq!(got, want, "op {}: {:?} (after {})", i, op, after);
            }
            Op::Checkpoint => embedded.checkpoint(),
            Op::Restart => {
                if let Some(at) = embedded.restart(scratch.path()) {
                    if reference.compact_revision() < at {
                        reference
                            .execute(&StorageRequest::Compact { revision: at })
                            .expect("compact the reference at the snapshot's revision");
                        reference.take_wal();
                    }
                }
                prop_assert_eq!(
                    embedded.store.revision(),
                    reference.revision(),
                    "op {}: restart",
                    i
                );
                prop_assert_eq!(
                    embedded.store.compact_revision(),
                    reference.compact_revision(),
                    "op {}: restart",
                    i
                );
            }
            _ => {
                let req = request(op, &mut reference).expect("a storage request");
                let want = reference.execute(&req);
                let got = embedded.store.execute(&req);
                prop_assert_eq!(&got, &want, "op {}: {:?} as {:?}", i, op, req);
                reference.take_wal();
                embedded.sync();
                let want_events: Vec<StorageEvent> = reference.take_events();
                let got_events = embedded.store.take_events();
                prop_assert_eq!(got_events, want_events, "op {}: events of {:?}", i, op);
            }
        }
        prop_assert_eq!(
            embedded.store.revision(),
            reference.revision(),
            "op {}: {:?}",
            i,
            op
        );
    }

    // The end state, and once more after a final restart: nothing acknowledged is lost.
    prop_assert_eq!(embedded.store.live(), reference.live());
    embedded.restart(scratch.path());
    prop_assert_eq!(embedded.store.live(), reference.live(), "after a final restart");
    prop_assert_eq!(
        embedded.store.revision(),
        reference.revision(),
        "after a final restart"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn embedded_store_answers_like_the_reference(ops in prop::collection::vec(op(), 1..60)) {
        run_sequence(&ops)?;
    }
}

/// A few fixed sequences that must hold whatever the generator draws.
#[test]
fn fixed_sequences() {
    use Op::*;
    let v = |s: &str| s.as_bytes().to_vec();
    let cases: Vec<Vec<Op>> = vec![
        // Restart of a store that never wrote anything: it starts fresh, as the reference.
        vec![Restart, Compact { rev: Rev::Back(0) }, Restart],
        // A checkpoint of an empty store leaves a snapshot: history before it is gone.
        vec![Checkpoint, Restart, Compact { rev: Rev::Back(0) }],
        // History replayed from the log survives the first restart; a second restart
        // without writes in between restores only the snapshot.
        vec![
            Create {
                key: 0,
                value: v("1"),
            },
            Update {
                key: 0,
                value: v("2"),
            },
            Restart,
            Get {
                key: 0,
                rev: Rev::Back(1),
            },
            Watch { rev: Rev::Back(2) },
            Restart,
            Get {
                key: 0,
                rev: Rev::Back(1),
            },
            Watch { rev: Rev::Back(2) },
            Watch { rev: Rev::Back(1) },
            Create {
                key: 1,
                value: v("x"),
            },
            Watch { rev: Rev::Back(1) },
        ],
        // A compaction in the log that is older than a later snapshot.
        vec![
            Create {
                key: 0,
                value: v("1"),
            },
            Create {
                key: 1,
                value: v("1"),
            },
            Checkpoint,
            Compact { rev: Rev::Back(1) },
            Update {
                key: 1,
                value: v("2"),
            },
            Restart,
            Get {
                key: 1,
                rev: Rev::Back(1),
            },
            Get {
                key: 1,
                rev: Rev::Back(2),
            },
        ],
        // Deletes and re-creates across restarts keep create revisions and versions.
        vec![
            Create {
                key: 2,
                value: v("a"),
            },
            Delete {
                key: 2,
                checked: true,
            },
            Create {
                key: 2,
                value: v("b"),
            },
            UpdateChecked {
                key: 2,
                value: v("c"),
                stale: false,
            },
            Restart,
            UpdateChecked {
                key: 2,
                value: v("d"),
                stale: true,
            },
            List {
                prefix: 0,
                rev: Rev::Latest,
                limit: 1,
            },
            Restart,
        ],
    ];
    for ops in cases {
        if let Err(e) = run_sequence(&ops) {
            panic!("{ops:?}: {e}");
        }
    }
}

/// The designed behaviour the model encodes, spelled out: history after the last snapshot
/// survives a restart, history before it does not.
#[test]
fn restart_keeps_history_since_the_last_snapshot() {
    let scratch = Scratch::new();
    let mut s = Embedded::open(scratch.path());
    for value in ["1", "2", "3"] {
        s.store
            .execute(&StorageRequest::Txn {
                compare: vec![],
                success: vec![put(key(0), value.into())],
                failure: vec![],
            })
            .unwrap();
        s.sync();
    }
    assert_eq!(s.store.revision(), 4);
    let at = |s: &mut Embedded, revision| {
        s.store.execute(&StorageRequest::Range {
            key: key(0),
            range_end: Vec::new(),
            revision,
            limit: 0,
        })
    };
    // No snapshot yet: the whole history is replayed from the log.
    assert_eq!(s.restart(scratch.path()), None);
    assert!(matches!(at(&mut s, 2), Ok(StorageResponse::Range { kvs, .. }) if kvs[0].value == b"1"));
    // That open wrote a snapshot at revision 4: a second restart keeps nothing older.
    assert_eq!(s.restart(scratch.path()), Some(4));
    assert_eq!(
        at(&mut s, 3),
        Err(gatehouse_core::storage::StorageError::Compacted { compact_revision: 4 })
    );
    assert!(matches!(at(&mut s, 4), Ok(StorageResponse::Range { kvs, .. }) if kvs[0].value == b"3"));
    // A watch must start after the compaction point, where nothing can have been dropped.
    assert!(s.store.events_after(3).is_err());
    assert_eq!(s.store.events_after(4).unwrap().len(), 0);
}

/// A transaction that deletes a key and then puts it again leaves the key present, and so
/// does its replay from the write-ahead log after a restart (the log keeps the order of a
/// transaction's writes).
#[test]
fn delete_then_put_in_one_txn_survives_replay() {
    use Op::*;
    let ops = vec![
        Create {
            key: 0,
            value: b"1".to_vec(),
        },
        Multi {
            ops: vec![(false, 0, Vec::new()), (true, 0, b"2".to_vec())],
        },
        Restart,
    ];
    if let Err(e) = run_sequence(&ops) {
        panic!("{e}");
    }
}
