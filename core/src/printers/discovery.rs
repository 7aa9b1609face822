//! Printer for discovery.k8s.io/v1 EndpointSlice.

use serde_json::Value;

use super::fields::{at, items, name, str_at};
use super::{age, col, Column, AGE, NAME};

/// Entries listed before the rest are summarized as "+ N more...".
const MAX_ENTRIES: usize = 3;

/// Columns of `kubectl get endpointslices`.
pub(super) const ENDPOINT_SLICE_COLUMNS: &[Column] = &[
    NAME,
    col(
        "AddressType",
        "string",
        "The type of the addresses in the slice: IPv4, IPv6 or FQDN.",
    ),
    col("Ports", "string", "The ports the endpoints expose."),
    col("Endpoints", "string", "Addresses of the endpoints in the slice."),
    AGE,
];

/// NAME, ADDRESSTYPE, PORTS, ENDPOINTS, AGE.
pub(super) fn endpoint_slice_cells(slice: &Value, now: i64) -> Vec<Value> {
    // A port prints as its number, else its name, else "*" (all ports).
    let ports = items(slice, &["ports"]).iter().map(|p| match at(p, &["port"]) {
        Some(Value::Number(n)) => n.to_string(),
        _ => match at(p, &["name"]) {
            Some(Value::String(s)) => s.clone(),
            _ => "*".to_owned(),
        },
    });
    let addresses = items(slice, &["endpoints"])
        .iter()
        .flat_map(|e| items(e, &["addresses"]))
        .map(|a| a.as_str().unwrap_or("").to_owned());
    vec![
        name(slice),
        Value::from(str_at(slice, &["addressType"])),
        Value::from(list_with_more(ports)),
        Value::from(list_with_more(addresses)),
        age(slice, now),
    ]
}

/// The first three entries ","-joined, then " + N more..." for the rest;
/// "<unset>" when there are none.
fn list_with_more(entries: impl Iterator<Item = String>) -> String {
    let mut list = Vec::new();
    let mut count = 0usize;
    for entry in entries {
        if list.len() < MAX_ENTRIES {
            list.push(entry);
        }
        count += 1;
    }
    let joined = list.join(",");
    if count > MAX_ENTRIES {
        format!("{joined} + {} more...", count - MAX_ENTRIES)
    } else if joined.is_empty() {
        "<unset>".to_owned()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const G: &str = "discovery.k8s.io";

    #[test]
    fn endpoint_slice() {
        let es = json!({
            "metadata": {"name": "web-abc", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "metrics"}, {}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]},
                          {"addresses": ["10.0.0.4"]}, {"addresses": ["10.0.0.5"]}]
        });
        assert_eq!(
            row_cells(G, "EndpointSlice", &es, 1_714_557_600),
            vec![
                json!("web-abc"),
                json!("IPv4"),
                json!("80,metrics,*"),
                json!("10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."),
                json!("60m")
            ]
        );
        let empty = json!({"addressType": "IPv6", "endpoints": [{"addresses": []}]});
        assert_eq!(
            row_cells(G, "EndpointSlice", &empty, 0)[1..4],
            [json!("IPv6"), json!("<unset>"), json!("<unset>")]
        );
    }
}
