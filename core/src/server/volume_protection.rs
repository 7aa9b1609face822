//! The pvc-protection and pv-protection controllers: a deleted PersistentVolumeClaim keeps
//! its `kubernetes.io/pvc-protection` finalizer while a pod that is not done uses it, a
//! deleted PersistentVolume its `kubernetes.io/pv-protection` finalizer while it is bound;
//! then the finalizer is lifted and the object goes.
//!
//! In a kube-apiserver cluster kube-controller-manager runs them; Gatehouse also runs
//! without one, so it lifts the finalizers StorageObjectInUseProtection adds itself. Each
//! update is made at the resourceVersion seen, so replicas cannot fight over it.

use serde_json::{json, Value};

use crate::admission::storage_object_in_use_protection::{PVC_PROTECTION, PV_PROTECTION};
use crate::api;
use crate::http::Request;
use crate::watch::{CacheEvent, WatchCaches};

use super::due::{DueSet, Look};

const RETRY_MS: u64 = 1000;
const CONTROLLER_AGENT: &str = "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/gatehouse";

/// A claim (`namespace`, `name`) or a volume (`""`, `name`).
pub(super) type Key = (String, String);

/// The claims and volumes to look at.
#[derive(Debug, Default)]
pub(super) struct VolumeProtection {
    due: DueSet<Key>,
}

fn claims_of(pod: &Value) -> Vec<String> {
    let pod_name = api::name(pod);
    let volumes = pod.pointer("/spec/volumes").and_then(Value::as_array);
    volumes
        .into_iter()
        .flatten()
        .filter_map(|v| {
            if let Some(claim) = v
                .pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
            {
                return Some(claim.to_string());
            }
            // A generic ephemeral volume's claim is named after the pod and the volume.
            v.get("ephemeral").filter(|e| !e.is_null()).map(|_| {
                format!(
                    "{pod_name}-{}",
                    v.get("name").and_then(Value::as_str).unwrap_or("")
                )
            })
        })
        .collect()
}

fn protected(obj: &Value, finalizer: &str) -> bool {
    api::is_terminating(obj) && api::finalizers(obj).iter().any(|f| f == finalizer)
}

impl VolumeProtection {
    /// Notes claims and volumes being deleted, and the claims of pods that changed.
    pub fn observe(&mut self, prefix: &str, events: &[CacheEvent], now_ms: u64) {
        let pvcs = format!("{prefix}/persistentvolumeclaims/");
        let pvs = format!("{prefix}/persistentvolumes/");
        let pods = format!("{prefix}/pods/");
        for ev in events {
            let obj = &ev.object;
            if ev.key.starts_with(pvcs.as_bytes()) && protected(obj, PVC_PROTECTION) {
                self.due
                    .mark((api::namespace(obj).into(), api::name(obj).into()), now_ms);
            } else if ev.key.starts_with(pvs.as_bytes()) && protected(obj, PV_PROTECTION) {
                self.due.mark((String::new(), api::name(obj).into()), now_ms);
            } else if ev.key.starts_with(pods.as_bytes()) {
                for claim in claims_of(obj) {
                    self.due.mark((api::namespace(obj).into(), claim), now_ms);
                }
            }
        }
    }

    /// Looks at every claim and volume being deleted in freshly loaded caches.
    pub fn resync(&mut self, prefix: &str, caches: &WatchCaches, now_ms: u64) {
        for (collection, finalizer) in [
            ("persistentvolumeclaims", PVC_PROTECTION),
            ("persistentvolumes", PV_PROTECTION),
        ] {
            let p = format!("{prefix}/{collection}/");
            let keys: Vec<Key> = caches
                .for_key(p.as_bytes())
                .list(p.as_bytes())
                .filter(|(_, o)| protected(o, finalizer))
                .map(|(_, o)| (api::namespace(o).to_string(), api::name(o).to_string()))
                .collect();
            for key in keys {
                self.due.mark(key, now_ms);
            }
        }
    }

    /// A write for `key` finished.
    pub fn done(&mut self, key: &Key, backoff: bool, now_ms: u64) {
        self.due.done(key, backoff, RETRY_MS, now_ms);
    }

    /// When the next key is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.next_deadline()
    }

    /// The updates lifting a finalizer nothing needs any more.
    pub fn due_calls(
        &mut self,
        prefix: &str,
        resources: &crate::registry::Resources,
        caches: &WatchCaches,
        now_ms: u64,
    ) -> Vec<(Key, Request)> {
        let (Some(pvcs), Some(pvs)) = (
            resources.find("", "v1", "persistentvolumeclaims").cloned(),
            resources.find("", "v1", "persistentvolumes").cloned(),
        ) else {
            return Vec::new();
        };
        self.due.look_at(now_ms, |(ns, name)| {
            let claim = !ns.is_empty();
            let (key, finalizer) = if claim {
                (
                    format!("{prefix}/persistentvolumeclaims/{ns}/{name}"),
                    PVC_PROTECTION,
                )
            } else {
                (format!("{prefix}/persistentvolumes/{name}"), PV_PROTECTION)
            };
            let Some(obj) = caches.for_key(key.as_bytes()).get(key.as_bytes()) else {
                return Look::Settled;
            };
            if !protected(obj, finalizer) {
                return Look::Settled;
            }
            let in_use = if claim {
                let p = format!("{prefix}/pods/{ns}/");
                let used = caches.for_key(p.as_bytes()).list(p.as_bytes()).any(|(_, pod)| {
                    let done = matches!(
                        pod.pointer("/status/phase").and_then(Value::as_str),
                        Some("Succeeded" | "Failed")
                    );
                    !done && claims_of(pod).iter().any(|c| c == name)
                });
                used
            } else {
                obj.pointer("/status/phase").and_then(Value::as_str) == Some("Bound")
            };
            if in_use {
                // Looked at again when the pod or the volume changes.
                return Look::Settled;
            }
            let mut body = (**obj).clone();
            let rest: Vec<String> = api::finalizers(obj)
                .into_iter()
                .filter(|f| f != finalizer)
                .collect();
            api::meta_mut(&mut body).insert("finalizers".into(), json!(rest));
            let def = if claim { &pvcs } else { &pvs };
            Look::Write(super::loopback::write(def, "update", &body, CONTROLLER_AGENT))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_names_its_claims() {
        let pod = json!({"metadata":{"name":"p"},"spec":{"volumes":[
            {"name":"a","persistentVolumeClaim":{"claimName":"data"}},
            {"name":"scratch","ephemeral":{"volumeClaimTemplate":{}}},
            {"name":"e","emptyDir":{}}]}});
        assert_eq!(claims_of(&pod), ["data", "p-scratch"]);
    }
}
