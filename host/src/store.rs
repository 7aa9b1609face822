//! The storage thread: the in-memory MVCC store, made durable by a write-ahead log when it
//! is the embedded store.
//!
//! Requests arrive over a channel, are executed in order, and their log records are written
//! and synced before any answer leaves: a write that was answered survives `kill -9`. Several
//! waiting requests share one sync (group commit). Watch events of a write are sent before
//! its answer, as the core's run-loop contract requires.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use gatehouse_core::storage::{
    KeyValue, MemStore, StorageError, StorageEvent, StorageRequest, StorageResponse, WalRecord, WatchId,
    WatchSet,
};
use gatehouse_core::EffectId;

use crate::error::HostError;

/// What the storage thread is asked.
pub enum StoreCmd {
    /// Run a request; answer with its id.
    Run(EffectId, StorageRequest),
    /// Start (or restart) watch `watch`: stream the events of keys under `prefix` after
    /// `from` (exclusive).
    Watch {
        watch: WatchId,
        prefix: Vec<u8>,
        from: i64,
    },
    /// Stop (after finishing what is queued).
    Stop,
}

/// What the storage thread reports.
pub enum StoreReport {
    /// Answer to a request.
    Done(EffectId, Result<StorageResponse, StorageError>),
    /// Events of one watch (of writes, or its catch-up), in revision order. A write's events
    /// are reported before its answer.
    Events(WatchId, Vec<StorageEvent>),
    /// The watch could not start or go on: history was compacted.
    WatchCompacted(WatchId),
    /// Every watch has reported every event up to this revision (optional: a store that
    /// cannot tell reports nothing, and the server falls back to reading storage).
    Progress(i64),
}

/// The write-ahead log and snapshot of the embedded store.
pub struct Durable {
    dir: PathBuf,
    wal: File,
    wal_len: u64,
}

const SNAPSHOT: &str = "snapshot";
const WAL: &str = "wal";
const MAGIC: &[u8; 8] = b"GHSNAP02";

impl Durable {
    /// Opens (or creates) the store in `dir`, replays it, and folds the log into a fresh
    /// snapshot so the next start replays little.
    pub fn open(dir: &Path) -> Result<(Durable, MemStore), HostError> {
        fs::create_dir_all(dir).map_err(|e| HostError::io(dir, e))?;
        let snap_path = dir.join(SNAPSHOT);
        let mut store = match fs::read(&snap_path) {
            Ok(bytes) => decode_snapshot(&bytes).ok_or_else(|| HostError::Invalid {
                what: snap_path.display().to_string(),
                reason: "corrupt snapshot".into(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MemStore::new(),
            Err(e) => return Err(HostError::io(&snap_path, e)),
        };
        let wal_path = dir.join(WAL);
        let mut log = Vec::new();
        if let Ok(mut f) = File::open(&wal_path) {
            f.read_to_end(&mut log).map_err(|e| HostError::io(&wal_path, e))?;
        }
        let mut pos = 0;
        while let Some((rec, n)) = WalRecord::decode(log.get(pos..).unwrap_or_default()) {
            store.apply_record(&rec);
            pos += n;
        }
        // Anything after the last whole record is a write torn by a crash; it was never
        // acknowledged, so it is dropped.
        store.take_events();
        store.take_wal();
        let mut d = Durable {
            dir: dir.to_path_buf(),
            wal: OpenOptions::new()
                .create(true)
                .append(true)
                .open(&wal_path)
                .map_err(|e| HostError::io(&wal_path, e))?,
            wal_len: 0,
        };
        if !log.is_empty() {
            d.checkpoint(&store)?;
        }
        Ok((d, store))
    }

    /// Appends records and syncs them to disk.
    pub fn append(&mut self, records: &[WalRecord]) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for r in records {
            r.encode(&mut buf);
        }
        self.wal.write_all(&buf)?;
        self.wal.sync_data()?;
        self.wal_len += buf.len() as u64;
        Ok(())
    }

    /// Writes a snapshot of `store` and empties the log.
    pub fn checkpoint(&mut self, store: &MemStore) -> Result<(), HostError> {
        let tmp = self.dir.join("snapshot.tmp");
        let bytes = encode_snapshot(store);
        {
            let mut f = File::create(&tmp).map_err(|e| HostError::io(&tmp, e))?;
            f.write_all(&bytes).map_err(|e| HostError::io(&tmp, e))?;
            f.sync_all().map_err(|e| HostError::io(&tmp, e))?;
        }
        let snap = self.dir.join(SNAPSHOT);
        fs::rename(&tmp, &snap).map_err(|e| HostError::io(&snap, e))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        let wal_path = self.dir.join(WAL);
        self.wal = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&wal_path)
            .map_err(|e| HostError::io(&wal_path, e))?;
        self.wal.sync_all().map_err(|e| HostError::io(&wal_path, e))?;
        self.wal = OpenOptions::new()
            .append(true)
            .open(&wal_path)
            .map_err(|e| HostError::io(&wal_path, e))?;
        self.wal_len = 0;
        Ok(())
    }
}

fn encode_snapshot(store: &MemStore) -> Vec<u8> {
    let live = store.live();
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&store.revision().to_le_bytes());
    out.extend_from_slice(&(live.len() as u64).to_le_bytes());
    for kv in live {
        for b in [&kv.key, &kv.value] {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        out.extend_from_slice(&kv.create_revision.to_le_bytes());
        out.extend_from_slice(&kv.mod_revision.to_le_bytes());
        out.extend_from_slice(&kv.version.to_le_bytes());
        // When the key expires (0: never).
        out.extend_from_slice(&store.deadline_of(&kv.key).unwrap_or(0).to_le_bytes());
    }
    out
}

fn decode_snapshot(b: &[u8]) -> Option<MemStore> {
    let mut pos = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = b.get(pos..pos.checked_add(n)?)?;
        pos += n;
        Some(s)
    };
    if take(8)? != MAGIC {
        return None;
    }
    let i64_of = |s: &[u8]| i64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
    let revision = i64_of(take(8)?);
    let n = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let mut live = Vec::new();
    let mut deadlines = Vec::new();
    for _ in 0..n {
        let kl = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let key = take(kl)?.to_vec();
        let vl = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let value = take(vl)?.to_vec();
        let create_revision = i64_of(take(8)?);
        let mod_revision = i64_of(take(8)?);
        let version = i64_of(take(8)?);
        let deadline = i64_of(take(8)?);
        if deadline != 0 {
            deadlines.push((key.clone(), deadline));
        }
        live.push(KeyValue {
            key,
            value,
            create_revision,
            mod_revision,
            version,
        });
    }
    let mut store = MemStore::restore(revision, live);
    for (key, deadline) in deadlines {
        store.set_deadline(&key, deadline);
    }
    Some(store)
}

/// Compaction keeps this much history, like kube-apiserver's default compaction interval.
const COMPACTION_INTERVAL: Duration = Duration::from_secs(300);
/// The log is folded into a snapshot once it grows past this.
const CHECKPOINT_BYTES: u64 = 64 << 20;

/// Runs the storage thread until [`StoreCmd::Stop`] or the channel closes.
pub fn run(
    mut store: MemStore,
    mut durable: Option<Durable>,
    rx: Receiver<StoreCmd>,
    report: impl Fn(StoreReport) -> bool,
) {
    let mut watches = WatchSet::default();
    let mut last_compaction = Instant::now();
    let mut compact_to = store.revision();
    loop {
        let first = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Take everything already waiting so one sync covers the whole batch.
        let mut batch: Vec<StoreCmd> = first.into_iter().collect();
        while let Ok(c) = rx.try_recv() {
            batch.push(c);
            if batch.len() >= 256 {
                break;
            }
        }
        let mut answers = Vec::new();
        let mut stop = false;
        // TTLs count from, and expire against, the wall clock.
        store.set_clock(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        );
        for cmd in batch {
            match cmd {
                StoreCmd::Run(op, req) => {
                    let r = store.execute(&req);
                    answers.push((op, r));
                }
                StoreCmd::Watch { watch, prefix, from } => match store.events_after(from) {
                    Ok(evs) => {
                        let evs = WatchSet::under(&prefix, &evs);
                        watches.start(watch, prefix);
                        if !evs.is_empty() && !report(StoreReport::Events(watch, evs)) {
                            return;
                        }
                    }
                    Err(_) => {
                        if !report(StoreReport::WatchCompacted(watch)) {
                            return;
                        }
                    }
                },
                StoreCmd::Stop => stop = true,
            }
        }
        if last_compaction.elapsed() >= COMPACTION_INTERVAL {
            if compact_to > store.compact_revision() && compact_to <= store.revision() {
                let _ = store.execute(&StorageRequest::Compact { revision: compact_to });
            }
            compact_to = store.revision();
            last_compaction = Instant::now();
        }
        store.expire_due();
        let records = store.take_wal();
        if let Some(d) = durable.as_mut() {
            if let Err(e) = d.append(&records) {
                // Nothing of this batch may be acknowledged: the log did not reach the disk.
                for (op, _) in answers.drain(..) {
                    let _ = report(StoreReport::Done(
                        op,
                        Err(StorageError::Unavailable(format!("write-ahead log: {e}"))),
                    ));
                }
                store.take_events();
                continue;
            }
            if d.wal_len > CHECKPOINT_BYTES {
                let _ = d.checkpoint(&store);
            }
        }
        // Each watch's events, then the news that every watch is current, before any answer.
        let events = store.take_events();
        for (watch, evs) in watches.split(&events) {
            if !report(StoreReport::Events(watch, evs)) {
                return;
            }
        }
        if !watches.is_empty() && !answers.is_empty() && !report(StoreReport::Progress(store.revision())) {
            return;
        }
        for (op, r) in answers {
            if !report(StoreReport::Done(op, r)) {
                return;
            }
        }
        if stop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::storage::{Compare, TxnOp};

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gatehouse-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn reopen_keeps_synced_writes_and_drops_a_torn_tail() {
        let dir = tmpdir("reopen");
        {
            let (mut d, mut s) = Durable::open(&dir).unwrap();
            for i in 0..3 {
                let key = format!("/registry/configmaps/default/c{i}").into_bytes();
                s.execute(&StorageRequest::Txn {
                    compare: vec![Compare::CreateRevision(key.clone(), 0)],
                    success: vec![TxnOp::Put {
                        key,
                        value: b"{}".to_vec(),
                        ttl_secs: None,
                    }],
                    failure: vec![],
                })
                .unwrap();
                d.append(&s.take_wal()).unwrap();
            }
            // A torn record at the tail.
            d.wal.write_all(&[1, 2, 3]).unwrap();
        }
        let (_d, s) = Durable::open(&dir).unwrap();
        assert_eq!(s.live().len(), 3);
        assert_eq!(s.revision(), 4);
        let (_d, s) = Durable::open(&dir).unwrap();
        assert_eq!(s.live().len(), 3, "the checkpointed snapshot holds everything");
        let _ = fs::remove_dir_all(&dir);
    }
}
