//! coordination.k8s.io/v1 Lease.

use super::field_error::FieldError;
use super::names::qualified_name_errors;
use super::value::{get, opt_i64, opt_str};
use serde_json::Value;

/// Lease rules: positive duration, non-negative transitions, strategy names.
pub fn validate_lease(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    if let Some(d) = opt_i64(spec, "leaseDurationSeconds") {
        if d <= 0 {
            errs.push(FieldError::invalid(
                "spec.leaseDurationSeconds",
                d,
                "must be greater than 0",
            ));
        }
    }
    if let Some(t) = opt_i64(spec, "leaseTransitions") {
        if t < 0 {
            errs.push(FieldError::invalid(
                "spec.leaseTransitions",
                t,
                "must be greater than or equal to 0",
            ));
        }
    }
    let strategy = opt_str(spec, "strategy").unwrap_or("");
    if !strategy.is_empty() {
        if strategy.contains('/') {
            for m in qualified_name_errors(strategy) {
                errs.push(FieldError::invalid("spec.strategy", strategy, &m));
            }
        } else if strategy != "OldestEmulationVersion" {
            errs.push(FieldError::not_supported(
                "spec.strategy",
                strategy,
                &["OldestEmulationVersion"],
            ));
        }
    }
    if opt_str(spec, "preferredHolder").is_some_and(|h| !h.is_empty()) && strategy.is_empty() {
        errs.push(FieldError::forbidden(
            "spec.preferredHolder",
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::validate_create;
    use serde_json::json;

    #[test]
    fn lease_rules() {
        let ok = json!({"metadata": {"name": "l", "namespace": "kube-node-lease"}, "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}});
        assert!(validate_create("coordination.k8s.io", "Lease", &ok).is_empty());
        let bad = json!({"metadata": {"name": "l", "namespace": "n"}, "spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}});
        let msgs: Vec<String> = validate_create("coordination.k8s.io", "Lease", &bad)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0".to_string(),
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0".to_string(),
            ]
        );
        let holder = json!({"metadata": {"name": "l", "namespace": "n"}, "spec": {"preferredHolder": "x"}});
        assert_eq!(
            validate_create("coordination.k8s.io", "Lease", &holder)[0].message(),
            "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"
        );
    }
}
