//! The `scale` subresource: an `autoscaling/v1 Scale` view of a workload's replicas.

use serde_json::{json, Map, Value};

use crate::api::{self, ApiError};

/// The Scale of a deployment, replicaset or statefulset.
pub fn to_scale(obj: &Value) -> Value {
    let m = api::meta(obj).cloned().unwrap_or_default();
    let mut meta = Map::new();
    for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = m.get(k) {
            meta.insert(k.into(), v.clone());
        }
    }
    // A ReplicationController's selector is a plain label map, not a LabelSelector.
    let plain = obj.get("kind").and_then(Value::as_str) == Some("ReplicationController");
    let selector = obj
        .pointer("/spec/selector")
        .map(|s| {
            if plain {
                json!({"matchLabels": s})
            } else {
                s.clone()
            }
        })
        .and_then(|s| crate::selectors::LabelSelector::from_label_selector_json(&s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut status = Map::new();
    status.insert(
        "replicas".into(),
        json!(obj
            .pointer("/status/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0)),
    );
    if !selector.is_empty() {
        status.insert("selector".into(), json!(selector));
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": meta,
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)},
        "status": status,
    })
}

/// Writes the replicas of `scale` into the workload, checking the Scale as kube does.
pub fn apply_scale(workload: &Value, scale: &Value, kind: &str) -> Result<Value, ApiError> {
    if let Some(av) = scale.get("apiVersion").and_then(Value::as_str) {
        if av != "autoscaling/v1" {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version (autoscaling/v1)"
            )));
        }
    }
    let replicas = match scale.pointer("/spec/replicas") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| ApiError::bad_request("spec.replicas must be an integer"))?,
    };
    let name = api::name(workload).to_string();
    if replicas < 0 || replicas > i64::from(i32::MAX) {
        let msg = format!("Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0");
        return Err(ApiError::invalid(
            "autoscaling",
            "Scale",
            &name,
            msg,
            vec![api::Cause {
                reason: "FieldValueInvalid".into(),
                message: format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                field: "spec.replicas".into(),
            }],
        ));
    }
    let _ = kind;
    let scale_rv = api::meta_str(scale, "resourceVersion");
    let mut out = workload.clone();
    if !scale_rv.is_empty() {
        api::set_meta(&mut out, "resourceVersion", json!(scale_rv));
    }
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), json!(replicas));
    } else if let Value::Object(m) = &mut out {
        m.insert("spec".into(), json!({"replicas": replicas}));
    }
    Ok(out)
}
