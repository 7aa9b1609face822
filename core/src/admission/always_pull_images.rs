//! The AlwaysPullImages plugin: every container of a new pod, or of a pod updated with an
//! image it did not have, pulls its image always, so a pod cannot use an image cached on
//! its node that its owner could not pull. The validating half refuses a pod that still
//! does not.

use std::sync::Arc;

use serde_json::{json, Value};

use super::lookup::plain_error;
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(AlwaysPullImages))
}

/// kube-apiserver's `AlwaysPullImages` (mutating and validating).
#[derive(Debug)]
pub struct AlwaysPullImages;

/// The lists of containers of a pod spec, in the order kube visits them.
pub const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// Every container of `pod` with its field path (`spec.containers[0]`).
pub fn containers(pod: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for list in CONTAINER_LISTS {
        let items = pod.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
        for (i, c) in items.into_iter().flatten().enumerate() {
            out.push((format!("spec.{list}[{i}]"), c));
        }
    }
    out
}

fn images(pod: &Value) -> Vec<&str> {
    containers(pod)
        .into_iter()
        .map(|(_, c)| c.get("image").and_then(Value::as_str).unwrap_or(""))
        .collect()
}

/// Whether an update brings no image the pod did not have (then the plugin stays out).
fn no_new_images(request: &Request) -> bool {
    if request.operation != Operation::Update {
        return false;
    }
    let (Some(new), Some(old)) = (request.object.as_ref(), request.old_object.as_ref()) else {
        return false;
    };
    let old = images(old);
    images(new).iter().all(|i| old.contains(i))
}

impl Plugin for AlwaysPullImages {
    fn name(&self) -> &'static str {
        "AlwaysPullImages"
    }

    fn admit(&self, phase: Phase, mut request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let applies = matches!(request.operation, Operation::Create | Operation::Update)
            && request.is("", "pods")
            && !no_new_images(&request);
        if !applies {
            return Flow::Ready(Ok(request));
        }
        if phase == Phase::Mutating {
            let Some(pod) = request.object.as_mut() else {
                return Flow::Ready(Ok(request));
            };
            for list in CONTAINER_LISTS {
                let items = pod
                    .pointer_mut(&format!("/spec/{list}"))
                    .and_then(Value::as_array_mut);
                for c in items.into_iter().flatten().filter_map(Value::as_object_mut) {
                    c.insert("imagePullPolicy".into(), json!("Always"));
                }
            }
            return Flow::Ready(Ok(request));
        }
        let Some(pod) = request.object.as_ref() else {
            return Flow::Ready(Ok(request));
        };
        let refusals: Vec<String> = containers(pod)
            .into_iter()
            .filter_map(|(path, c)| {
                let policy = c.get("imagePullPolicy").and_then(Value::as_str).unwrap_or("");
                (policy != "Always").then(|| {
                    request
                        .forbidden(&format!(
                            "{path}.imagePullPolicy: Unsupported value: {}: supported values: \"Always\"",
                            go_quote(policy)
                        ))
                        .message
                })
            })
            .collect();
        Flow::Ready(match refusals.as_slice() {
            [] => Ok(request),
            // kube's errors aggregated, which its handlers answer as a plain 500.
            [one] => Err(plain_error(one.clone())),
            many => Err(plain_error(format!("[{}]", many.join(", ")))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn pod(image: &str, policy: &str) -> Value {
        json!({"metadata":{"name":"p","namespace":"default"},"spec":{
            "initContainers":[{"name":"i","image":"init","imagePullPolicy":policy}],
            "containers":[{"name":"c","image":image,"imagePullPolicy":policy}]}})
    }

    fn policies(pod: &Value) -> Vec<String> {
        containers(pod)
            .into_iter()
            .map(|(_, c)| c["imagePullPolicy"].as_str().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn every_container_of_a_new_pod_pulls_always() {
        let r = request(
            Operation::Create,
            ("", "v1", "pods"),
            pod("a", "IfNotPresent"),
            None,
        );
        let got = World::with(&[])
            .admit(&AlwaysPullImages, r)
            .unwrap()
            .object
            .unwrap();
        assert_eq!(policies(&got), ["Always", "Always"]);
    }

    #[test]
    fn an_update_with_a_new_image_is_forced_and_one_without_left_alone() {
        let old = pod("a", "IfNotPresent");
        let r = request(
            Operation::Update,
            ("", "v1", "pods"),
            pod("b", "Never"),
            Some(old.clone()),
        );
        let got = World::with(&[])
            .admit(&AlwaysPullImages, r)
            .unwrap()
            .object
            .unwrap();
        assert_eq!(policies(&got), ["Always", "Always"]);
        let r = request(
            Operation::Update,
            ("", "v1", "pods"),
            pod("a", "Never"),
            Some(old),
        );
        let got = World::with(&[])
            .admit(&AlwaysPullImages, r)
            .unwrap()
            .object
            .unwrap();
        assert_eq!(policies(&got), ["Never", "Never"]);
    }

    #[test]
    fn validation_refuses_a_container_that_does_not_pull_always() {
        let r = request(Operation::Create, ("", "v1", "pods"), pod("a", "Never"), None);
        let e = World::with(&[])
            .phase(&AlwaysPullImages, Phase::Validating, r)
            .unwrap_err();
        assert_eq!(e.code, 500);
        assert_eq!(
            e.message,
            "[pods \"p\" is forbidden: spec.initContainers[0].imagePullPolicy: Unsupported value: \"Never\": supported values: \"Always\", pods \"p\" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: \"Never\": supported values: \"Always\"]"
        );
    }
}
