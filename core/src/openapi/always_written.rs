//! The fields kube-apiserver writes even at their zero value.
//!
//! kube-apiserver encodes Go structs with `encoding/json`: a field without `omitempty` is
//! always written (0, "", false, or null for a nil pointer, slice or map), and a non-pointer
//! struct is written even with `omitempty` (`{}`; a zero `metav1.Time` as null). Gatehouse
//! keeps objects as JSON, where an absent field stays absent, so a write completes each object
//! to what Go would have written: clients whose models mark such fields required (the Python
//! client's `status.replicas` of a ReplicationController) need them.
//!
//! `always_written.json` holds, per definition, each such field and the JSON written when it
//! is absent; `{}` is a struct, completed in turn from its own definition. It is generated
//! from the upstream Go types by `core/openapi-gen/always_written.py`.

use serde_json::{Map, Value};

use super::schema::{ref_target, Definitions};

/// Nesting beyond this is not completed (real objects stay far below).
const MAX_DEPTH: usize = 64;

/// Per definition, the always-written fields and their zero values.
#[derive(Debug, Default, Clone)]
pub struct AlwaysWritten {
    fields: Map<String, Value>,
}

impl AlwaysWritten {
    /// Parses the data file; anything but a JSON object yields none.
    pub fn parse(raw: &[u8]) -> AlwaysWritten {
        match serde_json::from_slice(raw) {
            Ok(Value::Object(fields)) => AlwaysWritten { fields },
            _ => AlwaysWritten::default(),
        }
    }

    /// Adds to `obj`, an object of `definition`, every always-written field it lacks, at
    /// every depth the schema describes.
    pub fn complete(&self, defs: &Definitions, definition: &str, obj: &mut Value) {
        self.complete_def(defs, definition, obj, 0);
    }

    fn complete_def(&self, defs: &Definitions, definition: &str, v: &mut Value, depth: usize) {
        let Value::Object(m) = v else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(Value::Object(zeros)) = self.fields.get(definition) {
            for (k, zero) in zeros {
                match m.get_mut(k) {
                    None => {
                        m.insert(k.clone(), zero.clone());
                    }
                    // A null decodes into Go's zero value, which is then written.
                    Some(slot @ Value::Null) => *slot = zero.clone(),
                    Some(_) => {}
                }
            }
        }
        let Some(props) = defs
            .get(definition)
            .and_then(|d| d.get("properties"))
            .and_then(Value::as_object)
        else {
            return;
        };
        for (k, child) in m.iter_mut() {
            if let Some(schema) = props.get(k) {
                self.complete_schema(defs, schema, child, depth + 1);
            }
        }
    }

    /// Completes a value described by a property schema: a struct, or a list or map of them.
    fn complete_schema(&self, defs: &Definitions, schema: &Value, v: &mut Value, depth: usize) {
        if let Some(name) = ref_target(schema) {
            return self.complete_def(defs, name, v, depth);
        }
        match v {
            Value::Array(items) => {
                if let Some(item) = schema.get("items") {
                    for it in items {
                        self.complete_schema(defs, item, it, depth + 1);
                    }
                }
            }
            Value::Object(m) => {
                if let Some(ap @ Value::Object(_)) = schema.get("additionalProperties") {
                    for child in m.values_mut() {
                        self.complete_schema(defs, ap, child, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::openapi::OpenApi;

    fn complete(definition: &str, mut v: serde_json::Value) -> serde_json::Value {
        OpenApi::shared().complete(definition, &mut v);
        v
    }

    #[test]
    fn statuses_get_their_counters() {
        let rc = complete(
            "io.k8s.api.core.v1.ReplicationController",
            json!({"metadata": {"name": "x"}, "spec": {}, "status": {}}),
        );
        assert_eq!(rc["status"], json!({"replicas": 0}));
        let ds = complete("io.k8s.api.apps.v1.DaemonSet", json!({"metadata": {"name": "x"}}));
        assert_eq!(
            ds["status"],
            json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0})
        );
    }

    #[test]
    fn nested_structs_lists_and_values_present_stay() {
        let d = complete(
            "io.k8s.api.apps.v1.Deployment",
            json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"cpu": "1"}}}]}}}}),
        );
        assert_eq!(d["spec"]["replicas"], 3);
        assert_eq!(
            d["spec"]["template"]["metadata"]["creationTimestamp"],
            json!(null)
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["resources"],
            json!({})
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][1]["resources"],
            json!({"limits": {"cpu": "1"}})
        );
    }

    #[test]
    fn kinds_without_zero_fields_are_left_alone() {
        let cm = json!({"metadata": {"name": "x", "creationTimestamp": "2024-01-01T00:00:00Z"}, "data": {"a": "b"}});
        assert_eq!(complete("io.k8s.api.core.v1.ConfigMap", cm.clone()), cm);
    }
}
