//! The TaintNodesByCondition plugin: a new Node is created with the
//! `node.kubernetes.io/not-ready:NoSchedule` taint, so nothing is scheduled to it before the
//! node controller has seen it ready and lifted the taint.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(TaintNodesByCondition))
}

/// kube-apiserver's `TaintNodesByCondition` (mutating).
#[derive(Debug)]
pub struct TaintNodesByCondition;

impl Plugin for TaintNodesByCondition {
    fn name(&self) -> &'static str {
        "TaintNodesByCondition"
    }

    fn admit(&self, phase: Phase, mut request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase == Phase::Mutating && request.operation == Operation::Create && request.is("", "nodes") {
            if let Some(node) = request.object.as_mut() {
                add_not_ready_taint(node);
            }
        }
        Flow::Ready(Ok(request))
    }
}

/// Adds the not-ready taint unless the node has one with the same key and effect.
pub fn add_not_ready_taint(node: &mut Value) {
    let key = super::default_toleration_seconds::NOT_READY;
    let has = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .is_some_and(|taints| {
            taints.iter().any(|t| {
                t.get("key").and_then(Value::as_str) == Some(key)
                    && t.get("effect").and_then(Value::as_str) == Some("NoSchedule")
            })
        });
    if has {
        return;
    }
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    let spec = obj.entry("spec").or_insert_with(|| json!({}));
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    let taints = spec.entry("taints").or_insert_with(|| json!([]));
    if !taints.is_array() {
        *taints = json!([]);
    }
    if let Some(taints) = taints.as_array_mut() {
        taints.push(json!({"key": key, "effect": "NoSchedule"}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn admit(op: Operation, node: Value) -> Value {
        let r = request(op, ("", "v1", "nodes"), node, None);
        World::with(&[])
            .admit(&TaintNodesByCondition, r)
            .unwrap()
            .object
            .unwrap()
    }

    #[test]
    fn a_new_node_is_tainted_not_ready() {
        let n = admit(Operation::Create, json!({"metadata":{"name":"n1"}}));
        assert_eq!(
            n["spec"]["taints"],
            json!([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
        );
        let n = admit(
            Operation::Create,
            json!({"metadata":{"name":"n1"},"spec":{"taints":[{"key":"a","value":"b","effect":"NoExecute"}]}}),
        );
        assert_eq!(n["spec"]["taints"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_node_already_tainted_or_updated_is_unchanged() {
        let tainted = json!({"metadata":{"name":"n1"},"spec":{"taints":[{"key":"node.kubernetes.io/not-ready","value":"x","effect":"NoSchedule"}]}});
        assert_eq!(admit(Operation::Create, tainted.clone()), tainted);
        let plain = json!({"metadata":{"name":"n1"},"spec":{}});
        assert_eq!(admit(Operation::Update, plain.clone()), plain);
    }
}
