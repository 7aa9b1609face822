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

#[test]
fn answers_of_kubelets_and_backends_are_relayed_whole() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(
        c,
        "POST",
        "/api/v1/nodes",
        r#"{"metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.7"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}}}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = h.request(
        c,
        "POST",
        PODS,
        r#"{"metadata":{"name":"web"},"spec":{"nodeName":"n1","containers":[{"name":"app","image":"nginx"}]},"status":{"podIP":"10.1.0.5","podIPs":[{"ip":"10.1.0.5"}]}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let mut status = body(&h.request(c, "GET", &format!("{PODS}/web"), ""));
    status["status"] = serde_json::json!({"podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}]});
    let r = h.request(c, "PUT", &format!("{PODS}/web/status"), &status.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");

    // The kubelet's answer goes to the client as it came, and the connection closes after it.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nline\n".to_vec();
    h.backend_answer = Some(answer.clone());
    let r = h.request(c, "GET", &format!("{PODS}/web/log?timestamps=True"), "");
    assert_eq!(r.as_bytes(), &answer[..]);
    assert!(h.closed.contains(&c), "the relayed answer ends the connection");
    let (host, port, tls, request) = h.relayed.last().cloned().expect("a relay");
    assert_eq!(
        (host.as_str(), port, tls),
        ("10.0.0.7", 10250, crate::RelayTls::Kubelet)
    );
    assert_eq!(
        String::from_utf8(request).unwrap(),
        "GET /containerLogs/default/web/app?timestamps=true HTTP/1.1\r\nHost: 10.0.0.7:10250\r\nUser-Agent: kube-apiserver\r\nConnection: close\r\n\r\n"
    );

    // A pod's proxy: the method, the path after /proxy and the query reach the pod.
    let c = h.connect_admin(2);
    let r = h.request(
        c,
        "POST",
        &format!("{PODS}/https:web:8443/proxy/api/run?now=1"),
        "{}",
    );
    assert_eq!(r.as_bytes(), &answer[..]);
    let (host, port, tls, request) = h.relayed.last().cloned().expect("a relay");
    assert_eq!(
        (host.as_str(), port, tls),
        ("10.1.0.5", 8443, crate::RelayTls::Insecure)
    );
    let request = String::from_utf8(request).unwrap();
    assert!(
        request.starts_with("POST /api/run?now=1 HTTP/1.1\r\nHost: 10.1.0.5:8443\r\n"),
        "{request}"
    );
    assert!(
        request.ends_with("Content-Length: 2\r\nConnection: close\r\n\r\n{}"),
        "{request}"
    );

    // A client that leaves while its kubelet has not answered calls the relay off.
    h.hold_relays = true;
    let c = h.connect_admin(3);
    h.send(c, format!("GET {PODS}/web/log HTTP/1.1\r\n\r\n").as_bytes());
    assert!(h.take(c).is_empty(), "nothing answered yet");
    assert!(h.ended_relays.is_empty());
    h.server.handle_closed(h.now, c);
    h.run();
    assert_eq!(h.ended_relays.len(), 1);
}
