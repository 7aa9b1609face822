//! Printer for coordination.k8s.io/v1 Lease.

use serde_json::Value;

use super::fields::{name, str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get leases`.
pub(super) const LEASE_COLUMNS: &[Column] = &[
    NAME,
    col("Holder", "string", "Identity of the current holder of the lease."),
    AGE,
];

/// NAME, HOLDER (empty when unheld), AGE.
pub(super) fn lease_cells(obj: &Value, now: i64) -> Vec<Value> {
    vec![
        name(obj),
        Value::from(str_at(obj, &["spec", "holderIdentity"])),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    #[test]
    fn lease() {
        let l = json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": "2024-05-01T09:00:00Z"},
                       "spec": {"holderIdentity": "cp-1_4f1c", "leaseDurationSeconds": 15}});
        assert_eq!(
            row_cells("coordination.k8s.io", "Lease", &l, 1_714_557_600),
            vec![json!("kube-scheduler"), json!("cp-1_4f1c"), json!("60m")]
        );
        let unheld = json!({"metadata": {"name": "x"}, "spec": {"holderIdentity": null}});
        assert_eq!(
            row_cells("coordination.k8s.io", "Lease", &unheld, 0)[1],
            json!("")
        );
    }
}
