//! core/v1 ResourceQuota and LimitRange: resource names, quantities, quota
//! scopes and the min <= default <= max ordering of limit ranges.

use super::apps::spec_of;
use super::field_error::{go_string_slice, FieldError};
use super::metadata::{FIELD_IMMUTABLE, IS_NEGATIVE};
use super::names::qualified_name_errors;
use super::pod::{parse_quantity, validate_container_resource_name};
use super::quantity::{Quantity, QUANTITY_FORMAT_ERROR};
use super::value::{arr_of, get, map_of, str_of, Path};
use serde_json::{Map, Value};
use std::cmp::Ordering;

const INVALID_QUOTA_RESOURCE: &str = "must be a standard resource for quota";
const NOT_INTEGER: &str = "must be an integer";

const STANDARD_QUOTA_RESOURCES: [&str; 19] = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

/// `standardResources`: the quota names plus bare `storage`.
fn is_standard_resource(name: &str) -> bool {
    name == "storage" || STANDARD_QUOTA_RESOURCES.contains(&name) || is_quota_hugepages(name)
}

fn is_quota_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-") || name.starts_with("requests.hugepages-")
}

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && qualified_name_errors(&format!("requests.{name}")).is_empty()
}

/// Resources counted in whole units (`IsIntegerResourceName`).
fn is_integer_resource(name: &str) -> bool {
    matches!(
        name,
        "pods"
            | "resourcequotas"
            | "services"
            | "replicationcontrollers"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || is_extended(name)
}

/// `validateResourceName`: a qualified name, and a standard one when unprefixed.
fn validate_resource_name(name: &str, path: &Path, errs: &mut Vec<FieldError>) -> bool {
    let q = qualified_name_errors(name);
    if !q.is_empty() {
        for m in q {
            errs.push(FieldError::invalid(path.as_str(), name, &m));
        }
        return false;
    }
    if !name.contains('/') && !is_standard_resource(name) {
        errs.push(FieldError::invalid(
            path.as_str(),
            name,
            "must be a standard resource type or fully qualified",
        ));
        return false;
    }
    true
}

fn validate_quota_resource_name(name: &str, path: &Path, errs: &mut Vec<FieldError>) {
    validate_resource_name(name, path, errs);
    if !(name.contains('/') || STANDARD_QUOTA_RESOURCES.contains(&name) || is_quota_hugepages(name)) {
        errs.push(FieldError::invalid(path.as_str(), name, INVALID_QUOTA_RESOURCE));
    }
}

fn quantity_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `ValidateResourceQuantityValue`: not negative, and whole for counted resources.
fn validate_quantity(name: &str, v: &Value, path: &Path, errs: &mut Vec<FieldError>) {
    let Some(q) = parse_quantity(v) else {
        errs.push(FieldError::invalid(
            path.as_str(),
            quantity_text(v),
            QUANTITY_FORMAT_ERROR,
        ));
        return;
    };
    if q.is_negative() {
        errs.push(FieldError::invalid(path.as_str(), q.text(), IS_NEGATIVE));
    }
    // MilliValue() % 1000 != 0: fractional counts are refused.
    let milli = (q.value() * 1000.0).round();
    if is_integer_resource(name) && milli % 1000.0 != 0.0 {
        errs.push(FieldError::invalid(path.as_str(), q.text(), NOT_INTEGER));
    }
}

fn validate_resource_list(list: Option<&Map<String, Value>>, path: &Path, errs: &mut Vec<FieldError>) {
    for (k, v) in list.into_iter().flatten() {
        let rp = path.key(k);
        validate_quota_resource_name(k, &rp, errs);
        validate_quantity(k, v, &rp, errs);
    }
}

// ---------------------------------------------------------------- ResourceQuota

const QUOTA_SCOPES: [&str; 6] = [
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
];

fn is_pod_resource(name: &str) -> bool {
    matches!(
        name,
        "pods" | "cpu" | "memory" | "limits.cpu" | "limits.memory" | "requests.cpu" | "requests.memory"
    )
}

/// `IsResourceQuotaScopeValidForResource`.
fn scope_valid_for(scope: &str, resource: &str) -> bool {
    match scope {
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => is_pod_resource(resource),
        "BestEffort" => resource == "pods",
        _ => true,
    }
}

fn is_standard_quota_name(name: &str) -> bool {
    STANDARD_QUOTA_RESOURCES.contains(&name) || is_quota_hugepages(name)
}

fn sorted_hard(spec: &Value) -> Vec<&str> {
    let mut hard: Vec<&str> = map_of(spec, "hard")
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    hard.sort_unstable();
    hard
}

fn conflicting(scopes: &[&str]) -> usize {
    [("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")]
        .iter()
        .filter(|(a, b)| scopes.contains(a) && scopes.contains(b))
        .count()
}

fn validate_scopes(spec: &Value, errs: &mut Vec<FieldError>) {
    let scopes_value = get(spec, "scopes").cloned().unwrap_or(Value::Null);
    let scopes: Vec<&str> = arr_of(spec, "scopes")
        .iter()
        .map(|s| s.as_str().unwrap_or(""))
        .collect();
    if scopes.is_empty() {
        return;
    }
    let path = "spec.scopes";
    let shown = || go_scopes(Some(&scopes_value));
    let hard = sorted_hard(spec);
    for scope in &scopes {
        if !QUOTA_SCOPES.contains(scope) {
            errs.push(FieldError::invalid_rendered(path, shown(), "unsupported scope"));
        }
        for k in &hard {
            if is_standard_quota_name(k) && !scope_valid_for(scope, k) {
                errs.push(FieldError::invalid_rendered(
                    path,
                    shown(),
                    "unsupported scope applied to resource",
                ));
            }
        }
    }
    for _ in 0..conflicting(&scopes) {
        errs.push(FieldError::invalid_rendered(path, shown(), "conflicting scopes"));
    }
}

/// `%#v` of a `[]core.ResourceQuotaScope`.
fn go_scopes(v: Option<&Value>) -> String {
    go_string_slice(v).replacen("[]string", "[]core.ResourceQuotaScope", 1)
}

fn validate_scope_selector(spec: &Value, errs: &mut Vec<FieldError>) {
    let Some(sel) = get(spec, "scopeSelector").filter(|s| !s.is_null()) else {
        return;
    };
    let path = Path::new("spec").child("scopeSelector").child("matchExpressions");
    let hard = sorted_hard(spec);
    let mut names: Vec<&str> = Vec::new();
    for req in arr_of(sel, "matchExpressions") {
        let scope = str_of(req, "scopeName");
        let op = str_of(req, "operator");
        let values = arr_of(req, "values");
        if !QUOTA_SCOPES.contains(&scope) {
            errs.push(FieldError::invalid(
                path.child("scopeName").as_str(),
                scope,
                "unsupported scope",
            ));
        }
        for k in &hard {
            if is_standard_quota_name(k) && !scope_valid_for(scope, k) {
                // Kubernetes prints the whole selector struct here.
                errs.push(FieldError::invalid_rendered(
                    path.as_str(),
                    format!("&core.ScopeSelector{{MatchExpressions:{}}}", sel),
                    "unsupported scope applied to resource",
                ));
            }
        }
        if matches!(
            scope,
            "BestEffort" | "NotBestEffort" | "Terminating" | "NotTerminating" | "CrossNamespacePodAffinity"
        ) && op != "Exists"
        {
            errs.push(FieldError::invalid(
                path.child("operator").as_str(),
                op,
                "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
            ));
        }
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        path.child("values").as_str(),
                        "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::invalid_rendered(
                        path.child("values").as_str(),
                        go_string_slice(get(req, "values")),
                        "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                path.child("operator").as_str(),
                op,
                "not a valid selector operator",
            )),
        }
        names.push(scope);
    }
    let scopes_value = get(spec, "scopes").cloned();
    for _ in 0..conflicting(&names) {
        // Kubernetes reports the `scopes` list here, not the selector.
        errs.push(FieldError::invalid_rendered(
            path.as_str(),
            go_scopes(scopes_value.as_ref()),
            "conflicting scopes",
        ));
    }
}

fn validate_quota_spec(spec: &Value, errs: &mut Vec<FieldError>) {
    validate_resource_list(map_of(spec, "hard"), &Path::new("spec").child("hard"), errs);
    validate_scopes(spec, errs);
    validate_scope_selector(spec, errs);
}

/// ResourceQuota create rules: `spec.hard`, scopes, scope selector and any
/// `status` quantities.
pub fn validate_resource_quota(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    validate_quota_spec(spec_of(obj), &mut errs);
    let null = Value::Null;
    let status = get(obj, "status").unwrap_or(&null);
    for key in ["hard", "used"] {
        validate_resource_list(map_of(status, key), &Path::new("status").child(key), &mut errs);
    }
    errs
}

/// ResourceQuota update rules: the spec rules, and `spec.scopes` (as a set)
/// may not change.
pub fn validate_resource_quota_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let (ns, os) = (spec_of(new), spec_of(old));
    validate_quota_spec(ns, &mut errs);
    let set = |s: &Value| {
        let mut v: Vec<String> = arr_of(s, "scopes")
            .iter()
            .map(|x| x.as_str().unwrap_or("").to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if set(ns) != set(os) {
        errs.push(FieldError::invalid_rendered(
            "spec.scopes",
            go_scopes(get(ns, "scopes")),
            FIELD_IMMUTABLE,
        ));
    }
    errs
}

// ---------------------------------------------------------------- LimitRange

fn validate_limit_type(t: &str, path: &Path, errs: &mut Vec<FieldError>) {
    let q = qualified_name_errors(t);
    if !q.is_empty() {
        for m in q {
            errs.push(FieldError::invalid(path.as_str(), t, &m));
        }
    } else if !t.contains('/') && !matches!(t, "Pod" | "Container" | "PersistentVolumeClaim") {
        errs.push(FieldError::invalid(
            path.as_str(),
            t,
            "must be a standard limit type or fully qualified",
        ));
    }
}

fn validate_limit_resource_name(t: &str, name: &str, path: &Path, errs: &mut Vec<FieldError>) {
    if matches!(t, "Pod" | "Container") {
        validate_container_resource_name(name, path, errs);
    } else {
        validate_resource_name(name, path, errs);
    }
}

/// Parsed quantities of one LimitRange item map.
fn quantities<'a>(
    item: &'a Value,
    key: &str,
    t: &str,
    ip: &Path,
    keys: &mut Vec<&'a str>,
    errs: &mut Vec<FieldError>,
) -> Vec<(&'a str, Quantity)> {
    let mut out = Vec::new();
    for (k, v) in map_of(item, key).into_iter().flatten() {
        validate_limit_resource_name(t, k, &ip.child(key).key(k), errs);
        if !keys.contains(&k.as_str()) {
            keys.push(k.as_str());
        }
        if let Some(q) = parse_quantity(v) {
            out.push((k.as_str(), q));
        }
    }
    out
}

fn find<'a>(list: &'a [(&str, Quantity)], k: &str) -> Option<&'a Quantity> {
    list.iter().find(|(n, _)| *n == k).map(|(_, q)| q)
}

fn greater(a: &Quantity, b: &Quantity) -> bool {
    a.cmp_value(b) == Ordering::Greater
}

/// LimitRange rules (create and update).
pub fn validate_limit_range(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let base = Path::new("spec").child("limits");
    let mut seen_types: Vec<&str> = Vec::new();
    for (i, item) in arr_of(spec_of(obj), "limits").iter().enumerate() {
        let ip = base.index(i);
        let t = str_of(item, "type");
        validate_limit_type(t, &ip.child("type"), &mut errs);
        if seen_types.contains(&t) {
            errs.push(FieldError::duplicate(ip.child("type").as_str(), t));
        }
        seen_types.push(t);

        let mut keys: Vec<&str> = Vec::new();
        let max = quantities(item, "max", t, &ip, &mut keys, &mut errs);
        let min = quantities(item, "min", t, &ip, &mut keys, &mut errs);
        let (mut defaults, mut requests) = (Vec::new(), Vec::new());
        if t == "Pod" {
            for key in ["default", "defaultRequest"] {
                if map_of(item, key).is_some_and(|m| !m.is_empty()) {
                    errs.push(FieldError::forbidden(
                        ip.child(key).as_str(),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
            }
        } else {
            defaults = quantities(item, "default", t, &ip, &mut keys, &mut errs);
            requests = quantities(item, "defaultRequest", t, &ip, &mut keys, &mut errs);
        }
        if t == "PersistentVolumeClaim" && find(&min, "storage").is_none() && find(&max, "storage").is_none()
        {
            errs.push(FieldError::required(
                ip.child("limits").as_str(),
                "either minimum or maximum storage value is required, but neither was provided",
            ));
        }
        let ratios = quantities(item, "maxLimitRequestRatio", t, &ip, &mut keys, &mut errs);

        for k in keys {
            let (mn, mx) = (find(&min, k), find(&max, k));
            let (df, dr, ratio) = (find(&defaults, k), find(&requests, k), find(&ratios, k));
            let at = |key: &str| ip.child(key).key(k);
            if let (Some(a), Some(b)) = (mn, mx) {
                if greater(a, b) {
                    errs.push(FieldError::invalid(
                        at("min").as_str(),
                        a.text(),
                        &format!("min value {} is greater than max value {}", a.text(), b.text()),
                    ));
                }
            }
            if let (Some(r), Some(a)) = (dr, mn) {
                if greater(a, r) {
                    errs.push(FieldError::invalid(
                        at("defaultRequest").as_str(),
                        r.text(),
                        &format!(
                            "min value {} is greater than default request value {}",
                            a.text(),
                            r.text()
                        ),
                    ));
                }
            }
            if let (Some(r), Some(b)) = (dr, mx) {
                if greater(r, b) {
                    errs.push(FieldError::invalid(
                        at("defaultRequest").as_str(),
                        r.text(),
                        &format!(
                            "default request value {} is greater than max value {}",
                            r.text(),
                            b.text()
                        ),
                    ));
                }
            }
            if let (Some(r), Some(d)) = (dr, df) {
                if greater(r, d) {
                    errs.push(FieldError::invalid(
                        at("defaultRequest").as_str(),
                        r.text(),
                        &format!(
                            "default request value {} is greater than default limit value {}",
                            r.text(),
                            d.text()
                        ),
                    ));
                }
            }
            if let (Some(d), Some(a)) = (df, mn) {
                if greater(a, d) {
                    errs.push(FieldError::invalid(
                        at("default").as_str(),
                        a.text(),
                        &format!(
                            "min value {} is greater than default value {}",
                            a.text(),
                            d.text()
                        ),
                    ));
                }
            }
            if let (Some(d), Some(b)) = (df, mx) {
                if greater(d, b) {
                    errs.push(FieldError::invalid(
                        at("default").as_str(),
                        b.text(),
                        &format!(
                            "default value {} is greater than max value {}",
                            d.text(),
                            b.text()
                        ),
                    ));
                }
            }
            if let Some(r) = ratio {
                if r.value() < 1.0 {
                    errs.push(FieldError::invalid(
                        at("maxLimitRequestRatio").as_str(),
                        r.text(),
                        &format!("ratio {} is less than 1", r.text()),
                    ));
                }
                if let (Some(a), Some(b)) = (mn, mx) {
                    let limit = b.value() / a.value();
                    if r.value() > limit {
                        errs.push(FieldError::invalid(
                            at("maxLimitRequestRatio").as_str(),
                            r.text(),
                            &format!("ratio {} is greater than max/min = {limit:.6}", r.text()),
                        ));
                    }
                }
            }
            let overcommit = is_native(k) && !k.starts_with("hugepages-");
            if let (Some(d), Some(r), false) = (df, dr, overcommit) {
                if d.cmp_value(r) != Ordering::Equal {
                    errs.push(FieldError::invalid(
                        at("defaultRequest").as_str(),
                        r.text(),
                        &format!(
                            "default value {} must equal to defaultRequest value {} in {k}",
                            d.text(),
                            r.text()
                        ),
                    ));
                }
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::{default_object, validate_create, validate_update, FieldError};
    use serde_json::{json, Value};

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    fn rq(spec: Value) -> Value {
        json!({"metadata": {"name": "q", "namespace": "ns"}, "spec": spec})
    }

    #[test]
    fn quota_valid() {
        let o = rq(json!({"hard": {"pods": "10", "requests.cpu": "2", "count/deployments.apps": "3"}}));
        assert!(validate_create("", "ResourceQuota", &o).is_empty());
    }

    #[test]
    fn quota_resource_names_and_quantities() {
        let o = rq(json!({"hard": {"widgets": "1"}}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec![
                "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource type or fully qualified".to_string(),
                "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota".to_string(),
            ]
        );
        let o = rq(json!({"hard": {"pods": "1500m"}}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec!["spec.hard[pods]: Invalid value: \"1500m\": must be an integer".to_string()]
        );
        let o = rq(json!({"hard": {"memory": "-1Gi"}}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec![
                "spec.hard[memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0".to_string()
            ]
        );
    }

    #[test]
    fn quota_scopes() {
        let o = rq(json!({"hard": {"pods": "1"}, "scopes": ["Sometimes"]}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec![
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Sometimes\"}: unsupported scope"
                    .to_string()
            ]
        );
        let o = rq(json!({"hard": {"secrets": "1"}, "scopes": ["BestEffort"]}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec!["spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\"}: unsupported scope applied to resource".to_string()]
        );
        let o = rq(json!({"hard": {"pods": "1"}, "scopes": ["Terminating", "NotTerminating"]}));
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec!["spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\"}: conflicting scopes".to_string()]
        );
    }

    #[test]
    fn quota_scope_selector() {
        let o = rq(
            json!({"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
            {"scopeName": "BestEffort", "operator": "In", "values": ["x"]}]}}),
        );
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec!["spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity".to_string()]
        );
        let o = rq(
            json!({"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In"}]}}),
        );
        assert_eq!(
            msgs(&validate_create("", "ResourceQuota", &o)),
            vec!["spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector".to_string()]
        );
    }

    #[test]
    fn quota_scopes_are_immutable() {
        let old = rq(json!({"hard": {"pods": "1"}, "scopes": ["BestEffort"]}));
        let new = rq(json!({"hard": {"pods": "1"}, "scopes": ["NotBestEffort"]}));
        assert_eq!(
            msgs(&validate_update("", "ResourceQuota", &new, &old)),
            vec!["spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotBestEffort\"}: field is immutable".to_string()]
        );
        let grown = rq(json!({"hard": {"pods": "5"}, "scopes": ["BestEffort"]}));
        assert!(validate_update("", "ResourceQuota", &grown, &old).is_empty());
    }

    fn lr(limits: Value) -> Value {
        let mut o = json!({"metadata": {"name": "l", "namespace": "ns"}, "spec": {"limits": limits}});
        default_object("", "LimitRange", &mut o);
        o
    }

    #[test]
    fn limit_range_defaults_from_max_and_min() {
        let o = lr(json!([{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]));
        let item = &o["spec"]["limits"][0];
        assert_eq!(item["default"], json!({"cpu": "2"}));
        assert_eq!(item["defaultRequest"], json!({"cpu": "2", "memory": "64Mi"}));
        assert!(validate_create("", "LimitRange", &o).is_empty());
    }

    #[test]
    fn limit_range_ordering() {
        let o = lr(json!([{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]));
        let errs = msgs(&validate_create("", "LimitRange", &o));
        assert_eq!(
            errs.first().map(String::as_str),
            Some("spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1")
        );
        let o = lr(json!([{"type": "Pod", "max": {"cpu": "1"}, "default": {"cpu": "1"}}]));
        assert_eq!(
            msgs(&validate_create("", "LimitRange", &o)),
            vec!["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'".to_string()]
        );
        let o = lr(json!([{"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}}]));
        assert_eq!(
            msgs(&validate_create("", "LimitRange", &o)),
            vec!["spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: \"500m\": ratio 500m is less than 1".to_string()]
        );
    }

    #[test]
    fn limit_range_types() {
        let o = lr(
            json!([{"type": "Node"}, {"type": "PersistentVolumeClaim"}, {"type": "PersistentVolumeClaim", "max": {"storage": "1Gi"}}]),
        );
        assert_eq!(
            msgs(&validate_create("", "LimitRange", &o)),
            vec![
                "spec.limits[0].type: Invalid value: \"Node\": must be a standard limit type or fully qualified".to_string(),
                "spec.limits[1].limits: Required value: either minimum or maximum storage value is required, but neither was provided".to_string(),
                "spec.limits[2].type: Duplicate value: \"PersistentVolumeClaim\"".to_string(),
            ]
        );
    }
}
