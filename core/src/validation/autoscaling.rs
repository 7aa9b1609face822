//! autoscaling/v2 HorizontalPodAutoscaler: replica bounds, the scale target,
//! metric sources and scaling behavior.

use super::apps::spec_of;
use super::field_error::FieldError;
use super::names::{dns1123_label_errors, path_segment_errors};
use super::pod::{parse_quantity, validate_container_resource_name};
use super::value::{arr_of, get, has, opt_i64, opt_str, str_of, Path};
use serde_json::Value;

/// Longest stabilization window, in seconds.
const MAX_STABILIZATION_WINDOW: i64 = 3600;
/// Longest scaling policy period, in seconds.
const MAX_PERIOD: i64 = 1800;
const METRIC_TYPES: [&str; 5] = ["ContainerResource", "External", "Object", "Pods", "Resource"];

/// `ValidateCrossVersionObjectReference`.
fn validate_reference(r: Option<&Value>, path: &Path, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let r = r.unwrap_or(&null);
    for key in ["kind", "name"] {
        let v = str_of(r, key);
        let p = path.child(key);
        if v.is_empty() {
            errs.push(FieldError::required(p.as_str(), ""));
        } else {
            for m in path_segment_errors(v) {
                errs.push(FieldError::invalid(p.as_str(), v, &m));
            }
        }
    }
}

fn quantity_positive(v: Option<&Value>) -> Option<bool> {
    let v = v.filter(|v| !v.is_null())?;
    Some(parse_quantity(v).is_some_and(|q| q.value() > 0.0))
}

fn quantity_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn validate_metric_target(t: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let ty = str_of(t, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type").as_str(),
            "must specify a metric target type",
        ));
    }
    if !matches!(ty, "Utilization" | "Value" | "AverageValue") {
        errs.push(FieldError::invalid(
            path.child("type").as_str(),
            ty,
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for key in ["value", "averageValue"] {
        if quantity_positive(get(t, key)) == Some(false) {
            errs.push(FieldError::invalid(
                path.child(key).as_str(),
                quantity_text(get(t, key)),
                "must be positive",
            ));
        }
    }
    if let Some(u) = opt_i64(t, "averageUtilization") {
        if u < 1 {
            errs.push(FieldError::invalid(
                path.child("averageUtilization").as_str(),
                u,
                "must be greater than 0",
            ));
        }
    }
}

fn validate_metric_identifier(m: Option<&Value>, path: &Path, errs: &mut Vec<FieldError>) {
    let name = m.map(|m| str_of(m, "name")).unwrap_or("");
    let p = path.child("name");
    if name.is_empty() {
        errs.push(FieldError::required(p.as_str(), "must specify a metric name"));
    } else {
        for msg in path_segment_errors(name) {
            errs.push(FieldError::invalid(p.as_str(), name, &msg));
        }
    }
}

fn target_of(src: &Value) -> &Value {
    static NULL: Value = Value::Null;
    get(src, "target").unwrap_or(&NULL)
}

fn validate_source(key: &str, src: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let t = target_of(src);
    let tp = path.child("target");
    match key {
        "object" => {
            validate_reference(get(src, "describedObject"), &path.child("describedObject"), errs);
            validate_metric_identifier(get(src, "metric"), &path.child("metric"), errs);
            validate_metric_target(t, &tp, errs);
            if !has(t, "value") && !has(t, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageValue").as_str(),
                    "must set either a target value or averageValue",
                ));
            }
        }
        "external" => {
            validate_metric_identifier(get(src, "metric"), &path.child("metric"), errs);
            validate_metric_target(t, &tp, errs);
            match (has(t, "value"), has(t, "averageValue")) {
                (false, false) => errs.push(FieldError::required(
                    tp.child("averageValue").as_str(),
                    "must set either a target value for metric or a per-pod target",
                )),
                (true, true) => errs.push(FieldError::forbidden(
                    tp.child("value").as_str(),
                    "may not set both a target value for metric and a per-pod target",
                )),
                _ => {}
            }
        }
        "pods" => {
            validate_metric_identifier(get(src, "metric"), &path.child("metric"), errs);
            validate_metric_target(t, &tp, errs);
            if !has(t, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageValue").as_str(),
                    "must specify a positive target averageValue",
                ));
            }
        }
        "resource" | "containerResource" => {
            let name = str_of(src, "name");
            if name.is_empty() {
                errs.push(FieldError::required(
                    path.child("name").as_str(),
                    "must specify a resource name",
                ));
            } else if key == "containerResource" {
                validate_container_resource_name(name, &path.child("name"), errs);
            }
            if key == "containerResource" {
                let c = str_of(src, "container");
                let cp = path.child("container");
                if c.is_empty() {
                    errs.push(FieldError::required(cp.as_str(), "must specify a container"));
                } else {
                    for m in dns1123_label_errors(c) {
                        errs.push(FieldError::invalid(cp.as_str(), c, &m));
                    }
                }
            }
            validate_metric_target(t, &tp, errs);
            match (has(t, "averageUtilization"), has(t, "averageValue")) {
                (false, false) => errs.push(FieldError::required(
                    tp.child("averageUtilization").as_str(),
                    "must set either a target raw value or a target utilization",
                )),
                (true, true) => errs.push(FieldError::forbidden(
                    tp.child("averageValue").as_str(),
                    "may not set both a target raw value and a target utilization",
                )),
                _ => {}
            }
        }
        _ => {}
    }
}

fn validate_metric(m: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let ty = str_of(m, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type").as_str(),
            "must specify a metric source type",
        ));
    }
    if !METRIC_TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(
            path.child("type").as_str(),
            ty,
            &METRIC_TYPES,
        ));
    }
    // Only the first source present is validated in depth.
    let mut present: Vec<&str> = Vec::new();
    for key in ["object", "external", "pods", "resource", "containerResource"] {
        if let Some(src) = get(m, key).filter(|v| !v.is_null()) {
            present.push(key);
            if present.len() == 1 {
                validate_source(key, src, &path.child(key), errs);
            }
        }
    }
    let expected = match ty {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "External" => "external",
        "ContainerResource" => "containerResource",
        _ => {
            errs.push(FieldError::not_supported(
                path.child("type").as_str(),
                ty,
                &METRIC_TYPES,
            ));
            ""
        }
    };
    if !expected.is_empty() && !present.contains(&expected) {
        errs.push(FieldError::required(
            path.child(expected).as_str(),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        for p in present.iter().filter(|p| **p != expected) {
            errs.push(FieldError::forbidden(
                path.child(p).as_str(),
                "must populate the given metric source only",
            ));
        }
    }
}

fn validate_scaling_rules(rules: Option<&Value>, path: &Path, errs: &mut Vec<FieldError>) {
    let Some(rules) = rules.filter(|r| !r.is_null()) else {
        return;
    };
    if let Some(w) = opt_i64(rules, "stabilizationWindowSeconds") {
        let p = path.child("stabilizationWindowSeconds");
        if w < 0 {
            errs.push(FieldError::invalid(
                p.as_str(),
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW {
            errs.push(FieldError::invalid(
                p.as_str(),
                w,
                &format!("must be less than or equal to {MAX_STABILIZATION_WINDOW}"),
            ));
        }
    }
    if let Some(sp) = opt_str(rules, "selectPolicy") {
        let valid = ["Disabled", "Max", "Min"];
        if !valid.contains(&sp) {
            errs.push(FieldError::not_supported(
                path.child("selectPolicy").as_str(),
                sp,
                &valid,
            ));
        }
    }
    let pp = path.child("policies");
    let policies = arr_of(rules, "policies");
    if policies.is_empty() {
        errs.push(FieldError::required(
            pp.as_str(),
            "must specify at least one Policy",
        ));
    }
    for (i, p) in policies.iter().enumerate() {
        let ip = pp.index(i);
        let ty = str_of(p, "type");
        if ty != "Pods" && ty != "Percent" {
            errs.push(FieldError::not_supported(
                ip.child("type").as_str(),
                ty,
                &["Percent", "Pods"],
            ));
        }
        let value = opt_i64(p, "value").unwrap_or(0);
        if value <= 0 {
            errs.push(FieldError::invalid(
                ip.child("value").as_str(),
                value,
                "must be greater than zero",
            ));
        }
        let period = opt_i64(p, "periodSeconds").unwrap_or(0);
        if period <= 0 {
            errs.push(FieldError::invalid(
                ip.child("periodSeconds").as_str(),
                period,
                "must be greater than zero",
            ));
        }
        if period > MAX_PERIOD {
            errs.push(FieldError::invalid(
                ip.child("periodSeconds").as_str(),
                period,
                &format!("must be less than or equal to {MAX_PERIOD}"),
            ));
        }
    }
}

/// `validateHorizontalPodAutoscalerSpec`; `min_bound` is the lowest allowed
/// `minReplicas` (0 only for objects that already scale to zero).
fn validate_hpa_spec(spec: &Value, min_bound: i64, errs: &mut Vec<FieldError>) {
    let sp = Path::new("spec");
    let min = opt_i64(spec, "minReplicas");
    let max = opt_i64(spec, "maxReplicas").unwrap_or(0);
    if let Some(m) = min.filter(|m| *m < min_bound) {
        errs.push(FieldError::invalid(
            sp.child("minReplicas").as_str(),
            m,
            &format!("must be greater than or equal to {min_bound}"),
        ));
    }
    if max < 1 {
        errs.push(FieldError::invalid(
            sp.child("maxReplicas").as_str(),
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|m| max < m) {
        errs.push(FieldError::invalid(
            sp.child("maxReplicas").as_str(),
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    validate_reference(get(spec, "scaleTargetRef"), &sp.child("scaleTargetRef"), errs);
    let mp = sp.child("metrics");
    let metrics = arr_of(spec, "metrics");
    for (i, m) in metrics.iter().enumerate() {
        validate_metric(m, &mp.index(i), errs);
    }
    if min == Some(0)
        && !metrics
            .iter()
            .any(|m| matches!(str_of(m, "type"), "Object" | "External"))
    {
        errs.push(FieldError::forbidden(
            mp.as_str(),
            "must specify at least one Object or External metric to support scaling to zero replicas",
        ));
    }
    if let Some(b) = get(spec, "behavior").filter(|b| !b.is_null()) {
        let bp = sp.child("behavior");
        validate_scaling_rules(get(b, "scaleUp"), &bp.child("scaleUp"), errs);
        validate_scaling_rules(get(b, "scaleDown"), &bp.child("scaleDown"), errs);
    }
}

/// HorizontalPodAutoscaler create rules (scale-to-zero is off by default).
pub fn validate_horizontal_pod_autoscaler(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_hpa_spec(spec_of(obj), 1, &mut errs);
    errs
}

/// HorizontalPodAutoscaler update rules: an object already at
/// `minReplicas: 0` may keep it.
pub fn validate_horizontal_pod_autoscaler_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let bound = if opt_i64(spec_of(old), "minReplicas") == Some(0) {
        0
    } else {
        1
    };
    validate_hpa_spec(spec_of(new), bound, &mut errs);
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn hpa(spec: Value) -> Value {
        let mut o = json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": spec});
        default_object("autoscaling", "HorizontalPodAutoscaler", &mut o);
        o
    }

    fn target() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})
    }

    #[test]
    fn defaults_min_replicas_and_cpu_metric() {
        let o = hpa(json!({"scaleTargetRef": target(), "maxReplicas": 5}));
        assert_eq!(o["spec"]["minReplicas"], 1);
        assert_eq!(
            o["spec"]["metrics"],
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}])
        );
        assert!(o["spec"].get("behavior").is_none());
        assert!(validate_create("autoscaling", "HorizontalPodAutoscaler", &o).is_empty());
    }

    #[test]
    fn behavior_defaults_fill_both_directions() {
        let o = hpa(json!({"scaleTargetRef": target(), "maxReplicas": 5,
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}));
        assert_eq!(
            o["spec"]["behavior"],
            json!({
                "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]}
            })
        );
        assert!(validate_create("autoscaling", "HorizontalPodAutoscaler", &o).is_empty());
    }

    #[test]
    fn replica_bounds() {
        let o = hpa(json!({"scaleTargetRef": target(), "minReplicas": 0, "maxReplicas": 5}));
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1".to_string(),
                "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas".to_string(),
            ]
        );
        let o = hpa(json!({"scaleTargetRef": target(), "minReplicas": 3, "maxReplicas": 2}));
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"
                    .to_string()
            ]
        );
        let o = hpa(json!({"scaleTargetRef": target()}));
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.maxReplicas: Invalid value: 0: must be greater than 0".to_string(),
                "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn scale_target_ref_required() {
        let o = hpa(json!({"scaleTargetRef": {"name": "a/b"}, "maxReplicas": 2}));
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.scaleTargetRef.kind: Required value".to_string(),
                "spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'".to_string(),
            ]
        );
    }

    #[test]
    fn metric_rules() {
        let o = hpa(json!({"scaleTargetRef": target(), "maxReplicas": 2, "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}},
            {"type": "Pods", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
            {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value"}}}]}));
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0".to_string(),
                "spec.metrics[1].pods: Required value: must populate information for the given metric source".to_string(),
                "spec.metrics[2].external.target.averageValue: Required value: must set either a target value for metric or a per-pod target".to_string(),
            ]
        );
    }

    #[test]
    fn behavior_rules() {
        let o = hpa(
            json!({"scaleTargetRef": target(), "maxReplicas": 2, "behavior": {"scaleUp": {
            "stabilizationWindowSeconds": 4000, "selectPolicy": "Most",
            "policies": [{"type": "Pods", "value": 0, "periodSeconds": 2000}]}}}),
        );
        assert_eq!(
            msgs(&validate_create("autoscaling", "HorizontalPodAutoscaler", &o)),
            vec![
                "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600".to_string(),
                "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Most\": supported values: \"Disabled\", \"Max\", \"Min\"".to_string(),
                "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero".to_string(),
                "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 2000: must be less than or equal to 1800".to_string(),
            ]
        );
    }

    #[test]
    fn scale_to_zero_may_be_kept() {
        let mut old = hpa(json!({"scaleTargetRef": target(), "maxReplicas": 2, "metrics": [
            {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "10"}}}]}));
        old["spec"]["minReplicas"] = json!(0);
        assert!(validate_update("autoscaling", "HorizontalPodAutoscaler", &old, &old).is_empty());
    }
}
