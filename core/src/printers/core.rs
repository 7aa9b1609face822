//! Printers for simple core/v1 kinds: Namespace, ConfigMap, Secret,
//! ServiceAccount and Endpoints.

use serde_json::Value;

use super::fields::{int_at, items, map_len, name, str_at};
use super::{age, col, Column, AGE, NAME};

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
}
