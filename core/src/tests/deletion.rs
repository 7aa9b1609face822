//! Graceful deletion of pods, as kube-apiserver's pod strategy does it.

use super::harness::{body, statuses, Harness};

fn pod(name: &str, node: Option<&str>) -> String {
    let node = node.map(|n| format!(r#","nodeName":"{n}""#)).unwrap_or_default();
    format!(
        r#"{{"metadata":{{"name":"{name}"}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.27"}}]{node}}}}}"#
    )
}

#[test]
fn a_bound_pod_terminates_until_its_grace_period_is_cut_to_zero() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let base = "/api/v1/namespaces/default/pods";
    let r = h.request(c, "POST", base, &pod("web", Some("node-1")));
    assert_eq!(statuses(&r), vec![201], "{r}");

    let r = h.request(c, "DELETE", &format!("{base}/web"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    let b = body(&r);
    assert_eq!(b["kind"], "Pod", "the terminating pod comes back: {b}");
    assert_eq!(b["metadata"]["deletionGracePeriodSeconds"], 30);
    let first = b["metadata"]["deletionTimestamp"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!first.is_empty());
    let get = h.request(c, "GET", &format!("{base}/web"), "");
    assert_eq!(statuses(&get), vec![200], "still there while terminating");

    // A second delete without a shorter grace period changes nothing.
    let again = h.request(c, "DELETE", &format!("{base}/web"), "");
    assert_eq!(body(&again)["metadata"]["deletionTimestamp"], first.as_str());

    // A shorter one moves the deadline back by the difference.
    let r = h.request(c, "DELETE", &format!("{base}/web?gracePeriodSeconds=10"), "");
    let b = body(&r);
    assert_eq!(b["metadata"]["deletionGracePeriodSeconds"], 10);
    let at = |s: &str| crate::printers::parse_rfc3339(s).unwrap_or(0);
    assert_eq!(
        at(&first) - at(b["metadata"]["deletionTimestamp"].as_str().unwrap_or("")),
        20
    );

    // Zero removes it.
    let r = h.request(c, "DELETE", &format!("{base}/web?gracePeriodSeconds=0"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    let get = h.request(c, "GET", &format!("{base}/web"), "");
    assert_eq!(statuses(&get), vec![404]);
}

#[test]
fn an_unbound_pod_and_a_finished_one_go_at_once() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let base = "/api/v1/namespaces/default/pods";
    let r = h.request(c, "POST", base, &pod("pending", None));
    assert_eq!(statuses(&r), vec![201]);
    let r = h.request(c, "DELETE", &format!("{base}/pending"), "");
    assert_eq!(statuses(&r), vec![200]);
    assert_eq!(
        statuses(&h.request(c, "GET", &format!("{base}/pending"), "")),
        vec![404]
    );

    let r = h.request(c, "POST", base, &pod("done", Some("node-1")));
    assert_eq!(statuses(&r), vec![201]);
    let mut done = body(&r);
    done["status"]["phase"] = "Succeeded".into();
    let r = h.request(c, "PUT", &format!("{base}/done/status"), &done.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(c, "DELETE", &format!("{base}/done"), "");
    assert_eq!(statuses(&r), vec![200]);
    assert_eq!(
        statuses(&h.request(c, "GET", &format!("{base}/done"), "")),
        vec![404]
    );
}

#[test]
fn a_finalizer_holds_other_kinds_with_no_grace_period() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let base = "/api/v1/namespaces/default/configmaps";
    let r = h.request(
        c,
        "POST",
        base,
        r#"{"metadata":{"name":"held","finalizers":["example.com/hold"]}}"#,
    );
    assert_eq!(statuses(&r), vec![201]);
    let r = h.request(c, "DELETE", &format!("{base}/held?gracePeriodSeconds=45"), "");
    assert_eq!(statuses(&r), vec![200]);
    let b = body(&r);
    assert_eq!(b["metadata"]["deletionGracePeriodSeconds"], 0, "{b}");
    assert!(b["metadata"]["deletionTimestamp"].is_string());
}
