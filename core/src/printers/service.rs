//! Printer for core/v1 Service.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{at, int_at, items, name, str_at};
use super::labels::format_labels;
use super::{age, col, wide, Column, AGE, NAME};

/// Columns of `kubectl get services`.
pub(super) const COLUMNS: &[Column] = &[
    NAME,
    col(
        "Type",
        "string",
        "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.",
    ),
    col(
        "Cluster-IP",
        "string",
        "The IP address assigned to the service inside the cluster.",
    ),
    col(
        "External-IP",
        "string",
        "Addresses through which the service is reachable from outside the cluster.",
    ),
    col("Port(s)", "string", "The ports the service exposes."),
    AGE,
    wide(col(
        "Selector",
        "string",
        "Labels of the pods the service routes traffic to.",
    )),
];

/// NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE | SELECTOR.
pub(super) fn cells(svc: &Value, now: i64) -> Vec<Value> {
    // The type defaults to ClusterIP, so every stored service has one.
    let type_ = match str_at(svc, &["spec", "type"]) {
        "" => "ClusterIP",
        t => t,
    };
    let ports = port_string(items(svc, &["spec", "ports"]));
    vec![
        name(svc),
        Value::from(type_),
        Value::from(cluster_ip(svc)),
        Value::from(external_ip(svc, type_)),
        Value::from(if ports.is_empty() {
            "<none>".to_owned()
        } else {
            ports
        }),
        age(svc, now),
        Value::from(format_labels(at(svc, &["spec", "selector"]))),
    ]
}

/// The primary cluster IP. `clusterIP` wins over `clusterIPs[0]`, as in the
/// v1-to-internal conversion.
fn cluster_ip(svc: &Value) -> String {
    match str_at(svc, &["spec", "clusterIP"]) {
        "" => match items(svc, &["spec", "clusterIPs"]).first() {
            Some(ip) => ip.as_str().unwrap_or("").to_owned(),
            None => "<none>".to_owned(),
        },
        ip => ip.to_owned(),
    }
}

/// The EXTERNAL-IP cell: explicit external IPs, load balancer ingress points
/// (`"<pending>"` until one is assigned), or the ExternalName target.
fn external_ip(svc: &Value, type_: &str) -> String {
    let external: Vec<&str> = items(svc, &["spec", "externalIPs"])
        .iter()
        .map(|v| v.as_str().unwrap_or(""))
        .collect();
    match type_ {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_owned()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_ips(svc);
            let mut all: Vec<&str> = lb.iter().map(String::as_str).collect();
            all.extend(external);
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

/// Distinct ingress IPs (else hostnames) of the load balancer, sorted. Rows
/// are always generated wide, so the list is never truncated.
fn load_balancer_ips(svc: &Value) -> BTreeSet<String> {
    items(svc, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let host = str_at(i, &["hostname"]);
            let addr = if ip.is_empty() { host } else { ip };
            (!addr.is_empty()).then(|| addr.to_owned())
        })
        .collect()
}

/// "80/TCP,443:30001/TCP": port, node port when set, protocol.
fn port_string(ports: &[Value]) -> String {
    let pieces: Vec<String> = ports
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let node_port = int_at(p, &["nodePort"]);
            // The protocol defaults to TCP, so every stored port has one.
            let proto = match str_at(p, &["protocol"]) {
                "" => "TCP",
                pr => pr,
            };
            if node_port > 0 {
                format!("{port}:{node_port}/{proto}")
            } else {
                format!("{port}/{proto}")
            }
        })
        .collect();
    pieces.join(",")
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn cluster_ip_service() {
        let svc = json!({
            "metadata": {"name": "kubernetes", "creationTimestamp": "2024-04-01T10:00:00Z"},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}
        });
        assert_eq!(
            row_cells("", "Service", &svc, NOW),
            vec![
                json!("kubernetes"),
                json!("ClusterIP"),
                json!("10.96.0.1"),
                json!("<none>"),
                json!("443/TCP"),
                json!("30d"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn node_port_with_external_ips() {
        let svc = json!({
            "metadata": {"name": "web"},
            "spec": {"type": "NodePort", "clusterIPs": ["10.0.0.5"], "externalIPs": ["1.2.3.4", "5.6.7.8"],
                     "selector": {"tier": "fe", "app": "web"},
                     "ports": [{"port": 80, "nodePort": 0}, {"port": 443, "nodePort": 30001, "protocol": "TCP"},
                               {"port": 53, "protocol": "UDP"}]}
        });
        let row = row_cells("", "Service", &svc, NOW);
        assert_eq!(row[2], json!("10.0.0.5"));
        assert_eq!(row[3], json!("1.2.3.4,5.6.7.8"));
        assert_eq!(row[4], json!("80/TCP,443:30001/TCP,53/UDP"));
        assert_eq!(row[6], json!("app=web,tier=fe"));
    }

    #[test]
    fn load_balancer() {
        let mut svc = json!({
            "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.9",
                     "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}
        });
        assert_eq!(row_cells("", "Service", &svc, NOW)[3], json!("<pending>"));
        svc["status"] = json!({"loadBalancer": {"ingress": [
            {"ip": "203.0.113.9"}, {"hostname": "a-very-long-load-balancer-name.example.com"}, {"ip": "203.0.113.1"}
        ]}});
        svc["spec"]["externalIPs"] = json!(["198.51.100.7"]);
        assert_eq!(
            row_cells("", "Service", &svc, NOW)[3],
            json!("203.0.113.1,203.0.113.9,a-very-long-load-balancer-name.example.com,198.51.100.7")
        );
    }

    #[test]
    fn external_name_headless_and_defaults() {
        let svc = json!({"metadata": {"name": "db"},
                         "spec": {"type": "ExternalName", "externalName": "db.example.com"}});
        let row = row_cells("", "Service", &svc, NOW);
        assert_eq!(
            row[1..5],
            [
                json!("ExternalName"),
                json!("<none>"),
                json!("db.example.com"),
                json!("<none>")
            ]
        );

        let headless =
            json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}});
        let row = row_cells("", "Service", &headless, NOW);
        assert_eq!(
            row[1..5],
            [
                json!("ClusterIP"),
                json!("None"),
                json!("<none>"),
                json!("5432/TCP")
            ]
        );

        let odd = json!({"metadata": {"name": "o"}, "spec": {"type": "Weird"}});
        assert_eq!(row_cells("", "Service", &odd, NOW)[3], json!("<unknown>"));
    }
}
