//! What the clients did and saw, and the invariants checked against the store's ground truth
//! after every run.
//!
//! * **acknowledged writes are not lost**: every 2xx write is in the store's history at the
//!   resourceVersion it was answered with, with the content it was answered with (a 504 or a
//!   missing answer is "unknown": either outcome is fine);
//! * **refused writes change nothing**: a write answered 400/404/409/422/503, and every dry
//!   run, never appears in the history (each write carries a unique marker);
//! * **optimistic concurrency**: an update or delete with a resourceVersion is applied only on
//!   exactly that version; of two updates from one resourceVersion exactly one wins and the
//!   other gets 409; a 409 or 404 is only answered when the key really was in another state
//!   while the request was in flight;
//! * **linearizable reads and ordered versions**: a get returns a state the key had while the
//!   request was in flight; resourceVersions of acknowledged writes grow in real-time order;
//! * **watches**: every watcher receives the changes of its collection after its start point
//!   in order, with no gap and no duplicate (or ends with an ERROR event carrying 410); a
//!   watch still open at the end received everything; replicas agree on every key's history;
//! * **lists**: a list, and the pages of a paginated list together, return exactly the
//!   objects of one snapshot (compared with a range at that revision of a store that never
//!   compacts).
//! * **admission**: with the run's admission webhook, every committed update of a ConfigMap
//!   was admitted, in both phases, against the very version it replaced (a retry after a
//!   conflict calls the webhook again); a write the webhook's failure refused changed nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::client::{Res, MARK};
use super::store::Truth;
use gatehouse_core::storage::{EventKind, KeyValue, StorageEvent};

/// A broken invariant.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The checker that found it.
    pub check: &'static str,
    /// What happened.
    pub detail: String,
}

/// Kinds of requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// POST.
    Create,
    /// GET of one object.
    Get,
    /// PUT.
    Update,
    /// PATCH (merge).
    Patch,
    /// DELETE.
    Delete,
    /// GET of a collection.
    List,
}

/// One request and its outcome.
#[derive(Clone, Debug)]
pub struct Op {
    /// Unique id (also in the marker of a write).
    pub id: u64,
    /// The client.
    pub client: usize,
    /// The replica it went to.
    pub replica: usize,
    /// Kind.
    pub kind: OpKind,
    /// Resource.
    pub res: Res,
    /// Namespace ("" for all namespaces).
    pub ns: String,
    /// Name ("" for collections).
    pub name: String,
    /// The object's key, or the collection's prefix.
    pub key: Vec<u8>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// The resourceVersion the request requires (update/patch body, delete precondition).
    pub expect_rv: Option<i64>,
    /// The marker a write carries.
    pub marker: Option<String>,
    /// The object is invalid on purpose.
    pub invalid: bool,
    /// `limit` of a list.
    pub limit: i64,
    /// `continue` of a list page.
    pub cont: Option<String>,
    /// `resourceVersion` of a list.
    pub rv_param: Option<String>,
    /// Part of a race.
    pub race: bool,
    /// When it was sent.
    pub sent_ms: u64,
    /// The store's revision when it was sent.
    pub rev_sent: i64,
    /// When the answer came (or the client gave up).
    pub done_ms: u64,
    /// The store's revision then.
    pub rev_done: i64,
    /// HTTP status, when answered.
    pub status: Option<u16>,
    /// Why there was no answer.
    pub no_answer: Option<&'static str>,
    /// The answer's body.
    pub body: Option<Value>,
}

/// How a watch ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEnd {
    /// Still open when the run ended.
    Open,
    /// The stream ended (timeout, or after an ERROR event).
    Clean,
    /// The connection went away.
    Dropped(&'static str),
    /// Answered with an ordinary (error) response.
    Refused,
}

/// One event a watcher received.
#[derive(Clone, Debug)]
pub struct WEvent {
    /// ADDED, MODIFIED, DELETED, ERROR.
    pub ty: String,
    /// Storage key of the object.
    pub key: Vec<u8>,
    /// Its resourceVersion (-1 when none).
    pub rev: i64,
    /// The object.
    pub object: Value,
}

/// One watch request and what it received.
#[derive(Clone, Debug)]
pub struct WatchRec {
    /// Unique id.
    pub id: u64,
    /// The client.
    pub client: usize,
    /// The replica.
    pub replica: usize,
    /// Resource.
    pub res: Res,
    /// Namespace ("" for all).
    pub ns: String,
    /// The collection's key prefix.
    pub prefix: Vec<u8>,
    /// `resourceVersion` asked for.
    pub rv_param: String,
    /// `allowWatchBookmarks=true`.
    pub bookmarks: bool,
    /// `sendInitialEvents=true` (with `resourceVersionMatch=NotOlderThan`).
    pub send_initial: bool,
    /// A read-back of the cache at the end of the run.
    pub audit: bool,
    /// When it was sent.
    pub sent_ms: u64,
    /// The store's revision then.
    pub rev_sent: i64,
    /// Status of the response head.
    pub head: Option<u16>,
    /// Events in order.
    pub events: Vec<WEvent>,
    /// The ERROR event's Status, or the error response.
    pub error: Option<Value>,
    /// How it ended.
    pub end: WatchEnd,
    /// When it ended.
    pub done_ms: u64,
}

/// One paginated list.
#[derive(Clone, Debug)]
pub struct Pagination {
    /// Resource.
    pub res: Res,
    /// Namespace ("" for all).
    pub ns: String,
    /// Page size.
    pub limit: i64,
    /// The pages' operations, in order.
    pub pages: Vec<usize>,
    /// The last page came without a continue token.
    pub complete: bool,
    /// A page was refused with 410.
    pub expired: bool,
}

/// Two updates sent at once from the same resourceVersion.
#[derive(Clone, Debug)]
pub struct Race {
    /// First update (index into the operations).
    pub a: usize,
    /// Second update.
    pub b: usize,
    /// The key.
    pub key: Vec<u8>,
    /// The resourceVersion both started from.
    pub rv: i64,
}

/// Everything the clients did.
#[derive(Debug, Default)]
pub struct History {
    /// Requests other than watches.
    pub ops: Vec<Op>,
    /// Watches.
    pub watches: Vec<WatchRec>,
    /// Paginated lists.
    pub paginations: Vec<Pagination>,
    /// Races.
    pub races: Vec<Race>,
    /// Violations seen while running (malformed answers and the like).
    pub violations: Vec<Violation>,
    /// Whether the replicas called an admission webhook.
    pub webhook: bool,
    /// Whether its failures refuse writes (`failurePolicy: Fail`). A fail-open webhook may
    /// be left out of a write whose deadline is near, by design.
    pub webhook_fails_closed: bool,
    /// The calls it received, in order.
    pub admission_calls: Vec<super::webhook::Call>,
}

impl History {
    /// Records a violation found while running.
    pub fn violation(&mut self, check: &'static str, detail: impl Into<String>) {
        self.violations.push(Violation {
            check,
            detail: detail.into(),
        });
    }
}

/// The outcome of a request as far as its effect goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// 2xx.
    Ok,
    /// A definite failure: the request changed nothing.
    Refused(u16),
    /// 504, 500, or no answer: it may or may not have been applied.
    Unknown,
}

fn fate(op: &Op) -> Fate {
    match op.status {
        Some(s) if (200..300).contains(&s) => Fate::Ok,
        Some(s @ (400 | 403 | 404 | 405 | 409 | 410 | 415 | 422 | 503)) => Fate::Refused(s),
        // The simulated store applies nothing it answers `Unavailable`, which Gatehouse passes
        // through as a 500 without a reason (as kube-apiserver does).
        Some(500) if storage_failure(op) || webhook_failure(op) => Fate::Refused(500),
        _ => Fate::Unknown,
    }
}

/// Whether a 500 answer passes a storage failure through (a Status without a reason).
fn storage_failure(op: &Op) -> bool {
    op.status == Some(500)
        && op
            .body
            .as_ref()
            .is_some_and(|b| b.get("reason").is_none_or(|r| r.as_str() == Some("")))
}

/// Whether a 500 answer is a write refused because its admission webhook failed
/// (`failurePolicy: Fail`).
fn webhook_failure(op: &Op) -> bool {
    let want = format!("failed calling webhook \"{}\"", super::webhook::NAME);
    op.status == Some(500)
        && op
            .body
            .as_ref()
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("Internal error occurred: ") && m.contains(&want))
}

fn key_str(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// An object without the fields that legitimately differ between the stored bytes and the
/// answers: `kind`/`apiVersion` (absent on list items) and `resourceVersion`.
pub fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.shift_remove("kind");
        m.shift_remove("apiVersion");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.shift_remove("resourceVersion");
            meta.shift_remove("selfLink");
        }
    }
    v
}

fn stored(kv: &KeyValue) -> Value {
    serde_json::from_slice::<Value>(&kv.value)
        .map(|v| normalize(&v))
        .unwrap_or(Value::Null)
}

fn marker_of(v: &Value) -> Option<&str> {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(MARK))
        .and_then(Value::as_str)
}

fn rv_of(v: &Value) -> Option<i64> {
    super::client::rv_of(v)
}

fn is_workload_key(k: &[u8]) -> bool {
    let s = key_str(k);
    Res::WORKLOAD
        .iter()
        .chain(std::iter::once(&Res::Namespaces))
        .any(|r| s.starts_with(&key_str(&r.prefix(""))) && s.contains("/sim-"))
}

struct Ctx<'a> {
    h: &'a History,
    truth: &'a Truth,
    out: Vec<Violation>,
}

impl Ctx<'_> {
    fn fail(&mut self, check: &'static str, detail: String) {
        self.out.push(Violation { check, detail });
    }
}

fn describe(op: &Op) -> String {
    format!(
        "op {} ({:?}{} {} via r{}, client {}, sent at {} ms / rev {}, answered {} at {} ms / rev {})",
        op.id,
        op.kind,
        if op.dry_run { " dry-run" } else { "" },
        key_str(&op.key),
        op.replica,
        op.client,
        op.sent_ms,
        op.rev_sent,
        op.status
            .map(|s| s.to_string())
            .unwrap_or_else(|| op.no_answer.unwrap_or("nothing").to_string()),
        op.done_ms,
        op.rev_done
    )
}

/// Runs every checker. `complete`: the run reached its end (quiet and audited), so open
/// watches must have received everything.
pub fn check_all(h: &History, truth: &Truth, complete: bool) -> Vec<Violation> {
    let mut c = Ctx {
        h,
        truth,
        out: Vec::new(),
    };
    check_statuses(&mut c);
    check_answers(&mut c);
    check_writes(&mut c);
    check_reads(&mut c);
    check_order(&mut c);
    check_races(&mut c);
    check_lists(&mut c);
    check_watches(&mut c, complete);
    check_replicas_agree(&mut c);
    check_admission(&mut c);
    c.out
}

/// Every committed update of a ConfigMap was admitted against the version it replaced, by
/// mutating and by validating admission, when the webhook fails closed (one that fails open
/// is not called when its call would end inside the request's reserve).
fn check_admission(c: &mut Ctx<'_>) {
    use gatehouse_core::admission::Phase;
    if !c.h.webhook || !c.h.webhook_fails_closed {
        return;
    }
    let tag = |p: Phase| u8::from(p == Phase::Validating);
    let seen: BTreeSet<(u8, &[u8], i64)> =
        c.h.admission_calls
            .iter()
            .filter_map(|call| Some((tag(call.phase), call.key.as_slice(), call.old_rv?)))
            .collect();
    let prefix = format!("{}/configmaps/", super::client::PREFIX);
    let mut missing = Vec::new();
    for key in c.truth.keys().filter(|k| k.starts_with(prefix.as_bytes())) {
        for pair in c.truth.history(key).windows(2) {
            let (Some(old), Some(new)) = (&pair[0].kv, &pair[1].kv) else {
                continue;
            };
            let deleting = |kv: &KeyValue| stored(kv).pointer("/metadata/deletionTimestamp").is_some();
            if deleting(new) && !deleting(old) {
                // A graceful delete marks the object; that write is the delete's, not an update's.
                continue;
            }
            for phase in [Phase::Mutating, Phase::Validating] {
                if !seen.contains(&(tag(phase), key.as_slice(), old.mod_revision)) {
                    missing.push(format!(
                        "{} rev {} replaced rev {} which {phase:?} admission never saw",
                        key_str(key),
                        new.mod_revision,
                        old.mod_revision
                    ));
                }
            }
        }
    }
    if let Some(first) = missing.first() {
        let n = missing.len();
        c.fail("admission", format!("{first} ({n} such write(s))"));
    }
}

/// Statuses a well-formed request of the workload may get.
fn check_statuses(c: &mut Ctx<'_>) {
    for op in &c.h.ops {
        let Some(s) = op.status else { continue };
        let fine = match s {
            200..=299 => !op.invalid,
            404 | 409 | 503 | 504 => true,
            500 => storage_failure(op) || (c.h.webhook && webhook_failure(op)),
            410 => op.kind == OpKind::List,
            422 => op.invalid,
            _ => false,
        };
        if !fine {
            let msg = op
                .body
                .as_ref()
                .and_then(|b| b.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("");
            c.fail("status", format!("unexpected status for {}: {msg}", describe(op)));
        }
    }
    for w in &c.h.watches {
        if let Some(s) = w.head {
            if s != 200 && s != 500 && s != 503 && s != 504 {
                c.fail(
                    "status",
                    format!("watch {} on r{} answered {s}: {:?}", w.id, w.replica, w.error),
                );
            }
        }
    }
}

/// Every answer is about the request it answers (on a connection, answers come in request
/// order even when requests are pipelined).
fn check_answers(c: &mut Ctx<'_>) {
    for op in &c.h.ops {
        let (Some(s), Some(b)) = (op.status, op.body.as_ref()) else {
            continue;
        };
        let wrong = match (op.kind, (200..300).contains(&s)) {
            (OpKind::List, true) => {
                let kind = b.get("kind").and_then(Value::as_str).unwrap_or("");
                let items_ok = b.get("items").and_then(Value::as_array).is_some_and(|items| {
                    items
                        .iter()
                        .all(|i| super::client::key_of(op.res, i).starts_with(&op.key))
                });
                (!kind.ends_with("List") || !items_ok)
                    .then(|| format!("a {kind:?} with items outside the collection"))
            }
            (OpKind::List, false) => None,
            (_, true) => {
                let name = b
                    .pointer("/metadata/name")
                    .or_else(|| b.pointer("/details/name"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let ns = b.pointer("/metadata/namespace").and_then(Value::as_str);
                let ns_ok = op.res == Res::Namespaces || ns.is_none_or(|n| n == op.ns);
                (name != op.name || !ns_ok)
                    .then(|| format!("an answer about {:?}/{name:?}", ns.unwrap_or("")))
            }
            (_, false) => {
                let name = b.pointer("/details/name").and_then(Value::as_str);
                // A missing namespace is named by its own NotFound.
                name.filter(|n| *n != op.name && *n != op.ns && !op.invalid)
                    .map(|n| format!("an error about {n:?}"))
            }
        };
        if let Some(w) = wrong {
            c.fail("answer-mismatch", format!("{} got {w}", describe(op)));
        }
    }
}

/// Acknowledged writes are in the history as acknowledged; refused writes and dry runs are not.
fn check_writes(c: &mut Ctx<'_>) {
    let mut by_marker: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, op) in c.h.ops.iter().enumerate() {
        if let Some(m) = &op.marker {
            by_marker.insert(m.as_str(), i);
        }
    }
    // marker -> (revision, event)
    let mut applied: BTreeMap<&str, Vec<(i64, &StorageEvent)>> = BTreeMap::new();
    for commit in &c.truth.commits {
        for ev in &commit.events {
            if ev.kind != EventKind::Put || !is_workload_key(&ev.kv.key) {
                continue;
            }
            let v: Value = serde_json::from_slice(&ev.kv.value).unwrap_or(Value::Null);
            match marker_of(&v) {
                Some(m) => {
                    let m: &str = by_marker.get_key_value(m).map(|(k, _)| *k).unwrap_or("");
                    if m.is_empty() {
                        c.out.push(Violation {
                            check: "phantom-write",
                            detail: format!(
                                "rev {} wrote {} with a marker no request sent",
                                commit.revision,
                                key_str(&ev.kv.key)
                            ),
                        });
                        continue;
                    }
                    applied.entry(m).or_default().push((commit.revision, ev));
                }
                None => c.out.push(Violation {
                    check: "phantom-write",
                    detail: format!(
                        "rev {} wrote {} without a marker",
                        commit.revision,
                        key_str(&ev.kv.key)
                    ),
                }),
            }
        }
    }
    for (m, evs) in &applied {
        let op = &c.h.ops[by_marker[m]];
        if evs.len() > 1 {
            let revs: Vec<i64> = evs.iter().map(|e| e.0).collect();
            c.fail(
                "applied-twice",
                format!("{} was applied at revisions {revs:?}", describe(op)),
            );
        }
        let (rev, ev) = evs[0];
        if op.dry_run {
            c.fail(
                "dry-run",
                format!("{} changed the store at rev {rev}", describe(op)),
            );
            continue;
        }
        if rev <= op.rev_sent || (op.status.is_some() && fate(op) == Fate::Ok && rev > op.rev_done) {
            c.fail(
                "write-outside-request",
                format!(
                    "{} was applied at rev {rev}, outside the time it was in flight",
                    describe(op)
                ),
            );
        }
        match fate(op) {
            Fate::Refused(s) => c.fail(
                "refused-write-visible",
                format!("{} was answered {s} but was applied at rev {rev}", describe(op)),
            ),
            Fate::Unknown => {}
            Fate::Ok => {
                let acked = op.body.as_ref().and_then(rv_of);
                if acked != Some(rev) {
                    c.fail(
                        "ack-mismatch",
                        format!(
                            "{} was acknowledged with rv {acked:?} but applied at rev {rev}",
                            describe(op)
                        ),
                    );
                }
                if let Some(b) = &op.body {
                    let got = normalize(b);
                    let want = stored(&ev.kv);
                    if got != want {
                        c.fail(
                            "ack-mismatch",
                            format!("{} answered {got} but the store holds {want}", describe(op)),
                        );
                    }
                }
                if let Some(r) = op.expect_rv {
                    let prev = ev.prev.as_ref().map(|p| p.mod_revision);
                    if prev != Some(r) {
                        c.fail(
                            "stale-update",
                            format!(
                                "{} required rv {r} but was applied at rev {rev} over rv {prev:?}",
                                describe(op)
                            ),
                        );
                    }
                }
                if op.kind == OpKind::Create && ev.prev.is_some() {
                    c.fail(
                        "create-overwrote",
                        format!("{} overwrote an existing object at rev {rev}", describe(op)),
                    );
                }
            }
        }
    }
    for op in &c.h.ops {
        if op.dry_run || fate(op) != Fate::Ok {
            continue;
        }
        match op.kind {
            OpKind::Create | OpKind::Update | OpKind::Patch => {
                let m = op.marker.as_deref().unwrap_or("");
                if !applied.contains_key(m) {
                    c.fail(
                        "lost-ack",
                        format!(
                            "{} was acknowledged with rv {:?} but never reached the store",
                            describe(op),
                            op.body.as_ref().and_then(rv_of)
                        ),
                    );
                }
            }
            OpKind::Delete => {
                let found = c.truth.history(&op.key).iter().any(|v| {
                    v.kv.is_none()
                        && v.revision > op.rev_sent
                        && v.revision <= op.rev_done
                        && op.expect_rv.is_none_or(|r| {
                            c.truth.at(&op.key, v.revision - 1).map(|kv| kv.mod_revision) == Some(r)
                        })
                });
                if !found {
                    c.fail(
                        "lost-ack",
                        format!(
                            "{} was acknowledged but the store shows no matching delete while it was in flight",
                            describe(op)
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    // A dry-run delete deletes nothing: no delete of its key while it was in flight, unless a
    // real delete of that key was in flight too.
    for op in
        c.h.ops
            .iter()
            .filter(|o| o.kind == OpKind::Delete && o.dry_run && o.status.is_some())
    {
        let deleted = c
            .truth
            .history(&op.key)
            .iter()
            .any(|v| v.kv.is_none() && v.revision > op.rev_sent && v.revision <= op.rev_done);
        if !deleted {
            continue;
        }
        let other = c.h.ops.iter().any(|o| {
            o.kind == OpKind::Delete
                && !o.dry_run
                && o.key == op.key
                && o.sent_ms <= op.done_ms
                && (o.status.is_none() || o.done_ms >= op.sent_ms)
        });
        if !other {
            c.fail(
                "dry-run",
                format!("{} coincided with a delete nobody asked for", describe(op)),
            );
        }
    }
}

/// Gets return a state the key had while in flight; 404 and 409 only when deserved.
fn check_reads(c: &mut Ctx<'_>) {
    for op in &c.h.ops {
        if op.kind == OpKind::List || op.status.is_none() || op.no_answer.is_some() {
            continue;
        }
        // The revisions the answer may reflect: a consistent read (no resourceVersion) any
        // state while in flight; "0" any state up to the answer; N any state from N on.
        let from = match op.rv_param.as_deref() {
            None | Some("") => op.rev_sent,
            Some("0") => 1,
            Some(n) => n.parse().unwrap_or(op.rev_sent),
        };
        let states = c.truth.states_between(&op.key, from, op.rev_done);
        let s = op.status.unwrap_or(0);
        match (op.kind, s) {
            (OpKind::Get, 200) => {
                let Some(rv) = op.body.as_ref().and_then(rv_of) else {
                    c.fail(
                        "read",
                        format!("{} answered without a resourceVersion", describe(op)),
                    );
                    continue;
                };
                if !states.contains(&Some(rv)) {
                    c.fail(
                        "stale-read",
                        format!(
                            "{} returned rv {rv}, a state the key did not have between rev {from} and the answer (it had {states:?})",
                            describe(op)
                        ),
                    );
                }
                match c.truth.at(&op.key, rv) {
                    Some(kv) if kv.mod_revision == rv => {
                        let got = normalize(op.body.as_ref().unwrap_or(&Value::Null));
                        if got != stored(kv) {
                            c.fail(
                                "read",
                                format!(
                                    "{} returned {got}, the store held {} at rv {rv}",
                                    describe(op),
                                    stored(kv)
                                ),
                            );
                        }
                    }
                    _ => c.fail(
                        "read",
                        format!(
                            "{} returned rv {rv}, which the store never wrote for this key",
                            describe(op)
                        ),
                    ),
                }
            }
            (OpKind::Get | OpKind::Update | OpKind::Patch | OpKind::Delete, 404)
                if op.ns != super::client::MISSING_NS && !states.contains(&None) =>
            {
                c.fail(
                    "spurious-404",
                    format!(
                        "{} answered 404 but the key existed all the time ({states:?})",
                        describe(op)
                    ),
                );
            }
            (OpKind::Create, 409) if !states.iter().any(Option::is_some) => {
                c.fail(
                    "spurious-409",
                    format!(
                        "{} answered AlreadyExists but the key was absent all the time",
                        describe(op)
                    ),
                );
            }
            (OpKind::Update | OpKind::Patch | OpKind::Delete, 409) => {
                if let Some(r) = op.expect_rv {
                    if states.iter().all(|st| *st == Some(r)) {
                        c.fail(
                            "spurious-409",
                            format!(
                                "{} required rv {r} and got a conflict, but the key stayed at rv {r}",
                                describe(op)
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// resourceVersions of acknowledged writes grow in real-time order.
fn check_order(c: &mut Ctx<'_>) {
    let mut acked: Vec<(&Op, i64)> =
        c.h.ops
            .iter()
            .filter(|o| {
                !o.dry_run
                    && fate(o) == Fate::Ok
                    && matches!(o.kind, OpKind::Create | OpKind::Update | OpKind::Patch)
            })
            .filter_map(|o| o.body.as_ref().and_then(rv_of).map(|r| (o, r)))
            .collect();
    let mut by_done = acked.clone();
    by_done.sort_by_key(|(o, _)| o.done_ms);
    acked.sort_by_key(|(o, _)| o.sent_ms);
    let mut j = 0;
    let mut best: Option<(&Op, i64)> = None;
    for (op, rv) in &acked {
        while j < by_done.len() && by_done[j].0.done_ms < op.sent_ms {
            if best.is_none_or(|(_, r)| by_done[j].1 > r) {
                best = Some(by_done[j]);
            }
            j += 1;
        }
        if let Some((prev, prv)) = best {
            if prv >= *rv {
                c.fail(
                    "rv-order",
                    format!(
                        "{} got rv {rv} although {} had already been acknowledged with rv {prv}",
                        describe(op),
                        describe(prev)
                    ),
                );
            }
        }
    }
}

/// Of two updates from one resourceVersion, exactly one wins.
fn check_races(c: &mut Ctx<'_>) {
    for race in &c.h.races {
        let (a, b) = (&c.h.ops[race.a], &c.h.ops[race.b]);
        let (fa, fb) = (fate(a), fate(b));
        let oks = [fa, fb].iter().filter(|f| **f == Fate::Ok).count();
        let definite = |f: Fate| f == Fate::Ok || f == Fate::Refused(409);
        if oks > 1 {
            c.fail(
                "race",
                format!(
                    "both updates of {} from rv {} won: {} and {}",
                    key_str(&race.key),
                    race.rv,
                    describe(a),
                    describe(b)
                ),
            );
        } else if definite(fa) && definite(fb) && oks != 1 {
            c.fail(
                "race",
                format!(
                    "neither update of {} from rv {} won: {} and {}",
                    key_str(&race.key),
                    race.rv,
                    describe(a),
                    describe(b)
                ),
            );
        }
    }
}

fn list_items(op: &Op) -> Vec<Value> {
    op.body
        .as_ref()
        .and_then(|b| b.get("items"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn list_rv(op: &Op) -> Option<i64> {
    op.body
        .as_ref()
        .and_then(|b| b.pointer("/metadata/resourceVersion"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// Compares list items with the store's keys under `prefix` at `rev`.
fn compare_snapshot(c: &mut Ctx<'_>, what: &str, res: Res, prefix: &[u8], rev: i64, items: &[Value]) {
    let want = match c.truth.range(prefix, rev) {
        Ok(kvs) => kvs,
        Err(e) => {
            c.fail(
                "list",
                format!("{what}: the store cannot range at rev {rev}: {e}"),
            );
            return;
        }
    };
    let got_keys: Vec<(String, Option<i64>)> = items
        .iter()
        .map(|i| (key_str(&super::client::key_of(res, i)), rv_of(i)))
        .collect();
    let want_keys: Vec<(String, Option<i64>)> = want
        .iter()
        .map(|kv| (key_str(&kv.key), Some(kv.mod_revision)))
        .collect();
    if got_keys != want_keys {
        let missing: Vec<&(String, Option<i64>)> =
            want_keys.iter().filter(|k| !got_keys.contains(k)).collect();
        let extra: Vec<&(String, Option<i64>)> = got_keys.iter().filter(|k| !want_keys.contains(k)).collect();
        c.fail(
            "list",
            format!(
                "{what} at rev {rev} is not the snapshot: missing {missing:?}, unexpected {extra:?} (got {} items, snapshot has {})",
                got_keys.len(),
                want_keys.len()
            ),
        );
        return;
    }
    for (item, kv) in items.iter().zip(&want) {
        if normalize(item) != stored(kv) {
            c.fail(
                "list",
                format!(
                    "{what}: item {} differs from the store at rev {rev}",
                    key_str(&kv.key)
                ),
            );
            return;
        }
    }
}

fn check_lists(c: &mut Ctx<'_>) {
    // Whole lists.
    for op in &c.h.ops {
        if op.kind != OpKind::List || op.limit > 0 || fate(op) != Fate::Ok {
            continue;
        }
        let Some(rv) = list_rv(op) else {
            c.fail("list", format!("{} has no resourceVersion", describe(op)));
            continue;
        };
        let from = match op.rv_param.as_deref() {
            None | Some("") => op.rev_sent,
            Some("0") => 1,
            Some(n) => n.parse().unwrap_or(op.rev_sent),
        };
        if rv < from || rv > op.rev_done {
            c.fail(
                "list",
                format!(
                    "{} was served at rev {rv}, outside revs {from}..={} its resourceVersion allows",
                    describe(op),
                    op.rev_done
                ),
            );
        }
        compare_snapshot(c, &describe(op), op.res, &op.key, rv, &list_items(op));
    }
    // Paginated lists.
    for p in &c.h.paginations {
        if !p.complete || p.pages.is_empty() {
            continue;
        }
        let first = &c.h.ops[p.pages[0]];
        let Some(rv) = list_rv(first) else {
            c.fail(
                "pagination",
                format!("{} has no resourceVersion", describe(first)),
            );
            continue;
        };
        if rv < first.rev_sent || rv > first.rev_done {
            c.fail(
                "pagination",
                format!(
                    "{} is a consistent list but was served at rev {rv}",
                    describe(first)
                ),
            );
        }
        let mut items = Vec::new();
        let mut ok = true;
        for &i in &p.pages {
            let page = &c.h.ops[i];
            let page_items = list_items(page);
            if page_items.len() as i64 > p.limit {
                c.fail(
                    "pagination",
                    format!(
                        "{} returned {} items with limit {}",
                        describe(page),
                        page_items.len(),
                        p.limit
                    ),
                );
                ok = false;
            }
            if list_rv(page) != Some(rv) {
                c.fail(
                    "pagination",
                    format!(
                        "{} is at rv {:?}, the first page at {rv}",
                        describe(page),
                        list_rv(page)
                    ),
                );
                ok = false;
            }
            items.extend(page_items);
        }
        if ok {
            let what = format!(
                "paginated list of {} (limit {}, {} pages: ops {:?})",
                key_str(&first.key),
                p.limit,
                p.pages.len(),
                p.pages.iter().map(|i| c.h.ops[*i].id).collect::<Vec<_>>()
            );
            let before = c.out.len();
            compare_snapshot(c, &what, p.res, &first.key, rv, &items);
            for v in &mut c.out[before..] {
                v.check = "pagination";
            }
        }
    }
}

/// One expected watch event.
#[derive(Clone, Debug)]
struct Want {
    ty: &'static str,
    key: Vec<u8>,
    rev: i64,
    content: Value,
}

fn want_of(ev: &StorageEvent) -> Want {
    match ev.kind {
        EventKind::Put => Want {
            ty: if ev.prev.is_some() { "MODIFIED" } else { "ADDED" },
            key: ev.kv.key.clone(),
            rev: ev.kv.mod_revision,
            content: stored(&ev.kv),
        },
        EventKind::Delete => Want {
            ty: "DELETED",
            key: ev.kv.key.clone(),
            rev: ev.kv.mod_revision,
            content: ev.prev.as_ref().map(stored).unwrap_or(Value::Null),
        },
    }
}

fn matches(got: &WEvent, want: &Want) -> bool {
    got.ty == want.ty && got.key == want.key && got.rev == want.rev && normalize(&got.object) == want.content
}

fn show(got: Option<&WEvent>) -> String {
    match got {
        Some(g) => format!("{} {} rv {}", g.ty, key_str(&g.key), g.rev),
        None => "nothing".into(),
    }
}

fn show_want(w: Option<&Want>) -> String {
    match w {
        Some(w) => format!("{} {} rv {}", w.ty, key_str(&w.key), w.rev),
        None => "nothing".into(),
    }
}

/// How far `got` follows `want`: the index of the first difference (or the shorter length).
fn agree(got: &[&WEvent], want: &[Want]) -> usize {
    got.iter()
        .zip(want)
        .position(|(g, w)| !matches(g, w))
        .unwrap_or(got.len().min(want.len()))
}

/// A bookmark a watcher received: after `at` ordinary events, at resourceVersion `rv`.
struct Mark {
    at: usize,
    rv: i64,
    initial_end: bool,
}

/// Why a candidate start point does not explain a watch.
struct Miss {
    /// How many events matched.
    k: usize,
    /// The start revision tried.
    s: i64,
    /// What went wrong.
    problem: String,
}

/// Checks one explanation of a watch: the events must follow `want`, completely when
/// `complete`, and every bookmark must sit where the history allows (every event up to its
/// revision before it, none after).
fn explain(events: &[&WEvent], marks: &[Mark], want: &[Want], complete: bool, s: i64) -> Result<(), Miss> {
    let k = agree(events, want);
    if k < events.len() && k < want.len() {
        return Err(Miss {
            k,
            s,
            problem: format!(
                "event #{k} is {} but the store's history says {}",
                show(events.get(k).copied()),
                show_want(want.get(k))
            ),
        });
    }
    if k < events.len() {
        return Err(Miss {
            k,
            s,
            problem: format!(
                "event #{k} ({}) has no counterpart in the store's history",
                show(events.get(k).copied())
            ),
        });
    }
    for m in marks {
        let early = want[..m.at.min(want.len())].iter().find(|w| w.rev > m.rv);
        let late = want.get(m.at).filter(|w| w.rev <= m.rv);
        if let Some(w) = early.or(late) {
            return Err(Miss {
                k: m.at,
                s,
                problem: format!(
                    "a BOOKMARK at rv {} after {} events does not fit the history: {} is on the wrong side of it",
                    m.rv,
                    m.at,
                    show_want(Some(w))
                ),
            });
        }
    }
    if complete && k < want.len() {
        return Err(Miss {
            k,
            s,
            problem: format!(
                "it received {} events and stopped, {} more were due, the next: {}",
                events.len(),
                want.len() - k,
                show_want(want.get(k))
            ),
        });
    }
    Ok(())
}

/// What is wrong with a watch list's initial events, if anything: they must be the collection
/// at the initial-events-end bookmark's revision, object for object (an ADDED event of each
/// object as it was then, in key order, and nothing else), and every event after that
/// bookmark must be newer than its revision.
fn initial_events_problem(events: &[&WEvent], end: &Mark, collection: &[Want]) -> Option<String> {
    let s = end.rv;
    let initial = &events[..end.at.min(events.len())];
    let summary = || {
        format!(
            "{} initial events before the initial-events-end bookmark, the collection had {} objects at rv {s}",
            initial.len(),
            collection.len()
        )
    };
    for (i, e) in initial.iter().enumerate() {
        match collection.get(i) {
            None => {
                return Some(format!(
                    "{}; initial event #{i} ({}) is beyond the collection",
                    summary(),
                    show(Some(e))
                ))
            }
            Some(w) if e.ty != "ADDED" || !matches(e, w) => {
                return Some(format!(
                    "{}; initial event #{i} is {} where the collection has {}",
                    summary(),
                    show(Some(e)),
                    show_want(Some(w))
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(w) = collection.get(initial.len()) {
        return Some(format!(
            "{}; the initial events lack {}",
            summary(),
            show_want(Some(w))
        ));
    }
    events[initial.len()..].iter().find(|e| e.rev <= s).map(|e| {
        format!(
            "{} comes after the initial-events-end bookmark at rv {s} but is not newer than it",
            show(Some(e))
        )
    })
}

/// The collection under a watch's prefix at revision `s`, as ADDED events in key order.
fn initial_at(proj: &[Want], s: i64) -> Vec<Want> {
    let mut state: BTreeMap<Vec<u8>, Want> = BTreeMap::new();
    for p in proj.iter().take_while(|p| p.rev <= s) {
        if p.ty == "DELETED" {
            state.remove(&p.key);
        } else {
            state.insert(p.key.clone(), p.clone());
        }
    }
    state.into_values().map(|x| Want { ty: "ADDED", ..x }).collect()
}

fn check_watches(c: &mut Ctx<'_>, complete: bool) {
    for w in &c.h.watches {
        if w.head != Some(200) {
            continue;
        }
        let what =
            format!(
            "watch {} of {} on r{} from rv {:?}{}{} (client {}, sent at {} ms / rev {}, ended {:?} at {} ms)",
            w.id,
            key_str(&w.prefix),
            w.replica,
            w.rv_param,
            if w.send_initial { " with initial events" } else { "" },
            if w.bookmarks { " and bookmarks" } else { "" },
            w.client,
            w.sent_ms,
            w.rev_sent,
            w.end,
            w.done_ms
        );
        let mut events: Vec<&WEvent> = Vec::new();
        let mut marks: Vec<Mark> = Vec::new();
        let mut error = None;
        for (i, e) in w.events.iter().enumerate() {
            match e.ty.as_str() {
                "ERROR" => {
                    if i + 1 != w.events.len() {
                        c.fail(
                            "watch",
                            format!("{what}: an ERROR event is followed by more events"),
                        );
                    }
                    error = Some(e);
                }
                "ADDED" | "MODIFIED" | "DELETED" => events.push(e),
                "BOOKMARK" => {
                    if !w.bookmarks {
                        c.fail("watch", format!("{what}: a BOOKMARK although none was asked for"));
                    }
                    let initial_end = e
                        .object
                        .pointer("/metadata/annotations/k8s.io~1initial-events-end")
                        .and_then(Value::as_str)
                        == Some("true");
                    marks.push(Mark {
                        at: events.len(),
                        rv: e.rev,
                        initial_end,
                    });
                }
                other => c.fail("watch", format!("{what}: unexpected event type {other:?}")),
            }
        }
        if let Some(e) = error {
            let code = e.object.get("code").and_then(Value::as_u64);
            if code != Some(410) {
                c.fail(
                    "watch",
                    format!("{what}: ERROR event with code {code:?}: {}", e.object),
                );
            }
        }
        let must_be_complete = w.audit || (complete && w.end == WatchEnd::Open);
        let proj: Vec<Want> = c.truth.events_under(&w.prefix, 0).map(want_of).collect();
        let asked: Option<i64> = w.rv_param.parse().ok().filter(|n| *n > 0);
        let mut best: Option<Miss> = None;
        let mut keep = |m: Miss| {
            if best.as_ref().is_none_or(|b| m.k > b.k) {
                best = Some(m);
            }
        };
        let mut passed = false;
        if w.send_initial {
            // The initial events end with a bookmark that names the revision they show.
            let ends: Vec<&Mark> = marks.iter().filter(|m| m.initial_end).collect();
            match ends.as_slice() {
                [end] => {
                    let s = end.rv;
                    if let Some(n) = asked {
                        if s < n {
                            c.fail(
                                "watch",
                                format!(
                                    "{what}: asked for initial events not older than rv {n} but got the collection at rv {s}"
                                ),
                            );
                        }
                    }
                    let mut want = initial_at(&proj, s);
                    if let Some(problem) = initial_events_problem(&events, end, &want) {
                        keep(Miss {
                            k: end.at.min(want.len()),
                            s,
                            problem,
                        });
                    } else {
                        let start = proj.partition_point(|p| p.rev <= s);
                        want.extend_from_slice(&proj[start..]);
                        match explain(&events, &marks, &want, must_be_complete, s) {
                            Ok(()) => passed = true,
                            Err(m) => keep(m),
                        }
                    }
                }
                [] if events.is_empty() && error.is_some() => passed = true,
                // A watch list that waits for a lagging cache may end before its initial
                // events are sent; it then saw nothing at all.
                [] if events.is_empty() && !must_be_complete => passed = true,
                _ => keep(Miss {
                    k: 0,
                    s: 0,
                    problem: format!("{} initial-events-end bookmarks instead of one", ends.len()),
                }),
            }
        } else if let Some(n) = asked {
            let start = proj.partition_point(|p| p.rev <= n);
            match explain(&events, &marks, &proj[start..], must_be_complete, n) {
                Ok(()) => passed = true,
                Err(m) => keep(m),
            }
        } else {
            // Infer the revision the watch started at: its initial ADDED events must be the
            // collection at some revision S, followed by every change after S.
            let mut state: BTreeMap<Vec<u8>, Want> = BTreeMap::new();
            let mut i = 0;
            loop {
                let s = if i == 0 { 0 } else { proj[i - 1].rev };
                // A read-back at the end shows the collection no older than when it was sent
                // (the server's own start-up writes may still come after: a replica that
                // restarted late creates what start-up creates).
                if !w.audit || s >= w.rev_sent || i == proj.len() {
                    let mut want: Vec<Want> = state
                        .values()
                        .map(|x| Want {
                            ty: "ADDED",
                            ..x.clone()
                        })
                        .collect();
                    want.extend_from_slice(&proj[i..]);
                    match explain(&events, &marks, &want, must_be_complete, s) {
                        Ok(()) => {
                            passed = true;
                            break;
                        }
                        Err(m) => keep(m),
                    }
                }
                if i == proj.len() {
                    break;
                }
                // Move S past the next revision.
                let rev = proj[i].rev;
                while i < proj.len() && proj[i].rev == rev {
                    let p = &proj[i];
                    if p.ty == "DELETED" {
                        state.remove(&p.key);
                    } else {
                        state.insert(p.key.clone(), p.clone());
                    }
                    i += 1;
                }
            }
        }
        if !passed {
            let m = best.unwrap_or(Miss {
                k: 0,
                s: 0,
                problem: "no explanation".into(),
            });
            c.fail(
                "watch",
                format!("{what}, best match starting after rev {}: {}", m.s, m.problem),
            );
        }
    }
}

/// Replicas agree on every key's history: the same revision of a key looks the same on every
/// replica that showed it.
fn check_replicas_agree(c: &mut Ctx<'_>) {
    let mut seen: BTreeMap<(Vec<u8>, i64), (usize, String, Value)> = BTreeMap::new();
    for w in &c.h.watches {
        for e in &w.events {
            if e.ty == "ERROR" || e.ty == "BOOKMARK" || e.rev < 0 {
                continue;
            }
            let content = normalize(&e.object);
            let ty = if e.ty == "DELETED" { "DELETED" } else { "PUT" }.to_string();
            match seen.get(&(e.key.clone(), e.rev)) {
                Some((r, t, v)) if *r != w.replica && (*t != ty || *v != content) => {
                    c.out.push(Violation {
                        check: "replicas-disagree",
                        detail: format!(
                            "{} at rv {}: r{r} showed {t} {v}, r{} showed {ty} {content}",
                            key_str(&e.key),
                            e.rev,
                            w.replica
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert((e.key.clone(), e.rev), (w.replica, ty, content));
                }
            }
        }
    }
}

/// Counts of what the clients did and got, for reports.
pub fn summary(h: &History) -> String {
    let mut by: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for op in &h.ops {
        let kind = format!("{:?}{}", op.kind, if op.dry_run { "(dry)" } else { "" });
        let st = op
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| op.no_answer.unwrap_or("none").to_string());
        *by.entry(kind).or_default().entry(st).or_default() += 1;
    }
    let events: usize = h.watches.iter().map(|w| w.events.len()).sum();
    let mut ends: BTreeMap<String, u32> = BTreeMap::new();
    for w in &h.watches {
        let e = match (&w.end, w.error.is_some()) {
            (WatchEnd::Clean, true) => "error".to_string(),
            (e, _) => format!("{e:?}"),
        };
        *ends.entry(e).or_default() += 1;
    }
    let complete = h.paginations.iter().filter(|p| p.complete).count();
    let multi = h
        .paginations
        .iter()
        .filter(|p| p.complete && p.pages.len() > 1)
        .count();
    format!(
        "answers {by:?}; watches {} ({events} events, ends {ends:?}); paginations {} ({complete} complete, {multi} over several pages); races {}",
        h.watches.len(),
        h.paginations.len(),
        h.races.len()
    )
}
