//! Printer for node.k8s.io/v1 RuntimeClass.

use serde_json::Value;

use super::fields::{name, str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get runtimeclasses`.
pub(super) const COLUMNS: &[Column] = &[
    NAME,
    col(
        "Handler",
        "string",
        "The container runtime handler that runs pods of this class.",
    ),
    AGE,
];

/// NAME, HANDLER, AGE.
pub(super) fn cells(rc: &Value, now: i64) -> Vec<Value> {
    vec![name(rc), Value::from(str_at(rc, &["handler"])), age(rc, now)]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    #[test]
    fn runtime_class() {
        let rc = json!({"metadata": {"name": "gvisor", "creationTimestamp": "2024-05-01T09:59:59Z"},
                        "handler": "runsc"});
        assert_eq!(
            row_cells("node.k8s.io", "RuntimeClass", &rc, 1_714_557_600),
            vec![json!("gvisor"), json!("runsc"), json!("1s")]
        );
    }
}
