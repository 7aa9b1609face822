//! Printer for apiregistration.k8s.io/v1 APIService. The aggregator serves
//! this kind with its own table converter rather than the shared printers.

use serde_json::Value;

use super::fields::{items, name, obj_at, str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get apiservices`.
pub(super) const API_SERVICE_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Service",
        "string",
        "The reference to the service that hosts this API endpoint.",
    ),
    col("Available", "string", "Whether this service is available."),
    AGE,
];

/// NAME, SERVICE ("namespace/name", or "Local" for APIs served in-process),
/// AVAILABLE ("True", "False (Reason)", "Unknown"), AGE.
pub(super) fn api_service_cells(svc: &Value, now: i64) -> Vec<Value> {
    let service = match obj_at(svc, &["spec", "service"]) {
        Some(s) => format!("{}/{}", str_at(s, &["namespace"]), str_at(s, &["name"])),
        None => "Local".to_owned(),
    };
    let available = items(svc, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Available")
        .map_or_else(
            || "Unknown".to_owned(),
            |c| {
                let status = str_at(c, &["status"]);
                let reason = str_at(c, &["reason"]);
                if status == "True" || reason.is_empty() {
                    status.to_owned()
                } else {
                    format!("{status} ({reason})")
                }
            },
        );
    vec![
        name(svc),
        Value::from(service),
        Value::from(available),
        age(svc, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const G: &str = "apiregistration.k8s.io";

    #[test]
    fn api_service() {
        let local = json!({
            "metadata": {"name": "v1.apps", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800, "versionPriority": 15},
            "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local"}]}
        });
        assert_eq!(
            row_cells(G, "APIService", &local, 1_714_557_600),
            vec![json!("v1.apps"), json!("Local"), json!("True"), json!("60m")]
        );
        let remote = json!({
            "spec": {"service": {"namespace": "kube-system", "name": "metrics-server", "port": 443}},
            "status": {"conditions": [{"type": "Available", "status": "False",
                                       "reason": "FailedDiscoveryCheck"}]}
        });
        assert_eq!(
            row_cells(G, "APIService", &remote, 0)[1..3],
            [
                json!("kube-system/metrics-server"),
                json!("False (FailedDiscoveryCheck)")
            ]
        );
        assert_eq!(row_cells(G, "APIService", &json!({}), 0)[2], json!("Unknown"));
    }
}
