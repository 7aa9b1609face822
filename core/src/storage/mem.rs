//! The in-memory MVCC store: the reference implementation of the storage contract.
//!
//! It keeps every key's history since the last compaction, so reads at a past revision and
//! watches from a past revision behave as etcd's do. The embedded durable store is this
//! store plus a write-ahead log of [`WalRecord`]s that the runtime appends and syncs before
//! it acknowledges a write.

use std::collections::BTreeMap;

use super::types::*;

/// One revision of a key: its value, or a tombstone.
#[derive(Clone, Debug)]
struct Rev {
    mod_revision: i64,
    /// `None` marks a delete.
    kv: Option<KeyValue>,
}

/// One write inside a logged transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalWrite {
    /// A key written with a value.
    Put(Vec<u8>, Vec<u8>),
    /// A key removed.
    Delete(Vec<u8>),
    /// A key written with a value that expires at the given Unix second.
    PutExpiring(Vec<u8>, Vec<u8>, i64),
}

/// The durable effect of one write transaction or compaction, as the write-ahead log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalRecord {
    /// The writes of one transaction, all at `revision`, in the order they ran (a delete
    /// then a put of one key must replay as such).
    Txn {
        /// Revision the transaction committed at.
        revision: i64,
        /// The transaction's writes, in execution order.
        writes: Vec<WalWrite>,
    },
    /// A compaction at `revision`.
    Compact {
        /// Compaction point; history before it is dropped.
        revision: i64,
    },
}

/// An etcd-shaped multi-version store held in memory.
#[derive(Debug, Default)]
pub struct MemStore {
    keys: BTreeMap<Vec<u8>, Vec<Rev>>,
    revision: i64,
    compact_revision: i64,
    events: Vec<StorageEvent>,
    wal: Vec<WalRecord>,
    /// The time writes with a TTL are measured from (Unix seconds), set by the runtime.
    clock_secs: i64,
    /// Keys written with a TTL, and the Unix second they expire at.
    expiry: BTreeMap<Vec<u8>, i64>,
}

impl MemStore {
    /// An empty store at revision 1, as a fresh etcd cluster starts.
    pub fn new() -> Self {
        MemStore {
            revision: 1,
            ..Default::default()
        }
    }

    /// The revision of the last write.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// The oldest revision still readable.
    pub fn compact_revision(&self) -> i64 {
        self.compact_revision
    }

    /// Runs one request.
    pub fn execute(&mut self, req: &StorageRequest) -> Result<StorageResponse, StorageError> {
        match req {
            StorageRequest::Range {
                key,
                range_end,
                revision,
                limit,
            } => self.range(key, range_end, *revision, *limit),
            StorageRequest::Txn {
                compare,
                success,
                failure,
            } => Ok(self.txn(compare, success, failure)),
            StorageRequest::Compact { revision } => self.compact(*revision),
        }
    }

    /// Watch events produced by writes since the last call, in revision order.
    pub fn take_events(&mut self) -> Vec<StorageEvent> {
        std::mem::take(&mut self.events)
    }

    /// Log records produced by writes since the last call, for the write-ahead log.
    pub fn take_wal(&mut self) -> Vec<WalRecord> {
        std::mem::take(&mut self.wal)
    }

    /// Events with revision greater than `after`, from history (for resuming a watch).
    pub fn events_after(&self, after: i64) -> Result<Vec<StorageEvent>, StorageError> {
        // Compaction at C may drop C's own deletes (their tombstones go with it), so a watch
        // must start after C, not at it, to see every change.
        if after < self.compact_revision {
            return Err(StorageError::Compacted {
                compact_revision: self.compact_revision,
            });
        }
        let mut out = Vec::new();
        for revs in self.keys.values() {
            for (i, r) in revs.iter().enumerate() {
                if r.mod_revision <= after {
                    continue;
                }
                let prev = i
                    .checked_sub(1)
                    .and_then(|j| revs.get(j))
                    .and_then(|p| p.kv.clone());
                out.push(event_of(r, prev));
            }
        }
        out.sort_by_key(|e| e.kv.mod_revision);
        Ok(out)
    }

    /// Replays a log record (at start-up, from the write-ahead log). Records at or below the
    /// current revision are skipped, so replaying twice is harmless.
    pub fn apply_record(&mut self, rec: &WalRecord) {
        match rec {
            WalRecord::Txn { revision, writes } => {
                if *revision <= self.revision {
                    return;
                }
                self.revision = *revision;
                for w in writes {
                    match w {
                        WalWrite::Put(k, v) => {
                            self.write_put(k, v.clone());
                            self.expiry.remove(k);
                        }
                        WalWrite::PutExpiring(k, v, deadline) => {
                            self.write_put(k, v.clone());
                            self.expiry.insert(k.clone(), *deadline);
                        }
                        WalWrite::Delete(k) => {
                            self.write_delete(k);
                        }
                    }
                }
                self.events.clear();
                self.wal.clear();
            }
            WalRecord::Compact { revision } => {
                let _ = self.compact(*revision);
                self.wal.clear();
            }
        }
    }

    /// Sets the time that TTLs of new writes count from, and that [`MemStore::expire_due`]
    /// compares against (Unix seconds). The core's store has no clock of its own.
    pub fn set_clock(&mut self, now_unix_secs: i64) {
        self.clock_secs = now_unix_secs;
    }

    /// Removes, in one write, every key whose TTL has run out at the clock's time (as etcd
    /// revokes an expired lease). Returns how many keys went.
    pub fn expire_due(&mut self) -> usize {
        let due: Vec<Vec<u8>> = self
            .expiry
            .iter()
            .filter(|(_, d)| **d <= self.clock_secs)
            .map(|(k, _)| k.clone())
            .collect();
        if due.is_empty() {
            return 0;
        }
        let ops: Vec<TxnOp> = due.into_iter().map(|key| TxnOp::Delete { key }).collect();
        let n = ops.len();
        self.txn(&[], &ops, &[]);
        n
    }

    /// When `key` expires, if it was written with a TTL.
    pub fn deadline_of(&self, key: &[u8]) -> Option<i64> {
        self.expiry.get(key).copied()
    }

    /// Restores a key's expiry (from a snapshot).
    pub fn set_deadline(&mut self, key: &[u8], deadline: i64) {
        if self.current(key).is_some() {
            self.expiry.insert(key.to_vec(), deadline);
        }
    }

    /// Every live key at the current revision, for writing a snapshot.
    pub fn live(&self) -> Vec<KeyValue> {
        self.keys
            .values()
            .filter_map(|revs| revs.last().and_then(|r| r.kv.clone()))
            .collect()
    }

    /// Restores a snapshot: live keys plus the revision they were taken at. History before the
    /// snapshot is gone, so the compaction point moves to its revision.
    pub fn restore(revision: i64, live: Vec<KeyValue>) -> Self {
        let mut s = MemStore::new();
        s.revision = revision.max(1);
        s.compact_revision = revision;
        for kv in live {
            let mod_revision = kv.mod_revision;
            s.keys.insert(
                kv.key.clone(),
                vec![Rev {
                    mod_revision,
                    kv: Some(kv),
                }],
            );
        }
        s
    }

    fn current(&self, key: &[u8]) -> Option<&KeyValue> {
        self.keys
            .get(key)
            .and_then(|revs| revs.last())
            .and_then(|r| r.kv.as_ref())
    }

    fn at(&self, revs: &[Rev], revision: i64) -> Option<KeyValue> {
        revs.iter()
            .rev()
            .find(|r| r.mod_revision <= revision)
            .and_then(|r| r.kv.clone())
    }

    fn range(
        &self,
        key: &[u8],
        range_end: &[u8],
        revision: i64,
        limit: i64,
    ) -> Result<StorageResponse, StorageError> {
        if revision > self.revision {
            return Err(StorageError::FutureRevision {
                current_revision: self.revision,
            });
        }
        if revision > 0 && revision < self.compact_revision {
            return Err(StorageError::Compacted {
                compact_revision: self.compact_revision,
            });
        }
        let at = if revision > 0 { revision } else { self.revision };
        let mut kvs = Vec::new();
        let mut count = 0i64;
        let mut visit = |revs: &Vec<Rev>| {
            if let Some(kv) = self.at(revs, at) {
                count += 1;
                if limit <= 0 || (kvs.len() as i64) < limit {
                    kvs.push(kv);
                }
            }
        };
        if range_end.is_empty() {
            if let Some(revs) = self.keys.get(key) {
                visit(revs);
            }
        } else if range_end == [0] {
            self.keys.range(key.to_vec()..).for_each(|(_, r)| visit(r));
        } else if key < range_end {
            self.keys
                .range(key.to_vec()..range_end.to_vec())
                .for_each(|(_, r)| visit(r));
        }
        let more = count > kvs.len() as i64;
        Ok(StorageResponse::Range {
            revision: self.revision,
            kvs,
            more,
            count,
        })
    }

    fn holds(&self, c: &Compare) -> bool {
        match c {
            Compare::ModRevision(k, rev) => self.current(k).map_or(0, |kv| kv.mod_revision) == *rev,
            Compare::CreateRevision(k, rev) => self.current(k).map_or(0, |kv| kv.create_revision) == *rev,
        }
    }

    fn txn(&mut self, compare: &[Compare], success: &[TxnOp], failure: &[TxnOp]) -> StorageResponse {
        let succeeded = compare.iter().all(|c| self.holds(c));
        let ops = if succeeded { success } else { failure };
        let writes = ops.iter().any(|op| match op {
            TxnOp::Put { .. } => true,
            TxnOp::Delete { key } => self.current(key).is_some(),
            TxnOp::Get { .. } => false,
        });
        if writes {
            self.revision += 1;
        }
        let mut gets = Vec::new();
        let mut logged = Vec::new();
        for op in ops {
            match op {
                TxnOp::Put { key, value, ttl_secs } => {
                    self.write_put(key, value.clone());
                    match ttl_secs {
                        Some(ttl) => {
                            let deadline = self.clock_secs + i64::from(*ttl);
                            self.expiry.insert(key.clone(), deadline);
                            logged.push(WalWrite::PutExpiring(key.clone(), value.clone(), deadline));
                        }
                        None => {
                            self.expiry.remove(key);
                            logged.push(WalWrite::Put(key.clone(), value.clone()));
                        }
                    }
                }
                TxnOp::Delete { key } => {
                    if self.write_delete(key) {
                        logged.push(WalWrite::Delete(key.clone()));
                    }
                }
                TxnOp::Get { key } => gets.push(self.current(key).cloned()),
            }
        }
        if writes {
            self.wal.push(WalRecord::Txn {
                revision: self.revision,
                writes: logged,
            });
        }
        StorageResponse::Txn {
            revision: self.revision,
            succeeded,
            gets,
        }
    }

    fn write_put(&mut self, key: &[u8], value: Vec<u8>) {
        let revision = self.revision;
        let prev = self.current(key).cloned();
        let (create_revision, version) = match &prev {
            Some(p) => (p.create_revision, p.version + 1),
            None => (revision, 1),
        };
        let kv = KeyValue {
            key: key.to_vec(),
            value,
            create_revision,
            mod_revision: revision,
            version,
        };
        let revs = self.keys.entry(key.to_vec()).or_default();
        // Two writes to one key in one transaction: the later one wins, as in etcd.
        if revs.last().is_some_and(|r| r.mod_revision == revision) {
            revs.pop();
        }
        revs.push(Rev {
            mod_revision: revision,
            kv: Some(kv.clone()),
        });
        self.events.push(StorageEvent {
            kind: EventKind::Put,
            kv,
            prev,
        });
    }

    fn write_delete(&mut self, key: &[u8]) -> bool {
        self.expiry.remove(key);
        let Some(prev) = self.current(key).cloned() else {
            return false;
        };
        let revision = self.revision;
        let revs = self.keys.entry(key.to_vec()).or_default();
        revs.push(Rev {
            mod_revision: revision,
            kv: None,
        });
        let kv = KeyValue {
            key: key.to_vec(),
            value: Vec::new(),
            create_revision: 0,
            mod_revision: revision,
            version: 0,
        };
        self.events.push(StorageEvent {
            kind: EventKind::Delete,
            kv,
            prev: Some(prev),
        });
        true
    }

    fn compact(&mut self, revision: i64) -> Result<StorageResponse, StorageError> {
        if revision > self.revision {
            return Err(StorageError::FutureRevision {
                current_revision: self.revision,
            });
        }
        if revision <= self.compact_revision {
            return Err(StorageError::Compacted {
                compact_revision: self.compact_revision,
            });
        }
        self.compact_revision = revision;
        self.keys.retain(|_, revs| {
            // Keep the newest revision at or below the compaction point (unless it is a
            // tombstone) and everything after it.
            let keep_from = revs.iter().rposition(|r| r.mod_revision <= revision);
            if let Some(i) = keep_from {
                let drop_it = revs.get(i).is_some_and(|r| r.kv.is_none());
                revs.drain(..if drop_it { i + 1 } else { i });
            }
            !revs.is_empty()
        });
        self.wal.push(WalRecord::Compact { revision });
        Ok(StorageResponse::Compacted { revision })
    }
}

fn event_of(r: &Rev, prev: Option<KeyValue>) -> StorageEvent {
    match &r.kv {
        Some(kv) => StorageEvent {
            kind: EventKind::Put,
            kv: kv.clone(),
            prev,
        },
        None => StorageEvent {
            kind: EventKind::Delete,
            kv: KeyValue {
                key: prev.as_ref().map(|p| p.key.clone()).unwrap_or_default(),
                value: Vec::new(),
                create_revision: 0,
                mod_revision: r.mod_revision,
                version: 0,
            },
            prev,
        },
    }
}

impl WalRecord {
    /// Encodes the record for the log as a frame: payload length, CRC-32 of the payload,
    /// then the payload (a tag byte and length-prefixed fields). The checksum lets replay tell
    /// a torn or damaged tail from a whole record.
    pub fn encode(&self, out: &mut Vec<u8>) {
        fn bytes(out: &mut Vec<u8>, b: &[u8]) {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        let mut p = Vec::new();
        match self {
            WalRecord::Txn { revision, writes } => {
                p.push(1);
                p.extend_from_slice(&revision.to_le_bytes());
                p.extend_from_slice(&(writes.len() as u32).to_le_bytes());
                for w in writes {
                    match w {
                        WalWrite::Put(k, v) => {
                            p.push(1);
                            bytes(&mut p, k);
                            bytes(&mut p, v);
                        }
                        WalWrite::Delete(k) => {
                            p.push(2);
                            bytes(&mut p, k);
                        }
                        WalWrite::PutExpiring(k, v, deadline) => {
                            p.push(3);
                            bytes(&mut p, k);
                            bytes(&mut p, v);
                            p.extend_from_slice(&deadline.to_le_bytes());
                        }
                    }
                }
            }
            WalRecord::Compact { revision } => {
                p.push(2);
                p.extend_from_slice(&revision.to_le_bytes());
            }
        }
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32(&p).to_le_bytes());
        out.extend_from_slice(&p);
    }

    /// Decodes one record from the front of `buf`, returning it and the bytes it used;
    /// `None` on a truncated or damaged record (a torn write at the log's tail).
    pub fn decode(buf: &[u8]) -> Option<(WalRecord, usize)> {
        let mut frame = Reader { buf, pos: 0 };
        let len = frame.u32()? as usize;
        let crc = frame.u32()?;
        let payload = frame.take(len)?;
        if crc32(payload) != crc {
            return None;
        }
        let mut r = Reader { buf: payload, pos: 0 };
        let rec = match r.u8()? {
            1 => {
                let revision = r.i64()?;
                let n = r.u32()?;
                let mut writes = Vec::new();
                for _ in 0..n {
                    writes.push(match r.u8()? {
                        1 => WalWrite::Put(r.bytes()?, r.bytes()?),
                        2 => WalWrite::Delete(r.bytes()?),
                        3 => WalWrite::PutExpiring(r.bytes()?, r.bytes()?, r.i64()?),
                        _ => return None,
                    });
                }
                WalRecord::Txn { revision, writes }
            }
            2 => WalRecord::Compact { revision: r.i64()? },
            _ => return None,
        };
        (r.pos == payload.len()).then_some((rec, frame.pos))
    }
}

/// CRC-32 (IEEE), bit by bit: the log is small and this keeps the core free of tables.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Option<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n).map(|b| b.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> TxnOp {
        TxnOp::Put {
            key: k.into(),
            value: v.into(),
            ttl_secs: None,
        }
    }

    #[test]
    fn keys_with_a_ttl_expire_and_survive_replay_with_their_deadline() {
        let mut s = MemStore::new();
        s.set_clock(1000);
        let req = StorageRequest::Txn {
            compare: vec![],
            success: vec![
                TxnOp::Put {
                    key: "/e".into(),
                    value: "1".into(),
                    ttl_secs: Some(60),
                },
                put("/k", "2"),
            ],
            failure: vec![],
        };
        s.execute(&req).unwrap();
        let mut log = Vec::new();
        for r in s.take_wal() {
            r.encode(&mut log);
        }
        let mut t = MemStore::new();
        let mut pos = 0;
        while let Some((rec, n)) = WalRecord::decode(&log[pos..]) {
            t.apply_record(&rec);
            pos += n;
        }
        assert_eq!(t.deadline_of(b"/e"), Some(1060));
        s.set_clock(1059);
        assert_eq!(s.expire_due(), 0);
        s.set_clock(1060);
        s.take_events();
        assert_eq!(s.expire_due(), 1);
        assert_eq!(s.live().len(), 1, "only the key without a TTL stays");
        let evs = s.take_events();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].kind, EventKind::Delete);
    }

    fn create(s: &mut MemStore, k: &str, v: &str) -> bool {
        let req = StorageRequest::Txn {
            compare: vec![Compare::CreateRevision(k.into(), 0)],
            success: vec![put(k, v)],
            failure: vec![],
        };
        matches!(s.execute(&req), Ok(StorageResponse::Txn { succeeded: true, .. }))
    }

    #[test]
    fn create_twice_fails_and_revisions_grow() {
        let mut s = MemStore::new();
        assert!(create(&mut s, "/a", "1"));
        assert_eq!(s.revision(), 2);
        assert!(!create(&mut s, "/a", "2"));
        assert_eq!(s.revision(), 2, "a failed compare writes nothing");
    }

    #[test]
    fn range_at_past_revision_and_compaction() {
        let mut s = MemStore::new();
        create(&mut s, "/a", "1");
        let req = StorageRequest::Txn {
            compare: vec![],
            success: vec![put("/a", "2")],
            failure: vec![],
        };
        s.execute(&req).unwrap();
        let at2 = StorageRequest::Range {
            key: "/a".into(),
            range_end: vec![],
            revision: 2,
            limit: 0,
        };
        match s.execute(&at2).unwrap() {
            StorageResponse::Range { kvs, .. } => assert_eq!(kvs[0].value, b"1"),
            other => panic!("{other:?}"),
        }
        s.execute(&StorageRequest::Compact { revision: 3 }).unwrap();
        assert!(matches!(s.execute(&at2), Err(StorageError::Compacted { .. })));
    }

    #[test]
    fn a_damaged_record_is_not_replayed() {
        let rec = WalRecord::Txn {
            revision: 5,
            writes: vec![
                WalWrite::Delete("/a".into()),
                WalWrite::Put("/a".into(), "2".into()),
            ],
        };
        let mut log = Vec::new();
        rec.encode(&mut log);
        assert_eq!(WalRecord::decode(&log), Some((rec, log.len())));
        let last = log.len() - 1;
        log[last] ^= 1;
        assert_eq!(
            WalRecord::decode(&log),
            None,
            "the checksum catches a flipped bit"
        );
    }

    #[test]
    fn wal_replays_to_the_same_state() {
        let mut s = MemStore::new();
        create(&mut s, "/a", "1");
        create(&mut s, "/b", "2");
        let del = StorageRequest::Txn {
            compare: vec![],
            success: vec![TxnOp::Delete { key: "/a".into() }],
            failure: vec![],
        };
        s.execute(&del).unwrap();
        let mut log = Vec::new();
        for r in s.take_wal() {
            r.encode(&mut log);
        }
        let mut t = MemStore::new();
        let mut pos = 0;
        while let Some((rec, n)) = WalRecord::decode(&log[pos..]) {
            t.apply_record(&rec);
            pos += n;
        }
        assert_eq!(pos, log.len());
        assert_eq!(t.revision(), s.revision());
        assert_eq!(t.live(), s.live());
        assert!(
            WalRecord::decode(&log[..log.len() - 1]).is_some(),
            "first record still whole"
        );
    }
}
