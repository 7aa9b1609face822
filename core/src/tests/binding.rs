//! Binding pods to nodes (`pods/<name>/binding` and the `bindings` collection).

use super::harness::{body, statuses, Harness};

const PODS: &str = "/api/v1/namespaces/default/pods";

#[test]
fn a_binding_assigns_the_pod_once() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for name in ["p", "q"] {
        let pod = format!(
            r#"{{"metadata":{{"name":"{name}"}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.27"}}]}}}}"#
        );
        assert_eq!(statuses(&h.request(c, "POST", PODS, &pod)), vec![201]);
    }
    let bind = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p","annotations":{"example.com/by":"test"}},"target":{"kind":"Node","name":"n1"}}"#;
    let r = h.request(c, "POST", &format!("{PODS}/p/binding"), bind);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["status"], "Success");
    let pod = body(&h.request(c, "GET", &format!("{PODS}/p"), ""));
    assert_eq!(pod["spec"]["nodeName"], "n1");
    assert_eq!(pod["metadata"]["annotations"]["example.com/by"], "test");
    let scheduled = pod["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled").cloned())
        .unwrap_or_default();
    assert_eq!(scheduled["status"], "True");

    let r = h.request(c, "POST", &format!("{PODS}/p/binding"), bind);
    assert_eq!(statuses(&r), vec![409], "{r}");
    assert_eq!(
        body(&r)["message"],
        "Operation cannot be fulfilled on pods \"p\": pod p is already assigned to node \"n1\""
    );

    // The bindings collection binds the pod its body names.
    let q = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"q"},"target":{"name":"n2"}}"#;
    let r = h.request(c, "POST", "/api/v1/namespaces/default/bindings", q);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(
        body(&h.request(c, "GET", &format!("{PODS}/q"), ""))["spec"]["nodeName"],
        "n2"
    );

    let no_target = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{}}"#;
    assert_eq!(
        statuses(&h.request(c, "POST", &format!("{PODS}/p/binding"), no_target)),
        vec![422]
    );
    let missing = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"zz"},"target":{"name":"n1"}}"#;
    assert_eq!(
        statuses(&h.request(c, "POST", &format!("{PODS}/zz/binding"), missing)),
        vec![404]
    );
}
