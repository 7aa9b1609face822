//! discovery.k8s.io/v1 EndpointSlice.

use super::super::field_error::FieldError;
use super::super::metadata::validate_labels;
use super::super::names::{label_value_errors, qualified_name_errors};
use super::super::net::parse_ip;
use super::super::value::{arr_of, default_field, each_mut, get, map_of, opt_str, str_of, Path};
use super::common::{fully_qualified_domain_name, immutable_str, invalid_each, label, subdomain};
use serde_json::{json, Value};

const MAX_ENDPOINTS: usize = 1000;
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 100;
const MAX_TOPOLOGY_LABELS: usize = 16;
const MAX_ZONE_HINTS: usize = 8;

/// EndpointSlice rules; `update` also accepts the deprecated `IP` address type.
pub(super) fn validate_endpoint_slice(
    obj: &Value,
    update: bool,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let addr_type = str_of(obj, "addressType");
    let valid: &[&str] = if update {
        &["FQDN", "IP", "IPv4", "IPv6"]
    } else {
        &["FQDN", "IPv4", "IPv6"]
    };
    if addr_type.is_empty() {
        errs.push(FieldError::required("addressType", ""));
    } else if !valid.contains(&addr_type) {
        errs.push(FieldError::not_supported("addressType", addr_type, valid));
    }
    errs.extend(validate_endpoints(arr_of(obj, "endpoints"), addr_type));
    errs.extend(validate_ports(arr_of(obj, "ports")));
    errs
}

/// EndpointSlice update: the create rules plus an immutable addressType.
pub(super) fn validate_endpoint_slice_update(
    new: &Value,
    old: &Value,
    errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let mut errs = validate_endpoint_slice(new, true, errs);
    immutable_str(&mut errs, &Path::new("addressType"), new, old, "addressType");
    errs
}

/// `ValidateNonSpecialIP`: no unspecified, loopback or link-local addresses.
fn non_special_ip(p: &Path, value: &str) -> Vec<FieldError> {
    let s = p.as_str();
    let Some(ip) = parse_ip(value) else {
        return vec![FieldError::invalid(s, value, "must be a valid IP address")];
    };
    let mut errs = Vec::new();
    if ip.is_unspecified() {
        errs.push(FieldError::invalid(
            s,
            value,
            &format!("may not be unspecified ({value})"),
        ));
    }
    if ip.is_loopback() {
        errs.push(FieldError::invalid(
            s,
            value,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if ip.is_link_local_unicast() {
        errs.push(FieldError::invalid(
            s,
            value,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if ip.is_link_local_multicast() {
        errs.push(FieldError::invalid(
            s,
            value,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

fn validate_address(p: &Path, addr_type: &str, a: &str) -> Vec<FieldError> {
    match addr_type {
        "IP" => match parse_ip(a) {
            Some(_) => Vec::new(),
            None => vec![FieldError::invalid(p.as_str(), a, super::super::net::IP_ERROR)],
        },
        "IPv4" | "IPv6" => {
            let v6 = addr_type == "IPv6";
            match parse_ip(a) {
                Some(ip) if ip.is_ipv6() == v6 => non_special_ip(p, a),
                _ => {
                    let msg = if v6 {
                        "must be a valid IPv6 address"
                    } else {
                        "must be a valid IPv4 address"
                    };
                    vec![FieldError::invalid(p.as_str(), a, msg)]
                }
            }
        }
        "FQDN" => fully_qualified_domain_name(p, a),
        _ => Vec::new(),
    }
}

fn validate_endpoints(endpoints: &[Value], addr_type: &str) -> Vec<FieldError> {
    let base = Path::new("endpoints");
    if endpoints.len() > MAX_ENDPOINTS {
        return vec![FieldError::too_many(
            base.as_str(),
            endpoints.len(),
            MAX_ENDPOINTS,
        )];
    }
    let mut errs = Vec::new();
    for (i, ep) in endpoints.iter().enumerate() {
        let p = base.index(i);
        let ap = p.child("addresses");
        let addrs = arr_of(ep, "addresses");
        if addrs.is_empty() {
            errs.push(FieldError::required(
                ap.as_str(),
                "must contain at least 1 address",
            ));
        } else if addrs.len() > MAX_ADDRESSES {
            errs.push(FieldError::too_many(ap.as_str(), addrs.len(), MAX_ADDRESSES));
        }
        for (j, a) in addrs.iter().enumerate() {
            errs.extend(validate_address(
                &ap.index(j),
                addr_type,
                a.as_str().unwrap_or(""),
            ));
        }
        let tp = p.child("deprecatedTopology");
        let topology = map_of(ep, "deprecatedTopology");
        if let Some(t) = topology.filter(|t| t.len() > MAX_TOPOLOGY_LABELS) {
            errs.push(FieldError::too_many(tp.as_str(), t.len(), MAX_TOPOLOGY_LABELS));
        }
        errs.extend(validate_labels(topology, &tp));
        if let Some(h) = opt_str(ep, "hostname") {
            errs.extend(label(&p.child("hostname"), h));
        }
        if let Some(n) = opt_str(ep, "nodeName") {
            errs.extend(subdomain(&p.child("nodeName"), n));
        }
        if let Some(h) = get(ep, "hints").filter(|h| h.is_object()) {
            let zp = p.child("hints").child("forZones");
            let zones = arr_of(h, "forZones");
            if zones.len() > MAX_ZONE_HINTS {
                errs.push(FieldError::too_many(zp.as_str(), zones.len(), MAX_ZONE_HINTS));
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            for (k, z) in zones.iter().enumerate() {
                let np = zp.index(k).child("name");
                let name = str_of(z, "name");
                if seen.contains(&name) {
                    errs.push(FieldError::duplicate(np.as_str(), name));
                } else {
                    seen.push(name);
                }
                errs.extend(invalid_each(&np, name, label_value_errors(name)));
            }
        }
    }
    errs
}

fn validate_ports(ports: &[Value]) -> Vec<FieldError> {
    let base = Path::new("ports");
    if ports.len() > MAX_PORTS {
        return vec![FieldError::too_many(base.as_str(), ports.len(), MAX_PORTS)];
    }
    let mut errs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = base.index(i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            errs.extend(label(&p.child("name"), name));
        }
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name").as_str(), name));
        } else {
            names.push(name);
        }
        match opt_str(port, "protocol") {
            None => errs.push(FieldError::required(p.child("protocol").as_str(), "")),
            Some("SCTP" | "TCP" | "UDP") => {}
            Some(proto) => errs.push(FieldError::not_supported(
                p.child("protocol").as_str(),
                proto,
                &["SCTP", "TCP", "UDP"],
            )),
        }
        if let Some(ap) = opt_str(port, "appProtocol") {
            errs.extend(invalid_each(
                &p.child("appProtocol"),
                ap,
                qualified_name_errors(ap),
            ));
        }
    }
    errs
}

/// EndpointSlice defaults: ports are named "" and TCP unless told.
pub(super) fn default_endpoint_slice(obj: &mut Value) {
    for port in each_mut(obj, "ports") {
        if port.is_object() && get(port, "name").is_none_or(Value::is_null) {
            if let Some(m) = port.as_object_mut() {
                m.insert("name".to_string(), json!(""));
            }
        }
        default_field(port, "protocol", json!("TCP"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "discovery.k8s.io";

    fn msgs(obj: &Value) -> Vec<String> {
        validate_create(G, "EndpointSlice", obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    #[test]
    fn endpoint_slice() {
        let mut ok = json!({"metadata": {"name": "web-abc", "namespace": "default"}, "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"], "hostname": "pod-1", "nodeName": "node-1"}],
            "ports": [{"port": 80}]});
        default_object(G, "EndpointSlice", &mut ok);
        assert_eq!(ok["ports"][0], json!({"port": 80, "name": "", "protocol": "TCP"}));
        assert!(msgs(&ok).is_empty(), "{:?}", msgs(&ok));
        let bad = json!({"metadata": {"name": "e", "namespace": "default"}, "addressType": "IPv4",
            "endpoints": [{"addresses": []}, {"addresses": ["fd00::1", "127.0.0.1"]}],
            "ports": [{"name": "http", "protocol": "TCP"}, {"name": "http", "protocol": "ICMP"}]});
        assert_eq!(
            msgs(&bad),
            vec![
                "endpoints[0].addresses: Required value: must contain at least 1 address",
                "endpoints[1].addresses[0]: Invalid value: \"fd00::1\": must be a valid IPv4 address",
                "endpoints[1].addresses[1]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
                "ports[1].name: Duplicate value: \"http\"",
                "ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
        let none = json!({"metadata": {"name": "e", "namespace": "default"}, "addressType": "IP"});
        assert_eq!(
            msgs(&none),
            vec!["addressType: Unsupported value: \"IP\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""]
        );
        let mut v6 = ok.clone();
        v6["addressType"] = json!("IPv6");
        v6["endpoints"] = json!([{"addresses": ["fd00::1"]}]);
        assert_eq!(
            validate_update(G, "EndpointSlice", &v6, &ok)[0].message(),
            "addressType: Invalid value: \"IPv6\": field is immutable"
        );
    }
}
