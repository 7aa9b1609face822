//! The simulated etcd-shaped store: [`MemStore`] behind injected faults, watch streams (one
//! per watch of each replica, each over its own key prefix), and the ground truth every
//! checker compares against.
//!
//! Faults: latency, failed operations ([`StorageError::Unavailable`]), timed-out operations
//! ([`StorageError::Timeout`]), among them writes that were applied but whose answer was lost,
//! watch streams that break and must be resumed, compaction, and restarts (a pause during
//! which every operation fails while committed data is kept).
//!
//! Watch events of a write travel on the streams covering its keys, each with a lag of its
//! own; the harness delivers a replica's events before the answer of any write that replica
//! issued, so the core's contract (events no later than the answer) always holds, while other
//! replicas, and other watches, may see the write later (watch lag).

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use gatehouse_core::storage::{
    prefix_end, EventKind, KeyValue, MemStore, StorageError, StorageEvent, StorageRequest, StorageResponse,
};

use super::rng::SimRng;

/// Fault and latency settings of the store.
#[derive(Clone, Debug)]
pub struct StoreFaults {
    /// Latency of a request on its way in and of its answer on its way out, in ms.
    pub latency_ms: (u64, u64),
    /// Chance that a request fails with `Unavailable` (not applied).
    pub unavailable: f64,
    /// Chance that a request times out without being applied.
    pub timeout_lost: f64,
    /// Chance that a write is applied but its answer is lost (`Timeout`).
    pub timeout_applied: f64,
    /// Chance that an answer is very slow (beyond the server's request timeout).
    pub slow: f64,
    /// How slow a slow answer is, in ms.
    pub slow_ms: (u64, u64),
    /// Largest lag of watch events on a stream, in ms.
    pub watch_lag_ms: u64,
    /// Chance that a list of the whole keyspace (what a replica reads to fill its watch
    /// cache) is slow: it is the heaviest request a store serves.
    pub slow_full_list: f64,
}

impl StoreFaults {
    /// No faults at all, small latencies (quiescence and set-up).
    pub fn calm() -> Self {
        StoreFaults {
            latency_ms: (1, 3),
            unavailable: 0.0,
            timeout_lost: 0.0,
            timeout_applied: 0.0,
            slow: 0.0,
            slow_ms: (0, 0),
            watch_lag_ms: 5,
            slow_full_list: 0.0,
        }
    }
}

/// One write transaction as the store committed it.
#[derive(Clone, Debug)]
pub struct Commit {
    /// Its revision.
    pub revision: i64,
    /// Virtual time of the commit.
    pub at_ms: u64,
    /// Its events, in key order of the transaction.
    pub events: Vec<StorageEvent>,
}

/// One state of one key: its value from `revision` on, or `None` once deleted.
#[derive(Clone, Debug)]
pub struct Version {
    /// Revision the state began at.
    pub revision: i64,
    /// The stored value, `None` after a delete.
    pub kv: Option<KeyValue>,
}

/// Everything the store ever committed, never compacted.
#[derive(Debug)]
pub struct Truth {
    /// Commits in revision order.
    pub commits: Vec<Commit>,
    by_key: BTreeMap<Vec<u8>, Vec<Version>>,
    /// A second store that runs every committed write and is never compacted: ranges at any
    /// past revision come from it.
    shadow: RefCell<MemStore>,
}

impl Default for Truth {
    fn default() -> Self {
        Truth {
            commits: Vec::new(),
            by_key: BTreeMap::new(),
            shadow: RefCell::new(MemStore::new()),
        }
    }
}

impl Truth {
    /// The revision of the last commit.
    pub fn revision(&self) -> i64 {
        self.shadow.borrow().revision()
    }

    fn record(&mut self, at_ms: u64, req: &StorageRequest, events: Vec<StorageEvent>) -> Result<i64, String> {
        let mut shadow = self.shadow.borrow_mut();
        let before = shadow.revision();
        let answer = shadow.execute(req);
        let after = shadow.revision();
        let shadow_events = shadow.take_events();
        let _ = shadow.take_wal();
        drop(shadow);
        if shadow_events != events {
            return Err(format!(
                "the never-compacted copy of the store disagrees: {answer:?} at {before}..{after}"
            ));
        }
        if events.is_empty() {
            return Ok(after);
        }
        let revision = events[0].kv.mod_revision;
        for ev in &events {
            let kv = match ev.kind {
                EventKind::Put => Some(ev.kv.clone()),
                EventKind::Delete => None,
            };
            self.by_key
                .entry(ev.kv.key.clone())
                .or_default()
                .push(Version { revision, kv });
        }
        self.commits.push(Commit {
            revision,
            at_ms,
            events,
        });
        Ok(revision)
    }

    /// Every state `key` went through, in order.
    pub fn history(&self, key: &[u8]) -> &[Version] {
        self.by_key.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Keys with a history, in key order.
    pub fn keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.by_key.keys()
    }

    /// The value of `key` at `revision` (`None`: absent).
    pub fn at(&self, key: &[u8], revision: i64) -> Option<&KeyValue> {
        self.history(key)
            .iter()
            .rev()
            .find(|v| v.revision <= revision)
            .and_then(|v| v.kv.as_ref())
    }

    /// The states (modify revision, or `None` for absent) `key` had at some revision within
    /// `lo..=hi`.
    pub fn states_between(&self, key: &[u8], lo: i64, hi: i64) -> Vec<Option<i64>> {
        let mut out = vec![self.at(key, lo).map(|kv| kv.mod_revision)];
        for v in self.history(key) {
            if v.revision > lo && v.revision <= hi {
                out.push(v.kv.as_ref().map(|kv| kv.mod_revision));
            }
        }
        out
    }

    /// The commit at `revision`.
    pub fn commit(&self, revision: i64) -> Option<&Commit> {
        self.commits
            .binary_search_by_key(&revision, |c| c.revision)
            .ok()
            .and_then(|i| self.commits.get(i))
    }

    /// Events on keys under `prefix` with revision above `after`, in order.
    pub fn events_under<'a>(
        &'a self,
        prefix: &'a [u8],
        after: i64,
    ) -> impl Iterator<Item = &'a StorageEvent> + 'a {
        let start = self.commits.partition_point(|c| c.revision <= after);
        self.commits[start..]
            .iter()
            .flat_map(|c| c.events.iter())
            .filter(move |e| e.kv.key.starts_with(prefix))
    }

    /// The keys under `prefix` at `revision`, as the store's range answers them.
    pub fn range(&self, prefix: &[u8], revision: i64) -> Result<Vec<KeyValue>, StorageError> {
        let req = StorageRequest::Range {
            key: prefix.to_vec(),
            range_end: prefix_end(prefix),
            revision,
            limit: 0,
        };
        match self.shadow.borrow_mut().execute(&req)? {
            StorageResponse::Range { kvs, .. } => Ok(kvs),
            _ => Ok(Vec::new()),
        }
    }
}

/// The state of a storage watch's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamState {
    /// Asked for, not started yet.
    Off,
    /// Broken; the replica has been or will be told.
    Broken,
    /// Delivering events.
    Active,
}

/// Names one stream: the replica, and its watch (the core's watch id on the direct path, the
/// session's stream id through the simulated etcd).
pub type StreamKey = (usize, u64);

/// A batch of events on its way to a replica.
#[derive(Debug)]
struct Batch {
    at_ms: u64,
    /// The lowest revision it carries (or `through`, when it carries none).
    min_rev: i64,
    events: Vec<StorageEvent>,
    /// Once it is delivered, every event of the stream up to this revision is.
    through: i64,
    /// A progress notification instead of events (simulated etcd only).
    progress: bool,
}

/// What a stream carries (the simulated etcd's view).
#[derive(Debug)]
pub enum Item {
    /// Events of one or more writes, in revision order.
    Events(Vec<StorageEvent>),
    /// Everything up to this revision has been sent.
    Progress(i64),
}

/// One storage watch of one replica.
#[derive(Debug)]
pub struct Stream {
    /// Whether it delivers.
    pub state: StreamState,
    /// The watched keys' prefix.
    pub prefix: Vec<u8>,
    queue: VecDeque<Batch>,
    last_at_ms: u64,
    /// Every event under the prefix up to this revision has reached the replica.
    pub delivered: i64,
    /// Which asking made it (a later one replaces it).
    pub generation: u64,
}

impl Stream {
    fn covers(&self, key: &[u8]) -> bool {
        key.starts_with(&self.prefix)
    }
}

/// What became of one request.
#[derive(Debug)]
pub struct Executed {
    /// The answer the replica gets.
    pub result: Result<StorageResponse, StorageError>,
    /// The revision this request wrote, when it wrote.
    pub wrote: Option<i64>,
    /// How long the answer takes back, in ms.
    pub answer_ms: u64,
    /// The fault injected, for the trace.
    pub fault: &'static str,
}

/// The simulated store.
#[derive(Debug)]
pub struct SimStore {
    real: MemStore,
    /// Everything ever committed.
    pub truth: Truth,
    /// While paused (a restart), every request fails with `Unavailable`.
    pub paused: bool,
    /// Fault settings.
    pub faults: StoreFaults,
    /// The streams, by replica and watch.
    pub streams: BTreeMap<StreamKey, Stream>,
    generations: u64,
    /// Times at which a replica's stream has a batch due (for the harness to schedule).
    pub wakeups: Vec<(u64, usize)>,
    /// An internal inconsistency of the simulator's store copies.
    pub broken: Option<String>,
    /// Known bugs whose scenarios run too (mask of `harness::known` bits).
    known_bugs: u8,
}

impl SimStore {
    /// An empty store.
    pub fn new(faults: StoreFaults, known_bugs: u8) -> Self {
        SimStore {
            real: MemStore::new(),
            truth: Truth::default(),
            paused: false,
            faults,
            streams: BTreeMap::new(),
            generations: 0,
            wakeups: Vec::new(),
            broken: None,
            known_bugs,
        }
    }

    /// The store's revision.
    pub fn revision(&self) -> i64 {
        self.real.revision()
    }

    /// The compaction point.
    pub fn compact_revision(&self) -> i64 {
        self.real.compact_revision()
    }

    /// One latency draw.
    pub fn latency(&self, rng: &mut SimRng) -> u64 {
        rng.between(self.faults.latency_ms.0, self.faults.latency_ms.1)
    }

    /// Runs a request that reached the store at `now_ms`, with faults.
    pub fn execute(&mut self, now_ms: u64, req: &StorageRequest, rng: &mut SimRng) -> Executed {
        let mut answer_ms = self.latency(rng);
        if rng.chance(self.faults.slow) {
            answer_ms += rng.between(self.faults.slow_ms.0, self.faults.slow_ms.1);
        }
        if let StorageRequest::Range { key, limit: 0, .. } = req {
            if key.iter().filter(|b| **b == b'/').count() <= 2 && rng.chance(self.faults.slow_full_list) {
                answer_ms += rng.between(300, 3_000);
            }
        }
        if self.paused {
            return Executed {
                result: Err(StorageError::Unavailable("store restarting".into())),
                wrote: None,
                answer_ms,
                fault: "paused",
            };
        }
        if rng.chance(self.faults.unavailable) {
            return Executed {
                result: Err(StorageError::Unavailable("injected failure".into())),
                wrote: None,
                answer_ms,
                fault: "unavailable",
            };
        }
        if rng.chance(self.faults.timeout_lost) {
            return Executed {
                result: Err(StorageError::Timeout),
                wrote: None,
                answer_ms,
                fault: "timeout-not-applied",
            };
        }
        let lose_answer =
            matches!(req, StorageRequest::Txn { .. }) && rng.chance(self.faults.timeout_applied);
        let (result, wrote) = self.apply(now_ms, req, rng);
        if lose_answer {
            return Executed {
                result: Err(StorageError::Timeout),
                wrote,
                answer_ms,
                fault: if wrote.is_some() {
                    "timeout-after-apply"
                } else {
                    "timeout-answer-lost"
                },
            };
        }
        Executed {
            result,
            wrote,
            answer_ms,
            fault: "",
        }
    }

    /// Runs a request without faults: records what it wrote and sends its events down every
    /// active stream. Returns the answer and the revision written, if any.
    pub fn apply(
        &mut self,
        now_ms: u64,
        req: &StorageRequest,
        rng: &mut SimRng,
    ) -> (Result<StorageResponse, StorageError>, Option<i64>) {
        let before = self.real.revision();
        let result = self.real.execute(req);
        let events = self.real.take_events();
        let _ = self.real.take_wal();
        let wrote = if events.is_empty() {
            None
        } else {
            let revision = events[0].kv.mod_revision;
            let keys: Vec<StreamKey> = self.streams.keys().copied().collect();
            for k in keys {
                self.push_live(k, now_ms, revision, &events, rng);
            }
            match self.truth.record(now_ms, req, events) {
                Ok(rev) => Some(rev),
                Err(e) => {
                    self.broken.get_or_insert(e);
                    None
                }
            }
        };
        if wrote.is_none() && self.real.revision() != before {
            self.broken
                .get_or_insert_with(|| "the store's revision moved without events".into());
        }
        (result, wrote)
    }

    /// Sends the events of the write at `revision` the stream covers down it; a write it
    /// does not cover moves it on (once what is queued before has arrived).
    fn push_live(
        &mut self,
        k: StreamKey,
        now_ms: u64,
        revision: i64,
        events: &[StorageEvent],
        rng: &mut SimRng,
    ) {
        let Some(stream) = self.streams.get_mut(&k) else {
            return;
        };
        if stream.state != StreamState::Active {
            return;
        }
        let mine: Vec<StorageEvent> = events
            .iter()
            .filter(|e| stream.covers(&e.kv.key))
            .cloned()
            .collect();
        if mine.is_empty() {
            match stream.queue.back_mut() {
                Some(b) => b.through = b.through.max(revision),
                None => stream.delivered = stream.delivered.max(revision),
            }
            return;
        }
        let lag = rng.below(self.faults.watch_lag_ms + 1);
        self.enqueue(k, now_ms + lag, mine, revision, false);
    }

    fn enqueue(&mut self, k: StreamKey, at_ms: u64, events: Vec<StorageEvent>, through: i64, progress: bool) {
        let Some(stream) = self.streams.get_mut(&k) else {
            return;
        };
        let at_ms = at_ms.max(stream.last_at_ms);
        stream.last_at_ms = at_ms;
        let min_rev = match (progress, events.iter().map(|e| e.kv.mod_revision).min()) {
            (true, _) => i64::MAX,
            (false, Some(m)) => m,
            (false, None) => through,
        };
        stream.queue.push_back(Batch {
            at_ms,
            min_rev,
            events,
            through,
            progress,
        });
        self.wakeups.push((at_ms, k.0));
    }

    /// Queues a progress notification on stream `k` behind every event queued so far: it
    /// carries the store's revision, all of whose events are ahead of it.
    pub fn enqueue_progress(&mut self, k: StreamKey, now_ms: u64, rng: &mut SimRng) {
        if self
            .streams
            .get(&k)
            .is_none_or(|s| s.state != StreamState::Active)
        {
            return;
        }
        let lag = rng.below(self.faults.watch_lag_ms + 1);
        let revision = self.real.revision();
        self.enqueue(k, now_ms + lag, Vec::new(), revision, true);
    }

    /// Replica `r`'s streams, in order.
    pub fn streams_of(&self, r: usize) -> impl Iterator<Item = (&StreamKey, &Stream)> {
        self.streams.range((r, 0)..=(r, u64::MAX))
    }

    fn keys_of(&self, r: usize) -> Vec<StreamKey> {
        self.streams_of(r).map(|(k, _)| *k).collect()
    }

    /// What is due on replica `r`'s streams at `now_ms`, by stream, in order.
    pub fn due_items(&mut self, r: usize, now_ms: u64) -> Vec<(u64, Vec<Item>)> {
        let mut out = Vec::new();
        for k in self.keys_of(r) {
            let Some(stream) = self.streams.get_mut(&k) else {
                continue;
            };
            let mut items = Vec::new();
            while stream.queue.front().is_some_and(|b| b.at_ms <= now_ms) {
                if let Some(b) = stream.queue.pop_front() {
                    stream.delivered = stream.delivered.max(b.through);
                    if b.progress {
                        items.push(Item::Progress(b.through));
                    } else {
                        items.push(Item::Events(b.events));
                    }
                }
            }
            if !items.is_empty() {
                out.push((k.1, items));
            }
        }
        out
    }

    /// The key-value of `key` now, if present.
    pub fn get(&mut self, key: &[u8]) -> Option<KeyValue> {
        let req = StorageRequest::Range {
            key: key.to_vec(),
            range_end: Vec::new(),
            revision: 0,
            limit: 0,
        };
        match self.real.execute(&req) {
            Ok(StorageResponse::Range { kvs, .. }) => kvs.into_iter().next(),
            _ => None,
        }
    }

    /// Asks for stream `k` over the keys under `prefix` after `from`, replacing the one it
    /// had: it starts once [`SimStore::start_watch`] runs. Returns the stream's generation.
    pub fn ask_watch(&mut self, k: StreamKey, prefix: &[u8], from: i64) -> u64 {
        self.generations += 1;
        self.streams.insert(
            k,
            Stream {
                state: StreamState::Off,
                prefix: prefix.to_vec(),
                queue: VecDeque::new(),
                last_at_ms: 0,
                delivered: from,
                generation: self.generations,
            },
        );
        self.generations
    }

    /// Starts (or restarts) stream `k` after `from` (exclusive), asking for it first when
    /// it was not. `Ok` with the number of events to catch up on, scheduled; `Err(true)`
    /// when `from` is compacted, `Err(false)` when the store is down.
    pub fn start_watch(
        &mut self,
        k: StreamKey,
        prefix: &[u8],
        from: i64,
        now_ms: u64,
        rng: &mut SimRng,
    ) -> Result<usize, bool> {
        if !self.streams.contains_key(&k) {
            self.ask_watch(k, prefix, from);
        }
        if self.paused {
            return Err(false);
        }
        // fixed bug: `MemStore` once resumed a watch at exactly its compaction revision,
        // whose own deletes compaction may drop (etcd-io/etcd#18089 is the same defect); it now
        // answers such a resume as compacted. Leaving `compaction-tombstone` out of
        // `SIM_KNOWN_BUGS` makes the simulated store refuse that resume point itself.
        let compact = self.real.compact_revision();
        if self.known_bugs & super::harness::known::COMPACTION_TOMBSTONE == 0
            && from + 1 == compact
            && self
                .truth
                .commit(compact)
                .is_some_and(|c| c.events.iter().any(|e| e.kind == EventKind::Delete))
        {
            return Err(true);
        }
        let events = match self.real.events_after(from) {
            Ok(e) => e,
            Err(StorageError::Compacted { .. }) => return Err(true),
            Err(_) => return Err(false),
        };
        let revision = self.real.revision();
        let Some(stream) = self.streams.get_mut(&k) else {
            return Err(false);
        };
        let events: Vec<StorageEvent> = events.into_iter().filter(|e| stream.covers(&e.kv.key)).collect();
        let n = events.len();
        stream.state = StreamState::Active;
        stream.queue.clear();
        let lag = rng.below(self.faults.watch_lag_ms + 1);
        // Even with nothing to catch up on, the stream is at the store's revision only once
        // this batch arrives.
        self.enqueue(k, now_ms + lag, events, revision, false);
        Ok(n)
    }

    /// Breaks stream `k`: events on their way are lost.
    pub fn break_watch(&mut self, k: StreamKey) {
        if let Some(stream) = self.streams.get_mut(&k) {
            stream.state = StreamState::Broken;
            stream.queue.clear();
        }
    }

    /// Closes stream `k` for good.
    pub fn close_watch(&mut self, k: StreamKey) {
        self.streams.remove(&k);
    }

    /// Forgets every stream of replica `r` (it restarted).
    pub fn forget(&mut self, r: usize) {
        for k in self.keys_of(r) {
            self.streams.remove(&k);
        }
    }

    /// The events due on replica `r`'s streams at `now_ms`, by stream.
    pub fn due(&mut self, r: usize, now_ms: u64) -> Vec<(u64, Vec<StorageEvent>)> {
        self.due_items(r, now_ms)
            .into_iter()
            .map(|(w, items)| {
                let events = items
                    .into_iter()
                    .flat_map(|i| match i {
                        Item::Events(e) => e,
                        Item::Progress(_) => Vec::new(),
                    })
                    .collect();
                (w, events)
            })
            .collect()
    }

    /// Whether stream `k` covers a key the write at `revision` wrote.
    fn covers_write(&self, k: &StreamKey, revision: i64) -> bool {
        let (Some(s), Some(c)) = (self.streams.get(k), self.truth.commit(revision)) else {
            return false;
        };
        c.events.iter().any(|e| s.covers(&e.kv.key))
    }

    /// Every queued event up to revision `rev` (and the rest of its batch) of replica `r`'s
    /// streams covering the write at `rev`, delivered early because the write's answer must
    /// not overtake them; by stream.
    pub fn flush_until(&mut self, r: usize, rev: i64) -> Vec<(u64, Vec<StorageEvent>)> {
        let mut out = Vec::new();
        for k in self.keys_of(r) {
            if !self.covers_write(&k, rev) {
                continue;
            }
            let Some(stream) = self.streams.get_mut(&k) else {
                continue;
            };
            let mut events = Vec::new();
            while stream.queue.front().is_some_and(|b| b.min_rev <= rev) {
                if let Some(b) = stream.queue.pop_front() {
                    stream.delivered = stream.delivered.max(b.through);
                    events.extend(b.events);
                }
            }
            if !events.is_empty() {
                out.push((k.1, events));
            }
        }
        out
    }

    /// Whether every stream of replica `r` covering the write at `rev` has delivered it (so
    /// the write's answer may go).
    pub fn write_delivered(&self, r: usize, rev: i64) -> bool {
        self.streams_of(r)
            .all(|(k, s)| s.delivered >= rev || !self.covers_write(k, rev))
    }

    /// Whether replica `r` has events on their way.
    pub fn has_queued(&self, r: usize) -> bool {
        self.streams_of(r).any(|(_, s)| !s.queue.is_empty())
    }

    /// Whether every stream of replica `r` is active, has delivered everything up to `rev`,
    /// and has nothing on its way.
    pub fn caught_up(&self, r: usize, rev: i64) -> bool {
        self.streams_of(r)
            .all(|(_, s)| s.state == StreamState::Active && s.queue.is_empty() && s.delivered >= rev)
    }

    /// Compacts history before `revision`.
    pub fn compact(&mut self, revision: i64) -> bool {
        let ok = self.real.execute(&StorageRequest::Compact { revision }).is_ok();
        let _ = self.real.take_wal();
        ok
    }
}
