//! What admission plugins read besides the request: one object, or a whole collection, of
//! a built-in resource. kube's plugins read through informers; here the watch cache serves
//! when it is ready, and storage is read when it is not (yet).

use std::sync::Arc;

use serde_json::Value;

use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, Lookups};
use crate::storage::{prefix_end, StorageRequest, StorageResponse};

/// The built-in object `group`/`version` `resource` `namespace`/`name`, or `None`.
pub fn get(
    cx: &Lookups<'_>,
    (group, version, resource): (&str, &str, &str),
    namespace: &str,
    name: &str,
) -> Flow<Result<Option<Value>, ApiError>> {
    let Some(def) = crate::registry::find(group, version, resource) else {
        return Flow::Ready(Err(ApiError::internal(format!(
            "no built-in resource {resource}.{group}/{version}"
        ))));
    };
    cx.object(crate::registry::object_key(cx.prefix, def, namespace, name))
}

/// Every object of the built-in `group`/`version` `resource` (in `namespace`, or all of
/// them when it is ""), in key order; shared with the cache, not copied (plugins read
/// these on every request).
pub fn list(
    cx: &Lookups<'_>,
    (group, version, resource): (&str, &str, &str),
    namespace: &str,
) -> Flow<Result<Vec<Arc<Value>>, ApiError>> {
    let Some(def) = crate::registry::find(group, version, resource) else {
        return Flow::Ready(Err(ApiError::internal(format!(
            "no built-in resource {resource}.{group}/{version}"
        ))));
    };
    let prefix = crate::registry::collection_prefix(cx.prefix, def, namespace);
    let cache = cx.caches.for_key(&prefix);
    if cache.is_ready() {
        return Flow::Ready(Ok(cache.list(&prefix).map(|(_, o)| o.clone()).collect()));
    }
    let read = StorageRequest::Range {
        range_end: prefix_end(&prefix),
        key: prefix,
        revision: 0,
        limit: 0,
    };
    Flow::Wait(
        Effect::Storage(read),
        Box::new(|completion, cx| {
            Flow::Ready(match completion {
                Completion::Storage(Ok(StorageResponse::Range { kvs, .. })) => Ok(kvs
                    .iter()
                    .filter_map(|kv| cx.storage.decode(kv))
                    .map(Arc::new)
                    .collect()),
                Completion::Storage(Err(e)) => Err(crate::registry::rest::storage_error(&e)),
                other => Err(ApiError::internal(format!(
                    "unexpected answer to a list: {other:?}"
                ))),
            })
        }),
    )
}

/// The text of `v` at `pointer`, "" when absent.
pub fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The annotation `key` of `obj`, when it has it (as a string).
pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// A plugin's plain error, as kube answers one that is no API status: 500, no reason, its
/// text as the message.
pub fn plain_error(message: impl Into<String>) -> ApiError {
    let mut e = ApiError::internal("");
    e.reason = "";
    e.message = message.into();
    e.causes.clear();
    e
}

/// A test world: watch caches holding given objects, and requests admitted through it.
#[cfg(test)]
pub mod fixture {
    use serde_json::Value;

    use crate::admission::{Operation, Phase, Plugin, Request};
    use crate::api::ApiError;
    use crate::server::effect::{Completion, Effect, Flow, Lookups};
    use crate::storage::{KeyValue, StorageRequest, StorageResponse, Transformer};
    use crate::watch::WatchCaches;

    /// Watch caches (all ready) holding some objects.
    pub struct World {
        /// Every object, as storage holds it.
        stored: Vec<KeyValue>,
        /// The objects plugins wrote.
        writes: std::sync::Mutex<Vec<Value>>,
        caches: WatchCaches,
        storage: Transformer,
        rbac: crate::authz::rbac::Rbac,
        graph: crate::authz::node::graph::Graph,
    }

    impl World {
        /// A world holding `objects`, each `(group, version, resource, object)`.
        pub fn with(objects: &[(&str, &str, &str, Value)]) -> World {
            let storage = Transformer::default();
            let mut caches = WatchCaches::new(
                "/registry",
                crate::registry::builtin()
                    .iter()
                    .filter(|d| d.is_stored())
                    .map(|d| d.cached_type()),
                100,
                &[],
                &storage,
            );
            let mut stored: Vec<KeyValue> = objects
                .iter()
                .enumerate()
                .filter_map(|(i, (g, v, r, o))| {
                    let def = crate::registry::find(g, v, r)?;
                    let key = crate::registry::object_key(
                        "/registry",
                        def,
                        crate::api::namespace(o),
                        crate::api::name(o),
                    );
                    Some(KeyValue {
                        value: storage.encode(&key, o),
                        key,
                        create_revision: i as i64 + 1,
                        mod_revision: i as i64 + 1,
                        version: 1,
                    })
                })
                .collect();
            stored.sort_by(|a, b| a.key.cmp(&b.key));
            let ids: Vec<_> = caches.watches().map(|(id, p)| (id, p.to_vec())).collect();
            for (id, prefix) in ids {
                let kvs: Vec<KeyValue> = stored
                    .iter()
                    .filter(|kv| kv.key.starts_with(&prefix))
                    .cloned()
                    .collect();
                if let Some(cache) = caches.get_mut(id) {
                    cache.reset(100, &kvs);
                }
            }
            World {
                stored,
                writes: Default::default(),
                caches,
                storage,
                rbac: Default::default(),
                graph: Default::default(),
            }
        }

        /// The objects plugins wrote, in order.
        pub fn written(&self) -> Vec<Value> {
            self.writes.lock().unwrap().clone()
        }

        /// What a plugin may look up in this world.
        pub fn cx(&self) -> Lookups<'_> {
            Lookups {
                caches: &self.caches,
                prefix: "/registry",
                storage: &self.storage,
                now: Default::default(),
                rbac: &self.rbac,
                node_graph: &self.graph,
                authorizers: &[],
            }
        }

        /// Runs `plugin` over `request` in both phases, as the chain does.
        pub fn admit(&self, plugin: &dyn Plugin, request: Request) -> Result<Request, ApiError> {
            let request = self.phase(plugin, Phase::Mutating, request)?;
            self.phase(plugin, Phase::Validating, request)
        }

        /// Runs `plugin` over `request` in `phase`, answering the storage reads it asks for.
        pub fn phase(
            &self,
            plugin: &dyn Plugin,
            phase: Phase,
            request: Request,
        ) -> Result<Request, ApiError> {
            let mut flow = plugin.admit(phase, request, &self.cx());
            loop {
                match flow {
                    Flow::Ready(r) => return r,
                    Flow::Wait(Effect::Storage(StorageRequest::Range { key, range_end, .. }), then) => {
                        let kvs: Vec<KeyValue> = self
                            .stored
                            .iter()
                            .filter(|kv| {
                                if range_end.is_empty() {
                                    kv.key == key
                                } else {
                                    kv.key >= key && kv.key < range_end
                                }
                            })
                            .cloned()
                            .collect();
                        let answer = StorageResponse::Range {
                            revision: 100,
                            count: kvs.len() as i64,
                            kvs,
                            more: false,
                        };
                        flow = then(Completion::Storage(Ok(answer)), &self.cx());
                    }
                    Flow::Wait(Effect::Storage(StorageRequest::Txn { success, .. }), then) => {
                        for op in success {
                            if let crate::storage::TxnOp::Put { value, .. } = op {
                                let written = serde_json::from_slice(&value).unwrap_or(Value::Null);
                                self.writes.lock().unwrap().push(written);
                            }
                        }
                        let answer = StorageResponse::Txn {
                            revision: 101,
                            succeeded: true,
                            gets: Vec::new(),
                        };
                        flow = then(Completion::Storage(Ok(answer)), &self.cx());
                    }
                    Flow::Wait(e, _) => panic!("unexpected effect {e:?}"),
                }
            }
        }
    }

    /// A request to `operation` `object` (a `group`/`version` `resource`).
    pub fn request(
        operation: Operation,
        (group, version, resource): (&str, &str, &str),
        object: Value,
        old: Option<Value>,
    ) -> Request {
        let def = crate::registry::find(group, version, resource);
        Request {
            operation,
            group: group.to_string().into(),
            version: version.to_string().into(),
            resource: resource.to_string().into(),
            kind: def.map(|d| d.kind.clone()).unwrap_or_default(),
            namespaced: def.is_some_and(|d| d.namespaced),
            namespace: crate::api::namespace(&object).to_string(),
            name: crate::api::name(&object).to_string(),
            subresource: String::new(),
            user: Default::default(),
            dry_run: false,
            object: (operation != Operation::Delete).then_some(object),
            old_object: old,
            options: Value::Null,
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 7,
        }
    }
}
