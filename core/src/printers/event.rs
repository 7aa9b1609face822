//! Printer for events: core/v1 Event and events.k8s.io/v1 Event, which share
//! storage (and so the printer) in kube-apiserver.

use serde_json::Value;

use super::fields::{at, int_at, obj_at, str_at};
use super::timestamp::{since, time_of};
use super::{col, wide, Column, NAME};

/// Which API the event object is serialized in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    /// core/v1 (`involvedObject`, `message`, `firstTimestamp`, ...).
    Core,
    /// events.k8s.io/v1 (`regarding`, `note`, `deprecatedFirstTimestamp`, ...).
    Events,
}

/// JSON field names of the same Event fields in each API.
struct Names {
    first: &'static str,
    last: &'static str,
    count: &'static str,
    object: &'static str,
    source: &'static str,
    controller: &'static str,
    message: &'static str,
}

impl Api {
    fn names(self) -> Names {
        match self {
            Api::Core => Names {
                first: "firstTimestamp",
                last: "lastTimestamp",
                count: "count",
                object: "involvedObject",
                source: "source",
                controller: "reportingComponent",
                message: "message",
            },
            Api::Events => Names {
                first: "deprecatedFirstTimestamp",
                last: "deprecatedLastTimestamp",
                count: "deprecatedCount",
                object: "regarding",
                source: "deprecatedSource",
                controller: "reportingController",
                message: "note",
            },
        }
    }
}

/// Columns of `kubectl get events`.
pub(super) const COLUMNS: &[Column] = &[
    col("Last Seen", "string", "When the event was last observed."),
    col("Type", "string", "Type of the event: Normal or Warning."),
    col(
        "Reason",
        "string",
        "Short, machine-understandable reason for the event.",
    ),
    col("Object", "string", "The object the event is about."),
    wide(col(
        "Subobject",
        "string",
        "The part of the object the event is about.",
    )),
    wide(col(
        "Source",
        "string",
        "The component (and host) that reported the event.",
    )),
    col("Message", "string", "Human-readable description of the event."),
    wide(col("First Seen", "string", "When the event was first observed.")),
    wide(col("Count", "string", "How many times the event has occurred.")),
    wide(NAME),
];

/// LAST SEEN, TYPE, REASON, OBJECT, MESSAGE | SUBOBJECT, SOURCE, FIRST SEEN,
/// COUNT, NAME (in column order).
pub(super) fn cells(api: Api, ev: &Value, now: i64) -> Vec<Value> {
    let n = api.names();
    let first = if time_of(at(ev, &[n.first])).is_some() {
        since(at(ev, &[n.first]), now)
    } else {
        since(at(ev, &["eventTime"]), now)
    };
    let mut last = if time_of(at(ev, &[n.last])).is_some() {
        since(at(ev, &[n.last]), now)
    } else {
        first.clone()
    };
    let mut count = int_at(ev, &[n.count]);
    if let Some(series) = obj_at(ev, &["series"]) {
        last = since(series.get("lastObservedTime"), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events of the newer API carry no count.
        count = 1;
    }

    let kind = str_at(ev, &[n.object, "kind"]).to_lowercase();
    let obj_name = str_at(ev, &[n.object, "name"]);
    let target = if obj_name.is_empty() {
        kind
    } else {
        format!("{kind}/{obj_name}")
    };

    vec![
        Value::from(last),
        Value::from(str_at(ev, &["type"])),
        Value::from(str_at(ev, &["reason"])),
        Value::from(target),
        Value::from(str_at(ev, &[n.object, "fieldPath"])),
        Value::from(source(ev, &n)),
        Value::from(str_at(ev, &[n.message]).trim()),
        Value::from(first),
        Value::from(count),
        Value::from(str_at(ev, &["metadata", "name"])),
    ]
}

/// "component, host", falling back to the reporting controller and instance;
/// just the component when there is no host.
fn source(ev: &Value, n: &Names) -> String {
    let pick = |a: &'static str, b: &'static str| {
        let primary = str_at(ev, &[n.source, a]);
        if primary.is_empty() {
            str_at(ev, &[b])
        } else {
            primary
        }
    };
    let component = pick("component", n.controller);
    let instance = pick("host", "reportingInstance");
    if instance.is_empty() {
        component.to_owned()
    } else {
        format!("{component}, {instance}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn core_event() {
        let ev = json!({
            "metadata": {"name": "nginx.17c", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "nginx", "fieldPath": "spec.containers{nginx}"},
            "reason": "Pulled", "type": "Normal", "message": "  Successfully pulled image\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2024-05-01T09:00:00Z", "lastTimestamp": "2024-05-01T09:58:00Z", "count": 3
        });
        assert_eq!(
            row_cells("", "Event", &ev, NOW),
            vec![
                json!("2m"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/nginx"),
                json!("spec.containers{nginx}"),
                json!("kubelet, node-1"),
                json!("Successfully pulled image"),
                json!("60m"),
                json!(3),
                json!("nginx.17c")
            ]
        );
    }

    #[test]
    fn new_style_event_fallbacks() {
        let ev = json!({
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Node"},
            "eventTime": "2024-05-01T09:59:50.123456Z",
            "reportingComponent": "scheduler", "reportingInstance": "",
            "type": "Warning", "reason": "FailedScheduling", "message": "0/3 nodes are available"
        });
        let row = row_cells("", "Event", &ev, NOW);
        // 9.876544s ago truncates to 9s.
        assert_eq!(row[0], json!("9s"));
        assert_eq!(row[3], json!("node"));
        assert_eq!(row[5], json!("scheduler"));
        assert_eq!(row[7], json!("9s"));
        assert_eq!(row[8], json!(1));

        let series = json!({
            "eventTime": "2024-05-01T09:00:00Z", "count": 7,
            "series": {"count": 12, "lastObservedTime": "2024-05-01T09:59:00.000000Z"}
        });
        let row = row_cells("", "Event", &series, NOW);
        assert_eq!(
            (row[0].clone(), row[7].clone(), row[8].clone()),
            (json!("60s"), json!("60m"), json!(12))
        );

        let empty = row_cells("", "Event", &json!({}), NOW);
        assert_eq!(empty[0], json!("<unknown>"));
        assert_eq!(empty[8], json!(1));
    }

    #[test]
    fn events_api_event() {
        let ev = json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "web.1"},
            "regarding": {"kind": "Deployment", "name": "web"},
            "reason": "ScalingReplicaSet", "type": "Normal", "note": "Scaled up replica set web-5d to 3",
            "reportingController": "deployment-controller", "reportingInstance": "cm-1",
            "deprecatedFirstTimestamp": "2024-05-01T09:30:00Z", "deprecatedLastTimestamp": "2024-05-01T09:40:00Z",
            "deprecatedCount": 2
        });
        assert_eq!(
            row_cells("events.k8s.io", "Event", &ev, NOW),
            vec![
                json!("20m"),
                json!("Normal"),
                json!("ScalingReplicaSet"),
                json!("deployment/web"),
                json!(""),
                json!("deployment-controller, cm-1"),
                json!("Scaled up replica set web-5d to 3"),
                json!("30m"),
                json!(2),
                json!("web.1")
            ]
        );
    }
}
