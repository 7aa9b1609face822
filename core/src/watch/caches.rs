//! One watch cache per resource type, as kube-apiserver keeps one cacher per resource: each is
//! filled from its own list and fed by its own storage watch over its own key prefix, so a busy
//! type cannot push a quiet one's events out of its window, and a broken watch of one type
//! re-lists that type only.

use crate::storage::{Transformer, WatchId};

use super::WatchCache;

/// The cache of one resource type.
#[derive(Debug)]
struct Entry {
    /// `<storage prefix>/<storage path>/`, e.g. `/registry/services/specs/`.
    prefix: Vec<u8>,
    cache: WatchCache,
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
        let mut entries: Vec<Entry> = Vec::new();
        for t in types {
            let prefix = format!("{storage_prefix}/{}/", t.storage_path).into_bytes();
            if entries.iter().any(|e| e.prefix == prefix) {
                continue;
            }
            let size = sizes
                .iter()
                .find(|(n, _)| *n == t.name)
                .map_or(window, |(_, s)| *s);
            entries.push(Entry {
                prefix,
                cache: WatchCache::new(size, transformer.clone()),
            });
        }
        WatchCaches {
            entries,
            none: WatchCache::new(1, transformer.clone()),
        }
    }

    /// The ids and key prefixes of every type's watch.
    pub fn watches(&self) -> impl Iterator<Item = (WatchId, &[u8])> + '_ {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (WatchId(i as u32), e.prefix.as_slice()))
    }

    /// The watch whose prefix covers `key`.
    pub fn id_for_key(&self, key: &[u8]) -> Option<WatchId> {
        self.entries
            .iter()
            .position(|e| key.starts_with(&e.prefix))
            .map(|i| WatchId(i as u32))
    }

    /// The key prefix of a watch.
    pub fn prefix(&self, id: WatchId) -> Option<&[u8]> {
        self.entries.get(id.0 as usize).map(|e| e.prefix.as_slice())
    }

    /// The cache of a watch.
    pub fn get(&self, id: WatchId) -> Option<&WatchCache> {
        self.entries.get(id.0 as usize).map(|e| &e.cache)
    }

    /// The cache of a watch, to feed it.
    pub fn get_mut(&mut self, id: WatchId) -> Option<&mut WatchCache> {
        self.entries.get_mut(id.0 as usize).map(|e| &mut e.cache)
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
            .map(|(i, e)| (WatchId(i as u32), &mut e.cache))
    }

    /// Whether every cache holds its initial list.
    pub fn all_ready(&self) -> bool {
        self.entries.iter().all(|e| e.cache.is_ready())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RESOURCES;

    #[test]
    fn one_cache_per_storage_path_found_by_key() {
        let types = RESOURCES
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
