//! Data types of the storage contract.

use std::fmt;

/// One stored key at one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The full key, e.g. `/registry/configmaps/default/x`.
    pub key: Vec<u8>,
    /// The stored bytes (JSON objects without `resourceVersion`).
    pub value: Vec<u8>,
    /// Revision of the transaction that created this incarnation of the key.
    pub create_revision: i64,
    /// Revision of the last transaction that wrote the key.
    pub mod_revision: i64,
    /// Number of writes since creation (1 on create).
    pub version: i64,
}

/// Identifies one storage watch the server asked for: one per resource type, each over its
/// own key prefix. A new watch with the same id replaces the old one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WatchId(pub u32);

/// A comparison guarding a transaction, as etcd's `Compare` on `MOD`/`CREATE` revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compare {
    /// The key's modify revision equals the given one (0: the key does not exist).
    ModRevision(Vec<u8>, i64),
    /// The key's create revision equals the given one (0: the key does not exist).
    CreateRevision(Vec<u8>, i64),
}

/// One operation inside a transaction branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    /// Write a value; with `ttl_secs`, the key is removed that long after the write (etcd
    /// attaches it to a lease), as Events are after `--event-ttl`.
    Put {
        /// Key to write.
        key: Vec<u8>,
        /// Bytes to store.
        value: Vec<u8>,
        /// Lifetime in seconds; `None` keeps the key until it is deleted.
        ttl_secs: Option<u32>,
    },
    /// Remove a key.
    Delete {
        /// Key to remove.
        key: Vec<u8>,
    },
    /// Read a key (so a failed compare can return the current object in the same round trip).
    Get {
        /// Key to read.
        key: Vec<u8>,
    },
}

/// What the core asks of storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageRequest {
    /// Read keys in `[key, range_end)` (or exactly `key` when `range_end` is empty) at
    /// `revision` (0: latest), at most `limit` of them (0: no limit).
    Range {
        /// First key of the range, or the only key when `range_end` is empty.
        key: Vec<u8>,
        /// Exclusive end of the range; `\0` means every key from `key` on.
        range_end: Vec<u8>,
        /// Revision to read at; 0 for the latest.
        revision: i64,
        /// Most keys to return; 0 for no limit.
        limit: i64,
    },
    /// Atomically: if every compare holds, run `success`, else run `failure`.
    Txn {
        /// Conditions that must all hold for `success` to run.
        compare: Vec<Compare>,
        /// Operations run when every compare holds.
        success: Vec<TxnOp>,
        /// Operations run when any compare fails.
        failure: Vec<TxnOp>,
    },
    /// Forget history before `revision`.
    Compact {
        /// New compaction point; must not exceed the store's revision.
        revision: i64,
    },
}

/// Answers of storage, one variant per request kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageResponse {
    /// Answer to a [`StorageRequest::Range`].
    Range {
        /// The store's revision the read was served at.
        revision: i64,
        /// Matching keys in key order.
        kvs: Vec<KeyValue>,
        /// More keys matched than `limit` allowed.
        more: bool,
        /// How many keys matched in all.
        count: i64,
    },
    /// Answer to a [`StorageRequest::Txn`].
    Txn {
        /// The store's revision after the transaction.
        revision: i64,
        /// Whether the compares held (so `success` ran).
        succeeded: bool,
        /// One entry per `Get` of the branch that ran: the key's current value, if any.
        gets: Vec<Option<KeyValue>>,
    },
    /// Answer to a [`StorageRequest::Compact`].
    Compacted {
        /// The revision the store is now compacted at.
        revision: i64,
    },
}

/// Why a storage request failed. The core maps these to Kubernetes statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// The requested revision is older than the compaction point. The point is 0 when the
    /// store did not say: etcd's error carries no revision, so its client reports the last
    /// point it learnt from a watch, if any. Only messages show it.
    Compacted {
        /// The store's compaction point, or 0 if unknown.
        compact_revision: i64,
    },
    /// The requested revision is newer than the store's (0 when the store did not say).
    FutureRevision {
        /// The store's current revision, or 0 if unknown.
        current_revision: i64,
    },
    /// The store cannot be reached or refused the request.
    Unavailable(String),
    /// The store did not answer in time; the request may or may not have been applied.
    Timeout,
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Compacted { compact_revision } => {
                write!(
                    f,
                    "required revision has been compacted (compacted at {compact_revision})"
                )
            }
            StorageError::FutureRevision { current_revision } => {
                write!(
                    f,
                    "required revision is a future revision (current {current_revision})"
                )
            }
            StorageError::Unavailable(m) => write!(f, "storage unavailable: {m}"),
            StorageError::Timeout => f.write_str("storage request timed out"),
        }
    }
}

/// One change observed by a storage watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageEvent {
    /// Put or delete.
    pub kind: EventKind,
    /// The key after the change; for a delete, `value` is empty and `mod_revision` is the
    /// revision of the delete.
    pub kv: KeyValue,
    /// The key before the change, when it existed.
    pub prev: Option<KeyValue>,
}

/// Kinds of [`StorageEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The key was created or overwritten.
    Put,
    /// The key was removed.
    Delete,
}

/// The exclusive end of the range that covers every key starting with `prefix`, as etcd's
/// `WithPrefix` computes it.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // All 0xff (or empty): the range is unbounded; etcd spells that as "\0".
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(prefix_end(b"/registry/pods/"), b"/registry/pods0".to_vec());
        assert_eq!(prefix_end(&[b'a', 0xff]), b"b".to_vec());
    }
}
