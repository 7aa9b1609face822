//! Reads served from the watch cache, and storage health as /readyz reports it.

use super::harness::{body, statuses, Harness};

#[test]
fn resource_version_zero_lists_and_gets_come_from_the_cache() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let created = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        r#"{"metadata":{"name":"a"},"data":{"k":"v"}}"#,
    );
    assert_eq!(statuses(&created), vec![201], "{created}");
    let before = h.storage_ops;
    let list = h.request(
        c,
        "GET",
        "/api/v1/namespaces/default/configmaps?resourceVersion=0",
        "",
    );
    assert_eq!(statuses(&list), vec![200]);
    assert_eq!(body(&list)["items"][0]["data"]["k"], "v");
    let get = h.request(
        c,
        "GET",
        "/api/v1/namespaces/default/configmaps/a?resourceVersion=0",
        "",
    );
    assert_eq!(body(&get)["metadata"]["name"], "a");
    let missing = h.request(
        c,
        "GET",
        "/api/v1/namespaces/default/configmaps/zz?resourceVersion=0",
        "",
    );
    assert_eq!(statuses(&missing), vec![404]);
    assert_eq!(h.storage_ops, before, "served without asking storage");
    // A consistent read (no resourceVersion) asks storage.
    h.request(c, "GET", "/api/v1/namespaces/default/configmaps", "");
    assert!(h.storage_ops > before);
}

#[test]
fn readyz_follows_storage_down_and_back_up() {
    let mut h = Harness::new();
    let c = h.connect(1);
    assert_eq!(statuses(&h.request(c, "GET", "/readyz", "")), vec![200]);
    h.store_down = true;
    h.advance(6_000);
    let down = h.request(c, "GET", "/readyz?verbose", "");
    assert_eq!(statuses(&down), vec![500], "{down}");
    assert!(down.contains("[-]etcd failed: reason withheld"), "{down}");
    h.store_down = false;
    h.advance(6_000);
    assert_eq!(statuses(&h.request(c, "GET", "/readyz", "")), vec![200]);
}

#[test]
fn a_storage_failure_is_a_500_with_the_stores_words() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    h.store_down = true;
    let out = h.request(c, "GET", "/api/v1/namespaces/default/configmaps", "");
    assert_eq!(statuses(&out), vec![500], "{out}");
    assert_eq!(body(&out)["message"], "connection refused");
}

#[test]
fn events_expire_after_the_event_ttl_and_other_objects_do_not() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let ev = r#"{"metadata":{"name":"e1"},"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Started","message":"m","type":"Normal"}"#;
    assert_eq!(
        statuses(&h.request(c, "POST", "/api/v1/namespaces/default/events", ev)),
        vec![201]
    );
    let cm = r#"{"metadata":{"name":"keep"}}"#;
    assert_eq!(
        statuses(&h.request(c, "POST", "/api/v1/namespaces/default/configmaps", cm)),
        vec![201]
    );
    h.expire_at(3599);
    assert_eq!(
        statuses(&h.request(c, "GET", "/api/v1/namespaces/default/events/e1", "")),
        vec![200]
    );
    h.expire_at(3600);
    assert_eq!(
        statuses(&h.request(c, "GET", "/api/v1/namespaces/default/events/e1", "")),
        vec![404]
    );
    assert_eq!(
        statuses(&h.request(c, "GET", "/api/v1/namespaces/default/configmaps/keep", "")),
        vec![200]
    );
}
