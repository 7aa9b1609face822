//! scheduling.k8s.io/v1 PriorityClass.

use super::super::field_error::FieldError;
use super::super::value::{default_field, get, opt_str, str_of};
use super::common::same;
use serde_json::{json, Value};

/// The highest value a PriorityClass outside the `system-` prefix may have.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
const SYSTEM_PREFIX: &str = "system-";
/// The built-in system classes: name, value, globalDefault.
const SYSTEM_CLASSES: [(&str, i64); 2] = [
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

fn known_system_class(name: &str, value: i64, global_default: bool) -> Result<(), String> {
    match SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) {
        Some((_, v)) if *v != value => Err(format!("value of {name} PriorityClass must be {v}")),
        Some(_) if global_default => Err(format!("globalDefault of {name} PriorityClass must be false")),
        Some(_) => Ok(()),
        None => Err(format!("{name} is not a known system priority class")),
    }
}

/// PriorityClass rules: the value cap, reserved names and preemption policy.
pub(super) fn validate_priority_class(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let name = get(obj, "metadata").map_or("", |m| str_of(m, "name"));
    let value = get(obj, "value").and_then(Value::as_i64).unwrap_or(0);
    let global_default = get(obj, "globalDefault")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if name.starts_with(SYSTEM_PREFIX) {
        if let Err(e) = known_system_class(name, value, global_default) {
            errs.push(FieldError::forbidden(
                "metadata.name",
                &format!("priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {e}"),
            ));
        }
    } else if value > HIGHEST_USER_PRIORITY {
        errs.push(FieldError::forbidden(
            "value",
            &format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    if let Some(p) = opt_str(obj, "preemptionPolicy") {
        if p != "Never" && p != "PreemptLowerPriority" {
            errs.push(FieldError::not_supported(
                "preemptionPolicy",
                p,
                &["Never", "PreemptLowerPriority"],
            ));
        }
    }
    errs
}

/// PriorityClass update: value and preemptionPolicy cannot change.
pub(super) fn validate_priority_class_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    let v = |o: &Value| get(o, "value").and_then(Value::as_i64).unwrap_or(0);
    if v(new) != v(old) {
        errs.push(FieldError::forbidden("value", "may not be changed in an update."));
    }
    if !same(get(new, "preemptionPolicy"), get(old, "preemptionPolicy")) {
        let shown = opt_str(new, "preemptionPolicy").unwrap_or("null");
        errs.push(FieldError::invalid(
            "preemptionPolicy",
            shown,
            "field is immutable",
        ));
    }
    errs
}

/// PriorityClass defaults: preempt lower priorities.
pub(super) fn default_priority_class(obj: &mut Value) {
    default_field(obj, "preemptionPolicy", json!("PreemptLowerPriority"));
}

#[cfg(test)]
mod tests {
    use super::super::super::{default_object, validate_create, validate_update};
    use serde_json::json;

    const G: &str = "scheduling.k8s.io";

    #[test]
    fn priority_class() {
        let mut ok = json!({"metadata": {"name": "high"}, "value": 1000000000});
        default_object(G, "PriorityClass", &mut ok);
        assert_eq!(ok["preemptionPolicy"], "PreemptLowerPriority");
        assert!(validate_create(G, "PriorityClass", &ok).is_empty());
        let sys = json!({"metadata": {"name": "system-node-critical"}, "value": 2000001000});
        assert!(validate_create(G, "PriorityClass", &sys).is_empty());
        let big = json!({"metadata": {"name": "big"}, "value": 1000000001, "preemptionPolicy": "Always"});
        let msgs: Vec<String> = validate_create(G, "PriorityClass", &big)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
                "preemptionPolicy: Unsupported value: \"Always\": supported values: \"Never\", \"PreemptLowerPriority\"",
            ]
        );
        let fake = json!({"metadata": {"name": "system-foo"}, "value": 1});
        assert_eq!(
            validate_create(G, "PriorityClass", &fake)[0].message(),
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class"
        );
        let mut changed = ok.clone();
        changed["value"] = json!(5);
        changed["preemptionPolicy"] = json!("Never");
        let msgs: Vec<String> = validate_update(G, "PriorityClass", &changed, &ok)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "value: Forbidden: may not be changed in an update.",
                "preemptionPolicy: Invalid value: \"Never\": field is immutable",
            ]
        );
    }
}
