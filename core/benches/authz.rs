//! What an RBAC decision costs with 10,000 roles and bindings stored, side by side in one
//! run with the `system:masters` check every request passes first and with a direct scan
//! of every binding (what the index by subject saves). Prints a Markdown table; checks
//! nothing.
//!
//! `cargo bench -p gatehouse-core --bench authz`

// A benchmark reads the clock; the core's own code may not (core/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_core::authn::UserInfo;
use gatehouse_core::authz::rbac::{PolicyRule, Rbac};
use gatehouse_core::authz::{Attributes, PRIVILEGED_GROUP};
use gatehouse_core::watch::{CacheEvent, EventType};
use serde_json::{json, Value};

const NAMESPACES: usize = 250;
/// Of each kind: Roles, RoleBindings, ClusterRoles, ClusterRoleBindings.
const EACH: usize = 2_500;

fn event(collection: &str, obj: Value) -> CacheEvent {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("").to_string();
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let key = if ns.is_empty() {
        format!("/registry/{collection}/{name}")
    } else {
        format!("/registry/{collection}/{ns}/{name}")
    };
    CacheEvent {
        revision: 1,
        key: Arc::from(key.into_bytes()),
        kind: EventType::Added,
        object: Arc::new(obj),
        prev: None,
    }
}

fn rules(i: usize) -> Value {
    json!([
        {"verbs": ["get", "list", "watch"], "apiGroups": ["", "apps"], "resources": [format!("things{i}"), "pods", "deployments/scale"]},
        {"verbs": ["create"], "apiGroups": ["example.com"], "resources": [format!("widgets{i}")], "resourceNames": ["a", "b"]},
    ])
}

/// 10,000 objects: per namespace roles bound to users `user-<i>`, cluster roles bound to
/// users and to groups `team-<i % 50>`.
fn objects() -> Vec<CacheEvent> {
    let mut out = Vec::new();
    for i in 0..EACH {
        let ns = format!("ns-{}", i % NAMESPACES);
        out.push(event(
            "roles",
            json!({"metadata": {"name": format!("role-{i}"), "namespace": ns}, "rules": rules(i)}),
        ));
        out.push(event(
            "rolebindings",
            json!({"metadata": {"name": format!("rb-{i}"), "namespace": ns},
                   "roleRef": {"kind": "Role", "name": format!("role-{i}")},
                   "subjects": [{"kind": "User", "name": format!("user-{i}")}, {"kind": "ServiceAccount", "name": format!("sa-{i}")}]}),
        ));
        out.push(event(
            "clusterroles",
            json!({"metadata": {"name": format!("cr-{i}")}, "rules": rules(i)}),
        ));
        out.push(event(
            "clusterrolebindings",
            json!({"metadata": {"name": format!("crb-{i}")},
                   "roleRef": {"kind": "ClusterRole", "name": format!("cr-{i}")},
                   "subjects": [{"kind": "User", "name": format!("cluster-user-{i}")}, {"kind": "Group", "name": format!("team-{}", i % 50)}]}),
        ));
    }
    out
}

/// The baseline without an index: every binding of the store read for every decision.
struct Scan {
    bindings: Vec<(String, Value)>,
    roles: std::collections::HashMap<(String, String, String), Vec<PolicyRule>>,
}

impl Scan {
    fn new(events: &[CacheEvent]) -> Scan {
        let mut bindings = Vec::new();
        let mut roles = std::collections::HashMap::new();
        for e in events {
            let key = String::from_utf8_lossy(&e.key).into_owned();
            let o = &*e.object;
            let ns = o["metadata"]["namespace"].as_str().unwrap_or("").to_string();
            let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            if key.contains("bindings/") {
                bindings.push((ns, o.clone()));
            } else {
                let kind = if ns.is_empty() { "ClusterRole" } else { "Role" };
                roles.insert((kind.to_string(), ns, name), PolicyRule::all_of(o));
            }
        }
        Scan { bindings, roles }
    }

    fn allows(&self, user: &UserInfo, a: &Attributes<'_>) -> bool {
        self.bindings.iter().any(|(ns, b)| {
            if !ns.is_empty() && ns != a.namespace {
                return false;
            }
            let applies = b["subjects"].as_array().into_iter().flatten().any(|s| {
                let name = s["name"].as_str().unwrap_or("");
                match s["kind"].as_str().unwrap_or("") {
                    "User" => user.name == name,
                    "Group" => user.in_group(name),
                    "ServiceAccount" => user.name == format!("system:serviceaccount:{ns}:{name}"),
                    _ => false,
                }
            });
            applies && {
                let kind = b["roleRef"]["kind"].as_str().unwrap_or("").to_string();
                let name = b["roleRef"]["name"].as_str().unwrap_or("").to_string();
                let rns = if kind == "Role" { ns.clone() } else { String::new() };
                self.roles
                    .get(&(kind, rns, name))
                    .is_some_and(|r| r.iter().any(|r| r.allows(a)))
            }
        })
    }
}

fn time(iterations: u32, mut f: impl FnMut() -> bool) -> (Duration, bool) {
    let mut last = false;
    for _ in 0..iterations / 10 {
        last = black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iterations {
        last = black_box(f());
    }
    (start.elapsed() / iterations, last)
}

fn main() {
    let events = objects();
    let mut rbac = Rbac::default();
    let start = Instant::now();
    rbac.observe("/registry", &events);
    let indexed_in = start.elapsed();
    let scan = Scan::new(&events);
    assert_eq!(rbac.len(), 4 * EACH);

    let user = |name: &str, groups: &[&str]| UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    };
    let get_pod = |ns: &'static str| Attributes {
        verb: "get",
        resource_request: true,
        group: "",
        resource: "pods",
        subresource: "",
        namespace: ns,
        name: "p",
        path: "",
        field_selector: "",
        api_version: "",
    };
    let masters = user("kubernetes-admin", &["system:masters", "system:authenticated"]);
    let cases: Vec<(&str, UserInfo, Attributes<'static>)> = vec![
        (
            "RoleBinding to the user, allowed",
            user("user-7", &["system:authenticated"]),
            get_pod("ns-7"),
        ),
        (
            "ClusterRoleBinding to one of 50 groups (50 bindings each), allowed",
            user("someone", &["team-3", "system:authenticated"]),
            get_pod("ns-1"),
        ),
        (
            "bound elsewhere only, refused",
            user("user-8", &["system:authenticated"]),
            get_pod("ns-9"),
        ),
        (
            "no binding at all, refused",
            user("nobody", &["system:authenticated"]),
            get_pod("ns-1"),
        ),
    ];

    println!(
        "RBAC decision with {} roles and bindings ({} namespaces); indexed in {:.1} ms\n",
        4 * EACH,
        NAMESPACES,
        indexed_in.as_secs_f64() * 1e3
    );
    println!("| request | system:masters check | RBAC, indexed | RBAC, scan of every binding | decision |");
    println!("|---|---:|---:|---:|---|");
    for (what, u, a) in &cases {
        let (m, _) = time(1_000_000, || masters.in_group(PRIVILEGED_GROUP));
        let (indexed, allowed) = time(100_000, || rbac.authorize(u, a).is_ok());
        let (scanned, scan_allowed) = time(20, || scan.allows(u, a));
        assert_eq!(allowed, scan_allowed, "{what}");
        println!(
            "| {what} | {:.3} µs | {:.2} µs | {:.0} µs | {} |",
            m.as_secs_f64() * 1e6,
            indexed.as_secs_f64() * 1e6,
            scanned.as_secs_f64() * 1e6,
            if allowed { "allowed" } else { "no opinion (403)" }
        );
    }
}
