//! Printers for networking.k8s.io/v1: Ingress, IngressClass and
//! NetworkPolicy.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{at, items, name, obj_at, opt_str_at, str_at};
use super::labels::format_label_selector;
use super::{age, col, Column, AGE, NAME};

/// Hosts listed before the rest are summarized as "+ N more...".
const MAX_HOSTS: usize = 3;

/// Columns of `kubectl get ingresses`.
pub(super) const INGRESS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Class",
        "string",
        "The name of the IngressClass resource that should be used for additional configuration",
    ),
    col(
        "Hosts",
        "string",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    col(
        "Address",
        "string",
        "Address is a list containing ingress points for the load-balancer",
    ),
    col("Ports", "string", "Ports of TLS configurations that open"),
    AGE,
];

/// NAME, CLASS, HOSTS, ADDRESS, PORTS ("80", or "80, 443" with TLS), AGE.
pub(super) fn ingress_cells(ing: &Value, now: i64) -> Vec<Value> {
    let class = opt_str_at(ing, &["spec", "ingressClassName"]).unwrap_or("<none>");
    let ports = if items(ing, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        name(ing),
        Value::from(class),
        Value::from(hosts(items(ing, &["spec", "rules"]))),
        Value::from(addresses(ing)),
        Value::from(ports),
        age(ing, now),
    ]
}

/// The first three non-empty rule hosts ("*" if none), then
/// " + N more..." where N counts every rule past the third, hosts or not.
fn hosts(rules: &[Value]) -> String {
    let mut list = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX_HOSTS {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_owned();
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", rules.len().saturating_sub(MAX_HOSTS))
    } else {
        joined
    }
}

/// Distinct load balancer IPs (else hostnames), sorted and ","-joined. Rows
/// are always generated wide, so the list is never truncated.
fn addresses(ing: &Value) -> String {
    let set: BTreeSet<&str> = items(ing, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let addr = if ip.is_empty() {
                str_at(i, &["hostname"])
            } else {
                ip
            };
            (!addr.is_empty()).then_some(addr)
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// Columns of `kubectl get ingressclasses`.
pub(super) const INGRESS_CLASS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Controller",
        "string",
        "Controller that is responsible for handling this class",
    ),
    col(
        "Parameters",
        "string",
        "A reference to a resource with additional parameters",
    ),
    AGE,
];

/// NAME, CONTROLLER, PARAMETERS ("Kind.apiGroup/name", "<none>"), AGE.
pub(super) fn ingress_class_cells(obj: &Value, now: i64) -> Vec<Value> {
    let parameters = match obj_at(obj, &["spec", "parameters"]) {
        Some(p) => {
            let mut s = str_at(p, &["kind"]).to_owned();
            if let Some(group) = opt_str_at(p, &["apiGroup"]) {
                s.push('.');
                s.push_str(group);
            }
            s.push('/');
            s.push_str(str_at(p, &["name"]));
            s
        }
        None => "<none>".to_owned(),
    };
    vec![
        name(obj),
        Value::from(str_at(obj, &["spec", "controller"])),
        Value::from(parameters),
        age(obj, now),
    ]
}

/// Columns of `kubectl get networkpolicies`.
pub(super) const NETWORK_POLICY_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Pod-Selector",
        "string",
        "The pods the policy applies to; empty selects every pod in the namespace.",
    ),
    AGE,
];

/// NAME, POD-SELECTOR ("<none>" when it selects all pods), AGE.
pub(super) fn network_policy_cells(obj: &Value, now: i64) -> Vec<Value> {
    vec![
        name(obj),
        Value::from(format_label_selector(at(obj, &["spec", "podSelector"]))),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::{json, Value};

    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z
    const G: &str = "networking.k8s.io";

    #[test]
    fn ingress() {
        let ing = json!({
            "metadata": {"name": "web", "creationTimestamp": "2024-05-01T08:00:00Z"},
            "spec": {"ingressClassName": "nginx",
                     "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
                     "tls": [{"hosts": ["a.example.com"]}]},
            "status": {"loadBalancer": {"ingress": [
                {"ip": "203.0.113.9"}, {"hostname": "lb.example.net"}, {"ip": "203.0.113.10"},
                {"ip": "203.0.113.9"}]}}
        });
        assert_eq!(
            row_cells(G, "Ingress", &ing, NOW),
            vec![
                json!("web"),
                json!("nginx"),
                json!("a.example.com,b.example.com"),
                json!("203.0.113.10,203.0.113.9,lb.example.net"),
                json!("80, 443"),
                json!("120m")
            ]
        );
        let bare = row_cells(G, "Ingress", &json!({}), NOW);
        assert_eq!(bare[1..5], [json!("<none>"), json!("*"), json!(""), json!("80")]);
    }

    #[test]
    fn ingress_hosts_overflow() {
        let rules: Vec<Value> = ["a", "", "b", "c", "d", ""]
            .iter()
            .map(|h| json!({"host": h}))
            .collect();
        let ing = json!({"spec": {"rules": rules}});
        // Three hosts are listed; every rule past the third counts as more,
        // including those without a host.
        assert_eq!(row_cells(G, "Ingress", &ing, NOW)[2], json!("a,b,c + 3 more..."));
    }

    #[test]
    fn ingress_class() {
        let ic = json!({"metadata": {"name": "nginx", "creationTimestamp": "2024-05-01T09:59:00Z"},
                        "spec": {"controller": "k8s.io/ingress-nginx",
                                 "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters",
                                                "name": "external-lb", "scope": "Cluster"}}});
        assert_eq!(
            row_cells(G, "IngressClass", &ic, NOW),
            vec![
                json!("nginx"),
                json!("k8s.io/ingress-nginx"),
                json!("IngressParameters.k8s.example.com/external-lb"),
                json!("60s")
            ]
        );
        let core_params = json!({"spec": {"parameters": {"kind": "ConfigMap", "name": "cfg"}}});
        assert_eq!(
            row_cells(G, "IngressClass", &core_params, NOW)[2],
            json!("ConfigMap/cfg")
        );
        assert_eq!(row_cells(G, "IngressClass", &json!({}), NOW)[2], json!("<none>"));
    }

    #[test]
    fn network_policy() {
        let np = json!({"metadata": {"name": "deny", "creationTimestamp": "2024-05-01T09:00:00Z"},
                        "spec": {"podSelector": {"matchLabels": {"role": "db"}}}});
        assert_eq!(
            row_cells(G, "NetworkPolicy", &np, NOW),
            vec![json!("deny"), json!("role=db"), json!("60m")]
        );
        let all = json!({"spec": {"podSelector": {}}});
        assert_eq!(row_cells(G, "NetworkPolicy", &all, NOW)[1], json!("<none>"));
    }
}
