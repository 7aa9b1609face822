//! ValidatingAdmissionPolicy through the whole server: policies and bindings written through
//! the API judge later writes with CEL; kube's denial message, reason and code, warnings,
//! parameters, match conditions, variables, failure policies; nothing refused is stored.

use serde_json::{json, Value};

use super::harness::{body, statuses, Harness};
use crate::server::ConnId;

const POLICIES: &str = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
const BINDINGS: &str = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn post(h: &mut Harness, c: ConnId, path: &str, obj: Value) -> String {
    h.request(c, "POST", path, &obj.to_string())
}

fn policy(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["matchConstraints"] = json!({"resourceRules": [{
        "operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]}]});
    json!({"metadata": {"name": name}, "spec": spec})
}

fn binding(name: &str, policy: &str, extra: Value) -> Value {
    let mut spec = json!({"policyName": policy, "validationActions": ["Deny"]});
    if let (Some(s), Value::Object(extra)) = (spec.as_object_mut(), extra) {
        s.extend(extra);
    }
    json!({"metadata": {"name": name}, "spec": spec})
}

fn setup(policy_obj: Value, binding_obj: Value) -> (Harness, ConnId) {
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    let r = post(&mut h, c, POLICIES, policy_obj);
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = post(&mut h, c, BINDINGS, binding_obj);
    assert_eq!(statuses(&r), vec![201], "{r}");
    (h, c)
}

fn cm(name: &str, data: Value) -> Value {
    json!({"metadata": {"name": name}, "data": data})
}

#[test]
fn a_false_validation_denies_with_kubes_message_and_nothing_is_stored() {
    let p = policy(
        "small",
        json!({"validations": [
            {"expression": "size(object.data) <= 1", "message": "at most one key"},
            {"expression": "!has(object.data.secret)", "messageExpression": "'key secret is not allowed in ' + object.metadata.name", "reason": "Forbidden"}
        ]}),
    );
    let (mut h, c) = setup(p, binding("small-b", "small", json!({})));
    let r = post(&mut h, c, CMS, cm("ok", json!({"a": "1"})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = post(&mut h, c, CMS, cm("big", json!({"a": "1", "b": "2"})));
    assert_eq!(statuses(&r), vec![422], "{r}");
    let b = body(&r);
    assert_eq!(b["reason"], "Invalid");
    assert_eq!(
        b["message"],
        "configmaps \"big\" is forbidden: ValidatingAdmissionPolicy 'small' with binding 'small-b' denied request: at most one key"
    );
    let r = h.request(c, "GET", &format!("{CMS}/big"), "");
    assert_eq!(statuses(&r), vec![404], "a refused write stores nothing");
    let r = post(&mut h, c, CMS, cm("s", json!({"secret": "x"})));
    assert_eq!(statuses(&r), vec![403], "{r}");
    assert_eq!(
        body(&r)["message"],
        "configmaps \"s\" is forbidden: ValidatingAdmissionPolicy 'small' with binding 'small-b' denied request: key secret is not allowed in s"
    );
    // An update is judged too.
    let r = h.request_with(
        c,
        "PATCH",
        &format!("{CMS}/ok"),
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"data":{"b":"2"}}"#,
    );
    assert_eq!(statuses(&r), vec![422], "{r}");
    let ok = body(&h.request(c, "GET", &format!("{CMS}/ok"), ""));
    assert!(ok["data"]["b"].is_null(), "{ok}");
}

#[test]
fn warn_actions_warn_and_admit() {
    let p = policy(
        "warned",
        json!({"validations": [{"expression": "false", "message": "just so you know"}]}),
    );
    let (mut h, c) = setup(p, binding("w", "warned", json!({"validationActions": ["Warn"]})));
    let r = post(&mut h, c, CMS, cm("a", json!({})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    assert!(
        r.contains("Warning: 299 - \"Validation failed for ValidatingAdmissionPolicy 'warned' with binding 'w': just so you know\""),
        "{r}"
    );
}

#[test]
fn params_variables_and_match_conditions() {
    let mut p = policy(
        "limits",
        json!({
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "matchConditions": [{"name": "not-skipped", "expression": "object.metadata.name != 'skipped'"}],
            "variables": [{"name": "keys", "expression": "size(object.data)"}],
            "validations": [{"expression": "variables.keys <= int(params.data.max)", "messageExpression": "'too many keys: ' + string(variables.keys)"}]
        }),
    );
    // The parameter object itself is left out, or it could never be written.
    p["spec"]["matchConstraints"]["excludeResourceRules"] = json!([{
        "operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"], "resourceNames": ["limits"]}]);
    let (mut h, c) = setup(
        p,
        binding(
            "limits-b",
            "limits",
            json!({"paramRef": {"name": "limits", "parameterNotFoundAction": "Deny"}}),
        ),
    );
    // No parameter object yet: Deny.
    let r = post(&mut h, c, CMS, cm("x", json!({})));
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(
        body(&r)["message"].as_str().unwrap_or("").ends_with(
            "denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"
        ),
        "{r}"
    );
    let r = post(&mut h, c, CMS, cm("limits", json!({"max": "2"})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = post(&mut h, c, CMS, cm("two", json!({"a": "1", "b": "2"})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = post(&mut h, c, CMS, cm("three", json!({"a": "1", "b": "2", "c": "3"})));
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("denied request: too many keys: 3"),
        "{r}"
    );
    // A false match condition: the policy does not apply.
    let r = post(
        &mut h,
        c,
        CMS,
        cm("skipped", json!({"a": "1", "b": "2", "c": "3"})),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
}

#[test]
fn failing_expressions_follow_the_failure_policy() {
    let fail = policy(
        "strict",
        json!({"validations": [{"expression": "object.data.missing == 'x'"}]}),
    );
    let (mut h, c) = setup(fail, binding("strict-b", "strict", json!({})));
    let r = post(&mut h, c, CMS, cm("a", json!({})));
    assert_eq!(statuses(&r), vec![422], "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap_or("")
            .contains("denied request: expression 'object.data.missing == 'x'' resulted in error"),
        "{r}"
    );
    let ignore = policy(
        "lenient",
        json!({"failurePolicy": "Ignore", "validations": [{"expression": "object.data.missing == 'x'"}]}),
    );
    let mut h = Harness::new();
    let c = h.connect_admin(1);
    assert_eq!(statuses(&post(&mut h, c, POLICIES, ignore)), vec![201]);
    assert_eq!(
        statuses(&post(&mut h, c, BINDINGS, binding("l", "lenient", json!({})))),
        vec![201]
    );
    let r = post(&mut h, c, CMS, cm("a", json!({})));
    assert_eq!(statuses(&r), vec![201], "{r}");
    // Without a binding a policy does nothing; policies never judge their own kind.
    let r = post(
        &mut h,
        c,
        POLICIES,
        policy("unbound", json!({"validations": [{"expression": "false"}]})),
    );
    assert_eq!(statuses(&r), vec![201], "{r}");
    let r = post(&mut h, c, CMS, cm("b", json!({})));
    assert_eq!(statuses(&r), vec![201], "{r}");
}
