//! Whether a webhook is called for a request, as kube's `ShouldCallHook` decides: the
//! namespace selector, the object selector, the rules (and, under `matchPolicy:
//! Equivalent`, the rules against the other versions of the same resource), then the match
//! conditions. A request a webhook's selectors do not select is never refused for a failure
//! to read what the selectors look at.

use serde_json::Value;

use super::conditions::{self, Programs};
use super::hooks::{Hook, Rule};
use crate::admission::{Operation, Request};
use crate::api::ApiError;
use crate::selectors::LabelSelector;
use crate::server::effect::Lookups;

/// The resource a webhook is called for: the request's, or an equivalent one the webhook's
/// rules name (the object is then sent in that version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// API group.
    pub group: String,
    /// Version.
    pub version: String,
    /// Resource (plural).
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Kind.
    pub kind: String,
}

impl Invocation {
    /// The request's own resource.
    pub fn of(request: &Request) -> Self {
        Invocation {
            group: request.group.to_string(),
            version: request.version.to_string(),
            resource: request.resource.to_string(),
            subresource: request.subresource.clone(),
            kind: request.kind.to_string(),
        }
    }

    /// `group/version`, or `version` in the core group.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// What a rule looks at of a request.
struct Attrs<'a> {
    operation: Operation,
    group: &'a str,
    version: &'a str,
    resource: &'a str,
    subresource: &'a str,
    namespace: &'a str,
}

fn exact_or_wildcard(items: &[String], requested: &str) -> bool {
    items.iter().any(|i| i == "*" || i == requested)
}

fn rule_matches(rule: &Rule, a: &Attrs<'_>) -> bool {
    let is_namespace = a.group.is_empty() && a.version == "v1" && a.resource == "namespaces";
    let scope = match rule.scope.as_str() {
        "" | "*" => true,
        "Namespaced" => !is_namespace && !a.namespace.is_empty(),
        "Cluster" => is_namespace || a.namespace.is_empty(),
        _ => false,
    };
    let operation = rule
        .operations
        .iter()
        .any(|o| o == "*" || o == a.operation.as_str());
    let resource = rule.resources.iter().any(|r| {
        let (res, sub) = r.split_once('/').unwrap_or((r.as_str(), ""));
        (res == "*" || res == a.resource) && (sub == "*" || sub == a.subresource)
    });
    scope
        && operation
        && exact_or_wildcard(&rule.api_groups, a.group)
        && exact_or_wildcard(&rule.api_versions, a.version)
        && resource
}

/// Whether a `RuleWithOperations` object matches the request's own resource (policies'
/// rules are webhooks' rules).
pub(crate) fn rule_matches_request(rule: &Value, request: &Request) -> bool {
    let attrs = Attrs {
        operation: request.operation,
        group: &request.group,
        version: &request.version,
        resource: &request.resource,
        subresource: &request.subresource,
        namespace: &request.namespace,
    };
    rule_matches(&super::hooks::rule(rule), &attrs)
}

/// The other (group, version, resource, kind) under which the request's resource is served:
/// built-ins stored in the same place (autoscaling v1 and v2 HorizontalPodAutoscalers, core
/// and events.k8s.io Events), and the other served versions of a custom resource.
fn equivalents(request: &Request, cx: &Lookups<'_>) -> Vec<(String, String, String, String)> {
    let builtins = crate::registry::builtin();
    let own = builtins
        .iter()
        .find(|d| d.group == request.group && d.version == request.version && d.resource == request.resource);
    if let Some(own) = own {
        return builtins
            .iter()
            .filter(|d| d.is_stored() && d.storage == own.storage && !std::ptr::eq(*d, own))
            .map(|d| {
                (
                    d.group.to_string(),
                    d.version.to_string(),
                    d.resource.to_string(),
                    d.kind.to_string(),
                )
            })
            .collect();
    }
    // A custom resource: its definition names the versions served.
    let Some(crds) = crate::registry::find("apiextensions.k8s.io", "v1", "customresourcedefinitions") else {
        return Vec::new();
    };
    let key = crate::registry::object_key(
        cx.prefix,
        crds,
        "",
        &format!("{}.{}", request.resource, request.group),
    );
    let Some(crd) = cx.caches.for_key(&key).get(&key) else {
        return Vec::new();
    };
    // Only a definition that converts by changing apiVersion alone is converted here.
    let strategy = crd
        .pointer("/spec/conversion/strategy")
        .and_then(Value::as_str)
        .unwrap_or("None");
    if strategy != "None" {
        return Vec::new();
    }
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .filter(|v| *v != request.version)
        .map(|v| {
            (
                request.group.to_string(),
                v.to_string(),
                request.resource.to_string(),
                request.kind.to_string(),
            )
        })
        .collect()
}

/// Converts `obj` (in the request's version) to the invocation's version.
pub fn convert(request: &Request, to: &Invocation, obj: &Value) -> Result<Value, ApiError> {
    convert_between(
        &request.kind,
        &api_version(&request.group, &request.version),
        &to.api_version(),
        obj,
    )
}

/// Converts `obj` of `kind` from one apiVersion to another: built-ins through the
/// conversion module, custom resources (strategy None) by their apiVersion alone.
pub fn convert_between(kind: &str, from: &str, to: &str, obj: &Value) -> Result<Value, ApiError> {
    if from == to {
        return Ok(obj.clone());
    }
    if crate::conversion::can_convert(kind, from, to) {
        return crate::conversion::convert_api_version(kind, from, to, obj)
            .map_err(|e| ApiError::internal(e.to_string()));
    }
    if crate::registry::builtin().iter().any(|d| d.kind == kind) {
        return Err(ApiError::internal(format!(
            "unable to convert {kind} from {from} to {to}"
        )));
    }
    let mut out = obj.clone();
    if let Some(m) = out.as_object_mut() {
        m.insert("apiVersion".into(), Value::from(to));
    }
    Ok(out)
}

/// The labels of the request's namespace, as the namespace selector sees them: a
/// namespace's own (being written) labels, else the namespace object's from the cache.
fn namespace_labels(request: &Request, cx: &Lookups<'_>) -> Result<Option<Value>, ApiError> {
    let is_namespace = request.group.is_empty() && request.resource == "namespaces";
    if is_namespace
        && request.subresource.is_empty()
        && matches!(request.operation, Operation::Create | Operation::Update)
    {
        let labels = request
            .object
            .as_ref()
            .and_then(|o| o.pointer("/metadata/labels"));
        return Ok(labels.cloned());
    }
    let name = if is_namespace && request.namespace.is_empty() {
        request.name.as_str()
    } else {
        request.namespace.as_str()
    };
    let key = cx.core_key("namespaces", "", name);
    match cx.caches.for_key(&key).get(&key) {
        Some(ns) => Ok(ns.pointer("/metadata/labels").cloned()),
        None => Err(ApiError::not_found("", "namespaces", name)),
    }
}

/// Whether the namespace selector selects the request: `Err` when the namespace cannot be
/// read (decided only if the rules match).
fn namespace_matches(hook: &Hook, request: &Request, cx: &Lookups<'_>) -> Result<bool, ApiError> {
    let is_namespace = request.group.is_empty() && request.resource == "namespaces";
    if request.namespace.is_empty() && !is_namespace {
        // A cluster-scoped resource other than a namespace is never exempted.
        return Ok(true);
    }
    let selector = parse_selector(&hook.namespace_selector)?;
    if selector.is_empty() {
        return Ok(true);
    }
    let labels = namespace_labels(request, cx)?;
    Ok(selector.matches(labels.as_ref()))
}

fn parse_selector(v: &Value) -> Result<LabelSelector, ApiError> {
    if v.is_null() {
        return Ok(LabelSelector::everything());
    }
    LabelSelector::from_label_selector_json(v).map_err(|e| ApiError::internal(e.to_string()))
}

/// Whether the object selector selects the new or the old object.
fn object_matches(hook: &Hook, request: &Request) -> Result<bool, ApiError> {
    let selector = parse_selector(&hook.object_selector)?;
    if selector.is_empty() {
        return Ok(true);
    }
    let selects = |o: &Option<Value>| {
        o.as_ref()
            .is_some_and(|o| selector.matches(o.pointer("/metadata/labels")))
    };
    Ok(selects(&request.object) || selects(&request.old_object))
}

/// Whether `hook` is called for `request`: `Ok(None)` when not, the invocation when it is,
/// `Err` for the refusal kube answers (an unreadable namespace, match conditions that fail
/// under `failurePolicy: Fail`).
pub fn should_call(
    hook: &Hook,
    request: &Request,
    cx: &Lookups<'_>,
    programs: &Programs,
) -> Result<Option<Invocation>, ApiError> {
    let ns = namespace_matches(hook, request, cx);
    if matches!(ns, Ok(false)) {
        return Ok(None);
    }
    let obj = object_matches(hook, request);
    if matches!(obj, Ok(false)) {
        return Ok(None);
    }
    let attrs = Attrs {
        operation: request.operation,
        group: &request.group,
        version: &request.version,
        resource: &request.resource,
        subresource: &request.subresource,
        namespace: &request.namespace,
    };
    let mut invocation = hook
        .rules
        .iter()
        .any(|r| rule_matches(r, &attrs))
        .then(|| Invocation::of(request));
    if invocation.is_none() && hook.equivalent {
        let others = equivalents(request, cx);
        'rules: for rule in &hook.rules {
            for (group, version, resource, kind) in &others {
                let a = Attrs {
                    group,
                    version,
                    resource,
                    ..attrs
                };
                if rule_matches(rule, &a) {
                    let kind = if request.subresource.is_empty() {
                        kind.clone()
                    } else {
                        request.kind.to_string()
                    };
                    invocation = Some(Invocation {
                        group: group.clone(),
                        version: version.clone(),
                        resource: resource.clone(),
                        subresource: request.subresource.clone(),
                        kind,
                    });
                    break 'rules;
                }
            }
        }
    }
    let Some(invocation) = invocation else {
        return Ok(None);
    };
    ns?;
    obj?;
    if hook.conditions.is_empty() {
        return Ok(Some(invocation));
    }
    match conditions::matches(hook, request, &invocation, programs) {
        conditions::Outcome::Match => Ok(Some(invocation)),
        conditions::Outcome::Skip => Ok(None),
        conditions::Outcome::Failed(why) => Err(request.forbidden(&why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(ops: &[&str], groups: &[&str], versions: &[&str], resources: &[&str], scope: &str) -> Rule {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Rule {
            operations: s(ops),
            api_groups: s(groups),
            api_versions: s(versions),
            resources: s(resources),
            scope: scope.into(),
        }
    }

    fn attrs<'a>(op: Operation, group: &'a str, resource: &'a str, sub: &'a str, ns: &'a str) -> Attrs<'a> {
        Attrs {
            operation: op,
            group,
            version: "v1",
            resource,
            subresource: sub,
            namespace: ns,
        }
    }

    #[test]
    fn rules_as_kube_matches_them() {
        let pods = rule(&["CREATE"], &[""], &["v1"], &["pods"], "*");
        assert!(rule_matches(
            &pods,
            &attrs(Operation::Create, "", "pods", "", "a")
        ));
        assert!(!rule_matches(
            &pods,
            &attrs(Operation::Update, "", "pods", "", "a")
        ));
        assert!(!rule_matches(
            &pods,
            &attrs(Operation::Create, "", "pods", "status", "a")
        ));
        assert!(!rule_matches(
            &pods,
            &attrs(Operation::Create, "apps", "pods", "", "a")
        ));
        let all = rule(&["*"], &["*"], &["*"], &["*/*"], "*");
        assert!(rule_matches(
            &all,
            &attrs(Operation::Delete, "apps", "deployments", "scale", "a")
        ));
        let top = rule(&["*"], &["*"], &["*"], &["*"], "*");
        assert!(!rule_matches(
            &top,
            &attrs(Operation::Update, "", "pods", "status", "a")
        ));
        let status = rule(&["UPDATE"], &[""], &["v1"], &["pods/status"], "*");
        assert!(rule_matches(
            &status,
            &attrs(Operation::Update, "", "pods", "status", "a")
        ));
        assert!(!rule_matches(
            &status,
            &attrs(Operation::Update, "", "pods", "", "a")
        ));
        let any_sub = rule(&["*"], &[""], &["v1"], &["pods/*"], "*");
        assert!(rule_matches(
            &any_sub,
            &attrs(Operation::Update, "", "pods", "", "a")
        ));
        assert!(rule_matches(
            &any_sub,
            &attrs(Operation::Update, "", "pods", "exec", "a")
        ));
    }

    #[test]
    fn scopes() {
        let ns = rule(&["*"], &["*"], &["*"], &["*"], "Namespaced");
        let cl = rule(&["*"], &["*"], &["*"], &["*"], "Cluster");
        let pod = attrs(Operation::Create, "", "pods", "", "a");
        let node = attrs(Operation::Create, "", "nodes", "", "");
        let namespace = attrs(Operation::Delete, "", "namespaces", "", "a");
        assert!(rule_matches(&ns, &pod) && !rule_matches(&cl, &pod));
        assert!(!rule_matches(&ns, &node) && rule_matches(&cl, &node));
        assert!(!rule_matches(&ns, &namespace) && rule_matches(&cl, &namespace));
    }

    #[test]
    fn custom_resources_convert_by_api_version() {
        let obj = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget"});
        let got = convert_between("Widget", "example.com/v1", "example.com/v2", &obj).unwrap();
        assert_eq!(got["apiVersion"], "example.com/v2");
        assert_eq!(convert_between("Pod", "v1", "v2", &obj).unwrap_err().code, 500);
    }
}
