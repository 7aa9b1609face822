//! Printers for admissionregistration.k8s.io/v1: Mutating and Validating
//! WebhookConfiguration, ValidatingAdmissionPolicy and
//! ValidatingAdmissionPolicyBinding.

use serde_json::Value;

use super::fields::{at, items, map_at, name, obj_at, str_at};
use super::{age, col, Column, AGE, NAME};

/// Columns of `kubectl get` for both kinds of webhook configuration.
pub(super) const WEBHOOK_CONFIGURATION_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Webhooks",
        "integer",
        "Webhooks indicates the number of webhooks registered in this configuration",
    ),
    AGE,
];

/// NAME, WEBHOOKS (count), AGE.
pub(super) fn webhook_configuration_cells(obj: &Value, now: i64) -> Vec<Value> {
    vec![
        name(obj),
        Value::from(items(obj, &["webhooks"]).len()),
        age(obj, now),
    ]
}

/// Columns of `kubectl get validatingadmissionpolicies`.
pub(super) const POLICY_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Validations",
        "integer",
        "Validations indicates the number of validation rules defined in this configuration",
    ),
    col(
        "ParamKind",
        "string",
        "ParamKind specifies the kind of resources used to parameterize this policy",
    ),
    AGE,
];

/// NAME, VALIDATIONS (count), PARAMKIND ("apiVersion/Kind", "<unset>"), AGE.
pub(super) fn policy_cells(policy: &Value, now: i64) -> Vec<Value> {
    let param_kind = match obj_at(policy, &["spec", "paramKind"]) {
        Some(k) => format!("{}/{}", str_at(k, &["apiVersion"]), str_at(k, &["kind"])),
        None => "<unset>".to_owned(),
    };
    vec![
        name(policy),
        Value::from(items(policy, &["spec", "validations"]).len()),
        Value::from(param_kind),
        age(policy, now),
    ]
}

/// Columns of `kubectl get validatingadmissionpolicybindings`.
pub(super) const POLICY_BINDING_COLUMNS: &[Column] = &[
    NAME,
    col(
        "PolicyName",
        "string",
        "PolicyName indicates the policy definition which the policy binding binded to",
    ),
    col(
        "ParamRef",
        "string",
        "ParamRef indicates the param resource which sets the configration param",
    ),
    AGE,
];

/// NAME, POLICYNAME, PARAMREF, AGE. A named parameter prints as
/// "namespace/name" ("*/name" without a namespace); a selector prints in the
/// Go struct notation kube-apiserver uses for it.
pub(super) fn policy_binding_cells(binding: &Value, now: i64) -> Vec<Value> {
    let param = match obj_at(binding, &["spec", "paramRef"]) {
        Some(r) => {
            let param_name = str_at(r, &["name"]);
            let namespace = str_at(r, &["namespace"]);
            if !param_name.is_empty() {
                if namespace.is_empty() {
                    // The binding cannot tell whether the parameter is
                    // cluster-scoped, so any namespace may hold it.
                    format!("*/{param_name}")
                } else {
                    format!("{namespace}/{param_name}")
                }
            } else {
                match obj_at(r, &["selector"]) {
                    Some(sel) => selector_struct_string(sel),
                    None => "<unset>".to_owned(),
                }
            }
        }
        None => "<unset>".to_owned(),
    };
    vec![
        name(binding),
        Value::from(str_at(binding, &["spec", "policyName"])),
        Value::from(param),
        age(binding, now),
    ]
}

/// A label selector in the notation of its generated Go `String()` method:
/// `&LabelSelector{MatchLabels:map[string]string{k: v,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[a b],},},}`.
fn selector_struct_string(sel: &Value) -> String {
    let mut labels: Vec<(&String, &str)> = map_at(sel, &["matchLabels"])
        .map(|m| m.iter().map(|(k, v)| (k, v.as_str().unwrap_or(""))).collect())
        .unwrap_or_default();
    labels.sort();
    let mut out = String::from("&LabelSelector{MatchLabels:map[string]string{");
    for (k, v) in labels {
        out.push_str(&format!("{k}: {v},"));
    }
    out.push_str("},MatchExpressions:[]LabelSelectorRequirement{");
    for e in items(sel, &["matchExpressions"]) {
        let values: Vec<&str> = at(e, &["values"])
            .and_then(Value::as_array)
            .map(|vs| vs.iter().map(|v| v.as_str().unwrap_or("")).collect())
            .unwrap_or_default();
        out.push_str(&format!(
            "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
            str_at(e, &["key"]),
            str_at(e, &["operator"]),
            values.join(" ")
        ));
    }
    out.push_str("},}");
    out
}

#[cfg(test)]
mod tests {
    use super::super::row_cells;
    use serde_json::json;

    const G: &str = "admissionregistration.k8s.io";
    const NOW: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

    #[test]
    fn webhook_configurations() {
        let w = json!({"metadata": {"name": "hooks", "creationTimestamp": "2024-05-01T09:00:00Z"},
                       "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}]});
        for kind in ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"] {
            assert_eq!(
                row_cells(G, kind, &w, NOW),
                vec![json!("hooks"), json!(2), json!("60m")]
            );
        }
    }

    #[test]
    fn validating_admission_policy() {
        let p = json!({"metadata": {"name": "replicas-limit", "creationTimestamp": "2024-05-01T09:59:00Z"},
                       "spec": {"paramKind": {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                                "validations": [{"expression": "object.spec.replicas <= params.max"}]}});
        assert_eq!(
            row_cells(G, "ValidatingAdmissionPolicy", &p, NOW),
            vec![
                json!("replicas-limit"),
                json!(1),
                json!("rules.example.com/v1/ReplicaLimit"),
                json!("60s")
            ]
        );
        assert_eq!(
            row_cells(G, "ValidatingAdmissionPolicy", &json!({}), NOW)[1..3],
            [json!(0), json!("<unset>")]
        );
    }

    #[test]
    fn validating_admission_policy_binding() {
        let cell = |param_ref| {
            let b = json!({"metadata": {"name": "b"},
                           "spec": {"policyName": "replicas-limit", "paramRef": param_ref}});
            row_cells(G, "ValidatingAdmissionPolicyBinding", &b, NOW)[2].clone()
        };
        assert_eq!(
            cell(json!({"name": "limits", "namespace": "team-a"})),
            json!("team-a/limits")
        );
        assert_eq!(cell(json!({"name": "limits"})), json!("*/limits"));
        assert_eq!(cell(json!(null)), json!("<unset>"));
        assert_eq!(cell(json!({"parameterNotFoundAction": "Deny"})), json!("<unset>"));
        assert_eq!(
            cell(
                json!({"selector": {"matchLabels": {"tier": "gold", "env": "prod"},
                                     "matchExpressions": [{"key": "team", "operator": "In",
                                                           "values": ["a", "b"]},
                                                          {"key": "x", "operator": "Exists"}]}})
            ),
            json!(
                "&LabelSelector{MatchLabels:map[string]string{env: prod,tier: gold,},\
                   MatchExpressions:[]LabelSelectorRequirement{\
                   LabelSelectorRequirement{Key:team,Operator:In,Values:[a b],},\
                   LabelSelectorRequirement{Key:x,Operator:Exists,Values:[],},},}"
            )
        );
        assert_eq!(
            cell(json!({"selector": {}})),
            json!("&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}")
        );
        let b = json!({"metadata": {"name": "b", "creationTimestamp": "2024-05-01T09:00:00Z"},
                       "spec": {"policyName": "p"}});
        assert_eq!(
            row_cells(G, "ValidatingAdmissionPolicyBinding", &b, NOW),
            vec![json!("b"), json!("p"), json!("<unset>"), json!("60m")]
        );
    }
}
