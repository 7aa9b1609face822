//! Subresources that change one field: a pod's ephemeral containers, a CSR's approval.

use super::harness::{body, statuses, Harness};

#[test]
fn ephemeral_containers_are_added_but_never_changed() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let pods = "/api/v1/namespaces/default/pods";
    let pod = r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}"#;
    assert_eq!(statuses(&h.request(c, "POST", pods, pod)), vec![201]);
    let mut p = body(&h.request(c, "GET", &format!("{pods}/p/ephemeralcontainers"), ""));
    p["spec"]["ephemeralContainers"] = serde_json::json!([{"name": "debugger", "image": "busybox:1.36"}]);
    // Other changes in the body are ignored by this subresource.
    p["spec"]["containers"][0]["image"] = "nginx:9".into();
    let r = h.request(c, "PUT", &format!("{pods}/p/ephemeralcontainers"), &p.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let stored = body(&h.request(c, "GET", &format!("{pods}/p"), ""));
    assert_eq!(stored["spec"]["ephemeralContainers"][0]["name"], "debugger");
    assert_eq!(stored["spec"]["containers"][0]["image"], "nginx:1.27");

    let mut changed = stored.clone();
    changed["spec"]["ephemeralContainers"][0]["image"] = "busybox:2".into();
    let r = h.request(
        c,
        "PUT",
        &format!("{pods}/p/ephemeralcontainers"),
        &changed.to_string(),
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(body(&r)["message"]
        .as_str()
        .unwrap_or("")
        .contains("existing ephemeral containers may not be changed"));
    let mut clash = stored;
    if let Some(l) = clash["spec"]["ephemeralContainers"].as_array_mut() {
        l.push(serde_json::json!({"name": "app", "image": "busybox:1.36"}));
    }
    let r = h.request(
        c,
        "PUT",
        &format!("{pods}/p/ephemeralcontainers"),
        &clash.to_string(),
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
}

#[test]
fn a_csr_approval_changes_its_conditions_only() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let csrs = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    // A well-formed request: the client signer's requests are parsed in admission.
    let request = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlITU1ITUNBUUF3RVRFUE1BMEdBMVVFQXd3R1lXNW5aV3hoTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowRApBUWNEUWdBRURvRTZaWGFkMDVIeGMyVE1ON0d1V3hxM1RNRW9EM2pYb20yYnYwclFaSlFMUEd4cHlDZ1JyYjhVCmR1enFlZG92aFRtcHVacVhidnM0YXZLS29Jd005NkFBTUFvR0NDcUdTTTQ5QkFNQ0Ewa0FNRVlDSVFDelNIcDgKaVQ1bGYrWDg1U1dPZGo1elErZy9tYVBCVzRwbWp5bGs4dWxBMlFJaEFNOXlIelR5SEhKbDZMVWJFcVBmU0FIUwpYb0VwZmtaSWE0TWdodGhCRS9VaQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K";
    let csr = format!(
        r#"{{"metadata":{{"name":"c1"}},"spec":{{"request":"{request}","signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"]}}}}"#
    );
    let r = h.request(c, "POST", csrs, &csr);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let mut cur = body(&h.request(c, "GET", &format!("{csrs}/c1"), ""));
    cur["status"]["conditions"] = serde_json::json!([{"type": "Approved", "status": "True",
        "reason": "KubectlApprove", "message": "approved", "lastUpdateTime": "2026-11-29T10:00:00Z"}]);
    cur["spec"]["usages"] = serde_json::json!(["server auth"]);
    let r = h.request(c, "PUT", &format!("{csrs}/c1/approval"), &cur.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let stored = body(&h.request(c, "GET", &format!("{csrs}/c1"), ""));
    assert_eq!(stored["status"]["conditions"][0]["type"], "Approved");
    assert_eq!(
        stored["spec"]["usages"][0], "client auth",
        "the spec is untouched"
    );
}
