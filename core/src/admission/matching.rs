//! Which admission requests a policy is for, as kube's policy matcher decides: webhooks'
//! rules with resource names, exclusions, and the namespace and object label selectors.

use serde_json::{Map, Value};

use super::Request;
use crate::selectors::label::LabelSelector;

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Whether the request is for a Namespace object itself (cluster-scoped, but its own
/// namespace as far as admission goes).
fn is_namespace(r: &Request) -> bool {
    r.group.is_empty() && r.version == "v1" && r.resource == "namespaces"
}

/// The namespace admission names: a Namespace's own name for the namespace itself.
pub fn namespace_of(r: &Request) -> &str {
    if is_namespace(r) && r.namespace.is_empty() {
        &r.name
    } else {
        &r.namespace
    }
}

/// A `RuleWithOperations` against the request, as kube's rules.Matcher judges it.
pub fn rule_matches(rule: &Value, r: &Request) -> bool {
    super::webhook::matching::rule_matches_request(rule, r)
}

/// `NamedRuleWithOperations` (a rule and optional resource names).
fn named_rules_match(rules: Option<&Value>, r: &Request) -> bool {
    rules.and_then(Value::as_array).into_iter().flatten().any(|rule| {
        if !rule_matches(rule, r) {
            return false;
        }
        let names: Vec<&str> = strings(rule.get("resourceNames")).collect();
        names.is_empty() || names.contains(&r.name.as_str())
    })
}

fn selector(v: Option<&Value>) -> Result<Option<LabelSelector>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) if v.as_object().is_some_and(Map::is_empty) => Ok(None),
        Some(v) => LabelSelector::from_label_selector_json(v)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn labels(obj: Option<&Value>) -> Option<&Value> {
    obj.and_then(|o| o.pointer("/metadata/labels"))
}

/// Whether the object selector matches the new or the old object (an absent object has no
/// labels, which an empty selector matches).
pub fn object_selector_matches(sel: Option<&Value>, r: &Request) -> Result<bool, String> {
    let Some(sel) = selector(sel)? else {
        return Ok(true);
    };
    let empty = Value::Object(Map::new());
    let test = |o: Option<&Value>| o.is_some() && sel.matches(Some(labels(o).unwrap_or(&empty)));
    Ok(test(r.object.as_ref()) || test(r.old_object.as_ref()))
}

/// Whether a namespace selector needs the namespace's labels for this request (a
/// cluster-scoped request other than a Namespace always matches).
pub fn needs_namespace(sel: Option<&Value>, r: &Request) -> bool {
    !namespace_of(r).is_empty() && matches!(selector(sel), Ok(Some(_)) | Err(_))
}

/// The labels the namespace selector sees: a Namespace being created or updated offers its
/// own; otherwise those of the stored namespace `namespace`.
pub fn namespace_labels<'a>(r: &'a Request, namespace: Option<&'a Value>) -> Option<&'a Value> {
    let own = is_namespace(r)
        && r.subresource.is_empty()
        && matches!(r.operation, super::Operation::Create | super::Operation::Update);
    if own {
        labels(r.object.as_ref())
    } else {
        labels(namespace)
    }
}

/// kube's `MatchResources` of a policy or binding (`resourceRules`, `excludeResourceRules`,
/// `namespaceSelector`, `objectSelector`), given the namespace object (when the selector
/// needs it). No rules: every resource.
pub fn resources_match(m: Option<&Value>, r: &Request, namespace: Option<&Value>) -> Result<bool, String> {
    let Some(m) = m.filter(|m| m.is_object()) else {
        return Ok(true);
    };
    let ns_sel = m.get("namespaceSelector");
    if !namespace_of(r).is_empty() {
        if let Some(sel) = selector(ns_sel)? {
            let empty = Value::Object(Map::new());
            if !sel.matches(Some(namespace_labels(r, namespace).unwrap_or(&empty))) {
                return Ok(false);
            }
        }
    }
    if !object_selector_matches(m.get("objectSelector"), r)? {
        return Ok(false);
    }
    if named_rules_match(m.get("excludeResourceRules"), r) {
        return Ok(false);
    }
    let rules = m.get("resourceRules");
    Ok(rules.and_then(Value::as_array).is_none_or(Vec::is_empty) || named_rules_match(rules, r))
}

/// The admission configuration kinds no webhook or policy ever sees, so that a bad one can
/// always be removed.
pub fn is_exempt(r: &Request) -> bool {
    r.group == "admissionregistration.k8s.io"
        && matches!(
            &*r.kind,
            "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Operation;
    use serde_json::json;

    fn req(resource: &str, sub: &str, ns: &str, op: Operation) -> Request {
        Request {
            operation: op,
            group: if resource == "deployments" { "apps" } else { "" }.into(),
            version: "v1".into(),
            resource: resource.to_string().into(),
            kind: "X".into(),
            namespaced: !ns.is_empty(),
            namespace: ns.into(),
            name: "n".into(),
            subresource: sub.into(),
            user: Default::default(),
            dry_run: false,
            object: Some(json!({"metadata": {"labels": {"app": "web"}}})),
            old_object: None,
            options: Value::Null,
            warnings: Vec::new(),
            deadline_ms: None,
            seed: 0,
        }
    }

    #[test]
    fn rules_as_kube_matches_them() {
        let rule = json!({"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]});
        assert!(rule_matches(&rule, &req("pods", "", "ns", Operation::Create)));
        assert!(!rule_matches(
            &rule,
            &req("pods", "status", "ns", Operation::Create)
        ));
        assert!(!rule_matches(&rule, &req("pods", "", "ns", Operation::Update)));
        let all =
            json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]});
        assert!(rule_matches(
            &all,
            &req("deployments", "scale", "ns", Operation::Update)
        ));
        let sub =
            json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/status"]});
        assert!(!rule_matches(&sub, &req("pods", "", "ns", Operation::Update)));
        assert!(rule_matches(
            &sub,
            &req("pods", "status", "ns", Operation::Update)
        ));
        let cluster = json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "scope": "Cluster"});
        assert!(!rule_matches(&cluster, &req("pods", "", "ns", Operation::Create)));
        assert!(rule_matches(
            &cluster,
            &req("namespaces", "", "n", Operation::Create)
        ));
        let namespaced = json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "scope": "Namespaced"});
        assert!(!rule_matches(
            &namespaced,
            &req("namespaces", "", "n", Operation::Create)
        ));
    }

    #[test]
    fn match_resources_with_exclusions_names_and_selectors() {
        let m = json!({
            "resourceRules": [{"operations": ["*"], "apiGroups": ["apps"], "apiVersions": ["*"], "resources": ["deployments"]}],
            "excludeResourceRules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "resourceNames": ["skip"]}],
            "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "objectSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}
        });
        let prod = json!({"metadata": {"labels": {"env": "prod"}}});
        let dev = json!({"metadata": {"labels": {"env": "dev"}}});
        let r = req("deployments", "", "ns", Operation::Create);
        assert_eq!(resources_match(Some(&m), &r, Some(&prod)), Ok(true));
        assert_eq!(resources_match(Some(&m), &r, Some(&dev)), Ok(false));
        let mut skipped = r.clone();
        skipped.name = "skip".into();
        assert_eq!(resources_match(Some(&m), &skipped, Some(&prod)), Ok(false));
        let mut other = r.clone();
        other.object = Some(json!({"metadata": {"labels": {"app": "db"}}}));
        assert_eq!(resources_match(Some(&m), &other, Some(&prod)), Ok(false));
        assert_eq!(
            resources_match(Some(&m), &req("pods", "", "ns", Operation::Create), Some(&prod)),
            Ok(false)
        );
        assert_eq!(resources_match(None, &r, None), Ok(true));
    }
}
