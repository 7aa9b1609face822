//! events.k8s.io/v1 Event, validated as Kubernetes validates events created
//! through that API (the strict rules on top of the legacy ones). Field
//! paths use the internal names Kubernetes reports (`message` for `note`,
//! `involvedObject` for `regarding`, ...).

use super::super::field_error::FieldError;
use super::super::names::{dns1123_subdomain_errors, qualified_name_errors};
use super::super::value::{get, opt_str, str_of, Path};
use super::common::{child, invalid_each, same};
use serde_json::Value;

fn time_set(obj: &Value, key: &str) -> bool {
    opt_str(obj, key).is_some_and(|s| !s.is_empty())
}

fn legacy_rules(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = get(obj, "metadata").map_or("", |m| str_of(m, "namespace"));
    if time_set(obj, "eventTime") {
        let ins = str_of(child(obj, "regarding"), "namespace");
        if ins.is_empty() && ns != "default" && ns != "kube-system" {
            errs.push(FieldError::invalid(
                "involvedObject.namespace",
                ins,
                "does not match event.namespace",
            ));
        }
        let rc = str_of(obj, "reportingController");
        if rc.is_empty() {
            errs.push(FieldError::required("reportingController", ""));
        }
        errs.extend(invalid_each(
            &Path::new("reportingController"),
            rc,
            qualified_name_errors(rc),
        ));
        for (key, field, limit, required) in [
            ("reportingInstance", "reportingInstance", 128, true),
            ("action", "action", 128, true),
            ("reason", "reason", 128, true),
            ("note", "message", 1024, false),
        ] {
            let v = str_of(obj, key);
            if required && v.is_empty() {
                errs.push(FieldError::required(field, ""));
            }
            if v.len() > limit {
                errs.push(FieldError::invalid(
                    field,
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
    } else {
        for (key, field, limit) in [("reason", "reason", 128), ("note", "message", 1024)] {
            if str_of(obj, key).len() > limit {
                errs.push(FieldError::invalid(
                    field,
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
    }
    errs.extend(invalid_each(
        &Path::new("namespace"),
        ns,
        dns1123_subdomain_errors(ns),
    ));
    errs
}

fn series_rules(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(s) = get(obj, "series").filter(|s| s.is_object()) {
        if get(s, "count").and_then(Value::as_i64).unwrap_or(0) < 2 {
            errs.push(FieldError::invalid("series.count", "", "should be at least 2"));
        }
        if !time_set(s, "lastObservedTime") {
            errs.push(FieldError::required("series.lastObservedTime", ""));
        }
    }
    errs
}

/// Event create rules: the legacy rules, ObjectMeta, then the v1 requirements.
pub(super) fn validate_event(obj: &Value, meta: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = legacy_rules(obj);
    errs.extend(meta);
    errs.extend(series_rules(obj));
    if !time_set(obj, "eventTime") {
        errs.push(FieldError::required("eventTime", ""));
    }
    let ty = str_of(obj, "type");
    if ty != "Normal" && ty != "Warning" {
        errs.push(FieldError::invalid(
            "type",
            "",
            &format!("has invalid value: {ty}"),
        ));
    }
    for (key, field) in [
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
    ] {
        if time_set(obj, key) {
            errs.push(FieldError::invalid(field, "", "needs to be unset"));
        }
    }
    if get(obj, "deprecatedCount").and_then(Value::as_i64).unwrap_or(0) != 0 {
        errs.push(FieldError::invalid("count", "", "needs to be unset"));
    }
    let src = child(obj, "deprecatedSource");
    if !str_of(src, "component").is_empty() || !str_of(src, "host").is_empty() {
        errs.push(FieldError::invalid("source", "", "needs to be unset"));
    }
    errs
}

/// Event update: the legacy rules, then immutability of the describing fields.
pub(super) fn validate_event_update(new: &Value, old: &Value, meta: Vec<FieldError>) -> Vec<FieldError> {
    let mut errs = legacy_rules(new);
    errs.extend(meta);
    if !same(get(new, "series"), get(old, "series")) {
        errs.extend(series_rules(new));
    }
    for (key, field) in [
        ("reason", "reason"),
        ("note", "message"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("type", "type"),
        ("eventTime", "eventTime"),
        ("action", "action"),
        ("reportingController", "reportingController"),
        ("reportingInstance", "reportingInstance"),
    ] {
        if str_of(new, key) != str_of(old, key) {
            errs.push(FieldError::invalid(field, str_of(new, key), "field is immutable"));
        }
    }
    for (key, field) in [
        ("regarding", "involvedObject"),
        ("deprecatedSource", "source"),
        ("related", "related"),
    ] {
        if !same(get(new, key), get(old, key)) {
            errs.push(FieldError::invalid(
                field,
                get(new, key).cloned().unwrap_or(Value::Null),
                "field is immutable",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::super::{validate_create, validate_update};
    use serde_json::{json, Value};

    const G: &str = "events.k8s.io";

    fn ok() -> Value {
        json!({"metadata": {"name": "e.1", "namespace": "default"}, "eventTime": "2024-05-01T10:00:00.000000Z",
            "reportingController": "example.com/ctl", "reportingInstance": "ctl-1", "action": "Sync",
            "reason": "Synced", "type": "Normal", "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}})
    }

    #[test]
    fn event_rules() {
        assert!(validate_create(G, "Event", &ok()).is_empty());
        let bad =
            json!({"metadata": {"name": "e", "namespace": "default"}, "type": "Odd", "deprecatedCount": 3});
        let msgs: Vec<String> = validate_create(G, "Event", &bad)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(
            msgs,
            vec![
                "eventTime: Required value",
                "type: Invalid value: \"\": has invalid value: Odd",
                "count: Invalid value: \"\": needs to be unset",
            ]
        );
        let mut missing = ok();
        missing["reportingController"] = json!("");
        missing["action"] = json!("");
        let msgs: Vec<String> = validate_create(G, "Event", &missing)
            .iter()
            .map(|e| e.message())
            .collect();
        assert_eq!(msgs[0], "reportingController: Required value");
        assert_eq!(msgs.last().map(String::as_str), Some("action: Required value"));
        let mut changed = ok();
        changed["reason"] = json!("Other");
        assert_eq!(
            validate_update(G, "Event", &changed, &ok())[0].message(),
            "reason: Invalid value: \"Other\": field is immutable"
        );
    }
}
