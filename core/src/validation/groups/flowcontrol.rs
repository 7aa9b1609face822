//! flowcontrol.apiserver.k8s.io/v1: FlowSchema and PriorityLevelConfiguration.
//! The fixed specs of the mandatory `exempt` and `catch-all` objects are not
//! compared here.

use super::super::field_error::{go_quote, FieldError};
use super::super::names::{dns1123_label_errors, dns1123_subdomain_errors};
use super::super::value::{arr_of, default_field, ensure_obj, get, str_of, Path};
use super::common::{child, invalid_each, is_set};
use serde_json::{json, Value};

const MAX_PRECEDENCE: i64 = 10000;
const MAX_QUEUES: i64 = 10_000_000;
const MAX_HASH_BITS: f64 = 60.0;
const VERBS: [&str; 9] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "proxy",
    "update",
    "watch",
];
const NS_INTRO: &str = "each member of this list must be '*' or a DNS-1123 label; ";

fn has_wildcard(list: &[Value]) -> bool {
    list.iter().any(|v| v.as_str() == Some("*"))
}

/// FlowSchema rules: precedence range, a priority level, rules and subjects.
pub(super) fn validate_flow_schema(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let name = get(obj, "metadata").map_or("", |m| str_of(m, "name"));
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let mp = sp.child("matchingPrecedence");
    let prec = get(spec, "matchingPrecedence")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if prec <= 0 {
        errs.push(FieldError::invalid(mp.as_str(), prec, "must be a positive value"));
    }
    if prec > MAX_PRECEDENCE {
        errs.push(FieldError::invalid(
            mp.as_str(),
            prec,
            &format!("must not be greater than {MAX_PRECEDENCE}"),
        ));
    }
    if prec == 1 && name != "exempt" {
        errs.push(FieldError::invalid(
            mp.as_str(),
            prec,
            "only the schema named 'exempt' may have matchingPrecedence 1",
        ));
    }
    if let Some(dm) = get(spec, "distinguisherMethod").filter(|d| d.is_object()) {
        let t = str_of(dm, "type");
        if t != "ByNamespace" && t != "ByUser" {
            errs.push(FieldError::invalid_rendered(
                sp.child("distinguisherMethod").child("type").as_str(),
                format!("flowcontrol.FlowDistinguisherMethod{{Type:{}}}", go_quote(t)),
                "",
            ));
            if let Some(last) = errs.last_mut() {
                last.type_ = super::super::field_error::ErrorType::NotSupported;
                last.detail = "supported values: \"ByNamespace\", \"ByUser\"".to_string();
            }
        }
    }
    let pl = str_of(child(spec, "priorityLevelConfiguration"), "name");
    let pp = sp.child("priorityLevelConfiguration").child("name");
    if pl.is_empty() {
        errs.push(FieldError::required(
            pp.as_str(),
            "must reference a priority level",
        ));
    } else {
        errs.extend(invalid_each(&pp, pl, dns1123_subdomain_errors(pl)));
    }
    for (i, rule) in arr_of(spec, "rules").iter().enumerate() {
        errs.extend(validate_policy_rules(rule, &sp.child("rules").index(i)));
    }
    errs
}

fn validate_policy_rules(rule: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let subjects = arr_of(rule, "subjects");
    if subjects.is_empty() {
        errs.push(FieldError::required(
            p.child("subjects").as_str(),
            "subjects must contain at least one value",
        ));
    }
    for (i, s) in subjects.iter().enumerate() {
        errs.extend(validate_subject(s, &p.child("subjects").index(i)));
    }
    let res = arr_of(rule, "resourceRules");
    let non = arr_of(rule, "nonResourceRules");
    if res.is_empty() && non.is_empty() {
        errs.push(FieldError::required(
            p.as_str(),
            "at least one of resourceRules and nonResourceRules has to be non-empty",
        ));
    }
    for (i, r) in res.iter().enumerate() {
        errs.extend(validate_resource_rule(r, &p.child("resourceRules").index(i)));
    }
    for (i, r) in non.iter().enumerate() {
        errs.extend(validate_non_resource_rule(
            r,
            &p.child("nonResourceRules").index(i),
        ));
    }
    errs
}

fn validate_subject(s: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let forbid = |errs: &mut Vec<FieldError>, key: &str, what: &str| {
        if is_set(s, key) {
            errs.push(FieldError::forbidden(
                p.child(key).as_str(),
                &format!("{key} is forbidden when subject kind is not '{what}'"),
            ));
        }
    };
    match str_of(s, "kind") {
        "ServiceAccount" => {
            let sa = get(s, "serviceAccount").filter(|v| v.is_object());
            let sap = p.child("serviceAccount");
            match sa {
                None => errs.push(FieldError::required(
                    sap.as_str(),
                    "serviceAccount is required when subject kind is 'ServiceAccount'",
                )),
                Some(sa) => {
                    let name = str_of(sa, "name");
                    if name.is_empty() {
                        errs.push(FieldError::required(sap.child("name").as_str(), ""));
                    } else if name != "*" {
                        errs.extend(invalid_each(
                            &sap.child("name"),
                            name,
                            dns1123_subdomain_errors(name),
                        ));
                    }
                    let ns = str_of(sa, "namespace");
                    if ns.is_empty() {
                        errs.push(FieldError::required(
                            sap.child("namespace").as_str(),
                            "must specify namespace for service account",
                        ));
                    } else {
                        errs.extend(invalid_each(
                            &sap.child("namespace"),
                            ns,
                            dns1123_label_errors(ns),
                        ));
                    }
                }
            }
            forbid(&mut errs, "user", "User");
            forbid(&mut errs, "group", "Group");
        }
        k @ ("User" | "Group") => {
            let key = if k == "User" { "user" } else { "group" };
            match get(s, key).filter(|v| v.is_object()) {
                None => errs.push(FieldError::required(
                    p.child(key).as_str(),
                    &format!("{key} is required when subject kind is '{k}'"),
                )),
                Some(v) => {
                    if str_of(v, "name").is_empty() {
                        errs.push(FieldError::required(p.child(key).child("name").as_str(), ""));
                    }
                }
            }
            forbid(&mut errs, "serviceAccount", "ServiceAccount");
            if k == "User" {
                forbid(&mut errs, "group", "Group");
            } else {
                forbid(&mut errs, "user", "User");
            }
        }
        other => errs.push(FieldError::not_supported(
            p.child("kind").as_str(),
            other,
            &["Group", "ServiceAccount", "User"],
        )),
    }
    errs
}

fn validate_verbs(rule: &Value, p: &Path) -> Vec<FieldError> {
    let verbs = arr_of(rule, "verbs");
    let vp = p.child("verbs");
    let all = Value::Array(verbs.to_vec());
    if verbs.is_empty() {
        vec![FieldError::required(
            vp.as_str(),
            "verbs must contain at least one value",
        )]
    } else if has_wildcard(verbs) {
        if verbs.len() > 1 {
            vec![FieldError::invalid(
                vp.as_str(),
                all,
                "if '*' is present, must not specify other verbs",
            )]
        } else {
            Vec::new()
        }
    } else if verbs.iter().any(|v| !VERBS.contains(&v.as_str().unwrap_or(""))) {
        vec![FieldError::not_supported(vp.as_str(), all, &VERBS)]
    } else {
        Vec::new()
    }
}

fn validate_resource_rule(rule: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = validate_verbs(rule, p);
    for (key, what, plural) in [
        (
            "apiGroups",
            "resource rules must supply at least one api group",
            "api groups",
        ),
        (
            "resources",
            "resource rules must supply at least one resource",
            "resources",
        ),
    ] {
        let list = arr_of(rule, key);
        if list.is_empty() {
            errs.push(FieldError::required(p.child(key).as_str(), what));
        } else if list.len() > 1 && has_wildcard(list) {
            errs.push(FieldError::invalid(
                p.child(key).as_str(),
                Value::Array(list.to_vec()),
                &format!("if '*' is present, must not specify other {plural}"),
            ));
        }
    }
    let nss = arr_of(rule, "namespaces");
    let cluster = get(rule, "clusterScope")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let np = p.child("namespaces");
    if nss.is_empty() && !cluster {
        errs.push(FieldError::required(
            np.as_str(),
            "resource rules that are not cluster scoped must supply at least one namespace",
        ));
    } else if has_wildcard(nss) {
        if nss.len() > 1 {
            errs.push(FieldError::invalid(
                np.as_str(),
                Value::Array(nss.to_vec()),
                "if '*' is present, must not specify other namespaces",
            ));
        }
    } else {
        for (i, ns) in nss.iter().enumerate() {
            let ns = ns.as_str().unwrap_or("");
            for m in dns1123_label_errors(ns) {
                errs.push(FieldError::invalid(
                    np.index(i).as_str(),
                    ns,
                    &format!("{NS_INTRO}{m}"),
                ));
            }
        }
    }
    errs
}

fn validate_non_resource_rule(rule: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = validate_verbs(rule, p);
    let urls = arr_of(rule, "nonResourceURLs");
    let up = p.child("nonResourceURLs");
    if urls.is_empty() {
        errs.push(FieldError::required(
            up.as_str(),
            "nonResourceURLs must contain at least one value",
        ));
    } else if has_wildcard(urls) {
        if urls.len() > 1 {
            errs.push(FieldError::invalid(
                up.as_str(),
                Value::Array(urls.to_vec()),
                "if '*' is present, must not specify other non-resource URLs",
            ));
        }
    } else {
        for (i, u) in urls.iter().enumerate() {
            let u = u.as_str().unwrap_or("");
            if let Some(m) = non_resource_url_error(u) {
                errs.push(FieldError::invalid(up.index(i).as_str(), u, m));
            }
        }
    }
    errs
}

fn non_resource_url_error(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("must not be empty");
    }
    if path == "/" {
        return None;
    }
    if !path.starts_with('/') {
        return Some("must start with slash");
    }
    if path.contains(' ') {
        return Some("must not contain white-space");
    }
    if path.contains("//") {
        return Some("must not contain double slash");
    }
    let stars = path.matches('*').count();
    if stars > 1 || (stars == 1 && !path.ends_with("/*")) {
        return Some("wildcard can only do suffix matching");
    }
    None
}

/// PriorityLevelConfiguration rules: type vs name, limited/exempt settings
/// and queuing parameters.
pub(super) fn validate_priority_level(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let name = get(obj, "metadata").map_or("", |m| str_of(m, "name"));
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let ty = str_of(spec, "type");
    if (name == "exempt") != (ty == "Exempt") {
        errs.push(FieldError::invalid(
            sp.child("type").as_str(),
            ty,
            "type must be 'Exempt' if and only if name is 'exempt'",
        ));
    }
    match ty {
        "Exempt" => {
            if is_set(spec, "limited") {
                errs.push(FieldError::forbidden(
                    sp.child("limited").as_str(),
                    "must be nil if the type is not Limited",
                ));
            }
            if let Some(ex) = get(spec, "exempt").filter(|e| e.is_object()) {
                errs.extend(validate_shares_and_lending(ex, &sp.child("exempt")));
            }
        }
        "Limited" => {
            if is_set(spec, "exempt") {
                errs.push(FieldError::forbidden(
                    sp.child("exempt").as_str(),
                    "must be nil if the type is Limited",
                ));
            }
            match get(spec, "limited").filter(|l| l.is_object()) {
                None => errs.push(FieldError::required(
                    sp.child("limited").as_str(),
                    "must not be empty when type is Limited",
                )),
                Some(l) => errs.extend(validate_limited(l, &sp.child("limited"))),
            }
        }
        other => errs.push(FieldError::not_supported(
            sp.child("type").as_str(),
            other,
            &["Exempt", "Limited"],
        )),
    }
    errs
}

fn validate_shares_and_lending(c: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(n) = get(c, "nominalConcurrencyShares")
        .and_then(Value::as_i64)
        .filter(|n| *n < 0)
    {
        errs.push(FieldError::invalid(
            p.child("nominalConcurrencyShares").as_str(),
            n,
            "must be a non-negative integer",
        ));
    }
    if let Some(l) = get(c, "lendablePercent")
        .and_then(Value::as_i64)
        .filter(|l| !(0..=100).contains(l))
    {
        errs.push(FieldError::invalid(
            p.child("lendablePercent").as_str(),
            l,
            "must be between 0 and 100, inclusive",
        ));
    }
    errs
}

fn validate_limited(l: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(n) = get(l, "nominalConcurrencyShares")
        .and_then(Value::as_i64)
        .filter(|n| *n < 0)
    {
        errs.push(FieldError::invalid(
            p.child("nominalConcurrencyShares").as_str(),
            n,
            "must be a non-negative integer",
        ));
    }
    let lr = child(l, "limitResponse");
    let lp = p.child("limitResponse");
    match str_of(lr, "type") {
        "Reject" => {
            if is_set(lr, "queuing") {
                errs.push(FieldError::forbidden(
                    lp.child("queuing").as_str(),
                    "must be nil if limited.limitResponse.type is not Limited",
                ));
            }
        }
        "Queue" => match get(lr, "queuing").filter(|q| q.is_object()) {
            None => errs.push(FieldError::required(
                lp.child("queuing").as_str(),
                "must not be empty if limited.limitResponse.type is Limited",
            )),
            Some(q) => errs.extend(validate_queuing(q, &lp.child("queuing"))),
        },
        other => errs.push(FieldError::not_supported(
            lp.child("type").as_str(),
            other,
            &["Queue", "Reject"],
        )),
    }
    if let Some(v) = get(l, "lendablePercent")
        .and_then(Value::as_i64)
        .filter(|v| !(0..=100).contains(v))
    {
        errs.push(FieldError::invalid(
            p.child("lendablePercent").as_str(),
            v,
            "must be between 0 and 100, inclusive",
        ));
    }
    if let Some(v) = get(l, "borrowingLimitPercent")
        .and_then(Value::as_i64)
        .filter(|v| *v < 0)
    {
        errs.push(FieldError::invalid(
            p.child("borrowingLimitPercent").as_str(),
            v,
            "if specified, must be a non-negative integer",
        ));
    }
    errs
}

/// Bits of entropy shuffle sharding needs to deal `hand` cards from `deck`.
fn required_entropy_bits(deck: i64, hand: i64) -> f64 {
    // ceil(log2(deck^hand)) computed in floating point as Kubernetes does.
    ((deck as f64).log2() * hand as f64).ceil()
}

fn validate_queuing(q: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let n = |k: &str| get(q, k).and_then(Value::as_i64).unwrap_or(0);
    let (limit, queues, hand) = (n("queueLengthLimit"), n("queues"), n("handSize"));
    if limit <= 0 {
        errs.push(FieldError::invalid(
            p.child("queueLengthLimit").as_str(),
            limit,
            "must be positive",
        ));
    }
    let qp = p.child("queues");
    if queues <= 0 {
        errs.push(FieldError::invalid(qp.as_str(), queues, "must be positive"));
    } else if queues > MAX_QUEUES {
        errs.push(FieldError::invalid(
            qp.as_str(),
            queues,
            &format!("must not be greater than {MAX_QUEUES}"),
        ));
    }
    let hp = p.child("handSize");
    if hand <= 0 {
        errs.push(FieldError::invalid(hp.as_str(), hand, "must be positive"));
    } else if hand > queues {
        errs.push(FieldError::invalid(
            hp.as_str(),
            hand,
            &format!("should not be greater than queues ({queues})"),
        ));
    } else if required_entropy_bits(queues, hand) > MAX_HASH_BITS {
        errs.push(FieldError::invalid(
            hp.as_str(),
            hand,
            &format!("required entropy bits of deckSize {queues} and handSize {hand} should not be greater than 60"),
        ));
    }
    errs
}

/// FlowSchema defaults: matching precedence 1000.
pub(super) fn default_flow_schema(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        if get(spec, "matchingPrecedence")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0
        {
            if let Some(m) = spec.as_object_mut() {
                m.insert("matchingPrecedence".to_string(), json!(1000));
            }
        }
    }
}

/// PriorityLevelConfiguration defaults (v1).
pub(super) fn default_priority_level(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
        return;
    };
    if let Some(ex) = spec.get_mut("exempt").filter(|e| e.is_object()) {
        default_field(ex, "nominalConcurrencyShares", json!(0));
        default_field(ex, "lendablePercent", json!(0));
    }
    let Some(l) = spec.get_mut("limited").filter(|l| l.is_object()) else {
        return;
    };
    default_field(l, "nominalConcurrencyShares", json!(30));
    default_field(l, "lendablePercent", json!(0));
    if let Some(q) = l
        .get_mut("limitResponse")
        .and_then(|r| r.get_mut("queuing"))
        .filter(|q| q.is_object())
    {
        for (k, v) in [("handSize", 8), ("queues", 64), ("queueLengthLimit", 50)] {
            if get(q, k).and_then(Value::as_i64).unwrap_or(0) == 0 {
                if let Some(m) = q.as_object_mut() {
                    m.insert(k.to_string(), json!(v));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create};
    use serde_json::{json, Value};

    const G: &str = "flowcontrol.apiserver.k8s.io";

    fn msgs(kind: &str, obj: &Value) -> Vec<String> {
        validate_create(G, kind, obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    #[test]
    fn flow_schema() {
        let mut ok = json!({"metadata": {"name": "fs"}, "spec": {"priorityLevelConfiguration": {"name": "workload-low"},
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [{"subjects": [{"kind": "Group", "group": {"name": "system:authenticated"}}],
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "namespaces": ["*"]}],
                "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/api/*"]}]}]}});
        default_object(G, "FlowSchema", &mut ok);
        assert_eq!(ok["spec"]["matchingPrecedence"], 1000);
        assert!(
            msgs("FlowSchema", &ok).is_empty(),
            "{:?}",
            msgs("FlowSchema", &ok)
        );
        let bad = json!({"metadata": {"name": "fs"}, "spec": {"matchingPrecedence": 1, "distinguisherMethod": {"type": "ByIP"},
            "rules": [{"subjects": [{"kind": "User"}], "nonResourceRules": [{"verbs": ["fly"], "nonResourceURLs": ["healthz"]}]}]}});
        assert_eq!(
            msgs("FlowSchema", &bad),
            vec![
                "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
                "spec.distinguisherMethod.type: Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:\"ByIP\"}: supported values: \"ByNamespace\", \"ByUser\"",
                "spec.priorityLevelConfiguration.name: Required value: must reference a priority level",
                "spec.rules[0].subjects[0].user: Required value: user is required when subject kind is 'User'",
                "spec.rules[0].nonResourceRules[0].verbs: Unsupported value: []string{\"fly\"}: supported values: \"create\", \"delete\", \"deletecollection\", \"get\", \"list\", \"patch\", \"proxy\", \"update\", \"watch\"",
                "spec.rules[0].nonResourceRules[0].nonResourceURLs[0]: Invalid value: \"healthz\": must start with slash",
            ]
        );
    }

    #[test]
    fn priority_level() {
        let mut ok = json!({"metadata": {"name": "workload-low"}, "spec": {"type": "Limited",
            "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}});
        default_object(G, "PriorityLevelConfiguration", &mut ok);
        assert_eq!(ok["spec"]["limited"]["nominalConcurrencyShares"], 30);
        assert_eq!(
            ok["spec"]["limited"]["limitResponse"]["queuing"],
            json!({"handSize": 8, "queues": 64, "queueLengthLimit": 50})
        );
        assert!(msgs("PriorityLevelConfiguration", &ok).is_empty());
        let bad = json!({"metadata": {"name": "exempt"}, "spec": {"type": "Limited",
            "limited": {"lendablePercent": 101, "limitResponse": {"type": "Queue", "queuing": {"queues": 4, "handSize": 5, "queueLengthLimit": 1}}}}});
        assert_eq!(
            msgs("PriorityLevelConfiguration", &bad),
            vec![
                "spec.type: Invalid value: \"Limited\": type must be 'Exempt' if and only if name is 'exempt'",
                "spec.limited.limitResponse.queuing.handSize: Invalid value: 5: should not be greater than queues (4)",
                "spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive",
            ]
        );
    }
}
