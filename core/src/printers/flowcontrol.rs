//! Printers for flowcontrol.apiserver.k8s.io/v1 FlowSchema and
//! PriorityLevelConfiguration.

use std::cmp::Ordering;

use serde_json::Value;

use super::fields::{at, items, name, obj_at, opt_int_at, str_at};
use super::{age, col, Column, AGE, NAME};

/// v1 defaulting turns an unset (zero) matching precedence into this.
const DEFAULT_MATCHING_PRECEDENCE: i64 = 1000;

/// Columns of `kubectl get flowschemas`.
pub(super) const FLOW_SCHEMA_COLUMNS: &[Column] = &[
    NAME,
    col(
        "PriorityLevel",
        "string",
        "The priority level configuration requests of this schema use.",
    ),
    col(
        "MatchingPrecedence",
        "string",
        "Order among schemas; the lowest matching value wins.",
    ),
    col(
        "DistinguisherMethod",
        "string",
        "How requests are split into flows: ByUser, ByNamespace or none.",
    ),
    AGE,
    col(
        "MissingPL",
        "string",
        "references a broken or non-existent PriorityLevelConfiguration",
    ),
];

/// NAME, PRIORITYLEVEL, MATCHINGPRECEDENCE, DISTINGUISHERMETHOD, AGE,
/// MISSINGPL (status of the Dangling condition, "?" before one is set).
pub(super) fn flow_schema_cells(fs: &Value, now: i64) -> Vec<Value> {
    let distinguisher = match obj_at(fs, &["spec", "distinguisherMethod"]) {
        Some(d) => str_at(d, &["type"]),
        None => "<none>",
    };
    let dangling = items(fs, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Dangling")
        .map_or("?", |c| str_at(c, &["status"]));
    vec![
        name(fs),
        Value::from(str_at(fs, &["spec", "priorityLevelConfiguration", "name"])),
        Value::from(matching_precedence(fs)),
        Value::from(distinguisher),
        age(fs, now),
        Value::from(dangling),
    ]
}

fn matching_precedence(fs: &Value) -> i64 {
    match opt_int_at(fs, &["spec", "matchingPrecedence"]) {
        None | Some(0) => DEFAULT_MATCHING_PRECEDENCE,
        Some(p) => p,
    }
}

/// The order kube-apiserver lists flow schemas in a Table: by matching
/// precedence, then by name.
pub(super) fn flow_schema_order(a: &Value, b: &Value) -> Ordering {
    matching_precedence(a)
        .cmp(&matching_precedence(b))
        .then_with(|| str_at(a, &["metadata", "name"]).cmp(str_at(b, &["metadata", "name"])))
}

/// Columns of `kubectl get prioritylevelconfigurations`.
pub(super) const PRIORITY_LEVEL_COLUMNS: &[Column] = &[
    NAME,
    col("Type", "string", "Exempt or Limited."),
    col(
        "NominalConcurrencyShares",
        "string",
        "This level's share of the server's concurrency limit.",
    ),
    col("Queues", "string", "Number of queues of this priority level."),
    col(
        "HandSize",
        "string",
        "Number of queues a flow is shuffle-sharded onto.",
    ),
    col(
        "QueueLengthLimit",
        "string",
        "Most requests that may wait in one queue.",
    ),
    AGE,
];

/// NAME, TYPE, NOMINALCONCURRENCYSHARES, QUEUES, HANDSIZE, QUEUELENGTHLIMIT,
/// AGE. The numbers are integers; "<none>" where the level has no such
/// setting (exempt levels, or limited levels that reject instead of queue).
pub(super) fn priority_level_cells(pl: &Value, now: i64) -> Vec<Value> {
    let none = || Value::from("<none>");
    let (mut shares, mut queues, mut hand_size, mut queue_length) = (none(), none(), none(), none());
    if let Some(limited) = obj_at(pl, &["spec", "limited"]) {
        // v1 defaults: 30 shares; 64 queues, hand size 8, 50 per queue.
        shares = Value::from(opt_int_at(limited, &["nominalConcurrencyShares"]).unwrap_or(30));
        if let Some(q) = at(limited, &["limitResponse", "queuing"]).filter(|q| q.is_object()) {
            let or_default = |field: &str, default: i64| match opt_int_at(q, &[field]) {
                None | Some(0) => default,
                Some(n) => n,
            };
            queues = Value::from(or_default("queues", 64));
            hand_size = Value::from(or_default("handSize", 8));
            queue_length = Value::from(or_default("queueLengthLimit", 50));
        }
    }
    vec![
        name(pl),
        Value::from(str_at(pl, &["spec", "type"])),
        shares,
        queues,
        hand_size,
        queue_length,
        age(pl, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use super::flow_schema_order;
    use serde_json::json;

    const G: &str = "flowcontrol.apiserver.k8s.io";
    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn flow_schema() {
        let fs = json!({
            "metadata": {"name": "service-accounts", "creationTimestamp": "2024-04-30T10:00:00Z"},
            "spec": {"priorityLevelConfiguration": {"name": "workload-low"}, "matchingPrecedence": 9000,
                     "distinguisherMethod": {"type": "ByUser"}},
            "status": {"conditions": [{"type": "Dangling", "status": "False"}]}
        });
        assert_eq!(
            row_cells(G, "FlowSchema", &fs, NOW),
            vec![
                json!("service-accounts"),
                json!("workload-low"),
                json!(9000),
                json!("ByUser"),
                json!("24h"),
                json!("False")
            ]
        );
        let fresh = json!({"spec": {"priorityLevelConfiguration": {"name": "exempt"}}});
        assert_eq!(
            row_cells(G, "FlowSchema", &fresh, NOW)[2..],
            [json!(1000), json!("<none>"), json!("<unknown>"), json!("?")]
        );
    }

    #[test]
    fn flow_schemas_sort_by_precedence_then_name() {
        let fs = |n: &str, p: i64| json!({"metadata": {"name": n}, "spec": {"matchingPrecedence": p}});
        let mut list = [
            fs("global-default", 9900),
            fs("b", 500),
            fs("a", 500),
            fs("exempt", 1),
        ];
        list.sort_by(flow_schema_order);
        let names: Vec<&str> = list
            .iter()
            .map(|f| f["metadata"]["name"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names, ["exempt", "a", "b", "global-default"]);
    }

    #[test]
    fn priority_level_configuration() {
        let limited = json!({
            "metadata": {"name": "workload-low", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"type": "Limited",
                     "limited": {"nominalConcurrencyShares": 100,
                                 "limitResponse": {"type": "Queue",
                                                   "queuing": {"queues": 128, "handSize": 6,
                                                               "queueLengthLimit": 50}}}}
        });
        assert_eq!(
            row_cells(G, "PriorityLevelConfiguration", &limited, NOW),
            vec![
                json!("workload-low"),
                json!("Limited"),
                json!(100),
                json!(128),
                json!(6),
                json!(50),
                json!("60m")
            ]
        );
        let exempt = json!({"metadata": {"name": "exempt"}, "spec": {"type": "Exempt", "exempt": {}}});
        assert_eq!(
            row_cells(G, "PriorityLevelConfiguration", &exempt, NOW)[1..6],
            [
                json!("Exempt"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
        let reject = json!({"spec": {"type": "Limited",
                                     "limited": {"limitResponse": {"type": "Reject"}}}});
        assert_eq!(
            row_cells(G, "PriorityLevelConfiguration", &reject, NOW)[2..6],
            [json!(30), json!("<none>"), json!("<none>"), json!("<none>")]
        );
    }
}
