use serde_json::json;

use super::*;
use crate::admission::testing::{request, user, Fixture};

fn kubelet(node: &str) -> crate::authn::UserInfo {
    user(&format!("system:node:{node}"), &["system:nodes"])
}

fn node_obj(name: &str, labels: Value) -> Value {
    json!({"metadata": {"name": name, "uid": "uid-1", "labels": labels}, "spec": {}})
}

fn run(f: &Fixture, r: Request) -> Result<Request, ApiError> {
    f.admit(&NodeRestriction, r)
}

fn message(r: Result<Request, ApiError>) -> (u16, String) {
    let e = r.expect_err("refused");
    (e.code, e.message)
}

#[test]
fn other_users_pass_and_a_nameless_node_is_refused() {
    let f = Fixture::new(vec![]);
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n2",
        user("jane", &[]),
        Some(node_obj("n2", json!({}))),
        Some(node_obj("n2", json!({}))),
    );
    assert!(run(&f, r).is_ok());
    // A node-looking name outside system:nodes is no node.
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n2",
        user("system:node:n1", &[]),
        Some(node_obj("n2", json!({}))),
        Some(node_obj("n2", json!({}))),
    );
    assert!(run(&f, r).is_ok());
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n2",
        kubelet(""),
        Some(node_obj("n2", json!({}))),
        Some(node_obj("n2", json!({}))),
    );
    assert_eq!(
        message(run(&f, r)),
        (
            403,
            "nodes \"n2\" is forbidden: could not determine node from user \"system:node:\"".into()
        )
    );
}

#[test]
fn a_node_may_modify_only_itself() {
    let f = Fixture::new(vec![]);
    let other = node_obj("n2", json!({}));
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "status",
        "",
        "n2",
        kubelet("n1"),
        Some(other.clone()),
        Some(other),
    );
    assert_eq!(
        message(run(&f, r)),
        (
            403,
            "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"".into()
        )
    );
    let own = node_obj("n1", json!({"kubernetes.io/hostname": "n1"}));
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "status",
        "",
        "n1",
        kubelet("n1"),
        Some(own.clone()),
        Some(own),
    );
    assert!(run(&f, r).is_ok());
}

#[test]
fn restricted_labels_are_refused_on_create_and_update() {
    let f = Fixture::new(vec![]);
    let labels = json!({
        "node-restriction.kubernetes.io/pool": "gold",
        "kubernetes.io/hostname": "n1",
        "node.kubernetes.io/exclude-from-external-load-balancers": "",
        "foo.k8s.io/bar": "x",
        "example.com/free": "y",
    });
    let r = request(
        Operation::Create,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(node_obj("n1", labels)),
        None,
    );
    assert_eq!(
        message(run(&f, r)),
        (403, "nodes \"n1\" is forbidden: node \"n1\" is not allowed to set the following labels: foo.k8s.io/bar, node-restriction.kubernetes.io/pool".into())
    );
    let old = node_obj("n1", json!({"kubernetes.io/os": "linux"}));
    let new = node_obj(
        "n1",
        json!({"kubernetes.io/os": "linux", "a.node-restriction.kubernetes.io/x": "1"}),
    );
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(new),
        Some(old.clone()),
    );
    assert_eq!(
        message(run(&f, r)),
        (
            403,
            "nodes \"n1\" is forbidden: is not allowed to modify labels: a.node-restriction.kubernetes.io/x"
                .into()
        )
    );
    // Allowed ones, and removing nothing restricted, pass.
    let new = node_obj(
        "n1",
        json!({"kubernetes.io/os": "windows", "kubelet.kubernetes.io/x": "1", "team": "a"}),
    );
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(new),
        Some(old),
    );
    assert!(run(&f, r).is_ok());
}

#[test]
fn taints_and_config_source_are_the_nodes_to_keep() {
    let f = Fixture::new(vec![]);
    let old = node_obj("n1", json!({}));
    let mut new = old.clone();
    new["spec"]["taints"] = json!([{"key": "k", "effect": "NoSchedule"}]);
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(new),
        Some(old.clone()),
    );
    assert_eq!(
        message(run(&f, r)).1,
        "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify taints"
    );
    let mut new = old.clone();
    new["spec"]["configSource"] = json!({"configMap": {"name": "c"}});
    let r = request(
        Operation::Update,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(new.clone()),
        Some(old),
    );
    assert!(message(run(&f, r))
        .1
        .ends_with("is not allowed to update configSource to a new non-nil configSource"));
    let r = request(
        Operation::Create,
        "",
        "nodes",
        "",
        "",
        "n1",
        kubelet("n1"),
        Some(new),
        None,
    );
    assert!(message(run(&f, r))
        .1
        .ends_with("node \"n1\" is not allowed to create pods with a non-nil configSource"));
}

fn mirror(node: &str, uid: &str) -> Value {
    json!({
        "metadata": {"name": "m", "namespace": "ns", "annotations": {MIRROR_POD_ANNOTATION: "x"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": uid, "controller": true}]},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}
    })
}

#[test]
fn only_mirror_pods_bound_to_and_owned_by_the_node() {
    let mut f = Fixture::new(vec![]);
    f.put_core("nodes", "", "n1", node_obj("n1", json!({})));
    let create = |pod: Value| {
        request(
            Operation::Create,
            "",
            "pods",
            "",
            "ns",
            "m",
            kubelet("n1"),
            Some(pod),
            None,
        )
    };
    assert!(run(&f, create(mirror("n1", "uid-1"))).is_ok());

    let mut plain = mirror("n1", "uid-1");
    plain["metadata"]["annotations"] = json!({});
    assert_eq!(
        message(run(&f, create(plain))).1,
        "pods \"m\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"n1\" can only create mirror pods"
    );
    let mut elsewhere = mirror("n1", "uid-1");
    elsewhere["spec"]["nodeName"] = json!("n2");
    assert!(message(run(&f, create(elsewhere)))
        .1
        .ends_with("node \"n1\" can only create pods with spec.nodeName set to itself"));
    assert!(message(run(&f, create(mirror("n1", "uid-2"))))
        .1
        .ends_with("node n1 UID mismatch: expected uid-2 got uid-1"));
    let mut secret = mirror("n1", "uid-1");
    secret["spec"]["volumes"] = json!([{"name": "s", "secret": {"secretName": "x"}}]);
    assert!(message(run(&f, create(secret)))
        .1
        .ends_with("node \"n1\" can not create pods that reference secrets"));
    let mut cm = mirror("n1", "uid-1");
    cm["spec"]["containers"][0]["env"] =
        json!([{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]);
    assert!(message(run(&f, create(cm)))
        .1
        .ends_with("can not create pods that reference configmaps"));
    let mut sa = mirror("n1", "uid-1");
    sa["spec"]["serviceAccountName"] = json!("default");
    assert!(message(run(&f, create(sa)))
        .1
        .ends_with("can not create pods that reference a service account"));
    let mut blocking = mirror("n1", "uid-1");
    blocking["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] = json!(true);
    assert!(message(run(&f, create(blocking)))
        .1
        .ends_with("node \"n1\" must not set blockOwnerDeletion on an owner reference"));
    let mut unowned = mirror("n1", "uid-1");
    unowned["metadata"]["ownerReferences"] = json!([]);
    assert!(message(run(&f, create(unowned)))
        .1
        .ends_with("node \"n1\" can only create pods with an owner reference set to itself"));
}

#[test]
fn pods_of_other_nodes_cannot_be_deleted_evicted_or_have_status_written() {
    let mut f = Fixture::new(vec![]);
    let pod = |node: &str| json!({"metadata": {"name": "p", "namespace": "ns", "uid": "pu"}, "spec": {"nodeName": node}});
    f.put_core("pods", "ns", "p", pod("n2"));
    let del = request(
        Operation::Delete,
        "",
        "pods",
        "",
        "ns",
        "p",
        kubelet("n1"),
        None,
        None,
    );
    assert_eq!(
        message(run(&f, del)).1,
        "pods \"p\" is forbidden: node \"n1\" can only delete pods with spec.nodeName set to itself"
    );
    let evict = request(
        Operation::Create,
        "",
        "pods",
        "eviction",
        "ns",
        "p",
        kubelet("n1"),
        Some(json!({"metadata": {"name": "p"}})),
        None,
    );
    assert_eq!(
        message(run(&f, evict)).1,
        "pods \"p\" is forbidden: node n1 can only evict pods with spec.nodeName set to itself"
    );
    let status = request(
        Operation::Update,
        "",
        "pods",
        "status",
        "ns",
        "p",
        kubelet("n1"),
        Some(pod("n2")),
        Some(pod("n2")),
    );
    assert!(message(run(&f, status))
        .1
        .ends_with("node \"n1\" can only update pod status for pods with spec.nodeName set to itself"));
    let del = request(
        Operation::Delete,
        "",
        "pods",
        "",
        "ns",
        "p",
        kubelet("n2"),
        None,
        None,
    );
    assert!(run(&f, del).is_ok());
    let missing = request(
        Operation::Delete,
        "",
        "pods",
        "",
        "ns",
        "gone",
        kubelet("n2"),
        None,
        None,
    );
    assert_eq!(message(run(&f, missing)), (404, "pod \"gone\" not found".into()));
    let exec = request(
        Operation::Create,
        "",
        "pods",
        "exec",
        "ns",
        "p",
        kubelet("n2"),
        None,
        None,
    );
    assert!(message(run(&f, exec))
        .1
        .ends_with("unexpected pod subresource \"exec\", only 'status' and 'eviction' are allowed"));
    let mut relabeled = pod("n2");
    relabeled["metadata"]["labels"] = json!({"a": "b"});
    let status = request(
        Operation::Update,
        "",
        "pods",
        "status",
        "ns",
        "p",
        kubelet("n2"),
        Some(relabeled),
        Some(pod("n2")),
    );
    assert!(message(run(&f, status))
        .1
        .ends_with("node \"n2\" cannot update labels through pod status"));
}

#[test]
fn tokens_only_for_the_nodes_own_pods() {
    let mut f = Fixture::new(vec![]);
    f.put_core(
        "pods",
        "ns",
        "p",
        json!({"metadata": {"name": "p", "uid": "pu"}, "spec": {"nodeName": "n2"}}),
    );
    let token = |who: &str, r: Value| {
        request(
            Operation::Create,
            "",
            "serviceaccounts",
            "token",
            "ns",
            "default",
            kubelet(who),
            Some(json!({"spec": {"boundObjectRef": r}})),
            None,
        )
    };
    let pod_ref = json!({"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "pu"});
    assert!(run(&f, token("n2", pod_ref.clone())).is_ok());
    assert_eq!(
        message(run(&f, token("n1", pod_ref))).1,
        "serviceaccounts \"default\" is forbidden: node requested token bound to a pod scheduled on a different node"
    );
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "name": "s", "uid": "x"});
    assert!(message(run(&f, token("n2", secret)))
        .1
        .ends_with("node requested token not bound to a pod"));
    let no_uid = json!({"apiVersion": "v1", "kind": "Pod", "name": "p"});
    assert!(message(run(&f, token("n2", no_uid)))
        .1
        .ends_with("node requested token with a pod binding without a uid"));
    let stale = json!({"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "old"});
    assert!(message(run(&f, token("n2", stale))).1.ends_with(
        "the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated"
    ));
}

#[test]
fn leases_csinodes_and_pvcs() {
    let f = Fixture::new(vec![]);
    let lease = |ns: &str, name: &str| {
        request(
            Operation::Create,
            "coordination.k8s.io",
            "leases",
            "",
            ns,
            name,
            kubelet("n1"),
            Some(json!({"metadata": {"name": name}})),
            None,
        )
    };
    assert!(run(&f, lease("kube-node-lease", "n1")).is_ok());
    assert_eq!(
        message(run(&f, lease("kube-node-lease", "n2"))).1,
        "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the same name as the requesting node"
    );
    assert!(message(run(&f, lease("default", "n1")))
        .1
        .ends_with("can only access leases in the \"kube-node-lease\" system namespace"));
    let csi = request(
        Operation::Update,
        "storage.k8s.io",
        "csinodes",
        "",
        "",
        "n2",
        kubelet("n1"),
        Some(json!({})),
        Some(json!({})),
    );
    assert!(message(run(&f, csi))
        .1
        .ends_with("can only access CSINode with the same name as the requesting node"));
    let pvc = json!({"metadata": {"name": "c", "resourceVersion": "1"}, "status": {"phase": "Bound"}});
    let mut grown = pvc.clone();
    grown["status"]["capacity"] = json!({"storage": "2Gi"});
    grown["metadata"]["resourceVersion"] = json!("2");
    let ok = request(
        Operation::Update,
        "",
        "persistentvolumeclaims",
        "status",
        "ns",
        "c",
        kubelet("n1"),
        Some(grown),
        Some(pvc.clone()),
    );
    assert!(run(&f, ok).is_ok());
    let mut relabeled = pvc.clone();
    relabeled["metadata"]["labels"] = json!({"a": "b"});
    let bad = request(
        Operation::Update,
        "",
        "persistentvolumeclaims",
        "status",
        "ns",
        "c",
        kubelet("n1"),
        Some(relabeled),
        Some(pvc.clone()),
    );
    assert!(message(run(&f, bad)).1.contains("node \"n1\" is not allowed to update fields other than status.quantity and status.conditions: metadata.labels"));
    let spec = request(
        Operation::Update,
        "",
        "persistentvolumeclaims",
        "",
        "ns",
        "c",
        kubelet("n1"),
        Some(pvc.clone()),
        Some(pvc),
    );
    assert!(message(run(&f, spec)).1.ends_with("may only update PVC status"));
}
