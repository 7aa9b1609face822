//! Printers for simple core/v1 kinds: Namespace, ConfigMap, Secret,
//! ServiceAccount, Endpoints, ReplicationController, PodTemplate,
//! ResourceQuota and ComponentStatus.

use serde_json::Value;

use super::fields::{at, int_at, items, map_at, map_len, name, opt_int_at, str_at};
use super::labels::format_labels;
use super::quantity;
use super::{age, col, container_cells, wide, Column, AGE, CONTAINERS, IMAGES, NAME};

/// Columns of `kubectl get namespaces`.
pub(super) const NAMESPACE_COLUMNS: &[Column] =
    &[NAME, col("Status", "string", "The status of the namespace"), AGE];

/// NAME, STATUS (phase), AGE.
pub(super) fn namespace_cells(obj: &Value, now: i64) -> Vec<Value> {
    // The phase defaults to Active, so every stored namespace has one.
    let phase = match str_at(obj, &["status", "phase"]) {
        "" => "Active",
        p => p,
    };
    vec![name(obj), Value::from(phase), age(obj, now)]
}

/// Columns of `kubectl get configmaps`.
pub(super) const CONFIG_MAP_COLUMNS: &[Column] = &[
    NAME,
    col("Data", "string", "Number of entries in data and binaryData."),
    AGE,
];

/// NAME, DATA (entries of data plus binaryData), AGE.
pub(super) fn config_map_cells(obj: &Value, now: i64) -> Vec<Value> {
    let count = map_len(obj, &["data"]) + map_len(obj, &["binaryData"]);
    vec![name(obj), Value::from(count), age(obj, now)]
}

/// Columns of `kubectl get secrets`.
pub(super) const SECRET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Type",
        "string",
        "Used to facilitate programmatic handling of secret data.",
    ),
    col("Data", "string", "Number of entries in data."),
    AGE,
];

/// NAME, TYPE, DATA (entries of data), AGE.
pub(super) fn secret_cells(obj: &Value, now: i64) -> Vec<Value> {
    // The type defaults to Opaque, so every stored secret has one.
    let type_ = match str_at(obj, &["type"]) {
        "" => "Opaque",
        t => t,
    };
    vec![
        name(obj),
        Value::from(type_),
        Value::from(map_len(obj, &["data"])),
        age(obj, now),
    ]
}

/// Columns of `kubectl get serviceaccounts`.
pub(super) const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Secrets",
        "string",
        "Number of secrets listed for the service account.",
    ),
    AGE,
];

/// NAME, SECRETS (count), AGE.
pub(super) fn service_account_cells(obj: &Value, now: i64) -> Vec<Value> {
    vec![
        name(obj),
        Value::from(items(obj, &["secrets"]).len()),
        age(obj, now),
    ]
}

/// Columns of `kubectl get endpoints`.
pub(super) const ENDPOINTS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Endpoints",
        "string",
        "The addresses and ports the endpoints expose.",
    ),
    AGE,
];

/// NAME, ENDPOINTS ("10.0.0.1:80,10.0.0.2:80 + 3 more..."), AGE.
pub(super) fn endpoints_cells(obj: &Value, now: i64) -> Vec<Value> {
    vec![name(obj), Value::from(format_endpoints(obj)), age(obj, now)]
}

/// At most three "ip:port" (or bare "ip" for subsets without ports) entries,
/// then " + N more..." counting every address/port pair left out.
fn format_endpoints(obj: &Value) -> String {
    const MAX: usize = 3;
    let subsets = items(obj, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_owned();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for ss in subsets {
        let addresses = items(ss, &["addresses"]);
        let ports = items(ss, &["ports"]);
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(str_at(a, &["ip"]).to_owned());
            }
            continue;
        }
        for p in ports {
            count += addresses.len();
            let port = int_at(p, &["port"]);
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(str_at(a, &["ip"]), port));
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count.saturating_sub(MAX))
    } else {
        joined
    }
}

/// Go's `net.JoinHostPort`: IPv6 hosts are bracketed.
pub(super) fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Columns of `kubectl get replicationcontrollers`.
pub(super) const REPLICATION_CONTROLLER_COLUMNS: &[Column] = &[
    NAME,
    col("Desired", "integer", "Number of desired pods."),
    col(
        "Current",
        "integer",
        "Number of pods the replication controller currently has.",
    ),
    col(
        "Ready",
        "integer",
        "Number of pods of the replication controller that are ready.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    wide(col(
        "Selector",
        "string",
        "Labels of the pods the replication controller manages.",
    )),
];

/// NAME, DESIRED, CURRENT, READY, AGE | CONTAINERS, IMAGES, SELECTOR.
pub(super) fn replication_controller_cells(obj: &Value, now: i64) -> Vec<Value> {
    let [names, images] = container_cells(at(obj, &["spec", "template", "spec"]));
    // v1 defaulting fills an empty selector from the template's labels.
    let selector = match at(obj, &["spec", "selector"]) {
        Some(s) if s.as_object().is_some_and(|m| !m.is_empty()) => Some(s),
        _ => at(obj, &["spec", "template", "metadata", "labels"]),
    };
    vec![
        name(obj),
        // The replica count defaults to 1.
        Value::from(opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1)),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(format_labels(selector)),
    ]
}

/// Columns of `kubectl get podtemplates` (no AGE column upstream).
pub(super) const POD_TEMPLATE_COLUMNS: &[Column] = &[
    NAME,
    col("Containers", "string", "Names of each container in the template."),
    col(
        "Images",
        "string",
        "Images referenced by each container in the template.",
    ),
    col("Pod Labels", "string", "The labels for the pod template."),
];

/// NAME, CONTAINERS, IMAGES, POD LABELS.
pub(super) fn pod_template_cells(obj: &Value) -> Vec<Value> {
    let [names, images] = container_cells(at(obj, &["template", "spec"]));
    vec![
        name(obj),
        names,
        images,
        Value::from(format_labels(at(obj, &["template", "metadata", "labels"]))),
    ]
}

/// Columns of `kubectl get resourcequotas`.
pub(super) const RESOURCE_QUOTA_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Request",
        "string",
        "Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    col(
        "Limit",
        "string",
        "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    AGE,
];

/// NAME, REQUEST, LIMIT, AGE. Each hard limit of the status prints as
/// "name: used/hard", sorted by resource name; `limits.*` resources go to the
/// LIMIT column, everything else to REQUEST.
pub(super) fn resource_quota_cells(obj: &Value, now: i64) -> Vec<Value> {
    let mut resources: Vec<&String> = map_at(obj, &["status", "hard"])
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    resources.sort();
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for resource in resources {
        let used = quantity::or_zero(at(obj, &["status", "used", resource]));
        let hard = quantity::or_zero(at(obj, &["status", "hard", resource]));
        let entry = format!("{resource}: {used}/{hard}");
        if resource.starts_with("limits.") {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![
        name(obj),
        Value::from(requests.join(", ")),
        Value::from(limits.join(", ")),
        age(obj, now),
    ]
}

/// Columns of `kubectl get componentstatuses` (no AGE column upstream).
pub(super) const COMPONENT_STATUS_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the component conditions"),
    col("Message", "string", "Message of the component conditions"),
    col("Error", "string", "Error of the component conditions"),
];

/// NAME, STATUS (Healthy/Unhealthy from the first "Healthy" condition,
/// Unknown without one), MESSAGE, ERROR.
pub(super) fn component_status_cells(obj: &Value) -> Vec<Value> {
    let healthy = items(obj, &["conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Healthy");
    let (status, message, error) = match healthy {
        Some(c) => (
            if str_at(c, &["status"]) == "True" {
                "Healthy"
            } else {
                "Unhealthy"
            },
            str_at(c, &["message"]),
            str_at(c, &["error"]),
        ),
        None => ("Unknown", "", ""),
    };
    vec![
        name(obj),
        Value::from(status),
        Value::from(message),
        Value::from(error),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn namespace() {
        let ns = json!({"metadata": {"name": "kube-system", "creationTimestamp": "2024-04-30T10:00:00Z"},
                        "status": {"phase": "Terminating"}});
        assert_eq!(
            row_cells("", "Namespace", &ns, NOW),
            vec![json!("kube-system"), json!("Terminating"), json!("24h")]
        );
        let fresh = json!({"metadata": {"name": "a"}});
        assert_eq!(
            row_cells("", "Namespace", &fresh, NOW),
            vec![json!("a"), json!("Active"), json!("<unknown>")]
        );
    }

    #[test]
    fn config_map_counts_data_and_binary_data() {
        let cm = json!({"metadata": {"name": "cfg", "creationTimestamp": "2024-05-01T09:59:30Z"},
                        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(
            row_cells("", "ConfigMap", &cm, NOW),
            vec![json!("cfg"), json!(3), json!("30s")]
        );
    }

    #[test]
    fn secret_type_and_data() {
        let s = json!({"metadata": {"name": "tls", "creationTimestamp": "2024-04-22T10:00:00Z"},
                       "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
        assert_eq!(
            row_cells("", "Secret", &s, NOW),
            vec![json!("tls"), json!("kubernetes.io/tls"), json!(2), json!("9d")]
        );
        let bare = json!({"metadata": {"name": "x"}});
        assert_eq!(
            row_cells("", "Secret", &bare, NOW)[1..3],
            [json!("Opaque"), json!(0)]
        );
    }

    #[test]
    fn service_account() {
        let sa = json!({"metadata": {"name": "default", "creationTimestamp": "2024-05-01T07:00:00Z"},
                        "secrets": [{"name": "t"}]});
        assert_eq!(
            row_cells("", "ServiceAccount", &sa, NOW),
            vec![json!("default"), json!(1), json!("3h")]
        );
    }

    #[test]
    fn endpoints() {
        let ep = |subsets| json!({"metadata": {"name": "web"}, "subsets": subsets});
        let cell = |o| row_cells("", "Endpoints", &o, NOW)[1].clone();
        assert_eq!(cell(json!({"metadata": {"name": "web"}})), json!("<none>"));
        assert_eq!(
            cell(ep(json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
                            "ports": [{"port": 8080, "protocol": "TCP"}]}]))),
            json!("10.0.0.1:8080,[fd00::1]:8080")
        );
        assert_eq!(
            cell(ep(json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                            "ports": [{"port": 80}, {"port": 443}]}]))),
            json!("10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...")
        );
        assert_eq!(
            cell(ep(json!([{"addresses": [{"ip": "10.0.0.1"}]}]))),
            json!("10.0.0.1")
        );
        // Subsets with ports but no addresses print nothing at all.
        assert_eq!(cell(ep(json!([{"ports": [{"port": 80}]}]))), json!(""));
    }

    #[test]
    fn replication_controller() {
        let rc = json!({
            "metadata": {"name": "web", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"replicas": 3, "selector": {"app": "web"},
                     "template": {"metadata": {"labels": {"app": "web", "tier": "fe"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}},
            "status": {"replicas": 3, "readyReplicas": 2}
        });
        assert_eq!(
            row_cells("", "ReplicationController", &rc, NOW),
            vec![
                json!("web"),
                json!(3),
                json!(3),
                json!(2),
                json!("60m"),
                json!("nginx"),
                json!("nginx:1.27"),
                json!("app=web")
            ]
        );
        // No selector: the template labels stand in; no template at all
        // prints empty containers and "<none>".
        let mut defaulted = rc.clone();
        defaulted["spec"]["selector"] = json!({});
        assert_eq!(
            row_cells("", "ReplicationController", &defaulted, NOW)[7],
            json!("app=web,tier=fe")
        );
        let bare = row_cells("", "ReplicationController", &json!({}), NOW);
        assert_eq!(
            bare[1..],
            [
                json!(1),
                json!(0),
                json!(0),
                json!("<unknown>"),
                json!(""),
                json!(""),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn pod_template() {
        let pt = json!({
            "metadata": {"name": "tpl"},
            "template": {"metadata": {"labels": {"run": "x"}},
                         "spec": {"containers": [{"name": "a", "image": "busybox"},
                                                 {"name": "b", "image": "alpine:3"}]}}
        });
        assert_eq!(
            row_cells("", "PodTemplate", &pt, NOW),
            vec![
                json!("tpl"),
                json!("a,b"),
                json!("busybox,alpine:3"),
                json!("run=x")
            ]
        );
        assert_eq!(row_cells("", "PodTemplate", &json!({}), NOW)[3], json!("<none>"));
    }

    #[test]
    fn resource_quota() {
        let rq = json!({
            "metadata": {"name": "compute", "creationTimestamp": "2024-05-01T09:55:00Z"},
            "spec": {"hard": {"pods": "10"}},
            "status": {
                "hard": {"pods": "10", "requests.cpu": "1", "limits.memory": "2Gi",
                         "limits.cpu": "2", "requests.memory": "1Gi"},
                "used": {"pods": "3", "requests.cpu": "500m", "limits.cpu": "1"}
            }
        });
        assert_eq!(
            row_cells("", "ResourceQuota", &rq, NOW),
            vec![
                json!("compute"),
                json!("pods: 3/10, requests.cpu: 500m/1, requests.memory: 0/1Gi"),
                json!("limits.cpu: 1/2, limits.memory: 0/2Gi"),
                json!("5m")
            ]
        );
        // Before the quota controller fills the status, both columns are empty.
        assert_eq!(
            row_cells(
                "",
                "ResourceQuota",
                &json!({"spec": {"hard": {"pods": "1"}}}),
                NOW
            )[1..3],
            [json!(""), json!("")]
        );
    }

    #[test]
    fn component_status() {
        let cs = json!({"metadata": {"name": "etcd-0"},
                        "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]});
        assert_eq!(
            row_cells("", "ComponentStatus", &cs, NOW),
            vec![json!("etcd-0"), json!("Healthy"), json!("ok"), json!("")]
        );
        let bad = json!({"metadata": {"name": "scheduler"},
                         "conditions": [{"type": "Healthy", "status": "False", "message": "",
                                         "error": "connection refused"}]});
        assert_eq!(
            row_cells("", "ComponentStatus", &bad, NOW)[1..],
            [json!("Unhealthy"), json!(""), json!("connection refused")]
        );
        assert_eq!(
            row_cells("", "ComponentStatus", &json!({}), NOW)[1],
            json!("Unknown")
        );
    }
}
