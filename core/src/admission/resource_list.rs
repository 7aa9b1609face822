//! Resource lists (`{"cpu": "500m", "memory": "1Gi"}`) as LimitRanger and ResourceQuota read
//! them from objects, and a pod's effective requests and limits as kube sums them over its
//! containers, sidecars and init containers.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::api::quantity::Quantity;

/// Resource names to exact quantities, in name order.
pub type ResourceList = BTreeMap<String, Quantity>;

/// The quantity `v` holds (a string, or a number written as JSON), if it parses.
pub fn quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

/// The resource list at `v` (a JSON object); entries that do not parse are left out
/// (validation refuses them later).
pub fn list(v: Option<&Value>) -> ResourceList {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), quantity(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The list as a JSON object of canonical quantities.
pub fn to_json(list: &ResourceList) -> Value {
    Value::Object(list.iter().map(|(k, q)| (k.clone(), Value::from(q))).collect())
}

/// Adds each of `more` into `into`.
pub fn add(into: &mut ResourceList, more: &ResourceList) {
    for (k, q) in more {
        into.entry(k.clone()).or_default().add(q);
    }
}

/// Raises each of `into` to at least `other`'s.
fn max(into: &mut ResourceList, other: &ResourceList) {
    for (k, q) in other {
        match into.get_mut(k) {
            Some(cur) if *cur >= *q => {}
            Some(cur) => *cur = *q,
            None => {
                into.insert(k.clone(), *q);
            }
        }
    }
}

fn containers<'a>(pod: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> + 'a {
    let field = field.to_string();
    pod.get("spec")
        .and_then(move |s| s.get(&field))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The `requests` or `limits` of a container.
pub fn container_resources(c: &Value, which: &str) -> ResourceList {
    list(c.get("resources").and_then(|r| r.get(which)))
}

fn is_sidecar(c: &Value) -> bool {
    c.get("restartPolicy").and_then(Value::as_str) == Some("Always")
}

/// A pod's effective `requests` or `limits`: the sum over its containers and sidecars,
/// raised to what any init container needs while it runs beside the sidecars started
/// before it; with `overhead`, plus the pod's `spec.overhead` (quota counts it, LimitRanger
/// does not).
pub fn pod_resources(pod: &Value, which: &str, overhead: bool) -> ResourceList {
    let mut total = ResourceList::new();
    for c in containers(pod, "containers") {
        add(&mut total, &container_resources(c, which));
    }
    let mut sidecars = ResourceList::new();
    let mut init = ResourceList::new();
    for c in containers(pod, "initContainers") {
        let own = container_resources(c, which);
        let running = if is_sidecar(c) {
            add(&mut total, &own);
            add(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut r = own;
            add(&mut r, &sidecars);
            r
        };
        max(&mut init, &running);
    }
    max(&mut total, &init);
    if overhead {
        let oh = list(pod.pointer("/spec/overhead"));
        if which == "requests" {
            add(&mut total, &oh);
        } else {
            // Overhead raises only the limits the pod sets, as kube's resource helper does.
            for (k, q) in &oh {
                if let Some(cur) = total.get_mut(k) {
                    cur.add(q);
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sums_containers_and_takes_the_largest_init_container() {
        let pod = json!({"spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "200m"}}},
            ],
            "initContainers": [
                {"name": "i", "resources": {"requests": {"cpu": "1"}}},
                {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"memory": "1Gi"}}},
            ],
            "overhead": {"cpu": "10m"},
        }});
        let r = pod_resources(&pod, "requests", false);
        assert_eq!(r["cpu"].to_string(), "1");
        assert_eq!(r["memory"].to_string(), "2Gi");
        let r = pod_resources(&pod, "requests", true);
        assert_eq!(r["cpu"].to_string(), "1010m");
    }
}
