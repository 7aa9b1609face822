//! Service addresses: claimed in storage with the Service, so replicas that do not yet see
//! each other's Services still never hand out the same address; released on delete.

use super::harness::{body, statuses, Harness};
use crate::storage::{StorageRequest, StorageResponse, TxnOp};

const SERVICES: &str = "/api/v1/namespaces/default/services";

fn svc(name: &str, cluster_ip: Option<&str>, node_port: Option<u16>) -> String {
    let ip = cluster_ip
        .map(|ip| format!(r#","clusterIP":"{ip}""#))
        .unwrap_or_default();
    let (ty, np) = match node_port {
        Some(p) => (r#","type":"NodePort""#, format!(r#","nodePort":{p}"#)),
        None => ("", String::new()),
    };
    format!(r#"{{"metadata":{{"name":"{name}"}},"spec":{{"ports":[{{"port":80{np}}}]{ip}{ty}}}}}"#)
}

fn exists(h: &mut Harness, key: &str) -> bool {
    let r = h.store.execute(&StorageRequest::Range {
        key: key.as_bytes().to_vec(),
        range_end: Vec::new(),
        revision: 0,
        limit: 0,
    });
    matches!(r, Ok(StorageResponse::Range { count, .. }) if count == 1)
}

/// Another replica's claim, written straight to storage (this server's cache cannot see it).
fn claim(h: &mut Harness, key: &str) {
    h.store
        .execute(&StorageRequest::Txn {
            compare: vec![],
            success: vec![TxnOp::Put {
                key: key.as_bytes().to_vec(),
                value: b"/registry/services/specs/other/x".to_vec(),
                ttl_secs: None,
            }],
            failure: vec![],
        })
        .expect("a claim");
    h.store.take_events();
    h.store.take_wal();
}

#[test]
fn addresses_are_claimed_with_the_service_and_released_with_it() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", SERVICES, &svc("web", Some("10.0.0.50"), Some(30080)));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(exists(&mut h, "/registry/ranges/serviceips/10.0.0.50"));
    assert!(exists(&mut h, "/registry/ranges/servicenodeports/30080"));
    let r = h.request(c, "DELETE", &format!("{SERVICES}/web"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(!exists(&mut h, "/registry/ranges/serviceips/10.0.0.50"));
    assert!(!exists(&mut h, "/registry/ranges/servicenodeports/30080"));
}

#[test]
fn an_address_another_replica_claimed_is_refused_or_avoided() {
    let mut h = Harness::with(|cfg| {
        // 10.0.0.0/29: .1 is the kubernetes Service, .2-.6 are free.
        cfg.services.cluster_ip_prefix = 29;
    });
    let c = h.connect_admin(1);
    claim(&mut h, "/registry/ranges/serviceips/10.0.0.3");
    let r = h.request(c, "POST", SERVICES, &svc("asked", Some("10.0.0.3"), None));
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(body(&r)["message"]
        .as_str()
        .unwrap_or("")
        .contains("provided IP is already allocated"));
    claim(&mut h, "/registry/ranges/servicenodeports/30100");
    let r = h.request(c, "POST", SERVICES, &svc("port", None, Some(30100)));
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(body(&r)["message"]
        .as_str()
        .unwrap_or("")
        .contains("provided port is already allocated"));

    // Four of the five free addresses claimed elsewhere: the create finds the fifth.
    for ip in ["10.0.0.2", "10.0.0.4", "10.0.0.5"] {
        claim(&mut h, &format!("/registry/ranges/serviceips/{ip}"));
    }
    let r = h.request(c, "POST", SERVICES, &svc("auto", None, None));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["spec"]["clusterIP"], "10.0.0.6");
    // And with none left, the range is full.
    let r = h.request(c, "POST", SERVICES, &svc("full", None, None));
    assert_eq!(statuses(&r), vec![500], "{r}");
}

#[test]
fn a_node_port_of_zero_is_picked_by_the_server() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    for name in ["a", "b"] {
        // As kubectl's `create service nodeport` sends it.
        let body = format!(
            r#"{{"metadata":{{"name":"{name}"}},"spec":{{"type":"NodePort","ports":[{{"port":80,"nodePort":0}}]}}}}"#
        );
        let r = h.request(c, "POST", SERVICES, &body);
        assert_eq!(statuses(&r), vec![201], "{r}");
        let port = body_port(&r);
        assert!((30000..=32767).contains(&port), "{r}");
        assert!(exists(
            &mut h,
            &format!("/registry/ranges/servicenodeports/{port}")
        ));
    }
    assert!(!exists(&mut h, "/registry/ranges/servicenodeports/0"));
}

fn body_port(r: &str) -> u64 {
    body(r)["spec"]["ports"][0]["nodePort"].as_u64().unwrap_or(0)
}

#[test]
fn a_service_that_becomes_a_node_port_gets_one_and_gives_it_back() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = h.request(c, "POST", SERVICES, &svc("web", None, None));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let mut s = body(&r);
    s["spec"]["type"] = "NodePort".into();
    let r = h.request(c, "PUT", &format!("{SERVICES}/web"), &s.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let port = body_port(&r);
    assert!((30000..=32767).contains(&port), "{r}");
    assert!(exists(
        &mut h,
        &format!("/registry/ranges/servicenodeports/{port}")
    ));
    // Back to ClusterIP (the node port and traffic policy left as they were are dropped,
    // as kube-apiserver drops them): the port is released.
    let mut s = body(&r);
    s["spec"]["type"] = "ClusterIP".into();
    let r = h.request(c, "PUT", &format!("{SERVICES}/web"), &s.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    assert!(!exists(
        &mut h,
        &format!("/registry/ranges/servicenodeports/{port}")
    ));
}
