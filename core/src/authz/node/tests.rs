//! The Node authorizer's decisions against a graph built from watch events.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::watch::{CacheEvent, EventType};

const PREFIX: &str = "/registry";

fn event(kind: EventType, collection: &str, obj: Value) -> CacheEvent {
    let ns = crate::api::namespace(&obj).to_string();
    let name = crate::api::name(&obj).to_string();
    let key = if ns.is_empty() {
        format!("{PREFIX}/{collection}/{name}")
    } else {
        format!("{PREFIX}/{collection}/{ns}/{name}")
    };
    CacheEvent {
        revision: 1,
        key: Arc::from(key.into_bytes()),
        kind,
        object: Arc::new(obj),
        prev: None,
    }
}

fn pod(name: &str, node: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {
            "nodeName": node,
            "serviceAccountName": "runner",
            "imagePullSecrets": [{"name": "pull"}],
            "containers": [{
                "name": "c",
                "env": [
                    {"name": "A", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "k"}}},
                    {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "k"}}},
                ],
                "envFrom": [{"configMapRef": {"name": "all-cm"}}],
            }],
            "volumes": [
                {"name": "s", "secret": {"secretName": "vol-secret"}},
                {"name": "p", "projected": {"sources": [{"configMap": {"name": "proj-cm"}}, {"serviceAccountToken": {"path": "t"}}]}},
                {"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
            ],
        },
    })
}

fn node_user(name: &str) -> UserInfo {
    UserInfo {
        name: format!("system:node:{name}"),
        groups: vec!["system:nodes".into(), "system:authenticated".into()],
        ..Default::default()
    }
}

struct Ask<'a> {
    verb: &'a str,
    group: &'a str,
    resource: &'a str,
    sub: &'a str,
    ns: &'a str,
    name: &'a str,
    fields: &'a str,
}

fn ask<'a>(verb: &'a str, resource: &'a str, ns: &'a str, name: &'a str) -> Ask<'a> {
    Ask {
        verb,
        group: "",
        resource,
        sub: "",
        ns,
        name,
        fields: "",
    }
}

fn decide(g: &Graph, node: &str, a: &Ask<'_>) -> Verdict {
    let attrs = Attributes {
        verb: a.verb,
        resource_request: true,
        group: a.group,
        resource: a.resource,
        subresource: a.sub,
        namespace: a.ns,
        name: a.name,
        path: "",
        field_selector: a.fields,
        api_version: "v1",
    };
    NodeAuthorizer::new().decide(node, &attrs, g)
}

fn allowed(v: &Verdict) -> bool {
    matches!(v, Verdict::Allow(_))
}

#[test]
fn a_node_reads_what_its_pods_use_and_nothing_else() {
    let mut g = Graph::default();
    g.observe(PREFIX, &[event(EventType::Added, "pods", pod("web", "n1"))]);
    for (resource, name) in [
        ("secrets", "pull"),
        ("secrets", "env-secret"),
        ("secrets", "vol-secret"),
        ("configmaps", "env-cm"),
        ("configmaps", "all-cm"),
        ("configmaps", "proj-cm"),
        ("persistentvolumeclaims", "data"),
        ("persistentvolumeclaims", "web-e"),
    ] {
        assert!(
            allowed(&decide(&g, "n1", &ask("get", resource, "ns", name))),
            "{resource}/{name}"
        );
        assert_eq!(
            decide(&g, "n2", &ask("get", resource, "ns", name)),
            Verdict::NoOpinion("no relationship found between node 'n2' and this object".into()),
            "{resource}/{name} from another node"
        );
    }
    // A single-object watch names its object; a plain list does not.
    assert!(allowed(&decide(&g, "n1", &ask("watch", "secrets", "ns", "pull"))));
    assert_eq!(
        decide(&g, "n1", &ask("list", "secrets", "ns", "")),
        Verdict::NoOpinion("No Object name found".into())
    );
    assert_eq!(
        decide(&g, "n1", &ask("delete", "secrets", "ns", "pull")),
        Verdict::NoOpinion("can only read resources of this type".into())
    );
    assert_eq!(
        decide(&g, "n1", &ask("get", "secrets", "other", "pull")),
        Verdict::NoOpinion("no relationship found between node 'n1' and this object".into())
    );
    assert_eq!(
        decide(&g, "n1", &ask("list", "persistentvolumeclaims", "ns", "data")),
        Verdict::NoOpinion("can only get individual resources of this type".into())
    );
    // Tokens for the pods' service account only.
    let token = Ask {
        sub: "token",
        ..ask("create", "serviceaccounts", "ns", "runner")
    };
    assert!(allowed(&decide(&g, "n1", &token)));
    let other = Ask {
        name: "admin",
        ..token
    };
    assert!(!allowed(&decide(&g, "n1", &other)));

    // Deleting the pod takes it all away.
    g.observe(PREFIX, &[event(EventType::Deleted, "pods", pod("web", "n1"))]);
    assert!(!allowed(&decide(&g, "n1", &ask("get", "secrets", "ns", "pull"))));
}

#[test]
fn volumes_reach_the_node_through_their_claims() {
    let mut g = Graph::default();
    let pv = json!({"metadata": {"name": "pv1"}, "spec": {
        "claimRef": {"namespace": "ns", "name": "data"},
        "csi": {"driver": "d", "volumeHandle": "h", "nodePublishSecretRef": {"namespace": "ns", "name": "csi-secret"},
                "controllerPublishSecretRef": {"namespace": "ns", "name": "controller-secret"}},
    }});
    g.observe(
        PREFIX,
        &[
            event(EventType::Added, "persistentvolumes", pv),
            event(EventType::Added, "pods", pod("web", "n1")),
            event(
                EventType::Added,
                "volumeattachments",
                json!({"metadata": {"name": "va1"}, "spec": {"nodeName": "n1"}}),
            ),
        ],
    );
    assert!(allowed(&decide(
        &g,
        "n1",
        &ask("get", "persistentvolumes", "", "pv1")
    )));
    assert!(!allowed(&decide(
        &g,
        "n2",
        &ask("get", "persistentvolumes", "", "pv1")
    )));
    assert!(allowed(&decide(
        &g,
        "n1",
        &ask("get", "secrets", "ns", "csi-secret")
    )));
    assert!(!allowed(&decide(
        &g,
        "n1",
        &ask("get", "secrets", "ns", "controller-secret")
    )));
    let va = Ask {
        group: "storage.k8s.io",
        ..ask("get", "volumeattachments", "", "va1")
    };
    assert!(allowed(&decide(&g, "n1", &va)));
    assert!(!allowed(&decide(&g, "n2", &va)));
}

#[test]
fn pods_nodes_leases_and_the_static_rules() {
    let mut g = Graph::default();
    let mut mirror = pod("static", "n1");
    mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "x"});
    g.observe(
        PREFIX,
        &[
            event(EventType::Added, "pods", mirror),
            event(EventType::Added, "pods", pod("web", "n1")),
        ],
    );
    // A mirror pod reaches its node and nothing else.
    assert!(allowed(&decide(&g, "n1", &ask("get", "pods", "ns", "static"))));
    assert!(allowed(&decide(&g, "n1", &ask("get", "pods", "ns", "web"))));
    assert!(!allowed(&decide(&g, "n2", &ask("get", "pods", "ns", "web"))));
    let own = Ask {
        fields: "spec.nodeName=n1",
        ..ask("watch", "pods", "", "")
    };
    assert!(allowed(&decide(&g, "n1", &own)));
    assert_eq!(
        decide(&g, "n2", &own),
        Verdict::NoOpinion("can only list/watch pods with spec.nodeName field selector".into())
    );
    assert_eq!(
        decide(&g, "n1", &ask("update", "pods", "ns", "web")),
        Verdict::NoOpinion(String::new())
    );
    let status = Ask {
        sub: "status",
        ..ask("patch", "pods", "ns", "web")
    };
    assert!(allowed(&decide(&g, "n1", &status)));

    assert!(allowed(&decide(&g, "n1", &ask("get", "nodes", "", "n1"))));
    assert_eq!(
        decide(&g, "n1", &ask("get", "nodes", "", "n2")),
        Verdict::NoOpinion("node 'n1' cannot read 'n2', only its own Node object".into())
    );
    assert_eq!(
        decide(&g, "n1", &ask("list", "nodes", "", "")),
        Verdict::NoOpinion("node 'n1' cannot read all nodes, only its own Node object".into())
    );

    let lease = |name| Ask {
        group: "coordination.k8s.io",
        ..ask("update", "leases", "kube-node-lease", name)
    };
    assert!(allowed(&decide(&g, "n1", &lease("n1"))));
    assert_eq!(
        decide(&g, "n1", &lease("n2")),
        Verdict::NoOpinion("can only access node lease with the same name as the requesting node".into())
    );
    let elsewhere = Ask {
        ns: "default",
        ..lease("n1")
    };
    assert_eq!(
        decide(&g, "n1", &elsewhere),
        Verdict::NoOpinion("can only access leases in the \"kube-node-lease\" system namespace".into())
    );

    // The rest as the system:node role says.
    assert!(allowed(&decide(&g, "n1", &ask("list", "services", "", ""))));
    assert!(allowed(&decide(&g, "n1", &ask("create", "events", "ns", ""))));
    assert!(!allowed(&decide(&g, "n1", &ask("delete", "services", "ns", "x"))));
}

#[test]
fn only_nodes_are_judged() {
    let node = NodeAuthorizer::new();
    assert_eq!(node_identity(&node_user("n1")), Some("n1"));
    let not_in_group = UserInfo {
        name: "system:node:n1".into(),
        ..Default::default()
    };
    assert_eq!(node_identity(&not_in_group), None);
    assert_eq!(node_identity(&node_user("")), Some(""));
    assert!(!node.rules.is_empty(), "the system:node rules are kube's");
}
