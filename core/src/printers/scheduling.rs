//! Printer for scheduling.k8s.io/v1 PriorityClass.

use serde_json::Value;

use super::fields::{bool_at, int_at, name, opt_str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get priorityclasses`. PreemptionPolicy is a default
/// (priority 0) column upstream even though it comes after AGE.
pub(super) const PRIORITY_CLASS_COLUMNS: &[Column] = &[
    NAME,
    col("Value", "integer", "The priority pods of this class receive."),
    col(
        "Global-Default",
        "boolean",
        "Whether this class applies to pods that name no priority class.",
    ),
    AGE,
    col(
        "PreemptionPolicy",
        "string",
        "Whether pods of this class may preempt pods of lower priority.",
    ),
];

/// NAME, VALUE, GLOBAL-DEFAULT, AGE, PREEMPTIONPOLICY.
pub(super) fn priority_class_cells(pc: &Value, now: i64) -> Vec<Value> {
    // v1 defaulting fills in PreemptLowerPriority.
    let policy = opt_str_at(pc, &["preemptionPolicy"]).unwrap_or("PreemptLowerPriority");
    vec![
        name(pc),
        Value::from(int_at(pc, &["value"])),
        Value::from(bool_at(pc, &["globalDefault"])),
        age(pc, now),
        Value::from(policy),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    #[test]
    fn priority_class() {
        let pc = json!({"metadata": {"name": "system-node-critical", "creationTimestamp": "2024-04-01T10:00:00Z"},
                        "value": 2000001000, "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority"});
        assert_eq!(
            row_cells("scheduling.k8s.io", "PriorityClass", &pc, 1_714_557_600),
            vec![
                json!("system-node-critical"),
                json!(2000001000),
                json!(false),
                json!("30d"),
                json!("PreemptLowerPriority")
            ]
        );
        let never = json!({"value": -5, "globalDefault": true, "preemptionPolicy": "Never"});
        assert_eq!(
            row_cells("scheduling.k8s.io", "PriorityClass", &never, 0)[1..],
            [json!(-5), json!(true), json!("<unknown>"), json!("Never")]
        );
    }
}
