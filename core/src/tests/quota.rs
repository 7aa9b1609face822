//! ResourceQuota through the whole server: the controller fills a new quota's status, a
//! create is charged in storage before the object is written, a refusal stores nothing,
//! a stale quota (another replica charged it) is read again and checked again, and a delete
//! gives the usage back.

use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::storage::{StorageRequest, StorageResponse, TxnOp};

const QUOTA_KEY: &[u8] = b"/registry/resourcequotas/team/q";

fn stored_quota(h: &mut Harness) -> Value {
    let read = StorageRequest::Range {
        key: QUOTA_KEY.to_vec(),
        range_end: Vec::new(),
        revision: 0,
        limit: 0,
    };
    match h.store.execute(&read) {
        Ok(StorageResponse::Range { kvs, .. }) => kvs
            .first()
            .and_then(|kv| crate::storage::Transformer::default().decode(kv))
            .unwrap_or(Value::Null),
        other => panic!("read: {other:?}"),
    }
}

/// Another replica's charge: written to storage, its watch event not yet seen here.
fn charge_unseen(h: &mut Harness, used: &str, hard: &str) {
    let mut q = stored_quota(h);
    q["status"] = json!({"hard": {"pods": hard}, "used": {"pods": used}});
    q["spec"]["hard"] = json!({"pods": hard});
    let value = crate::storage::Transformer::default().encode(QUOTA_KEY, &q);
    let put = StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![TxnOp::Put {
            key: QUOTA_KEY.to_vec(),
            value,
            ttl_secs: None,
        }],
        failure: Vec::new(),
    };
    h.store.execute(&put).expect("put");
    // Held back: this replica's cache still shows the quota as it was.
    let held = h.store.take_events();
    assert!(!held.is_empty());
}

fn pod(name: &str) -> String {
    json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        .to_string()
}

#[test]
fn creates_are_charged_refused_past_the_limit_and_given_back_on_delete() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let quota = json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "1"}}});
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/team/resourcequotas",
        &quota.to_string(),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(10);
    assert_eq!(
        stored_quota(&mut h)["status"],
        json!({"hard": {"pods": "1"}, "used": {"pods": "0"}})
    );

    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("a"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "1"}));

    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("b"));
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "pods \"b\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1"
    );
    let r = h.request(c, "GET", "/api/v1/namespaces/team/pods/b", "");
    assert_eq!(statuses(&r), vec![404], "nothing stored: {r}");
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "1"}));

    // A delete gives it back; a dry run is checked, never charged.
    let r = h.request(
        c,
        "DELETE",
        "/api/v1/namespaces/team/pods/a?gracePeriodSeconds=0",
        "",
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    h.advance(10);
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "0"}));
    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods?dryRun=All", &pod("b"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "0"}));
}

#[test]
fn a_stale_quota_is_read_again_and_checked_again() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let quota = json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "3"}}});
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/team/resourcequotas",
        &quota.to_string(),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(10);

    // Another replica charged one pod: the update at the revision seen here conflicts, the
    // quota is read again, and this pod is charged on top of it.
    charge_unseen(&mut h, "1", "3");
    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("a"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "2"}));

    // Another replica filled it: read again, this pod is over, and nothing is stored.
    charge_unseen(&mut h, "3", "3");
    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("b"));
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "pods \"b\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3"
    );
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "3"}));
    let r = h.request(c, "GET", "/api/v1/namespaces/team/pods/b", "");
    assert_eq!(statuses(&r), vec![404], "nothing stored: {r}");
}

#[test]
fn what_a_failed_write_was_charged_is_given_back_by_the_periodic_recount() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", "/api/v1/namespaces", r#"{"metadata":{"name":"team"}}"#);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let quota = json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "5"}}});
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/team/resourcequotas",
        &quota.to_string(),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    h.advance(10);
    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("a"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    // Charged before the name turns out to be taken, as in kube.
    let r = h.request(c, "POST", "/api/v1/namespaces/team/pods", &pod("a"));
    assert_eq!(statuses(&r), vec![409], "{r}");
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "2"}));
    h.advance(5 * 60 * 1000);
    assert_eq!(stored_quota(&mut h)["status"]["used"], json!({"pods": "1"}));
}
