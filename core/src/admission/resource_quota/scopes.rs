//! Quota scopes: which objects a ResourceQuota counts. `spec.scopes` and
//! `spec.scopeSelector.matchExpressions` both become scope selectors; a quota counts an
//! object only when every selector matches it. Only pods have scopes (Terminating,
//! NotTerminating, BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity);
//! other objects match no scope, so a scoped quota never counts them.

use serde_json::Value;

/// One scope selector (kube's `ScopedResourceSelectorRequirement`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// The scope (`Terminating`, `PriorityClass`, ...).
    pub scope: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// The values of `In` and `NotIn`.
    pub values: Vec<String>,
}

/// The selectors of a quota: its `spec.scopes` (each as `Exists`), then its scope selector's.
pub fn of_quota(quota: &Value) -> Vec<Selector> {
    let mut out: Vec<Selector> = quota
        .pointer("/spec/scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| Selector {
            scope: s.to_string(),
            operator: "Exists".into(),
            values: Vec::new(),
        })
        .collect();
    let exprs = quota
        .pointer("/spec/scopeSelector/matchExpressions")
        .and_then(Value::as_array);
    for e in exprs.into_iter().flatten() {
        let field = |f: &str| e.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        out.push(Selector {
            scope: field("scopeName"),
            operator: field("operator"),
            values: e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        });
    }
    out
}

/// Whether the pod has a deadline, so it ends by itself.
pub fn is_terminating(pod: &Value) -> bool {
    pod.pointer("/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|s| s >= 0)
}

/// Whether no container asks for or is limited in cpu or memory (QoS class BestEffort).
pub fn is_best_effort(pod: &Value) -> bool {
    let names_compute = |c: &Value, which: &str| {
        c.pointer(&format!("/resources/{which}"))
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key("cpu") || m.contains_key("memory"))
    };
    let all = ["containers", "initContainers"].into_iter().flat_map(|f| {
        pod.pointer(&format!("/spec/{f}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    });
    !all.into_iter()
        .any(|c| names_compute(c, "requests") || names_compute(c, "limits"))
}

fn cross_namespace_affinity(pod: &Value) -> bool {
    let cross = |term: &Value| {
        term.get("namespaces")
            .and_then(Value::as_array)
            .is_some_and(|n| !n.is_empty())
            || term.get("namespaceSelector").is_some_and(|s| !s.is_null())
    };
    ["podAffinity", "podAntiAffinity"].into_iter().any(|kind| {
        let Some(a) = pod.pointer(&format!("/spec/affinity/{kind}")) else {
            return false;
        };
        let terms = |f: &str| a.get(f).and_then(Value::as_array).cloned().unwrap_or_default();
        terms("requiredDuringSchedulingIgnoredDuringExecution")
            .iter()
            .any(cross)
            || terms("preferredDuringSchedulingIgnoredDuringExecution")
                .iter()
                .any(|w| w.get("podAffinityTerm").is_some_and(cross))
    })
}

/// Whether `pod` is in the scope `selector` names.
pub fn pod_matches(selector: &Selector, pod: &Value) -> bool {
    match selector.scope.as_str() {
        "Terminating" => is_terminating(pod),
        "NotTerminating" => !is_terminating(pod),
        "BestEffort" => is_best_effort(pod),
        "NotBestEffort" => !is_best_effort(pod),
        "PriorityClass" => {
            let class = pod
                .pointer("/spec/priorityClassName")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty());
            // The pod's class is a label named PriorityClass, matched as a label selector.
            match selector.operator.as_str() {
                "Exists" => class.is_some(),
                "DoesNotExist" => class.is_none(),
                "In" => class.is_some_and(|c| selector.values.iter().any(|v| v == c)),
                "NotIn" => !class.is_some_and(|c| selector.values.iter().any(|v| v == c)),
                _ => false,
            }
        }
        "CrossNamespacePodAffinity" => cross_namespace_affinity(pod),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(scope: &str, op: &str, values: &[&str]) -> Selector {
        Selector {
            scope: scope.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn pods_fall_in_kubes_scopes() {
        let best = json!({"spec": {"containers": [{"name": "a"}]}});
        let burst = json!({"spec": {"activeDeadlineSeconds": 30, "priorityClassName": "high",
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}});
        assert!(pod_matches(&sel("BestEffort", "Exists", &[]), &best));
        assert!(!pod_matches(&sel("BestEffort", "Exists", &[]), &burst));
        assert!(pod_matches(&sel("NotBestEffort", "Exists", &[]), &burst));
        assert!(pod_matches(&sel("Terminating", "Exists", &[]), &burst));
        assert!(pod_matches(&sel("NotTerminating", "Exists", &[]), &best));
        assert!(pod_matches(&sel("PriorityClass", "In", &["high", "x"]), &burst));
        assert!(!pod_matches(&sel("PriorityClass", "In", &["high"]), &best));
        assert!(pod_matches(&sel("PriorityClass", "NotIn", &["high"]), &best));
        assert!(!pod_matches(&sel("PriorityClass", "NotIn", &["high"]), &burst));
        assert!(pod_matches(&sel("PriorityClass", "DoesNotExist", &[]), &best));
        let q = json!({"spec": {"scopes": ["BestEffort"], "scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}});
        assert_eq!(
            of_quota(&q),
            vec![
                sel("BestEffort", "Exists", &[]),
                sel("PriorityClass", "In", &["high"])
            ]
        );
    }
}
