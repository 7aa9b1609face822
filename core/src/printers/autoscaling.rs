//! Printer for HorizontalPodAutoscaler, in either of its served forms:
//! autoscaling/v2 (`spec.metrics`, `status.currentMetrics`) or autoscaling/v1
//! (`spec.targetCPUUtilizationPercentage`, `status.currentCPUUtilizationPercentage`).
//!
//! kube-apiserver prints the internal object, so a v1 object is first read
//! the way the v1 conversion reads it: its CPU target becomes a Resource
//! metric, and with no metric at all the implicit 80% CPU target applies.

use serde_json::{json, Value};

use super::fields::{at, int_at, items, name, obj_at, opt_int_at, present, str_at};
use super::quantity;
use super::{age, col, Column, AGE, NAME};

/// CPU utilization an autoscaler without metrics aims for.
const DEFAULT_CPU_UTILIZATION: i64 = 80;

/// Metrics shown before the rest are summarized as "+ N more...".
const MAX_METRICS: usize = 2;

/// Columns of `kubectl get horizontalpodautoscalers`.
pub(super) const HPA_COLUMNS: &[Column] = &[
    NAME,
    col("Reference", "string", "The scaled resource, as kind/name."),
    col(
        "Targets",
        "string",
        "Current and target values of the metrics used to scale.",
    ),
    col("MinPods", "string", "Lower limit for the number of replicas."),
    col("MaxPods", "string", "Upper limit for the number of replicas."),
    col(
        "Replicas",
        "string",
        "Current number of replicas of the scaled resource.",
    ),
    AGE,
];

/// NAME, REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS, AGE.
pub(super) fn hpa_cells(hpa: &Value, now: i64) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        str_at(hpa, &["spec", "scaleTargetRef", "kind"]),
        str_at(hpa, &["spec", "scaleTargetRef", "name"])
    );
    let (specs, statuses) = metrics(hpa);
    // minReplicas defaults to 1 in both versions.
    let min = opt_int_at(hpa, &["spec", "minReplicas"]).unwrap_or(1);
    vec![
        name(hpa),
        Value::from(reference),
        Value::from(format_metrics(&specs, &statuses)),
        Value::from(min.to_string()),
        Value::from(int_at(hpa, &["spec", "maxReplicas"])),
        Value::from(int_at(hpa, &["status", "currentReplicas"])),
        age(hpa, now),
    ]
}

/// The metric specs and statuses in v2 shape, whatever version `hpa` is in.
fn metrics(hpa: &Value) -> (Vec<Value>, Vec<Value>) {
    let specs = items(hpa, &["spec", "metrics"]);
    let specs = if specs.is_empty() {
        let target =
            opt_int_at(hpa, &["spec", "targetCPUUtilizationPercentage"]).unwrap_or(DEFAULT_CPU_UTILIZATION);
        vec![json!({"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": target}}})]
    } else {
        specs.to_vec()
    };
    let statuses = match opt_int_at(hpa, &["status", "currentCPUUtilizationPercentage"]) {
        Some(current) => vec![json!({"type": "Resource", "resource": {"name": "cpu",
                                      "current": {"averageUtilization": current}}})],
        None => items(hpa, &["status", "currentMetrics"]).to_vec(),
    };
    (specs, statuses)
}

/// The TARGETS cell: "current/target" per metric, ", "-joined, at most two.
fn format_metrics(specs: &[Value], statuses: &[Value]) -> String {
    if specs.is_empty() {
        return "<none>".to_owned();
    }
    let mut list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| format_metric(spec, statuses.get(i)))
        .collect();
    let count = list.len();
    if count > MAX_METRICS {
        list.truncate(MAX_METRICS);
        return format!("{} + {} more...", list.join(", "), count - MAX_METRICS);
    }
    list.join(", ")
}

fn format_metric(spec: &Value, status: Option<&Value>) -> String {
    // The status source of the same kind, if the status at this index has one.
    let source = |field: &str| status.and_then(|s| obj_at(s, &[field]));
    let unknown = || "<unknown>".to_owned();
    match str_at(spec, &["type"]) {
        kind @ ("External" | "Object") => {
            let field = if kind == "External" { "external" } else { "object" };
            let target = at(spec, &[field, "target"]).unwrap_or(&Value::Null);
            if present(target, &["averageValue"]) {
                let current = source(field)
                    .and_then(|s| quantity::opt(at(s, &["current", "averageValue"])))
                    .unwrap_or_else(unknown);
                let want = quantity::or_nil(at(target, &["averageValue"]));
                format!("{current}/{want} (avg)")
            } else {
                let current =
                    source(field).map_or_else(unknown, |s| quantity::or_nil(at(s, &["current", "value"])));
                format!("{current}/{}", quantity::or_nil(at(target, &["value"])))
            }
        }
        "Pods" => {
            let current = source("pods")
                .map_or_else(unknown, |s| quantity::or_nil(at(s, &["current", "averageValue"])));
            let want = quantity::or_nil(at(spec, &["pods", "target", "averageValue"]));
            format!("{current}/{want}")
        }
        kind @ ("Resource" | "ContainerResource") => {
            let field = if kind == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let resource = str_at(spec, &[field, "name"]);
            let target = at(spec, &[field, "target"]).unwrap_or(&Value::Null);
            if present(target, &["averageValue"]) {
                let current = source(field)
                    .map_or_else(unknown, |s| quantity::or_nil(at(s, &["current", "averageValue"])));
                let want = quantity::or_nil(at(target, &["averageValue"]));
                format!("{resource}: {current}/{want}")
            } else {
                let current = source(field)
                    .and_then(|s| opt_int_at(s, &["current", "averageUtilization"]))
                    .map_or_else(unknown, |u| format!("{u}%"));
                let want = opt_int_at(target, &["averageUtilization"])
                    .map_or_else(|| "<auto>".to_owned(), |u| format!("{u}%"));
                format!("{resource}: {current}/{want}")
            }
        }
        _ => "<unknown type>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::{json, Value};

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    fn targets(hpa: &Value) -> Value {
        row_cells("autoscaling", "HorizontalPodAutoscaler", hpa, NOW)[2].clone()
    }

    #[test]
    fn v2_object() {
        let hpa = json!({
            "metadata": {"name": "web", "creationTimestamp": "2024-05-01T09:30:00Z"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [
                         {"type": "Resource", "resource": {"name": "cpu",
                          "target": {"type": "Utilization", "averageUtilization": 50}}},
                         {"type": "Resource", "resource": {"name": "memory",
                          "target": {"type": "AverageValue", "averageValue": "512Mi"}}}]},
            "status": {"currentReplicas": 3, "desiredReplicas": 3,
                       "currentMetrics": [
                           {"type": "Resource", "resource": {"name": "cpu",
                            "current": {"averageUtilization": 42, "averageValue": "210m"}}},
                           {"type": "Resource", "resource": {"name": "memory",
                            "current": {"averageValue": "300Mi"}}}]}
        });
        assert_eq!(
            row_cells("autoscaling", "HorizontalPodAutoscaler", &hpa, NOW),
            vec![
                json!("web"),
                json!("Deployment/web"),
                json!("cpu: 42%/50%, memory: 300Mi/512Mi"),
                json!("2"),
                json!(10),
                json!(3),
                json!("30m")
            ]
        );
    }

    #[test]
    fn v1_object_and_defaults() {
        let v1 = json!({"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"},
                                 "maxReplicas": 5, "targetCPUUtilizationPercentage": 60},
                        "status": {"currentReplicas": 1, "currentCPUUtilizationPercentage": 12}});
        let row = row_cells("autoscaling", "HorizontalPodAutoscaler", &v1, NOW);
        assert_eq!(row[2..6], [json!("cpu: 12%/60%"), json!("1"), json!(5), json!(1)]);
        // No target at all: the implicit 80% CPU target, not yet measured.
        assert_eq!(targets(&json!({})), json!("cpu: <unknown>/80%"));
    }

    #[test]
    fn other_metric_kinds() {
        let hpa = json!({
            "spec": {"metrics": [
                {"type": "Pods", "pods": {"metric": {"name": "qps"},
                 "target": {"type": "AverageValue", "averageValue": "1k"}}},
                {"type": "Object", "object": {"metric": {"name": "hits"},
                 "target": {"type": "Value", "value": "10"}}},
                {"type": "External", "external": {"metric": {"name": "queue"},
                 "target": {"type": "AverageValue", "averageValue": "30"}}}]},
            "status": {"currentMetrics": [
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "1500m"}}},
                {"type": "Object", "object": {"current": {"value": "4"}}}]}
        });
        assert_eq!(targets(&hpa), json!("1500m/1k, 4/10 + 1 more..."));

        let few = json!({"spec": {"metrics": [
            {"type": "External", "external": {"target": {"type": "AverageValue", "averageValue": "30"}}},
            {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
             "target": {"type": "Utilization"}}}]}});
        assert_eq!(targets(&few), json!("<unknown>/30 (avg), cpu: <unknown>/<auto>"));

        let odd = json!({"spec": {"metrics": [{"type": "Custom"},
            {"type": "Pods", "pods": {"target": {}}}]},
            "status": {"currentMetrics": [{}, {"type": "Pods", "pods": {"current": {}}}]}});
        assert_eq!(targets(&odd), json!("<unknown type>, <nil>/<nil>"));
    }
}
