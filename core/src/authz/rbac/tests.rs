//! The indexed authorizer against a direct reading of kube's rules, and its wording.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::watch::{CacheEvent, EventType};

const PREFIX: &str = "/registry";

fn event(kind: EventType, collection: &str, obj: &Value) -> CacheEvent {
    let ns = api::namespace(obj);
    let name = api::name(obj);
    let key = if ns.is_empty() {
        format!("{PREFIX}/{collection}/{name}")
    } else {
        format!("{PREFIX}/{collection}/{ns}/{name}")
    };
    CacheEvent {
        revision: 1,
        key: Arc::from(key.into_bytes()),
        kind,
        object: Arc::new(obj.clone()),
        prev: None,
    }
}

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    }
}

fn attrs<'a>(verb: &'a str, resource: &'a str, namespace: &'a str) -> Attributes<'a> {
    Attributes {
        verb,
        resource_request: true,
        group: "",
        resource,
        subresource: "",
        namespace,
        name: "",
        path: "",
        field_selector: "",
        api_version: "",
    }
}

fn index(objects: &[(&str, Value)]) -> Rbac {
    let mut rbac = Rbac::default();
    let events: Vec<CacheEvent> = objects
        .iter()
        .map(|(c, o)| event(EventType::Added, c, o))
        .collect();
    rbac.observe(PREFIX, &events);
    rbac
}

#[test]
fn role_bindings_grant_only_their_namespace_cluster_bindings_everywhere() {
    let rbac = index(&[
        (
            "roles",
            json!({"metadata": {"name": "reader", "namespace": "a"}, "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]}),
        ),
        (
            "rolebindings",
            json!({"metadata": {"name": "rb", "namespace": "a"}, "roleRef": {"kind": "Role", "name": "reader", "apiGroup": "rbac.authorization.k8s.io"}, "subjects": [{"kind": "User", "name": "alice"}]}),
        ),
        (
            "clusterroles",
            json!({"metadata": {"name": "nodes"}, "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["nodes"]}]}),
        ),
        (
            "clusterrolebindings",
            json!({"metadata": {"name": "crb"}, "roleRef": {"kind": "ClusterRole", "name": "nodes"}, "subjects": [{"kind": "Group", "name": "ops"}]}),
        ),
        (
            "rolebindings",
            json!({"metadata": {"name": "sa", "namespace": "b"}, "roleRef": {"kind": "ClusterRole", "name": "nodes"}, "subjects": [{"kind": "ServiceAccount", "name": "bot"}]}),
        ),
    ]);
    let alice = user("alice", &["system:authenticated"]);
    assert_eq!(
        rbac.authorize(&alice, &attrs("list", "pods", "a")),
        Ok(r#"RBAC: allowed by RoleBinding "rb/a" of Role "reader" to User "alice""#.into())
    );
    assert!(rbac.authorize(&alice, &attrs("list", "pods", "b")).is_err());
    assert!(
        rbac.authorize(&alice, &attrs("list", "pods", "")).is_err(),
        "all namespaces is not one"
    );
    let bob = user("bob", &["ops"]);
    assert_eq!(
        rbac.authorize(&bob, &attrs("list", "nodes", "")),
        Ok(r#"RBAC: allowed by ClusterRoleBinding "crb" of ClusterRole "nodes" to Group "ops""#.into())
    );
    assert!(rbac.authorize(&bob, &attrs("list", "nodes", "x")).is_ok());
    let bot = user("system:serviceaccount:b:bot", &["system:serviceaccounts"]);
    assert_eq!(
        rbac.authorize(&bot, &attrs("list", "nodes", "b")),
        Ok(r#"RBAC: allowed by RoleBinding "sa/b" of ClusterRole "nodes" to ServiceAccount "bot/b""#.into())
    );
    assert!(rbac.authorize(&bot, &attrs("list", "nodes", "")).is_err());
}

#[test]
fn missing_roles_are_the_reason() {
    let mut rbac = index(&[
        (
            "clusterrolebindings",
            json!({"metadata": {"name": "x"}, "roleRef": {"kind": "ClusterRole", "name": "gone"}, "subjects": [{"kind": "User", "name": "u"}]}),
        ),
        (
            "rolebindings",
            json!({"metadata": {"name": "y", "namespace": "n"}, "roleRef": {"kind": "Role", "name": "lost"}, "subjects": [{"kind": "User", "name": "u"}]}),
        ),
    ]);
    let u = user("u", &[]);
    assert_eq!(
        rbac.authorize(&u, &attrs("get", "pods", "")),
        Err(r#"RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found"#.into())
    );
    assert_eq!(
        rbac.authorize(&u, &attrs("get", "pods", "n")),
        Err(r#"RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "lost" not found]"#.into())
    );
    // The role appears: the binding now grants it.
    rbac.observe(
        PREFIX,
        &[event(
            EventType::Added,
            "clusterroles",
            &json!({"metadata": {"name": "gone"}, "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}),
        )],
    );
    assert!(rbac.authorize(&u, &attrs("get", "pods", "")).is_ok());
    let (rules, errors) = rbac.rules_for(&u, "n", true);
    assert_eq!(rules.len(), 1);
    assert_eq!(errors, [r#"roles.rbac.authorization.k8s.io "lost" not found"#]);
}

// ---- the property: the index decides as a direct scan of every binding does ----

/// kube's subject matching, read directly from a binding.
fn applies(binding: &Value, user: &UserInfo, binding_ns: &str) -> bool {
    binding["subjects"].as_array().into_iter().flatten().any(|s| {
        let name = s["name"].as_str().unwrap_or("");
        match s["kind"].as_str().unwrap_or("") {
            "User" => user.name == name,
            "Group" => user.groups.iter().any(|g| g == name),
            "ServiceAccount" => {
                let ns = s["namespace"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(binding_ns);
                !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{name}")
            }
            _ => false,
        }
    })
}

type Store = BTreeMap<(String, String, String), Value>;

fn scan(store: &Store, user: &UserInfo, a: &Attributes<'_>) -> bool {
    let role_rules = |kind: &str, ns: &str, name: &str| -> Vec<PolicyRule> {
        let key = match kind {
            "ClusterRole" => ("clusterroles".to_string(), String::new(), name.to_string()),
            _ => ("roles".to_string(), ns.to_string(), name.to_string()),
        };
        store.get(&key).map(PolicyRule::all_of).unwrap_or_default()
    };
    store.iter().any(|((collection, ns, _), b)| {
        let applies_here = match collection.as_str() {
            "clusterrolebindings" => applies(b, user, ""),
            "rolebindings" => !a.namespace.is_empty() && ns == a.namespace && applies(b, user, ns),
            _ => false,
        };
        applies_here && {
            let kind = b["roleRef"]["kind"].as_str().unwrap_or("");
            let name = b["roleRef"]["name"].as_str().unwrap_or("");
            let ns = if collection == "rolebindings" {
                ns.as_str()
            } else {
                ""
            };
            if collection == "clusterrolebindings" && kind == "Role" {
                false
            } else {
                role_rules(kind, ns, name).iter().any(|r| r.allows(a))
            }
        }
    })
}

const WORDS: &[&str] = &["a", "b", "*"];

fn pick(from: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(from), 0..3)
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn rule() -> impl Strategy<Value = Value> {
    (
        pick(&["get", "list", "*"]),
        pick(&["", "apps", "*"]),
        pick(&["pods", "pods/log", "*/log", "*", "nodes"]),
        pick(WORDS),
        pick(&["/healthz", "/api/*", "*"]),
    )
        .prop_map(|(v, g, r, n, u)| json!({"verbs": v, "apiGroups": g, "resources": r, "resourceNames": n, "nonResourceURLs": u}))
}

/// One write to the store: a role or binding put, or removed.
fn op() -> impl Strategy<Value = (bool, String, String, String, Value)> {
    let ns = prop::sample::select(vec!["x", "y"]);
    let name = prop::sample::select(vec!["r1", "r2"]);
    let subject = (
        prop::sample::select(vec!["User", "Group", "ServiceAccount", "Other"]),
        prop::sample::select(vec!["alice", "g1", "bot"]),
        prop::sample::select(vec!["", "x", "y"]),
    )
        .prop_map(|(k, n, ns)| json!({"kind": k, "name": n, "namespace": ns}));
    (
        any::<bool>(),
        prop::sample::select(vec![
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        ]),
        ns,
        name,
        prop::collection::vec(rule(), 0..3),
        prop::sample::select(vec!["Role", "ClusterRole"]),
        prop::collection::vec(subject, 0..3),
    )
        .prop_map(|(delete, collection, ns, name, rules, ref_kind, subjects)| {
            let cluster = collection.starts_with("cluster");
            let ns = if cluster { "" } else { ns };
            let mut meta = json!({"name": name});
            if !ns.is_empty() {
                meta["namespace"] = json!(ns);
            }
            let obj = if collection.ends_with("roles") {
                json!({"metadata": meta, "rules": rules})
            } else {
                json!({"metadata": meta, "roleRef": {"kind": ref_kind, "name": name}, "subjects": subjects})
            };
            (
                delete,
                collection.to_string(),
                ns.to_string(),
                name.to_string(),
                obj,
            )
        })
}

fn request() -> impl Strategy<
    Value = (
        String,
        Vec<String>,
        String,
        String,
        String,
        String,
        String,
        bool,
        String,
    ),
> {
    (
        prop::sample::select(vec![
            "alice",
            "system:serviceaccount:x:bot",
            "system:serviceaccount:y:bot",
            "carol",
        ]),
        pick(&["g1", "g2"]),
        prop::sample::select(vec!["get", "list", "delete"]),
        prop::sample::select(vec!["", "apps"]),
        prop::sample::select(vec!["pods", "nodes"]),
        prop::sample::select(vec!["", "log"]),
        prop::sample::select(vec!["", "x", "y"]),
        any::<bool>(),
        prop::sample::select(vec!["", "a", "b"]),
    )
        .prop_map(|(u, g, v, gr, r, s, ns, res, n)| {
            (
                u.into(),
                g,
                v.into(),
                gr.into(),
                r.into(),
                s.into(),
                ns.into(),
                res,
                n.into(),
            )
        })
}

proptest! {
    #[test]
    fn the_index_decides_as_a_scan_of_every_binding(
        ops in prop::collection::vec(op(), 0..40),
        requests in prop::collection::vec(request(), 1..20),
    ) {
        let mut rbac = Rbac::default();
        let mut store = Store::new();
        for (delete, collection, ns, name, obj) in ops {
            let key = (collection.clone(), ns, name);
            let kind = if delete {
                if store.remove(&key).is_none() {
                    continue;
                }
                EventType::Deleted
            } else if store.insert(key, obj.clone()).is_some() {
                EventType::Modified
            } else {
                EventType::Added
            };
            rbac.observe(PREFIX, &[event(kind, &collection, &obj)]);
        }
        for (name, groups, verb, group, resource, sub, ns, resource_request, object) in &requests {
            let u = UserInfo { name: name.clone(), groups: groups.clone(), ..Default::default() };
            let path = format!("/api/{object}");
            let a = Attributes {
                verb,
                resource_request: *resource_request,
                group,
                resource,
                subresource: sub,
                namespace: ns,
                name: object,
                path: if *resource_request { "" } else if object.is_empty() { "/healthz" } else { &path },
                field_selector: "",
                api_version: "",
            };
            prop_assert_eq!(rbac.authorize(&u, &a).is_ok(), scan(&store, &u, &a), "{:?} {:?}", u, a);
        }
    }
}
