//! Kubelet-backed pod subresources when no kubelet can be reached.

use super::harness::{body, statuses, Harness};

const PODS: &str = "/api/v1/namespaces/default/pods";

fn pod(name: &str, node: Option<&str>, containers: &[&str]) -> String {
    let node = node.map(|n| format!(r#","nodeName":"{n}""#)).unwrap_or_default();
    let cs: Vec<String> = containers
        .iter()
        .map(|c| format!(r#"{{"name":"{c}","image":"nginx:1.27"}}"#))
        .collect();
    format!(
        r#"{{"metadata":{{"name":"{name}"}},"spec":{{"containers":[{}]{node}}}}}"#,
        cs.join(",")
    )
}

#[test]
fn kubelet_subresources_answer_as_kube_apiserver_without_a_kubelet() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for (name, node, cs) in [
        ("pending", None, &["app"][..]),
        ("two", None, &["a", "b"][..]),
        ("lost", Some("gone"), &["app"][..]),
        ("bare", Some("bare-node"), &["app"][..]),
        ("web", Some("node-1"), &["app"][..]),
    ] {
        let r = h.request(c, "POST", PODS, &pod(name, node, cs));
        assert_eq!(statuses(&r), vec![201], "{r}");
    }
    for (name, addresses) in [
        ("bare-node", "[]"),
        ("node-1", r#"[{"type":"InternalIP","address":"10.0.0.7"}]"#),
    ] {
        let r = h.request(
            c,
            "POST",
            "/api/v1/nodes",
            &format!(r#"{{"metadata":{{"name":"{name}"}},"status":{{"addresses":{addresses}}}}}"#),
        );
        assert_eq!(statuses(&r), vec![201], "{r}");
    }
    let msg = |h: &mut Harness, method: &str, path: &str| {
        let r = h.request(c, method, path, "");
        (
            statuses(&r)[0],
            body(&r)["message"].as_str().unwrap_or("").to_string(),
        )
    };
    // No node yet: an empty log, and nothing to exec into.
    let r = h.request(c, "GET", &format!("{PODS}/pending/log"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(r.ends_with("\r\n\r\n"), "an empty body: {r:?}");
    assert_eq!(
        msg(
            &mut h,
            "POST",
            &format!("{PODS}/pending/exec?command=ls&stdout=true")
        ),
        (400, "pod pending does not have a host assigned".to_string())
    );
    assert_eq!(
        msg(&mut h, "GET", &format!("{PODS}/two/log")),
        (
            400,
            "a container name must be specified for pod two, choose one of: [a b]".to_string()
        )
    );
    assert_eq!(
        msg(&mut h, "GET", &format!("{PODS}/two/log?container=c")),
        (400, "container c is not valid for pod two".to_string())
    );
    assert_eq!(msg(&mut h, "GET", &format!("{PODS}/nope/log")).0, 404);
    // A node that does not exist, one without addresses, one whose kubelet refuses.
    assert_eq!(
        msg(&mut h, "GET", &format!("{PODS}/lost/log")),
        (404, "nodes \"gone\" not found".to_string())
    );
    assert_eq!(
        msg(&mut h, "GET", &format!("{PODS}/bare/log")),
        (
            500,
            "no preferred addresses found; known addresses: []".to_string()
        )
    );
    assert_eq!(
        msg(&mut h, "GET", &format!("{PODS}/web/log?tailLines=10&follow=true")),
        (
            500,
            "Get \"https://10.0.0.7:10250/containerLogs/default/web/app?follow=true&tailLines=10\": dial tcp 10.0.0.7:10250: connect: connection refused"
                .to_string()
        )
    );
    assert_eq!(
        msg(&mut h, "POST", &format!("{PODS}/web/exec?command=ls&stdout=true")),
        (
            500,
            "error dialing backend: dial tcp 10.0.0.7:10250: connect: connection refused".to_string()
        )
    );
    assert_eq!(msg(&mut h, "POST", &format!("{PODS}/web/log")).0, 405);
}
