//! The DefaultTolerationSeconds plugin: a pod that does not tolerate the
//! `node.kubernetes.io/not-ready` and `node.kubernetes.io/unreachable` NoExecute taints gets
//! a toleration of each for a bounded time (`--default-not-ready-toleration-seconds` and
//! `--default-unreachable-toleration-seconds`, 300 s each), so its node going away evicts it
//! after that time rather than at once.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The taint a node has while it is not ready.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint a node has while the node controller cannot reach it.
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// kube's default of both flags.
pub const DEFAULT_SECONDS: i64 = 300;

/// The plugin with its two durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultTolerationSeconds {
    /// `--default-not-ready-toleration-seconds`.
    pub not_ready_seconds: i64,
    /// `--default-unreachable-toleration-seconds`.
    pub unreachable_seconds: i64,
}

/// Builds the plugin. kube configures it by flags only; the host passes those here as
/// `{"notReadySeconds": n, "unreachableSeconds": n}` (absent: 300 each).
pub fn build(config: &Value) -> Result<Arc<dyn Plugin>, String> {
    let seconds = |field: &str| match config.get(field) {
        None | Some(Value::Null) => Ok(DEFAULT_SECONDS),
        Some(v) => v.as_i64().ok_or_else(|| format!("{field} must be an integer")),
    };
    Ok(Arc::new(DefaultTolerationSeconds {
        not_ready_seconds: seconds("notReadySeconds")?,
        unreachable_seconds: seconds("unreachableSeconds")?,
    }))
}

impl Plugin for DefaultTolerationSeconds {
    fn name(&self) -> &'static str {
        "DefaultTolerationSeconds"
    }

    fn admit(&self, phase: Phase, mut request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let applies = phase == Phase::Mutating
            && matches!(request.operation, Operation::Create | Operation::Update)
            && request.is("", "pods");
        if applies {
            if let Some(pod) = request.object.as_mut() {
                self.add_tolerations(pod);
            }
        }
        Flow::Ready(Ok(request))
    }
}

impl DefaultTolerationSeconds {
    /// Adds the tolerations `pod` lacks.
    pub fn add_tolerations(&self, pod: &mut Value) {
        let existing = pod
            .pointer("/spec/tolerations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // A toleration with no key tolerates every key; one with no effect, every effect.
        let tolerates = |taint: &str| {
            existing.iter().any(|t| {
                let key = t.get("key").and_then(Value::as_str).unwrap_or("");
                let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
                (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
            })
        };
        let mut added = Vec::new();
        for (taint, seconds) in [
            (NOT_READY, self.not_ready_seconds),
            (UNREACHABLE, self.unreachable_seconds),
        ] {
            if !tolerates(taint) {
                added.push(json!({
                    "key": taint,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": seconds,
                }));
            }
        }
        if added.is_empty() {
            return;
        }
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
            return;
        };
        let list = spec.entry("tolerations").or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        if let Some(list) = list.as_array_mut() {
            list.extend(added);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn pod(tolerations: Value) -> Value {
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},
               "spec":{"containers":[{"name":"c","image":"i"}],"tolerations":tolerations}})
    }

    fn admitted(plugin: &dyn Plugin, tolerations: Value) -> Value {
        let r = request(Operation::Create, ("", "v1", "pods"), pod(tolerations), None);
        let r = World::with(&[]).admit(plugin, r).unwrap();
        r.object.unwrap()["spec"]["tolerations"].clone()
    }

    #[test]
    fn a_pod_gets_both_tolerations_for_300_seconds() {
        let p = build(&Value::Null).unwrap();
        assert_eq!(
            admitted(&*p, json!([])),
            json!([
                {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            ])
        );
    }

    #[test]
    fn the_flags_set_the_seconds() {
        let p = build(&json!({"notReadySeconds": 60, "unreachableSeconds": 5})).unwrap();
        let t = admitted(&*p, Value::Null);
        assert_eq!(t[0]["tolerationSeconds"], 60);
        assert_eq!(t[1]["tolerationSeconds"], 5);
        assert!(build(&json!({"notReadySeconds": "x"})).is_err());
    }

    #[test]
    fn an_existing_toleration_is_kept_and_not_doubled() {
        let p = build(&Value::Null).unwrap();
        let mine =
            json!({"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10});
        let t = admitted(&*p, json!([mine.clone()]));
        assert_eq!(t.as_array().unwrap().len(), 2);
        assert_eq!(t[0], mine);
        assert_eq!(t[1]["key"], UNREACHABLE);
        // A toleration of every taint (no key, no effect) covers both.
        let all = json!([{"operator": "Exists"}]);
        assert_eq!(admitted(&*p, all.clone()), all);
        // A NoSchedule toleration does not.
        let t = admitted(
            &*p,
            json!([{"key": NOT_READY, "operator": "Exists", "effect": "NoSchedule"}]),
        );
        assert_eq!(t.as_array().unwrap().len(), 3);
    }

    #[test]
    fn other_resources_and_subresources_are_left_alone() {
        let p = build(&Value::Null).unwrap();
        let mut r = request(Operation::Create, ("", "v1", "pods"), pod(json!([])), None);
        r.subresource = "status".into();
        let r = World::with(&[]).admit(&*p, r).unwrap();
        assert_eq!(r.object.unwrap()["spec"]["tolerations"], json!([]));
        let cm = json!({"metadata":{"name":"c","namespace":"default"},"spec":{}});
        let r = request(Operation::Create, ("", "v1", "configmaps"), cm.clone(), None);
        assert_eq!(World::with(&[]).admit(&*p, r).unwrap().object.unwrap(), cm);
    }
}
