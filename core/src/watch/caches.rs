//! One watch cache per resource type, as kube-apiserver keeps one cacher per resource: each is
//! filled from its own list and fed by its own storage watch over its own key prefix, so a busy
//! type cannot push a quiet one's events out of its window, and a broken watch of one type
//! re-lists that type only. Types come and go with the served resources: a new type gets a
//! cache and a watch of its own; a removed type's cache is retired (emptied, its id kept so
//! that ids stay stable, and reused if the type comes back).

use crate::storage::{Transformer, WatchId};

use super::WatchCache;

/// The cache of one resource type.
#[derive(Debug)]
struct Entry {
    /// `<storage prefix>/<storage path>/`, e.g. `/registry/services/specs/`.
    prefix: Vec<u8>,
    cache: WatchCache,
    /// No served resource is stored here any more: the cache is empty and never ready, and
    /// what its storage watch still delivers is dropped.
    retired: bool,
}

/// A resource type to cache.
#[derive(Clone, Debug)]
pub struct CachedType {
    /// Its name as `--watch-cache-sizes` spells it: `resource` for the core group,
    /// `resource.group` otherwise.
    pub name: String,
    /// Where its objects are stored, under the storage prefix (`services/specs`).
    pub storage_path: String,
}

/// Every resource type's watch cache, indexed by the [`WatchId`] of its storage watch.
#[derive(Debug)]
pub struct WatchCaches {
    entries: Vec<Entry>,
    /// Answers for a key no type covers: never ready, so callers read storage instead.
    none: WatchCache,
    window: usize,
    sizes: Vec<(String, usize)>,
    transformer: Transformer,
    storage_prefix: String,
}

impl WatchCaches {
    /// A cache for each distinct storage path of `types`, keeping `window` recent events
    /// each, or the size `sizes` gives the type by its name, and reading objects with
    /// `transformer`.
    pub fn new(
        storage_prefix: &str,
        types: impl IntoIterator<Item = CachedType>,
        window: usize,
        sizes: &[(String, usize)],
        transformer: &Transformer,
    ) -> Self {
        let mut caches = WatchCaches {
            entries: Vec::new(),
            none: WatchCache::new(1, transformer.clone()),
            window,
            sizes: sizes.to_vec(),
            transformer: transformer.clone(),
            storage_prefix: storage_prefix.to_string(),
        };
        for t in types {
            caches.add(&t);
        }
        caches
    }

    /// Caches type `t` from now on: its id, and whether the cache is new (not yet filled:
    /// the caller lists its objects and starts its watch). A type stored where another is
    /// already cached shares that cache.
    pub fn add(&mut self, t: &CachedType) -> (WatchId, bool) {
        let prefix = format!("{}/{}/", self.storage_prefix, t.storage_path).into_bytes();
        let size = self
            .sizes
            .iter()
            .find(|(n, _)| *n == t.name)
            .map_or(self.window, |(_, s)| *s);
        match self.entries.iter().position(|e| e.prefix == prefix) {
            Some(i) if self.entries[i].retired => {
                let e = &mut self.entries[i];
                e.retired = false;
                e.cache = WatchCache::new(size, self.transformer.clone());
                (WatchId(i as u32), true)
            }
            Some(i) => (WatchId(i as u32), false),
            None => {
                self.entries.push(Entry {
                    prefix,
                    cache: WatchCache::new(size, self.transformer.clone()),
                    retired: false,
                });
                (WatchId(self.entries.len() as u32 - 1), true)
            }
        }
    }

    /// Stops caching the objects under `storage_path`: the cache's id, if it was cached.
    pub fn retire(&mut self, storage_path: &str) -> Option<WatchId> {
        let prefix = format!("{}/{storage_path}/", self.storage_prefix).into_bytes();
        let i = self
            .entries
            .iter()
            .position(|e| e.prefix == prefix && !e.retired)?;
        let e = &mut self.entries[i];
        e.retired = true;
        e.cache = WatchCache::new(1, self.transformer.clone());
        Some(WatchId(i as u32))
    }

    /// The ids and key prefixes of every type's watch.
    pub fn watches(&self) -> impl Iterator<Item = (WatchId, &[u8])> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.retired)
            .map(|(i, e)| (WatchId(i as u32), e.prefix.as_slice()))
    }

    /// The watch whose prefix covers `key`.
    pub fn id_for_key(&self, key: &[u8]) -> Option<WatchId> {
        self.entries
            .iter()
            .position(|e| !e.retired && key.starts_with(&e.prefix))
            .map(|i| WatchId(i as u32))
    }

    /// The key prefix of a watch.
    pub fn prefix(&self, id: WatchId) -> Option<&[u8]> {
        self.entries
            .get(id.0 as usize)
            .filter(|e| !e.retired)
            .map(|e| e.prefix.as_slice())
    }

    /// The cache of a watch.
    pub fn get(&self, id: WatchId) -> Option<&WatchCache> {
        self.entries
            .get(id.0 as usize)
            .filter(|e| !e.retired)
            .map(|e| &e.cache)
    }

    /// The cache of a watch, to feed it.
    pub fn get_mut(&mut self, id: WatchId) -> Option<&mut WatchCache> {
        self.entries
            .get_mut(id.0 as usize)
            .filter(|e| !e.retired)
            .map(|e| &mut e.cache)
    }

    /// The cache holding `key` (a never-ready empty cache when no type covers it).
    pub fn for_key(&self, key: &[u8]) -> &WatchCache {
        self.id_for_key(key)
            .and_then(|id| self.get(id))
            .unwrap_or(&self.none)
    }

    /// Every cache, in watch id order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (WatchId, &mut WatchCache)> + '_ {
        self.entries
            .iter_mut()
            .enumerate()
            .filter(|(_, e)| !e.retired)
            .map(|(i, e)| (WatchId(i as u32), &mut e.cache))
    }

    /// Whether every cache holds its initial list.
    pub fn all_ready(&self) -> bool {
        self.entries.iter().all(|e| e.retired || e.cache.is_ready())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::builtin;

    #[test]
    fn one_cache_per_storage_path_found_by_key() {
        let types = builtin()
            .iter()
            .filter(|d| d.is_stored())
            .map(|d| d.cached_type());
        let c = WatchCaches::new(
            "/registry",
            types,
            100,
            &[("configmaps".into(), 7)],
            &Transformer::default(),
        );
        let svc = c
            .id_for_key(b"/registry/services/specs/default/kubernetes")
            .unwrap();
        let ep = c
            .id_for_key(b"/registry/services/endpoints/default/kubernetes")
            .unwrap();
        assert_ne!(svc, ep);
        assert_eq!(c.prefix(svc), Some(&b"/registry/services/specs/"[..]));
        assert!(c.id_for_key(b"/registry/bindings/x").is_none());
        assert!(c.id_for_key(b"compact_rev_key").is_none());
        assert!(!c.for_key(b"/elsewhere").is_ready());
        // Each prefix appears once.
        let prefixes: Vec<&[u8]> = c.watches().map(|(_, p)| p).collect();
        let mut dedup = prefixes.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), prefixes.len());
        assert!(!c.all_ready());
    }
}
