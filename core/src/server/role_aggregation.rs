//! ClusterRole aggregation: a ClusterRole with an `aggregationRule` holds the rules of every
//! ClusterRole its selectors match (in selector order, then by role name, then in rule
//! order, exact repeats dropped), kept current as those change. This is how a ClusterRole
//! labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"` extends `view`, `edit`
//! and `admin`.
//!
//! kube-controller-manager does this in a kube-apiserver cluster; Gatehouse runs without
//! one, so every replica does it from its own watch. The rules are written by an update at
//! the resourceVersion the replica saw, so two replicas never both write: the loser gets a
//! Conflict and finds nothing left to do once it sees the winner's write.

use serde_json::Value;

use crate::api;
use crate::authz::rbac::aggregation::{aggregated_rules, is_aggregating};
use crate::http::Request;
use crate::watch::{CacheEvent, WatchCaches};

use super::due::{DueSet, Look};

/// How long to wait before looking at a role again after a failed write.
const RETRY_MS: u64 = 1000;

/// The User-Agent of the aggregator's writes, as kube-controller-manager's.
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// The aggregating ClusterRoles to look at.
#[derive(Debug, Default)]
pub(super) struct RoleAggregator {
    due: DueSet<String>,
}

fn cluster_roles_prefix(prefix: &str) -> String {
    format!("{prefix}/clusterroles/")
}

impl RoleAggregator {
    fn mark_all(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        let p = cluster_roles_prefix(prefix);
        let names: Vec<String> = caches
            .for_key(p.as_bytes())
            .list(p.as_bytes())
            .filter(|(_, r)| is_aggregating(r))
            .map(|(_, r)| api::name(r).to_string())
            .collect();
        for n in names {
            self.due.mark(n, now_ms);
        }
    }

    /// Any ClusterRole that changes may change what every aggregating role holds.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], caches: &WatchCaches, now_ms: u64) {
        let p = cluster_roles_prefix(prefix);
        if events.iter().any(|e| e.key.starts_with(p.as_bytes())) {
            self.mark_all(prefix, caches, now_ms);
        }
    }

    /// Looks at every aggregating role of a freshly loaded cache.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        self.due.clear();
        self.mark_all(prefix, caches, now_ms);
    }

    /// A write for `name` finished.
    pub fn done(&mut self, name: &str, backoff: bool, now_ms: u64) {
        self.due.done(&name.to_string(), backoff, RETRY_MS, now_ms);
    }

    /// When the next role is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.next_deadline()
    }

    /// The updates to issue now: each aggregating role whose rules are not what its
    /// selectors gather, at the resourceVersion seen.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &crate::registry::Resources,
        caches: &WatchCaches,
        now_ms: u64,
    ) -> Vec<(String, Request)> {
        let Some(def) = resources
            .find("rbac.authorization.k8s.io", "v1", "clusterroles")
            .cloned()
        else {
            return Vec::new();
        };
        let p = cluster_roles_prefix(prefix);
        let cache = caches.for_key(p.as_bytes());
        // Every role the selectors may gather, read once for all the aggregating ones.
        let all: Vec<&Value> = cache.list(p.as_bytes()).map(|(_, r)| &**r).collect();
        self.due.look_at(now_ms, |name| {
            let key = format!("{p}{name}");
            let Some(role) = cache.get(key.as_bytes()).filter(|r| is_aggregating(r)) else {
                return Look::Settled;
            };
            let Some(rules) = aggregated_rules(role, &all) else {
                // A selector that does not parse: nothing to aggregate until it changes.
                return Look::Settled;
            };
            let current = role
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if current == rules {
                return Look::Settled;
            }
            let mut updated = (**role).clone();
            updated["rules"] = Value::Array(rules);
            Look::Write(super::loopback::write(&def, "update", &updated, CONTROLLER_AGENT))
        })
    }
}
