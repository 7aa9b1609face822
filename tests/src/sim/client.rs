//! The simulated clients and their workload.
//!
//! Each client is a small state machine speaking HTTP/1.1 over simulated connections:
//!
//! * the set-up client creates the namespaces of the workload;
//! * actors create, get, update (with and without resourceVersion), merge-patch, delete and
//!   list configmaps, secrets and apps/v1 deployments across namespaces, including dry runs,
//!   invalid objects and a namespace that does not exist;
//! * the racer reads an object and sends two updates from the same resourceVersion at once,
//!   over two connections (often to two replicas);
//! * the lister pages through collections with `limit` and `continue`;
//! * watchers watch collections from `""`, `"0"` and a given resourceVersion, resume where
//!   they stopped, and re-list after a 410;
//! * the auditor reads every replica's cache back through a watch once everything settled.
//!
//! Every write carries a unique marker annotation, so that the checkers can tell which
//! request produced each revision in the store.

use std::collections::{BTreeMap, VecDeque};

use gatehouse_core::registry::{collection_prefix, find, object_key, ResourceDef};
use gatehouse_core::ConnId;
use serde_json::{json, Value};

use super::checkers::{Op, OpKind, Pagination, Race, WEvent, WatchEnd, WatchRec};
use super::harness::{known, Core, Phase};
use super::http::{request, Parsed, ResponseParser};
use super::rng::SimRng;

/// The annotation that carries the id of the request that wrote an object.
pub const MARK: &str = "sim.gatehouse.io/op";
/// Namespaces of the workload.
pub const NAMESPACES: [&str; 3] = ["sim-a", "sim-b", "sim-c"];
/// A namespace that never exists.
pub const MISSING_NS: &str = "sim-gone";
/// Storage prefix of the replicas.
pub const PREFIX: &str = "/registry";

/// Resources the workload touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Res {
    /// core/v1 configmaps.
    ConfigMaps,
    /// core/v1 secrets.
    Secrets,
    /// apps/v1 deployments.
    Deployments,
    /// core/v1 namespaces.
    Namespaces,
}

impl Res {
    /// The namespaced resources of the workload.
    pub const WORKLOAD: [Res; 3] = [Res::ConfigMaps, Res::Secrets, Res::Deployments];

    /// The resource's definition in the core.
    pub fn def(self) -> &'static ResourceDef {
        let (g, r) = match self {
            Res::ConfigMaps => ("", "configmaps"),
            Res::Secrets => ("", "secrets"),
            Res::Deployments => ("apps", "deployments"),
            Res::Namespaces => ("", "namespaces"),
        };
        find(g, "v1", r).expect("resource served by Gatehouse")
    }

    fn base(self) -> &'static str {
        match self {
            Res::Deployments => "/apis/apps/v1",
            _ => "/api/v1",
        }
    }

    /// The collection's URL path (all namespaces when `ns` is empty).
    pub fn collection_path(self, ns: &str) -> String {
        let r = &self.def().resource;
        if ns.is_empty() || self == Res::Namespaces {
            format!("{}/{r}", self.base())
        } else {
            format!("{}/namespaces/{ns}/{r}", self.base())
        }
    }

    /// One object's URL path.
    pub fn object_path(self, ns: &str, name: &str) -> String {
        format!("{}/{name}", self.collection_path(ns))
    }

    /// One object's storage key.
    pub fn key(self, ns: &str, name: &str) -> Vec<u8> {
        object_key(PREFIX, self.def(), ns, name)
    }

    /// The collection's storage key prefix.
    pub fn prefix(self, ns: &str) -> Vec<u8> {
        collection_prefix(PREFIX, self.def(), ns)
    }

    /// A whole object carrying `marker`, with `rv` when given.
    pub fn body(self, ns: &str, name: &str, marker: &str, rv: Option<i64>, n: u64) -> Value {
        let mut meta = json!({"name": name, "annotations": {MARK: marker}});
        if self != Res::Namespaces {
            meta["namespace"] = json!(ns);
        }
        if let Some(rv) = rv {
            meta["resourceVersion"] = json!(rv.to_string());
        }
        match self {
            Res::ConfigMaps => {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"op": marker}})
            }
            Res::Secrets => {
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": {"op": "c2lt"}})
            }
            Res::Deployments => json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {
                    "replicas": n % 4,
                    "selector": {"matchLabels": {"app": "sim"}},
                    "template": {
                        "metadata": {"labels": {"app": "sim"}},
                        "spec": {"containers": [{"name": "c", "image": "registry.example/sim:1"}]}
                    }
                }
            }),
            Res::Namespaces => json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}),
        }
    }

    /// A merge patch that sets `marker` (and `rv` when given).
    pub fn patch(self, marker: &str, rv: Option<i64>, n: u64) -> Value {
        let mut meta = json!({"annotations": {MARK: marker}});
        if let Some(rv) = rv {
            meta["resourceVersion"] = json!(rv.to_string());
        }
        match self {
            Res::ConfigMaps => json!({"metadata": meta, "data": {"op": marker, "n": n.to_string()}}),
            Res::Secrets => json!({"metadata": meta, "data": {"n": "MQ=="}}),
            Res::Deployments => json!({"metadata": meta, "spec": {"replicas": n % 5}}),
            Res::Namespaces => json!({"metadata": meta}),
        }
    }
}

/// The resourceVersion of an object, when it has a numeric one.
pub fn rv_of(obj: &Value) -> Option<i64> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The storage key of an object of `res` as a response carries it.
pub fn key_of(res: Res, obj: &Value) -> Vec<u8> {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    res.key(ns, name)
}

/// What a connection slot waits for.
#[derive(Clone, Copy, Debug)]
pub enum Inflight {
    /// An ordinary request: index into the history's operations.
    Op(usize),
    /// A watch: index into the history's watches.
    Watch(usize),
}

/// One connection of a client.
#[derive(Debug)]
pub struct Slot {
    conn: Option<ConnId>,
    replica: usize,
    parser: ResponseParser,
    /// Requests sent and not yet answered, oldest first (HTTP/1.1 answers in order), each
    /// with the serial its client timeout refers to.
    inflight: VecDeque<(Inflight, u64)>,
    serial: u64,
}

impl Slot {
    fn new(replica: usize) -> Self {
        Slot {
            conn: None,
            replica,
            parser: ResponseParser::default(),
            inflight: VecDeque::new(),
            serial: 0,
        }
    }
}

/// Stages of one race.
#[derive(Clone, Copy, Debug)]
pub enum RaceStage {
    /// Make sure the race object exists.
    Ensure,
    /// Read its resourceVersion.
    Read,
    /// Both updates are on their way.
    Waiting { a: usize, b: usize, rv: i64 },
}

/// What a client does.
#[derive(Debug)]
pub enum Role {
    /// Creates the namespaces, then stops.
    Setup { next: usize },
    /// Random reads and writes.
    Actor { names: u64 },
    /// Two updates from one resourceVersion at once.
    Racer { stage: RaceStage, key: usize },
    /// Paginated lists (the one in progress: an index into the history's paginations).
    Lister { pagination: Option<usize> },
    /// Watches one collection.
    Watcher {
        res: Res,
        ns: String,
        last_rv: Option<i64>,
        relist: bool,
    },
    /// Reads every replica's cache back at the end.
    Auditor { todo: Vec<(usize, Res)> },
}

impl Role {
    /// Whether the client works through a budget of requests (the workload ends when every
    /// such client is through).
    pub fn has_budget(&self) -> bool {
        matches!(
            self,
            Role::Actor { .. } | Role::Racer { .. } | Role::Lister { .. }
        )
    }

    /// Whether the client works during the workload phase.
    pub fn is_workload(&self) -> bool {
        matches!(
            self,
            Role::Actor { .. } | Role::Racer { .. } | Role::Lister { .. } | Role::Watcher { .. }
        )
    }
}

/// One simulated client.
#[derive(Debug)]
pub struct Client {
    /// Its index.
    pub id: usize,
    /// What it does.
    pub role: Role,
    rng: SimRng,
    slots: Vec<Slot>,
    budget: u32,
    done: bool,
    replicas: usize,
    /// The last resourceVersion seen of each key.
    seen: BTreeMap<Vec<u8>, i64>,
}

/// The cast of a run: set-up client, actors, racer, lister, watchers, auditor.
pub fn cast(rng: &mut SimRng, replicas: usize, ops: u32) -> Vec<Client> {
    let mut roles: Vec<(Role, u32, usize)> = Vec::new();
    roles.push((Role::Setup { next: 0 }, 0, 1));
    let actors = rng.between(3, 6) as u32;
    let races = (ops / 25).max(2);
    let pages = (ops / 20).max(2);
    let actor_ops = ops.saturating_sub(races * 3 + pages * 2);
    let names = rng.between(2, 7);
    for i in 0..actors {
        let share = actor_ops / actors + u32::from(i < actor_ops % actors);
        roles.push((Role::Actor { names }, share, 1));
    }
    roles.push((
        Role::Racer {
            stage: RaceStage::Ensure,
            key: 0,
        },
        races,
        2,
    ));
    roles.push((Role::Lister { pagination: None }, pages, 1));
    let watchers = rng.between(3, 5);
    for _ in 0..watchers {
        let res = *rng.pick(&Res::WORKLOAD);
        let ns = if rng.chance(0.4) {
            String::new()
        } else {
            rng.pick(&NAMESPACES).to_string()
        };
        roles.push((
            Role::Watcher {
                res,
                ns,
                last_rv: None,
                relist: false,
            },
            0,
            1,
        ));
    }
    let mut todo = Vec::new();
    for r in 0..replicas {
        for res in Res::WORKLOAD {
            todo.push((r, res));
        }
    }
    todo.reverse();
    roles.push((Role::Auditor { todo }, 0, 1));
    roles
        .into_iter()
        .enumerate()
        .map(|(id, (role, budget, slots))| {
            let mut crng = rng.fork();
            let slots = (0..slots).map(|_| Slot::new(crng.index(replicas))).collect();
            Client {
                id,
                role,
                rng: crng,
                slots,
                budget,
                done: false,
                replicas,
                seen: BTreeMap::new(),
            }
        })
        .collect()
}

/// How a watch is asked for.
#[derive(Clone, Debug)]
pub struct WatchAsk {
    /// `resourceVersion` ("" for none).
    pub rv: String,
    /// `allowWatchBookmarks=true`.
    pub bookmarks: bool,
    /// `sendInitialEvents=true` with `resourceVersionMatch=NotOlderThan`.
    pub send_initial: bool,
    /// `timeoutSeconds`.
    pub timeout_s: u64,
}

/// A request about to be sent.
struct Req {
    op: Op,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn blank_op(kind: OpKind, res: Res, ns: &str, name: &str) -> Op {
    let key = if name.is_empty() {
        res.prefix(ns)
    } else {
        res.key(ns, name)
    };
    Op {
        id: 0,
        client: 0,
        replica: 0,
        kind,
        res,
        ns: ns.to_string(),
        name: name.to_string(),
        key,
        dry_run: false,
        expect_rv: None,
        marker: None,
        invalid: false,
        limit: 0,
        cont: None,
        rv_param: None,
        race: false,
        sent_ms: 0,
        rev_sent: 0,
        done_ms: 0,
        rev_done: 0,
        status: None,
        no_answer: None,
        body: None,
    }
}

fn query(path: String, params: &[(&str, String)]) -> String {
    let q: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if q.is_empty() {
        path
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

impl Client {
    /// Whether the client has nothing left to do in its phase.
    pub fn finished(&self) -> bool {
        match self.role {
            Role::Watcher { .. } => true,
            _ => self.done && self.slots.iter().all(|s| s.inflight.is_empty()),
        }
    }

    /// Whether the client waits for the answer to an ordinary request.
    pub fn waiting_for_answer(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.inflight.iter().any(|(f, _)| matches!(f, Inflight::Op(_))))
    }

    fn think(&mut self, core: &mut Core, max_ms: u64) {
        let d = self.rng.below(max_ms + 1);
        core.wake(self.id, d);
    }

    /// Makes sure slot `i` has an open connection and returns it.
    fn connection(&mut self, core: &mut Core, i: usize) -> ConnId {
        let slot = &mut self.slots[i];
        if let Some(c) = slot.conn {
            let usable = core
                .net
                .link(c)
                .is_some_and(|l| l.alive && !l.up_closed && !l.down_closed);
            if usable {
                return c;
            }
        }
        let c = core.open(self.id, slot.replica);
        slot.conn = Some(c);
        slot.parser = ResponseParser::default();
        c
    }

    /// Moves slot `i` to another replica (closing its connection politely).
    fn hop(&mut self, core: &mut Core, i: usize) {
        let r = self.rng.index(self.replicas);
        let slot = &mut self.slots[i];
        if slot.replica == r || !slot.inflight.is_empty() {
            return;
        }
        slot.replica = r;
        if let Some(c) = slot.conn.take() {
            core.fin(c);
        }
    }

    fn send(&mut self, core: &mut Core, i: usize, req: Req) -> usize {
        let idx = self.send_pipelined(core, i, vec![req])[0];
        if let Some(conn) = self.slots[i].conn {
            if self.rng.chance(core.half_close) {
                core.fin(conn);
            }
        }
        idx
    }

    /// Sends requests back to back on slot `i`'s connection, in one packet (pipelining).
    fn send_pipelined(&mut self, core: &mut Core, i: usize, reqs: Vec<Req>) -> Vec<usize> {
        let conn = self.connection(core, i);
        let mut bytes = Vec::new();
        let mut out = Vec::new();
        for mut req in reqs {
            req.op.id = if req.op.id == 0 {
                core.next_op_id()
            } else {
                req.op.id
            };
            req.op.client = self.id;
            req.op.replica = self.slots[i].replica;
            req.op.sent_ms = core.now_ms();
            req.op.rev_sent = core.rev();
            let idx = core.history.ops.len();
            bytes.extend(request(req.method, &req.path, req.content_type, &req.body));
            core.note(&format!(
                "c{} op {} {:?} {} {}",
                self.id, req.op.id, req.op.kind, req.method, req.path
            ));
            core.history.ops.push(req.op);
            let slot = &mut self.slots[i];
            slot.serial += 1;
            slot.inflight.push_back((Inflight::Op(idx), slot.serial));
            let serial = slot.serial;
            core.client_timeout(self.id, i, serial, 30_000);
            out.push(idx);
        }
        core.send(conn, bytes);
        out
    }

    fn send_watch(&mut self, core: &mut Core, i: usize, res: Res, ns: &str, ask: WatchAsk, audit: bool) {
        let conn = self.connection(core, i);
        let id = core.next_op_id();
        let WatchAsk {
            rv,
            bookmarks,
            send_initial,
            timeout_s,
        } = ask;
        // A watch list must allow bookmarks (its initial events end with one).
        let bookmarks = bookmarks || send_initial;
        let mut params = vec![("watch", "true".to_string())];
        if !rv.is_empty() {
            params.push(("resourceVersion", rv.clone()));
        }
        if send_initial {
            params.push(("resourceVersionMatch", "NotOlderThan".to_string()));
            params.push(("sendInitialEvents", "true".to_string()));
        }
        if bookmarks {
            params.push(("allowWatchBookmarks", "true".to_string()));
        }
        params.push(("timeoutSeconds", timeout_s.to_string()));
        let path = query(res.collection_path(ns), &params);
        let rec = WatchRec {
            id,
            client: self.id,
            replica: self.slots[i].replica,
            res,
            ns: ns.to_string(),
            prefix: res.prefix(ns),
            rv_param: rv,
            bookmarks,
            send_initial,
            audit,
            sent_ms: core.now_ms(),
            rev_sent: core.rev(),
            head: None,
            events: Vec::new(),
            error: None,
            end: WatchEnd::Open,
            done_ms: 0,
        };
        let idx = core.history.watches.len();
        core.history.watches.push(rec);
        core.note(&format!("c{} watch {} GET {path}", self.id, id));
        core.send(conn, request("GET", &path, None, b""));
        let slot = &mut self.slots[i];
        slot.serial += 1;
        slot.inflight.push_back((Inflight::Watch(idx), slot.serial));
        let serial = slot.serial;
        core.client_timeout(self.id, i, serial, timeout_s * 1000 + 30_000);
    }

    /// Time to act.
    pub fn wake(&mut self, core: &mut Core) {
        if self.slots.iter().any(|s| !s.inflight.is_empty()) || self.done {
            return;
        }
        match &self.role {
            Role::Setup { .. } => self.setup_step(core),
            Role::Actor { .. } => self.actor_step(core),
            Role::Racer { .. } => self.racer_step(core),
            Role::Lister { .. } => self.lister_step(core),
            Role::Watcher { .. } => self.watcher_step(core),
            Role::Auditor { .. } => self.auditor_step(core),
        }
    }

    // ---- set-up ----

    fn setup_step(&mut self, core: &mut Core) {
        let Role::Setup { next } = self.role else { return };
        if next >= NAMESPACES.len() {
            self.done = true;
            core.setup_done = true;
            if let Some(c) = self.slots[0].conn.take() {
                core.fin(c);
            }
            return;
        }
        let id = core.next_op_id();
        let marker = format!("op-{id}");
        let ns = NAMESPACES[next];
        let mut op = blank_op(OpKind::Create, Res::Namespaces, "", ns);
        op.id = id;
        op.marker = Some(marker.clone());
        let body = Res::Namespaces.body("", ns, &marker, None, id);
        self.send(
            core,
            0,
            Req {
                op,
                method: "POST",
                path: Res::Namespaces.collection_path(""),
                content_type: Some("application/json"),
                body: body.to_string().into_bytes(),
            },
        );
    }

    // ---- actors ----

    fn actor_step(&mut self, core: &mut Core) {
        let Role::Actor { names } = self.role else { return };
        if self.budget == 0 {
            self.done = true;
            if let Some(c) = self.slots[0].conn.take() {
                core.fin(c);
            }
            return;
        }
        self.budget -= 1;
        let res = *self.rng.pick(&Res::WORKLOAD);
        let ns = if self.rng.chance(0.03) {
            MISSING_NS
        } else {
            *self.rng.pick(&NAMESPACES)
        };
        let name = format!("obj-{}", self.rng.below(names));
        let key = res.key(ns, &name);
        let known = self.seen.get(&key).copied();
        let id = core.next_op_id();
        let marker = format!("op-{id}");
        let choice = self.rng.weighted(&[18, 14, 11, 12, 12, 10, 8, 6, 3, 4, 4]);
        if choice == 10 {
            self.pipeline(core, names);
            return;
        }
        let mut kind = choice;
        if kind == 3 && known.is_none() {
            kind = 1;
        }
        if kind == 9 {
            self.hop(core, 0);
            kind = 1;
        }
        let dry = kind == 7;
        if dry {
            kind = *self.rng.pick(&[0usize, 2, 4, 5]);
        }
        let dry_q = if dry { "All".to_string() } else { String::new() };
        let req = match kind {
            0 | 8 => {
                let invalid = kind == 8;
                let name = if invalid { format!("Bad_Name-{id}") } else { name };
                let mut op = blank_op(OpKind::Create, res, ns, &name);
                op.invalid = invalid;
                let body = res.body(ns, &name, &marker, None, id);
                Req {
                    method: "POST",
                    path: query(res.collection_path(ns), &[("dryRun", dry_q)]),
                    content_type: Some("application/json"),
                    body: body.to_string().into_bytes(),
                    op,
                }
            }
            1 => {
                let rv = match (self.rng.weighted(&[12, 5, 3]), known) {
                    (1, _) => "0".to_string(),
                    (2, Some(n)) => n.to_string(),
                    _ => String::new(),
                };
                let mut op = blank_op(OpKind::Get, res, ns, &name);
                op.rv_param = Some(rv.clone());
                Req {
                    op,
                    method: "GET",
                    path: query(res.object_path(ns, &name), &[("resourceVersion", rv)]),
                    content_type: None,
                    body: Vec::new(),
                }
            }
            2 | 3 => {
                let rv = if kind == 3 { known } else { None };
                let mut op = blank_op(OpKind::Update, res, ns, &name);
                op.expect_rv = rv;
                let body = res.body(ns, &name, &marker, rv, id);
                Req {
                    method: "PUT",
                    path: query(res.object_path(ns, &name), &[("dryRun", dry_q)]),
                    content_type: Some("application/json"),
                    body: body.to_string().into_bytes(),
                    op,
                }
            }
            4 => {
                let rv = if self.rng.chance(0.25) { known } else { None };
                let mut op = blank_op(OpKind::Patch, res, ns, &name);
                op.expect_rv = rv;
                let body = res.patch(&marker, rv, id);
                Req {
                    method: "PATCH",
                    path: query(res.object_path(ns, &name), &[("dryRun", dry_q)]),
                    content_type: Some("application/merge-patch+json"),
                    body: body.to_string().into_bytes(),
                    op,
                }
            }
            5 => {
                let rv = if self.rng.chance(0.3) { known } else { None };
                let mut op = blank_op(OpKind::Delete, res, ns, &name);
                op.expect_rv = rv;
                // With a body, kube reads every option from it and none from the query, so
                // the dry run goes in the body as kubectl sends it.
                let (body, dry_q) = match rv {
                    Some(rv) => {
                        let mut opts = json!({"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": rv.to_string()}});
                        if dry {
                            opts["dryRun"] = json!(["All"]);
                        }
                        (opts.to_string().into_bytes(), String::new())
                    }
                    None => (Vec::new(), dry_q),
                };
                Req {
                    method: "DELETE",
                    path: query(res.object_path(ns, &name), &[("dryRun", dry_q)]),
                    content_type: if body.is_empty() {
                        None
                    } else {
                        Some("application/json")
                    },
                    body,
                    op,
                }
            }
            _ => {
                let all = self.rng.chance(0.2);
                let ns = if all { "" } else { ns };
                let mut op = blank_op(OpKind::List, res, ns, "");
                let newest = self.seen.values().max().copied();
                let rv = match (self.rng.weighted(&[2, 1, 1]), newest) {
                    (1, _) => "0".to_string(),
                    (2, Some(n)) => n.to_string(),
                    _ => String::new(),
                };
                op.rv_param = Some(rv.clone());
                Req {
                    method: "GET",
                    path: query(res.collection_path(ns), &[("resourceVersion", rv)]),
                    content_type: None,
                    body: Vec::new(),
                    op,
                }
            }
        };
        let mut req = req;
        req.op.id = id;
        req.op.dry_run = dry;
        if matches!(req.op.kind, OpKind::Create | OpKind::Update | OpKind::Patch) {
            req.op.marker = Some(marker);
        }
        self.send(core, 0, req);
    }

    /// Two or three gets and merge patches sent back to back on one connection: the answers
    /// must come in request order.
    fn pipeline(&mut self, core: &mut Core, names: u64) {
        let n = self.rng.between(2, 3);
        let mut reqs = Vec::new();
        for _ in 0..n {
            let res = *self.rng.pick(&Res::WORKLOAD);
            let ns = *self.rng.pick(&NAMESPACES);
            let name = format!("obj-{}", self.rng.below(names));
            let id = core.next_op_id();
            if self.rng.chance(0.5) {
                let mut op = blank_op(OpKind::Get, res, ns, &name);
                op.id = id;
                op.rv_param = Some(String::new());
                reqs.push(Req {
                    op,
                    method: "GET",
                    path: res.object_path(ns, &name),
                    content_type: None,
                    body: Vec::new(),
                });
            } else {
                let marker = format!("op-{id}");
                let mut op = blank_op(OpKind::Patch, res, ns, &name);
                op.id = id;
                op.marker = Some(marker.clone());
                reqs.push(Req {
                    op,
                    method: "PATCH",
                    path: res.object_path(ns, &name),
                    content_type: Some("application/merge-patch+json"),
                    body: res.patch(&marker, None, id).to_string().into_bytes(),
                });
            }
        }
        self.send_pipelined(core, 0, reqs);
    }

    // ---- racer ----

    fn racer_step(&mut self, core: &mut Core) {
        let Role::Racer { stage, key } = self.role else {
            return;
        };
        let name = format!("race-{key}");
        let ns = NAMESPACES[0];
        let res = Res::ConfigMaps;
        match stage {
            RaceStage::Ensure => {
                if self.budget == 0 {
                    self.done = true;
                    for i in 0..self.slots.len() {
                        if let Some(c) = self.slots[i].conn.take() {
                            core.fin(c);
                        }
                    }
                    return;
                }
                let id = core.next_op_id();
                let marker = format!("op-{id}");
                let mut op = blank_op(OpKind::Create, res, ns, &name);
                op.id = id;
                op.marker = Some(marker.clone());
                op.race = true;
                let body = res.body(ns, &name, &marker, None, id);
                self.send(
                    core,
                    0,
                    Req {
                        op,
                        method: "POST",
                        path: res.collection_path(ns),
                        content_type: Some("application/json"),
                        body: body.to_string().into_bytes(),
                    },
                );
            }
            RaceStage::Read => {
                let mut op = blank_op(OpKind::Get, res, ns, &name);
                op.race = true;
                self.send(
                    core,
                    0,
                    Req {
                        op,
                        method: "GET",
                        path: res.object_path(ns, &name),
                        content_type: None,
                        body: Vec::new(),
                    },
                );
            }
            RaceStage::Waiting { .. } => {}
        }
    }

    fn fire_race(&mut self, core: &mut Core, rv: i64) {
        let Role::Racer { key, .. } = self.role else {
            return;
        };
        let name = format!("race-{key}");
        let ns = NAMESPACES[0];
        let res = Res::ConfigMaps;
        for i in 0..2 {
            if self.rng.chance(0.6) {
                self.hop(core, i);
            }
        }
        let mut idx = [0usize; 2];
        for (i, slot_idx) in idx.iter_mut().enumerate() {
            let id = core.next_op_id();
            let marker = format!("op-{id}");
            let mut op = blank_op(OpKind::Update, res, ns, &name);
            op.id = id;
            op.marker = Some(marker.clone());
            op.expect_rv = Some(rv);
            op.race = true;
            let req = if self.rng.chance(0.5) {
                Req {
                    method: "PUT",
                    path: res.object_path(ns, &name),
                    content_type: Some("application/json"),
                    body: res
                        .body(ns, &name, &marker, Some(rv), id)
                        .to_string()
                        .into_bytes(),
                    op,
                }
            } else {
                op.kind = OpKind::Patch;
                Req {
                    method: "PATCH",
                    path: res.object_path(ns, &name),
                    content_type: Some("application/merge-patch+json"),
                    body: res.patch(&marker, Some(rv), id).to_string().into_bytes(),
                    op,
                }
            };
            *slot_idx = self.send(core, i, req);
        }
        self.role = Role::Racer {
            stage: RaceStage::Waiting {
                a: idx[0],
                b: idx[1],
                rv,
            },
            key,
        };
    }

    // ---- lister ----

    fn lister_step(&mut self, core: &mut Core) {
        let Role::Lister { pagination } = self.role else {
            return;
        };
        match pagination {
            None => {
                if self.budget == 0 {
                    self.done = true;
                    if let Some(c) = self.slots[0].conn.take() {
                        core.fin(c);
                    }
                    return;
                }
                self.budget -= 1;
                let res = *self.rng.pick(&Res::WORKLOAD);
                let ns = if self.rng.chance(0.4) {
                    ""
                } else {
                    *self.rng.pick(&NAMESPACES)
                };
                let limit = self.rng.between(1, 3) as i64;
                let p = core.history.paginations.len();
                core.history.paginations.push(Pagination {
                    res,
                    ns: ns.to_string(),
                    limit,
                    pages: Vec::new(),
                    complete: false,
                    expired: false,
                });
                self.role = Role::Lister { pagination: Some(p) };
                self.page(core, p, None);
            }
            Some(p) => {
                let cont = core.history.paginations[p]
                    .pages
                    .last()
                    .and_then(|i| core.history.ops[*i].body.as_ref())
                    .and_then(|b| b.pointer("/metadata/continue"))
                    .and_then(Value::as_str)
                    .map(String::from);

                if self.rng.chance(0.3) {
                    self.hop(core, 0);
                }
                self.page(core, p, cont);
            }
        }
    }

    fn page(&mut self, core: &mut Core, p: usize, cont: Option<String>) {
        let pg = &core.history.paginations[p];
        let (res, ns, limit) = (pg.res, pg.ns.clone(), pg.limit);
        let mut op = blank_op(OpKind::List, res, &ns, "");
        op.limit = limit;
        op.cont = cont.clone();
        let path = query(
            res.collection_path(&ns),
            &[
                ("limit", limit.to_string()),
                ("continue", cont.unwrap_or_default()),
            ],
        );
        self.send(
            core,
            0,
            Req {
                op,
                method: "GET",
                path,
                content_type: None,
                body: Vec::new(),
            },
        );
    }

    // ---- watchers ----

    fn watcher_step(&mut self, core: &mut Core) {
        if core.phase != Phase::Workload {
            return;
        }
        let Role::Watcher {
            res,
            ref ns,
            last_rv,
            relist,
        } = self.role
        else {
            return;
        };
        let ns = ns.clone();
        if self.rng.chance(0.3) {
            self.hop(core, 0);
        }
        if relist {
            let mut op = blank_op(OpKind::List, res, &ns, "");
            op.rv_param = Some(String::new());
            self.send(
                core,
                0,
                Req {
                    op,
                    method: "GET",
                    path: res.collection_path(&ns),
                    content_type: None,
                    body: Vec::new(),
                },
            );
            return;
        }
        let send_initial = self.rng.chance(0.15);
        let rv = match (self.rng.weighted(&[2, 2, 6]), last_rv) {
            (1, _) => "0".to_string(),
            // fixed bug: with sendInitialEvents=true and NotOlderThan a lagging replica once
            // sent its older state; it now waits for its cache. Leaving
            // `watch-list-freshness` out of `SIM_KNOWN_BUGS` asks for "0" instead.
            (2, Some(_)) if send_initial && core.known_bugs & known::WATCH_LIST_FRESHNESS == 0 => {
                "0".to_string()
            }
            (2, Some(rv)) => rv.to_string(),
            // A list of initial events needs a resourceVersion to be not older than.
            _ if send_initial => "0".to_string(),
            _ => String::new(),
        };
        let ask = WatchAsk {
            rv,
            bookmarks: send_initial || self.rng.chance(0.4),
            send_initial,
            timeout_s: self.rng.between(2, 12),
        };
        self.send_watch(core, 0, res, &ns, ask, false);
    }

    // ---- auditor ----

    fn auditor_step(&mut self, core: &mut Core) {
        if core.phase != Phase::Audit {
            return;
        }
        let Role::Auditor { todo } = &mut self.role else {
            return;
        };
        let Some((r, res)) = todo.pop() else {
            self.done = true;
            return;
        };
        self.slots[0].replica = r;
        if let Some(c) = self.slots[0].conn.take() {
            core.fin(c);
        }
        let ask = WatchAsk {
            rv: "0".into(),
            bookmarks: false,
            send_initial: false,
            timeout_s: 1,
        };
        self.send_watch(core, 0, res, "", ask, true);
    }

    // ---- answers ----

    fn slot_of(&self, conn: ConnId) -> Option<usize> {
        self.slots.iter().position(|s| s.conn == Some(conn))
    }

    /// Bytes arrived on `conn`.
    pub fn on_bytes(&mut self, core: &mut Core, conn: ConnId, bytes: &[u8]) {
        let Some(i) = self.slot_of(conn) else { return };
        self.slots[i].parser.push(bytes);
        loop {
            let parsed = match self.slots[i].parser.poll() {
                Ok(Some(p)) => p,
                Ok(None) => return,
                Err(e) => {
                    core.history.violation(
                        "http",
                        format!(
                            "client {} cannot parse the answer on conn {}: {e}",
                            self.id, conn.0
                        ),
                    );
                    self.slots[i].conn = None;
                    core.fin(conn);
                    self.abandon(core, i, "unparsable answer");
                    return;
                }
            };
            match (parsed, self.slots[i].inflight.front().map(|f| f.0)) {
                (Parsed::Response { status, body }, Some(Inflight::Op(idx))) => {
                    self.slots[i].inflight.pop_front();
                    let v = serde_json::from_slice::<Value>(&body).ok();
                    self.finish_op(core, idx, Some(status), v, None);
                }
                (Parsed::Response { status, body }, Some(Inflight::Watch(w))) => {
                    self.slots[i].inflight.pop_front();
                    let rec = &mut core.history.watches[w];
                    rec.head = Some(status);
                    rec.error = serde_json::from_slice::<Value>(&body).ok();
                    rec.end = WatchEnd::Refused;
                    rec.done_ms = core.clock.ms();
                    self.after_watch(core, w);
                }
                (Parsed::StreamStart { status }, Some(Inflight::Watch(w))) => {
                    core.history.watches[w].head = Some(status);
                }
                (Parsed::StreamLine(line), Some(Inflight::Watch(w))) => self.watch_line(core, w, &line),
                (Parsed::StreamEnd, Some(Inflight::Watch(w))) => {
                    self.slots[i].inflight.pop_front();
                    let rec = &mut core.history.watches[w];
                    rec.end = WatchEnd::Clean;
                    rec.done_ms = core.clock.ms();
                    self.after_watch(core, w);
                }
                (p, inflight) => {
                    core.history.violation(
                        "http",
                        format!(
                            "client {} got {p:?} on conn {} while waiting for {inflight:?}",
                            self.id, conn.0
                        ),
                    );
                }
            }
        }
    }

    fn watch_line(&mut self, core: &mut Core, w: usize, line: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            core.history.violation(
                "http",
                format!("watch event is not JSON: {}", String::from_utf8_lossy(line)),
            );
            return;
        };
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("").to_string();
        let object = v.get("object").cloned().unwrap_or(Value::Null);
        let rec = &mut core.history.watches[w];
        if ty == "ERROR" {
            rec.error = Some(object.clone());
        }
        let res = rec.res;
        let key = key_of(res, &object);
        let rev = rv_of(&object).unwrap_or(-1);
        if ty == "BOOKMARK" {
            rec.events.push(WEvent {
                ty,
                key: Vec::new(),
                rev: rv_of(&object).unwrap_or(-1),
                object,
            });
            return;
        }
        if ty != "ERROR" {
            match ty.as_str() {
                "DELETED" => self.seen.remove(&key),
                _ => self.seen.insert(key.clone(), rev),
            };
        }
        rec.events.push(WEvent { ty, key, rev, object });
    }

    /// The connection `conn` is gone (closed by the server or reset).
    pub fn on_closed(&mut self, core: &mut Core, conn: ConnId, why: &'static str) {
        let Some(i) = self.slot_of(conn) else { return };
        self.slots[i].conn = None;
        self.slots[i].parser = ResponseParser::default();
        self.abandon(core, i, why);
    }

    /// The answer on slot `slot` took too long.
    pub fn on_timeout(&mut self, core: &mut Core, slot: usize, serial: u64) {
        let s = &mut self.slots[slot];
        if !s.inflight.iter().any(|(_, sr)| *sr == serial) {
            return;
        }
        if let Some(c) = s.conn.take() {
            // The server answers every request within its request timeout (or ends the
            // watch at its timeoutSeconds); silence on a live connection is a hang.
            if core.net.alive(c) {
                core.history.violation(
                    "liveness",
                    format!(
                        "client {} got no answer on conn {} for {:?} within the client's timeout",
                        self.id, c.0, s.inflight
                    ),
                );
            }
            core.fin(c);
        }
        self.abandon(core, slot, "client timeout");
    }

    fn abandon(&mut self, core: &mut Core, i: usize, why: &'static str) {
        while let Some((f, _)) = self.slots[i].inflight.pop_front() {
            match f {
                Inflight::Op(idx) => self.finish_op(core, idx, None, None, Some(why)),
                Inflight::Watch(w) => {
                    let rec = &mut core.history.watches[w];
                    rec.end = WatchEnd::Dropped(why);
                    rec.done_ms = core.clock.ms();
                    self.after_watch(core, w);
                }
            }
        }
    }

    fn finish_op(
        &mut self,
        core: &mut Core,
        idx: usize,
        status: Option<u16>,
        body: Option<Value>,
        why: Option<&'static str>,
    ) {
        let now = core.clock.ms();
        let rev = core.rev();
        let op = &mut core.history.ops[idx];
        op.done_ms = now;
        op.rev_done = rev;
        op.status = status;
        op.no_answer = why;
        op.body = body;
        let line = format!(
            "c{} op {} -> {}",
            self.id,
            op.id,
            match status {
                Some(s) => s.to_string(),
                None => format!("no answer ({})", why.unwrap_or("")),
            }
        );
        // Remember what the answer showed.
        if let (Some(s), Some(b)) = (status, &op.body) {
            if (200..300).contains(&s) && !op.dry_run {
                match op.kind {
                    OpKind::List => {
                        for item in b.get("items").and_then(Value::as_array).into_iter().flatten() {
                            if let Some(rv) = rv_of(item) {
                                self.seen.insert(key_of(op.res, item), rv);
                            }
                        }
                    }
                    OpKind::Delete => {
                        self.seen.remove(&op.key);
                    }
                    _ => {
                        if let Some(rv) = rv_of(b) {
                            self.seen.insert(op.key.clone(), rv);
                        }
                    }
                }
            } else if s == 404 && op.kind != OpKind::List {
                self.seen.remove(&op.key);
            }
        }
        core.note(&line);
        self.after_op(core, idx);
    }

    fn after_op(&mut self, core: &mut Core, idx: usize) {
        let op = &core.history.ops[idx];
        let status = op.status;
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        match &mut self.role {
            Role::Setup { next } => {
                if ok || status == Some(409) {
                    *next += 1;
                }
                self.think(core, 20);
            }
            Role::Actor { .. } => self.think(core, 40),
            Role::Racer { stage, key } => match *stage {
                RaceStage::Ensure => {
                    if ok || status == Some(409) {
                        *stage = RaceStage::Read;
                    }
                    self.think(core, 10);
                }
                RaceStage::Read => {
                    let rv = if ok {
                        op.body.as_ref().and_then(rv_of)
                    } else {
                        None
                    };
                    if status == Some(404) {
                        *stage = RaceStage::Ensure;
                    }
                    if let Some(rv) = rv {
                        self.fire_race(core, rv);
                    } else {
                        self.think(core, 10);
                    }
                }
                RaceStage::Waiting { a, b, rv } => {
                    if self.slots.iter().all(|s| s.inflight.is_empty()) {
                        let k = core.history.ops[a].key.clone();
                        core.history.races.push(Race { a, b, key: k, rv });
                        *key = (*key + 1) % 2;
                        *stage = RaceStage::Read;
                        self.budget = self.budget.saturating_sub(1);
                        if self.budget == 0 {
                            *stage = RaceStage::Ensure;
                        }
                        self.think(core, 30);
                    }
                }
            },
            Role::Lister { pagination, .. } => {
                if let Some(p) = *pagination {
                    let more = op
                        .body
                        .as_ref()
                        .and_then(|b| b.pointer("/metadata/continue"))
                        .and_then(Value::as_str)
                        .is_some_and(|c| !c.is_empty());
                    let pg = &mut core.history.paginations[p];
                    if ok {
                        pg.pages.push(idx);
                        if !more {
                            pg.complete = true;
                            *pagination = None;
                        }
                    } else {
                        pg.pages.push(idx);
                        pg.expired = status == Some(410);
                        *pagination = None;
                    }
                }
                self.think(core, 30);
            }
            Role::Watcher { last_rv, relist, .. } => {
                if ok {
                    *relist = false;
                    *last_rv = op
                        .body
                        .as_ref()
                        .and_then(|b| b.pointer("/metadata/resourceVersion"))
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok());
                }
                self.think(core, 20);
            }
            Role::Auditor { .. } => self.think(core, 5),
        }
    }

    fn after_watch(&mut self, core: &mut Core, w: usize) {
        let rec = &core.history.watches[w];
        if let Role::Watcher { last_rv, relist, .. } = &mut self.role {
            // Events and bookmarks both tell where to resume.
            if let Some(rv) = rec.events.iter().filter(|e| e.ty != "ERROR").map(|e| e.rev).max() {
                *last_rv = Some(rv);
            }
            let code = rec
                .error
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(Value::as_u64);
            if code == Some(410) {
                *relist = true;
            }
        }
        let delay = if matches!(rec.end, WatchEnd::Refused) {
            100
        } else {
            10
        };
        self.think(core, delay);
    }
}
