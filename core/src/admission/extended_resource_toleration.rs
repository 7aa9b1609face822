//! The ExtendedResourceToleration plugin: a pod requesting an extended resource (a
//! domain-qualified name outside `kubernetes.io/`, e.g. `example.com/gpu`) tolerates the
//! NoSchedule taint of that name, with which nodes offering it are kept for such pods.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::tolerations::{of_pod, same_toleration, set_on_pod, Toleration};
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(ExtendedResourceToleration))
}

/// kube-apiserver's `ExtendedResourceToleration` (mutating).
#[derive(Debug)]
pub struct ExtendedResourceToleration;

/// Whether `name` is an extended resource: qualified by a domain that is not kube's own,
/// not a quota's `requests.` name, and a qualified name once prefixed with `requests.`.
pub fn is_extended(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    !native
        && !name.starts_with("requests.")
        && crate::validation::qualified_name_errors(&format!("requests.{name}")).is_empty()
}

/// Adds `toleration` to the pod, replacing one that matches it (kube's
/// `AddOrUpdateTolerationInPod`).
pub fn add_or_update(pod: &mut Value, toleration: Value) {
    let wanted = Toleration::of(&toleration);
    let mut list = of_pod(pod);
    let mut updated = false;
    for t in list.iter_mut() {
        let have = Toleration::of(t);
        if same_toleration(&wanted, &have) {
            if have == wanted {
                return;
            }
            *t = toleration.clone();
            updated = true;
        }
    }
    if !updated {
        list.push(toleration);
    }
    set_on_pod(pod, list);
}

impl Plugin for ExtendedResourceToleration {
    fn name(&self) -> &'static str {
        "ExtendedResourceToleration"
    }

    fn admit(&self, phase: Phase, mut request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating
            || !matches!(request.operation, Operation::Create | Operation::Update)
            || !request.is("", "pods")
        {
            return Flow::Ready(Ok(request));
        }
        let Some(pod) = request.object.as_mut() else {
            return Flow::Ready(Ok(request));
        };
        let mut resources = BTreeSet::new();
        for list in ["containers", "initContainers"] {
            let items = pod.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
            for c in items.into_iter().flatten() {
                let requests = c.pointer("/resources/requests").and_then(Value::as_object);
                resources.extend(
                    requests
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone())
                        .filter(|k| is_extended(k)),
                );
            }
        }
        for resource in resources {
            add_or_update(
                pod,
                json!({"key": resource, "operator": "Exists", "effect": "NoSchedule"}),
            );
        }
        Flow::Ready(Ok(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    #[test]
    fn extended_resources_are_told_apart() {
        assert!(is_extended("example.com/gpu"));
        assert!(!is_extended("cpu"));
        assert!(!is_extended("kubernetes.io/something"));
        assert!(!is_extended("requests.example.com/gpu"));
        assert!(!is_extended("example.com/bad name"));
    }

    #[test]
    fn a_pod_requesting_extended_resources_tolerates_their_taints_once() {
        let pod = json!({"metadata":{"name":"p","namespace":"default"},"spec":{
            "initContainers":[{"name":"i","image":"x","resources":{"requests":{"b.example/fpga":"1"}}}],
            "containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"1","a.example/gpu":"2"}}}],
            "tolerations":[{"key":"b.example/fpga","operator":"Exists","effect":"NoSchedule"}]}});
        let r = request(Operation::Create, ("", "v1", "pods"), pod, None);
        let got = World::with(&[])
            .admit(&ExtendedResourceToleration, r)
            .unwrap()
            .object
            .unwrap();
        assert_eq!(
            got["spec"]["tolerations"],
            json!([
                {"key":"b.example/fpga","operator":"Exists","effect":"NoSchedule"},
                {"key":"a.example/gpu","operator":"Exists","effect":"NoSchedule"},
            ])
        );
    }
}
