//! Converting built-in objects between the API versions they are served in.
//!
//! Gatehouse stores each resource in one version and serves some resources in
//! several. Like kube-apiserver, it converts through an internal (hub) form:
//!
//! * `autoscaling` HorizontalPodAutoscaler, `v1` <-> `v2` (`v2` is stored). `v1` only
//!   has a CPU utilization target; the rest survives a round trip in the
//!   `autoscaling.alpha.kubernetes.io/*` annotations, exactly as kube-apiserver writes
//!   and reads them;
//! * Event, core `v1` <-> `events.k8s.io/v1` (core `v1` is stored), which rename and
//!   deprecate fields but lose nothing.
//!
//! Objects are `serde_json::Value`s in their JSON wire form. Converted objects are
//! written with the field order and `omitempty` rules of the Go types, and get the
//! target `kind` and `apiVersion`. Fields of the wrong JSON type read as absent, so
//! conversion never fails on a malformed object; it fails only for unknown kinds or
//! version pairs and for bodies that are not objects. Nothing here recurses over input.

mod annotations;
mod decode;
mod error;
mod event;
mod hpa;
mod hpa_v1;

use serde_json::{Map, Value};

pub use annotations::{
    BEHAVIOR as HPA_BEHAVIOR_ANNOTATION, CONDITIONS as HPA_CONDITIONS_ANNOTATION,
    METRIC_SPECS as HPA_METRICS_ANNOTATION, METRIC_STATUSES as HPA_CURRENT_METRICS_ANNOTATION,
};
pub use error::ConversionError;

use event::Event;
use hpa::HorizontalPodAutoscaler;

const HPA: &str = "HorizontalPodAutoscaler";
const EVENT: &str = "Event";
const AUTOSCALING_V1: &str = "autoscaling/v1";
const AUTOSCALING_V2: &str = "autoscaling/v2";
const CORE_V1: &str = "v1";
const EVENTS_V1: &str = "events.k8s.io/v1";

/// Converts `obj`, a `kind` of API group `group`, from one version to another.
///
/// `from_version` and `to_version` are versions within `group` (`"v1"`), or full
/// `apiVersion`s (`"events.k8s.io/v1"`) for kinds served by several groups; the core
/// group is `""` (or `"core"`). So a core Event is read as an events API Event with
/// `convert("", "Event", "v1", "events.k8s.io/v1", &obj)`.
///
/// The same version on both sides returns a copy of `obj`, whatever the kind, except
/// that an `autoscaling/v2` HorizontalPodAutoscaler loses any `autoscaling.alpha.*`
/// round-trip annotations, as it does in kube-apiserver.
pub fn convert(
    group: &str,
    kind: &str,
    from_version: &str,
    to_version: &str,
    obj: &Value,
) -> Result<Value, ConversionError> {
    let from = api_version(group, from_version);
    let to = api_version(group, to_version);
    convert_api_version(kind, &from, &to, obj)
}

/// Converts `obj` of `kind` between two `apiVersion`s (`"autoscaling/v2"`, `"v1"`).
pub fn convert_api_version(kind: &str, from: &str, to: &str, obj: &Value) -> Result<Value, ConversionError> {
    if from == to {
        let mut copy = obj.clone();
        if kind == HPA && from == AUTOSCALING_V2 {
            // kube-apiserver decodes v2 through the hub, which drops these annotations:
            // a v2 client can never store or see them.
            if let Some(Value::Object(metadata)) = copy.get_mut("metadata") {
                annotations::drop_round_trip(metadata);
            }
        }
        return Ok(copy);
    }
    if !can_convert(kind, from, to) {
        return Err(ConversionError::Unsupported {
            kind: kind.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    let Value::Object(input) = obj else {
        return Err(ConversionError::NotAnObject);
    };
    let mut out = Map::new();
    out.insert("kind".into(), Value::from(kind));
    out.insert("apiVersion".into(), Value::from(to));
    match (kind, to) {
        (HPA, AUTOSCALING_V1) => HorizontalPodAutoscaler::from_v2(input).to_v1(&mut out),
        (HPA, _) => HorizontalPodAutoscaler::from_v1(input).to_v2(&mut out),
        (_, EVENTS_V1) => Event::from_core_v1(input).to_events_v1(&mut out),
        _ => Event::from_events_v1(input).to_core_v1(&mut out),
    }
    Ok(Value::Object(out))
}

/// Whether [`convert_api_version`] knows how to convert `kind` from `from` to `to`.
pub fn can_convert(kind: &str, from: &str, to: &str) -> bool {
    let pair = |a: &str, b: &str| (from == a && to == b) || (from == b && to == a);
    match kind {
        HPA => pair(AUTOSCALING_V1, AUTOSCALING_V2),
        EVENT => pair(CORE_V1, EVENTS_V1),
        _ => false,
    }
}

/// The `apiVersion` for `version` in `group` (a full `group/version` passes through).
fn api_version(group: &str, version: &str) -> String {
    if version.contains('/') || group.is_empty() || group == "core" {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_version_is_a_copy() {
        let obj = json!({"kind": "Widget", "apiVersion": "example.com/v1", "x": [1, 2]});
        assert_eq!(
            convert("example.com", "Widget", "v1", "v1", &obj),
            Ok(obj.clone())
        );
        // Even a non-object, and whether written as a version or an apiVersion.
        assert_eq!(
            convert("autoscaling", HPA, "v2", "autoscaling/v2", &json!(5)),
            Ok(json!(5))
        );
    }

    #[test]
    fn same_version_v2_hpa_drops_round_trip_annotations() {
        let obj = json!({"metadata": {"name": "h", "annotations": {
            (HPA_METRICS_ANNOTATION): "[]", (HPA_BEHAVIOR_ANNOTATION): "{}", "a": "b"
        }}, "spec": {"maxReplicas": 1}});
        let expected =
            json!({"metadata": {"name": "h", "annotations": {"a": "b"}}, "spec": {"maxReplicas": 1}});
        assert_eq!(convert("autoscaling", HPA, "v2", "v2", &obj), Ok(expected));
        // v1 keeps them: they are its own representation.
        assert_eq!(convert("autoscaling", HPA, "v1", "v1", &obj), Ok(obj));
    }

    #[test]
    fn unknown_pairs_fail() {
        let obj = json!({});
        let err = convert("autoscaling", HPA, "v1", "v2beta2", &obj);
        assert_eq!(
            err,
            Err(ConversionError::Unsupported {
                kind: HPA.into(),
                from: "autoscaling/v1".into(),
                to: "autoscaling/v2beta2".into(),
            })
        );
        assert!(convert("apps", "Deployment", "v1", "v1beta1", &obj).is_err());
        assert!(convert("", EVENT, "v1", "autoscaling/v1", &obj).is_err());
        assert!(convert_api_version(EVENT, "autoscaling/v1", "autoscaling/v2", &obj).is_err());
        let msg = err.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert_eq!(
            msg,
            "converting (autoscaling/v1.HorizontalPodAutoscaler) to (autoscaling/v2beta2.HorizontalPodAutoscaler): unknown conversion"
        );
    }

    #[test]
    fn non_objects_fail() {
        for bad in [json!(null), json!([]), json!("x"), json!(1)] {
            assert_eq!(
                convert("autoscaling", HPA, "v2", "v1", &bad),
                Err(ConversionError::NotAnObject)
            );
            assert_eq!(
                convert("", EVENT, "v1", "events.k8s.io/v1", &bad),
                Err(ConversionError::NotAnObject)
            );
        }
    }

    #[test]
    fn version_spellings() {
        let obj = json!({"metadata": {"name": "e"}});
        let a = convert("", EVENT, "v1", "events.k8s.io/v1", &obj);
        let b = convert("core", EVENT, "v1", "events.k8s.io/v1", &obj);
        let c = convert("events.k8s.io", EVENT, "v1", "v1", &obj);
        let d = convert_api_version(EVENT, "v1", "events.k8s.io/v1", &obj);
        assert_eq!(a, b);
        assert_eq!(a, d);
        assert_eq!(c, Ok(obj)); // both "events.k8s.io/v1": same version
        assert_eq!(
            a.ok().map(|v| v["apiVersion"].clone()),
            Some(json!("events.k8s.io/v1"))
        );
        assert!(can_convert(HPA, "autoscaling/v2", "autoscaling/v1"));
        assert!(!can_convert(HPA, "autoscaling/v2", "autoscaling/v2"));
    }

    /// Every field of an object replaced by every JSON type: no conversion panics.
    #[test]
    fn malformed_fields_never_panic() {
        fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
            match v {
                Value::Object(m) => {
                    for (k, child) in m {
                        let mut p = prefix.clone();
                        p.push(k.clone());
                        out.push(p.clone());
                        paths(child, p, out);
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        let mut p = prefix.clone();
                        p.push(i.to_string());
                        out.push(p.clone());
                        paths(child, p, out);
                    }
                }
                _ => {}
            }
        }
        fn replace(v: &mut Value, path: &[String], with: &Value) {
            let Some((head, rest)) = path.split_first() else {
                *v = with.clone();
                return;
            };
            let child = match v {
                Value::Object(m) => m.get_mut(head),
                Value::Array(a) => head.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            };
            if let Some(c) = child {
                replace(c, rest, with);
            }
        }
        let junk = [
            json!(null),
            json!(true),
            json!(-7),
            json!(1.5),
            json!(1e300),
            json!("<&>"),
            json!("[{\"type\":5}]"),
            json!([null, 1]),
            json!({"x": {}}),
        ];
        let samples = [
            (HPA, AUTOSCALING_V2, AUTOSCALING_V1, hpa_v1::tests::full_v2()),
            (HPA, AUTOSCALING_V1, AUTOSCALING_V2, hpa_v1::tests::full_v1()),
            (EVENT, CORE_V1, EVENTS_V1, event::tests::kubelet_core_event()),
            (EVENT, EVENTS_V1, CORE_V1, event::tests::events_api_event()),
        ];
        for (kind, from, to, sample) in samples {
            let mut all = Vec::new();
            paths(&sample, Vec::new(), &mut all);
            for path in &all {
                for j in &junk {
                    let mut broken = sample.clone();
                    replace(&mut broken, path, j);
                    let out = convert_api_version(kind, from, to, &broken);
                    assert!(out.is_ok(), "{kind} {from}->{to} at {path:?} = {j}");
                    // And back again.
                    if let Ok(out) = out {
                        assert!(convert_api_version(kind, to, from, &out).is_ok());
                    }
                }
            }
        }
    }
}
