//! RBAC escalation prevention, as kube's RBAC storage guards its writes: a Role or
//! ClusterRole may only be created or updated by someone who holds every permission it
//! grants (or may `escalate` it), and a binding only by someone who holds every permission
//! of the role it binds (or may `bind` that role). Setting an `aggregationRule` needs
//! cluster-admin's full authority. `system:masters` is exempt.
//!
//! It runs after the mutating admission plugins and before validation, where kube's
//! storage runs it.

use serde_json::{json, Value};

use super::covers::{compact, uncovered};
use super::PolicyRule;
use crate::admission::{Operation, Request};
use crate::api::{self, ApiError};
use crate::authn::UserInfo;
use crate::authz::{self, Attributes, Verdict, PRIVILEGED_GROUP};
use crate::server::effect::{Flow, Lookups};
use crate::validation::go_quote;

const GROUP: &str = "rbac.authorization.k8s.io";

/// Lets `request` through, or refuses it with kube's 403 when it would grant what its user
/// does not hold.
pub fn check(request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
    let guarded = &*request.group == GROUP
        && request.subresource.is_empty()
        && matches!(request.operation, Operation::Create | Operation::Update)
        && matches!(
            &*request.resource,
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
        );
    if !guarded || request.user.in_group(PRIVILEGED_GROUP) {
        return Flow::Ready(Ok(request));
    }
    let Some(obj) = request.object.as_ref() else {
        return Flow::Ready(Ok(request));
    };
    if only_gc_fields_change(obj, request.old_object.as_ref()) {
        return Flow::Ready(Ok(request));
    }
    let is_role = matches!(&*request.resource, "roles" | "clusterroles");
    let (verb, resource, name) = if is_role {
        // As the request names it: a create names no object.
        let name = match request.operation {
            Operation::Create => String::new(),
            _ => request.name.clone(),
        };
        ("escalate", request.resource.to_string(), name)
    } else {
        let role_kind = obj.pointer("/roleRef/kind").and_then(Value::as_str).unwrap_or("");
        let resource = match role_kind {
            "ClusterRole" => "clusterroles",
            "Role" => "roles",
            // An unknown kind is never authorized to bind; validation refuses it later.
            _ => "",
        };
        let role_name = obj.pointer("/roleRef/name").and_then(Value::as_str).unwrap_or("");
        ("bind", resource.to_string(), role_name.to_string())
    };
    let namespace = request.namespace.clone();
    let waived = if resource.is_empty() {
        Flow::Ready(Verdict::NoOpinion(String::new()))
    } else {
        let group = if is_role {
            GROUP.to_string()
        } else {
            obj.pointer("/roleRef/apiGroup")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let attrs = Attributes {
            verb,
            resource_request: true,
            group: &group,
            resource: &resource,
            subresource: "",
            namespace: &namespace,
            name: &name,
            path: "",
            field_selector: "",
            api_version: "*",
        };
        authz::decide(&request.user, &attrs, cx)
    };
    waived.and_then(cx, move |verdict, cx| {
        if matches!(verdict, Verdict::Allow(_)) {
            return Flow::Ready(Ok(request));
        }
        Flow::Ready(confirm(&request, is_role, cx).map(|()| request))
    })
}

/// Whether an update changes nothing but what the garbage collector sets.
fn only_gc_fields_change(obj: &Value, old: Option<&Value>) -> bool {
    let Some(old) = old else {
        return false;
    };
    let mut copy = obj.clone();
    for field in ["ownerReferences", "finalizers", "selfLink", "managedFields"] {
        match api::meta(old).and_then(|m| m.get(field)) {
            Some(v) => api::set_meta(&mut copy, field, v.clone()),
            None => {
                api::meta_mut(&mut copy).remove(field);
            }
        }
    }
    &copy == old
}

/// The user's own RBAC rules cover what the object grants, or kube's refusal.
fn confirm(request: &Request, is_role: bool, cx: &Lookups<'_>) -> Result<(), ApiError> {
    let obj = request.object.as_ref().expect("checked by the caller");
    let forbidden = |why: &str| ApiError::forbidden(GROUP, &request.resource, &request.name, why);
    let granted = if is_role {
        PolicyRule::all_of(obj)
    } else {
        bound_rules(obj, &request.namespace, cx)?
    };
    // Looked up as kube's RBAC storage looks roles up, so missing ones read in the plural.
    let (held, errors) = cx.rbac.rules_for(&request.user, &request.namespace, true);
    let missing = uncovered(&held, &granted);
    if !missing.is_empty() {
        return Err(forbidden(&not_held(&request.user, missing, &errors)));
    }
    let aggregates = |o: &Value| {
        o.pointer("/aggregationRule/clusterRoleSelectors")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty())
    };
    let aggregating = aggregates(obj) || request.old_object.as_ref().is_some_and(aggregates);
    if &*request.resource == "clusterroles" && aggregating && !uncovered(&held, &full_authority()).is_empty()
    {
        return Err(forbidden(
            "must have cluster-admin privileges to use the aggregationRule",
        ));
    }
    Ok(())
}

/// The rules of the role a binding refers to, or kube's 404 when it is not there.
fn bound_rules(binding: &Value, namespace: &str, cx: &Lookups<'_>) -> Result<Vec<PolicyRule>, ApiError> {
    let kind = binding
        .pointer("/roleRef/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = binding
        .pointer("/roleRef/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let found = match kind {
        "ClusterRole" => cx.rbac.cluster_role(name),
        "Role" => cx.rbac.role(namespace, name),
        other => {
            let why = super::Unresolved::Kind(other.to_string()).message(true);
            return Err(ApiError::internal(why));
        }
    };
    match found {
        Some(rules) => Ok(rules.to_vec()),
        None => {
            let resource = if kind == "Role" { "roles" } else { "clusterroles" };
            Err(ApiError::not_found(GROUP, resource, name))
        }
    }
}

/// Everything: what an aggregationRule needs.
fn full_authority() -> Vec<PolicyRule> {
    vec![
        PolicyRule::from_json(&json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})),
        PolicyRule::from_json(&json!({"verbs": ["*"], "nonResourceURLs": ["*"]})),
    ]
}

/// kube's refusal: the user, its groups, and each missing permission on a line of its own.
fn not_held(user: &UserInfo, missing: Vec<PolicyRule>, errors: &[String]) -> String {
    let mut lines: Vec<String> = compact(missing).iter().map(ToString::to_string).collect();
    lines.sort();
    lines.dedup();
    let groups: Vec<String> = user.groups.iter().map(|g| go_quote(g)).collect();
    let mut msg = format!(
        "user {} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
        go_quote(&user.name),
        groups.join(" "),
        lines.join("\n")
    );
    if !errors.is_empty() {
        msg.push_str(&format!("; resolution errors: [{}]", authz::aggregate(errors)));
    }
    msg
}
