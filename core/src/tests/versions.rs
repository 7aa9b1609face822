//! Resources served in two versions: objects are stored once and converted on the way in and
//! out (autoscaling v1/v2 HorizontalPodAutoscalers, Events in core v1 and events.k8s.io/v1).

use super::harness::{body, statuses, Harness};

#[test]
fn an_hpa_written_as_v1_reads_as_v2_and_back() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let v1 = r#"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
        "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
        "minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":60}}"#;
    let r = h.request(
        c,
        "POST",
        "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
        v1,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let created = body(&r);
    assert_eq!(created["apiVersion"], "autoscaling/v1");
    assert_eq!(created["spec"]["targetCPUUtilizationPercentage"], 60);

    let r = h.request(
        c,
        "GET",
        "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web",
        "",
    );
    let v2 = body(&r);
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    let metric = &v2["spec"]["metrics"][0];
    assert_eq!(metric["resource"]["name"], "cpu");
    assert_eq!(metric["resource"]["target"]["averageUtilization"], 60);
    assert!(v2["spec"].get("targetCPUUtilizationPercentage").is_none());

    let list = h.request(
        c,
        "GET",
        "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
        "",
    );
    let list = body(&list);
    assert_eq!(list["apiVersion"], "autoscaling/v1");
    assert_eq!(list["items"][0]["spec"]["targetCPUUtilizationPercentage"], 60);
    assert!(
        list["items"][0].get("apiVersion").is_none(),
        "items carry no type"
    );
}

#[test]
fn an_event_written_through_events_k8s_io_reads_as_a_core_event() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let ev = r#"{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1"},
        "eventTime":"2026-11-29T10:00:00.000000Z","reportingController":"example.com/ctl",
        "reportingInstance":"ctl-1","action":"Scale","reason":"Scaled","type":"Normal",
        "note":"scaled to 3","regarding":{"kind":"Deployment","namespace":"default","name":"web"}}"#;
    let r = h.request(c, "POST", "/apis/events.k8s.io/v1/namespaces/default/events", ev);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["note"], "scaled to 3");
    let core = body(&h.request(c, "GET", "/api/v1/namespaces/default/events/e1", ""));
    assert_eq!(core["apiVersion"], "v1");
    assert_eq!(core["message"], "scaled to 3");
    assert_eq!(core["involvedObject"]["name"], "web");
    assert_eq!(core["reportingComponent"], "example.com/ctl");
}
