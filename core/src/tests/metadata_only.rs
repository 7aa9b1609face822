//! Metadata-only answers (`as=PartialObjectMetadata(List)`), as controller-runtime's and
//! kube-rs's metadata clients ask for them.

use super::harness::{body, statuses, Harness};

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const AS_ONE: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const AS_LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

fn setup() -> (Harness, crate::server::ConnId) {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for name in ["a", "b"] {
        let r = h.request(
            c,
            "POST",
            CMS,
            &format!(r#"{{"metadata":{{"name":"{name}","labels":{{"app":"x"}}}},"data":{{"secret":"v"}}}}"#),
        );
        assert_eq!(statuses(&r), vec![201], "{r}");
    }
    (h, c)
}

#[test]
fn get_answers_the_metadata_alone() {
    let (mut h, c) = setup();
    for version in ["v1", "v1beta1"] {
        let accept = format!("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v={version}");
        let r = h.request_with(c, "GET", &format!("{CMS}/a"), &[("Accept", &accept)], "");
        assert_eq!(statuses(&r), vec![200], "{r}");
        let b = body(&r);
        assert_eq!(b["kind"], "PartialObjectMetadata");
        assert_eq!(b["apiVersion"], format!("meta.k8s.io/{version}"));
        assert_eq!(b["metadata"]["name"], "a");
        assert_eq!(b["metadata"]["labels"]["app"], "x");
        assert!(b.get("data").is_none(), "{b}");
    }
    // Asking for a list form of one object is a 406, as in kube.
    let r = h.request_with(c, "GET", &format!("{CMS}/a"), &[("Accept", AS_LIST)], "");
    assert_eq!(statuses(&r), vec![406], "{r}");
    assert_eq!(
        body(&r)["message"],
        "you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)"
    );
}

#[test]
fn list_answers_a_metadata_list() {
    let (mut h, c) = setup();
    let r = h.request_with(c, "GET", CMS, &[("Accept", AS_LIST)], "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    let b = body(&r);
    assert_eq!(b["kind"], "PartialObjectMetadataList");
    assert_eq!(b["apiVersion"], "meta.k8s.io/v1");
    assert!(b["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let items = b["items"].as_array().cloned().unwrap_or_default();
    assert!(items.len() >= 2, "{b}");
    for it in &items {
        assert_eq!(it["kind"], "PartialObjectMetadata");
        assert_eq!(it["apiVersion"], "meta.k8s.io/v1");
        assert!(it.get("data").is_none());
    }
    let r = h.request_with(c, "GET", CMS, &[("Accept", AS_ONE)], "");
    assert_eq!(statuses(&r), vec![406], "{r}");
    // Protobuf: the list decodes back to the same metadata.
    let accept = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    h.send(
        c,
        format!("GET {CMS} HTTP/1.1\r\nAccept: {accept}\r\n\r\n").as_bytes(),
    );
    let r = h.take_bytes(c);
    assert!(r.starts_with(b"HTTP/1.1 200"));
    let start = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let decoded = crate::codec::protobuf::decode(&r[start..]).expect("a protobuf list");
    assert_eq!(decoded.kind, "PartialObjectMetadataList");
    assert_eq!(
        decoded.object["items"][0]["metadata"]["name"],
        items[0]["metadata"]["name"]
    );
}

#[test]
fn watch_events_carry_metadata_alone() {
    let (mut h, _) = setup();
    for accept in [AS_ONE, AS_LIST] {
        let w = h.connect_admin(10 + accept.len() as u64);
        let head = format!("GET {CMS}?watch=true&labelSelector=app%3Dx HTTP/1.1\r\nAccept: {accept}\r\n\r\n");
        h.send(w, head.as_bytes());
        let text = h.take(w);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let events: Vec<serde_json::Value> = text
            .lines()
            .filter(|l| l.starts_with('{'))
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(events.len(), 2, "{text}");
        for e in events {
            assert_eq!(e["type"], "ADDED");
            assert_eq!(e["object"]["kind"], "PartialObjectMetadata", "{e}");
            assert!(e["object"].get("data").is_none());
        }
    }
}

#[test]
fn unknown_transformations_are_not_acceptable() {
    let (mut h, c) = setup();
    for accept in [
        "application/json;as=Widget;g=meta.k8s.io;v=v1",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2",
        "application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1",
        "text/html",
    ] {
        let r = h.request_with(c, "GET", &format!("{CMS}/a"), &[("Accept", accept)], "");
        assert_eq!(statuses(&r), vec![406], "{accept}: {r}");
        assert_eq!(
            body(&r)["message"],
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
        );
    }
    // A later range that can be served is taken.
    let r = h.request_with(
        c,
        "GET",
        &format!("{CMS}/a"),
        &[(
            "Accept",
            "application/json;as=Widget;g=meta.k8s.io;v=v1, application/json",
        )],
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["kind"], "ConfigMap");
}
