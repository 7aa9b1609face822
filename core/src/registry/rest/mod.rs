//! The per-request machines of the REST verbs.
//!
//! A [`Machine`] never touches storage: [`Machine::start`] and [`Machine::resume`] return a
//! [`Step`], either a storage request to run (the answer comes back through `resume`), a
//! finished reply, or a watch to register. Optimistic concurrency lives here: writes are
//! transactions that compare the key's modify revision, a stale explicit resourceVersion is a
//! 409, and a conflict without one is retried on the fresh object a bounded number of times.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::admission;
use crate::api::{self, ApiError};
use crate::openapi::OpenApi;
use crate::patch::PatchType;
use crate::rng::Rng;
use crate::storage::{
    prefix_end, Compare, KeyValue, StorageError, StorageRequest, StorageResponse, Transformer, TxnOp,
};
use crate::time::{format_rfc3339, Now};
use crate::watch::{WatchCache, WatchCaches};

mod allocation;
mod create;
mod delete;
mod delete_options;
mod managed;
mod read;
mod update;

use delete_options::DeleteOptions;
use read::get_revision;

use super::body::{self, FieldValidation};
use super::list::{parse_bool, Continue, ListOptions, RvMatch};
use super::{collection_prefix, find, object_key, scale, strategy, ResourceDef};

/// Attempts of a write before a conflict without an explicit resourceVersion is given up.
const MAX_ATTEMPTS: u32 = 10;

/// Parsed query parameters, in order.
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(query: &str) -> Self {
        Params(crate::request::info::parse_query(query))
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A resource request after authentication, authorization and routing.
#[derive(Clone, Debug)]
pub struct Call {
    /// The resource whose stored objects the call works on (the storage version).
    pub def: Arc<ResourceDef>,
    /// The resource as the client asked for it: `def`, or another version of it whose
    /// objects are converted on the way in and out.
    pub served: Arc<ResourceDef>,
    /// The verb.
    pub verb: String,
    /// Namespace ("" for cluster scope or all namespaces).
    pub namespace: String,
    /// Object name ("" for collections).
    pub name: String,
    /// Subresource ("" for the object itself).
    pub subresource: String,
    /// Query parameters.
    pub params: Params,
    /// Content-Type of the body.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Who asks (recorded by kinds that keep their requester, such as CSRs).
    pub user: crate::authn::UserInfo,
    /// The client's User-Agent, which names the field manager of writes that do not.
    pub user_agent: String,
}

/// Service address ranges the server allocates from.
#[derive(Clone, Copy, Debug)]
pub struct ServiceRanges {
    /// Base address of the cluster IP range.
    pub cluster_ip_base: u32,
    /// Prefix length of the cluster IP range.
    pub cluster_ip_prefix: u8,
    /// First node port.
    pub node_port_min: u16,
    /// Last node port.
    pub node_port_max: u16,
}

/// What a machine may read while it decides: time, randomness, the cache, configuration.
pub struct Env<'a> {
    /// The current time.
    pub now: Now,
    /// The seeded generator.
    pub rng: &'a mut Rng,
    /// Storage key prefix (`/registry`).
    pub prefix: &'a str,
    /// The watch caches, one per resource type (for reads, admission lookups and allocation).
    pub caches: &'a WatchCaches,
    /// OpenAPI schemas, for strict field validation.
    pub openapi: Option<&'a OpenApi>,
    /// Address ranges of services.
    pub services: ServiceRanges,
    /// Whether reads that allow it are served from the watch cache (`--watch-cache`).
    pub read_from_cache: bool,
    /// How objects are written to storage and read back.
    pub storage: &'a Transformer,
    /// How long Events live after their last write (`--event-ttl`); 0 keeps them.
    pub event_ttl_secs: u32,
}

/// The delete options of a `pods/eviction` create, after checking the Eviction names the pod.
/// The query's dry run and the Eviction's meet as in kube's propagateDryRun: either one
/// alone counts, and both must agree.
fn eviction_options(call: &Call, query_dry_run: bool) -> Result<DeleteOptions, ApiError> {
    let eviction = body::decode_untyped(&call.content_type, &call.body)?;
    let name = api::name(&eviction);
    if name != call.name {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in Eviction object: {} != {name}",
            call.name
        )));
    }
    let Some(mut opts) = DeleteOptions::from_value(eviction.get("deleteOptions"))? else {
        return Ok(DeleteOptions {
            dry_run: query_dry_run,
            ..DeleteOptions::default()
        });
    };
    // Both lists hold only "All" once validated, so they disagree only when one is empty.
    opts.dry_run |= query_dry_run;
    Ok(opts)
}

/// The change a `pods/binding` create asks for, after kube-apiserver's Binding checks.
fn binding_change(call: &Call) -> Result<Change, ApiError> {
    let binding = body::decode_untyped(&call.content_type, &call.body)?;
    let errs = crate::validation::validate_create("", "Binding", &binding);
    if !errs.is_empty() {
        let def = find("", "v1", "bindings").unwrap_or(&*call.def);
        strategy::invalid_if_any(def, &binding, errs)?;
    }
    let name = api::name(&binding);
    if !name.is_empty() && name != call.name {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in Binding object: {} != {name}",
            call.name
        )));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let annotations = binding
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok(Change::Bind { node, annotations })
}

/// Whether objects of `served` change form between storage and the client: another version
/// than the stored one, or autoscaling/v2 HPAs, whose v1 round-trip annotations v2 clients
/// never see.
pub fn converts(served: &ResourceDef) -> bool {
    served.stored_as.is_some() || (served.group == "autoscaling" && served.kind == "HorizontalPodAutoscaler")
}

fn convert(kind: &str, from: &str, to: &str, obj: &Value) -> Result<Value, ApiError> {
    crate::conversion::convert_api_version(kind, from, to, obj).map_err(|e| ApiError::internal(e.to_string()))
}

/// A stored object (or a list of them) in `served`'s version.
pub fn to_served(served: &ResourceDef, obj: Value) -> Result<Value, ApiError> {
    if !converts(served) || obj.get("kind").and_then(Value::as_str) == Some("Status") {
        return Ok(obj);
    }
    let stored = served.storage_api_version();
    let to = served.api_version();
    match obj {
        Value::Object(mut list) if list.contains_key("items") => {
            if let Some(Value::Array(items)) = list.get_mut("items") {
                for item in items.iter_mut() {
                    let typed = item.get("kind").is_some();
                    let mut c = convert(&served.kind, &stored, &to, item)?;
                    if let (false, Value::Object(m)) = (typed, &mut c) {
                        // List items carry no type of their own.
                        m.shift_remove("kind");
                        m.shift_remove("apiVersion");
                    }
                    *item = c;
                }
            }
            list.insert("apiVersion".into(), json!(to));
            Ok(Value::Object(list))
        }
        obj => convert(&served.kind, &stored, &to, &obj),
    }
    .map(|mut converted| {
        // Fields the served version always writes that the stored one lacks.
        complete_served(served, &mut converted);
        converted
    })
}

/// Completes a converted object or each item of a converted list.
fn complete_served(served: &ResourceDef, obj: &mut Value) {
    match obj.get_mut("items") {
        Some(Value::Array(items)) => items.iter_mut().for_each(|it| complete(served, it)),
        _ => complete(served, obj),
    }
}

/// A client's object of `served`'s version in its stored form.
pub fn to_stored(served: &ResourceDef, obj: &Value) -> Result<Value, ApiError> {
    if !converts(served) {
        return Ok(obj.clone());
    }
    convert(
        &served.kind,
        &served.api_version(),
        &served.storage_api_version(),
        obj,
    )
}

impl Env<'_> {
    /// The watch cache of `def`'s objects.
    pub fn cache_of(&self, def: &ResourceDef) -> &WatchCache {
        self.caches
            .for_key(&crate::registry::collection_prefix(self.prefix, def, ""))
    }
}

/// A successful answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub code: u16,
    /// The object, list or Status to encode.
    pub object: Value,
    /// Warning texts, sent as `Warning: 299` headers.
    pub warnings: Vec<String>,
}

/// A watch to register with the watch cache.
#[derive(Clone, Debug)]
pub struct WatchSpec {
    /// The collection's key prefix.
    pub prefix: Vec<u8>,
    /// Selectors, resourceVersion, bookmarks, timeout.
    pub opts: ListOptions,
    /// For a watch list newer than the type's cache: the initial state, read from storage at
    /// this revision.
    pub initial: Option<(i64, Vec<Value>)>,
}

/// What a machine wants next.
#[derive(Debug)]
pub enum Step {
    /// Run this storage request and call [`Machine::resume`] with its answer.
    Storage(StorageRequest),
    /// Run the admission chain's `Phase` over this request and call [`Machine::admitted`]
    /// with the outcome.
    Admit(admission::Phase, Box<admission::Request>),
    /// The request is finished.
    Done(Result<Reply, ApiError>),
    /// The request becomes a watch.
    Watch(WatchSpec),
}

/// What an update does to the stored object.
#[derive(Clone, Debug)]
enum Change {
    Replace(Value),
    Patch(PatchType, Vec<u8>),
    /// Server-side apply of the request body.
    Apply,
    /// Assign the pod to a node (`pods/binding`), with the Binding's annotations.
    Bind {
        node: String,
        annotations: Map<String, Value>,
    },
}

#[derive(Debug)]
enum State {
    Get,
    List(ListState),
    Create(CreateState),
    Update(UpdateState),
    Delete(DeleteState),
    DeleteCollection(CollectionState),
    Finished,
}

#[derive(Debug)]
struct ListState {
    opts: ListOptions,
    prefix: Vec<u8>,
    snapshot: i64,
    items: Vec<Value>,
    remaining: Option<i64>,
    last_key: Option<Vec<u8>>,
    min_rv: i64,
    /// A consistent read asked storage for its current revision only, to serve the list from
    /// the watch cache once the cache has caught up with it.
    probing: bool,
    /// A watch list asked for a state newer than its type's cache holds: its initial events
    /// come from a storage read.
    watch_list_read: bool,
}

#[derive(Debug, Default)]
struct CreateState {
    obj: Value,
    key: Vec<u8>,
    /// A Service as it was before its addresses were picked, to pick again after a conflict.
    unallocated: Option<Value>,
    /// Allocation keys storage showed taken by another Service.
    claimed: BTreeSet<Vec<u8>>,
    warnings: Vec<String>,
    generate_name: Option<String>,
    attempts: u32,
    /// The prepared object is in validating admission.
    validating: bool,
    code: u16,
    /// Made by a server-side apply, whose managedFields are already set.
    applied: bool,
}

#[derive(Debug)]
struct UpdateState {
    change: Change,
    key: Vec<u8>,
    /// The stored key-value while the change is in admission, and which phase.
    admitting: Option<(KeyValue, admission::Phase)>,
    warnings: Vec<String>,
    attempts: u32,
    pending: Option<Value>,
    explicit_rv: bool,
    deleting: bool,
}

#[derive(Debug)]
struct DeleteState {
    key: Vec<u8>,
    opts: DeleteOptions,
    attempts: u32,
    pending: Option<(Value, bool)>,
    /// An eviction's disruption budget as read after a conflicting write.
    fresh_budget: Option<KeyValue>,
    /// The object read while admission looks at its delete, and which phase.
    admitting: Option<(KeyValue, Value, admission::Phase)>,
    /// The revision of the object admission last admitted the delete of (a retry after a
    /// conflict reads a newer one, which is admitted again).
    admitted_at: Option<i64>,
    /// Warnings of admission, for the reply.
    warnings: Vec<String>,
}

#[derive(Debug)]
struct CollectionState {
    opts: ListOptions,
    delete: DeleteOptions,
    todo: Vec<(Vec<u8>, Value, i64)>,
    done: Vec<Value>,
    listed: bool,
}

/// One request's machine.
#[derive(Debug)]
pub struct Machine {
    call: Call,
    dry_run: bool,
    state: State,
    /// How long the objects this request writes live (Events: `--event-ttl`).
    ttl: Option<u32>,
    /// A `pods/eviction`: a delete guarded by the pod's disruption budget.
    eviction: bool,
    /// While admission sees the objects in the client's version (another than the stored
    /// one): the object as sent to it, and the stored forms of the object and old object.
    admission_stash: Option<AdmissionStash>,
}

/// The stored forms behind an admission request made in the client's version.
#[derive(Debug)]
struct AdmissionStash {
    sent: Option<Value>,
    object: Option<Value>,
    old: Option<Value>,
}

fn done(r: Result<Reply, ApiError>) -> Step {
    Step::Done(r)
}

fn fail(e: ApiError) -> Step {
    Step::Done(Err(e))
}

fn ok(code: u16, object: Value) -> Step {
    Step::Done(Ok(Reply {
        code,
        object,
        warnings: Vec::new(),
    }))
}

/// The Status of a failed storage operation.
pub fn storage_error(e: &StorageError) -> ApiError {
    match e {
        StorageError::Compacted { .. } => {
            ApiError::expired("The resourceVersion for the provided list is too old.")
        }
        StorageError::FutureRevision { current_revision } => {
            ApiError::too_large_resource_version(0, *current_revision)
        }
        StorageError::Timeout => ApiError::timeout(),
        // kube-apiserver passes storage failures through as a 500 with the storage's words.
        StorageError::Unavailable(m) => ApiError::storage_failure(m),
    }
}

/// Adds the fields kube-apiserver writes even at their zero value, as the typed object it
/// decodes into would have them.
fn complete(def: &ResourceDef, obj: &mut Value) {
    OpenApi::shared().complete(&def.definition, obj);
}

fn with_rv(mut obj: Value, rv: i64) -> Value {
    api::set_meta(&mut obj, "resourceVersion", json!(rv.to_string()));
    obj
}

fn first_kv(resp: StorageResponse) -> Option<KeyValue> {
    match resp {
        StorageResponse::Range { kvs, .. } => kvs.into_iter().next(),
        _ => None,
    }
}

/// The dry run of a create, update or patch (and of an eviction, a create): the query's
/// `dryRun`, checked as kube's Validate{Create,Update,Patch}Options check it.
fn parse_dry_run(call: &Call) -> Result<bool, ApiError> {
    let values: Vec<String> = call
        .params
        .0
        .iter()
        .filter(|(k, _)| k == "dryRun")
        .map(|(_, v)| v.clone())
        .collect();
    let mut errs = Vec::new();
    let dry_run = delete_options::dry_run_all(&values, &mut errs);
    if errs.is_empty() {
        return Ok(dry_run);
    }
    let kind = match call.verb.as_str() {
        "update" => "UpdateOptions",
        "patch" => "PatchOptions",
        _ => "CreateOptions",
    };
    Err(delete_options::options_invalid(kind, &errs))
}

impl Machine {
    /// Routes a call to its machine; refuses verbs and subresources the resource lacks.
    pub fn new(call: Call) -> Result<Machine, ApiError> {
        let def = &*call.def;
        let sub = call.subresource.as_str();
        if !sub.is_empty() {
            let Some(s) = def.subresource(sub) else {
                return Err(ApiError::path_not_found());
            };
            let verb = if call.verb == "patch" {
                "patch"
            } else {
                call.verb.as_str()
            };
            if !s.verbs.contains(&verb) {
                return Err(ApiError::method_not_allowed());
            }
        } else if !def.allows(&call.verb) {
            return Err(ApiError::method_not_allowed());
        }
        // Item verbs need a name and collection verbs must not have one; kube-apiserver
        // registers no such routes and answers 405.
        let item_verb = matches!(call.verb.as_str(), "get" | "update" | "patch" | "delete");
        let collection_verb = call.verb == "create";
        if (item_verb && call.name.is_empty()) || (collection_verb && !call.name.is_empty() && sub.is_empty())
        {
            return Err(ApiError::method_not_allowed());
        }
        // Writes read the query's dryRun; deletes read theirs with their other options (body
        // or query) below; reads have none.
        let dry_run = if matches!(call.verb.as_str(), "create" | "update" | "patch") {
            parse_dry_run(&call)?
        } else {
            false
        };
        let prefix_placeholder = Vec::new();
        if call.subresource == "binding" {
            let change = binding_change(&call)?;
            return Ok(Machine {
                call,
                dry_run,
                state: State::Update(UpdateState {
                    change,
                    key: Vec::new(),
                    admitting: None,
                    warnings: Vec::new(),
                    attempts: 0,
                    pending: None,
                    explicit_rv: false,
                    deleting: false,
                }),
                ttl: None,
                eviction: false,
                admission_stash: None,
            });
        }
        if call.subresource == "eviction" {
            let opts = eviction_options(&call, dry_run)?;
            return Ok(Machine {
                call,
                dry_run: opts.dry_run,
                state: State::Delete(DeleteState {
                    key: Vec::new(),
                    opts,
                    attempts: 0,
                    pending: None,
                    fresh_budget: None,
                    admitting: None,
                    admitted_at: None,
                    warnings: Vec::new(),
                }),
                ttl: None,
                eviction: true,
                admission_stash: None,
            });
        }
        let state = match call.verb.as_str() {
            "get" => State::Get,
            "list" | "watch" => State::List(ListState {
                opts: ListOptions::parse(def, &call.params, call.verb == "watch")?,
                prefix: prefix_placeholder,
                snapshot: 0,
                items: Vec::new(),
                remaining: None,
                last_key: None,
                min_rv: 0,
                probing: false,
                watch_list_read: false,
            }),
            "create" => {
                managed::check_write_options(&call, false)?;
                State::Create(CreateState {
                    code: 201,
                    ..CreateState::default()
                })
            }
            "update" | "patch" => {
                let ct = body::media_type(&call.content_type);
                let apply = call.verb == "patch" && ct == managed::APPLY_PATCH;
                managed::check_write_options(&call, apply)?;
                let change = if apply {
                    Change::Apply
                } else if call.verb == "patch" {
                    let Some(pt) = PatchType::from_content_type(&ct) else {
                        return Err(ApiError::unsupported_media_type(
                            &call.content_type,
                            &[
                                "application/json-patch+json",
                                "application/merge-patch+json",
                                "application/strategic-merge-patch+json",
                                managed::APPLY_PATCH,
                            ],
                        ));
                    };
                    Change::Patch(pt, call.body.clone())
                } else {
                    Change::Replace(Value::Null)
                };
                State::Update(UpdateState {
                    change,
                    key: Vec::new(),
                    admitting: None,
                    warnings: Vec::new(),
                    attempts: 0,
                    pending: None,
                    explicit_rv: false,
                    deleting: false,
                })
            }
            "delete" => State::Delete(DeleteState {
                key: Vec::new(),
                opts: DeleteOptions::parse(&call)?,
                attempts: 0,
                pending: None,
                fresh_budget: None,
                admitting: None,
                admitted_at: None,
                warnings: Vec::new(),
            }),
            "deletecollection" => State::DeleteCollection(CollectionState {
                opts: ListOptions::parse(def, &call.params, false)?,
                delete: DeleteOptions::parse(&call)?,
                todo: Vec::new(),
                done: Vec::new(),
                listed: false,
            }),
            _ => return Err(ApiError::method_not_allowed()),
        };
        let dry_run = match &state {
            State::Delete(ds) => ds.opts.dry_run,
            State::DeleteCollection(cs) => cs.delete.dry_run,
            _ => dry_run,
        };
        Ok(Machine {
            call,
            dry_run,
            state,
            ttl: None,
            eviction: false,
            admission_stash: None,
        })
    }

    /// The call this machine serves.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// Starts the request.
    pub fn start(&mut self, env: &mut Env<'_>) -> Step {
        self.ttl =
            (self.call.def.resource == "events" && env.event_ttl_secs > 0).then_some(env.event_ttl_secs);
        let def = &*self.call.def;
        let key = object_key(env.prefix, def, &self.call.namespace, &self.call.name);
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Get => {
                self.state = State::Get;
                let revision = match get_revision(&self.call.params) {
                    Ok(r) => r,
                    Err(e) => return fail(e),
                };
                if let Some(step) = self.get_from_cache(env, &key) {
                    return step;
                }
                let _ = revision;
                Step::Storage(StorageRequest::Range {
                    key,
                    range_end: Vec::new(),
                    revision: 0,
                    limit: 0,
                })
            }
            State::List(mut ls) => {
                ls.prefix = collection_prefix(env.prefix, def, &self.call.namespace);
                if !self.call.name.is_empty() && self.call.verb == "watch" {
                    // A watch of one object is a watch of its collection filtered by name.
                    let mut reqs = ls.opts.fields.requirements().to_vec();
                    reqs.push(crate::selectors::FieldRequirement {
                        field: "metadata.name".into(),
                        operator: crate::selectors::FieldOperator::Equals,
                        value: self.call.name.clone(),
                    });
                    ls.opts.fields = crate::selectors::FieldSelector::from_requirements(reqs);
                }
                if self.call.verb == "watch" {
                    let beyond_cache = match ls.opts.rv {
                        RvMatch::NotOlderThan(n) => n > env.cache_of(def).revision(),
                        _ => false,
                    };
                    if ls.opts.send_initial_events == Some(true) && beyond_cache {
                        // The type's cache has not seen that revision (a quiet type whose
                        // watch reports no progress): read the initial state from storage.
                        ls.watch_list_read = true;
                        let key = ls.prefix.clone();
                        let end = prefix_end(&ls.prefix);
                        self.state = State::List(ls);
                        return Step::Storage(StorageRequest::Range {
                            key,
                            range_end: end,
                            revision: 0,
                            limit: 0,
                        });
                    }
                    return Step::Watch(WatchSpec {
                        prefix: ls.prefix,
                        opts: ls.opts,
                        initial: None,
                    });
                }
                let (revision, start) = match (&ls.opts.cont, ls.opts.rv) {
                    (Some(c), _) => {
                        let mut start = ls.prefix.clone();
                        start.extend_from_slice(c.start.as_bytes());
                        (c.rv.max(0), start)
                    }
                    (None, RvMatch::Exact(n)) => (n, ls.prefix.clone()),
                    (None, RvMatch::NotOlderThan(n)) => {
                        ls.min_rv = n;
                        (0, ls.prefix.clone())
                    }
                    (None, _) => (0, ls.prefix.clone()),
                };
                if let Some(step) = self.list_from_cache(env, &ls) {
                    return step;
                }
                if self.consistent_from_cache(env, &ls) {
                    // One key tells storage's current revision; the list comes from the cache.
                    ls.probing = true;
                    let end = prefix_end(&ls.prefix);
                    let key = ls.prefix.clone();
                    self.state = State::List(ls);
                    return Step::Storage(StorageRequest::Range {
                        key,
                        range_end: end,
                        revision: 0,
                        limit: 1,
                    });
                }
                ls.snapshot = revision;
                let limit = ls.opts.limit;
                let end = prefix_end(&ls.prefix);
                self.state = State::List(ls);
                Step::Storage(StorageRequest::Range {
                    key: start,
                    range_end: end,
                    revision,
                    limit,
                })
            }
            State::Create(mut cs) => {
                let step = self.start_create(env, &mut cs, key);
                self.state = State::Create(cs);
                step
            }
            State::Update(mut us) => {
                us.key = key.clone();
                if let Change::Replace(_) = us.change {
                    match self.decode_replacement(env) {
                        Ok((v, w)) => {
                            us.explicit_rv = !api::meta_str(&v, "resourceVersion").is_empty();
                            us.change = Change::Replace(v);
                            us.warnings = w;
                        }
                        Err(e) => return fail(e),
                    }
                }
                self.state = State::Update(us);
                Step::Storage(StorageRequest::Range {
                    key,
                    range_end: Vec::new(),
                    revision: 0,
                    limit: 0,
                })
            }
            State::Delete(mut ds) => {
                ds.key = key.clone();
                self.state = State::Delete(ds);
                if self.eviction {
                    let request = self.admission_request(admission::Operation::Delete, None, None);
                    return Step::Admit(admission::Phase::Mutating, Box::new(request));
                }
                // A delete is admitted once the object is read, with it as the old object.
                Step::Storage(StorageRequest::Range {
                    key,
                    range_end: Vec::new(),
                    revision: 0,
                    limit: 0,
                })
            }
            State::DeleteCollection(cs) => {
                let prefix = collection_prefix(env.prefix, def, &self.call.namespace);
                let end = prefix_end(&prefix);
                self.state = State::DeleteCollection(cs);
                Step::Storage(StorageRequest::Range {
                    key: prefix,
                    range_end: end,
                    revision: 0,
                    limit: 0,
                })
            }
            State::Finished => fail(ApiError::internal("request already finished")),
        }
    }

    /// Continues with the answer to the last storage request.
    /// Continues after admission: `outcome` is the admitted request (its object possibly
    /// changed by mutating plugins) or a refusal.
    pub fn admitted(&mut self, env: &mut Env<'_>, outcome: Result<admission::Request, ApiError>) -> Step {
        let mut request = match outcome {
            Ok(r) => r,
            Err(e) => {
                self.state = State::Finished;
                return fail(e);
            }
        };
        let warnings = std::mem::take(&mut request.warnings);
        if let Some(stash) = self.admission_stash.take() {
            // Back to the stored forms: the originals unless a plugin changed the object.
            request.old_object = stash.old;
            request.object = match request.object.take() {
                Some(o) if Some(&o) == stash.sent.as_ref() => stash.object,
                Some(o) => match to_stored(&self.call.served, &o) {
                    Ok(stored) => Some(stored),
                    Err(e) => {
                        self.state = State::Finished;
                        return fail(e);
                    }
                },
                None => None,
            };
        }
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Create(mut cs) => {
                add_warnings(&mut cs.warnings, warnings);
                let Some(obj) = request.object else {
                    return fail(ApiError::internal("admission returned no object"));
                };
                let step = if std::mem::take(&mut cs.validating) {
                    // Validating plugins see the object as it will be written; they do not
                    // change it.
                    cs.obj = obj;
                    self.write_new(env, &mut cs)
                } else {
                    self.prepare_admitted(env, &mut cs, obj)
                };
                self.state = State::Create(cs);
                step
            }
            State::Update(mut us) => {
                add_warnings(&mut us.warnings, warnings);
                let (Some((kv, phase)), Some(new), Some(cur)) =
                    (us.admitting.take(), request.object, request.old_object)
                else {
                    return fail(ApiError::internal("admission returned no object"));
                };
                match phase {
                    admission::Phase::Mutating => self.write_update(env, us, kv, cur, new),
                    admission::Phase::Validating => self.commit_update(env, us, kv, cur, new),
                }
            }
            State::Delete(mut ds) => {
                add_warnings(&mut ds.warnings, warnings);
                match ds.admitting.take() {
                    Some((kv, cur, admission::Phase::Mutating)) => {
                        let request =
                            self.admission_request(admission::Operation::Delete, None, Some(cur.clone()));
                        ds.admitting = Some((kv, cur, admission::Phase::Validating));
                        self.state = State::Delete(ds);
                        Step::Admit(admission::Phase::Validating, Box::new(request))
                    }
                    Some((kv, cur, admission::Phase::Validating)) => {
                        ds.admitted_at = Some(kv.mod_revision);
                        self.finish_delete(env, ds, kv, cur)
                    }
                    // An eviction, admitted before its read.
                    None => {
                        let key = ds.key.clone();
                        self.state = State::Delete(ds);
                        Step::Storage(StorageRequest::Range {
                            key,
                            range_end: Vec::new(),
                            revision: 0,
                            limit: 0,
                        })
                    }
                }
            }
            _ => fail(ApiError::internal("unexpected admission outcome")),
        }
    }

    /// What admission sees of this request, for `operation` on `object` (the new state)
    /// over `old` (the stored one).
    fn admission_request(
        &mut self,
        operation: admission::Operation,
        object: Option<Value>,
        old: Option<Value>,
    ) -> admission::Request {
        self.admission_stash = None;
        let served = self.call.served.clone();
        if served.stored_as.is_some() {
            // Admission (and its webhooks) sees the resource in the version the client asked
            // for, as kube's admission attributes name it.
            let view = |o: &Option<Value>| o.clone().map(|o| to_served(&served, o)).transpose();
            if let (Ok(sent), Ok(sent_old)) = (view(&object), view(&old)) {
                let request = self.admission_request_as(&served, operation, sent.clone(), sent_old);
                self.admission_stash = Some(AdmissionStash { sent, object, old });
                return request;
            }
        }
        let def = self.call.def.clone();
        self.admission_request_as(&def, operation, object, old)
    }

    /// What admission sees of this request as `def` names it.
    fn admission_request_as(
        &self,
        def: &ResourceDef,
        operation: admission::Operation,
        object: Option<Value>,
        old: Option<Value>,
    ) -> admission::Request {
        let namespace = match &object {
            Some(o) if def.namespaced => api::namespace(o).to_string(),
            _ => self.call.namespace.clone(),
        };
        let name = match &object {
            Some(o) if !api::name(o).is_empty() => api::name(o).to_string(),
            _ => self.call.name.clone(),
        };
        admission::Request {
            operation,
            group: def.group.clone(),
            version: def.version.clone(),
            resource: def.resource.clone(),
            kind: def.kind.clone(),
            namespaced: def.namespaced,
            namespace,
            name,
            subresource: self.call.subresource.clone(),
            user: self.call.user.clone(),
            dry_run: self.dry_run,
            object,
            old_object: old,
            options: self.admission_options(operation),
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 0,
        }
    }

    /// The options admission sees, as kube's handlers pass them: a patch or apply is an
    /// update's (or create's) options.
    fn admission_options(&self, operation: admission::Operation) -> Value {
        let kind = match operation {
            admission::Operation::Create => "CreateOptions",
            admission::Operation::Update => "UpdateOptions",
            admission::Operation::Delete => "DeleteOptions",
            admission::Operation::Connect => return Value::Null,
        };
        let mut options = json!({"kind": kind, "apiVersion": "meta.k8s.io/v1"});
        if self.dry_run {
            options["dryRun"] = json!(["All"]);
        }
        let params = &self.call.params;
        if operation == admission::Operation::Delete {
            if let Some(g) = params
                .get("gracePeriodSeconds")
                .and_then(|g| g.parse::<i64>().ok())
            {
                options["gracePeriodSeconds"] = json!(g);
            }
            if let Some(p) = params.get("propagationPolicy") {
                options["propagationPolicy"] = json!(p);
            }
        } else if let Some(m) = params.get("fieldManager") {
            options["fieldManager"] = json!(m);
        }
        options
    }

    /// Continues with a storage answer.
    pub fn resume(&mut self, env: &mut Env<'_>, result: Result<StorageResponse, StorageError>) -> Step {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Get => self.resume_get(env, result),
            State::List(ls) => self.resume_list(env, ls, result),
            State::Create(cs) => self.resume_create(env, cs, result),
            State::Update(us) => self.resume_update(env, us, result),
            State::Delete(ds) => self.resume_delete(env, ds, result),
            State::DeleteCollection(cs) => self.resume_collection(env, cs, result),
            State::Finished => fail(ApiError::internal("unexpected storage answer")),
        }
    }
}

fn is_namespace_pending(def: &ResourceDef, obj: &Value) -> bool {
    def.group.is_empty()
        && def.kind == "Namespace"
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
}

/// Adds `new` warnings to `to`, each text once (an update admitted again after a conflict
/// warns again), as kube's warning recorder keeps each text once.
fn add_warnings(to: &mut Vec<String>, new: Vec<String>) {
    for w in new {
        if !to.contains(&w) {
            to.push(w);
        }
    }
}
