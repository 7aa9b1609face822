//! policy/v1 PodDisruptionBudget.

use super::apps::{not_more_than_100, spec_of, validate_positive_int_or_percent};
use super::field_error::FieldError;
use super::metadata::validate_label_selector;
use super::value::{get, opt_str, Path};
use serde_json::Value;

const EVICTION_POLICIES: [&str; 2] = ["AlwaysAllow", "IfHealthyBudget"];

fn present<'a>(spec: &'a Value, key: &str) -> Option<&'a Value> {
    get(spec, key).filter(|v| !v.is_null())
}

/// `%#v` of the spec. Kubernetes prints raw pointers for the optional fields
/// (addresses differ per request), so Gatehouse prints a fixed placeholder.
fn go_pdb_spec(spec: &Value) -> String {
    let ptr = |key: &str, ty: &str| match present(spec, key) {
        Some(_) => format!("({ty})(0xc000000000)"),
        None => format!("({ty})(nil)"),
    };
    let policy = match opt_str(spec, "unhealthyPodEvictionPolicy") {
        Some(_) => "(*policy.UnhealthyPodEvictionPolicyType)(0xc000000000)".to_string(),
        None => "(*policy.UnhealthyPodEvictionPolicyType)(nil)".to_string(),
    };
    format!(
        "policy.PodDisruptionBudgetSpec{{MinAvailable:{}, Selector:{}, MaxUnavailable:{}, UnhealthyPodEvictionPolicy:{}}}",
        ptr("minAvailable", "*intstr.IntOrString"),
        ptr("selector", "*v1.LabelSelector"),
        ptr("maxUnavailable", "*intstr.IntOrString"),
        policy
    )
}

/// PodDisruptionBudget rules (create and update; the spec is mutable).
/// Kubernetes checks only the path-segment rule on a PDB's name.
pub fn validate_pod_disruption_budget(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = spec_of(obj);
    let sp = Path::new("spec");
    let min = present(spec, "minAvailable");
    let max = present(spec, "maxUnavailable");
    if min.is_some() && max.is_some() {
        errs.push(FieldError::invalid_rendered(
            sp.as_str(),
            go_pdb_spec(spec),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for (key, v) in [("minAvailable", min), ("maxUnavailable", max)] {
        if v.is_some() {
            validate_positive_int_or_percent(v, &sp.child(key), &mut errs);
            not_more_than_100(v, &sp.child(key), &mut errs);
        }
    }
    errs.extend(validate_label_selector(
        present(spec, "selector"),
        &sp.child("selector"),
    ));
    if let Some(p) = opt_str(spec, "unhealthyPodEvictionPolicy") {
        if !EVICTION_POLICIES.contains(&p) {
            errs.push(FieldError::not_supported(
                sp.child("unhealthyPodEvictionPolicy").as_str(),
                p,
                &EVICTION_POLICIES,
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn pdb(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": spec})
    }

    #[test]
    fn valid_budgets() {
        for spec in [
            json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}),
            json!({"maxUnavailable": "25%", "selector": {}}),
        ] {
            let errs = validate_create("policy", "PodDisruptionBudget", &pdb(spec));
            assert!(errs.is_empty(), "{:?}", msgs(&errs));
        }
    }

    #[test]
    fn min_and_max_are_exclusive() {
        let o = pdb(json!({"minAvailable": 1, "maxUnavailable": 1}));
        assert_eq!(
            msgs(&validate_create("policy", "PodDisruptionBudget", &o)),
            vec!["spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000000000), Selector:(*v1.LabelSelector)(nil), MaxUnavailable:(*intstr.IntOrString)(0xc000000000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set".to_string()]
        );
    }

    #[test]
    fn int_or_percent_values() {
        let o = pdb(json!({"minAvailable": -1}));
        assert_eq!(
            msgs(&validate_create("policy", "PodDisruptionBudget", &o)),
            vec!["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0".to_string()]
        );
        let o = pdb(json!({"maxUnavailable": "150%"}));
        assert_eq!(
            msgs(&validate_update("policy", "PodDisruptionBudget", &o, &o)),
            vec!["spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%".to_string()]
        );
        let o = pdb(json!({"minAvailable": "half"}));
        let errs = validate_create("policy", "PodDisruptionBudget", &o);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message().starts_with("spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%'"));
    }

    #[test]
    fn selector_and_policy() {
        let o = pdb(
            json!({"minAvailable": 1, "selector": {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "unhealthyPodEvictionPolicy": "Never"}),
        );
        assert_eq!(
            msgs(&validate_create("policy", "PodDisruptionBudget", &o)),
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'".to_string(),
                "spec.unhealthyPodEvictionPolicy: Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"".to_string(),
            ]
        );
    }

    #[test]
    fn name_uses_path_segment_rule() {
        let o = json!({"metadata": {"name": "Web_1", "namespace": "ns"}, "spec": {"minAvailable": 1}});
        assert!(validate_create("policy", "PodDisruptionBudget", &o).is_empty());
        let o = json!({"metadata": {"name": "a%b", "namespace": "ns"}, "spec": {"minAvailable": 1}});
        assert_eq!(
            msgs(&validate_create("policy", "PodDisruptionBudget", &o)),
            vec!["metadata.name: Invalid value: \"a%b\": may not contain '%'".to_string()]
        );
    }
}
