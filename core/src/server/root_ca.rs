//! `kube-root-ca.crt`: the ConfigMap in every namespace that holds the cluster's CA bundle,
//! which every pod's projected service-account volume mounts.
//!
//! In a kube-apiserver cluster kube-controller-manager's root-ca-cert-publisher keeps it;
//! Gatehouse also runs without one, so it keeps it itself. Every replica does, from its own
//! watch, and no two can fight over it: the ConfigMap is created only if absent (the loser of
//! a race gets AlreadyExists) and updated only at the resourceVersion the replica saw (the
//! loser gets a Conflict, then sees the winner's write and finds nothing left to do). All
//! replicas of one cluster publish the same bundle, so they agree on what is right.

use serde_json::{json, Value};

use crate::api;
use crate::http::Request;
use crate::watch::{CacheEvent, EventType, WatchCaches};

use super::due::{DueSet, Look};

/// The ConfigMap's name.
pub const NAME: &str = "kube-root-ca.crt";
/// The annotation kube sets on it, and its text.
const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/// How long to wait before trying a namespace again after a failed write.
const RETRY_MS: u64 = 1000;

/// The User-Agent of the publisher's writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// The namespaces whose `kube-root-ca.crt` must be looked at.
#[derive(Debug, Default)]
pub(super) struct RootCaPublisher {
    /// The PEM bundle to publish; `None` publishes nothing.
    bundle: Option<String>,
    due: DueSet<String>,
}

impl RootCaPublisher {
    pub fn new(bundle: Option<String>) -> Self {
        RootCaPublisher {
            bundle,
            due: DueSet::default(),
        }
    }

    fn mark(&mut self, ns: &str, now_ms: u64) {
        if self.bundle.is_some() {
            self.due.mark(ns.to_string(), now_ms);
        }
    }

    /// Notes namespaces that appeared or changed, and ConfigMaps of ours that changed or went.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], now_ms: u64) {
        let namespaces = format!("{prefix}/namespaces/");
        let configmaps = format!("{prefix}/configmaps/");
        for ev in events {
            if ev.key.starts_with(namespaces.as_bytes()) {
                let name = api::name(&ev.object);
                if ev.kind == EventType::Deleted {
                    self.due.remove(&name.to_string());
                } else {
                    self.mark(name, now_ms);
                }
            } else if ev.key.starts_with(configmaps.as_bytes())
                && api::name(&ev.object) == NAME
                && ev.kind != EventType::Added
            {
                self.mark(api::namespace(&ev.object), now_ms);
            }
        }
    }

    /// Looks at every namespace of a freshly loaded cache.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        let p = format!("{prefix}/namespaces/");
        let names: Vec<String> = caches
            .for_key(p.as_bytes())
            .list(p.as_bytes())
            .map(|(_, ns)| api::name(ns).to_string())
            .collect();
        for n in names {
            self.mark(&n, now_ms);
        }
    }

    /// A write for `ns` finished. The namespace is looked at once more against the cache:
    /// at once after a write of ours (whose answer comes after its watch event, so the cache
    /// already shows it), after a pause when `backoff` (a failure, or another writer that came
    /// first and whose write may not have reached this replica's cache yet).
    pub fn done(&mut self, ns: &str, backoff: bool, now_ms: u64) {
        self.due.done(&ns.to_string(), backoff, RETRY_MS, now_ms);
    }

    /// When the next namespace is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.next_deadline()
    }

    /// The writes to issue now: a create where the ConfigMap is missing, an update at the
    /// seen resourceVersion where its data or annotation is not what it must be.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &crate::registry::Resources,
        caches: &WatchCaches,
        now_ms: u64,
    ) -> Vec<(String, Request)> {
        let Some(bundle) = self.bundle.clone() else {
            return Vec::new();
        };
        let Some(cms) = resources.find("", "v1", "configmaps").cloned() else {
            return Vec::new();
        };
        self.due.look_at(now_ms, |ns| {
            let ns_key = format!("{prefix}/namespaces/{ns}");
            let active = caches
                .for_key(ns_key.as_bytes())
                .get(ns_key.as_bytes())
                .is_some_and(|n| !api::is_terminating(n));
            if !active {
                // Gone or terminating: nothing may be created there.
                return Look::Settled;
            }
            let key = format!("{prefix}/configmaps/{ns}/{NAME}");
            let current = caches.for_key(key.as_bytes()).get(key.as_bytes());
            let (verb, body) = match current {
                None => (
                    "create",
                    json!({
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {
                            "name": NAME,
                            "namespace": ns,
                            "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
                        },
                        "data": {"ca.crt": bundle},
                    }),
                ),
                Some(cm) if publishes(cm, &bundle) => return Look::Settled,
                Some(cm) => {
                    // The resourceVersion seen stays: the update is conditional on it.
                    let mut cm = (**cm).clone();
                    cm["data"] = json!({"ca.crt": bundle});
                    api::set_annotation(&mut cm, DESCRIPTION_ANNOTATION, DESCRIPTION);
                    ("update", cm)
                }
            };
            Look::Write(super::loopback::write(&cms, verb, &body, CONTROLLER_AGENT))
        })
    }
}

/// Whether a ConfigMap already holds exactly the bundle and kube's description.
fn publishes(cm: &Value, bundle: &str) -> bool {
    let data_ok = cm
        .get("data")
        .and_then(Value::as_object)
        .is_some_and(|d| d.len() == 1 && d.get("ca.crt").and_then(Value::as_str) == Some(bundle));
    let described = cm
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    data_ok && described
}
