//! Admission webhooks through the whole server: configurations written through the API,
//! AdmissionReviews sent as HTTPS effects and answered here, and what the client gets.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::server::{HttpsCall, HttpsResponse, NetError};
use crate::ConnId;

const MUTATING: &str = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
const VALIDATING: &str = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
const CMS: &str = "/api/v1/namespaces/default/configmaps";

/// A webhook of `name` at `https://hook.test/<name>` for configmaps, with `extra` fields.
fn hook(name: &str, extra: Value) -> Value {
    let mut h = json!({
        "name": name,
        "clientConfig": {"url": format!("https://hook.test/{name}"), "caBundle": STANDARD.encode("CA")},
        "rules": [{"operations": ["CREATE", "UPDATE", "DELETE"], "apiGroups": [""], "apiVersions": ["v1"],
                   "resources": ["configmaps"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    });
    if let (Some(h), Value::Object(extra)) = (h.as_object_mut(), extra) {
        h.extend(extra);
    }
    h
}

fn configure(h: &mut Harness, c: ConnId, path: &str, config: &str, hooks: Vec<Value>) {
    let body = json!({"metadata": {"name": config}, "webhooks": hooks}).to_string();
    let r = h.request(c, "POST", path, &body);
    assert_eq!(statuses(&r), vec![201], "{r}");
}

/// The answer to the AdmissionReview `call` carries: `response` with its uid.
fn respond(call: &HttpsCall, mut response: Value) -> Result<HttpsResponse, NetError> {
    let review: Value = serde_json::from_slice(&call.body).expect("a review");
    response["uid"] = review["request"]["uid"].clone();
    ok(json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}))
}

fn ok(v: Value) -> Result<HttpsResponse, NetError> {
    Ok(HttpsResponse {
        status: 200,
        headers: Vec::new(),
        body: v.to_string().into_bytes(),
    })
}

fn review(call: &HttpsCall) -> Value {
    serde_json::from_slice(&call.body).expect("a review")
}

fn patch(ops: Value) -> Value {
    json!({"allowed": true, "patchType": "JSONPatch", "patch": STANDARD.encode(ops.to_string())})
}

/// Sends a request, answering each webhook call with `answer` until none is left waiting;
/// returns the response and the calls made.
fn serve(
    h: &mut Harness,
    c: ConnId,
    (method, path, body): (&str, &str, &str),
    answer: impl Fn(&HttpsCall) -> Result<HttpsResponse, NetError>,
) -> (String, Vec<HttpsCall>) {
    h.https_answer = None;
    let first = h.https.len();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    h.send(c, head.as_bytes());
    h.send(c, body.as_bytes());
    let mut next = first;
    while let Some(call) = h.https.get(next).cloned() {
        next += 1;
        h.answer_https(answer(&call));
    }
    (h.take(c), h.https[first..].to_vec())
}

fn setup() -> (Harness, ConnId) {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    (h, c)
}

const CM: &str = r#"{"metadata":{"name":"a","labels":{"app":"x"}},"data":{"k":"v"}}"#;

#[test]
fn a_mutating_webhook_patches_what_is_stored_and_sees_kubes_review() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        MUTATING,
        "m",
        vec![hook("label.example.com", json!({}))],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        respond(
            call,
            patch(json!([{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}])),
        )
    });
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(body(&r)["metadata"]["labels"]["mutated"], "yes");
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.url, "https://hook.test/label.example.com?timeout=10s");
    assert_eq!(call.method, "POST");
    assert_eq!(call.timeout_ms, 10_000);
    assert_eq!(call.tls.ca_pem, b"CA");
    let sent = review(call);
    assert_eq!(sent["apiVersion"], "admission.k8s.io/v1");
    let req = &sent["request"];
    assert_eq!(req["uid"].as_str().map(str::len), Some(36));
    assert_eq!(
        req["kind"],
        json!({"group": "", "version": "v1", "kind": "ConfigMap"})
    );
    assert_eq!(
        req["resource"],
        json!({"group": "", "version": "v1", "resource": "configmaps"})
    );
    assert_eq!(req["requestResource"], req["resource"]);
    assert_eq!(
        (req["name"].as_str(), req["namespace"].as_str()),
        (Some("a"), Some("default"))
    );
    assert_eq!(req["operation"], "CREATE");
    assert_eq!(req["userInfo"]["username"], "admin");
    assert_eq!(req["object"]["data"]["k"], "v");
    assert_eq!(req["oldObject"], Value::Null);
    assert_eq!(req["dryRun"], false);
    assert_eq!(req["options"]["kind"], "CreateOptions");
    let stored = body(&h.request(c, "GET", &format!("{CMS}/a"), ""));
    assert_eq!(stored["metadata"]["labels"]["mutated"], "yes");
}

#[test]
fn a_validating_webhook_denies_with_kubes_message_and_nothing_is_stored() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        MUTATING,
        "m",
        vec![hook("label.example.com", json!({}))],
    );
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![hook("deny.example.com", json!({}))],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        if call.url.contains("label") {
            return respond(
                call,
                patch(json!([{"op": "add", "path": "/data/added", "value": "1"}])),
            );
        }
        // The validating webhook sees what the mutating one made.
        let added = review(call)["request"]["object"]["data"]["added"].clone();
        assert_eq!(added, "1");
        respond(
            call,
            json!({"allowed": false, "status": {"code": 403, "reason": "Forbidden", "message": "configmaps are not welcome"}}),
        )
    });
    assert_eq!(statuses(&r), vec![403], "{r}");
    let status = body(&r);
    assert_eq!(
        status["message"],
        "admission webhook \"deny.example.com\" denied the request: configmaps are not welcome"
    );
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(calls.len(), 2);
    assert_eq!(statuses(&h.request(c, "GET", &format!("{CMS}/a"), "")), vec![404]);
}

#[test]
fn a_webhook_that_cannot_be_called_fails_closed_or_open_by_its_policy() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![hook("down.example.com", json!({}))],
    );
    let refused = |_: &HttpsCall| {
        Err(NetError::Refused {
            addr: "10.0.0.1:443".into(),
        })
    };
    let (r, _) = serve(&mut h, c, ("POST", CMS, CM), refused);
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert_eq!(
        body(&r)["message"],
        "Internal error occurred: failed calling webhook \"down.example.com\": failed to call webhook: Post \"https://hook.test/down.example.com?timeout=10s\": dial tcp 10.0.0.1:443: connect: connection refused"
    );
    assert_eq!(statuses(&h.request(c, "GET", &format!("{CMS}/a"), "")), vec![404]);

    let timed_out = |_: &HttpsCall| {
        Err(NetError::TimedOut {
            addr: "10.0.0.1:443".into(),
        })
    };
    let (r, _) = serve(&mut h, c, ("POST", CMS, CM), timed_out);
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("context deadline exceeded"),
        "{r}"
    );

    let r = h.request(c, "DELETE", &format!("{VALIDATING}/v"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    configure(
        &mut h,
        c,
        VALIDATING,
        "v2",
        vec![hook(
            "down.example.com",
            json!({"failurePolicy": "Ignore", "timeoutSeconds": 3}),
        )],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), refused);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(calls[0].timeout_ms, 3_000);
}

#[test]
fn a_bad_patch_or_a_wrong_uid_is_a_500() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        MUTATING,
        "m",
        vec![hook("bad.example.com", json!({"failurePolicy": "Ignore"}))],
    );
    // A patch that does not apply is an error whatever the failure policy.
    let (r, _) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        respond(
            call,
            patch(json!([{"op": "replace", "path": "/spec/missing", "value": 1}])),
        )
    });
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert!(body(&r)["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("Internal error occurred: replace operation does not apply"));
    assert_eq!(statuses(&h.request(c, "GET", &format!("{CMS}/a"), "")), vec![404]);

    let r = h.request(c, "DELETE", &format!("{MUTATING}/m"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    configure(
        &mut h,
        c,
        MUTATING,
        "m2",
        vec![hook("uid.example.com", json!({}))],
    );
    let (r, _) = serve(&mut h, c, ("POST", CMS, CM), |_| {
        ok(
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "response": {"uid": "not-it", "allowed": true}}),
        )
    });
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap_or("")
            .contains("failed calling webhook \"uid.example.com\": received invalid webhook response: expected response.uid="),
        "{r}"
    );
}

#[test]
fn selectors_and_match_conditions_skip_a_webhook() {
    let (mut h, c) = setup();
    let r = h.request(
        c,
        "POST",
        "/api/v1/namespaces",
        r#"{"metadata":{"name":"team","labels":{"hooked":"yes"}}}"#,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![
            hook(
                "ns.example.com",
                json!({"namespaceSelector": {"matchLabels": {"hooked": "yes"}}}),
            ),
            hook(
                "obj.example.com",
                json!({"objectSelector": {"matchLabels": {"app": "y"}}}),
            ),
            hook(
                "cond.example.com",
                json!({"matchConditions": [{"name": "not-skipped", "expression": "!('skip' in object.metadata.labels)"}]}),
            ),
        ],
    );
    let allow = |call: &HttpsCall| respond(call, json!({"allowed": true}));
    let skipped = r#"{"metadata":{"name":"s","labels":{"app":"x","skip":"1"}}}"#;
    let (r, calls) = serve(&mut h, c, ("POST", CMS, skipped), allow);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(calls.is_empty(), "{calls:?}");
    let in_team = r#"{"metadata":{"name":"t","labels":{"app":"y"}}}"#;
    let (r, calls) = serve(
        &mut h,
        c,
        ("POST", "/api/v1/namespaces/team/configmaps", in_team),
        allow,
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let urls: Vec<&str> = calls.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://hook.test/ns.example.com?timeout=10s",
            "https://hook.test/obj.example.com?timeout=10s",
            "https://hook.test/cond.example.com?timeout=10s",
        ]
    );
}

#[test]
fn a_match_condition_that_fails_refuses_under_fail() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![hook(
            "cond.example.com",
            json!({"matchConditions": [{"name": "c", "expression": "object.spec.missing == 1"}]}),
        )],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        respond(call, json!({"allowed": true}))
    });
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert!(calls.is_empty());
    assert!(
        body(&r)["message"].as_str().unwrap_or("").starts_with(
            "configmaps \"a\" is forbidden: expression 'object.spec.missing == 1' resulted in error"
        ),
        "{r}"
    );
}

#[test]
fn a_dry_run_never_reaches_a_webhook_with_side_effects() {
    let (mut h, c) = setup();
    // v1 refuses `Some` when written; a configuration kept from an older version may have it.
    let config = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "v", "uid": "v-1"},
        "webhooks": [hook("effects.example.com", json!({"sideEffects": "Some"}))],
    });
    h.write_elsewhere(&crate::storage::StorageRequest::Txn {
        compare: Vec::new(),
        success: vec![crate::storage::TxnOp::Put {
            key: b"/registry/validatingwebhookconfigurations/v".to_vec(),
            value: serde_json::to_vec(&config).expect("JSON"),
            ttl_secs: None,
        }],
        failure: Vec::new(),
    });
    let dry = format!("{CMS}?dryRun=All");
    let allow = |call: &HttpsCall| respond(call, json!({"allowed": true}));
    let (r, calls) = serve(&mut h, c, ("POST", &dry, CM), allow);
    assert_eq!(statuses(&r), vec![400], "{r}");
    assert_eq!(
        body(&r)["message"],
        "admission webhook \"effects.example.com\" does not support dry run"
    );
    assert!(calls.is_empty());
    // Not a dry run: it is called.
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), allow);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(calls.len(), 1);
}

#[test]
fn a_dry_run_reaches_a_webhook_without_side_effects_and_stores_nothing() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        MUTATING,
        "m",
        vec![hook("dry.example.com", json!({"sideEffects": "NoneOnDryRun"}))],
    );
    let dry = format!("{CMS}?dryRun=All");
    let (r, calls) = serve(&mut h, c, ("POST", &dry, CM), |call| {
        respond(call, json!({"allowed": true}))
    });
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(review(&calls[0])["request"]["dryRun"], true);
    assert_eq!(statuses(&h.request(c, "GET", &format!("{CMS}/a"), "")), vec![404]);
}

#[test]
fn warnings_reach_the_client() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![hook("warn.example.com", json!({}))],
    );
    let (r, _) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        respond(
            call,
            json!({"allowed": true, "warnings": ["careful with configmaps"]}),
        )
    });
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(r.contains("Warning: 299 - \"careful with configmaps\""), "{r}");
}

#[test]
fn webhook_configurations_are_never_sent_to_webhooks() {
    let (mut h, c) = setup();
    let all = hook(
        "all.example.com",
        json!({"rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]}]}),
    );
    configure(&mut h, c, VALIDATING, "v", vec![all.clone()]);
    let deny = |call: &HttpsCall| respond(call, json!({"allowed": false}));
    let cfg = json!({"metadata": {"name": "other"}, "webhooks": [all]}).to_string();
    let (r, calls) = serve(&mut h, c, ("POST", MUTATING, &cfg), deny);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(calls.is_empty());
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), deny);
    assert_eq!(statuses(&r), vec![400], "{r}");
    assert_eq!(
        body(&r)["message"],
        "admission webhook \"all.example.com\" denied the request without explanation"
    );
    assert_eq!(calls.len(), 1);
}

#[test]
fn an_if_needed_webhook_is_called_again_after_a_later_one_changed_the_object() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        MUTATING,
        "a",
        vec![
            hook("first.example.com", json!({"reinvocationPolicy": "IfNeeded"})),
            hook("second.example.com", json!({})),
        ],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        if call.url.contains("second") {
            return respond(
                call,
                patch(json!([{"op": "add", "path": "/data/second", "value": "1"}])),
            );
        }
        respond(call, json!({"allowed": true}))
    });
    assert_eq!(statuses(&r), vec![201], "{r}");
    let urls: Vec<&str> = calls.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://hook.test/first.example.com?timeout=10s",
            "https://hook.test/second.example.com?timeout=10s",
            "https://hook.test/first.example.com?timeout=10s",
        ]
    );
    assert_eq!(review(&calls[2])["request"]["object"]["data"]["second"], "1");
}

#[test]
fn a_delete_is_sent_with_the_object_as_old_object_and_can_be_refused() {
    let (mut h, c) = setup();
    let r = h.request(c, "POST", CMS, CM);
    assert_eq!(statuses(&r), vec![201], "{r}");
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![hook("keep.example.com", json!({}))],
    );
    let (r, calls) = serve(&mut h, c, ("DELETE", &format!("{CMS}/a"), ""), |call| {
        respond(call, json!({"allowed": false, "status": {"message": "keep it"}}))
    });
    assert_eq!(statuses(&r), vec![400], "{r}");
    let req = review(&calls[0])["request"].clone();
    assert_eq!(req["operation"], "DELETE");
    assert_eq!(req["object"], Value::Null);
    assert_eq!(req["oldObject"]["data"]["k"], "v");
    assert_eq!(req["options"]["kind"], "DeleteOptions");
    assert_eq!(statuses(&h.request(c, "GET", &format!("{CMS}/a"), "")), vec![200]);
    // A delete of what is not there is a 404 before any webhook is asked.
    let (r, calls) = serve(&mut h, c, ("DELETE", &format!("{CMS}/none"), ""), |call| {
        respond(call, json!({"allowed": true}))
    });
    assert_eq!(statuses(&r), vec![404], "{r}");
    assert!(calls.is_empty());
}

#[test]
fn a_service_webhook_is_called_at_an_endpoint_with_the_service_name_for_tls() {
    let (mut h, c) = setup();
    let svc =
        r#"{"metadata":{"name":"hooks"},"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}"#;
    let r = h.request(c, "POST", "/api/v1/namespaces/default/services", svc);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let service_hook = hook(
        "svc.example.com",
        json!({"clientConfig": {"service": {"namespace": "default", "name": "hooks", "path": "/validate"}}}),
    );
    configure(&mut h, c, VALIDATING, "v", vec![service_hook]);
    // No endpoints yet: the call cannot be made.
    let allow = |call: &HttpsCall| respond(call, json!({"allowed": true}));
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), allow);
    assert_eq!(statuses(&r), vec![500], "{r}");
    assert!(calls.is_empty());
    assert!(
        body(&r)["message"].as_str().unwrap_or("").contains(
            "failed to call webhook: Post \"https://hooks.default.svc:443/validate?timeout=10s\": endpoints \"hooks\" not found"
        ) || body(&r)["message"].as_str().unwrap_or("").contains("no endpoints available"),
        "{r}"
    );
    let eps = r#"{"metadata":{"name":"hooks"},"subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"name":"https","port":8443}]}]}"#;
    let r = h.request(c, "POST", "/api/v1/namespaces/default/endpoints", eps);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), allow);
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert_eq!(calls[0].url, "https://10.1.2.3:8443/validate?timeout=10s");
    assert_eq!(calls[0].tls.server_name.as_deref(), Some("hooks.default.svc"));
}

#[test]
fn a_system_namespace_is_still_refused_its_delete_after_it_is_read() {
    let (mut h, c) = setup();
    let r = h.request(c, "GET", "/api/v1/namespaces/kube-system", "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    let r = h.request(c, "DELETE", "/api/v1/namespaces/kube-system", "");
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "namespaces \"kube-system\" is forbidden: this namespace may not be deleted"
    );
    let r = h.request(c, "GET", "/api/v1/namespaces/kube-system", "");
    assert_eq!(body(&r)["status"]["phase"], "Active", "{r}");
}

#[test]
fn an_equivalent_webhook_sees_another_version_of_the_same_resource() {
    let (mut h, c) = setup();
    let v2_rules = json!([{"operations": ["CREATE"], "apiGroups": ["autoscaling"], "apiVersions": ["v2"],
                           "resources": ["horizontalpodautoscalers"]}]);
    configure(
        &mut h,
        c,
        MUTATING,
        "m",
        vec![
            hook("equivalent.example.com", json!({"rules": v2_rules})),
            hook(
                "exact.example.com",
                json!({"rules": v2_rules, "matchPolicy": "Exact"}),
            ),
        ],
    );
    let v1 = r#"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
        "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
        "minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":60}}"#;
    let path = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
    let (r, calls) = serve(&mut h, c, ("POST", path, v1), |call| {
        respond(
            call,
            patch(json!([{"op": "add", "path": "/metadata/labels", "value": {"seen-as": "v2"}}])),
        )
    });
    assert_eq!(statuses(&r), vec![201], "{r}");
    let reqs: Vec<Value> = calls.iter().map(|c| review(c)["request"].clone()).collect();
    assert_eq!(calls.len(), 1, "the Exact webhook is not called: {reqs:#?}");
    let req = review(&calls[0])["request"].clone();
    assert_eq!(
        req["kind"],
        json!({"group": "autoscaling", "version": "v2", "kind": "HorizontalPodAutoscaler"})
    );
    assert_eq!(req["requestKind"]["version"], "v1");
    assert_eq!(req["requestResource"]["version"], "v1");
    assert_eq!(req["object"]["apiVersion"], "autoscaling/v2");
    assert_eq!(
        req["object"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        60
    );
    let created = body(&r);
    assert_eq!(created["apiVersion"], "autoscaling/v1");
    assert_eq!(created["metadata"]["labels"]["seen-as"], "v2");
    assert_eq!(created["spec"]["targetCPUUtilizationPercentage"], 60);
}

#[test]
fn an_ignored_failure_skips_and_v1beta1_is_spoken_when_first_accepted() {
    let (mut h, c) = setup();
    configure(
        &mut h,
        c,
        VALIDATING,
        "v",
        vec![
            hook(
                "cond.example.com",
                json!({"failurePolicy": "Ignore",
                       "matchConditions": [{"name": "c", "expression": "object.spec.missing == 1"}]}),
            ),
            hook(
                "beta.example.com",
                json!({"admissionReviewVersions": ["v1beta1", "v1"]}),
            ),
            hook("error.example.com", json!({})),
        ],
    );
    let (r, calls) = serve(&mut h, c, ("POST", CMS, CM), |call| {
        let sent = review(call);
        if call.url.contains("beta") {
            // v1beta1 answers are not held to the uid or the apiVersion.
            assert_eq!(sent["apiVersion"], "admission.k8s.io/v1beta1");
            return ok(json!({"response": {"allowed": true}}));
        }
        Ok(HttpsResponse {
            status: 500,
            headers: Vec::new(),
            body: b"webhook exploded".to_vec(),
        })
    });
    assert_eq!(statuses(&r), vec![500], "{r}");
    let urls: Vec<&str> = calls.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://hook.test/beta.example.com?timeout=10s",
            "https://hook.test/error.example.com?timeout=10s",
        ]
    );
    assert_eq!(
        body(&r)["message"],
        "Internal error occurred: failed calling webhook \"error.example.com\": failed to call webhook: an error on the server (\"webhook exploded\") has prevented the request from succeeding"
    );
}

/// Fail-open means fail-open: four `Ignore` webhooks that each hang for their whole 10 s
/// timeout would together outlast a 25 s request; the ones whose call would end inside the
/// request's reserve are not called, with a warning each, and the write goes through.
#[test]
fn ignore_webhooks_never_make_the_request_time_out() {
    let mut h = Harness::with(|c| c.request_timeout_ms = 25_000);
    let c = h.connect_admin(1);
    let slow = |name: &str| hook(name, json!({"failurePolicy": "Ignore", "timeoutSeconds": 10}));
    configure(
        &mut h,
        c,
        VALIDATING,
        "slow",
        vec![
            slow("a.example.com"),
            slow("b.example.com"),
            slow("c.example.com"),
            slow("d.example.com"),
        ],
    );
    h.https_answer = None;
    let first = h.https.len();
    let head = format!(
        "POST {CMS} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        CM.len()
    );
    h.send(c, head.as_bytes());
    h.send(c, CM.as_bytes());
    let mut next = first;
    while let Some(call) = h.https.get(next).cloned() {
        next += 1;
        // The webhook never answers: the call ends at its timeout.
        h.advance(call.timeout_ms);
        h.answer_https(Err(NetError::TimedOut {
            addr: "hook.test:443".into(),
        }));
    }
    let r = h.take(c);
    let called: Vec<String> = h.https[first..].iter().map(|c| c.url.clone()).collect();
    assert_eq!(
        called,
        vec![
            "https://hook.test/a.example.com?timeout=10s",
            "https://hook.test/b.example.com?timeout=10s"
        ]
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    for skipped in ["c.example.com", "d.example.com"] {
        assert!(
            r.contains(&format!(
                "Warning: 299 - \"admission webhook \\\"{skipped}\\\" was not called: its timeout of 10s would outlast the request's deadline (failurePolicy Ignore)\""
            )),
            "{r}"
        );
    }

    // A `Fail` webhook is always called, as in kube: one that hangs past the deadline ends
    // the request in a 504, and nothing is stored.
    let r = h.request(c, "DELETE", &format!("{VALIDATING}/slow"), "");
    assert_eq!(statuses(&r), vec![200], "{r}");
    configure(
        &mut h,
        c,
        VALIDATING,
        "strict",
        vec![hook(
            "e.example.com",
            json!({"failurePolicy": "Fail", "timeoutSeconds": 30}),
        )],
    );
    let first = h.https.len();
    let body = r#"{"metadata":{"name":"b"}}"#;
    let head = format!(
        "POST {CMS} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    h.send(c, head.as_bytes());
    h.send(c, body.as_bytes());
    assert_eq!(h.https.len(), first + 1, "the Fail webhook is called");
    h.advance(25_001);
    let r = h.take(c);
    assert_eq!(statuses(&r), vec![504], "{r}");
    h.answer_https(Err(NetError::TimedOut {
        addr: "hook.test:443".into(),
    }));
    let r = h.request(c, "GET", &format!("{CMS}/b"), "");
    assert_eq!(statuses(&r), vec![404], "{r}");
}
