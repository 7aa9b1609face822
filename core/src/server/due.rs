//! The work queue of the server's own controllers (the root CA publisher, the token
//! controller): keys to look at, each due at a time, at most one write in flight per key.

use std::collections::BTreeMap;

/// When a key is next looked at, and whether a write for it is in flight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Due {
    /// A write for it is in flight: it is not looked at until that write is done.
    pub in_flight: bool,
    /// When it is due (monotonic ms).
    pub at_ms: u64,
}

/// Keys to look at.
#[derive(Debug)]
pub(super) struct DueSet<K: Ord> {
    due: BTreeMap<K, Due>,
}

impl<K: Ord> Default for DueSet<K> {
    fn default() -> Self {
        DueSet { due: BTreeMap::new() }
    }
}

impl<K: Ord + Clone> DueSet<K> {
    /// `key` is due now (or sooner than it was).
    pub fn mark(&mut self, key: K, now_ms: u64) {
        let d = self.due.entry(key).or_insert(Due {
            in_flight: false,
            at_ms: now_ms,
        });
        d.at_ms = d.at_ms.min(now_ms);
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &K) {
        self.due.remove(key);
    }

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.due.clear();
    }

    /// A write for `key` finished: it is looked at again now, or after `retry_ms` when
    /// `backoff`.
    pub fn done(&mut self, key: &K, backoff: bool, retry_ms: u64, now_ms: u64) {
        if let Some(d) = self.due.get_mut(key) {
            d.in_flight = false;
            d.at_ms = if backoff { now_ms + retry_ms } else { now_ms };
        }
    }

    /// When the next key is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.values().filter(|d| !d.in_flight).map(|d| d.at_ms).min()
    }

    /// Every key and its state, to look at those due.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut Due)> {
        self.due.iter_mut()
    }
}
