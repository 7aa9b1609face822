//! One storage watch and one watch cache per resource type.

use super::harness::{body, statuses, Harness};

const CONFIGMAPS: &[u8] = b"/registry/configmaps/";

#[test]
fn each_stored_type_has_its_own_storage_watch() {
    let h = Harness::new();
    assert!(
        h.watches.len() > 40,
        "one watch per stored type ({})",
        h.watches.len()
    );
    let cm = h.watches.id_of(CONFIGMAPS).expect("a configmaps watch");
    let svc = h
        .watches
        .id_of(b"/registry/services/specs/")
        .expect("a services watch");
    assert_ne!(cm, svc);
    assert!(
        h.watches.id_of(b"/registry/").is_none(),
        "no watch over everything"
    );
}

#[test]
fn a_compacted_watch_re_lists_its_type_only() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for (path, body) in [
        ("configmaps", r#"{"metadata":{"name":"a"}}"#),
        ("secrets", r#"{"metadata":{"name":"s"}}"#),
    ] {
        let r = h.request(c, "POST", &format!("/api/v1/namespaces/default/{path}"), body);
        assert_eq!(statuses(&r), vec![201], "{r}");
    }
    // A client watch on each type.
    let (wc, ws) = (h.connect_admin(2), h.connect_admin(3));
    for (conn, path) in [(wc, "configmaps"), (ws, "secrets")] {
        let req = format!("GET /api/v1/namespaces/default/{path}?watch=true HTTP/1.1\r\nHost: x\r\n\r\n");
        h.send(conn, req.as_bytes());
        assert!(h.take(conn).contains("ADDED"));
    }
    let before = h.storage_ops;
    let cm = h.watches.id_of(CONFIGMAPS).expect("a configmaps watch");
    h.server.handle_watch_failed(h.now, cm, true);
    h.run();
    // The configmaps watcher is told to re-list; the secrets watcher goes on.
    let cm_out = h.take(wc);
    assert!(cm_out.contains("\"code\":410"), "{cm_out}");
    assert!(h.take(ws).is_empty());
    assert_eq!(h.storage_ops, before + 1, "one list, of configmaps only");
    // Both types are served again, and a write to secrets still reaches its watcher.
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/secrets",
        r#"{"metadata":{"name":"t"}}"#,
    );
    assert_eq!(statuses(&r), vec![201]);
    assert!(h.take(ws).contains("\"name\":\"t\""));
    let list = h.request(
        c,
        "GET",
        "/api/v1/namespaces/default/configmaps?resourceVersion=0",
        "",
    );
    assert_eq!(body(&list)["items"][0]["metadata"]["name"], "a");
}

#[test]
fn progress_lets_a_quiet_type_serve_consistent_lists_from_its_cache() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces/default/secrets",
        r#"{"metadata":{"name":"s"}}"#,
    );
    assert_eq!(statuses(&r), vec![201]);
    // Writes to another type move storage's revision past the secrets cache's last event.
    for i in 0..3 {
        let r = h.request(
            c,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            &format!(r#"{{"metadata":{{"name":"c{i}"}}}}"#),
        );
        assert_eq!(statuses(&r), vec![201]);
    }
    let before = h.storage_ops;
    let list = h.request(c, "GET", "/api/v1/namespaces/default/secrets", "");
    assert_eq!(statuses(&list), vec![200]);
    assert_eq!(body(&list)["items"][0]["metadata"]["name"], "s");
    let rv: i64 = body(&list)["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a list resourceVersion");
    assert_eq!(rv, h.store.revision(), "the list is as new as storage");
    assert_eq!(
        h.storage_ops,
        before + 1,
        "one revision probe, the list from the cache"
    );
}
