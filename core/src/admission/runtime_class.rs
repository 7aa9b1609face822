//! The RuntimeClass plugin: a new pod naming a RuntimeClass gets the class's pod overhead
//! (a pod giving a different one is refused) and the class's scheduling constraints (its
//! node selector merged into the pod's, refused on a conflicting value, and its
//! tolerations); a class that does not exist is refused. The validating half refuses an
//! overhead that does not come from the class.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::lookup;
use super::{tolerations, Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::Quantity;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(RuntimeClass))
}

/// kube-apiserver's `RuntimeClass` (mutating and validating).
#[derive(Debug)]
pub struct RuntimeClass;

const OVERHEAD_MISMATCH: &str = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

impl Plugin for RuntimeClass {
    fn name(&self) -> &'static str {
        "RuntimeClass"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if request.operation != Operation::Create || !request.is("", "pods") {
            return Flow::Ready(Ok(request));
        }
        let Some(pod) = request.object.as_ref() else {
            return Flow::Ready(Ok(request));
        };
        let class_name = match pod.pointer("/spec/runtimeClassName") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_str().unwrap_or("").to_string()),
        };
        let Some(class_name) = class_name else {
            return Flow::Ready(decide(phase, request, None));
        };
        lookup::get(cx, ("node.k8s.io", "v1", "runtimeclasses"), "", &class_name).and_then(
            cx,
            move |class, _| {
                Flow::Ready(match class {
                    Ok(Some(class)) => decide(phase, request, Some(&class)),
                    Ok(None) => Err(request.forbidden(&format!(
                        "pod rejected: RuntimeClass {} not found",
                        crate::validation::go_quote(&class_name)
                    ))),
                    Err(e) => Err(e),
                })
            },
        )
    }
}

fn decide(phase: Phase, mut request: Request, class: Option<&Value>) -> Result<Request, ApiError> {
    let Some(pod) = request.object.as_mut() else {
        return Ok(request);
    };
    let outcome = match phase {
        Phase::Mutating => set_overhead(pod, class).and_then(|()| set_scheduling(pod, class)),
        Phase::Validating => validate_overhead(pod, class),
    };
    match outcome {
        Ok(()) => Ok(request),
        Err(why) => Err(request.forbidden(&why)),
    }
}

/// Whether two resource lists hold the same quantities (absent and empty alike).
fn same_resources(a: Option<&Value>, b: Option<&Value>) -> bool {
    let map = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let (a, b) = (map(a), map(b));
    let quantity = |v: &Value| match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    };
    a.len() == b.len()
        && a.iter().all(|(k, va)| {
            b.get(k).is_some_and(|vb| match (quantity(va), quantity(vb)) {
                (Some(x), Some(y)) => x.cmp_value(&y).is_eq(),
                _ => va == vb,
            })
        })
}

fn is_empty_map(v: Option<&Value>) -> bool {
    v.is_none_or(|v| v.is_null() || v.as_object().is_some_and(Map::is_empty))
}

fn class_overhead(class: Option<&Value>) -> Option<&Value> {
    class?.get("overhead").filter(|o| !o.is_null())
}

fn set_overhead(pod: &mut Value, class: Option<&Value>) -> Result<(), String> {
    let Some(overhead) = class_overhead(class) else {
        return Ok(());
    };
    let fixed = overhead.get("podFixed").filter(|v| !v.is_null()).cloned();
    let given = pod.pointer("/spec/overhead");
    if !is_empty_map(given) && !same_resources(fixed.as_ref(), given) {
        return Err(OVERHEAD_MISMATCH.into());
    }
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        match fixed {
            Some(fixed) => spec.insert("overhead".into(), fixed),
            None => spec.remove("overhead"),
        };
    }
    Ok(())
}

fn validate_overhead(pod: &Value, class: Option<&Value>) -> Result<(), String> {
    let given = pod.pointer("/spec/overhead").filter(|v| !v.is_null());
    match class_overhead(class) {
        Some(overhead) if !same_resources(overhead.get("podFixed"), given) => Err(OVERHEAD_MISMATCH.into()),
        None if given.is_some() => {
            Err("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead".into())
        }
        _ => Ok(()),
    }
}

fn set_scheduling(pod: &mut Value, class: Option<&Value>) -> Result<(), String> {
    let Some(scheduling) = class.and_then(|c| c.get("scheduling")).filter(|s| !s.is_null()) else {
        return Ok(());
    };
    let wanted = scheduling
        .get("nodeSelector")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut selector = pod
        .pointer("/spec/nodeSelector")
        .and_then(Value::as_object)
        .cloned();
    match selector.as_mut() {
        None => selector = (!wanted.is_empty()).then_some(wanted),
        Some(selector) => {
            for (key, value) in &wanted {
                let class_value = value.as_str().unwrap_or("");
                if let Some(pod_value) = selector.get(key).and_then(Value::as_str) {
                    if pod_value != class_value {
                        return Err(format!(
                            "conflict: runtimeClass.scheduling.nodeSelector[{key}] = {class_value}; pod.spec.nodeSelector[{key}] = {pod_value}"
                        ));
                    }
                }
                selector.insert(key.clone(), value.clone());
            }
        }
    }
    let class_tolerations = scheduling
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let merged = tolerations::merge(&tolerations::of_pod(pod), &class_tolerations);
    if let Some(selector) = selector {
        if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeSelector".into(), json!(selector));
        }
    }
    tolerations::set_on_pod(pod, merged);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn class(name: &str, rest: Value) -> (&'static str, &'static str, &'static str, Value) {
        let mut c = json!({"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":name},"handler":"h"});
        if let (Some(c), Some(rest)) = (c.as_object_mut(), rest.as_object()) {
            c.extend(rest.clone());
        }
        ("node.k8s.io", "v1", "runtimeclasses", c)
    }

    fn world() -> World {
        World::with(&[
            class(
                "kata",
                json!({"overhead":{"podFixed":{"cpu":"250m","memory":"120Mi"}}}),
            ),
            class(
                "gpu",
                json!({"scheduling":{"nodeSelector":{"accel":"gpu"},
                       "tolerations":[{"key":"gpu","operator":"Exists","effect":"NoSchedule"}]}}),
            ),
            class("plain", json!({})),
        ])
    }

    fn create(spec: Value) -> Result<Value, ApiError> {
        let mut spec = spec;
        spec["containers"] = json!([{"name":"c","image":"i"}]);
        let pod = json!({"metadata":{"name":"p","namespace":"default"},"spec":spec});
        let r = request(Operation::Create, ("", "v1", "pods"), pod, None);
        world()
            .admit(&RuntimeClass, r)
            .map(|r| r.object.unwrap()["spec"].clone())
    }

    #[test]
    fn the_class_overhead_is_set_and_a_different_one_refused() {
        let spec = create(json!({"runtimeClassName":"kata"})).unwrap();
        assert_eq!(spec["overhead"], json!({"cpu":"250m","memory":"120Mi"}));
        let same = create(json!({"runtimeClassName":"kata","overhead":{"cpu":"0.25","memory":"120Mi"}}));
        assert!(same.is_ok());
        let e = create(json!({"runtimeClassName":"kata","overhead":{"cpu":"1"}})).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(e.message, format!("pods \"p\" is forbidden: {OVERHEAD_MISMATCH}"));
        let e = create(json!({"runtimeClassName":"plain","overhead":{"cpu":"1"}})).unwrap_err();
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
        );
        assert!(create(json!({"overhead":{"cpu":"1"}})).is_err());
    }

    #[test]
    fn an_unknown_class_is_refused() {
        let e = create(json!({"runtimeClassName":"nope"})).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: pod rejected: RuntimeClass \"nope\" not found"
        );
    }

    #[test]
    fn scheduling_is_merged_and_a_conflict_refused() {
        let spec = create(json!({"runtimeClassName":"gpu","nodeSelector":{"zone":"a"}})).unwrap();
        assert_eq!(spec["nodeSelector"], json!({"zone":"a","accel":"gpu"}));
        assert_eq!(
            spec["tolerations"],
            json!([{"key":"gpu","operator":"Exists","effect":"NoSchedule"}])
        );
        let spec = create(json!({"runtimeClassName":"gpu"})).unwrap();
        assert_eq!(spec["nodeSelector"], json!({"accel":"gpu"}));
        let e = create(json!({"runtimeClassName":"gpu","nodeSelector":{"accel":"tpu"}})).unwrap_err();
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[accel] = gpu; pod.spec.nodeSelector[accel] = tpu"
        );
    }
}
