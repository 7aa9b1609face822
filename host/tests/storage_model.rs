//! The storage contract suite (`contract/mod.rs`) run against the embedded store: a `MemStore`
//! from [`Durable::open`] whose write-ahead log is appended after every operation, and which is
//! checkpointed and restarted now and then.
//!
//! The one designed difference from the reference is history across a restart. A restart
//! restores the snapshot, which keeps only the live keys at its revision, and replays the log
//! written since, which keeps every revision after it. So after a restart the embedded store is
//! compacted at the revision of the snapshot it found on disk (if any), and history after that
//! revision is still there; the suite compacts the reference there too. Opening a store with a
//! non-empty log writes a fresh snapshot at the replayed revision, so the next restart without
//! writes in between compacts everything before the restart.

mod contract;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use contract::{key, op, put, run_sequence, Backend, Op};
use gatehouse_core::storage::{MemStore, StorageError, StorageEvent, StorageRequest, StorageResponse};
use gatehouse_host::store::Durable;
use proptest::prelude::*;

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

/// The embedded store in its own scratch directory.
struct EmbeddedBackend {
    scratch: Scratch,
    store: Embedded,
}

impl EmbeddedBackend {
    fn new() -> EmbeddedBackend {
        let scratch = Scratch::new();
        let store = Embedded::open(scratch.path());
        EmbeddedBackend { scratch, store }
    }
}

impl Backend for EmbeddedBackend {
    fn begin(&mut self) -> i64 {
        self.store.store.revision()
    }

    fn execute(&mut self, req: &StorageRequest) -> Result<StorageResponse, StorageError> {
        let r = self.store.store.execute(req);
        self.store.sync();
        r
    }

    fn take_events(&mut self) -> Vec<StorageEvent> {
        self.store.store.take_events()
    }

    fn events_after(
        &mut self,
        after: i64,
        _want: &Result<Vec<StorageEvent>, StorageError>,
    ) -> Result<Vec<StorageEvent>, StorageError> {
        self.store.store.events_after(after)
    }

    fn checkpoint(&mut self) {
        self.store.checkpoint();
    }

    fn restart(&mut self) -> Option<i64> {
        self.store.restart(self.scratch.path())
    }

    fn compact_revision(&self) -> Option<i64> {
        Some(self.store.store.compact_revision())
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    run_sequence(&mut EmbeddedBackend::new(), ops)
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
        run(&ops)?;
    }
}

#[test]
fn fixed_sequences() {
    for ops in contract::fixed_sequences() {
        if let Err(e) = run(&ops) {
            panic!("{ops:?}: {e}");
        }
    }
}

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
    if let Err(e) = run(&ops) {
        panic!("{e}");
    }
}
