//! Printer for core/v1 Node.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{bool_at, items, map_at, name, str_at};
use super::{age, col, wide, Column, AGE, NAME};

/// Labels `node-role.kubernetes.io/<role>` name a role each.
const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
/// The older `kubernetes.io/role=<role>` label.
const ROLE_LABEL: &str = "kubernetes.io/role";

/// Columns of `kubectl get nodes`.
pub(super) const COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the node"),
    col("Roles", "string", "The roles of the node"),
    AGE,
    col("Version", "string", "The kubelet version the node reports."),
    wide(col(
        "Internal-IP",
        "string",
        "The first internal IP address of the node.",
    )),
    wide(col(
        "External-IP",
        "string",
        "The first external IP address of the node.",
    )),
    wide(col("OS-Image", "string", "The OS image the node reports.")),
    wide(col(
        "Kernel-Version",
        "string",
        "The kernel version the node reports.",
    )),
    wide(col(
        "Container-Runtime",
        "string",
        "The container runtime version the node reports.",
    )),
];

/// NAME, STATUS, ROLES, AGE, VERSION | INTERNAL-IP, EXTERNAL-IP, OS-IMAGE,
/// KERNEL-VERSION, CONTAINER-RUNTIME.
pub(super) fn cells(node: &Value, now: i64) -> Vec<Value> {
    let roles: Vec<&str> = roles(node).into_iter().collect();
    let info = |field: &str| {
        let v = str_at(node, &["status", "nodeInfo", field]);
        Value::from(if v.is_empty() { "<unknown>" } else { v })
    };
    vec![
        name(node),
        Value::from(status(node)),
        Value::from(if roles.is_empty() {
            "<none>".to_owned()
        } else {
            roles.join(",")
        }),
        age(node, now),
        Value::from(str_at(node, &["status", "nodeInfo", "kubeletVersion"])),
        Value::from(address(node, "InternalIP")),
        Value::from(address(node, "ExternalIP")),
        info("osImage"),
        info("kernelVersion"),
        info("containerRuntimeVersion"),
    ]
}

/// "Ready", "NotReady" or "Unknown" from the Ready condition (the last one
/// listed, if repeated), plus ",SchedulingDisabled" when cordoned.
fn status(node: &Value) -> String {
    let ready = items(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready");
    let mut s = match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready".to_owned(),
        Some(_) => "NotReady".to_owned(),
        None => "Unknown".to_owned(),
    };
    if bool_at(node, &["spec", "unschedulable"]) {
        s.push_str(",SchedulingDisabled");
    }
    s
}

/// Distinct roles from the role labels, sorted.
fn roles(node: &Value) -> BTreeSet<&str> {
    let mut roles = BTreeSet::new();
    for (k, v) in map_at(node, &["metadata", "labels"]).into_iter().flatten() {
        if let Some(role) = k.strip_prefix(ROLE_LABEL_PREFIX) {
            if !role.is_empty() {
                roles.insert(role);
            }
        } else if k == ROLE_LABEL {
            if let Some(role) = v.as_str().filter(|r| !r.is_empty()) {
                roles.insert(role);
            }
        }
    }
    roles
}

/// The first address of `type_`, or `"<none>"`.
fn address<'a>(node: &'a Value, type_: &str) -> &'a str {
    items(node, &["status", "addresses"])
        .iter()
        .find(|a| str_at(a, &["type"]) == type_)
        .map_or("<none>", |a| str_at(a, &["address"]))
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn ready_control_plane_node() {
        let node = json!({
            "metadata": {"name": "cp-1", "creationTimestamp": "2024-04-28T07:00:00Z",
                         "labels": {"node-role.kubernetes.io/control-plane": "",
                                    "node-role.kubernetes.io/": "", "kubernetes.io/role": "master",
                                    "kubernetes.io/hostname": "cp-1"}},
            "spec": {},
            "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                "addresses": [{"type": "Hostname", "address": "cp-1"}, {"type": "InternalIP", "address": "192.168.1.10"}],
                "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Ubuntu 24.04 LTS",
                             "kernelVersion": "6.8.0", "containerRuntimeVersion": "containerd://1.7.22"}
            }
        });
        assert_eq!(
            row_cells("", "Node", &node, NOW),
            vec![
                json!("cp-1"),
                json!("Ready"),
                json!("control-plane,master"),
                json!("3d3h"),
                json!("v1.32.0"),
                json!("192.168.1.10"),
                json!("<none>"),
                json!("Ubuntu 24.04 LTS"),
                json!("6.8.0"),
                json!("containerd://1.7.22")
            ]
        );
    }

    #[test]
    fn statuses() {
        let status = |conds, unsched| {
            let n = json!({"spec": {"unschedulable": unsched}, "status": {"conditions": conds}});
            row_cells("", "Node", &n, NOW)[1].clone()
        };
        assert_eq!(
            status(json!([{"type": "Ready", "status": "False"}]), false),
            json!("NotReady")
        );
        assert_eq!(
            status(json!([{"type": "Ready", "status": "Unknown"}]), true),
            json!("NotReady,SchedulingDisabled")
        );
        assert_eq!(status(json!([]), true), json!("Unknown,SchedulingDisabled"));
        assert_eq!(
            status(json!([{"type": "Ready", "status": "True"}]), true),
            json!("Ready,SchedulingDisabled")
        );
        let bare = row_cells("", "Node", &json!({"metadata": {"name": "n"}}), NOW);
        assert_eq!(
            bare[1..],
            [
                json!("Unknown"),
                json!("<none>"),
                json!("<unknown>"),
                json!(""),
                json!("<none>"),
                json!("<none>"),
                json!("<unknown>"),
                json!("<unknown>"),
                json!("<unknown>")
            ]
        );
    }
}
