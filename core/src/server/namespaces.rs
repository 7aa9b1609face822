//! Namespace finalization: emptying a terminating namespace and removing it.
//!
//! In a kube-apiserver cluster this is the namespace controller's job, in
//! kube-controller-manager. Gatehouse also runs without one, so it finishes what a DELETE of
//! a namespace starts: it deletes everything in the namespace, and once nothing is left it
//! drops the `kubernetes` finalizer through the `finalize` subresource, which removes the
//! namespace.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::api;
use crate::registry::{collection_prefix, Call, Params, Resources};
use crate::watch::{CacheEvent, EventType, WatchCaches};

/// How long to wait before looking at a namespace again while objects in it still wait for
/// their own finalizers.
const RETRY_MS: u64 = 1000;

/// The User-Agent of the namespace controller's writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

#[derive(Debug)]
struct Pending {
    in_flight: usize,
    next_attempt_ms: u64,
}

/// Namespaces being finalized.
#[derive(Debug, Default)]
pub(super) struct NamespaceController {
    terminating: BTreeMap<String, Pending>,
}

fn is_namespace_key(prefix: &str, key: &[u8]) -> bool {
    key.starts_with(format!("{prefix}/namespaces/").as_bytes())
}

fn wants_finalizing(ns: &Value) -> bool {
    api::is_terminating(ns)
        && ns
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| f.iter().any(|x| x == "kubernetes"))
}

impl NamespaceController {
    /// Notes namespaces that began or finished terminating.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], now_ms: u64) {
        for ev in events {
            if !is_namespace_key(prefix, &ev.key) {
                continue;
            }
            let name = api::name(&ev.object).to_string();
            if ev.kind == EventType::Deleted || !wants_finalizing(&ev.object) {
                self.terminating.remove(&name);
            } else {
                self.terminating.entry(name).or_insert(Pending {
                    in_flight: 0,
                    next_attempt_ms: now_ms,
                });
            }
        }
    }

    /// Picks up terminating namespaces from a freshly loaded cache.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        let p = format!("{prefix}/namespaces/");
        for (_, ns) in caches.for_key(p.as_bytes()).list(p.as_bytes()) {
            if wants_finalizing(ns) {
                self.terminating
                    .entry(api::name(ns).to_string())
                    .or_insert(Pending {
                        in_flight: 0,
                        next_attempt_ms: now_ms,
                    });
            }
        }
    }

    /// A cleanup request for `ns` finished.
    pub fn done(&mut self, ns: &str) {
        if let Some(p) = self.terminating.get_mut(ns) {
            p.in_flight = p.in_flight.saturating_sub(1);
        }
    }

    /// When the next namespace is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.terminating
            .values()
            .filter(|p| p.in_flight == 0)
            .map(|p| p.next_attempt_ms)
            .min()
    }

    /// The requests to issue now: deletions of what is left in due namespaces, or the final
    /// removal of the `kubernetes` finalizer of an empty one.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &Resources,
        caches: &WatchCaches,
        now_ms: u64,
    ) -> Vec<(String, Call)> {
        let mut calls = Vec::new();
        for (ns, p) in self.terminating.iter_mut() {
            if p.in_flight > 0 || p.next_attempt_ms > now_ms {
                continue;
            }
            p.next_attempt_ms = now_ms + RETRY_MS;
            let mut remaining = Vec::new();
            // Every namespaced resource served now, custom ones included, as kube's namespace
            // controller walks discovery.
            for def in resources
                .iter()
                .filter(|d| d.namespaced && d.is_stored() && d.stored_as.is_none())
            {
                let pfx = collection_prefix(prefix, def, ns);
                if caches.for_key(&pfx).list(&pfx).next().is_some() {
                    remaining.push(def.clone());
                }
            }
            if remaining.is_empty() {
                let key = format!("{prefix}/namespaces/{ns}");
                let Some(current) = caches.for_key(key.as_bytes()).get(key.as_bytes()) else {
                    continue;
                };
                let mut body = (**current).clone();
                api::meta_mut(&mut body).shift_remove("resourceVersion");
                let fins: Vec<Value> = body
                    .pointer("/spec/finalizers")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter(|f| *f != "kubernetes").cloned().collect())
                    .unwrap_or_default();
                if let Some(spec) = body.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("finalizers".into(), json!(fins));
                }
                let Some(def) = resources.find("", "v1", "namespaces").cloned() else {
                    continue;
                };
                calls.push((
                    ns.clone(),
                    Call {
                        def: def.clone(),
                        served: def,
                        verb: "update".into(),
                        namespace: String::new(),
                        name: ns.clone(),
                        subresource: "finalize".into(),
                        params: Params::default(),
                        content_type: "application/json".into(),
                        body: body.to_string().into_bytes(),
                        user: crate::authn::UserInfo::apiserver(),
                        user_agent: CONTROLLER_AGENT.into(),
                    },
                ));
            } else {
                for def in remaining {
                    calls.push((
                        ns.clone(),
                        Call {
                            def: def.clone(),
                            served: def,
                            verb: "deletecollection".into(),
                            namespace: ns.clone(),
                            name: String::new(),
                            subresource: String::new(),
                            params: Params(vec![("propagationPolicy".into(), "Background".into())]),
                            content_type: String::new(),
                            body: Vec::new(),
                            user: crate::authn::UserInfo::apiserver(),
                            user_agent: CONTROLLER_AGENT.into(),
                        },
                    ));
                }
            }
            p.in_flight = calls.iter().filter(|(n, _)| n == ns).count();
        }
        calls
    }
}
