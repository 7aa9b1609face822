//! `kube-root-ca.crt` in every namespace, kept as kube-controller-manager keeps it.

use super::harness::{body, statuses, Harness};

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

fn cm(h: &mut Harness, c: crate::server::ConnId, ns: &str) -> serde_json::Value {
    let r = h.request(
        c,
        "GET",
        &format!("/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt"),
        "",
    );
    if statuses(&r) == vec![200] {
        body(&r)
    } else {
        serde_json::Value::Null
    }
}

#[test]
fn every_namespace_gets_the_bundle_and_keeps_it() {
    let mut h = Harness::with(|c| c.root_ca_pem = Some(PEM.into()));
    let c = h.connect_admin(1);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let got = cm(&mut h, c, ns);
        assert_eq!(got["data"]["ca.crt"], PEM, "{ns}: {got}");
        assert!(got["metadata"]["annotations"]["kubernetes.io/description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Contains a CA bundle")));
    }
    // A new namespace gets one.
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(10);
    assert_eq!(cm(&mut h, c, "team")["data"]["ca.crt"], PEM);

    // Deleted: it comes back.
    let r = h.request(
        c,
        "DELETE",
        "/api/v1/namespaces/team/configmaps/kube-root-ca.crt",
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(10);
    assert_eq!(cm(&mut h, c, "team")["data"]["ca.crt"], PEM);

    // Changed: the data and the annotation are put back; other fields stay.
    let mut edited = cm(&mut h, c, "team");
    edited["data"] = serde_json::json!({"ca.crt": "forged", "extra": "x"});
    edited["metadata"]["annotations"] = serde_json::json!({});
    edited["metadata"]["labels"] = serde_json::json!({"mine": "yes"});
    let r = h.request(
        c,
        "PUT",
        "/api/v1/namespaces/team/configmaps/kube-root-ca.crt",
        &edited.to_string(),
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(10);
    let back = cm(&mut h, c, "team");
    assert_eq!(back["data"], serde_json::json!({"ca.crt": PEM}), "{back}");
    assert_eq!(back["metadata"]["labels"]["mine"], "yes");
    assert!(back["metadata"]["annotations"]["kubernetes.io/description"].is_string());

    // Settled: nothing more is written while nothing changes.
    let rv = back["metadata"]["resourceVersion"].clone();
    h.advance(5_000);
    assert_eq!(cm(&mut h, c, "team")["metadata"]["resourceVersion"], rv);
}

#[test]
fn without_a_bundle_nothing_is_published() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    assert!(cm(&mut h, c, "default").is_null());
}
