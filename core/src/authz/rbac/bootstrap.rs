//! kube's bootstrap RBAC policy of v1.32 (the default ClusterRoles, the controller roles,
//! their bindings, and the Roles and RoleBindings of `kube-system` and `kube-public`), and
//! how start-up reconciles it with what is stored, as kube-apiserver's
//! `rbac/bootstrap-roles` hook does:
//!
//! - a missing object is created;
//! - an object annotated `rbac.authorization.kubernetes.io/autoupdate: "false"` is left
//!   alone;
//! - any other gets the expected labels and annotations it lacks (its own values win), the
//!   expected rules it does not cover (appended as kube appends them, one verb, group,
//!   resource and name each), the aggregation selectors it lacks, and the subjects it lacks.
//!   Nothing is ever removed, but an aggregationRule the policy does not have;
//! - a binding whose role changed is deleted and created again.
//!
//! The data is kube's policy as its test fixtures of v1.32 record it.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::covers::uncovered;
use super::PolicyRule;
use crate::api;

/// The annotation that says whether start-up may change an object.
pub const AUTOUPDATE: &str = "rbac.authorization.kubernetes.io/autoupdate";

/// The policy data.
const POLICY: &str = include_str!("bootstrap_policy.json");

/// kube's bootstrap policy.
#[derive(Debug, Default)]
pub struct Policy {
    /// ClusterRoles, the controller roles last.
    pub cluster_roles: Vec<Value>,
    /// ClusterRoleBindings, the controller bindings last.
    pub cluster_role_bindings: Vec<Value>,
    /// Roles of `kube-system` and `kube-public`.
    pub roles: Vec<Value>,
    /// RoleBindings of `kube-system` and `kube-public`.
    pub role_bindings: Vec<Value>,
}

/// The policy, read once.
pub fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let v: Value = serde_json::from_str(POLICY).unwrap_or(Value::Null);
        let list = |k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        Policy {
            cluster_roles: list("clusterRoles"),
            cluster_role_bindings: list("clusterRoleBindings"),
            roles: list("roles"),
            role_bindings: list("roleBindings"),
        }
    })
}

/// A write start-up owes the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// `create`, `update` or `delete`.
    pub verb: &'static str,
    /// The rbac resource (`clusterroles`, ...).
    pub resource: &'static str,
    /// The object to write (for a delete: the stored object).
    pub object: Value,
}

/// The writes that bring what is stored in line with the policy: the first list now, the
/// second once it is done (the creates of recreated bindings). `stored` finds a stored
/// object by resource, namespace and name.
pub fn reconcile(stored: impl Fn(&str, &str, &str) -> Option<Value>) -> (Vec<Write>, Vec<Write>) {
    let p = policy();
    let mut now = Vec::new();
    let mut after = Vec::new();
    for (resource, expected) in p
        .cluster_roles
        .iter()
        .map(|r| ("clusterroles", r))
        .chain(p.roles.iter().map(|r| ("roles", r)))
    {
        let existing = stored(resource, api::namespace(expected), api::name(expected));
        match existing {
            None => now.push(create(resource, expected)),
            Some(existing) => {
                if let Some(object) = reconcile_role(&existing, expected) {
                    now.push(Write {
                        verb: "update",
                        resource,
                        object,
                    });
                }
            }
        }
    }
    for (resource, expected) in p
        .cluster_role_bindings
        .iter()
        .map(|b| ("clusterrolebindings", b))
        .chain(p.role_bindings.iter().map(|b| ("rolebindings", b)))
    {
        let Some(existing) = stored(resource, api::namespace(expected), api::name(expected)) else {
            now.push(create(resource, expected));
            continue;
        };
        if is_protected(&existing) {
            continue;
        }
        if existing.get("roleRef") != expected.get("roleRef") {
            now.push(Write {
                verb: "delete",
                resource,
                object: existing,
            });
            after.push(create(resource, expected));
        } else if let Some(object) = reconcile_binding(&existing, expected) {
            now.push(Write {
                verb: "update",
                resource,
                object,
            });
        }
    }
    (now, after)
}

fn create(resource: &'static str, expected: &Value) -> Write {
    Write {
        verb: "create",
        resource,
        object: expected.clone(),
    }
}

fn is_protected(obj: &Value) -> bool {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(AUTOUPDATE))
        .and_then(Value::as_str)
        == Some("false")
}

/// `field` of metadata (labels, annotations) with the expected entries it lacks added.
fn merge_meta(result: &mut Value, expected: &Value, field: &str) {
    let wanted = api::meta(expected)
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if wanted.is_empty() {
        return;
    }
    let mut merged = api::meta(result)
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in wanted {
        merged.entry(k).or_insert(v);
    }
    api::set_meta(result, field, Value::Object(merged));
}

/// The role as start-up leaves it, or `None` when it needs no write.
fn reconcile_role(existing: &Value, expected: &Value) -> Option<Value> {
    if is_protected(existing) {
        return None;
    }
    let mut result = existing.clone();
    merge_meta(&mut result, expected, "labels");
    merge_meta(&mut result, expected, "annotations");
    let missing = uncovered(&PolicyRule::all_of(existing), &PolicyRule::all_of(expected));
    if !missing.is_empty() {
        let mut rules = existing
            .get("rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        rules.extend(missing.iter().map(PolicyRule::to_json));
        result["rules"] = Value::Array(rules);
    }
    let selectors = |o: &Value| {
        o.pointer("/aggregationRule/clusterRoleSelectors")
            .and_then(Value::as_array)
            .cloned()
    };
    match (selectors(expected), existing.get("aggregationRule")) {
        (None, Some(_)) => {
            if let Some(m) = result.as_object_mut() {
                m.remove("aggregationRule");
            }
        }
        (Some(wanted), _) => {
            let mut have = selectors(existing).unwrap_or_default();
            let before = have.len();
            for s in wanted {
                if !have.contains(&s) {
                    have.push(s);
                }
            }
            if have.len() != before || existing.get("aggregationRule").is_none() {
                let mut rule = Map::new();
                rule.insert("clusterRoleSelectors".into(), Value::Array(have));
                result["aggregationRule"] = Value::Object(rule);
            }
        }
        (None, None) => {}
    }
    (result != *existing).then_some(result)
}

/// The binding as start-up leaves it, or `None` when it needs no write.
fn reconcile_binding(existing: &Value, expected: &Value) -> Option<Value> {
    let mut result = existing.clone();
    merge_meta(&mut result, expected, "labels");
    merge_meta(&mut result, expected, "annotations");
    let mut subjects = existing
        .get("subjects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let before = subjects.len();
    for s in expected
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !subjects.contains(s) {
            subjects.push(s.clone());
        }
    }
    if subjects.len() != before {
        result["subjects"] = Value::Array(subjects);
    }
    (result != *existing).then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_policy_is_whole() {
        let p = policy();
        let names: Vec<&str> = p.cluster_roles.iter().map(api::name).collect();
        for want in [
            "cluster-admin",
            "admin",
            "edit",
            "view",
            "system:discovery",
            "system:basic-user",
            "system:public-info-viewer",
            "system:node",
            "system:node-proxier",
            "system:kube-scheduler",
            "system:kube-controller-manager",
            "system:aggregate-to-view",
            "system:auth-delegator",
            "system:heapster",
            "system:monitoring",
            "system:service-account-issuer-discovery",
            "system:volume-scheduler",
            "system:controller:namespace-controller",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        ] {
            assert!(names.contains(&want), "{want} missing");
        }
        for o in p
            .cluster_roles
            .iter()
            .chain(&p.cluster_role_bindings)
            .chain(&p.roles)
            .chain(&p.role_bindings)
        {
            assert_eq!(
                o.pointer("/metadata/annotations").and_then(|a| a.get(AUTOUPDATE)),
                Some(&json!("true")),
                "{o}"
            );
        }
        assert!(p.roles.iter().all(|r| api::namespace(r).starts_with("kube-")));
    }

    fn stored_from(objects: Vec<(&'static str, Value)>) -> impl Fn(&str, &str, &str) -> Option<Value> {
        move |resource, ns, name| {
            objects
                .iter()
                .find(|(r, o)| *r == resource && api::namespace(o) == ns && api::name(o) == name)
                .map(|(_, o)| o.clone())
        }
    }

    #[test]
    fn a_fresh_store_gets_everything_created() {
        let (now, after) = reconcile(|_, _, _| None);
        let p = policy();
        let total =
            p.cluster_roles.len() + p.cluster_role_bindings.len() + p.roles.len() + p.role_bindings.len();
        assert_eq!(now.len(), total);
        assert!(now.iter().all(|w| w.verb == "create"));
        assert!(after.is_empty());
    }

    #[test]
    fn missing_rules_and_subjects_are_added_protected_objects_kept() {
        let p = policy();
        let view = p
            .cluster_roles
            .iter()
            .find(|r| api::name(r) == "system:basic-user")
            .unwrap();
        let mut trimmed = view.clone();
        trimmed["rules"] = json!([{"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews"]}, {"verbs": ["get"], "apiGroups": ["x"], "resources": ["extra"]}]);
        trimmed["metadata"]["labels"] = json!({"mine": "yes"});
        let mut protected = trimmed.clone();
        protected["metadata"]["annotations"][AUTOUPDATE] = json!("false");

        let binding = p
            .cluster_role_bindings
            .iter()
            .find(|b| api::name(b) == "system:basic-user")
            .unwrap();
        let mut no_subjects = binding.clone();
        no_subjects["subjects"] =
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "me"}]);
        let mut rebound = binding.clone();
        rebound["roleRef"]["name"] = json!("view");

        let (now, _) = reconcile(stored_from(vec![
            ("clusterroles", trimmed.clone()),
            ("clusterrolebindings", no_subjects),
        ]));
        let role = &now
            .iter()
            .find(|w| w.verb == "update" && w.resource == "clusterroles")
            .unwrap()
            .object;
        let rules = role["rules"].as_array().unwrap();
        assert_eq!(
            rules[1],
            json!({"verbs": ["get"], "apiGroups": ["x"], "resources": ["extra"]}),
            "extras stay"
        );
        assert!(rules.len() > 2, "missing rules appended");
        assert_eq!(role["metadata"]["labels"]["mine"], "yes");
        assert_eq!(
            role["metadata"]["labels"]["kubernetes.io/bootstrapping"],
            "rbac-defaults"
        );
        let b = &now
            .iter()
            .find(|w| w.verb == "update" && w.resource == "clusterrolebindings")
            .unwrap()
            .object;
        assert_eq!(b["subjects"][0]["name"], "me");
        assert_eq!(
            b["subjects"].as_array().unwrap().len(),
            1 + binding["subjects"].as_array().unwrap().len()
        );

        let (now, after) = reconcile(stored_from(vec![
            ("clusterroles", protected),
            ("clusterrolebindings", rebound),
        ]));
        assert!(!now
            .iter()
            .any(|w| w.resource == "clusterroles" && api::name(&w.object) == "system:basic-user"));
        assert!(now
            .iter()
            .any(|w| w.verb == "delete" && api::name(&w.object) == "system:basic-user"));
        assert_eq!(after.len(), 1);
    }
}
