//! The ServiceAccount admission plugin and the `default` account of every namespace through
//! the whole server: a pod runs as an account that exists, gets the token volume, and is
//! refused with kube's message when its account is missing; the `default` account follows
//! its namespace and comes back when deleted.

use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::server::ConnId;

fn account(h: &mut Harness, c: ConnId, ns: &str, name: &str) -> Value {
    let r = h.request(
        c,
        "GET",
        &format!("/api/v1/namespaces/{ns}/serviceaccounts/{name}"),
        "",
    );
    if statuses(&r) == vec![200] {
        body(&r)
    } else {
        Value::Null
    }
}

fn pod(name: &str, extra: Value) -> String {
    let mut p = json!({"metadata": {"name": name}, "spec": {
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"name": "app", "image": "nginx"}]
    }});
    if let (Some(spec), Value::Object(extra)) = (p["spec"].as_object_mut(), extra) {
        spec.extend(extra);
    }
    p.to_string()
}

#[test]
fn every_namespace_has_its_default_account_back_when_deleted() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert_eq!(
            account(&mut h, c, ns, "default")["metadata"]["name"],
            "default",
            "{ns}"
        );
    }
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(10);
    let first = account(&mut h, c, "team", "default");
    assert!(first["metadata"]["uid"].is_string(), "{first}");
    let r = h.request(c, "DELETE", "/api/v1/namespaces/team/serviceaccounts/default", "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(10);
    let again = account(&mut h, c, "team", "default");
    assert!(again["metadata"]["uid"].is_string(), "re-created: {again}");
    assert_ne!(again["metadata"]["uid"], first["metadata"]["uid"]);
}

#[test]
fn a_pod_runs_as_its_account_with_the_token_volume_mounted() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts",
        r#"{"metadata":{"name":"builder"},"imagePullSecrets":[{"name":"registry"}]}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = h.request(c, "POST", "/api/v1/namespaces/default/pods", &pod("a", json!({})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let a = body(&r);
    assert_eq!(a["spec"]["serviceAccountName"], "default");
    assert_eq!(
        a["spec"]["serviceAccount"], "default",
        "the deprecated field follows"
    );
    let volume = &a["spec"]["volumes"][0];
    let name = volume["name"].as_str().unwrap_or("");
    assert!(name.starts_with("kube-api-access-"), "{a}");
    assert_eq!(
        volume["projected"]["sources"][1]["configMap"]["name"],
        "kube-root-ca.crt"
    );
    for c in ["initContainers", "containers"] {
        let m = &a["spec"][c][0]["volumeMounts"][0];
        assert_eq!(m["name"], name, "{c}");
        assert_eq!(m["mountPath"], "/var/run/secrets/kubernetes.io/serviceaccount");
        assert_eq!(m["readOnly"], true);
    }
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/pods",
        &pod(
            "b",
            json!({"serviceAccountName": "builder", "automountServiceAccountToken": false}),
        ),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let b = body(&r);
    assert!(b["spec"]["volumes"].is_null(), "no automount: {b}");
    assert_eq!(b["spec"]["imagePullSecrets"], json!([{"name": "registry"}]));
}

#[test]
fn a_pod_of_a_missing_account_is_refused_and_not_stored() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/pods",
        &pod("lost", json!({"serviceAccountName": "ghost"})),
    );
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "pods \"lost\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found"
    );
    let r = h.request(c, "GET", "/api/v1/namespaces/default/pods/lost", "");
    assert_eq!(statuses(&r), vec![404], "{r}");
}
