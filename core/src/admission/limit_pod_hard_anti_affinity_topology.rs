//! The LimitPodHardAntiAffinityTopology plugin: a pod's required anti-affinity may only
//! spread over `kubernetes.io/hostname`, so one pod cannot keep a whole zone to itself.

use std::sync::Arc;

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The one topology key required anti-affinity may use.
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(LimitPodHardAntiAffinityTopology))
}

/// kube-apiserver's `LimitPodHardAntiAffinityTopology` (validating).
#[derive(Debug)]
pub struct LimitPodHardAntiAffinityTopology;

impl Plugin for LimitPodHardAntiAffinityTopology {
    fn name(&self) -> &'static str {
        "LimitPodHardAntiAffinityTopology"
    }

    fn admit(&self, phase: Phase, request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating
            || !matches!(request.operation, Operation::Create | Operation::Update)
            || !request.is("", "pods")
        {
            return Flow::Ready(Ok(request));
        }
        let Some(pod) = request.object.as_ref() else {
            return Flow::Ready(Ok(request));
        };
        let terms = pod
            .pointer("/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
            .and_then(Value::as_array);
        for term in terms.into_iter().flatten() {
            let key = term.get("topologyKey").and_then(Value::as_str).unwrap_or("");
            if key != HOSTNAME {
                // kube names the pod by its own name here, not by its generateName.
                return Flow::Ready(Err(ApiError::forbidden(
                    "",
                    "pods",
                    crate::api::name(pod),
                    &format!(
                        "affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey {key} but only key {HOSTNAME} is allowed"
                    ),
                )));
            }
        }
        Flow::Ready(Ok(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};
    use serde_json::json;

    fn pod(key: &str) -> Value {
        json!({"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[],
            "affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
                {"labelSelector":{},"topologyKey":key}]}}}})
    }

    #[test]
    fn only_the_hostname_key_is_allowed() {
        let w = World::with(&[]);
        let r = request(Operation::Create, ("", "v1", "pods"), pod(HOSTNAME), None);
        assert!(w.admit(&LimitPodHardAntiAffinityTopology, r).is_ok());
        let r = request(
            Operation::Create,
            ("", "v1", "pods"),
            pod("topology.kubernetes.io/zone"),
            None,
        );
        let e = w.admit(&LimitPodHardAntiAffinityTopology, r).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey topology.kubernetes.io/zone but only key kubernetes.io/hostname is allowed"
        );
    }
}
