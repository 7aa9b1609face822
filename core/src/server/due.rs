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

    /// Looks at every key due at `now_ms` with `look`: a settled key is forgotten, one
    /// with a write is in flight until [`DueSet::done`], one for later waits until then.
    /// Returns the writes, each with its key.
    pub fn look_at<R>(&mut self, now_ms: u64, mut look: impl FnMut(&K) -> Look<R>) -> Vec<(K, R)> {
        let mut writes = Vec::new();
        let mut settled = Vec::new();
        for (key, d) in self.due.iter_mut() {
            if d.in_flight || d.at_ms > now_ms {
                continue;
            }
            match look(key) {
                Look::Settled => settled.push(key.clone()),
                Look::Later(at_ms) => d.at_ms = at_ms,
                Look::Write(w) => {
                    d.in_flight = true;
                    writes.push((key.clone(), w));
                }
            }
        }
        for key in settled {
            self.due.remove(&key);
        }
        writes
    }
}

/// What looking at a due key came to.
pub(super) enum Look<R> {
    /// Nothing to do until it changes again.
    Settled,
    /// Look again at this time (monotonic ms).
    Later(u64),
    /// This write is owed.
    Write(R),
}
