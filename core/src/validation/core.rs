//! core/v1 kinds other than Pod: Namespace, ConfigMap, Secret, Service,
//! Endpoints, Node and Event (ServiceAccount has only ObjectMeta rules).

use super::field_error::{go_quote, go_string_slice, FieldError};
use super::metadata::{validate_labels, FIELD_IMMUTABLE};
use super::names::{
    config_map_key_errors, dns1123_label_errors, dns1123_subdomain_errors, inclusive_range_error,
    port_name_errors, qualified_name_errors,
};
use super::net::{parse_cidr, parse_ip, CIDR_ERROR, IP_ERROR};
use super::pod::validate_quantity_value;
use super::value::{arr_of, get, has, map_of, opt_i64, opt_str, semantic_eq, str_of, Path};
use base64::Engine;
use serde_json::Value;

/// Largest total payload of a ConfigMap or Secret.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;
const IMMUTABLE_WHEN_SET: &str = "field is immutable when `immutable` is set";

/// `IsValidIP` as field errors.
pub fn validate_ip(path: &Path, value: &str) -> Vec<FieldError> {
    if parse_ip(value).is_some() {
        Vec::new()
    } else {
        vec![FieldError::invalid(path.as_str(), value, IP_ERROR)]
    }
}

fn validate_cidr(path: &Path, value: &str) -> Vec<FieldError> {
    if parse_cidr(value).is_some() {
        Vec::new()
    } else {
        vec![FieldError::invalid(path.as_str(), value, CIDR_ERROR)]
    }
}

/// `ValidateNonSpecialIP`: no unspecified, loopback or link-local addresses.
fn validate_non_special_ip(path: &Path, value: &str) -> Vec<FieldError> {
    let p = path.as_str();
    let Some(ip) = parse_ip(value) else {
        return vec![FieldError::invalid(p, value, "must be a valid IP address")];
    };
    let mut errs = Vec::new();
    if ip.is_unspecified() {
        errs.push(FieldError::invalid(
            p,
            value,
            &format!("may not be unspecified ({value})"),
        ));
    }
    if ip.is_loopback() {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if ip.is_link_local_unicast() {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if ip.is_link_local_multicast() {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

fn label_errors(path: &Path, value: &str) -> Vec<FieldError> {
    dns1123_label_errors(value)
        .into_iter()
        .map(|m| FieldError::invalid(path.as_str(), value, &m))
        .collect()
}

fn subdomain_errors(path: &Path, value: &str) -> Vec<FieldError> {
    dns1123_subdomain_errors(value)
        .into_iter()
        .map(|m| FieldError::invalid(path.as_str(), value, &m))
        .collect()
}

fn qualified_errors(path: &Path, value: &str) -> Vec<FieldError> {
    qualified_name_errors(value)
        .into_iter()
        .map(|m| FieldError::invalid(path.as_str(), value, &m))
        .collect()
}

fn port_num_errors(path: &Path, port: i64) -> Vec<FieldError> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            path.as_str(),
            port,
            &inclusive_range_error(1, 65535),
        )]
    }
}

/// `ValidatePortNumOrName` for an IntOrString port.
pub fn validate_port_num_or_name(path: &Path, port: Option<&Value>) -> Vec<FieldError> {
    match port {
        Some(Value::String(s)) => port_name_errors(s)
            .into_iter()
            .map(|m| FieldError::invalid(path.as_str(), s.as_str(), &m))
            .collect(),
        Some(v) => port_num_errors(path, v.as_i64().unwrap_or(0)),
        None => port_num_errors(path, 0),
    }
}

const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

fn validate_protocol(path: &Path, obj: &Value) -> Vec<FieldError> {
    match opt_str(obj, "protocol") {
        None | Some("") => vec![FieldError::required(path.as_str(), "")],
        Some(p) if PROTOCOLS.contains(&p) => Vec::new(),
        Some(p) => vec![FieldError::not_supported(path.as_str(), p, &PROTOCOLS)],
    }
}

// ---------------------------------------------------------------- Namespace

/// Namespace create rules: `spec.finalizers` names.
pub fn validate_namespace(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let path = Path::new("spec").child("finalizers");
    let spec = get(obj, "spec").cloned().unwrap_or(Value::Null);
    for f in arr_of(&spec, "finalizers") {
        let f = f.as_str().unwrap_or("");
        errs.extend(qualified_errors(&path, f));
        if !f.contains('/') && !matches!(f, "kubernetes" | "orphan" | "foregroundDeletion") {
            errs.push(FieldError::invalid(
                path.as_str(),
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// Namespace update rules (spec changes go through `/finalize`).
pub fn validate_namespace_update(_new: &Value, _old: &Value, errs: Vec<FieldError>) -> Vec<FieldError> {
    errs
}

// ---------------------------------------------------------------- ConfigMap

/// ConfigMap rules: key syntax, no key in both maps, 1 MiB total.
pub fn validate_config_map(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let data_path = Path::new("data");
    let bin_path = Path::new("binaryData");
    let data = map_of(obj, "data");
    let bin = map_of(obj, "binaryData");
    let mut total = 0usize;
    for (k, v) in data.into_iter().flatten() {
        for m in config_map_key_errors(k) {
            errs.push(FieldError::invalid(data_path.key(k).as_str(), k.as_str(), &m));
        }
        if bin.is_some_and(|b| b.contains_key(k)) {
            errs.push(FieldError::invalid(
                data_path.key(k).as_str(),
                k.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total = total.saturating_add(v.as_str().map_or(0, str::len));
    }
    for (k, v) in bin.into_iter().flatten() {
        for m in config_map_key_errors(k) {
            errs.push(FieldError::invalid(bin_path.key(k).as_str(), k.as_str(), &m));
        }
        total = total.saturating_add(decoded_len(v));
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("", MAX_SECRET_SIZE));
    }
    errs
}

fn decoded_len(v: &Value) -> usize {
    v.as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .map_or(0, |b| b.len())
}

fn is_immutable(obj: &Value) -> bool {
    get(obj, "immutable").and_then(Value::as_bool) == Some(true)
}

/// ConfigMap update rules: `immutable: true` freezes the data.
pub fn validate_config_map_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    if is_immutable(old) {
        if !is_immutable(new) {
            errs.push(FieldError::forbidden("immutable", IMMUTABLE_WHEN_SET));
        }
        if !semantic_eq(get(new, "data"), get(old, "data")) {
            errs.push(FieldError::forbidden("data", IMMUTABLE_WHEN_SET));
        }
        if !semantic_eq(get(new, "binaryData"), get(old, "binaryData")) {
            errs.push(FieldError::forbidden("binaryData", IMMUTABLE_WHEN_SET));
        }
    }
    validate_config_map(new, errs)
}

// ---------------------------------------------------------------- Secret

/// Decode the Secret's `data` values, reporting malformed base64.
fn secret_data(obj: &Value, errs: &mut Vec<FieldError>) -> Vec<(String, Vec<u8>)> {
    let path = Path::new("data");
    let mut out = Vec::new();
    for (k, v) in map_of(obj, "data").into_iter().flatten() {
        let text = v.as_str().unwrap_or("");
        match base64::engine::general_purpose::STANDARD.decode(text) {
            Ok(bytes) => out.push((k.clone(), bytes)),
            Err(e) => {
                let offset = match e {
                    base64::DecodeError::InvalidByte(i, _) => i,
                    base64::DecodeError::InvalidLastSymbol(i, _) => i,
                    _ => text.len() / 4 * 4,
                };
                errs.push(FieldError::invalid(
                    path.key(k).as_str(),
                    "<secret contents redacted>",
                    &format!("illegal base64 data at input byte {offset}"),
                ));
                out.push((k.clone(), Vec::new()));
            }
        }
    }
    // stringData is merged into data by the server before validation.
    for (k, v) in map_of(obj, "stringData").into_iter().flatten() {
        let bytes = v.as_str().unwrap_or("").as_bytes().to_vec();
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = bytes,
            None => out.push((k.clone(), bytes)),
        }
    }
    out
}

fn json_error(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some("unexpected end of JSON input".to_string());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_)) => None,
        Ok(other) => {
            let t = match other {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                _ => return None, // null decodes into a Go map fine
            };
            Some(format!(
                "json: cannot unmarshal {t} into Go value of type map[string]interface {{}}"
            ))
        }
        Err(e) => Some(e.to_string()),
    }
}

/// Secret rules: keys, base64 data, 1 MiB total and the per-type requirements.
pub fn validate_secret(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let data_path = Path::new("data");
    let data = secret_data(obj, &mut errs);
    let mut total = 0usize;
    for (k, v) in &data {
        for m in config_map_key_errors(k) {
            errs.push(FieldError::invalid(data_path.key(k).as_str(), k.as_str(), &m));
        }
        total = total.saturating_add(v.len());
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("data", MAX_SECRET_SIZE));
    }
    let find = |key: &str| data.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice());
    match str_of(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let name = get(obj, "metadata")
                .and_then(|m| map_of(m, "annotations"))
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if name.is_empty() {
                errs.push(FieldError::required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson" => {
            let key = if str_of(obj, "type") == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match find(key) {
                None => errs.push(FieldError::required(data_path.key(key).as_str(), "")),
                Some(bytes) => {
                    if let Some(e) = json_error(bytes) {
                        errs.push(FieldError::invalid(
                            data_path.key(key).as_str(),
                            "<secret contents redacted>",
                            &e,
                        ));
                    }
                }
            }
        }
        // username or password may be empty, but one key must be present
        "kubernetes.io/basic-auth" if find("username").is_none() && find("password").is_none() => {
            errs.push(FieldError::required(data_path.key("username").as_str(), ""));
            errs.push(FieldError::required(data_path.key("password").as_str(), ""));
        }
        "kubernetes.io/ssh-auth" if find("ssh-privatekey").is_none_or(<[u8]>::is_empty) => {
            errs.push(FieldError::required(data_path.key("ssh-privatekey").as_str(), ""));
        }
        "kubernetes.io/tls" => {
            if find("tls.crt").is_none() {
                errs.push(FieldError::required(data_path.key("tls.crt").as_str(), ""));
            }
            if find("tls.key").is_none() {
                errs.push(FieldError::required(data_path.key("tls.key").as_str(), ""));
            }
        }
        _ => {}
    }
    errs
}

/// Secret update rules: `type` is immutable, and `immutable: true` freezes data.
pub fn validate_secret_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let (nt, ot) = (str_of(new, "type"), str_of(old, "type"));
    if nt != ot {
        errs.push(FieldError::invalid("type", nt, FIELD_IMMUTABLE));
    }
    if is_immutable(old) {
        if !is_immutable(new) {
            errs.push(FieldError::forbidden("immutable", IMMUTABLE_WHEN_SET));
        }
        if !semantic_eq(get(new, "data"), get(old, "data")) || has(new, "stringData") {
            errs.push(FieldError::forbidden("data", IMMUTABLE_WHEN_SET));
        }
    }
    validate_secret(new, errs)
}

// ---------------------------------------------------------------- Service

const SERVICE_TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

/// The effective `spec.clusterIPs`: the server mirrors a lone `clusterIP`.
fn cluster_ips(spec: &Value) -> Vec<String> {
    let ips: Vec<String> = arr_of(spec, "clusterIPs")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    if ips.is_empty() {
        match opt_str(spec, "clusterIP") {
            Some(ip) if !ip.is_empty() => vec![ip.to_string()],
            _ => Vec::new(),
        }
    } else {
        ips
    }
}

fn is_headless(spec: &Value) -> bool {
    let ips = cluster_ips(spec);
    ips.len() == 1 && ips.first().is_some_and(|ip| ip == "None")
}

fn go_service_port_key(protocol: &str, port: i64) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        go_quote(protocol)
    )
}

fn strings_value(list: &[String]) -> Value {
    Value::Array(list.iter().map(|s| Value::from(s.as_str())).collect())
}

/// Service create rules.
pub fn validate_service(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    let sp = Path::new("spec");
    let stype = str_of(spec, "type");
    let ports = arr_of(spec, "ports");
    let headless = is_headless(spec);
    let ips = cluster_ips(spec);

    if ports.is_empty() && !headless && stype != "ExternalName" {
        errs.push(FieldError::required(sp.child("ports").as_str(), ""));
    }
    match stype {
        "LoadBalancer" | "NodePort" if headless => {
            errs.push(FieldError::invalid(
                sp.child("clusterIPs").index(0).as_str(),
                "None",
                &format!("may not be set to 'None' for {stype} services"),
            ));
        }
        "ExternalName" => {
            if !ips.is_empty() {
                errs.push(FieldError::forbidden(
                    sp.child("clusterIPs").as_str(),
                    "may not be set for ExternalName services",
                ));
            }
            if !arr_of(spec, "ipFamilies").is_empty() {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilies").as_str(),
                    "may not be set for ExternalName services",
                ));
            }
            if has(spec, "ipFamilyPolicy") {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilyPolicy").as_str(),
                    "may not be set for ExternalName services",
                ));
            }
            let cname = str_of(spec, "externalName");
            let cname = cname.strip_suffix('.').unwrap_or(cname);
            if cname.is_empty() {
                errs.push(FieldError::required(sp.child("externalName").as_str(), ""));
            } else {
                errs.extend(subdomain_errors(&sp.child("externalName"), cname));
            }
        }
        _ => {}
    }

    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let pp = sp.child("ports").index(i);
        let name = str_of(port, "name");
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(pp.child("name").as_str(), ""));
        } else if !name.is_empty() {
            errs.extend(label_errors(&pp.child("name"), name));
            if names.contains(&name) {
                errs.push(FieldError::duplicate(pp.child("name").as_str(), name));
            } else {
                names.push(name);
            }
        }
        errs.extend(port_num_errors(
            &pp.child("port"),
            opt_i64(port, "port").unwrap_or(0),
        ));
        errs.extend(validate_protocol(&pp.child("protocol"), port));
        errs.extend(validate_port_num_or_name(
            &pp.child("targetPort"),
            get(port, "targetPort"),
        ));
        if let Some(ap) = opt_str(port, "appProtocol") {
            errs.extend(qualified_errors(&pp.child("appProtocol"), ap));
        }
    }

    errs.extend(validate_labels(map_of(spec, "selector"), &sp.child("selector")));

    let affinity = str_of(spec, "sessionAffinity");
    match affinity {
        "" => errs.push(FieldError::required(sp.child("sessionAffinity").as_str(), "")),
        "ClientIP" => {
            let cfg = sp.child("sessionAffinityConfig");
            let timeout = get_path_i64(spec, &["sessionAffinityConfig", "clientIP", "timeoutSeconds"]);
            match timeout {
                None => errs.push(FieldError::required(
                    cfg.child("clientIP").child("timeoutSeconds").as_str(),
                    "when session affinity type is ClientIP",
                )),
                Some(t) if !(1..=86400).contains(&t) => errs.push(FieldError::invalid(
                    cfg.child("clientIP").child("timeoutSeconds").as_str(),
                    t,
                    "must be greater than 0 and less than 86400",
                )),
                Some(_) => {}
            }
        }
        "None" => {
            if has(spec, "sessionAffinityConfig") {
                errs.push(FieldError::forbidden(
                    sp.child("sessionAffinityConfig").as_str(),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            sp.child("sessionAffinity").as_str(),
            other,
            &["ClientIP", "None"],
        )),
    }

    errs.extend(validate_cluster_ips(spec, stype, &ips, headless));

    for (i, ip) in arr_of(spec, "externalIPs").iter().enumerate() {
        let p = sp.child("externalIPs").index(i);
        let ip = ip.as_str().unwrap_or("");
        let e = validate_ip(&p, ip);
        if e.is_empty() {
            errs.extend(validate_non_special_ip(&p, ip));
        } else {
            errs.extend(e);
        }
    }

    match stype {
        "" => errs.push(FieldError::required(sp.child("type").as_str(), "")),
        t if !SERVICE_TYPES.contains(&t) => errs.push(FieldError::not_supported(
            sp.child("type").as_str(),
            t,
            &SERVICE_TYPES,
        )),
        _ => {}
    }
    if stype == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if opt_i64(port, "nodePort").unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    sp.child("ports").index(i).child("nodePort").as_str(),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut node_ports: Vec<(&str, i64)> = Vec::new();
    let mut seen_ports: Vec<(&str, i64)> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let proto = str_of(port, "protocol");
        let np = opt_i64(port, "nodePort").unwrap_or(0);
        if np != 0 {
            if node_ports.contains(&(proto, np)) {
                errs.push(FieldError::duplicate(
                    sp.child("ports").index(i).child("nodePort").as_str(),
                    np,
                ));
            }
            node_ports.push((proto, np));
        }
    }
    for (i, port) in ports.iter().enumerate() {
        let key = (str_of(port, "protocol"), opt_i64(port, "port").unwrap_or(0));
        if seen_ports.contains(&key) {
            let mut e = FieldError::duplicate(sp.child("ports").index(i).as_str(), Value::Null);
            e.bad_value = None;
            e.rendered = Some(go_service_port_key(key.0, key.1));
            errs.push(e);
        }
        seen_ports.push(key);
    }

    let ranges = arr_of(spec, "loadBalancerSourceRanges");
    if !ranges.is_empty() {
        let fp = sp.child("LoadBalancerSourceRanges");
        if stype != "LoadBalancer" {
            errs.push(FieldError::forbidden(
                fp.as_str(),
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            errs.extend(validate_cidr(&fp.index(i), r.as_str().unwrap_or("").trim()));
        }
    }
    if has(spec, "allocateLoadBalancerNodePorts") && stype != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            sp.child("allocateLoadBalancerNodePorts").as_str(),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if stype == "LoadBalancer" && !has(spec, "allocateLoadBalancerNodePorts") {
        errs.push(FieldError::required("allocateLoadBalancerNodePorts", ""));
    }
    if stype != "LoadBalancer" && has(spec, "loadBalancerClass") {
        errs.push(FieldError::forbidden(
            sp.child("loadBalancerClass").as_str(),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    } else if let Some(c) = opt_str(spec, "loadBalancerClass") {
        errs.extend(qualified_errors(&sp.child("loadBalancerClass"), c));
    }

    let accessible = matches!(stype, "LoadBalancer" | "NodePort")
        || (stype == "ClusterIP" && !arr_of(spec, "externalIPs").is_empty());
    let etp = str_of(spec, "externalTrafficPolicy");
    if !accessible {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                sp.child("externalTrafficPolicy").as_str(),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(
            sp.child("externalTrafficPolicy").as_str(),
            "",
        ));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported(
            sp.child("externalTrafficPolicy").as_str(),
            etp,
            &["Cluster", "Local"],
        ));
    }

    match opt_str(spec, "internalTrafficPolicy") {
        None if matches!(stype, "NodePort" | "LoadBalancer" | "ClusterIP") => {
            errs.push(FieldError::required(
                sp.child("internalTrafficPolicy").as_str(),
                "",
            ));
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(FieldError::not_supported(
                sp.child("internalTrafficPolicy").as_str(),
                p,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    if let Some(td) = opt_str(spec, "trafficDistribution") {
        if td != "PreferClose" {
            errs.push(FieldError::not_supported(
                sp.child("trafficDistribution").as_str(),
                td,
                &["PreferClose"],
            ));
        }
    }
    errs
}

fn get_path_i64(v: &Value, keys: &[&str]) -> Option<i64> {
    super::value::get_path(v, keys).and_then(Value::as_i64)
}

fn validate_cluster_ips(spec: &Value, stype: &str, ips: &[String], headless: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if stype == "ExternalName" {
        return errs;
    }
    let sp = Path::new("spec");
    let ips_path = sp.child("clusterIPs");
    let ips_value = strings_value(ips);
    let cluster_ip = str_of(spec, "clusterIP");
    if !cluster_ip.is_empty() {
        if ips.first().is_some_and(|f| f != cluster_ip) {
            errs.push(FieldError::invalid_rendered(
                ips_path.as_str(),
                go_string_slice(Some(&ips_value)),
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        errs.push(FieldError::invalid_rendered(
            ips_path.as_str(),
            go_string_slice(Some(&ips_value)),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let families: Vec<&str> = arr_of(spec, "ipFamilies")
        .iter()
        .map(|v| v.as_str().unwrap_or(""))
        .collect();
    for (i, f) in families.iter().enumerate() {
        let p = sp.child("ipFamilies").index(i);
        if *f != "IPv4" && *f != "IPv6" {
            errs.push(FieldError::not_supported(p.as_str(), *f, &["IPv4", "IPv6"]));
        }
        if families.iter().take(i).any(|g| g == f) {
            errs.push(FieldError::duplicate(p.as_str(), *f));
        }
    }
    if let Some(policy) = opt_str(spec, "ipFamilyPolicy") {
        let valid = ["PreferDualStack", "RequireDualStack", "SingleStack"];
        if !valid.contains(&policy) {
            errs.push(FieldError::not_supported(
                sp.child("ipFamilyPolicy").as_str(),
                policy,
                &valid,
            ));
        }
    }
    let mut invalid = false;
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && ip == "None" {
            if ips.len() > 1 {
                invalid = true;
                errs.push(FieldError::invalid_rendered(
                    ips_path.as_str(),
                    go_string_slice(Some(&ips_value)),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        let e = validate_ip(&ips_path.index(i), ip);
        invalid |= !e.is_empty();
        errs.extend(e);
    }
    if ips.len() > 2 {
        errs.push(FieldError::invalid_rendered(
            ips_path.as_str(),
            go_string_slice(Some(&ips_value)),
            "may only hold up to 2 values",
        ));
    }
    if invalid {
        return errs;
    }
    if ips.len() == 2 {
        let v6: Vec<bool> = ips
            .iter()
            .filter_map(|ip| parse_ip(ip))
            .map(|ip| ip.is_ipv6())
            .collect();
        if v6.len() == 2 && v6.first() == v6.get(1) {
            errs.push(FieldError::invalid_rendered(
                ips_path.as_str(),
                go_string_slice(Some(&ips_value)),
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    if !headless {
        for (i, (ip, fam)) in ips.iter().zip(families.iter()).enumerate() {
            let is6 = parse_ip(ip).is_some_and(|a| a.is_ipv6());
            if *fam == "IPv4" && is6 {
                errs.push(FieldError::invalid(
                    ips_path.index(i).as_str(),
                    ip.as_str(),
                    &format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if *fam == "IPv6" && !is6 {
                errs.push(FieldError::invalid(
                    ips_path.index(i).as_str(),
                    ip.as_str(),
                    &format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errs
}

/// Service update rules: allocated cluster IPs and families may not change.
/// Callers must carry allocated fields (clusterIP, nodePorts) over from the
/// stored object before calling, as kube-apiserver's Service REST does.
pub fn validate_service_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let ns = get(new, "spec").unwrap_or(&null);
    let os = get(old, "spec").unwrap_or(&null);
    let ntype = str_of(ns, "type");
    let otype = str_of(os, "type");
    if ntype != "ExternalName" && otype != "ExternalName" && !(is_headless(ns) && is_headless(os)) {
        let new_ips = cluster_ips(ns);
        let old_ips = cluster_ips(os);
        let rendered = go_string_slice(Some(&strings_value(&new_ips)));
        let ip_path = Path::new("spec").child("clusterIPs");
        if old_ips.len() == new_ips.len() {
            for (i, (o, n)) in old_ips.iter().zip(&new_ips).enumerate() {
                if o != n {
                    errs.push(FieldError::invalid_rendered(
                        ip_path.index(i).as_str(),
                        rendered.clone(),
                        "may not change once set",
                    ));
                }
            }
        } else if old_ips.len() > new_ips.len() {
            if new_ips.is_empty() {
                errs.push(FieldError::invalid_rendered(
                    ip_path.index(0).as_str(),
                    rendered.clone(),
                    "primary clusterIP can not be unset",
                ));
            } else if new_ips.first() != old_ips.first() {
                errs.push(FieldError::invalid_rendered(
                    ip_path.index(0).as_str(),
                    rendered.clone(),
                    "may not change once set",
                ));
            }
            if new_ips.len() == 1 && opt_str(ns, "ipFamilyPolicy") != Some("SingleStack") {
                errs.push(FieldError::invalid(
                    "spec.ipFamilyPolicy",
                    opt_str(ns, "ipFamilyPolicy").unwrap_or("null"),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                ));
            }
        } else if !old_ips.is_empty() && new_ips.first() != old_ips.first() {
            errs.push(FieldError::invalid_rendered(
                ip_path.index(0).as_str(),
                rendered,
                "may not change once set",
            ));
        }
        if is_headless(ns) == is_headless(os) && !is_headless(ns) {
            let nf: Vec<&str> = arr_of(ns, "ipFamilies")
                .iter()
                .map(|v| v.as_str().unwrap_or(""))
                .collect();
            let of: Vec<&str> = arr_of(os, "ipFamilies")
                .iter()
                .map(|v| v.as_str().unwrap_or(""))
                .collect();
            if nf.len() == of.len() && nf != of {
                errs.push(FieldError::invalid_rendered(
                    "spec.ipFamilies[0]",
                    format!(
                        "[]core.IPFamily{{{}}}",
                        nf.iter().map(|f| go_quote(f)).collect::<Vec<_>>().join(", ")
                    ),
                    "may not change once set",
                ));
            }
        }
    }
    if ntype == "LoadBalancer"
        && otype == "LoadBalancer"
        && get(ns, "loadBalancerClass") != get(os, "loadBalancerClass")
    {
        errs.push(FieldError::invalid(
            "spec.loadBalancerClass",
            opt_str(ns, "loadBalancerClass").unwrap_or("null"),
            "may not change once set",
        ));
    }
    validate_service(new, errs)
}

// ---------------------------------------------------------------- Endpoints

/// Endpoints rules: every subset has addresses, IPs are valid and ports well-formed.
pub fn validate_endpoints(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    for (i, ss) in arr_of(obj, "subsets").iter().enumerate() {
        let sp = Path::new("subsets").index(i);
        let addrs = arr_of(ss, "addresses");
        let not_ready = arr_of(ss, "notReadyAddresses");
        if addrs.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(
                sp.as_str(),
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (key, list) in [("addresses", addrs), ("notReadyAddresses", not_ready)] {
            for (j, a) in list.iter().enumerate() {
                let ap = sp.child(key).index(j);
                let ip = str_of(a, "ip");
                errs.extend(validate_ip(&ap.child("ip"), ip));
                let host = str_of(a, "hostname");
                if !host.is_empty() {
                    errs.extend(label_errors(&ap.child("hostname"), host));
                }
                if let Some(node) = opt_str(a, "nodeName") {
                    errs.extend(subdomain_errors(&ap.child("nodeName"), node));
                }
                errs.extend(validate_non_special_ip(&ap.child("ip"), ip));
            }
        }
        let ports = arr_of(ss, "ports");
        for (j, p) in ports.iter().enumerate() {
            let pp = sp.child("ports").index(j);
            let name = str_of(p, "name");
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(pp.child("name").as_str(), ""));
            } else if !name.is_empty() {
                errs.extend(label_errors(&pp.child("name"), name));
            }
            errs.extend(port_num_errors(
                &pp.child("port"),
                opt_i64(p, "port").unwrap_or(0),
            ));
            errs.extend(validate_protocol(&pp.child("protocol"), p));
            if let Some(ap) = opt_str(p, "appProtocol") {
                errs.extend(qualified_errors(&pp.child("appProtocol"), ap));
            }
        }
    }
    errs
}

// ---------------------------------------------------------------- Node

/// The effective `spec.podCIDRs` (a lone `podCIDR` is mirrored).
fn pod_cidrs(spec: &Value) -> Vec<String> {
    let list: Vec<String> = arr_of(spec, "podCIDRs")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    if list.is_empty() {
        opt_str(spec, "podCIDR")
            .filter(|s| !s.is_empty())
            .map(|s| vec![s.to_string()])
            .unwrap_or_default()
    } else {
        list
    }
}

fn validate_taints(spec: &Value, errs: &mut Vec<FieldError>) {
    // Kubernetes reports node taint errors under `metadata.taints`.
    let base = Path::new("metadata").child("taints");
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, t) in arr_of(spec, "taints").iter().enumerate() {
        let p = base.index(i);
        let key = str_of(t, "key");
        errs.extend(qualified_errors(&p.child("key"), key));
        let val = str_of(t, "value");
        let verrs = super::names::label_value_errors(val);
        if !verrs.is_empty() {
            errs.push(FieldError::invalid(
                p.child("value").as_str(),
                val,
                &verrs.join(";"),
            ));
        }
        let effect = str_of(t, "effect");
        match effect {
            "" => errs.push(FieldError::required(p.child("effect").as_str(), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                p.child("effect").as_str(),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        let pair = (key.to_string(), effect.to_string());
        if seen.contains(&pair) {
            let mut e = FieldError::duplicate(p.as_str(), Value::Null);
            e.bad_value = None;
            e.rendered = Some(format!(
                "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:<nil>}}",
                go_quote(key),
                go_quote(val),
                go_quote(effect)
            ));
            e.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(e);
        } else {
            seen.push(pair);
        }
    }
}

fn validate_node_resources(obj: &Value, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let status = get(obj, "status").unwrap_or(&null);
    for key in ["capacity", "allocatable"] {
        for (k, v) in map_of(status, key).into_iter().flatten() {
            let p = Path::new("status").child(key).child(k);
            errs.extend(validate_quantity_value(&p, v));
        }
    }
}

/// Node create rules: taints, resource quantities and pod CIDRs.
pub fn validate_node(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = get(obj, "spec").unwrap_or(&null);
    validate_taints(spec, &mut errs);
    validate_node_resources(obj, &mut errs);
    let cidrs = pod_cidrs(spec);
    let base = Path::new("spec").child("podCIDRs");
    let mut bad = false;
    for (i, c) in cidrs.iter().enumerate() {
        let e = validate_cidr(&base.index(i), c);
        bad |= !e.is_empty();
        errs.extend(e);
    }
    if cidrs.len() > 1 {
        let fams: Vec<bool> = cidrs
            .iter()
            .filter_map(|c| parse_cidr(c))
            .map(|(ip, _)| ip.is_ipv6())
            .collect();
        let dual = fams.len() == 2 && fams.first() != fams.get(1);
        if !bad && (!dual || cidrs.len() > 2) {
            errs.push(FieldError::invalid_rendered(
                base.as_str(),
                go_string_slice(Some(&strings_value(&cidrs))),
                "may specify no more than one CIDR for each IP family",
            ));
        }
        for (i, c) in cidrs.iter().enumerate() {
            if cidrs.iter().take(i).any(|d| d == c) {
                errs.push(FieldError::duplicate(base.index(i).as_str(), c.as_str()));
            }
        }
    }
    errs
}

/// Node update rules: pod CIDRs and providerID are set-once.
pub fn validate_node_update(new: &Value, old: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let null = Value::Null;
    let ns = get(new, "spec").unwrap_or(&null);
    let os = get(old, "spec").unwrap_or(&null);
    let (nc, oc) = (pod_cidrs(ns), pod_cidrs(os));
    let msg = "node updates may not change podCIDR except from \"\" to valid";
    if !oc.is_empty() {
        if oc.len() != nc.len() {
            errs.push(FieldError::forbidden("spec.podCIDRs", msg));
        } else {
            for (o, n) in oc.iter().zip(&nc) {
                if o != n {
                    errs.push(FieldError::forbidden("spec.podCIDRs", msg));
                }
            }
        }
    }
    let (np, op) = (str_of(ns, "providerID"), str_of(os, "providerID"));
    if !op.is_empty() && op != np {
        errs.push(FieldError::forbidden(
            "spec.providerID",
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    if str_of(ns, "externalID") != str_of(os, "externalID") {
        errs.push(FieldError::forbidden("spec.externalID", "may not be updated"));
    }
    validate_taints(ns, &mut errs);
    validate_node_resources(new, &mut errs);
    errs
}

// ---------------------------------------------------------------- Event

/// core/v1 Event rules (the legacy rules; v1 Events get no ObjectMeta checks).
pub fn validate_event(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let ns = get(obj, "metadata").map(|m| str_of(m, "namespace")).unwrap_or("");
    let involved = get(obj, "involvedObject").unwrap_or(&null);
    let ins = str_of(involved, "namespace");
    let mismatch = || FieldError::invalid("involvedObject.namespace", ins, "does not match event.namespace");
    let event_time_set = opt_str(obj, "eventTime").is_some_and(|s| !s.is_empty());
    if !event_time_set {
        if ins.is_empty() {
            if !ns.is_empty() && ns != "default" {
                errs.push(mismatch());
            }
        } else if ns != ins {
            errs.push(mismatch());
        }
    } else {
        if ins.is_empty() && ns != "default" && ns != "kube-system" {
            errs.push(mismatch());
        }
        let rc = str_of(obj, "reportingComponent");
        if rc.is_empty() {
            errs.push(FieldError::required("reportingController", ""));
        }
        errs.extend(qualified_errors(&Path::new("reportingController"), rc));
        let checks: [(&str, &str, usize, bool); 4] = [
            ("reportingInstance", "reportingInstance", 128, true),
            ("action", "action", 128, true),
            ("reason", "reason", 128, true),
            ("message", "message", 1024, false),
        ];
        for (key, field, limit, required) in checks {
            let v = str_of(obj, key);
            if required && v.is_empty() {
                errs.push(FieldError::required(field, ""));
            }
            if v.len() > limit {
                errs.push(FieldError::invalid(
                    field,
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
    }
    for m in dns1123_subdomain_errors(ns) {
        errs.push(FieldError::invalid("namespace", ns, &m));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{validate_create, validate_update};
    use serde_json::{json, Value};

    fn msgs(errs: &[super::FieldError]) -> Vec<String> {
        errs.iter().map(super::FieldError::message).collect()
    }

    fn one(group: &str, kind: &str, obj: Value) -> super::FieldError {
        let errs = validate_create(group, kind, &obj);
        assert_eq!(errs.len(), 1, "{:?}", msgs(&errs));
        errs.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn namespace_finalizers_and_name() {
        let e = one("", "Namespace", json!({"metadata": {"name": "a.b"}}));
        assert_eq!(
            e.message(),
            "metadata.name: Invalid value: \"a.b\": must not contain dots"
        );
        let e = one(
            "",
            "Namespace",
            json!({"metadata": {"name": "ok"}, "spec": {"finalizers": ["custom"]}}),
        );
        assert_eq!(
            e.message(),
            "spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified"
        );
        assert!(validate_create(
            "",
            "Namespace",
            &json!({"metadata": {"name": "ok"}, "spec": {"finalizers": ["kubernetes", "x.io/y"]}})
        )
        .is_empty());
    }

    #[test]
    fn config_map_rules() {
        let e = one(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c", "namespace": "n"}, "data": {"": "v"}}),
        );
        assert_eq!(e.field, "data[]");
        assert_eq!(e.reason(), "FieldValueInvalid");
        assert!(e.message().starts_with("data[]: Invalid value: \"\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
        let e = one(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c", "namespace": "n"}, "data": {"a": "v"}, "binaryData": {"a": "dg=="}}),
        );
        assert_eq!(
            e.message(),
            "data[a]: Invalid value: \"a\": duplicate of key present in binaryData"
        );
        let big = "x".repeat(super::MAX_SECRET_SIZE + 1);
        let e = one(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c", "namespace": "n"}, "data": {"a": big}}),
        );
        assert_eq!(e.message(), ": Too long: may not be more than 1048576 bytes");
        let e = one(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c", "namespace": "n"}, "data": {"a/b": "v"}}),
        );
        assert_eq!(e.field, "data[a/b]");
    }

    #[test]
    fn config_map_immutable() {
        let old = json!({"metadata": {"name": "c", "namespace": "n"}, "immutable": true, "data": {"a": "1"}});
        let new = json!({"metadata": {"name": "c", "namespace": "n"}, "data": {"a": "2"}});
        let errs = validate_update("", "ConfigMap", &new, &old);
        assert_eq!(
            msgs(&errs),
            vec![
                "immutable: Forbidden: field is immutable when `immutable` is set".to_string(),
                "data: Forbidden: field is immutable when `immutable` is set".to_string(),
            ]
        );
        let relabel = json!({"metadata": {"name": "c", "namespace": "n", "labels": {"x": "y"}}, "immutable": true, "data": {"a": "1"}});
        assert!(validate_update("", "ConfigMap", &relabel, &old).is_empty());
    }

    fn secret(ty: &str, data: Value) -> Value {
        json!({"metadata": {"name": "s", "namespace": "n"}, "type": ty, "data": data})
    }

    #[test]
    fn secret_rules() {
        let e = one("", "Secret", secret("Opaque", json!({"a": "!!!"})));
        assert_eq!(
            e.message(),
            "data[a]: Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 0"
        );
        let e = one(
            "",
            "Secret",
            secret("kubernetes.io/service-account-token", json!({})),
        );
        assert_eq!(
            e.message(),
            "metadata.annotations[kubernetes.io/service-account.name]: Required value"
        );
        let e = one("", "Secret", secret("kubernetes.io/dockerconfigjson", json!({})));
        assert_eq!(e.message(), "data[.dockerconfigjson]: Required value");
        let e = one(
            "",
            "Secret",
            secret(
                "kubernetes.io/dockerconfigjson",
                json!({".dockerconfigjson": "W10="}),
            ),
        );
        assert_eq!(e.field, "data[.dockerconfigjson]");
        let errs = validate_create("", "Secret", &secret("kubernetes.io/basic-auth", json!({})));
        assert_eq!(
            msgs(&errs),
            vec![
                "data[username]: Required value".to_string(),
                "data[password]: Required value".to_string()
            ]
        );
        let e = one("", "Secret", secret("kubernetes.io/ssh-auth", json!({})));
        assert_eq!(e.message(), "data[ssh-privatekey]: Required value");
        let errs = validate_create(
            "",
            "Secret",
            &secret("kubernetes.io/tls", json!({"tls.crt": "YQ=="})),
        );
        assert_eq!(msgs(&errs), vec!["data[tls.key]: Required value".to_string()]);
        assert!(validate_create(
            "",
            "Secret",
            &secret("kubernetes.io/tls", json!({"tls.crt": "YQ==", "tls.key": "Yg=="}))
        )
        .is_empty());
        let e = one("", "Secret", secret("Opaque", json!({"bad key": "YQ=="})));
        assert_eq!(e.field, "data[bad key]");
    }

    #[test]
    fn secret_type_is_immutable() {
        let old = secret("Opaque", json!({}));
        let new = secret("kubernetes.io/tls", json!({"tls.crt": "YQ==", "tls.key": "Yg=="}));
        let errs = validate_update("", "Secret", &new, &old);
        assert_eq!(
            msgs(&errs),
            vec!["type: Invalid value: \"kubernetes.io/tls\": field is immutable".to_string()]
        );
    }

    fn svc(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "n"}, "spec": spec})
    }

    fn good_spec() -> Value {
        json!({"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
               "clusterIP": "10.0.0.10", "clusterIPs": ["10.0.0.10"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
               "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}], "selector": {"app": "web"}})
    }

    #[test]
    fn service_valid_and_name_rule() {
        assert!(validate_create("", "Service", &svc(good_spec())).is_empty());
        let mut obj = svc(good_spec());
        obj["metadata"]["name"] = json!("1web");
        let e = one("", "Service", obj);
        assert!(e.message().starts_with("metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character"));
    }

    #[test]
    fn service_port_rules() {
        let mut s = good_spec();
        s["ports"] = json!([]);
        assert_eq!(one("", "Service", svc(s)).message(), "spec.ports: Required value");
        let mut s = good_spec();
        s["ports"] = json!([{"port": 70000, "protocol": "TCP", "targetPort": 80}]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"
        );
        let mut s = good_spec();
        s["ports"] = json!([{"port": 80, "protocol": "ICMP", "targetPort": 80}]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""
        );
        let mut s = good_spec();
        s["ports"] = json!([{"port": 80, "protocol": "TCP", "targetPort": 80}, {"name": "b", "port": 81, "protocol": "TCP", "targetPort": 81}]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.ports[0].name: Required value"
        );
        let mut s = good_spec();
        s["ports"] = json!([{"name": "a", "port": 80, "protocol": "TCP", "targetPort": 80}, {"name": "a", "port": 81, "protocol": "TCP", "targetPort": 81}]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.ports[1].name: Duplicate value: \"a\""
        );
        let mut s = good_spec();
        s["ports"] = json!([{"name": "a", "port": 80, "protocol": "TCP", "targetPort": 80}, {"name": "b", "port": 80, "protocol": "TCP", "targetPort": 81}]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
        );
    }

    #[test]
    fn service_type_and_ips() {
        let mut s = good_spec();
        s["type"] = json!("Magic");
        let errs = validate_create("", "Service", &svc(s));
        assert!(msgs(&errs).contains(&"spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"".to_string()));
        let mut s = good_spec();
        s["clusterIP"] = json!("10.0.0.300");
        s["clusterIPs"] = json!(["10.0.0.300"]);
        assert_eq!(
            one("", "Service", svc(s)).message(),
            "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        );
        let mut s = good_spec();
        s["selector"] = json!({"app": "bad value"});
        assert_eq!(one("", "Service", svc(s)).field, "spec.selector");
        let headless = json!({"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster", "clusterIP": "None", "clusterIPs": ["None"]});
        assert!(validate_create("", "Service", &svc(headless)).is_empty());
        let ext = json!({"type": "ExternalName", "sessionAffinity": "None", "externalName": "example.com."});
        assert!(validate_create("", "Service", &svc(ext)).is_empty());
    }

    #[test]
    fn service_cluster_ip_may_not_change() {
        let old = svc(good_spec());
        let mut s = good_spec();
        s["clusterIP"] = json!("10.0.0.11");
        s["clusterIPs"] = json!(["10.0.0.11"]);
        let errs = validate_update("", "Service", &svc(s), &old);
        assert_eq!(
            msgs(&errs),
            vec![
                "spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.11\"}: may not change once set"
                    .to_string()
            ]
        );
    }

    #[test]
    fn endpoints_rules() {
        let ep = |subsets: Value| json!({"metadata": {"name": "e", "namespace": "n"}, "subsets": subsets});
        assert!(validate_create(
            "",
            "Endpoints",
            &ep(json!([{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80, "protocol": "TCP"}]}]))
        )
        .is_empty());
        // Kubernetes reports a malformed endpoint IP twice, once per check.
        let errs = validate_create("", "Endpoints", &ep(json!([{"addresses": [{"ip": "nope"}]}])));
        assert_eq!(msgs(&errs), vec![
            "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".to_string(),
            "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address".to_string(),
        ]);
        let errs = validate_create(
            "",
            "Endpoints",
            &ep(json!([{"addresses": [{"ip": "127.0.0.1"}]}])),
        );
        assert_eq!(msgs(&errs), vec!["subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)".to_string()]);
        let e = one("", "Endpoints", ep(json!([{}])));
        assert_eq!(
            e.message(),
            "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"
        );
    }

    #[test]
    fn node_rules() {
        assert!(validate_create(
            "",
            "Node",
            &json!({"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0/24"}})
        )
        .is_empty());
        let e = one(
            "",
            "Node",
            json!({"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0"}}),
        );
        assert_eq!(e.message(), "spec.podCIDRs[0]: Invalid value: \"10.244.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        let e = one(
            "",
            "Node",
            json!({"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}),
        );
        assert_eq!(e.field, "metadata.taints[0].effect");
        let old = json!({"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0/24"}});
        let new = json!({"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.1.0/24"}});
        let errs = validate_update("", "Node", &new, &old);
        assert_eq!(
            msgs(&errs),
            vec![
                "spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid"
                    .to_string()
            ]
        );
        let e = one(
            "",
            "Node",
            json!({"metadata": {"name": "n1"}, "status": {"capacity": {"cpu": "-1"}}}),
        );
        assert_eq!(
            e.message(),
            "status.capacity.cpu: Invalid value: \"-1\": must be greater than or equal to 0"
        );
    }

    #[test]
    fn event_rules() {
        let ev = json!({"metadata": {"name": "x.1", "namespace": "a"}, "involvedObject": {"kind": "Pod", "namespace": "b", "name": "p"}});
        let e = one("", "Event", ev);
        assert_eq!(
            e.message(),
            "involvedObject.namespace: Invalid value: \"b\": does not match event.namespace"
        );
        let ok = json!({"metadata": {"name": "x.1", "namespace": "a"}, "involvedObject": {"kind": "Pod", "namespace": "a", "name": "p"}});
        assert!(validate_create("", "Event", &ok).is_empty());
    }
}
