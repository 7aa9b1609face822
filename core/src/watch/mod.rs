//! The watch cache: current state plus a window of recent events of one resource type, fed by
//! that type's storage watch, from which every client watch of the type is served
//! ([`WatchCaches`] holds one per type).
//!
//! A client watch is a cursor (the last revision it has seen) plus its filters. It is served
//! from the window when its start revision is still covered, and ended with a 410 Expired
//! Status otherwise, as kube-apiserver's cacher does.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use crate::storage::{EventKind, KeyValue, StorageEvent, Transformer};

mod caches;
pub use caches::{CachedType, WatchCaches};

/// A watch event type, as sent on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// `ADDED`
    Added,
    /// `MODIFIED`
    Modified,
    /// `DELETED`
    Deleted,
}

impl EventType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, decoded once and shared by every watcher.
#[derive(Clone, Debug)]
pub struct CacheEvent {
    /// Revision of the change.
    pub revision: i64,
    /// Storage key.
    pub key: Arc<[u8]>,
    /// Type of change.
    pub kind: EventType,
    /// The object after the change (for a delete: the last state, at the delete's revision).
    pub object: Arc<Value>,
    /// The object before the change.
    pub prev: Option<Arc<Value>>,
}

/// Why a watch cannot start where it asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooOld {
    /// The oldest revision a watch may start after.
    pub oldest: i64,
}

/// Current state and the recent history of every key under one type's storage prefix.
#[derive(Debug)]
pub struct WatchCache {
    ready: bool,
    revision: i64,
    /// Events at or below this revision are no longer in the window.
    evicted_through: i64,
    objects: BTreeMap<Arc<[u8]>, Arc<Value>>,
    window: VecDeque<CacheEvent>,
    capacity: usize,
    /// How its objects are read from storage.
    transformer: Transformer,
}

/// A cached object: decoded, then with every map and list rebuilt at its exact size.
/// Decoding grows maps as it goes, which leaves about a quarter of a typical object's memory
/// unused; the cache holds its objects for their whole life, so it pays to trim them once.
fn decode_cached(transformer: &Transformer, kv: &KeyValue) -> Option<Value> {
    transformer.decode(kv).map(exact_size)
}

fn exact_size(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::with_capacity(m.len());
            for (k, v) in m {
                out.insert(k, exact_size(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items.into_iter().map(exact_size).collect();
            out.shrink_to_fit();
            Value::Array(out)
        }
        other => other,
    }
}

impl WatchCache {
    /// An empty cache keeping at most `capacity` events, reading objects with `transformer`.
    pub fn new(capacity: usize, transformer: Transformer) -> Self {
        WatchCache {
            ready: false,
            revision: 0,
            evicted_through: 0,
            objects: BTreeMap::new(),
            window: VecDeque::new(),
            capacity: capacity.max(1),
            transformer,
        }
    }

    /// Whether the initial list has been loaded.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Marks the cache stale (its storage watch lost continuity): nothing is served from it
    /// until the next [`WatchCache::reset`].
    pub fn invalidate(&mut self) {
        self.ready = false;
    }

    /// The revision the cache reflects.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Loads the initial state listed at `revision`.
    pub fn reset(&mut self, revision: i64, kvs: &[KeyValue]) {
        self.objects.clear();
        self.window.clear();
        for kv in kvs {
            if let Some(v) = decode_cached(&self.transformer, kv) {
                self.objects.insert(Arc::from(kv.key.as_slice()), Arc::new(v));
            }
        }
        self.revision = revision;
        self.evicted_through = revision;
        self.ready = true;
    }

    /// Applies storage events in revision order and returns them decoded.
    pub fn apply(&mut self, events: &[StorageEvent]) -> Vec<CacheEvent> {
        let mut out = Vec::with_capacity(events.len());
        for ev in events {
            if ev.kv.mod_revision <= self.revision {
                // Already seen (a watch resumed from an earlier revision).
                continue;
            }
            let key: Arc<[u8]> = Arc::from(ev.kv.key.as_slice());
            let prev = self.objects.get(&key).cloned();
            let ce = match ev.kind {
                EventKind::Put => {
                    let Some(obj) = decode_cached(&self.transformer, &ev.kv) else {
                        continue;
                    };
                    let obj = Arc::new(obj);
                    self.objects.insert(key.clone(), obj.clone());
                    let kind = if prev.is_some() {
                        EventType::Modified
                    } else {
                        EventType::Added
                    };
                    CacheEvent {
                        revision: ev.kv.mod_revision,
                        key,
                        kind,
                        object: obj,
                        prev,
                    }
                }
                EventKind::Delete => {
                    self.objects.remove(&key);
                    let Some(last) = prev.clone() else { continue };
                    let mut obj = (*last).clone();
                    crate::api::set_meta(
                        &mut obj,
                        "resourceVersion",
                        Value::String(ev.kv.mod_revision.to_string()),
                    );
                    CacheEvent {
                        revision: ev.kv.mod_revision,
                        key,
                        kind: EventType::Deleted,
                        object: Arc::new(obj),
                        prev,
                    }
                }
            };
            self.revision = ce.revision;
            self.window.push_back(ce.clone());
            while self.window.len() > self.capacity {
                if let Some(old) = self.window.pop_front() {
                    self.evicted_through = old.revision;
                }
            }
            out.push(ce);
        }
        out
    }

    /// Notes that storage has reached `revision` with no change under the prefix.
    pub fn progress(&mut self, revision: i64) {
        self.revision = self.revision.max(revision);
    }

    /// The current object at `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Arc<Value>> {
        self.objects.get(key)
    }

    /// Current objects whose key starts with `prefix`, in key order.
    pub fn list<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a Arc<[u8]>, &'a Arc<Value>)> + 'a {
        self.objects
            .range::<[u8], _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// Events after `revision`, or [`TooOld`] when the window no longer reaches back there.
    pub fn since(&self, revision: i64) -> Result<impl Iterator<Item = &CacheEvent>, TooOld> {
        if revision < self.evicted_through {
            return Err(TooOld {
                oldest: self.evicted_through + 1,
            });
        }
        Ok(self.window.iter().filter(move |e| e.revision > revision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, rev: i64, name: &str) -> StorageEvent {
        StorageEvent {
            kind: EventKind::Put,
            kv: KeyValue {
                key: key.into(),
                value: format!("{{\"metadata\":{{\"name\":\"{name}\"}}}}").into_bytes(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
            },
            prev: None,
        }
    }

    #[test]
    fn window_serves_recent_and_refuses_old() {
        let mut c = WatchCache::new(2, Transformer::default());
        c.reset(10, &[]);
        let evs = c.apply(&[put("/r/a", 11, "a"), put("/r/b", 12, "b"), put("/r/a", 13, "a")]);
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[2].kind, EventType::Modified);
        assert_eq!(evs[2].object["metadata"]["resourceVersion"], "13");
        assert_eq!(c.since(11).map(|i| i.count()), Ok(2));
        assert_eq!(c.since(10).err(), Some(TooOld { oldest: 12 }));
        assert_eq!(c.list(b"/r/").count(), 2);
    }
}
