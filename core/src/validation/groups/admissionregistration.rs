//! admissionregistration.k8s.io/v1: Mutating/ValidatingWebhookConfiguration,
//! ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding. CEL
//! expressions must compile (their types and cost are not checked).

use super::super::field_error::FieldError;
use super::super::metadata::validate_label_selector;
use super::super::names::{dns1035_label_errors, path_segment_errors, qualified_name_errors};
use super::super::value::{arr_of, default_field, each_mut, ensure_obj, get, opt_str, str_of, Path};
use super::common::{child, client_config, fully_qualified_name, invalid_each, is_set, subdomain};
use serde_json::{json, Value};

const REVIEW_VERSIONS: [&str; 2] = ["v1", "v1beta1"];
const FAILURE_POLICIES: [&str; 2] = ["Fail", "Ignore"];
const MATCH_POLICIES: [&str; 2] = ["Equivalent", "Exact"];
const NO_SIDE_EFFECTS: [&str; 2] = ["None", "NoneOnDryRun"];
const ALL_SIDE_EFFECTS: [&str; 4] = ["None", "NoneOnDryRun", "Some", "Unknown"];
const OPERATIONS: [&str; 5] = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const SCOPES: [&str; 3] = ["*", "Cluster", "Namespaced"];
const MAX_MATCH_CONDITIONS: usize = 64;

fn strs(list: &[Value]) -> Vec<&str> {
    list.iter().map(|v| v.as_str().unwrap_or("")).collect()
}

fn has_wildcard(list: &[Value]) -> bool {
    list.iter().any(|v| v.as_str() == Some("*"))
}

// ---------------------------------------------------------------- webhooks

/// Webhook configuration rules. On update, leniencies apply where `old`
/// already broke a rule (side effects, review versions, duplicate names).
pub(super) fn validate_webhook_configuration(
    obj: &Value,
    mutating: bool,
    old: Option<&Value>,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let old_hooks = old.map(|o| arr_of(o, "webhooks"));
    let strict_side_effects = old_hooks.is_none_or(|hs| {
        hs.iter()
            .all(|h| opt_str(h, "sideEffects").is_some_and(|s| NO_SIDE_EFFECTS.contains(&s)))
    });
    let strict_versions = old_hooks.is_none_or(|hs| {
        hs.iter().all(|h| {
            let v = strs(arr_of(h, "admissionReviewVersions"));
            v.is_empty() || v.iter().any(|x| REVIEW_VERSIONS.contains(x))
        })
    });
    let unique_names = old_hooks.is_none_or(|hs| {
        let names: Vec<&str> = hs.iter().map(|h| str_of(h, "name")).collect();
        names
            .iter()
            .enumerate()
            .all(|(i, n)| !names.iter().take(i).any(|m| m == n))
    });
    let mut seen: Vec<&str> = Vec::new();
    for (i, hook) in arr_of(obj, "webhooks").iter().enumerate() {
        let p = Path::new("webhooks").index(i);
        errs.extend(validate_webhook(hook, mutating, strict_side_effects, &p));
        errs.extend(validate_review_versions(
            arr_of(hook, "admissionReviewVersions"),
            strict_versions,
            &p.child("admissionReviewVersions"),
        ));
        let name = str_of(hook, "name");
        if unique_names && !name.is_empty() {
            if seen.contains(&name) {
                errs.push(FieldError::duplicate(p.child("name").as_str(), name));
            } else {
                seen.push(name);
            }
        }
    }
    errs
}

fn validate_webhook(hook: &Value, mutating: bool, strict_side_effects: bool, p: &Path) -> Vec<FieldError> {
    let mut errs = fully_qualified_name(&p.child("name"), str_of(hook, "name"));
    for (i, rule) in arr_of(hook, "rules").iter().enumerate() {
        errs.extend(validate_rule_with_operations(rule, &p.child("rules").index(i)));
    }
    if let Some(fp) = opt_str(hook, "failurePolicy") {
        if !FAILURE_POLICIES.contains(&fp) {
            errs.push(FieldError::not_supported(
                p.child("failurePolicy").as_str(),
                fp,
                &FAILURE_POLICIES,
            ));
        }
    }
    if let Some(mp) = opt_str(hook, "matchPolicy") {
        if !MATCH_POLICIES.contains(&mp) {
            errs.push(FieldError::not_supported(
                p.child("matchPolicy").as_str(),
                mp,
                &MATCH_POLICIES,
            ));
        }
    }
    let allowed: &[&str] = if strict_side_effects {
        &NO_SIDE_EFFECTS
    } else {
        &ALL_SIDE_EFFECTS
    };
    match opt_str(hook, "sideEffects") {
        None => errs.push(FieldError::required(
            p.child("sideEffects").as_str(),
            &format!("must specify one of {}", allowed.join(", ")),
        )),
        Some(s) if !allowed.contains(&s) => {
            errs.push(FieldError::not_supported(
                p.child("sideEffects").as_str(),
                s,
                allowed,
            ));
        }
        Some(_) => {}
    }
    if let Some(t) = get(hook, "timeoutSeconds").and_then(Value::as_i64) {
        if !(1..=30).contains(&t) {
            errs.push(FieldError::invalid(
                p.child("timeoutSeconds").as_str(),
                t,
                "the timeout value must be between 1 and 30 seconds",
            ));
        }
    }
    for key in ["namespaceSelector", "objectSelector"] {
        errs.extend(validate_label_selector(get(hook, key), &p.child(key)));
    }
    if mutating {
        if let Some(r) = opt_str(hook, "reinvocationPolicy") {
            if r != "IfNeeded" && r != "Never" {
                errs.push(FieldError::not_supported(
                    p.child("reinvocationPolicy").as_str(),
                    r,
                    &["IfNeeded", "Never"],
                ));
            }
        }
    }
    errs.extend(client_config(
        &p.child("clientConfig"),
        child(hook, "clientConfig"),
        true,
    ));
    errs.extend(validate_match_conditions(
        arr_of(hook, "matchConditions"),
        &p.child("matchConditions"),
    ));
    errs
}

fn validate_review_versions(versions: &[Value], strict: bool, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if versions.is_empty() {
        errs.push(FieldError::required(
            p.as_str(),
            &format!("must specify one of {}", REVIEW_VERSIONS.join(", ")),
        ));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut accepted = false;
    for (i, v) in versions.iter().enumerate() {
        let v = v.as_str().unwrap_or("");
        if seen.contains(&v) {
            errs.push(FieldError::invalid(p.index(i).as_str(), v, "duplicate version"));
            continue;
        }
        seen.push(v);
        errs.extend(invalid_each(&p.index(i), v, dns1035_label_errors(v)));
        accepted |= REVIEW_VERSIONS.contains(&v);
    }
    if strict && !accepted {
        errs.push(FieldError::invalid(
            p.as_str(),
            Value::Array(versions.to_vec()),
            &format!("must include at least one of {}", REVIEW_VERSIONS.join(", ")),
        ));
    }
    errs
}

fn validate_rule_with_operations(rule: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ops = arr_of(rule, "operations");
    let op = p.child("operations");
    if ops.is_empty() {
        errs.push(FieldError::required(op.as_str(), ""));
    }
    if ops.len() > 1 && has_wildcard(ops) {
        errs.push(FieldError::invalid_rendered(
            op.as_str(),
            super::common::go_typed_slice("admissionregistration.OperationType", get(rule, "operations")),
            "if '*' is present, must not specify other operations",
        ));
    }
    for (i, o) in strs(ops).into_iter().enumerate() {
        if !OPERATIONS.contains(&o) {
            errs.push(FieldError::not_supported(op.index(i).as_str(), o, &OPERATIONS));
        }
    }
    errs.extend(validate_rule(rule, p));
    errs
}

fn validate_rule(rule: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let groups = arr_of(rule, "apiGroups");
    if groups.is_empty() {
        errs.push(FieldError::required(p.child("apiGroups").as_str(), ""));
    }
    if groups.len() > 1 && has_wildcard(groups) {
        errs.push(FieldError::invalid(
            p.child("apiGroups").as_str(),
            Value::Array(groups.to_vec()),
            "if '*' is present, must not specify other API groups",
        ));
    }
    let versions = arr_of(rule, "apiVersions");
    if versions.is_empty() {
        errs.push(FieldError::required(p.child("apiVersions").as_str(), ""));
    }
    if versions.len() > 1 && has_wildcard(versions) {
        errs.push(FieldError::invalid(
            p.child("apiVersions").as_str(),
            Value::Array(versions.to_vec()),
            "if '*' is present, must not specify other API versions",
        ));
    }
    for (i, v) in strs(versions).into_iter().enumerate() {
        if v.is_empty() {
            errs.push(FieldError::required(p.child("apiVersions").index(i).as_str(), ""));
        }
    }
    errs.extend(validate_resources(
        arr_of(rule, "resources"),
        &p.child("resources"),
    ));
    if let Some(s) = opt_str(rule, "scope") {
        if !SCOPES.contains(&s) {
            errs.push(FieldError::not_supported(p.child("scope").as_str(), s, &SCOPES));
        }
    }
    errs
}

fn validate_resources(resources: &[Value], p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if resources.is_empty() {
        errs.push(FieldError::required(p.as_str(), ""));
    }
    let (mut wild_sub, mut wild_res): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let (mut double, mut single, mut plain) = (false, false, false);
    for (i, r) in strs(resources).into_iter().enumerate() {
        if r.is_empty() {
            errs.push(FieldError::required(p.index(i).as_str(), ""));
            continue;
        }
        double |= r == "*/*";
        single |= r == "*";
        let Some((res, sub)) = r.split_once('/') else {
            plain = r != "*";
            continue;
        };
        if wild_sub.contains(&res) {
            errs.push(FieldError::invalid(
                p.index(i).as_str(),
                r,
                &format!("if '{res}/*' is present, must not specify {r}"),
            ));
        }
        if wild_res.contains(&sub) {
            errs.push(FieldError::invalid(
                p.index(i).as_str(),
                r,
                &format!("if '*/{sub}' is present, must not specify {r}"),
            ));
        }
        if sub == "*" {
            wild_sub.push(res);
        }
        if res == "*" {
            wild_res.push(sub);
        }
    }
    let all = Value::Array(resources.to_vec());
    if resources.len() > 1 && double {
        errs.push(FieldError::invalid(
            p.as_str(),
            all.clone(),
            "if '*/*' is present, must not specify other resources",
        ));
    }
    if single && plain {
        errs.push(FieldError::invalid(
            p.as_str(),
            all,
            "if '*' is present, must not specify other resources without subresources",
        ));
    }
    errs
}

/// A CEL expression that does not compile is refused where it is written (an empty one
/// is reported as missing elsewhere).
fn compiles(expr: &str, p: &Path) -> Option<FieldError> {
    if expr.trim().is_empty() {
        return None;
    }
    crate::cel::compile(expr).err().map(|e| {
        FieldError::invalid(
            p.as_str(),
            expr,
            &format!("compilation failed: ERROR: <input>: {e}"),
        )
    })
}

fn validate_match_conditions(conds: &[Value], p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if conds.len() > MAX_MATCH_CONDITIONS {
        errs.push(FieldError::too_many(
            p.as_str(),
            conds.len(),
            MAX_MATCH_CONDITIONS,
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in conds.iter().enumerate() {
        let cp = p.index(i);
        if str_of(c, "expression").trim().is_empty() {
            errs.push(FieldError::required(cp.child("expression").as_str(), ""));
        }
        errs.extend(compiles(str_of(c, "expression"), &cp.child("expression")));
        let name = str_of(c, "name");
        if name.is_empty() {
            errs.push(FieldError::required(cp.child("name").as_str(), ""));
        } else {
            errs.extend(invalid_each(&cp.child("name"), name, qualified_name_errors(name)));
            if seen.contains(&name) {
                errs.push(FieldError::duplicate(cp.child("name").as_str(), name));
            } else {
                seen.push(name);
            }
        }
    }
    errs
}

/// Webhook defaults: Fail, Equivalent, empty selectors, 10s timeout, and
/// `Never` reinvocation for mutating hooks.
pub(super) fn default_webhook_configuration(obj: &mut Value, mutating: bool) {
    for hook in each_mut(obj, "webhooks") {
        default_field(hook, "failurePolicy", json!("Fail"));
        default_field(hook, "matchPolicy", json!("Equivalent"));
        default_field(hook, "namespaceSelector", json!({}));
        default_field(hook, "objectSelector", json!({}));
        default_field(hook, "timeoutSeconds", json!(10));
        if mutating {
            default_field(hook, "reinvocationPolicy", json!("Never"));
        }
        for rule in each_mut(hook, "rules") {
            default_field(rule, "scope", json!("*"));
        }
        if let Some(svc) = hook
            .get_mut("clientConfig")
            .and_then(|c| c.get_mut("service"))
            .filter(|s| s.is_object())
        {
            default_field(svc, "port", json!(443));
        }
    }
}

// ---------------------------------------------------------------- policies

fn validate_match_resources(mc: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match opt_str(mc, "matchPolicy") {
        None => errs.push(FieldError::required(p.child("matchPolicy").as_str(), "")),
        Some(m) if !MATCH_POLICIES.contains(&m) => {
            errs.push(FieldError::not_supported(
                p.child("matchPolicy").as_str(),
                m,
                &MATCH_POLICIES,
            ));
        }
        Some(_) => {}
    }
    for key in ["namespaceSelector", "objectSelector"] {
        if is_set(mc, key) {
            errs.extend(validate_label_selector(get(mc, key), &p.child(key)));
        } else {
            errs.push(FieldError::required(p.child(key).as_str(), ""));
        }
    }
    for key in ["resourceRules", "excludeResourceRules"] {
        for (i, r) in arr_of(mc, key).iter().enumerate() {
            let rp = p.child(key).index(i);
            let mut seen: Vec<&str> = Vec::new();
            for (j, n) in strs(arr_of(r, "resourceNames")).into_iter().enumerate() {
                let np = rp.child("resourceNames").index(j);
                errs.extend(invalid_each(&np, n, path_segment_errors(n)));
                if seen.contains(&n) {
                    errs.push(FieldError::duplicate(np.as_str(), n));
                } else {
                    seen.push(n);
                }
            }
            errs.extend(validate_rule_with_operations(r, &rp));
        }
    }
    errs
}

fn validate_param_kind(pk: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let av = str_of(pk, "apiVersion");
    let ap = p.child("apiVersion");
    if av.is_empty() {
        errs.push(FieldError::required(ap.as_str(), ""));
    } else if av.matches('/').count() > 1 {
        errs.push(FieldError::invalid(
            ap.as_str(),
            av,
            &format!("unexpected GroupVersion string: {av}"),
        ));
    } else {
        let (group, version) = if av == "/" {
            ("", "")
        } else {
            av.split_once('/').unwrap_or(("", av))
        };
        if !group.is_empty() {
            let e = super::super::names::dns1123_subdomain_errors(group);
            if !e.is_empty() {
                errs.push(FieldError::invalid(ap.as_str(), group, &e.join(",")));
            }
        }
        if version.is_empty() {
            errs.push(FieldError::invalid(ap.as_str(), av, "version must be specified"));
        } else {
            let e = dns1035_label_errors(version);
            if !e.is_empty() {
                errs.push(FieldError::invalid(ap.as_str(), version, &e.join(",")));
            }
        }
    }
    let kind = str_of(pk, "kind");
    if kind.is_empty() {
        errs.push(FieldError::required(p.child("kind").as_str(), ""));
    } else {
        let e = dns1035_label_errors(&kind.to_lowercase());
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                p.child("kind").as_str(),
                kind,
                &format!("may have mixed case, but should otherwise match: {}", e.join(",")),
            ));
        }
    }
    errs
}

fn is_cel_identifier(s: &str) -> bool {
    const RESERVED: [&str; 21] = [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    let b = s.as_bytes();
    b.first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && !RESERVED.contains(&s)
}

/// ValidatingAdmissionPolicy rules (structure only; CEL is not compiled).
pub(super) fn validate_policy(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    match opt_str(spec, "failurePolicy") {
        None => errs.push(FieldError::required(sp.child("failurePolicy").as_str(), "")),
        Some(f) if !FAILURE_POLICIES.contains(&f) => {
            errs.push(FieldError::not_supported(
                sp.child("failurePolicy").as_str(),
                f,
                &FAILURE_POLICIES,
            ));
        }
        Some(_) => {}
    }
    if is_set(spec, "paramKind") {
        errs.extend(validate_param_kind(
            child(spec, "paramKind"),
            &sp.child("paramKind"),
        ));
    }
    if is_set(spec, "matchConstraints") {
        let mc = child(spec, "matchConstraints");
        errs.extend(validate_match_resources(mc, &sp.child("matchConstraints")));
        if arr_of(mc, "resourceRules").is_empty() {
            errs.push(FieldError::required(
                sp.child("matchConstraints").child("resourceRules").as_str(),
                "",
            ));
        }
    } else {
        errs.push(FieldError::required(sp.child("matchConstraints").as_str(), ""));
    }
    errs.extend(validate_match_conditions(
        arr_of(spec, "matchConditions"),
        &sp.child("matchConditions"),
    ));
    for (i, v) in arr_of(spec, "variables").iter().enumerate() {
        let vp = sp.child("variables").index(i);
        let name = str_of(v, "name");
        if name.trim().is_empty() {
            errs.push(FieldError::required(
                vp.child("name").as_str(),
                "name is not specified",
            ));
        } else if !is_cel_identifier(name) {
            errs.push(FieldError::invalid(
                vp.child("name").as_str(),
                name,
                "name is not a valid CEL identifier",
            ));
        }
        if str_of(v, "expression").trim().is_empty() {
            errs.push(FieldError::required(
                vp.child("expression").as_str(),
                "expression is not specified",
            ));
        }
        errs.extend(compiles(str_of(v, "expression"), &vp.child("expression")));
    }
    let validations = arr_of(spec, "validations");
    let audits = arr_of(spec, "auditAnnotations");
    if validations.is_empty() && audits.is_empty() {
        const BOTH: &str = "validations or auditAnnotations must contain at least one item";
        errs.push(FieldError::required(sp.child("validations").as_str(), BOTH));
        errs.push(FieldError::required(sp.child("auditAnnotations").as_str(), BOTH));
        return errs;
    }
    for (i, v) in validations.iter().enumerate() {
        errs.extend(validate_validation(v, &sp.child("validations").index(i)));
    }
    let ap = sp.child("auditAnnotations");
    if audits.len() > 20 {
        errs.push(FieldError::invalid(
            ap.as_str(),
            Value::Array(audits.to_vec()),
            "must not have more than 20 auditAnnotations",
        ));
    }
    let name = get(obj, "metadata").map_or("", |m| str_of(m, "name"));
    let mut keys: Vec<&str> = Vec::new();
    for (i, a) in audits.iter().enumerate() {
        let p = ap.index(i);
        let key = str_of(a, "key");
        if name.is_empty() {
            errs.push(FieldError::invalid(
                p.child("key").as_str(),
                key,
                "requires metadata.name be non-empty",
            ));
        } else {
            let full = format!("{name}/{key}");
            errs.extend(invalid_each(&p.child("key"), &full, qualified_name_errors(&full)));
        }
        let ve = str_of(a, "valueExpression").trim();
        if ve.is_empty() {
            errs.push(FieldError::required(
                p.child("valueExpression").as_str(),
                "valueExpression is not specified",
            ));
        } else if ve.len() > 5 * 1024 {
            errs.push(FieldError::required(
                p.child("valueExpression").as_str(),
                "must not exceed 5120 bytes in length",
            ));
        } else {
            errs.extend(compiles(ve, &p.child("valueExpression")));
        }
        if keys.contains(&key) {
            errs.push(FieldError::duplicate(p.child("key").as_str(), key));
        }
        keys.push(key);
    }
    errs
}

fn validate_validation(v: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if str_of(v, "expression").trim().is_empty() {
        errs.push(FieldError::required(
            p.child("expression").as_str(),
            "expression is not specified",
        ));
    }
    errs.extend(compiles(str_of(v, "expression"), &p.child("expression")));
    let me = str_of(v, "messageExpression");
    if !me.is_empty() && me.trim().is_empty() {
        errs.push(FieldError::invalid(
            p.child("messageExpression").as_str(),
            me,
            "must be non-empty if specified",
        ));
    }
    errs.extend(compiles(me, &p.child("messageExpression")));
    let msg = str_of(v, "message");
    let trimmed = msg.trim();
    if !msg.is_empty() && trimmed.is_empty() {
        errs.push(FieldError::invalid(
            p.child("message").as_str(),
            msg,
            "message must be non-empty if specified",
        ));
    } else if trimmed.contains(['\n', '\r']) {
        errs.push(FieldError::invalid(
            p.child("message").as_str(),
            msg,
            "message must not contain line breaks",
        ));
    }
    if let Some(r) = opt_str(v, "reason") {
        let ok = ["Forbidden", "Invalid", "RequestEntityTooLarge"];
        if !ok.contains(&r) {
            errs.push(FieldError::not_supported(p.child("reason").as_str(), r, &ok));
        }
    }
    errs
}

/// ValidatingAdmissionPolicyBinding rules.
pub(super) fn validate_binding(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let spec = child(obj, "spec");
    let sp = Path::new("spec");
    let policy = str_of(spec, "policyName");
    if policy.is_empty() {
        errs.push(FieldError::required(sp.child("policyName").as_str(), ""));
    } else {
        errs.extend(subdomain(&sp.child("policyName"), policy));
    }
    if is_set(spec, "paramRef") {
        let pr = child(spec, "paramRef");
        let pp = sp.child("paramRef");
        let name = str_of(pr, "name");
        let has_sel = is_set(pr, "selector");
        const EXCLUSIVE: &str = "name and selector are mutually exclusive";
        if !name.is_empty() {
            errs.extend(invalid_each(&pp.child("name"), name, path_segment_errors(name)));
            if has_sel {
                errs.push(FieldError::forbidden(pp.child("name").as_str(), EXCLUSIVE));
            }
        }
        if has_sel {
            errs.extend(validate_label_selector(
                get(pr, "selector"),
                &pp.child("selector"),
            ));
            if !name.is_empty() {
                errs.push(FieldError::forbidden(pp.child("selector").as_str(), EXCLUSIVE));
            }
        }
        if name.is_empty() && !has_sel {
            errs.push(FieldError::required(
                pp.as_str(),
                "one of name or selector must be specified",
            ));
        }
        match opt_str(pr, "parameterNotFoundAction").unwrap_or("") {
            "" => errs.push(FieldError::required(
                pp.child("parameterNotFoundAction").as_str(),
                "",
            )),
            "Deny" | "Allow" => {}
            a => errs.push(FieldError::not_supported(
                pp.child("parameterNotFoundAction").as_str(),
                a,
                &["Deny", "Allow"],
            )),
        }
    }
    if is_set(spec, "matchResources") {
        // Kubernetes reports these under a misspelt path.
        errs.extend(validate_match_resources(
            child(spec, "matchResources"),
            &sp.child("matchResouces"),
        ));
    }
    let ap = sp.child("validationActions");
    let actions = strs(arr_of(spec, "validationActions"));
    let mut seen: Vec<&str> = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let ok = ["Audit", "Deny", "Warn"];
        if !ok.contains(a) {
            errs.push(FieldError::not_supported(ap.index(i).as_str(), *a, &ok));
        }
        if seen.contains(a) {
            errs.push(FieldError::duplicate(ap.index(i).as_str(), *a));
        }
        seen.push(a);
    }
    if seen.contains(&"Deny") && seen.contains(&"Warn") {
        errs.push(FieldError::invalid_rendered(
            ap.as_str(),
            super::common::go_typed_slice("admissionregistration.ValidationAction", get(spec, "validationActions")),
            "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)",
        ));
    }
    if seen.is_empty() {
        errs.push(FieldError::required(
            ap.as_str(),
            "at least one validation action is required",
        ));
    }
    errs
}

fn default_match_resources(mc: &mut Value) {
    default_field(mc, "matchPolicy", json!("Equivalent"));
    default_field(mc, "namespaceSelector", json!({}));
    default_field(mc, "objectSelector", json!({}));
    for key in ["resourceRules", "excludeResourceRules"] {
        for r in each_mut(mc, key) {
            default_field(r, "scope", json!("*"));
        }
    }
}

/// ValidatingAdmissionPolicy defaults.
pub(super) fn default_policy(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    default_field(spec, "failurePolicy", json!("Fail"));
    if let Some(mc) = spec.get_mut("matchConstraints").filter(|m| m.is_object()) {
        default_match_resources(mc);
    }
}

/// ValidatingAdmissionPolicyBinding defaults.
pub(super) fn default_binding(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
        return;
    };
    if let Some(mc) = spec.get_mut("matchResources").filter(|m| m.is_object()) {
        default_match_resources(mc);
    }
    if let Some(pr) = spec.get_mut("paramRef").filter(|m| m.is_object()) {
        default_field(pr, "parameterNotFoundAction", json!("Deny"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "admissionregistration.k8s.io";

    fn msgs(kind: &str, obj: &Value) -> Vec<String> {
        validate_create(G, kind, obj)
            .iter()
            .map(|e| e.message())
            .collect()
    }

    fn hook() -> Value {
        json!({"name": "pods.policy.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": "svc", "namespace": "ns"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]})
    }

    #[test]
    fn webhooks() {
        let mut ok = json!({"metadata": {"name": "policy"}, "webhooks": [hook()]});
        default_object(G, "MutatingWebhookConfiguration", &mut ok);
        let h = &ok["webhooks"][0];
        assert_eq!(
            (
                &h["failurePolicy"],
                &h["matchPolicy"],
                &h["timeoutSeconds"],
                &h["reinvocationPolicy"]
            ),
            (&json!("Fail"), &json!("Equivalent"), &json!(10), &json!("Never"))
        );
        assert_eq!(h["clientConfig"]["service"]["port"], 443);
        assert_eq!(h["rules"][0]["scope"], "*");
        assert!(msgs("MutatingWebhookConfiguration", &ok).is_empty());
        let mut bad1 = hook();
        bad1["name"] = json!("short.name");
        bad1["clientConfig"] = json!({});
        bad1.as_object_mut().map(|m| m.remove("sideEffects"));
        let mut bad2 = hook();
        bad2["admissionReviewVersions"] = json!([]);
        bad2["timeoutSeconds"] = json!(31);
        bad2["clientConfig"]["service"]["port"] = json!(443);
        let dup = hook();
        let mut cfg = json!({"metadata": {"name": "v"}, "webhooks": [bad1, bad2, dup.clone(), dup]});
        cfg["webhooks"][1]["name"] = json!("pods.policy.example.com");
        default_object(G, "ValidatingWebhookConfiguration", &mut cfg);
        assert_eq!(
            msgs("ValidatingWebhookConfiguration", &cfg),
            vec![
                "webhooks[0].name: Invalid value: \"short.name\": should be a domain with at least three segments separated by dots",
                "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun",
                "webhooks[0].clientConfig: Required value: exactly one of url or service is required",
                "webhooks[1].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
                "webhooks[1].admissionReviewVersions: Required value: must specify one of v1, v1beta1",
                "webhooks[2].name: Duplicate value: \"pods.policy.example.com\"",
                "webhooks[3].name: Duplicate value: \"pods.policy.example.com\"",
            ]
        );
        let url = json!({"metadata": {"name": "v"}, "webhooks": [{"name": "a.b.c", "sideEffects": "Some",
            "admissionReviewVersions": ["v2"], "clientConfig": {"url": "http://x.example.com"}}]});
        assert_eq!(
            msgs("ValidatingWebhookConfiguration", &url),
            vec![
                "webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"",
                "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
                "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1",
            ]
        );
        // An old object with side effects relaxes the rule on update.
        let old = url.clone();
        let errs = validate_update(G, "ValidatingWebhookConfiguration", &url, &old);
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn policies() {
        let mut ok = json!({"metadata": {"name": "p"}, "spec": {"matchConstraints": {"resourceRules": [
            {"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}]},
            "validations": [{"expression": "object.spec.replicas <= 5"}]}});
        default_object(G, "ValidatingAdmissionPolicy", &mut ok);
        assert_eq!(ok["spec"]["failurePolicy"], "Fail");
        assert!(
            msgs("ValidatingAdmissionPolicy", &ok).is_empty(),
            "{:?}",
            msgs("ValidatingAdmissionPolicy", &ok)
        );
        let bad = json!({"metadata": {"name": "p"}, "spec": {"failurePolicy": "Fail",
            "variables": [{"name": "in", "expression": "1"}]}});
        assert_eq!(
            msgs("ValidatingAdmissionPolicy", &bad),
            vec![
                "spec.matchConstraints: Required value",
                "spec.variables[0].name: Invalid value: \"in\": name is not a valid CEL identifier",
                "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
            ]
        );
        let mut uncompiled = ok.clone();
        uncompiled["spec"]["validations"][0]["expression"] = json!("object.spec.replicas <=");
        let m = msgs("ValidatingAdmissionPolicy", &uncompiled);
        assert!(
            m.len() == 1
                && m[0].starts_with("spec.validations[0].expression: Invalid value: \"object.spec.replicas <=\": compilation failed: ERROR: <input>:"),
            "{m:?}"
        );
        let b =
            json!({"metadata": {"name": "b"}, "spec": {"policyName": "p", "validationActions": ["Deny"]}});
        assert!(msgs("ValidatingAdmissionPolicyBinding", &b).is_empty());
        let bad = json!({"metadata": {"name": "b"}, "spec": {"validationActions": ["Deny", "Warn"],
            "paramRef": {"parameterNotFoundAction": "Deny"}}});
        assert_eq!(
            msgs("ValidatingAdmissionPolicyBinding", &bad),
            vec![
                "spec.policyName: Required value",
                "spec.paramRef: Required value: one of name or selector must be specified",
                "spec.validationActions: Invalid value: []admissionregistration.ValidationAction{\"Deny\", \"Warn\"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)",
            ]
        );
    }
}
