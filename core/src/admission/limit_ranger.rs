//! The LimitRanger plugin: the LimitRanges of a namespace give its pods' containers default
//! requests and limits (mutating phase, on create) and bound what pods and
//! PersistentVolumeClaims may ask for (validating phase): a minimum, a maximum, and a largest
//! ratio of limit to request, per container, per pod, or per claim. The LimitRanges are
//! read from the watch cache of the namespace.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::resource_list::{self, container_resources, pod_resources, ResourceList};
use super::{Operation, Phase, Plugin, Request};
use crate::api::quantity::Quantity;
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The annotation naming what defaults were set.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// Beyond this many units a value in thousandths would not fit kube's int64.
const MAX_MILLI_VALUE: i64 = i64::MAX / 1000;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(LimitRanger))
}

/// kube-apiserver's `LimitRanger`.
#[derive(Debug)]
pub struct LimitRanger;

/// What kind of object a request is about, for LimitRanger.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Pod,
    Claim,
}

fn target(request: &Request) -> Option<Target> {
    if !request.subresource.is_empty() || !request.group.is_empty() {
        return None;
    }
    match (request.kind.as_ref(), request.operation) {
        // A pod's containers cannot change after it is created.
        ("Pod", Operation::Create) => Some(Target::Pod),
        ("PersistentVolumeClaim", Operation::Create | Operation::Update) => Some(Target::Claim),
        _ => None,
    }
}

/// The LimitRanges of `namespace`, in name order, from the watch cache.
pub fn limit_ranges(cx: &Lookups<'_>, namespace: &str) -> Vec<Arc<Value>> {
    let p = format!("{}/limitranges/{namespace}/", cx.prefix);
    cx.caches
        .for_key(p.as_bytes())
        .list(p.as_bytes())
        .map(|(_, v)| v.clone())
        .collect()
}

impl Plugin for LimitRanger {
    fn name(&self) -> &'static str {
        "LimitRanger"
    }

    fn admit(&self, phase: Phase, mut request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let Some(target) = target(&request) else {
            return Flow::Ready(Ok(request));
        };
        // Objects on their way out are left alone.
        if request.old_object.as_ref().is_some_and(|o| {
            o.pointer("/metadata/deletionTimestamp")
                .is_some_and(|t| !t.is_null())
        }) {
            return Flow::Ready(Ok(request));
        }
        let ranges = limit_ranges(cx, &request.namespace);
        let Some(object) = request.object.as_mut() else {
            return Flow::Ready(Ok(request));
        };
        for range in &ranges {
            match (phase, target) {
                (Phase::Mutating, Target::Pod) => apply_defaults(range, object),
                (Phase::Mutating, Target::Claim) => {}
                (Phase::Validating, t) => {
                    let errs = match t {
                        Target::Pod => validate_pod(range, object),
                        Target::Claim => validate_claim(range, object),
                    };
                    if let Some(why) = aggregate(&errs) {
                        return Flow::Ready(Err(request.forbidden(&why)));
                    }
                }
            }
        }
        Flow::Ready(Ok(request))
    }
}

fn limits(range: &Value) -> impl Iterator<Item = &Value> {
    range
        .pointer("/spec/limits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn limit_type(item: &Value) -> &str {
    item.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Entries of `item[field]` in the order written.
fn entries<'a>(item: &'a Value, field: &str) -> Vec<(&'a str, Quantity)> {
    item.get(field)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str(), resource_list::quantity(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets the Container defaults of `range` on every container and init container that does
/// not name them, and records what it set in kube's annotation.
pub fn apply_defaults(range: &Value, pod: &mut Value) {
    let mut requests: Vec<(String, Quantity)> = Vec::new();
    let mut limits_: Vec<(String, Quantity)> = Vec::new();
    for item in limits(range).filter(|i| limit_type(i) == "Container") {
        for (k, q) in entries(item, "defaultRequest") {
            requests.retain(|(n, _)| n != k);
            requests.push((k.to_string(), q));
        }
        for (k, q) in entries(item, "default") {
            limits_.retain(|(n, _)| n != k);
            limits_.push((k.to_string(), q));
        }
    }
    let mut notes = Vec::new();
    for (field, what) in [("containers", "container"), ("initContainers", "init container")] {
        let Some(list) = pod
            .pointer_mut(&format!("/spec/{field}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for c in list.iter_mut() {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let set_limits = fill(c, "limits", &limits_);
            let set_requests = fill(c, "requests", &requests);
            if !set_requests.is_empty() {
                notes.push(format!("{} request for {what} {name}", set_requests.join(", ")));
            }
            if !set_limits.is_empty() {
                notes.push(format!("{} limit for {what} {name}", set_limits.join(", ")));
            }
        }
    }
    if !notes.is_empty() {
        crate::api::set_annotation(
            pod,
            ANNOTATION,
            &format!("LimitRanger plugin set: {}", notes.join("; ")),
        );
    }
}

/// Adds to a container's `resources[which]` the defaults it lacks; the names added, sorted.
fn fill(container: &mut Value, which: &str, defaults: &[(String, Quantity)]) -> Vec<String> {
    let present = |c: &Value, k: &str| c.pointer(&format!("/resources/{which}/{k}")).is_some();
    let missing: Vec<&(String, Quantity)> = defaults.iter().filter(|(k, _)| !present(container, k)).collect();
    if missing.is_empty() || !container.is_object() {
        return Vec::new();
    }
    let resources = container
        .as_object_mut()
        .map(|c| c.entry("resources").or_insert_with(|| Value::Object(Map::new())));
    let Some(Value::Object(resources)) = resources else {
        return Vec::new();
    };
    let Value::Object(list) = resources
        .entry(which)
        .or_insert_with(|| Value::Object(Map::new()))
    else {
        return Vec::new();
    };
    let mut set: Vec<String> = missing
        .into_iter()
        .map(|(k, q)| {
            list.insert(k.clone(), Value::from(q));
            k.clone()
        })
        .collect();
    set.sort();
    set
}

/// The request, limit and bound at one precision, as kube compares them: thousandths when
/// all three fit, else whole units.
fn comparable(req: Option<&Quantity>, lim: Option<&Quantity>, enforced: &Quantity) -> (i64, i64, i64) {
    let zero = Quantity::zero();
    let (req, lim) = (req.unwrap_or(&zero), lim.unwrap_or(&zero));
    if req.value() <= MAX_MILLI_VALUE && lim.value() <= MAX_MILLI_VALUE && enforced.value() <= MAX_MILLI_VALUE
    {
        (req.milli_value(), lim.milli_value(), enforced.milli_value())
    } else {
        (req.value(), lim.value(), enforced.value())
    }
}

fn min_constraint(
    kind: &str,
    r: &str,
    enforced: &Quantity,
    req: &ResourceList,
    lim: &ResourceList,
) -> Option<String> {
    let (rq, lm) = (req.get(r), lim.get(r));
    let (rv, lv, ev) = comparable(rq, lm, enforced);
    match (rq, lm) {
        (None, _) => Some(format!(
            "minimum {r} usage per {kind} is {enforced}.  No request is specified"
        )),
        (Some(q), _) if rv < ev => Some(format!(
            "minimum {r} usage per {kind} is {enforced}, but request is {q}"
        )),
        (_, Some(l)) if lv < ev => Some(format!(
            "minimum {r} usage per {kind} is {enforced}, but limit is {l}"
        )),
        _ => None,
    }
}

fn max_constraint(
    kind: &str,
    r: &str,
    enforced: &Quantity,
    req: &ResourceList,
    lim: &ResourceList,
) -> Option<String> {
    let (rq, lm) = (req.get(r), lim.get(r));
    let (rv, lv, ev) = comparable(rq, lm, enforced);
    match (rq, lm) {
        (_, None) => Some(format!(
            "maximum {r} usage per {kind} is {enforced}.  No limit is specified"
        )),
        (_, Some(l)) if lv > ev => Some(format!(
            "maximum {r} usage per {kind} is {enforced}, but limit is {l}"
        )),
        (Some(q), _) if rv > ev => Some(format!(
            "maximum {r} usage per {kind} is {enforced}, but request is {q}"
        )),
        _ => None,
    }
}

/// The maximum of a claim, which only asks (it has no limits).
fn max_request_constraint(kind: &str, r: &str, enforced: &Quantity, req: &ResourceList) -> Option<String> {
    let rq = req.get(r);
    let (rv, _, ev) = comparable(rq, None, enforced);
    match rq {
        None => Some(format!(
            "maximum {r} usage per {kind} is {enforced}.  No request is specified"
        )),
        Some(q) if rv > ev => Some(format!(
            "maximum {r} usage per {kind} is {enforced}, but request is {q}"
        )),
        _ => None,
    }
}

fn ratio_constraint(
    kind: &str,
    r: &str,
    enforced: &Quantity,
    req: &ResourceList,
    lim: &ResourceList,
) -> Option<String> {
    let (rq, lm) = (req.get(r), lim.get(r));
    let (rv, lv, _) = comparable(rq, lm, enforced);
    if rq.is_none() || rv == 0 {
        return Some(format!(
            "{r} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"
        ));
    }
    if lm.is_none() || lv == 0 {
        return Some(format!(
            "{r} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"
        ));
    }
    let shown = lv as f64 / rv as f64;
    let (observed, most) = if enforced.value() <= MAX_MILLI_VALUE {
        (shown * 1000.0, enforced.milli_value() as f64)
    } else {
        (shown, enforced.value() as f64)
    };
    (observed > most).then(|| {
        format!("{r} max limit to request ratio per {kind} is {enforced}, but provided ratio is {shown:.6}")
    })
}

/// Checks min, max and ratio of `item` against one set of requests and limits.
fn check(item: &Value, kind: &str, req: &ResourceList, lim: &ResourceList, errs: &mut Vec<String>) {
    for (r, q) in entries(item, "min") {
        errs.extend(min_constraint(kind, r, &q, req, lim));
    }
    for (r, q) in entries(item, "max") {
        errs.extend(max_constraint(kind, r, &q, req, lim));
    }
    for (r, q) in entries(item, "maxLimitRequestRatio") {
        errs.extend(ratio_constraint(kind, r, &q, req, lim));
    }
}

/// What `range` finds wrong with `pod`, in kube's words.
pub fn validate_pod(range: &Value, pod: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    for item in limits(range) {
        match limit_type(item) {
            "Container" => {
                for field in ["containers", "initContainers"] {
                    let list = pod.pointer(&format!("/spec/{field}")).and_then(Value::as_array);
                    for c in list.into_iter().flatten() {
                        let (req, lim) = (
                            container_resources(c, "requests"),
                            container_resources(c, "limits"),
                        );
                        check(item, "Container", &req, &lim, &mut errs);
                    }
                }
            }
            "Pod" => {
                let req = pod_resources(pod, "requests", false);
                let lim = pod_resources(pod, "limits", false);
                check(item, "Pod", &req, &lim, &mut errs);
            }
            _ => {}
        }
    }
    errs
}

/// What `range` finds wrong with a PersistentVolumeClaim: its storage requests against the
/// PersistentVolumeClaim min and max.
pub fn validate_claim(range: &Value, claim: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let req = resource_list::list(claim.pointer("/spec/resources/requests"));
    for item in limits(range).filter(|i| limit_type(i) == "PersistentVolumeClaim") {
        for (r, q) in entries(item, "min") {
            errs.extend(min_constraint(
                "PersistentVolumeClaim",
                r,
                &q,
                &req,
                &ResourceList::new(),
            ));
        }
        for (r, q) in entries(item, "max") {
            errs.extend(max_request_constraint("PersistentVolumeClaim", r, &q, &req));
        }
    }
    errs
}

/// kube's aggregate error text: one message alone, several (repeats dropped) in brackets.
pub fn aggregate(errs: &[String]) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    for e in errs {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen.as_slice() {
        [] => None,
        [one] => Some((*one).to_string()),
        many => Some(format!("[{}]", many.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn range() -> Value {
        json!({"metadata": {"name": "lr", "namespace": "ns"}, "spec": {"limits": [
            {"type": "Container",
             "default": {"cpu": "500m", "memory": "256Mi"},
             "defaultRequest": {"cpu": "250m"},
             "max": {"cpu": "1", "memory": "1Gi"},
             "min": {"cpu": "100m"},
             "maxLimitRequestRatio": {"cpu": "4"}},
        ]}})
    }

    #[test]
    fn defaults_fill_what_containers_do_not_name() {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {
            "containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"cpu": "800m"}}}],
            "initContainers": [{"name": "i", "resources": {}}],
        }});
        apply_defaults(&range(), &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "250m"}})
        );
        assert_eq!(pod["spec"]["containers"][1]["resources"]["limits"]["cpu"], "800m");
        assert_eq!(
            pod["spec"]["initContainers"][0]["resources"]["requests"]["cpu"],
            "250m"
        );
        assert_eq!(
            pod["metadata"]["annotations"][ANNOTATION],
            "LimitRanger plugin set: cpu request for container a; cpu, memory limit for container a; \
             cpu request for container b; memory limit for container b; \
             cpu request for init container i; cpu, memory limit for init container i"
        );
        assert!(validate_pod(&range(), &pod).is_empty());
    }

    #[test]
    fn over_the_maximum_is_refused_in_kubes_words() {
        let pod = json!({"spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": "2", "memory": "2Gi"}, "requests": {"cpu": "50m"}}}]}});
        let errs = validate_pod(&range(), &pod);
        assert_eq!(
            aggregate(&errs).unwrap(),
            "[minimum cpu usage per Container is 100m, but request is 50m, \
             maximum cpu usage per Container is 1, but limit is 2, \
             maximum memory usage per Container is 1Gi, but limit is 2Gi, \
             cpu max limit to request ratio per Container is 4, but provided ratio is 40.000000]"
        );
        let one = json!({"spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1"}}}]}});
        assert_eq!(
            aggregate(&validate_pod(&range(), &one)).unwrap(),
            "maximum cpu usage per Container is 1, but limit is 2"
        );
        let none = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(
            validate_pod(&range(), &none),
            vec![
                "minimum cpu usage per Container is 100m.  No request is specified",
                "maximum cpu usage per Container is 1.  No limit is specified",
                "maximum memory usage per Container is 1Gi.  No limit is specified",
                "cpu max limit to request ratio per Container is 4, but no request is specified or request is 0",
            ]
        );
    }

    #[test]
    fn pod_limits_sum_the_containers() {
        let range = json!({"spec": {"limits": [{"type": "Pod", "max": {"memory": "1Gi"}}]}});
        let pod = json!({"spec": {"containers": [
            {"name": "a", "resources": {"limits": {"memory": "600Mi"}}},
            {"name": "b", "resources": {"limits": {"memory": "600Mi"}}},
        ]}});
        assert_eq!(
            validate_pod(&range, &pod),
            vec!["maximum memory usage per Pod is 1Gi, but limit is 1200Mi"]
        );
    }

    #[test]
    fn claims_are_bounded_by_their_requests() {
        let range = json!({"spec": {"limits": [{"type": "PersistentVolumeClaim",
            "min": {"storage": "1Gi"}, "max": {"storage": "10Gi"}}]}});
        let claim = |s: &str| json!({"spec": {"resources": {"requests": {"storage": s}}}});
        assert!(validate_claim(&range, &claim("5Gi")).is_empty());
        assert_eq!(
            validate_claim(&range, &claim("20Gi")),
            vec!["maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"]
        );
        assert_eq!(
            validate_claim(&range, &claim("500Mi")),
            vec!["minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"]
        );
    }
}
