//! Printer for policy/v1 PodDisruptionBudget.

use serde_json::Value;

use super::fields::{at, int_at, name};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get poddisruptionbudgets`.
pub(super) const PDB_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Min Available",
        "string",
        "The minimum number of pods that must be available.",
    ),
    col(
        "Max Unavailable",
        "string",
        "The maximum number of pods that may be unavailable.",
    ),
    col(
        "Allowed Disruptions",
        "integer",
        "Calculated number of pods that may be disrupted at this time.",
    ),
    AGE,
];

/// NAME, MIN AVAILABLE, MAX UNAVAILABLE ("N/A" when unset), ALLOWED
/// DISRUPTIONS, AGE.
pub(super) fn pdb_cells(pdb: &Value, now: i64) -> Vec<Value> {
    vec![
        name(pdb),
        Value::from(int_or_string(at(pdb, &["spec", "minAvailable"]))),
        Value::from(int_or_string(at(pdb, &["spec", "maxUnavailable"]))),
        Value::from(int_at(pdb, &["status", "disruptionsAllowed"])),
        age(pdb, now),
    ]
}

/// An IntOrString as written ("2", "50%"); "N/A" when unset.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    #[test]
    fn pod_disruption_budget() {
        let pdb = json!({"metadata": {"name": "zk", "creationTimestamp": "2024-05-01T09:00:00Z"},
                         "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "zk"}}},
                         "status": {"disruptionsAllowed": 1}});
        assert_eq!(
            row_cells("policy", "PodDisruptionBudget", &pdb, 1_714_557_600),
            vec![json!("zk"), json!("2"), json!("N/A"), json!(1), json!("60m")]
        );
        let pct = json!({"spec": {"maxUnavailable": "25%"}});
        assert_eq!(
            row_cells("policy", "PodDisruptionBudget", &pct, 0)[1..4],
            [json!("N/A"), json!("25%"), json!(0)]
        );
    }
}
