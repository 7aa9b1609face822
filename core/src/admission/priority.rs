//! The Priority plugin: a new pod's `priorityClassName` is resolved to its PriorityClass,
//! whose value becomes `spec.priority` and whose preemption policy becomes
//! `spec.preemptionPolicy`; a pod naming no class gets the global default class (the one
//! of lowest value when several claim to be it), or priority 0. A PriorityClass may only be
//! made the global default while no other class is.

use std::sync::Arc;

use serde_json::{json, Value};

use super::lookup::{self, text};
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

const PRIORITY_CLASSES: (&str, &str, &str) = ("scheduling.k8s.io", "v1", "priorityclasses");

/// The system classes every cluster has, created at start-up as kube's scheduling
/// bootstrap creates them: name, value, description.
pub const SYSTEM_CLASSES: [(&str, i64, &str); 2] = [
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

/// The system classes as objects to create.
pub fn system_classes() -> Vec<Value> {
    SYSTEM_CLASSES
        .iter()
        .map(|(name, value, description)| {
            json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": name},
                "value": value,
                "description": description,
            })
        })
        .collect()
}

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(Priority))
}

/// kube-apiserver's `Priority` (mutating for pods, validating for PriorityClasses).
#[derive(Debug)]
pub struct Priority;

impl Plugin for Priority {
    fn name(&self) -> &'static str {
        "Priority"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        match phase {
            Phase::Mutating if request.is("", "pods") => match request.operation {
                Operation::Create => admit_new_pod(request, cx),
                Operation::Update => Flow::Ready(Ok(keep_priority(request))),
                _ => Flow::Ready(Ok(request)),
            },
            Phase::Validating
                if request.is("scheduling.k8s.io", "priorityclasses")
                    && matches!(request.operation, Operation::Create | Operation::Update) =>
            {
                validate_class(request, cx)
            }
            _ => Flow::Ready(Ok(request)),
        }
    }
}

/// The global default class among `classes`: of those claiming it, the lowest value.
pub fn global_default<C: std::borrow::Borrow<Value>>(classes: &[C]) -> Option<&Value> {
    classes
        .iter()
        .map(C::borrow)
        .filter(|c| c.get("globalDefault").and_then(Value::as_bool) == Some(true))
        .min_by_key(|c| value_of(c))
}

fn value_of(class: &Value) -> i64 {
    class.get("value").and_then(Value::as_i64).unwrap_or(0)
}

fn admit_new_pod(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let Some(pod) = request.object.as_ref() else {
        return Flow::Ready(Ok(request));
    };
    let class_name = text(pod, "/spec/priorityClassName").to_string();
    if class_name.is_empty() {
        return lookup::list(cx, PRIORITY_CLASSES, "").and_then(cx, move |classes, _| {
            Flow::Ready(match classes {
                Ok(classes) => resolve(request, global_default(&classes)),
                Err(e) => Err(ApiError::internal(format!(
                    "failed to get default priority class: {}",
                    e.message
                ))),
            })
        });
    }
    lookup::get(cx, PRIORITY_CLASSES, "", &class_name).and_then(cx, move |class, _| {
        Flow::Ready(match class {
            Ok(Some(class)) => resolve(request, Some(&class)),
            Ok(None) => Err(request.forbidden(&format!("no PriorityClass with name {class_name} was found"))),
            Err(e) => Err(ApiError::internal(format!(
                "failed to get PriorityClass with name {class_name}: {}",
                e.message
            ))),
        })
    })
}

/// Sets the pod's priority (and preemption policy, when the class has one) from `class`;
/// a value the pod already gives must be the same.
fn resolve(mut request: Request, class: Option<&Value>) -> Result<Request, ApiError> {
    let priority = class.map_or(0, value_of);
    // With no class at all, kube's default is to preempt lower priorities.
    let policy = match class {
        Some(c) => c
            .get("preemptionPolicy")
            .and_then(Value::as_str)
            .map(str::to_string),
        None => Some("PreemptLowerPriority".to_string()),
    };
    let Some(spec) = request
        .object
        .as_ref()
        .and_then(|p| p.get("spec"))
        .and_then(Value::as_object)
    else {
        return Ok(request);
    };
    if let Some(given) = spec.get("priority").filter(|v| !v.is_null()) {
        if given.as_i64() != Some(priority) {
            return Err(request.forbidden(&format!(
                "the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"
            )));
        }
    }
    if let (Some(policy), Some(given)) = (&policy, spec.get("preemptionPolicy").and_then(Value::as_str)) {
        if given != policy {
            return Err(request.forbidden(&format!(
                "the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name"
            )));
        }
    }
    let Some(spec) = request
        .object
        .as_mut()
        .and_then(|p| p.get_mut("spec"))
        .and_then(Value::as_object_mut)
    else {
        return Ok(request);
    };
    if let Some(name) = class.map(crate::api::name).filter(|n| !n.is_empty()) {
        spec.insert("priorityClassName".into(), json!(name));
    }
    spec.insert("priority".into(), json!(priority));
    if let Some(policy) = policy {
        spec.insert("preemptionPolicy".into(), json!(policy));
    }
    Ok(request)
}

/// On update, the priority set at creation stays when the new object leaves it out
/// (validation refuses any other change of it).
fn keep_priority(mut request: Request) -> Request {
    let old = request.old_object.as_ref().and_then(|o| o.get("spec")).cloned();
    let (Some(old), Some(spec)) = (
        old,
        request
            .object
            .as_mut()
            .and_then(|p| p.get_mut("spec"))
            .and_then(Value::as_object_mut),
    ) else {
        return request;
    };
    for field in ["priority", "preemptionPolicy"] {
        let missing = spec.get(field).is_none_or(Value::is_null);
        if let Some(was) = old.get(field).filter(|v| missing && !v.is_null()) {
            spec.insert(field.into(), was.clone());
        }
    }
    request
}

fn validate_class(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let Some(class) = request.object.as_ref() else {
        return Flow::Ready(Ok(request));
    };
    if class.get("globalDefault").and_then(Value::as_bool) != Some(true) {
        return Flow::Ready(Ok(request));
    }
    lookup::list(cx, PRIORITY_CLASSES, "").and_then(cx, move |classes, _| {
        let classes = match classes {
            Ok(classes) => classes,
            Err(e) => {
                return Flow::Ready(Err(ApiError::internal(format!(
                    "failed to get default priority class: {}",
                    e.message
                ))))
            }
        };
        let current = global_default(&classes).map(|c| crate::api::name(c).to_string());
        let refused =
            current.filter(|name| request.operation == Operation::Create || *name != request.display_name());
        Flow::Ready(match refused {
            Some(name) => Err(request.forbidden(&format!(
                "PriorityClass {name} is already marked as default. Only one default can exist"
            ))),
            None => Ok(request),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn class(
        name: &str,
        value: i64,
        default: bool,
        policy: &str,
    ) -> (&'static str, &'static str, &'static str, Value) {
        let (g, v, r) = PRIORITY_CLASSES;
        (
            g,
            v,
            r,
            json!({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":name},
                   "value":value,"globalDefault":default,"preemptionPolicy":policy}),
        )
    }

    fn pod(spec: Value) -> Value {
        let mut spec = spec;
        spec["containers"] = json!([{"name":"c","image":"i"}]);
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":spec})
    }

    fn create(world: &World, spec: Value) -> Result<Value, ApiError> {
        let r = request(Operation::Create, ("", "v1", "pods"), pod(spec), None);
        world
            .admit(&Priority, r)
            .map(|r| r.object.unwrap()["spec"].clone())
    }

    #[test]
    fn a_named_class_gives_its_value_and_policy() {
        let w = World::with(&[class("high", 1000, false, "Never")]);
        let spec = create(&w, json!({"priorityClassName": "high"})).unwrap();
        assert_eq!(spec["priority"], 1000);
        assert_eq!(spec["preemptionPolicy"], "Never");
        // The same values given by the pod are accepted.
        let spec = create(
            &w,
            json!({"priorityClassName": "high", "priority": 1000, "preemptionPolicy": "Never"}),
        )
        .unwrap();
        assert_eq!(spec["priority"], 1000);
    }

    #[test]
    fn a_missing_class_is_refused_with_kubes_message() {
        let e = create(&World::with(&[]), json!({"priorityClassName": "nope"})).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: no PriorityClass with name nope was found"
        );
    }

    #[test]
    fn values_the_pod_gives_must_match_the_class() {
        let w = World::with(&[class("high", 1000, false, "Never")]);
        let e = create(&w, json!({"priorityClassName": "high", "priority": 5})).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name"
        );
        let e = create(
            &w,
            json!({"priorityClassName": "high", "preemptionPolicy": "PreemptLowerPriority"}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "pods \"p\" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name"
        );
        // Without any class, a priority other than 0 is refused too.
        let e = create(&World::with(&[]), json!({"priority": 7})).unwrap_err();
        assert!(e.message.contains("computed 0"), "{}", e.message);
    }

    #[test]
    fn the_lowest_global_default_applies_to_pods_naming_none() {
        let w = World::with(&[
            class("a", 100, true, "PreemptLowerPriority"),
            class("b", 50, true, "Never"),
            class("c", 10, false, "Never"),
        ]);
        let spec = create(&w, json!({})).unwrap();
        assert_eq!(spec["priorityClassName"], "b");
        assert_eq!(spec["priority"], 50);
        assert_eq!(spec["preemptionPolicy"], "Never");
        let spec = create(&World::with(&[]), json!({})).unwrap();
        assert_eq!(spec["priority"], 0);
        assert!(spec.get("priorityClassName").is_none());
        assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    }

    #[test]
    fn an_update_keeps_the_priority_set_at_creation() {
        let old = pod(json!({"priority": 10, "preemptionPolicy": "Never"}));
        let r = request(Operation::Update, ("", "v1", "pods"), pod(json!({})), Some(old));
        let spec = World::with(&[]).admit(&Priority, r).unwrap().object.unwrap()["spec"].clone();
        assert_eq!(spec["priority"], 10);
        assert_eq!(spec["preemptionPolicy"], "Never");
    }

    #[test]
    fn only_one_class_may_be_the_global_default() {
        let w = World::with(&[class("a", 100, true, "Never"), class("b", 1, false, "Never")]);
        let (_, _, _, new) = class("z", 5, true, "Never");
        let r = request(Operation::Create, PRIORITY_CLASSES, new.clone(), None);
        let e = w.admit(&Priority, r).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "priorityclasses.scheduling.k8s.io \"z\" is forbidden: PriorityClass a is already marked as default. Only one default can exist"
        );
        // Marking another existing class default is refused; updating the default is not.
        let (_, _, _, b) = class("b", 1, true, "Never");
        let r = request(Operation::Update, PRIORITY_CLASSES, b, None);
        assert!(w.admit(&Priority, r).is_err());
        let (_, _, _, a) = class("a", 100, true, "Never");
        let r = request(Operation::Update, PRIORITY_CLASSES, a, None);
        assert!(w.admit(&Priority, r).is_ok());
        // With no default yet, a new default is admitted.
        let r = request(Operation::Create, PRIORITY_CLASSES, new, None);
        assert!(World::with(&[]).admit(&Priority, r).is_ok());
    }

    #[test]
    fn the_system_classes_are_kubes() {
        let classes = system_classes();
        assert_eq!(classes[0]["metadata"]["name"], "system-node-critical");
        assert_eq!(classes[0]["value"], 2_000_001_000);
        assert_eq!(classes[1]["metadata"]["name"], "system-cluster-critical");
        assert_eq!(classes[1]["value"], 2_000_000_000);
    }
}
