//! DeleteOptions count the same in the body as in the query: a dry run in kubectl's body
//! deletes nothing, on one object and on a collection.

use super::harness::{body, statuses, Harness};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn create(h: &mut Harness, c: crate::server::ConnId, name: &str) {
    let r = h.request(
        c,
        "POST",
        CMS,
        &format!(r#"{{"metadata":{{"name":"{name}"}},"data":{{"k":"v"}}}}"#),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
}

fn exists(h: &mut Harness, c: crate::server::ConnId, name: &str) -> bool {
    statuses(&h.request(c, "GET", &format!("{CMS}/{name}"), "")) == vec![200]
}

#[test]
fn a_dry_run_in_the_body_deletes_nothing() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    create(&mut h, c, "keep");
    // What kubectl delete --dry-run=server sends.
    let kubectl =
        r#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background","dryRun":["All"]}"#;
    let r = h.request(c, "DELETE", &format!("{CMS}/keep"), kubectl);
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(exists(&mut h, c, "keep"), "a dry-run delete removed the object");
    for (ct, b) in [
        (
            "application/yaml",
            "kind: DeleteOptions\napiVersion: meta.k8s.io/v1\ndryRun: [All]\n",
        ),
        ("application/json", r#"{"dryRun":["All"]}"#),
    ] {
        let r = h.request_with(c, "DELETE", &format!("{CMS}/keep"), &[("Content-Type", ct)], b);
        assert_eq!(statuses(&r), vec![200], "{r}");
        assert!(
            exists(&mut h, c, "keep"),
            "{ct}: a dry-run delete removed the object"
        );
    }
    // The body hides the query, as in kube: this one really deletes.
    let r = h.request(
        c,
        "DELETE",
        &format!("{CMS}/keep?dryRun=All"),
        r#"{"propagationPolicy":"Background"}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(!exists(&mut h, c, "keep"));
}

#[test]
fn a_dry_run_deletecollection_in_the_body_deletes_nothing() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    create(&mut h, c, "a");
    create(&mut h, c, "b");
    let r = h.request(
        c,
        "DELETE",
        CMS,
        r#"{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}"#,
    );
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert_eq!(body(&r)["items"].as_array().map(Vec::len), Some(2), "{r}");
    assert!(exists(&mut h, c, "a") && exists(&mut h, c, "b"));
    let r = h.request(c, "DELETE", &format!("{CMS}?dryRun=All"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(exists(&mut h, c, "a") && exists(&mut h, c, "b"));
    let r = h.request(c, "DELETE", CMS, "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(!exists(&mut h, c, "a") && !exists(&mut h, c, "b"));
}

#[test]
fn body_preconditions_and_grace_count() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    create(&mut h, c, "guarded");
    let r = h.request(
        c,
        "DELETE",
        &format!("{CMS}/guarded"),
        r#"{"preconditions":{"uid":"not-its-uid"}}"#,
    );
    assert_eq!(statuses(&r), vec![409], "{r}");
    let r = h.request(
        c,
        "DELETE",
        &format!("{CMS}/guarded"),
        r#"{"preconditions":{"resourceVersion":"1"}}"#,
    );
    assert_eq!(statuses(&r), vec![409], "{r}");
    assert!(exists(&mut h, c, "guarded"));
}

#[test]
fn bad_options_change_nothing() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    create(&mut h, c, "x");
    for (target, b, code) in [
        (format!("{CMS}/x"), "{not json", 400),
        (format!("{CMS}/x"), r#"{"dryRun":"All"}"#, 400),
        (format!("{CMS}/x"), r#"{"kind":"Pod","apiVersion":"v1"}"#, 400),
        (format!("{CMS}/x"), r#"{"dryRun":["Some"]}"#, 422),
        (
            format!("{CMS}/x"),
            r#"{"orphanDependents":true,"propagationPolicy":"Orphan"}"#,
            422,
        ),
        (format!("{CMS}/x?propagationPolicy=Sideways"), "", 422),
        (format!("{CMS}/x?dryRun=Some"), "", 422),
        (format!("{CMS}/x?gracePeriodSeconds=soon"), "", 400),
        (CMS.to_string(), "{", 400),
        (CMS.to_string(), r#"{"dryRun":["Some"]}"#, 422),
    ] {
        let r = h.request(c, "DELETE", &target, b);
        assert_eq!(statuses(&r), vec![code], "{target} {b}: {r}");
        assert!(exists(&mut h, c, "x"), "{target} {b} deleted the object");
    }
    let r = h.request(
        c,
        "POST",
        &format!("{CMS}?dryRun=Some"),
        r#"{"metadata":{"name":"y"}}"#,
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert_eq!(
        body(&r)["message"],
        "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\""
    );
}
