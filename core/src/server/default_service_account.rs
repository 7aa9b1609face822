//! The `default` ServiceAccount of every namespace, created when the namespace appears and
//! again whenever it is deleted, as kube-controller-manager's serviceaccount controller keeps
//! it. Gatehouse also runs without a controller manager, and a pod's admission needs the
//! account, so every replica keeps it from its own watch. Only creates are written: the loser
//! of a race between replicas gets AlreadyExists and then finds the account in its cache.

use serde_json::json;

use crate::api;
use crate::http::Request;
use crate::watch::{CacheEvent, EventType, WatchCaches};

use super::due::{DueSet, Look};

/// The account's name.
pub const NAME: &str = "default";

/// How long to wait before looking at a namespace again after a failed or lost write.
const RETRY_MS: u64 = 1000;

/// The User-Agent of the controller's writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// The namespaces whose `default` ServiceAccount must be looked at.
#[derive(Debug, Default)]
pub(super) struct DefaultServiceAccounts {
    due: DueSet<String>,
}

impl DefaultServiceAccounts {
    /// Notes namespaces that appeared or changed, and `default` accounts that went.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], now_ms: u64) {
        let namespaces = format!("{prefix}/namespaces/");
        let accounts = format!("{prefix}/serviceaccounts/");
        for ev in events {
            if ev.key.starts_with(namespaces.as_bytes()) {
                let name = api::name(&ev.object).to_string();
                if ev.kind == EventType::Deleted {
                    self.due.remove(&name);
                } else {
                    self.due.mark(name, now_ms);
                }
            } else if ev.key.starts_with(accounts.as_bytes())
                && ev.kind == EventType::Deleted
                && api::name(&ev.object) == NAME
            {
                self.due.mark(api::namespace(&ev.object).to_string(), now_ms);
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
            self.due.mark(n, now_ms);
        }
    }

    /// A create for `ns` finished; `backoff` after a failure or a lost race.
    pub fn done(&mut self, ns: &str, backoff: bool, now_ms: u64) {
        self.due.done(&ns.to_string(), backoff, RETRY_MS, now_ms);
    }

    /// When the next namespace is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.next_deadline()
    }

    /// The creates to issue now: one per active namespace whose cache shows no account.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &crate::registry::Resources,
        caches: &WatchCaches,
        now_ms: u64,
    ) -> Vec<(String, Request)> {
        let Some(def) = resources.find("", "v1", "serviceaccounts").cloned() else {
            return Vec::new();
        };
        self.due.look_at(now_ms, |ns| {
            let ns_key = format!("{prefix}/namespaces/{ns}");
            let active = caches
                .for_key(ns_key.as_bytes())
                .get(ns_key.as_bytes())
                .is_some_and(|n| !api::is_terminating(n));
            let key = format!("{prefix}/serviceaccounts/{ns}/{NAME}");
            if !active || caches.for_key(key.as_bytes()).get(key.as_bytes()).is_some() {
                return Look::Settled;
            }
            let body = json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": NAME, "namespace": ns},
            });
            Look::Write(super::loopback::write(&def, "create", &body, CONTROLLER_AGENT))
        })
    }
}
