//! The storage watches a store serves for the server: one per resource type, each over its
//! own key prefix.

use std::collections::BTreeMap;

use super::{StorageEvent, WatchId};

/// Watch ids and their key prefixes; splits a write's events among the watches they concern.
#[derive(Clone, Debug, Default)]
pub struct WatchSet {
    by_id: BTreeMap<WatchId, Vec<u8>>,
}

impl WatchSet {
    /// Starts (or replaces) watch `id` over the keys under `prefix`.
    pub fn start(&mut self, id: WatchId, prefix: Vec<u8>) {
        self.by_id.insert(id, prefix);
    }

    /// Whether no watch was started yet.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// How many watches were started.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// The prefix of watch `id`.
    pub fn prefix(&self, id: WatchId) -> Option<&[u8]> {
        self.by_id.get(&id).map(Vec::as_slice)
    }

    /// The watch over exactly `prefix`.
    pub fn id_of(&self, prefix: &[u8]) -> Option<WatchId> {
        self.by_id
            .iter()
            .find(|(_, p)| p.as_slice() == prefix)
            .map(|(id, _)| *id)
    }

    /// The events under `prefix`, in their order.
    pub fn under(prefix: &[u8], events: &[StorageEvent]) -> Vec<StorageEvent> {
        events
            .iter()
            .filter(|e| e.kv.key.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Each watch with the events it concerns (watches without any are left out), in watch
    /// id order.
    pub fn split(&self, events: &[StorageEvent]) -> Vec<(WatchId, Vec<StorageEvent>)> {
        self.by_id
            .iter()
            .map(|(id, prefix)| (*id, WatchSet::under(prefix, events)))
            .filter(|(_, evs)| !evs.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{EventKind, KeyValue};

    fn ev(key: &str, rev: i64) -> StorageEvent {
        StorageEvent {
            kind: EventKind::Put,
            kv: KeyValue {
                key: key.into(),
                value: Vec::new(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
            },
            prev: None,
        }
    }

    #[test]
    fn events_go_to_the_watch_of_their_prefix() {
        let mut w = WatchSet::default();
        assert!(w.is_empty());
        w.start(WatchId(1), b"/r/pods/".to_vec());
        w.start(WatchId(0), b"/r/configmaps/".to_vec());
        let evs = [
            ev("/r/pods/a/x", 2),
            ev("/r/configmaps/a/y", 3),
            ev("/r/pods/b/z", 4),
            ev("/r/other/q", 5),
        ];
        let split = w.split(&evs);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].0, WatchId(0));
        assert_eq!(split[0].1.len(), 1);
        assert_eq!(
            split[1].1.iter().map(|e| e.kv.mod_revision).collect::<Vec<_>>(),
            [2, 4]
        );
    }
}
