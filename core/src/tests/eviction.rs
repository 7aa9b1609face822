//! `pods/eviction`: a delete that a PodDisruptionBudget may refuse.

use super::harness::{body, statuses, Harness};

const PODS: &str = "/api/v1/namespaces/default/pods";
const PDBS: &str = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";

fn evict(name: &str) -> String {
    format!(
        r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{name}","namespace":"default"}}}}"#
    )
}

#[test]
fn evictions_respect_the_disruption_budget() {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let pod = |name: &str| {
        format!(
            r#"{{"metadata":{{"name":"{name}","labels":{{"app":"web"}}}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.27"}}]}}}}"#
        )
    };
    for name in ["pending", "running"] {
        assert_eq!(statuses(&h.request(c, "POST", PODS, &pod(name))), vec![201]);
    }
    // A pending pod is evicted whatever the budgets say.
    let r = h.request(c, "POST", &format!("{PODS}/pending/eviction"), &evict("pending"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["status"], "Success");
    assert_eq!(
        statuses(&h.request(c, "GET", &format!("{PODS}/pending"), "")),
        vec![404]
    );
    // A running pod under a budget that allows no disruption is not.
    let mut running = body(&h.request(c, "GET", &format!("{PODS}/running"), ""));
    running["status"]["phase"] = "Running".into();
    let r = h.request(c, "PUT", &format!("{PODS}/running/status"), &running.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let pdb =
        r#"{"metadata":{"name":"web"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}"#;
    assert_eq!(statuses(&h.request(c, "POST", PDBS, pdb)), vec![201]);
    let r = h.request(c, "POST", &format!("{PODS}/running/eviction"), &evict("running"));
    assert_eq!(statuses(&r), vec![429], "{r}");
    let b = body(&r);
    assert_eq!(
        b["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(b["details"]["causes"][0]["reason"], "DisruptionBudget");
    assert_eq!(
        b["details"]["causes"][0]["message"],
        "The disruption budget web is still being processed by the server."
    );
    assert_eq!(b["details"]["retryAfterSeconds"], 10);
    // Once the budget's status allows one disruption, the eviction goes through.
    let mut budget = body(&h.request(c, "GET", &format!("{PDBS}/web"), ""));
    budget["status"] = serde_json::json!({"observedGeneration": 1, "disruptionsAllowed": 1,
        "currentHealthy": 1, "desiredHealthy": 0, "expectedPods": 1});
    let r = h.request(c, "PUT", &format!("{PDBS}/web/status"), &budget.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(c, "POST", &format!("{PODS}/running/eviction"), &evict("running"));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(
        statuses(&h.request(c, "GET", &format!("{PODS}/running"), "")),
        vec![404]
    );
    // The eviction took the allowed disruption from the budget and listed the pod.
    let budget = body(&h.request(c, "GET", &format!("{PDBS}/web"), ""));
    assert_eq!(budget["status"]["disruptionsAllowed"], 0, "{budget}");
    assert!(
        budget["status"]["disruptedPods"]["running"].is_string(),
        "{budget}"
    );
    let cond = &budget["status"]["conditions"][0];
    assert_eq!(
        (&cond["type"], &cond["status"], &cond["reason"]),
        (
            &"DisruptionAllowed".into(),
            &"False".into(),
            &"InsufficientPods".into()
        )
    );
    // So the next running pod under it stays.
    assert_eq!(statuses(&h.request(c, "POST", PODS, &pod("second"))), vec![201]);
    let mut second = body(&h.request(c, "GET", &format!("{PODS}/second"), ""));
    second["status"]["phase"] = "Running".into();
    let r = h.request(c, "PUT", &format!("{PODS}/second/status"), &second.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(c, "POST", &format!("{PODS}/second/eviction"), &evict("second"));
    assert_eq!(statuses(&r), vec![429], "{r}");
    assert_eq!(
        body(&r)["details"]["causes"][0]["message"],
        "The disruption budget web needs 0 healthy pods and has 1 currently"
    );
    // A budget whose disruptionsAllowed is negative refuses outright.
    let mut budget = body(&h.request(c, "GET", &format!("{PDBS}/web"), ""));
    budget["status"]["disruptionsAllowed"] = (-1).into();
    let r = h.request(c, "PUT", &format!("{PDBS}/web/status"), &budget.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(c, "POST", &format!("{PODS}/second/eviction"), &evict("second"));
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "poddisruptionbudget.policy \"web\" is forbidden: pdb disruptions allowed is negative"
    );
    // A dry run checks the budget but charges nothing.
    let mut budget = body(&h.request(c, "GET", &format!("{PDBS}/web"), ""));
    budget["status"]["disruptionsAllowed"] = 1.into();
    let r = h.request(c, "PUT", &format!("{PDBS}/web/status"), &budget.to_string());
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(
        c,
        "POST",
        &format!("{PODS}/second/eviction?dryRun=All"),
        &evict("second"),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let budget = body(&h.request(c, "GET", &format!("{PDBS}/web"), ""));
    assert_eq!(budget["status"]["disruptionsAllowed"], 1, "{budget}");
    assert_eq!(
        statuses(&h.request(c, "GET", &format!("{PODS}/second"), "")),
        vec![200]
    );
    // The Eviction must name the pod of the URL.
    let r = h.request(c, "POST", &format!("{PODS}/x/eviction"), &evict("y"));
    assert_eq!(statuses(&r), vec![400]);
}
