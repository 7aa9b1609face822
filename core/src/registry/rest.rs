//! The per-request machines of the REST verbs.
//!
//! A [`Machine`] never touches storage: [`Machine::start`] and [`Machine::resume`] return a
//! [`Step`], either a storage request to run (the answer comes back through `resume`), a
//! finished reply, or a watch to register. Optimistic concurrency lives here: writes are
//! transactions that compare the key's modify revision, a stale explicit resourceVersion is a
//! 409, and a conflict without one is retried on the fresh object a bounded number of times.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::admission::namespace_lifecycle;
use crate::api::{self, ApiError};
use crate::openapi::OpenApi;
use crate::patch::PatchType;
use crate::rng::Rng;
use crate::storage::{prefix_end, Compare, KeyValue, StorageError, StorageRequest, StorageResponse, TxnOp};
use crate::time::{format_rfc3339, Now};
use crate::watch::{decode_stored, WatchCache};

use super::body::{self, FieldValidation};
use super::list::{Continue, ListOptions, RvMatch};
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
    /// The resource.
    pub def: &'static ResourceDef,
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
    /// The watch cache (for admission lookups and allocation).
    pub cache: &'a WatchCache,
    /// OpenAPI schemas, for strict field validation.
    pub openapi: Option<&'a OpenApi>,
    /// Address ranges of services.
    pub services: ServiceRanges,
    /// Whether reads that allow it are served from the watch cache (`--watch-cache`).
    pub read_from_cache: bool,
    /// How long Events live after their last write (`--event-ttl`); 0 keeps them.
    pub event_ttl_secs: u32,
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
}

/// What a machine wants next.
#[derive(Debug)]
pub enum Step {
    /// Run this storage request and call [`Machine::resume`] with its answer.
    Storage(StorageRequest),
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
}

#[derive(Debug)]
struct CreateState {
    obj: Value,
    key: Vec<u8>,
    warnings: Vec<String>,
    generate_name: Option<String>,
    attempts: u32,
    checking_namespace: bool,
    code: u16,
}

#[derive(Debug)]
struct UpdateState {
    change: Change,
    key: Vec<u8>,
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
}

#[derive(Debug)]
struct CollectionState {
    opts: ListOptions,
    delete: DeleteOptions,
    todo: Vec<(Vec<u8>, Value, i64)>,
    done: Vec<Value>,
    listed: bool,
}

/// DeleteOptions from the body and query.
#[derive(Clone, Debug, Default)]
struct DeleteOptions {
    precondition_uid: Option<String>,
    precondition_rv: Option<String>,
    propagation: Option<String>,
    grace_period: Option<i64>,
}

/// One request's machine.
#[derive(Debug)]
pub struct Machine {
    call: Call,
    dry_run: bool,
    state: State,
    /// How long the objects this request writes live (Events: `--event-ttl`).
    ttl: Option<u32>,
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

fn storage_error(e: &StorageError) -> ApiError {
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

fn stored_bytes(obj: &Value) -> Vec<u8> {
    let mut v = obj.clone();
    let m = api::meta_mut(&mut v);
    m.shift_remove("resourceVersion");
    m.shift_remove("selfLink");
    serde_json::to_vec(&v).unwrap_or_default()
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

fn parse_dry_run(params: &Params) -> Result<bool, ApiError> {
    match params.get("dryRun") {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "dryRun: Unsupported value: \"{other}\": supported values: \"All\""
        ))),
    }
}

impl Machine {
    /// Routes a call to its machine; refuses verbs and subresources the resource lacks.
    pub fn new(call: Call) -> Result<Machine, ApiError> {
        let def = call.def;
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
        let dry_run = parse_dry_run(&call.params)?;
        let prefix_placeholder = Vec::new();
        let state = match call.verb.as_str() {
            "get" => State::Get,
            "list" | "watch" => State::List(ListState {
                opts: ListOptions::parse(def, &call.params)?,
                prefix: prefix_placeholder,
                snapshot: 0,
                items: Vec::new(),
                remaining: None,
                last_key: None,
                min_rv: 0,
                probing: false,
            }),
            "create" => State::Create(CreateState {
                obj: Value::Null,
                key: Vec::new(),
                warnings: Vec::new(),
                generate_name: None,
                attempts: 0,
                checking_namespace: false,
                code: 201,
            }),
            "update" | "patch" => {
                let change = if call.verb == "patch" {
                    let ct = body::media_type(&call.content_type);
                    let Some(pt) = PatchType::from_content_type(&ct) else {
                        return Err(ApiError::unsupported_media_type(
                            &call.content_type,
                            &[
                                "application/json-patch+json",
                                "application/merge-patch+json",
                                "application/strategic-merge-patch+json",
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
                    warnings: Vec::new(),
                    attempts: 0,
                    pending: None,
                    explicit_rv: false,
                    deleting: false,
                })
            }
            "delete" => State::Delete(DeleteState {
                key: Vec::new(),
                opts: parse_delete_options(&call)?,
                attempts: 0,
                pending: None,
            }),
            "deletecollection" => State::DeleteCollection(CollectionState {
                opts: ListOptions::parse(def, &call.params)?,
                delete: parse_delete_options(&call)?,
                todo: Vec::new(),
                done: Vec::new(),
                listed: false,
            }),
            _ => return Err(ApiError::method_not_allowed()),
        };
        Ok(Machine {
            call,
            dry_run,
            state,
            ttl: None,
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
        let def = self.call.def;
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
                    return Step::Watch(WatchSpec {
                        prefix: ls.prefix,
                        opts: ls.opts,
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
                if def.kind == "Namespace" && def.group.is_empty() {
                    if let Err(e) = namespace_lifecycle::admit_namespace_delete(&self.call.name) {
                        return fail(e);
                    }
                }
                ds.key = key.clone();
                self.state = State::Delete(ds);
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
    pub fn resume(&mut self, env: &mut Env<'_>, result: Result<StorageResponse, StorageError>) -> Step {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Get => self.resume_get(result),
            State::List(ls) => self.resume_list(env, ls, result),
            State::Create(cs) => self.resume_create(env, cs, result),
            State::Update(us) => self.resume_update(env, us, result),
            State::Delete(ds) => self.resume_delete(env, ds, result),
            State::DeleteCollection(cs) => self.resume_collection(env, cs, result),
            State::Finished => fail(ApiError::internal("unexpected storage answer")),
        }
    }

    /// Answers a get from the watch cache when its resourceVersion allows: "0" (any state)
    /// or a revision the cache has reached. Consistent reads go to storage.
    fn get_from_cache(&self, env: &Env<'_>, key: &[u8]) -> Option<Step> {
        if !env.read_from_cache || !env.cache.is_ready() {
            return None;
        }
        let rv = self.call.params.get("resourceVersion").unwrap_or("");
        let fresh_enough = match rv {
            "0" => true,
            "" => false,
            n => n.parse::<i64>().is_ok_and(|n| n <= env.cache.revision()),
        };
        if !fresh_enough {
            return None;
        }
        let def = self.call.def;
        let Some(obj) = env.cache.get(key) else {
            return Some(fail(ApiError::not_found(
                def.group,
                def.resource,
                &self.call.name,
            )));
        };
        let obj = (**obj).clone();
        Some(if self.call.subresource == "scale" {
            ok(200, scale::to_scale(&obj))
        } else {
            ok(200, obj)
        })
    }

    /// Answers a list from the watch cache for resourceVersion "0" (as kube-apiserver, the
    /// whole list, `limit` not applied) and for a revision the cache has reached when no
    /// paging is asked for.
    fn list_from_cache(&self, env: &Env<'_>, ls: &ListState) -> Option<Step> {
        if !env.read_from_cache || !env.cache.is_ready() || ls.opts.cont.is_some() {
            return None;
        }
        let served = match ls.opts.rv {
            RvMatch::Any => true,
            RvMatch::NotOlderThan(n) => ls.opts.limit == 0 && n <= env.cache.revision(),
            RvMatch::Latest | RvMatch::Exact(_) => false,
        };
        served.then(|| self.cached_list(env, ls))
    }

    /// Whether a consistent list may be served from the cache once storage's revision is
    /// known (no paging: pages are read from storage at their snapshot).
    fn consistent_from_cache(&self, env: &Env<'_>, ls: &ListState) -> bool {
        env.read_from_cache
            && env.cache.is_ready()
            && ls.opts.cont.is_none()
            && ls.opts.limit == 0
            && ls.opts.rv == RvMatch::Latest
    }

    /// The list as the watch cache holds it now.
    fn cached_list(&self, env: &Env<'_>, ls: &ListState) -> Step {
        let def = self.call.def;
        let items: Vec<Value> = env
            .cache
            .list(&ls.prefix)
            .filter(|(_, o)| ls.opts.matches(def, o))
            .map(|(_, o)| {
                let mut o = (**o).clone();
                if let Value::Object(m) = &mut o {
                    m.shift_remove("kind");
                    m.shift_remove("apiVersion");
                }
                o
            })
            .collect();
        ok(
            200,
            json!({
                "kind": def.list_kind(),
                "apiVersion": def.api_version(),
                "metadata": {"resourceVersion": env.cache.revision().to_string()},
                "items": items,
            }),
        )
    }

    fn resume_get(&mut self, result: Result<StorageResponse, StorageError>) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        let Some(obj) = first_kv(resp).and_then(|kv| decode_stored(&kv)) else {
            return fail(ApiError::not_found(def.group, def.resource, &self.call.name));
        };
        if self.call.subresource == "scale" {
            return ok(200, scale::to_scale(&obj));
        }
        ok(200, obj)
    }

    fn resume_list(
        &mut self,
        env: &Env<'_>,
        mut ls: ListState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        if ls.probing {
            ls.probing = false;
            if let Ok(StorageResponse::Range { revision, .. }) = &result {
                if env.cache.revision() >= *revision {
                    return self.cached_list(env, &ls);
                }
            }
            if let Err(e) = &result {
                return fail(storage_error(e));
            }
            // The cache is behind storage: read the list from storage itself.
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
        let (revision, kvs, more, count) = match result {
            Ok(StorageResponse::Range {
                revision,
                kvs,
                more,
                count,
            }) => (revision, kvs, more, count),
            Ok(_) => return fail(ApiError::internal("unexpected storage answer")),
            Err(StorageError::Compacted { .. }) if ls.opts.cont.is_some() || ls.last_key.is_some() => {
                let start = ls.opts.cont.as_ref().map(|c| c.start.clone()).unwrap_or_default();
                let mut e = ApiError::expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                );
                e.continue_token = Some(Continue { rv: -1, start }.encode());
                return fail(e);
            }
            Err(e) => return fail(storage_error(&e)),
        };
        if ls.snapshot == 0 {
            ls.snapshot = revision;
            if ls.min_rv > revision {
                return fail(ApiError::too_large_resource_version(ls.min_rv, revision));
            }
        }
        if ls.remaining.is_none() && !ls.opts.has_selectors() && more {
            ls.remaining = Some(count - kvs.len() as i64);
        }
        let limit = ls.opts.limit;
        // Planted defect (c), simulator only: the page after a continue token starts one key late.
        #[cfg(feature = "sim-bugs")]
        let kvs: Vec<KeyValue> = if crate::sim_bugs::active(crate::sim_bugs::CONTINUE_SKIPS_KEY)
            && ls.opts.cont.is_some()
            && ls.items.is_empty()
        {
            kvs.into_iter().skip(1).collect()
        } else {
            kvs
        };
        let batch_len = kvs.len();
        let mut stopped_early = false;
        for (i, kv) in kvs.into_iter().enumerate() {
            ls.last_key = Some(kv.key.clone());
            let Some(obj) = decode_stored(&kv) else { continue };
            if ls.opts.matches(def, &obj) {
                let mut obj = obj;
                if let Value::Object(m) = &mut obj {
                    // Items of a typed list carry no kind and apiVersion.
                    m.shift_remove("kind");
                    m.shift_remove("apiVersion");
                }
                ls.items.push(obj);
                if limit > 0 && ls.items.len() as i64 >= limit {
                    stopped_early = i + 1 < batch_len;
                    break;
                }
            }
        }
        let full = limit > 0 && ls.items.len() as i64 >= limit;
        if !full && more {
            // Selectors filtered some of this page out: read the next one at the same snapshot.
            let mut start = ls.last_key.clone().unwrap_or_default();
            start.push(0);
            let end = prefix_end(&ls.prefix);
            let revision = ls.snapshot;
            self.state = State::List(ls);
            return Step::Storage(StorageRequest::Range {
                key: start,
                range_end: end,
                revision,
                limit,
            });
        }
        let mut metadata = Map::new();
        metadata.insert("resourceVersion".into(), json!(ls.snapshot.to_string()));
        if full && (more || stopped_early) {
            let last = ls.last_key.clone().unwrap_or_default();
            let rel = String::from_utf8_lossy(last.get(ls.prefix.len()..).unwrap_or_default()).into_owned();
            let token = Continue {
                rv: ls.snapshot,
                start: format!("{rel}\u{0}"),
            };
            metadata.insert("continue".into(), json!(token.encode()));
            if let Some(r) = ls.remaining {
                if r > 0 {
                    metadata.insert("remainingItemCount".into(), json!(r));
                }
            }
        }
        let list = json!({
            "kind": def.list_kind(),
            "apiVersion": def.api_version(),
            "metadata": metadata,
            "items": ls.items,
        });
        ok(200, list)
    }

    fn decode_replacement(&self, env: &Env<'_>) -> Result<(Value, Vec<String>), ApiError> {
        let def = self.call.def;
        let validation = FieldValidation::parse(self.call.params.get("fieldValidation"))?;
        if self.call.subresource == "scale" {
            let v: Value = serde_json::from_slice(&self.call.body).map_err(|e| {
                ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
            })?;
            if api::name(&v) != self.call.name && !api::name(&v).is_empty() {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({})",
                    api::name(&v),
                    self.call.name
                )));
            }
            return Ok((v, Vec::new()));
        }
        let mut d = body::decode_object(
            def,
            &self.call.content_type,
            &self.call.body,
            validation,
            env.openapi,
        )?;
        body::reconcile_name_namespace(def, &mut d.object, &self.call.namespace, Some(&self.call.name))?;
        Ok((d.object, d.warnings))
    }

    fn start_create(&mut self, env: &mut Env<'_>, cs: &mut CreateState, _key: Vec<u8>) -> Step {
        let def = self.call.def;
        let validation = match FieldValidation::parse(self.call.params.get("fieldValidation")) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let mut d = match body::decode_object(
            def,
            &self.call.content_type,
            &self.call.body,
            validation,
            env.openapi,
        ) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        if let Err(e) = body::reconcile_name_namespace(def, &mut d.object, &self.call.namespace, None) {
            return fail(e);
        }
        cs.warnings = d.warnings;
        let mut obj = d.object;
        if api::name(&obj).is_empty() {
            let gn = api::meta_str(&obj, "generateName").to_string();
            if !gn.is_empty() {
                cs.generate_name = Some(gn);
                let name = generate(cs.generate_name.as_deref().unwrap_or(""), env.rng);
                api::set_meta(&mut obj, "name", json!(name));
            }
        }
        self.prepare_new(env, cs, obj)
    }

    /// Server fields, validation and admission of a new object, then the namespace check.
    fn prepare_new(&mut self, env: &mut Env<'_>, cs: &mut CreateState, mut obj: Value) -> Step {
        let def = self.call.def;
        strategy::prepare_for_create(def, &mut obj, env.now, env.rng);
        if def.group.is_empty() && def.kind == "Service" {
            if let Err(e) = allocate_service_addresses(env, &mut obj) {
                return fail(e);
            }
        }
        if let Err(e) = strategy::validate_create(def, &obj) {
            return fail(e);
        }
        cs.key = object_key(env.prefix, def, api::namespace(&obj), api::name(&obj));
        cs.obj = obj;
        if def.namespaced {
            let ns = api::namespace(&cs.obj).to_string();
            let ns_def = find("", "v1", "namespaces");
            if let Some(ns_def) = ns_def {
                let ns_key = object_key(env.prefix, ns_def, "", &ns);
                match env.cache.get(&ns_key) {
                    Some(nsobj) => {
                        if let Err(e) = namespace_lifecycle::admit_create(&ns, Some(nsobj)) {
                            return fail(e);
                        }
                    }
                    None => {
                        // Not in the cache (yet): ask storage before refusing.
                        cs.checking_namespace = true;
                        return Step::Storage(StorageRequest::Range {
                            key: ns_key,
                            range_end: Vec::new(),
                            revision: 0,
                            limit: 0,
                        });
                    }
                }
            }
        }
        self.write_new(cs)
    }

    fn write_new(&mut self, cs: &mut CreateState) -> Step {
        if self.dry_run {
            return done(Ok(Reply {
                code: cs.code,
                object: cs.obj.clone(),
                warnings: std::mem::take(&mut cs.warnings),
            }));
        }
        Step::Storage(StorageRequest::Txn {
            compare: vec![Compare::CreateRevision(cs.key.clone(), 0)],
            success: vec![TxnOp::Put {
                key: cs.key.clone(),
                value: stored_bytes(&cs.obj),
                ttl_secs: self.ttl,
            }],
            failure: vec![],
        })
    }

    fn resume_create(
        &mut self,
        env: &mut Env<'_>,
        mut cs: CreateState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            // Planted defect (d), simulator only: the create is acknowledged although storage
            // did not confirm it.
            #[cfg(feature = "sim-bugs")]
            Err(StorageError::Timeout | StorageError::Unavailable(_))
                if !cs.checking_namespace && crate::sim_bugs::active(crate::sim_bugs::ACK_BEFORE_STORED) =>
            {
                let object = with_rv(cs.obj, env.cache.revision() + 1);
                return done(Ok(Reply {
                    code: cs.code,
                    object,
                    warnings: cs.warnings,
                }));
            }
            Err(e) => return fail(storage_error(&e)),
        };
        if cs.checking_namespace {
            cs.checking_namespace = false;
            let ns = api::namespace(&cs.obj).to_string();
            let nsobj = first_kv(resp).and_then(|kv| decode_stored(&kv));
            if let Err(e) = namespace_lifecycle::admit_create(&ns, nsobj.as_ref()) {
                return fail(e);
            }
            let step = self.write_new(&mut cs);
            self.state = State::Create(cs);
            return step;
        }
        match resp {
            StorageResponse::Txn {
                succeeded: true,
                revision,
                ..
            } => done(Ok(Reply {
                code: cs.code,
                object: with_rv(cs.obj, revision),
                warnings: cs.warnings,
            })),
            StorageResponse::Txn { succeeded: false, .. } => {
                if let Some(gn) = cs.generate_name.clone() {
                    if cs.attempts < 8 {
                        // A generated name collided: pick another, as kube-apiserver retries.
                        cs.attempts += 1;
                        let name = generate(&gn, env.rng);
                        api::set_meta(&mut cs.obj, "name", json!(name));
                        cs.key = object_key(env.prefix, def, api::namespace(&cs.obj), &name);
                        let step = self.write_new(&mut cs);
                        self.state = State::Create(cs);
                        return step;
                    }
                }
                fail(ApiError::already_exists(
                    def.group,
                    def.resource,
                    api::name(&cs.obj),
                ))
            }
            _ => fail(ApiError::internal("unexpected storage answer")),
        }
    }

    fn resume_update(
        &mut self,
        env: &mut Env<'_>,
        mut us: UpdateState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        let current = match resp {
            StorageResponse::Range { kvs, .. } => kvs.into_iter().next(),
            StorageResponse::Txn {
                succeeded: true,
                revision,
                ..
            } => {
                let written = us.pending.take().unwrap_or(Value::Null);
                if us.deleting {
                    let mut last = written;
                    api::set_meta(&mut last, "resourceVersion", json!(revision.to_string()));
                    return done(Ok(Reply {
                        code: 200,
                        object: last,
                        warnings: us.warnings,
                    }));
                }
                let obj = with_rv(written, revision);
                let obj = if self.call.subresource == "scale" {
                    scale::to_scale(&obj)
                } else {
                    obj
                };
                return done(Ok(Reply {
                    code: 200,
                    object: obj,
                    warnings: us.warnings,
                }));
            }
            StorageResponse::Txn {
                succeeded: false,
                gets,
                ..
            } => {
                if us.explicit_rv {
                    return fail(ApiError::stale(def.group, def.resource, &self.call.name));
                }
                us.attempts += 1;
                if us.attempts >= MAX_ATTEMPTS {
                    return fail(ApiError::stale(def.group, def.resource, &self.call.name));
                }
                gets.into_iter().next().flatten()
            }
            StorageResponse::Compacted { .. } => {
                return fail(ApiError::internal("unexpected storage answer"))
            }
        };
        let Some(kv) = current else {
            if let Change::Replace(obj) = &us.change {
                if def.create_on_update && self.call.subresource.is_empty() && !us.explicit_rv {
                    // PUT of a missing object creates it, for the kinds that allow it.
                    let mut cs = CreateState {
                        obj: Value::Null,
                        key: Vec::new(),
                        warnings: std::mem::take(&mut us.warnings),
                        generate_name: None,
                        attempts: 0,
                        checking_namespace: false,
                        code: 201,
                    };
                    let step = self.prepare_new(env, &mut cs, obj.clone());
                    self.state = State::Create(cs);
                    return step;
                }
            }
            return fail(ApiError::not_found(def.group, def.resource, &self.call.name));
        };
        let Some(cur) = decode_stored(&kv) else {
            return fail(ApiError::internal("stored object cannot be decoded"));
        };
        let mut new = match self.apply_change(&us.change, &cur, env.openapi) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        let new_rv = api::meta_str(&new, "resourceVersion").to_string();
        let cur_rv = kv.mod_revision.to_string();
        if let Change::Patch(..) = us.change {
            us.explicit_rv = !new_rv.is_empty() && new_rv != cur_rv;
        }
        // Planted defect (b), simulator only: a stale resourceVersion passes the check.
        #[cfg(feature = "sim-bugs")]
        let new_rv = if crate::sim_bugs::active(crate::sim_bugs::STALE_UPDATE_ACCEPTED) {
            cur_rv.clone()
        } else {
            new_rv
        };
        if !new_rv.is_empty() && new_rv != cur_rv {
            return fail(ApiError::stale(def.group, def.resource, &self.call.name));
        }
        strategy::prepare_for_update(def, &self.call.subresource, &mut new, &cur);
        if let Err(e) = strategy::validate_update(def, &new, &cur) {
            return fail(e);
        }
        let unchanged = strategy::same_object(&new, &cur);
        if unchanged || self.dry_run {
            let obj = with_rv(new, kv.mod_revision);
            let obj = if self.call.subresource == "scale" {
                scale::to_scale(&obj)
            } else {
                obj
            };
            return done(Ok(Reply {
                code: 200,
                object: obj,
                warnings: us.warnings,
            }));
        }
        // The last finalizer of a terminating object removed: the object goes.
        us.deleting =
            api::is_terminating(&new) && api::finalizers(&new).is_empty() && !is_namespace_pending(def, &new);
        let op = if us.deleting {
            TxnOp::Delete { key: us.key.clone() }
        } else {
            TxnOp::Put {
                key: us.key.clone(),
                value: stored_bytes(&new),
                ttl_secs: self.ttl,
            }
        };
        us.pending = Some(new);
        let compare = vec![Compare::ModRevision(us.key.clone(), kv.mod_revision)];
        let failure = vec![TxnOp::Get { key: us.key.clone() }];
        self.state = State::Update(us);
        Step::Storage(StorageRequest::Txn {
            compare,
            success: vec![op],
            failure,
        })
    }

    fn apply_change(
        &self,
        change: &Change,
        cur: &Value,
        openapi: Option<&OpenApi>,
    ) -> Result<Value, ApiError> {
        let def = self.call.def;
        let is_scale = self.call.subresource == "scale";
        match change {
            Change::Replace(body) => {
                if is_scale {
                    scale::apply_scale(cur, body, def.kind)
                } else {
                    Ok(body.clone())
                }
            }
            Change::Patch(pt, bytes) => {
                let (group, kind, base) = if is_scale {
                    ("autoscaling", "Scale", scale::to_scale(cur))
                } else {
                    (def.group, def.kind, cur.clone())
                };
                let mut patched = crate::patch::apply(*pt, group, kind, &base, bytes).map_err(patch_error)?;
                if let (Some(o), false) = (openapi, is_scale) {
                    // As decoding the patched object into its type does.
                    o.prune(def.definition, &mut patched);
                }
                if is_scale {
                    return scale::apply_scale(cur, &patched, def.kind);
                }
                body::check_type_meta(def, &patched)?;
                if api::name(&patched) != api::name(cur) || api::namespace(&patched) != api::namespace(cur) {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({})",
                        api::name(&patched),
                        self.call.name
                    )));
                }
                Ok(patched)
            }
        }
    }

    fn resume_delete(
        &mut self,
        env: &mut Env<'_>,
        mut ds: DeleteState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        let current = match resp {
            StorageResponse::Range { kvs, .. } => kvs.into_iter().next(),
            StorageResponse::Txn {
                succeeded: true,
                revision,
                ..
            } => {
                let (obj, removed) = ds.pending.take().unwrap_or((Value::Null, true));
                return done(Ok(Reply {
                    code: 200,
                    object: delete_reply(def, obj, removed, revision),
                    warnings: Vec::new(),
                }));
            }
            StorageResponse::Txn {
                succeeded: false,
                gets,
                ..
            } => {
                ds.attempts += 1;
                if ds.attempts >= MAX_ATTEMPTS {
                    return fail(ApiError::stale(def.group, def.resource, &self.call.name));
                }
                gets.into_iter().next().flatten()
            }
            StorageResponse::Compacted { .. } => {
                return fail(ApiError::internal("unexpected storage answer"))
            }
        };
        let Some(kv) = current else {
            return fail(ApiError::not_found(def.group, def.resource, &self.call.name));
        };
        let Some(cur) = decode_stored(&kv) else {
            return fail(ApiError::internal("stored object cannot be decoded"));
        };
        if let Err(e) = check_preconditions(def, &ds.opts, &cur, kv.mod_revision) {
            return fail(e);
        }
        let plan = plan_delete(def, &ds.opts, &cur, env.now);
        let (step_obj, removed) = match plan {
            DeletePlan::Unchanged(obj) => return ok(200, obj),
            DeletePlan::Update(obj) => (obj, false),
            DeletePlan::Remove => (cur.clone(), true),
        };
        if self.dry_run {
            return ok(200, delete_reply(def, step_obj, removed, kv.mod_revision));
        }
        let op = if removed {
            TxnOp::Delete { key: ds.key.clone() }
        } else {
            TxnOp::Put {
                key: ds.key.clone(),
                value: stored_bytes(&step_obj),
                ttl_secs: self.ttl,
            }
        };
        let compare = vec![Compare::ModRevision(ds.key.clone(), kv.mod_revision)];
        let failure = vec![TxnOp::Get { key: ds.key.clone() }];
        ds.pending = Some((step_obj, removed));
        self.state = State::Delete(ds);
        Step::Storage(StorageRequest::Txn {
            compare,
            success: vec![op],
            failure,
        })
    }

    fn resume_collection(
        &mut self,
        env: &mut Env<'_>,
        mut cs: CollectionState,
        result: Result<StorageResponse, StorageError>,
    ) -> Step {
        let def = self.call.def;
        let resp = match result {
            Ok(r) => r,
            Err(e) => return fail(storage_error(&e)),
        };
        if !cs.listed {
            cs.listed = true;
            if let StorageResponse::Range { kvs, .. } = resp {
                for kv in kvs.into_iter().rev() {
                    if let Some(obj) = decode_stored(&kv) {
                        if cs.opts.matches(def, &obj) {
                            cs.todo.push((kv.key.clone(), obj, kv.mod_revision));
                        }
                    }
                }
            }
        } else if let StorageResponse::Txn {
            succeeded, revision, ..
        } = resp
        {
            // The item just written; a conflict means it changed under us and is skipped,
            // as kube's deletecollection skips objects that vanish or conflict.
            if let Some((_, obj, _)) = cs.todo.pop() {
                if succeeded {
                    cs.done.push(with_rv(obj, revision));
                }
            }
        }
        while let Some((key, obj, rev)) = cs.todo.last().cloned() {
            let plan = plan_delete(def, &cs.delete, &obj, env.now);
            let op = match plan {
                DeletePlan::Unchanged(o) => {
                    cs.todo.pop();
                    cs.done.push(o);
                    continue;
                }
                DeletePlan::Update(o) => {
                    if let Some(last) = cs.todo.last_mut() {
                        last.1 = o.clone();
                    }
                    TxnOp::Put {
                        key: key.clone(),
                        value: stored_bytes(&o),
                        ttl_secs: self.ttl,
                    }
                }
                DeletePlan::Remove => TxnOp::Delete { key: key.clone() },
            };
            if self.dry_run {
                cs.todo.pop();
                cs.done.push(obj);
                continue;
            }
            self.state = State::DeleteCollection(cs);
            return Step::Storage(StorageRequest::Txn {
                compare: vec![Compare::ModRevision(key, rev)],
                success: vec![op],
                failure: vec![],
            });
        }
        ok(
            200,
            json!({"kind": def.list_kind(), "apiVersion": def.api_version(), "metadata": {}, "items": cs.done}),
        )
    }
}

fn get_revision(params: &Params) -> Result<i64, ApiError> {
    match params.get("resourceVersion") {
        None | Some("") | Some("0") => Ok(0),
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}"))),
    }
}

fn generate(prefix: &str, rng: &mut Rng) -> String {
    // kube-apiserver keeps generated names within 63 characters.
    let base: String = prefix.chars().take(58).collect();
    format!("{base}{}", rng.name_suffix())
}

fn is_namespace_pending(def: &ResourceDef, obj: &Value) -> bool {
    def.group.is_empty()
        && def.kind == "Namespace"
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
}

fn patch_error(e: crate::patch::PatchError) -> ApiError {
    match e.http_status() {
        // kube-apiserver answers an inapplicable patch with a generic 422 and no details.
        422 => {
            let mut api = ApiError::invalid("", "", "", e.message(), vec![]);
            api.kind = None;
            api
        }
        413 => ApiError::too_large(e.message()),
        500 => ApiError::internal(e.message()),
        _ => ApiError::bad_request(e.message()),
    }
}

fn parse_delete_options(call: &Call) -> Result<DeleteOptions, ApiError> {
    let mut o = DeleteOptions::default();
    if !call.body.is_empty() && call.body.iter().any(|b| !b.is_ascii_whitespace()) {
        let v: Value = if body::media_type(&call.content_type) == "application/vnd.kubernetes.protobuf" {
            crate::codec::protobuf::decode(&call.body)
                .map_err(|e| ApiError::bad_request(e.to_string()))?
                .object
        } else {
            serde_json::from_slice(&call.body).map_err(|e| {
                ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
            })?
        };
        o.precondition_uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(String::from);
        o.precondition_rv = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(String::from);
        o.propagation = v
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .map(String::from);
        o.grace_period = v.get("gracePeriodSeconds").and_then(Value::as_i64);
        if o.propagation.is_none() {
            if let Some(orphan) = v.get("orphanDependents").and_then(Value::as_bool) {
                o.propagation = Some(if orphan { "Orphan" } else { "Background" }.into());
            }
        }
    }
    if let Some(p) = call.params.get("propagationPolicy") {
        o.propagation = Some(p.to_string());
    }
    if let Some(g) = call.params.get("gracePeriodSeconds") {
        o.grace_period = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    if let Some(p) = &o.propagation {
        if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
            let msg = format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            );
            return Err(ApiError::invalid("meta.k8s.io", "DeleteOptions", "", msg, vec![]));
        }
    }
    Ok(o)
}

fn check_preconditions(def: &ResourceDef, o: &DeleteOptions, cur: &Value, rev: i64) -> Result<(), ApiError> {
    let name = api::name(cur);
    if let Some(uid) = &o.precondition_uid {
        let actual = api::meta_str(cur, "uid");
        if uid != actual {
            return Err(ApiError::conflict(
                def.group,
                def.resource,
                name,
                &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"),
            ));
        }
    }
    if let Some(rv) = &o.precondition_rv {
        if *rv != rev.to_string() {
            return Err(ApiError::conflict(
                def.group,
                def.resource,
                name,
                &format!("Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {rev}"),
            ));
        }
    }
    Ok(())
}

enum DeletePlan {
    /// Already terminating with nothing to change.
    Unchanged(Value),
    /// Mark terminating (finalizers remain).
    Update(Value),
    /// Remove now.
    Remove,
}

fn plan_delete(def: &ResourceDef, o: &DeleteOptions, cur: &Value, now: Now) -> DeletePlan {
    let mut obj = cur.clone();
    let mut fins: BTreeSet<String> = BTreeSet::new();
    let original = api::finalizers(cur);
    let mut list = original.clone();
    match o.propagation.as_deref() {
        Some("Orphan") => {
            list.retain(|f| f != "foregroundDeletion");
            if !list.iter().any(|f| f == "orphan") {
                list.push("orphan".into());
            }
        }
        Some("Foreground") => {
            list.retain(|f| f != "orphan");
            if !list.iter().any(|f| f == "foregroundDeletion") {
                list.push("foregroundDeletion".into());
            }
        }
        Some(_) => list.retain(|f| f != "orphan" && f != "foregroundDeletion"),
        None => {}
    }
    fins.extend(list.iter().cloned());
    let namespace_pending = is_namespace_pending(def, cur);
    if fins.is_empty() && !namespace_pending {
        return DeletePlan::Remove;
    }
    let terminating = api::is_terminating(cur);
    if terminating && list == original {
        return DeletePlan::Unchanged(obj);
    }
    let m = api::meta_mut(&mut obj);
    if list.is_empty() {
        m.shift_remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(list));
    }
    if !terminating {
        m.insert("deletionTimestamp".into(), json!(format_rfc3339(now.wall_secs())));
        m.insert(
            "deletionGracePeriodSeconds".into(),
            json!(o.grace_period.unwrap_or(0).max(0)),
        );
        if def.tracks_generation {
            let g = cur
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            m.insert("generation".into(), json!(g + 1));
        }
    }
    if namespace_pending {
        if let Value::Object(o) = &mut obj {
            o.insert("status".into(), json!({"phase": "Terminating"}));
        }
    }
    DeletePlan::Update(obj)
}

fn delete_reply(def: &ResourceDef, obj: Value, removed: bool, revision: i64) -> Value {
    if !removed {
        return with_rv(obj, revision);
    }
    if def.returns_deleted_object {
        return obj;
    }
    let mut details = Map::new();
    details.insert("name".into(), json!(api::name(&obj)));
    if !def.group.is_empty() {
        details.insert("group".into(), json!(def.group));
    }
    details.insert("kind".into(), json!(def.resource));
    details.insert("uid".into(), json!(api::meta_str(&obj, "uid")));
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

fn allocate_service_addresses(env: &mut Env<'_>, obj: &mut Value) -> Result<(), ApiError> {
    let ty = obj
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        return Ok(());
    }
    let mut used_ips = BTreeSet::new();
    let mut used_ports = BTreeSet::new();
    let prefix = format!("{}/services/specs/", env.prefix);
    let own_key = format!("{prefix}{}/{}", api::namespace(obj), api::name(obj)).into_bytes();
    for (key, svc) in env.cache.list(prefix.as_bytes()) {
        // The same Service already stored: its create fails as AlreadyExists, not on its IP.
        if **key == *own_key {
            continue;
        }
        if let Some(ip) = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .and_then(strategy::parse_ipv4)
        {
            used_ips.insert(ip);
        }
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("nodePort").and_then(Value::as_u64) {
                used_ports.insert(n);
            }
        }
    }
    let r = env.services;
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let requested = spec
        .get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if requested.is_empty() {
        let ip = strategy::allocate_cluster_ip(r.cluster_ip_base, r.cluster_ip_prefix, &used_ips, env.rng)
            .ok_or_else(|| ApiError::internal("failed to allocate a serviceIP: range is full"))?;
        let s = strategy::ipv4_string(ip);
        spec.insert("clusterIP".into(), json!(s));
        spec.insert("clusterIPs".into(), json!([s]));
    } else if requested != "None" {
        if let Some(ip) = strategy::parse_ipv4(&requested) {
            if used_ips.contains(&ip) {
                let msg = format!(
                    "Service \"{}\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{requested}\"}}: failed to allocate IP {requested}: provided IP is already allocated",
                    api::name(obj)
                );
                return Err(ApiError::invalid("", "Service", api::name(obj), msg, vec![]));
            }
        }
        if !spec.contains_key("clusterIPs") {
            spec.insert("clusterIPs".into(), json!([requested]));
        }
    } else if !spec.contains_key("clusterIPs") {
        spec.insert("clusterIPs".into(), json!(["None"]));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        let span = u64::from(r.node_port_max.saturating_sub(r.node_port_min)) + 1;
        if let Some(Value::Array(ports)) = spec.get_mut("ports") {
            for p in ports.iter_mut() {
                if p.get("nodePort").and_then(Value::as_u64).is_some() {
                    continue;
                }
                let start = env.rng.below(span);
                let found = (0..span)
                    .map(|i| u64::from(r.node_port_min) + (start + i) % span)
                    .find(|n| !used_ports.contains(n));
                if let (Some(n), Some(m)) = (found, p.as_object_mut()) {
                    used_ports.insert(n);
                    m.insert("nodePort".into(), json!(n));
                }
            }
        }
    }
    Ok(())
}
