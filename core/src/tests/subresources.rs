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
    let request = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQ1ZqQ0NBVDRDQVFBd0VURVBNQTBHQTFVRUF3d0dZVzVuWld4aE1JSUJJakFOQmdrcWhraUc5dzBCQVFFRgpBQU9DQVE4QU1JSUJDZ0tDQVFFQTByczhJTHRHdTYxakx2dHhWTTJSVlRWMDNHWlJTWWw0dWluVWo4RElaWjBOCnR2MUZtRVFSd3VoaUZsOFEzcWl0Qm0wMUFSMkNJVXBGd2ZzSjZ4MXF3ckJzVkhZbGlBNVhwRVpZM3ExcGswSDQKM3Z3aGJlK1o2MVNrVHF5SVBYUUwrTWM5T1Nsbm0xb0R2N0NtSkZNMUlMRVI3QTVGZnZKOEdFRjJ6dHBoaUlFMwpub1dtdHNZb3JuT2wzc2lHQ2ZGZzR4Zmd4eW8ybmlneFNVekl1bXNnVm9PM2ttT0x1RVF6cXpkakJ3TFJXbWlECklmMXBMWnoyalVnald4UkhCM1gyWnVVV1d1T09PZnpXM01LaE8ybEVoK0tTTC9CZU13c0ZqT1BiRFBidm81Nk8KMzd3b1I4ekxjU2JuaXpWUlVLenNNQXlSTnc2VkxRVWJhUFJ6SmJsRitRSURBUUFCb0FBd0RRWUpLb1pJaHZjTgpBUUVMQlFBRGdnRUJBRmdOYjFKd2ZoeEtNVEx3NlBQeUZ1Q0M4akFmTEdiMXJtMmdSNTJPRkZhU3pwQ0w3d0VCCkFNQ0g3Zz09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=";
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
