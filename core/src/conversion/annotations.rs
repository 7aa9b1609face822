//! The annotations in which `autoscaling/v1` keeps what it cannot express.
//!
//! Reading a HorizontalPodAutoscaler as `autoscaling/v1` stores the other metrics,
//! the current metric statuses, the conditions and the scaling behavior as JSON in
//! annotations; writing it back as v1 moves them into the fields again. The payloads
//! are produced by Go's `encoding/json`, so they are encoded here the same way.

use serde_json::{Map, Value};

/// Metric specs other than the CPU utilization target, as `[]autoscalingv1.MetricSpec`.
pub const METRIC_SPECS: &str = "autoscaling.alpha.kubernetes.io/metrics";
/// All current metric statuses, as `[]autoscalingv1.MetricStatus`.
pub const METRIC_STATUSES: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
/// The status conditions, as `[]autoscalingv1.HorizontalPodAutoscalerCondition`.
pub const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
/// The scaling behavior, as the internal Go type (capitalised field names).
pub const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";

const ALL: [&str; 4] = [METRIC_SPECS, BEHAVIOR, METRIC_STATUSES, CONDITIONS];

/// Removes the round-trip annotations from `metadata`; an annotation map left empty
/// disappears, as an empty Go map under `omitempty` does.
pub(super) fn drop_round_trip(metadata: &mut Map<String, Value>) {
    let Some(Value::Object(annotations)) = metadata.get_mut("annotations") else {
        return;
    };
    if !ALL.iter().any(|k| annotations.contains_key(*k)) {
        return;
    }
    annotations.retain(|k, _| !ALL.contains(&k.as_str()));
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
}

/// The string value of annotation `key`, if it is present and a string.
pub(super) fn get<'a>(metadata: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    metadata.get("annotations")?.as_object()?.get(key)?.as_str()
}

/// Sets annotation `key` to `payload` encoded as Go's `json.Marshal` would, keeping the
/// annotation keys sorted as Go writes a `map[string]string`.
pub(super) fn set_json(metadata: &mut Map<String, Value>, key: &str, payload: &Value) {
    let text = Value::String(go_json(payload));
    if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
        annotations.insert(key.to_string(), text);
        let mut entries: Vec<(String, Value)> = std::mem::take(annotations).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        *annotations = entries.into_iter().collect();
        return;
    }
    // A new map goes where Go's ObjectMeta puts it: before ownerReferences,
    // finalizers and managedFields.
    let mut fresh = Map::new();
    fresh.insert(key.to_string(), text);
    let mut fresh = Some(Value::Object(fresh));
    let mut rebuilt = Map::new();
    for (k, v) in std::mem::take(metadata) {
        if k == "annotations" {
            continue; // not an object: replaced
        }
        if matches!(k.as_str(), "ownerReferences" | "finalizers" | "managedFields") {
            if let Some(a) = fresh.take() {
                rebuilt.insert("annotations".into(), a);
            }
        }
        rebuilt.insert(k, v);
    }
    if let Some(a) = fresh.take() {
        rebuilt.insert("annotations".into(), a);
    }
    *metadata = rebuilt;
}

/// Compact JSON text with Go's `encoding/json` escaping: `<`, `>`, `&`, U+2028 and
/// U+2029 are written as `\uXXXX`. These only occur inside strings, so escaping the
/// serialized text is the same as escaping each string.
pub(super) fn go_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn go_escaping() {
        let v = json!({"a": "<b>&\u{2028}\n\"", "n": 1});
        assert_eq!(go_json(&v), r#"{"a":"\u003cb\u003e\u0026\u2028\n\"","n":1}"#);
    }

    #[test]
    fn dropping_removes_empty_map() {
        let mut m = meta(json!({"name": "x", "annotations": {(METRIC_SPECS): "[]"}}));
        drop_round_trip(&mut m);
        assert_eq!(Value::Object(m), json!({"name": "x"}));
        let mut m = meta(json!({"annotations": {"a": "1", (CONDITIONS): "[]"}}));
        drop_round_trip(&mut m);
        assert_eq!(Value::Object(m), json!({"annotations": {"a": "1"}}));
        // Untouched when there is nothing to drop, even an empty map.
        let mut m = meta(json!({"annotations": {}}));
        drop_round_trip(&mut m);
        assert_eq!(Value::Object(m), json!({"annotations": {}}));
    }

    #[test]
    fn set_sorts_keys() {
        let mut m = meta(json!({"name": "x", "annotations": {"z": "1", "a": "2"}}));
        set_json(&mut m, METRIC_SPECS, &json!([]));
        let keys: Vec<_> = m["annotations"]
            .as_object()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(keys, vec!["a", METRIC_SPECS, "z"]);
        let mut m = meta(json!({"name": "x", "labels": {}, "finalizers": ["f"]}));
        set_json(&mut m, BEHAVIOR, &json!({}));
        let keys: Vec<_> = m.keys().cloned().collect();
        assert_eq!(keys, vec!["name", "labels", "annotations", "finalizers"]);
    }
}
