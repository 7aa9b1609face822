//! The storage contract suite: random and fixed operation sequences run against a plain
//! [`MemStore`] (the reference implementation of the contract) and against a store under test
//! through [`Backend`]. Every answer, error and watch event must be the same, and so must the
//! live state at the end and after a final restart.
//!
//! The same suite checks the embedded store (`storage_model.rs`) and a real etcd
//! (`etcd_contract.rs`). What a backend does on `Checkpoint` and `Restart` is its own: the
//! embedded store folds its log into a snapshot and reopens its files; the etcd backend has
//! nothing to fold and reconnects. A restart may compact history (the embedded store keeps
//! only the snapshot's revision and the log after it); the backend says where, and the
//! reference is compacted there too.
//!
//! Watch events of one revision are compared in key order: a transaction's events carry one
//! revision, and etcd reports them in operation order live but in key order from history.

// Each test file includes this module and uses a different part of it.
#![allow(dead_code)]

use gatehouse_core::storage::{
    prefix_end, Compare, MemStore, StorageError, StorageEvent, StorageRequest, StorageResponse, TxnOp,
};
use proptest::prelude::*;

/// Keys chosen so that prefixes overlap (`/r/b`, `/r/b/c`, `/r/ba`) and one sorts last.
pub const KEYS: &[&[u8]] = &[b"/r/a", b"/r/b", b"/r/b/c", b"/r/ba", b"/s/x", b"/s/\xff"];

/// Prefixes for prefix reads; `""` stands for every key.
pub const PREFIXES: &[&[u8]] = &[b"/r/", b"/r/b", b"/s/", b"/", b"", b"/t/"];

pub fn key(i: usize) -> Vec<u8> {
    KEYS[i % KEYS.len()].to_vec()
}

/// A revision relative to the store's current one, so generated reads and compactions land
/// near the interesting range whatever came before.
#[derive(Clone, Copy, Debug)]
pub enum Rev {
    /// 0: the latest revision.
    Latest,
    /// The current revision minus this much (may reach 0 or below).
    Back(i64),
    /// One past the current revision.
    Future,
}

impl Rev {
    pub fn resolve(self, current: i64) -> i64 {
        match self {
            Rev::Latest => 0,
            Rev::Back(n) => current - n,
            Rev::Future => current + 1,
        }
    }
}

/// One operation of a sequence.
#[derive(Clone, Debug)]
pub enum Op {
    /// Create: put guarded by `CreateRevision == 0`, reading the key back on failure.
    Create { key: usize, value: Vec<u8> },
    /// Update guarded by the key's current modify revision (or a stale one when `stale`).
    UpdateChecked { key: usize, value: Vec<u8>, stale: bool },
    /// Unconditional update.
    Update { key: usize, value: Vec<u8> },
    /// Delete, guarded by the current modify revision when `checked`.
    Delete { key: usize, checked: bool },
    /// A transaction of several puts and deletes. The generator writes each key at most once
    /// per transaction: etcd refuses a transaction that names a key twice, and Gatehouse never
    /// sends one.
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

pub fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS.len();
    prop_oneof![
        8 => (k.clone(), value()).prop_map(|(key, value)| Op::Create { key, value }),
        5 => (k.clone(), value(), prop::bool::weighted(0.3))
            .prop_map(|(key, value, stale)| Op::UpdateChecked { key, value, stale }),
        3 => (k.clone(), value()).prop_map(|(key, value)| Op::Update { key, value }),
        4 => (k.clone(), any::<bool>()).prop_map(|(key, checked)| Op::Delete { key, checked }),
        2 => prop::collection::vec((any::<bool>(), k.clone(), value()), 1..5).prop_map(|mut ops| {
            let mut seen = std::collections::BTreeSet::new();
            ops.retain(|(_, k, _)| seen.insert(*k % KEYS.len()));
            Op::Multi { ops }
        }),
        4 => (k.clone(), rev()).prop_map(|(key, rev)| Op::Get { key, rev }),
        4 => (0..PREFIXES.len(), rev(), 0i64..4).prop_map(|(prefix, rev, limit)| Op::List { prefix, rev, limit }),
        2 => (k, rev(), 0i64..3).prop_map(|(key, rev, limit)| Op::ListFrom { key, rev, limit }),
        2 => rev().prop_map(|rev| Op::Compact { rev }),
        3 => rev().prop_map(|rev| Op::Watch { rev }),
        1 => Just(Op::Checkpoint),
        2 => Just(Op::Restart),
    ]
}

pub fn put(key: Vec<u8>, value: Vec<u8>) -> TxnOp {
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
pub fn request(op: &Op, reference: &mut MemStore) -> Option<StorageRequest> {
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
            // Every key is `["\0", "\0")` in etcd's terms (it refuses an empty key).
            let (key, range_end) = if p.is_empty() {
                (vec![0], vec![0])
            } else {
                (p.clone(), prefix_end(&p))
            };
            StorageRequest::Range {
                key,
                range_end,
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

/// A store under test.
pub trait Backend {
    /// Prepares a sequence: the store holds no keys and history up to the returned revision
    /// is compacted (a fresh store answers 1, its first revision).
    fn begin(&mut self) -> i64;
    /// Runs one request.
    fn execute(&mut self, req: &StorageRequest) -> Result<StorageResponse, StorageError>;
    /// Watch events of the writes since the last call, reported no later than their answers.
    fn take_events(&mut self) -> Vec<StorageEvent>;
    /// A watch resumed after `after`: the events up to the current revision, or an error when
    /// history there is compacted. `want` is the reference's answer; a backend that reports
    /// events asynchronously may use it only to know how long to wait for them.
    fn events_after(
        &mut self,
        after: i64,
        want: &Result<Vec<StorageEvent>, StorageError>,
    ) -> Result<Vec<StorageEvent>, StorageError>;
    /// Makes what was written durable in its compact form (if the backend has one).
    fn checkpoint(&mut self);
    /// Restarts; answers the revision history is compacted at afterwards, when a restart
    /// compacts it.
    fn restart(&mut self) -> Option<i64>;
    /// The oldest readable revision, when the backend can tell without a request.
    fn compact_revision(&self) -> Option<i64> {
        None
    }
}

/// A reference store at `revision` with no keys and history before it compacted, as
/// [`Backend::begin`] leaves the store under test. Each padding write puts and deletes one key
/// in one transaction, so it moves the revision by one and leaves nothing behind.
pub fn reference_at(revision: i64) -> MemStore {
    let mut m = MemStore::new();
    let pad = b"/pad".to_vec();
    while m.revision() < revision {
        m.execute(&StorageRequest::Txn {
            compare: vec![],
            success: vec![put(pad.clone(), Vec::new()), TxnOp::Delete { key: pad.clone() }],
            failure: vec![],
        })
        .expect("padding the reference store");
    }
    if m.revision() > 1 {
        m.execute(&StorageRequest::Compact {
            revision: m.revision(),
        })
        .expect("compacting the reference store");
    }
    m.take_events();
    m.take_wal();
    m
}

/// Events in revision order, and in key order within one revision.
pub fn normalised(mut evs: Vec<StorageEvent>) -> Vec<StorageEvent> {
    evs.sort_by(|a, b| (a.kv.mod_revision, &a.kv.key).cmp(&(b.kv.mod_revision, &b.kv.key)));
    evs
}

/// Whether the answer of the store under test is the reference's. The revision inside a
/// `Compacted` or `FutureRevision` error may be 0, meaning "not reported" (see
/// [`StorageError`]); any other difference counts.
pub fn agrees(
    got: &Result<StorageResponse, StorageError>,
    want: &Result<StorageResponse, StorageError>,
) -> bool {
    match (got, want) {
        (Err(StorageError::Compacted { compact_revision: 0 }), Err(StorageError::Compacted { .. }))
        | (
            Err(StorageError::FutureRevision { current_revision: 0 }),
            Err(StorageError::FutureRevision { .. }),
        ) => true,
        _ => got == want,
    }
}

/// Every key, read at the latest revision.
pub fn everything() -> StorageRequest {
    StorageRequest::Range {
        key: vec![0],
        range_end: vec![0],
        revision: 0,
        limit: 0,
    }
}

/// Runs `ops` against `backend` and the reference; the first difference fails the case.
pub fn run_sequence<B: Backend>(backend: &mut B, ops: &[Op]) -> Result<(), TestCaseError> {
    let start = backend.begin();
    let mut reference = reference_at(start);

    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Watch { rev } => {
                let after = rev.resolve(reference.revision());
                if after + 1 == reference.compact_revision() {
                    // A watch from exactly the compaction revision: compaction may have dropped
                    // that revision's deletes, so the reference refuses it, and etcd serves it
                    // without them. Gatehouse never asks for one; the contract leaves it open.
                    continue;
                }
                let want = reference.events_after(after);
                let got = backend.events_after(after, &want);
                match (got, want) {
                    (Ok(got), Ok(want)) => {
                        prop_assert_eq!(
                            normalised(got),
                            normalised(want),
                            "op {}: {:?} (after {})",
                            i,
                            op,
                            after
                        )
                    }
                    (Err(_), Err(_)) => {}
                    (got, want) => {
                        prop_assert!(
                            false,
                            "op {}: {:?} (after {}): got {:?}, want {:?}",
                            i,
                            op,
                            after,
                            got,
                            want
                        )
                    }
                }
            }
            Op::Checkpoint => backend.checkpoint(),
            Op::Restart => {
                if let Some(at) = backend.restart() {
                    if reference.compact_revision() < at {
                        reference
                            .execute(&StorageRequest::Compact { revision: at })
                            .expect("compact the reference at the restart's compaction point");
                        reference.take_wal();
                    }
                }
                if let Some(c) = backend.compact_revision() {
                    prop_assert_eq!(c, reference.compact_revision(), "op {}: restart", i);
                }
            }
            _ => {
                let req = request(op, &mut reference).expect("a storage request");
                let want = reference.execute(&req);
                let got = backend.execute(&req);
                prop_assert!(
                    agrees(&got, &want),
                    "op {}: {:?} as {:?}: got {:?}, want {:?}",
                    i,
                    op,
                    req,
                    got,
                    want
                );
                reference.take_wal();
                let want_events = normalised(reference.take_events());
                let got_events = normalised(backend.take_events());
                prop_assert_eq!(got_events, want_events, "op {}: events of {:?}", i, op);
            }
        }
    }

    // The end state, and once more after a final restart: nothing acknowledged is lost.
    let want = reference.execute(&everything());
    prop_assert_eq!(backend.execute(&everything()), want.clone(), "the end state");
    backend.restart();
    prop_assert_eq!(
        backend.execute(&everything()),
        want,
        "the end state after a final restart"
    );
    Ok(())
}

/// Fixed sequences that must hold whatever the generator draws.
pub fn fixed_sequences() -> Vec<Vec<Op>> {
    use Op::*;
    let v = |s: &str| s.as_bytes().to_vec();
    vec![
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
    ]
}
