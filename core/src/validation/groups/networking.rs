//! networking.k8s.io/v1: Ingress, IngressClass and NetworkPolicy.

use super::super::field_error::FieldError;
use super::super::metadata::validate_label_selector;
use super::super::names::{
    dns1035_label_errors, dns1123_label_errors, dns1123_subdomain_errors, port_name_errors, regex_error,
};
use super::super::net::{parse_cidr, parse_ip, Ip, CIDR_ERROR};
use super::super::value::{arr_of, default_field, each_mut, ensure_obj, get, map_of, opt_str, str_of, Path};
use super::common::{child, immutable_str, invalid_each, is_set, path_segment, port_num, subdomain};
use serde_json::{json, Value};

const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const MAX_CONTROLLER_LEN: usize = 250;
const HTTP_PATH_FMT: &str = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

// ---------------------------------------------------------------- NetworkPolicy

/// NetworkPolicy rules; on update CIDRs already stored in `old` are not re-checked.
pub(super) fn validate_network_policy(
    obj: &Value,
    old: Option<&Value>,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let existing = old.map(stored_cidrs).unwrap_or_default();
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    errs.extend(validate_label_selector(
        get(spec, "podSelector"),
        &sp.child("podSelector"),
    ));
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in arr_of(spec, dir).iter().enumerate() {
            let rp = sp.child(dir).index(i);
            for (j, port) in arr_of(rule, "ports").iter().enumerate() {
                errs.extend(validate_policy_port(port, &rp.child("ports").index(j)));
            }
            for (j, peer) in arr_of(rule, peers).iter().enumerate() {
                errs.extend(validate_peer(peer, &rp.child(peers).index(j), &existing));
            }
        }
    }
    let types = arr_of(spec, "policyTypes");
    let tp = sp.child("policyTypes");
    if types.len() > 2 {
        errs.push(FieldError::invalid_rendered(
            tp.as_str(),
            super::common::go_typed_slice("networking.PolicyType", get(spec, "policyTypes")),
            "may not specify more than two policyTypes",
        ));
        return errs;
    }
    for (i, t) in types.iter().enumerate() {
        let t = t.as_str().unwrap_or("");
        if t != "Ingress" && t != "Egress" {
            errs.push(FieldError::not_supported(
                tp.index(i).as_str(),
                t,
                &["Ingress", "Egress"],
            ));
        }
    }
    errs
}

fn stored_cidrs(old: &Value) -> Vec<String> {
    let spec = child(old, "spec");
    let mut out = Vec::new();
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for rule in arr_of(spec, dir) {
            for peer in arr_of(rule, peers) {
                if let Some(b) = get(peer, "ipBlock").filter(|b| b.is_object()) {
                    out.push(str_of(b, "cidr").to_string());
                    out.extend(
                        arr_of(b, "except")
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string),
                    );
                }
            }
        }
    }
    out
}

fn validate_policy_port(port: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(proto) = opt_str(port, "protocol") {
        if !matches!(proto, "TCP" | "UDP" | "SCTP") {
            errs.push(FieldError::not_supported(
                p.child("protocol").as_str(),
                proto,
                &["TCP", "UDP", "SCTP"],
            ));
        }
    }
    let end = get(port, "endPort").and_then(Value::as_i64);
    match get(port, "port").filter(|v| !v.is_null()) {
        Some(Value::String(name)) => {
            if let Some(e) = end {
                errs.push(FieldError::invalid(
                    p.child("endPort").as_str(),
                    e,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            errs.extend(invalid_each(&p.child("port"), name, port_name_errors(name)));
        }
        Some(v) => {
            let n = v.as_i64().unwrap_or(0);
            errs.extend(port_num(&p.child("port"), n));
            if let Some(e) = end {
                if e < n {
                    errs.push(FieldError::invalid(
                        p.child("endPort").as_str(),
                        e,
                        "must be greater than or equal to `port`",
                    ));
                }
                errs.extend(port_num(&p.child("endPort"), e));
            }
        }
        None => {
            if let Some(e) = end {
                errs.push(FieldError::invalid(
                    p.child("endPort").as_str(),
                    e,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
    errs
}

fn validate_peer(peer: &Value, p: &Path, existing: &[String]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut n = 0;
    for key in ["podSelector", "namespaceSelector"] {
        if is_set(peer, key) {
            n += 1;
            errs.extend(validate_label_selector(get(peer, key), &p.child(key)));
        }
    }
    let has_block = is_set(peer, "ipBlock");
    if has_block {
        n += 1;
        errs.extend(validate_ip_block(
            child(peer, "ipBlock"),
            &p.child("ipBlock"),
            existing,
        ));
    }
    if n == 0 {
        errs.push(FieldError::required(p.as_str(), "must specify a peer"));
    } else if n > 1 && has_block {
        errs.push(FieldError::forbidden(
            p.as_str(),
            "may not specify both ipBlock and another peer",
        ));
    }
    errs
}

fn cidr_errors(p: &Path, value: &str, existing: &[String]) -> Vec<FieldError> {
    if parse_cidr(value).is_some() || existing.iter().any(|c| c == value) {
        Vec::new()
    } else {
        vec![FieldError::invalid(p.as_str(), value, CIDR_ERROR)]
    }
}

/// The address as a 128-bit number plus its width, for containment tests.
fn ip_bits(ip: Ip) -> (u128, u8) {
    match ip {
        Ip::V4(o) => (u128::from(u32::from_be_bytes(o)), 32),
        Ip::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from_be_bytes(v4.octets())), 32),
            None => (u128::from(a), 128),
        },
    }
}

fn network(bits: u128, width: u8, prefix: u8) -> u128 {
    let host = u32::from(width.saturating_sub(prefix));
    if host >= 128 {
        0
    } else {
        (bits >> host) << host
    }
}

fn validate_ip_block(b: &Value, p: &Path, existing: &[String]) -> Vec<FieldError> {
    let cidr = str_of(b, "cidr");
    if cidr.is_empty() {
        return vec![FieldError::required(p.child("cidr").as_str(), "")];
    }
    let mut errs = cidr_errors(&p.child("cidr"), cidr, existing);
    let Some((ip, prefix)) = parse_cidr(cidr) else {
        return errs;
    };
    let (bits, width) = ip_bits(ip);
    for (i, ex) in arr_of(b, "except").iter().enumerate() {
        let ex = ex.as_str().unwrap_or("");
        let ep = p.child("except").index(i);
        errs.extend(cidr_errors(&ep, ex, existing));
        let Some((eip, eprefix)) = parse_cidr(ex) else {
            continue;
        };
        let (ebits, ewidth) = ip_bits(eip);
        let contained = ewidth == width && network(ebits, width, prefix) == network(bits, width, prefix);
        if !contained || prefix >= eprefix {
            errs.push(FieldError::invalid(
                ep.as_str(),
                ex,
                "must be a strict subset of `cidr`",
            ));
        }
    }
    errs
}

/// NetworkPolicy defaults: TCP ports and the implied policy types.
pub(super) fn default_network_policy(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    for dir in ["ingress", "egress"] {
        for rule in each_mut(spec, dir) {
            for port in each_mut(rule, "ports") {
                default_field(port, "protocol", json!("TCP"));
            }
        }
    }
    if arr_of(spec, "policyTypes").is_empty() {
        let mut types = vec![json!("Ingress")];
        if !arr_of(spec, "egress").is_empty() {
            types.push(json!("Egress"));
        }
        if let Some(m) = spec.as_object_mut() {
            m.insert("policyTypes".to_string(), Value::Array(types));
        }
    }
}

// ---------------------------------------------------------------- Ingress

/// Ingress rules; on update, problems already present in `old` stay tolerated.
pub(super) fn validate_ingress(
    obj: &Value,
    old: Option<&Value>,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let allow_bad_secret = old.is_some_and(|o| {
        arr_of(child(o, "spec"), "tls")
            .iter()
            .any(|t| !tls_secret_errors(str_of(t, "secretName")).is_empty())
    });
    let allow_bad_wildcard = old.is_some_and(|o| {
        arr_of(child(o, "spec"), "rules")
            .iter()
            .any(|r| str_of(r, "host").contains('*') && !validate_rule_value(r, &Path::new("")).is_empty())
    });
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let rules = get(spec, "rules");
    let has_rules = !arr_of(spec, "rules").is_empty();
    if !has_rules && !is_set(spec, "defaultBackend") {
        let rendered = match rules {
            Some(Value::Array(_)) => "[]networking.IngressRule{}",
            _ => "[]networking.IngressRule(nil)",
        };
        errs.push(FieldError::invalid_rendered(
            sp.as_str(),
            rendered.to_string(),
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if is_set(spec, "defaultBackend") {
        errs.extend(validate_backend(
            child(spec, "defaultBackend"),
            &sp.child("defaultBackend"),
        ));
    }
    for (i, rule) in arr_of(spec, "rules").iter().enumerate() {
        let rp = sp.child("rules").index(i);
        let host = str_of(rule, "host");
        let mut wildcard = false;
        if !host.is_empty() {
            let hp = rp.child("host");
            if parse_ip(host).is_some() {
                errs.push(FieldError::invalid(
                    hp.as_str(),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            if host.contains('*') {
                errs.extend(invalid_each(&hp, host, wildcard_subdomain_errors(host)));
                wildcard = true;
            } else {
                errs.extend(subdomain(&hp, host));
            }
        }
        if !wildcard || !allow_bad_wildcard {
            errs.extend(validate_rule_value(rule, &rp));
        }
    }
    for (i, tls) in arr_of(spec, "tls").iter().enumerate() {
        let tp = sp.child("tls").index(i);
        for (j, host) in arr_of(tls, "hosts").iter().enumerate() {
            let host = host.as_str().unwrap_or("");
            let hp = tp.child("hosts").index(j);
            if host.contains('*') {
                errs.extend(invalid_each(&hp, host, wildcard_subdomain_errors(host)));
            } else {
                errs.extend(subdomain(&hp, host));
            }
        }
        if !allow_bad_secret {
            let name = str_of(tls, "secretName");
            errs.extend(invalid_each(
                &tp.child("secretName"),
                name,
                tls_secret_errors(name),
            ));
        }
    }
    if let Some(class) = opt_str(spec, "ingressClassName") {
        errs.extend(subdomain(&sp.child("ingressClassName"), class));
    }
    if old.is_none() {
        let ann = get(obj, "metadata").and_then(|m| map_of(m, "annotations"));
        let ann = ann
            .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
            .and_then(Value::as_str);
        if let (Some(a), Some(class)) = (ann, opt_str(spec, "ingressClassName")) {
            if a != class {
                errs.push(FieldError::invalid(
                    Path::new("annotations").child(INGRESS_CLASS_ANNOTATION).as_str(),
                    a,
                    "must match `ingressClassName` when both are specified",
                ));
            }
        }
    }
    errs
}

fn tls_secret_errors(name: &str) -> Vec<String> {
    if name.is_empty() {
        Vec::new()
    } else {
        dns1123_subdomain_errors(name)
    }
}

/// `IsWildcardDNS1123Subdomain`.
fn wildcard_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    // Length is reported above; only the shape of the rest matters here.
    let ok = s.strip_prefix("*.").is_some_and(|rest| {
        dns1123_subdomain_errors(rest)
            .iter()
            .all(|m| m.starts_with("must be no more than"))
    });
    if !ok {
        errs.push(regex_error(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
            "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            &["*.example.com"],
        ));
    }
    errs
}

fn validate_rule_value(rule: &Value, rp: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(http) = get(rule, "http").filter(|h| h.is_object()) else {
        return errs;
    };
    let hp = rp.child("http");
    let paths = arr_of(http, "paths");
    if paths.is_empty() {
        errs.push(FieldError::required(hp.child("paths").as_str(), ""));
    }
    for (i, path) in paths.iter().enumerate() {
        errs.extend(validate_http_path(path, &hp.child("paths").index(i)));
    }
    errs
}

fn validate_http_path(path: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(kind) = opt_str(path, "pathType") else {
        errs.push(FieldError::required(
            p.child("pathType").as_str(),
            "pathType must be specified",
        ));
        return errs;
    };
    let value = str_of(path, "path");
    let pp = p.child("path");
    match kind {
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    pp.as_str(),
                    value,
                    "must be an absolute path",
                ));
            }
            if !value.is_empty() {
                for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                    if value.contains(seq) {
                        errs.push(FieldError::invalid(
                            pp.as_str(),
                            value,
                            &format!("must not contain '{seq}'"),
                        ));
                    }
                }
                for suffix in ["/..", "/."] {
                    if value.ends_with(suffix) {
                        errs.push(FieldError::invalid(
                            pp.as_str(),
                            value,
                            &format!("cannot end with '{suffix}'"),
                        ));
                    }
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    pp.as_str(),
                    value,
                    "must be an absolute path",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            p.child("pathType").as_str(),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    errs.extend(validate_backend(child(path, "backend"), &p.child("backend")));
    errs
}

fn validate_backend(b: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match (is_set(b, "resource"), is_set(b, "service")) {
        (true, true) => {
            errs.push(FieldError::invalid(
                p.as_str(),
                "",
                "cannot set both resource and service backends",
            ));
        }
        (true, false) => errs.extend(validate_typed_ref(
            child(b, "resource"),
            &p.child("resource"),
            false,
        )),
        (false, true) => {
            let svc = child(b, "service");
            let np = p.child("service").child("name");
            let name = str_of(svc, "name");
            if name.is_empty() {
                errs.push(FieldError::required(np.as_str(), ""));
            } else {
                errs.extend(invalid_each(&np, name, dns1035_label_errors(name)));
            }
            let port = child(svc, "port");
            let pname = str_of(port, "name");
            let pnum = get(port, "number").and_then(Value::as_i64).unwrap_or(0);
            let pp = p.child("service").child("port");
            match (!pname.is_empty(), pnum != 0) {
                (true, true) => errs.push(FieldError::invalid(
                    p.as_str(),
                    "",
                    "cannot set both port name & port number",
                )),
                (true, false) => errs.extend(invalid_each(&pp.child("name"), pname, port_name_errors(pname))),
                (false, true) => errs.extend(port_num(&pp.child("number"), pnum)),
                (false, false) => errs.push(FieldError::required(
                    p.as_str(),
                    "port name or number is required",
                )),
            }
        }
        (false, false) => {
            errs.push(FieldError::invalid(
                p.as_str(),
                "",
                "resource or service backend is required",
            ));
        }
    }
    errs
}

/// A typed local object reference (`apiGroup`, `kind`, `name`), plus the
/// scope rules of an IngressClass parameters reference when `scoped`.
fn validate_typed_ref(r: &Value, p: &Path, scoped: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(g) = opt_str(r, "apiGroup") {
        errs.extend(subdomain(&p.child("apiGroup"), g));
    }
    for key in ["kind", "name"] {
        let v = str_of(r, key);
        if v.is_empty() {
            errs.push(FieldError::required(p.child(key).as_str(), ""));
        } else {
            errs.extend(path_segment(&p.child(key), v));
        }
    }
    if !scoped {
        return errs;
    }
    let Some(scope) = opt_str(r, "scope") else {
        errs.push(FieldError::required(p.child("scope").as_str(), ""));
        return errs;
    };
    match scope {
        "Namespace" => match opt_str(r, "namespace") {
            None => errs.push(FieldError::required(
                p.child("namespace").as_str(),
                "`parameters.scope` is set to 'Namespace'",
            )),
            Some(ns) => errs.extend(invalid_each(&p.child("namespace"), ns, dns1123_label_errors(ns))),
        },
        "Cluster" => {
            if is_set(r, "namespace") {
                errs.push(FieldError::forbidden(
                    p.child("namespace").as_str(),
                    "`parameters.scope` is set to 'Cluster'",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            p.child("scope").as_str(),
            other,
            &["Cluster", "Namespace"],
        )),
    }
    errs
}

// ---------------------------------------------------------------- IngressClass

/// IngressClass rules: a domain-prefixed controller and a valid parameters reference.
pub(super) fn validate_ingress_class(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let cp = sp.child("controller");
    let controller = str_of(spec, "controller");
    if controller.is_empty() {
        errs.push(FieldError::required(cp.as_str(), ""));
    } else {
        if controller.len() > MAX_CONTROLLER_LEN {
            errs.push(FieldError::too_long(cp.as_str(), MAX_CONTROLLER_LEN));
        }
        errs.extend(domain_prefixed_path(&cp, controller));
    }
    if is_set(spec, "parameters") {
        errs.extend(validate_typed_ref(
            child(spec, "parameters"),
            &sp.child("parameters"),
            true,
        ));
    }
    errs
}

/// IngressClass update: the controller is immutable.
pub(super) fn validate_ingress_class_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    immutable_str(
        &mut errs,
        &Path::new("spec").child("controller"),
        child(new, "spec"),
        child(old, "spec"),
        "controller",
    );
    validate_ingress_class(new, errs)
}

/// `IsDomainPrefixedPath`.
fn domain_prefixed_path(p: &Path, s: &str) -> Vec<FieldError> {
    let Some((host, path)) = s.split_once('/').filter(|(h, r)| !h.is_empty() && !r.is_empty()) else {
        return vec![FieldError::invalid(
            p.as_str(),
            s,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    };
    let mut errs = subdomain(p, host);
    let ok = path
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&c));
    if !ok {
        errs.push(FieldError::invalid(
            p.as_str(),
            path,
            &regex_error("Invalid path", HTTP_PATH_FMT, &[]),
        ));
    }
    errs
}

/// IngressClass defaults: a parameters reference is cluster-scoped unless told.
pub(super) fn default_ingress_class(obj: &mut Value) {
    if let Some(params) = obj
        .get_mut("spec")
        .and_then(|s| s.get_mut("parameters"))
        .filter(|p| p.is_object())
    {
        default_field(params, "scope", json!("Cluster"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "networking.k8s.io";

    fn msgs(kind: &str, obj: &Value) -> Vec<String> {
        validate_create(G, kind, obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    fn ingress(spec: Value) -> Value {
        json!({"metadata": {"name": "i", "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn valid_ingress() {
        let ok = ingress(
            json!({"ingressClassName": "nginx", "rules": [{"host": "a.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
            "tls": [{"hosts": ["*.example.com"], "secretName": "tls"}]}),
        );
        assert!(msgs("Ingress", &ok).is_empty(), "{:?}", msgs("Ingress", &ok));
    }

    #[test]
    fn ingress_refusals() {
        assert_eq!(
            msgs("Ingress", &ingress(json!({}))),
            vec!["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]
        );
        let bad = ingress(json!({"rules": [{"host": "1.2.3.4", "http": {"paths": [
            {"path": "a", "pathType": "Exact", "backend": {"service": {"name": "web"}}},
            {"path": "/", "backend": {}}]}}]}));
        assert_eq!(
            msgs("Ingress", &bad),
            vec![
                "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address",
                "spec.rules[0].http.paths[0].path: Invalid value: \"a\": must be an absolute path",
                "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
                "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
            ]
        );
        let both = ingress(
            json!({"defaultBackend": {"service": {"name": "s", "port": {"number": 1}}, "resource": {"kind": "K", "name": "n"}}}),
        );
        assert_eq!(
            msgs("Ingress", &both),
            vec!["spec.defaultBackend: Invalid value: \"\": cannot set both resource and service backends"]
        );
        let mut ann = ingress(
            json!({"ingressClassName": "a", "defaultBackend": {"service": {"name": "s", "port": {"name": "http"}}}}),
        );
        ann["metadata"]["annotations"] = json!({"kubernetes.io/ingress.class": "b"});
        assert_eq!(
            msgs("Ingress", &ann),
            vec!["annotations.kubernetes.io/ingress.class: Invalid value: \"b\": must match `ingressClassName` when both are specified"]
        );
    }

    #[test]
    fn ingress_class() {
        let ok = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {"kind": "Cfg", "name": "c"}}});
        let mut d = ok.clone();
        default_object(G, "IngressClass", &mut d);
        assert_eq!(d["spec"]["parameters"]["scope"], "Cluster");
        assert!(msgs("IngressClass", &d).is_empty());
        let bad = json!({"metadata": {"name": "x"}, "spec": {"controller": "nginx"}});
        assert_eq!(
            msgs("IngressClass", &bad),
            vec!["spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")"]
        );
        let none = json!({"metadata": {"name": "x"}, "spec": {}});
        assert_eq!(
            msgs("IngressClass", &none),
            vec!["spec.controller: Required value"]
        );
        let changed = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/other"}});
        let errs = validate_update(G, "IngressClass", &changed, &ok);
        assert_eq!(
            errs[0].message(),
            "spec.controller: Invalid value: \"k8s.io/other\": field is immutable"
        );
    }

    #[test]
    fn network_policy() {
        let mut ok = json!({"metadata": {"name": "np", "namespace": "n"}, "spec": {"podSelector": {},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 80, "endPort": 90}]}],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"a": "b"}}}]}]}});
        default_object(G, "NetworkPolicy", &mut ok);
        assert_eq!(ok["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(ok["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
        assert!(msgs("NetworkPolicy", &ok).is_empty());
        let bad = json!({"metadata": {"name": "np", "namespace": "n"}, "spec": {"podSelector": {},
            "ingress": [{"from": [{}, {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8", "x"]}, "podSelector": {}}],
                "ports": [{"protocol": "ICMP", "port": "http", "endPort": 3}]}],
            "policyTypes": ["Ingress", "Sideways"]}});
        assert_eq!(
            msgs("NetworkPolicy", &bad),
            vec![
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
                "spec.ingress[0].ports[0].endPort: Invalid value: 3: may not be specified when `port` is non-numeric",
                "spec.ingress[0].from[0]: Required value: must specify a peer",
                "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
                "spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: \"x\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
                "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"",
            ]
        );
    }
}
