//! Client watches: registration, initial events, fan-out from the watch cache, bookmarks and
//! timeouts.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::api::ApiError;
use crate::http::{chunk, response_head, LAST_CHUNK};
use crate::registry::list::{matches_selectors, ListOptions, RvMatch};
use crate::registry::{ResourceDef, WatchSpec};
use crate::rng::Rng;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::time::Now;
use crate::watch::{CacheEvent, EventType, WatchCache, WatchCaches};

use super::encode::{partial_metadata, to_table, Negotiated};
use super::{ConnId, Output, ReqId};

/// How often a watch that allows bookmarks gets one.
const BOOKMARK_INTERVAL_MS: u64 = 60_000;

#[derive(Debug)]
struct Watcher {
    conn: ConnId,
    def: Arc<ResourceDef>,
    prefix: Vec<u8>,
    labels: LabelSelector,
    fields: FieldSelector,
    /// The last revision this watcher has been brought up to.
    cursor: i64,
    bookmarks: bool,
    deadline_ms: u64,
    next_bookmark_ms: u64,
    table: bool,
    columns_sent: bool,
    /// Objects go out as PartialObjectMetadata of this apiVersion (`meta.k8s.io/v1`).
    partial: Option<String>,
    keep_alive: bool,
    /// Events go out as length-prefixed protobuf frames instead of JSON lines.
    protobuf: bool,
}

/// Every open client watch.
#[derive(Debug, Default)]
pub(super) struct Watchers {
    /// By the id of the request each watch is.
    by_id: BTreeMap<ReqId, Watcher>,
}

impl Watcher {
    fn matches(&self, obj: &Value) -> bool {
        matches_selectors(&self.labels, &self.fields, &self.def, obj)
    }

    fn event(&mut self, ty: &str, obj: &Value, now: Now) -> Vec<u8> {
        let object = if self.table {
            let def = &*self.def;
            let t = to_table(obj, now, !self.columns_sent, |_, _| Some(def)).unwrap_or_else(|| obj.clone());
            self.columns_sent = true;
            t
        } else if let Some(api_version) = &self.partial {
            partial_metadata(api_version, obj)
        } else {
            // In the version the client watches (the cache holds the stored form).
            crate::registry::rest::to_served(&self.def, obj.clone()).unwrap_or_else(|_| obj.clone())
        };
        frame(self.protobuf, ty, &object)
    }

    /// ADDED events for every matching object the cache holds, then (for a watch list) the
    /// bookmark that ends the initial events.
    fn snapshot(&mut self, cache: &WatchCache, watch_list: bool, now: Now) -> Vec<u8> {
        let mut bytes = Vec::new();
        let objs: Vec<Value> = cache.list(&self.prefix).map(|(_, o)| (**o).clone()).collect();
        for o in objs {
            if self.matches(&o) {
                bytes.extend(self.event("ADDED", &o, now));
            }
        }
        self.cursor = cache.revision();
        if watch_list {
            bytes.extend(self.bookmark(cache.revision(), true));
        }
        bytes
    }

    /// The cache's events after `revision` under this watcher's prefix, bringing its cursor
    /// up; the 410 a client must re-list after when the cache's window no longer reaches back
    /// that far.
    fn catch_up(&mut self, cache: &WatchCache, revision: i64, now: Now) -> Result<Vec<u8>, ApiError> {
        let events: Vec<CacheEvent> = cache
            .since(revision)
            .map_err(|too_old| {
                ApiError::expired(format!(
                    "too old resource version: {revision} ({})",
                    too_old.oldest
                ))
            })?
            .filter(|e| e.key.starts_with(&self.prefix))
            .cloned()
            .collect();
        let mut bytes = Vec::new();
        for ev in &events {
            bytes.extend(self.translate(ev, now));
        }
        self.cursor = cache.revision().max(revision);
        Ok(bytes)
    }

    /// The end of the watch's stream, as a timeout ends it: a last bookmark where asked
    /// for, then the last chunk.
    fn end(&self) -> Output {
        let mut bytes = Vec::new();
        if self.bookmarks {
            bytes.extend(self.bookmark(self.cursor, false));
        }
        bytes.extend_from_slice(LAST_CHUNK);
        Output::Write {
            conn: self.conn,
            bytes,
        }
    }

    fn bookmark(&self, rv: i64, initial_events_end: bool) -> Vec<u8> {
        let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
        if initial_events_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = match &self.partial {
            Some(api_version) => {
                json!({"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": meta})
            }
            None => json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": meta}),
        };
        frame(self.protobuf, "BOOKMARK", &obj)
    }

    /// The events this watcher sees for one change, after its selectors.
    fn translate(&mut self, ev: &CacheEvent, now: Now) -> Vec<u8> {
        let new_match = self.matches(&ev.object);
        let old_match = ev.prev.as_ref().is_some_and(|p| self.matches(p));
        let ty = match ev.kind {
            EventType::Added if new_match => "ADDED",
            EventType::Modified => match (old_match, new_match) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return Vec::new(),
            },
            EventType::Deleted if new_match || old_match => "DELETED",
            _ => return Vec::new(),
        };
        self.event(ty, &ev.object, now)
    }
}

/// One watch event as a chunk of the response: a JSON line, or a protobuf frame.
fn frame(protobuf: bool, ty: &str, object: &Value) -> Vec<u8> {
    if protobuf {
        if let Ok(bytes) = crate::codec::protobuf::encode_watch_event(ty, object) {
            return chunk(&bytes);
        }
    }
    let mut line = serde_json::to_vec(&json!({"type": ty, "object": object})).unwrap_or_default();
    line.push(b'\n');
    chunk(&line)
}

fn watch_head(table: Option<&str>, protobuf: bool) -> Vec<u8> {
    let ct = match table {
        Some(v) => format!("application/json;as=Table;v={v};g=meta.k8s.io"),
        None if protobuf => "application/vnd.kubernetes.protobuf;stream=watch".to_string(),
        None => "application/json".to_string(),
    };
    response_head(
        200,
        &[
            ("Cache-Control".into(), "no-cache, private".into()),
            ("Content-Type".into(), ct),
        ],
        None,
    )
}

fn error_event(e: &ApiError, protobuf: bool) -> Vec<u8> {
    frame(protobuf, "ERROR", &e.to_status())
}

impl Watchers {
    /// Registers a watch and writes its head and initial events. Returns false when the
    /// watch ended at once (the response is complete).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        out: &mut std::collections::VecDeque<Output>,
        cache: &WatchCache,
        id: ReqId,
        conn: ConnId,
        def: Arc<ResourceDef>,
        spec: WatchSpec,
        negotiated: Negotiated,
        keep_alive: bool,
        now: Now,
        rng: &mut Rng,
        min_timeout_s: u64,
    ) -> bool {
        let WatchSpec {
            prefix,
            opts,
            initial: read,
        } = spec;
        if !cache.is_ready() {
            out.push_back(Output::Write {
                conn,
                bytes: super::encode::error(&ApiError::unavailable("the watch cache is not ready yet")),
            });
            return false;
        }
        let ListOptions {
            labels,
            fields,
            rv,
            bookmarks,
            timeout_secs,
            send_initial_events,
            ..
        } = opts;
        let timeout_ms = match timeout_secs {
            Some(s) => s.saturating_mul(1000),
            None => {
                let base = min_timeout_s.max(1) * 1000;
                base + rng.below(base)
            }
        };
        let table_version = negotiated.table.then(|| negotiated.table_version.clone());
        let protobuf = negotiated.protobuf
            && !negotiated.table
            && (negotiated.partial.is_some()
                || crate::codec::protobuf::supports(&def.api_version(), &def.kind));
        let mut w = Watcher {
            conn,
            def,
            prefix,
            labels,
            fields,
            cursor: cache.revision(),
            bookmarks,
            deadline_ms: now.mono_ms.saturating_add(timeout_ms),
            next_bookmark_ms: now.mono_ms + BOOKMARK_INTERVAL_MS,
            table: negotiated.table,
            columns_sent: false,
            // A watch sends single objects, whichever of the two metadata forms was asked for.
            partial: negotiated
                .partial
                .as_ref()
                .map(|p| format!("meta.k8s.io/{}", p.version)),
            keep_alive,
            // Kinds without a protobuf form (and Tables) stream JSON, as kube-apiserver does.
            protobuf,
        };
        let mut bytes = watch_head(table_version.as_deref(), w.protobuf);
        let initial = send_initial_events.unwrap_or(matches!(rv, RvMatch::Latest | RvMatch::Any));
        let start_rv = match rv {
            RvMatch::NotOlderThan(n) | RvMatch::Exact(n) => Some(n),
            _ => None,
        };
        let watch_list = send_initial_events == Some(true);
        let caught_up = if let Some((revision, objects)) = read {
            // The initial state as storage had it at `revision`, ended by the bookmark that
            // names that revision: the initial events are exactly the collection at the
            // bookmark's resourceVersion. What the cache applied since (it may be ahead of the
            // read) follows as ordinary events, each newer than the bookmark.
            for o in &objects {
                if w.matches(o) {
                    bytes.extend(w.event("ADDED", o, now));
                }
            }
            w.cursor = revision;
            bytes.extend(w.bookmark(revision, true));
            Some(w.catch_up(cache, revision, now))
        } else if initial {
            // The collection as the cache has it (and, for a watch list, its bookmark).
            bytes.extend(w.snapshot(cache, watch_list, now));
            None
        } else {
            start_rv.map(|n| w.catch_up(cache, n, now))
        };
        match caught_up {
            Some(Ok(events)) => bytes.extend(events),
            Some(Err(e)) => {
                bytes.extend(error_event(&e, w.protobuf));
                bytes.extend_from_slice(LAST_CHUNK);
                out.push_back(Output::Write { conn, bytes });
                return false;
            }
            None => {}
        }
        out.push_back(Output::Write { conn, bytes });
        self.by_id.insert(id, w);
        true
    }

    /// Sends each event of one type's cache (whose keys are under `cache_prefix`) to the
    /// watchers it concerns.
    pub fn fan_out(
        &mut self,
        events: &[CacheEvent],
        out: &mut std::collections::VecDeque<Output>,
        cache_prefix: &[u8],
        now: Now,
    ) {
        for w in self
            .by_id
            .values_mut()
            .filter(|w| w.prefix.starts_with(cache_prefix))
        {
            let mut bytes = Vec::new();
            for ev in events {
                if ev.revision <= w.cursor {
                    continue;
                }
                // Planted defect (a), simulator only: the last event of a batch of several
                // (a page boundary of the storage watch) is lost.
                #[cfg(feature = "sim-bugs")]
                if crate::sim_bugs::active(crate::sim_bugs::WATCH_EVENT_DROPPED)
                    && events.len() > 1
                    && std::ptr::eq(ev, &events[events.len() - 1])
                {
                    w.cursor = ev.revision;
                    continue;
                }
                if ev.key.starts_with(&w.prefix) {
                    bytes.extend(w.translate(ev, now));
                }
                w.cursor = ev.revision;
            }
            if !bytes.is_empty() {
                out.push_back(Output::Write { conn: w.conn, bytes });
            }
        }
    }

    /// Sends due bookmarks and ends watches whose time is up. Returns the connections whose
    /// watch ended, with their keep-alive.
    pub fn tick(
        &mut self,
        out: &mut std::collections::VecDeque<Output>,
        now: Now,
        caches: &WatchCaches,
    ) -> Vec<(ReqId, ConnId, bool)> {
        let mut ended = Vec::new();
        self.by_id.retain(|id, w| {
            let cache = caches.for_key(&w.prefix);
            if cache.is_ready() {
                // Bookmarks carry how far the watcher's type has got, changes or not.
                w.cursor = w.cursor.max(cache.revision());
            }
            if now.mono_ms >= w.deadline_ms {
                out.push_back(w.end());
                ended.push((*id, w.conn, w.keep_alive));
                return false;
            }
            if w.bookmarks && now.mono_ms >= w.next_bookmark_ms {
                out.push_back(Output::Write {
                    conn: w.conn,
                    bytes: w.bookmark(w.cursor, false),
                });
                w.next_bookmark_ms = now.mono_ms + BOOKMARK_INTERVAL_MS;
            }
            true
        });
        ended
    }

    /// Ends with 410 Expired every watch of the type whose keys are under `cache_prefix` (its
    /// cache lost continuity with storage); returns the requests ended.
    pub fn expire(
        &mut self,
        out: &mut std::collections::VecDeque<Output>,
        cache_prefix: &[u8],
        rev: i64,
    ) -> Vec<ReqId> {
        let (gone, kept) = std::mem::take(&mut self.by_id)
            .into_iter()
            .partition(|(_, w)| w.prefix.starts_with(cache_prefix));
        self.by_id = kept;
        let gone: BTreeMap<ReqId, Watcher> = gone;
        let ended = gone.keys().copied().collect();
        for w in gone.into_values() {
            let e = ApiError::expired(format!("too old resource version: {} ({})", w.cursor, rev + 1));
            let mut bytes = error_event(&e, w.protobuf);
            bytes.extend_from_slice(LAST_CHUNK);
            out.push_back(Output::Write { conn: w.conn, bytes });
            out.push_back(Output::Close { conn: w.conn });
        }
        ended
    }

    /// Ends, as a timeout ends them, the watches of a resource no longer served (kube closes
    /// the watches of a custom resource whose definition goes); returns them as
    /// [`Watchers::tick`] does.
    pub fn end_resource(
        &mut self,
        out: &mut std::collections::VecDeque<Output>,
        def: &ResourceDef,
    ) -> Vec<(ReqId, ConnId, bool)> {
        let mut ended = Vec::new();
        self.by_id.retain(|id, w| {
            if !w.def.same(def) {
                return true;
            }
            out.push_back(w.end());
            ended.push((*id, w.conn, w.keep_alive));
            false
        });
        ended
    }

    /// Drops the watches of a closed connection.
    pub fn remove_conn(&mut self, conn: ConnId) {
        self.by_id.retain(|_, w| w.conn != conn);
    }

    /// Whether `conn` is serving a watch.
    pub fn has_conn(&self, conn: ConnId) -> bool {
        self.by_id.values().any(|w| w.conn == conn)
    }

    /// The earliest bookmark or timeout.
    pub fn next_deadline(&self) -> Option<u64> {
        self.by_id
            .values()
            .map(|w| {
                if w.bookmarks {
                    w.deadline_ms.min(w.next_bookmark_ms)
                } else {
                    w.deadline_ms
                }
            })
            .min()
    }
}
