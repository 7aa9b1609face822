//! The quota controller: each ResourceQuota's `status` (`hard` as its spec says, `used` as
//! its namespace holds) recounted from the watch cache when the quota is new or its spec
//! changed, and when something it counted is given back: an object deleted, a pod
//! finished, a service or claim that shrank. Admission charges what is created (before
//! the object is written); this controller is what frees it again.
//!
//! In a kube-apiserver cluster kube-controller-manager's resourcequota controller does this;
//! Gatehouse also runs without one, so every replica does it from its own watch. The status
//! is written by an update at the resourceVersion seen, so two replicas never both write:
//! the loser gets a Conflict and looks again once it sees the winner's write.

use std::sync::Arc;

use serde_json::Value;

use crate::admission::resource_list::{self, ResourceList};
use crate::admission::resource_quota::{evaluator, scopes, usage};
use crate::api;
use crate::http::Request;
use crate::registry::{collection_prefix, Call, Params, Resources};
use crate::watch::{CacheEvent, EventType, WatchCaches};

use super::due::{DueSet, Look};

/// How long to wait before looking at a quota again after a failed write.
const RETRY_MS: u64 = 1000;

/// How often every quota is recounted (kube's `--resource-quota-sync-period`): what was
/// charged for a write that then failed (a name already taken) is given back by then.
const FULL_RESYNC_MS: u64 = 5 * 60 * 1000;

/// The User-Agent of the controller's writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// The quotas (namespace, name) to recount.
#[derive(Debug, Default)]
pub(super) struct QuotaController {
    due: DueSet<(String, String)>,
    /// When every quota is next recounted; `None` while there is no quota.
    next_full_ms: Option<u64>,
}

fn quotas_prefix(prefix: &str) -> String {
    format!("{prefix}/resourcequotas/")
}

/// Whether the quota's status does not show its spec's limits and a usage for each.
fn status_stale(quota: &Value) -> bool {
    let hard = resource_list::list(quota.pointer("/spec/hard"));
    let status_hard = resource_list::list(quota.pointer("/status/hard"));
    let used = resource_list::list(quota.pointer("/status/used"));
    hard != status_hard
        || quota.pointer("/status/used").is_none()
        || hard.keys().any(|k| !used.contains_key(k))
}

/// Whether a change of an object gives something back: some usage went down or away.
fn gives_back(ev: &CacheEvent, group: &str, resource: &str, now_secs: i64) -> bool {
    if ev.kind == EventType::Deleted {
        return true;
    }
    let Some(prev) = ev.prev.as_deref() else {
        return false;
    };
    let e = evaluator::for_resource(group, resource);
    let (before, after) = (e.usage(prev, now_secs), e.usage(&ev.object, now_secs));
    // A pod that moved between Terminating and NotTerminating moved between quotas too.
    let rescoped = resource == "pods" && scopes::is_terminating(prev) != scopes::is_terminating(&ev.object);
    rescoped || before.iter().any(|(k, v)| after.get(k).is_none_or(|a| a < v))
}

impl QuotaController {
    fn mark_namespace(&mut self, prefix: &str, caches: &WatchCaches, ns: &str, now_ms: u64) {
        let p = format!("{}{ns}/", quotas_prefix(prefix));
        let names: Vec<String> = caches
            .for_key(p.as_bytes())
            .list(p.as_bytes())
            .map(|(_, q)| api::name(q).to_string())
            .collect();
        for n in names {
            self.due.mark((ns.to_string(), n), now_ms);
        }
    }

    /// Notes quotas whose status must be recounted.
    pub fn observe(
        &mut self,
        prefix: &str,
        resources: &Resources,
        events: &[CacheEvent],
        caches: &WatchCaches,
        now_secs: i64,
        now_ms: u64,
    ) {
        let qp = quotas_prefix(prefix);
        for ev in events {
            let ns = api::namespace(&ev.object);
            if ns.is_empty() {
                continue;
            }
            if ev.key.starts_with(qp.as_bytes()) {
                let key = (ns.to_string(), api::name(&ev.object).to_string());
                let spec_changed = ev
                    .prev
                    .as_ref()
                    .is_some_and(|p| p.get("spec") != ev.object.get("spec"));
                if ev.kind == EventType::Deleted {
                    self.due.remove(&key);
                } else {
                    self.next_full_ms.get_or_insert(now_ms + FULL_RESYNC_MS);
                    if spec_changed || status_stale(&ev.object) {
                        self.due.mark(key, now_ms);
                    }
                }
                continue;
            }
            // `<prefix>/<storage>/<namespace>/<name>`: the resource is the one stored there.
            let in_ns = |d: &crate::registry::ResourceDef| {
                ev.key
                    .strip_prefix(prefix.as_bytes())
                    .and_then(|k| k.strip_prefix(b"/"))
                    .and_then(|k| k.strip_prefix(d.storage.as_bytes()))
                    .and_then(|k| k.strip_prefix(b"/"))
                    .and_then(|k| k.strip_prefix(ns.as_bytes()))
                    .is_some_and(|k| k.starts_with(b"/"))
            };
            let Some(def) = resources.iter().find(|d| d.namespaced && in_ns(d)) else {
                continue;
            };
            // Events are never counted (quota ignores them), and they expire all the time.
            if def.resource == "events" {
                continue;
            }
            if gives_back(ev, &def.group, &def.resource, now_secs) {
                self.mark_namespace(prefix, caches, ns, now_ms);
            }
        }
    }

    /// Recounts every quota (of a freshly loaded cache, or when the period is up).
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        let p = quotas_prefix(prefix);
        let keys: Vec<(String, String)> = caches
            .for_key(p.as_bytes())
            .list(p.as_bytes())
            .map(|(_, q)| (api::namespace(q).to_string(), api::name(q).to_string()))
            .collect();
        self.next_full_ms = (!keys.is_empty()).then_some(now_ms + FULL_RESYNC_MS);
        for k in keys {
            self.due.mark(k, now_ms);
        }
    }

    /// A write for `key` finished.
    pub fn done(&mut self, key: &(String, String), backoff: bool, now_ms: u64) {
        self.due.done(key, backoff, RETRY_MS, now_ms);
    }

    /// When the next quota is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due
            .next_deadline()
            .into_iter()
            .chain(self.next_full_ms)
            .min()
    }

    /// The status updates to issue now, each at the resourceVersion seen.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &Resources,
        caches: &WatchCaches,
        now_secs: i64,
        now_ms: u64,
    ) -> Vec<((String, String), Request)> {
        let Some(def) = resources.find("", "v1", "resourcequotas").cloned() else {
            return Vec::new();
        };
        if self.next_full_ms.is_some_and(|at| at <= now_ms) {
            self.resync(prefix, caches, now_ms);
        }
        self.due.look_at(now_ms, |(ns, name)| {
            let key = format!("{}{ns}/{name}", quotas_prefix(prefix));
            let Some(quota) = caches.for_key(key.as_bytes()).get(key.as_bytes()) else {
                return Look::Settled;
            };
            let objects = |group: &str, resource: &str| -> Vec<Arc<Value>> {
                let Some(d) = resources
                    .iter()
                    .find(|d| d.group == group && d.resource == resource && d.namespaced)
                else {
                    return Vec::new();
                };
                let p = collection_prefix(prefix, d, ns);
                caches.for_key(&p).list(&p).map(|(_, o)| o.clone()).collect()
            };
            let used: ResourceList = usage::calculate(quota, objects, now_secs);
            let hard = resource_list::list(quota.pointer("/spec/hard"));
            let seen_used = resource_list::list(quota.pointer("/status/used"));
            let seen_hard = resource_list::list(quota.pointer("/status/hard"));
            if used == seen_used && hard == seen_hard && quota.pointer("/status/used").is_some() {
                return Look::Settled;
            }
            let mut updated = (**quota).clone();
            updated["status"] = serde_json::json!({
                "hard": resource_list::to_json(&hard),
                "used": resource_list::to_json(&used),
            });
            Look::Write(super::loopback::request(&Call {
                def: def.clone(),
                served: def.clone(),
                verb: "update".into(),
                namespace: ns.clone(),
                name: name.clone(),
                subresource: "status".into(),
                params: Params::default(),
                content_type: "application/json".into(),
                body: updated.to_string().into_bytes(),
                user: crate::authn::UserInfo::apiserver(),
                user_agent: CONTROLLER_AGENT.into(),
            }))
        })
    }
}
