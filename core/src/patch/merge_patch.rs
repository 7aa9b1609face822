//! JSON merge patch (RFC 7386, `application/merge-patch+json`).
//!
//! Objects merge key by key, `null` deletes a key, anything else (lists included) replaces
//! the target. Like kube-apiserver, `null` members of newly set objects are dropped rather
//! than stored, also inside lists.

use serde_json::{Map, Value};

use super::{check_depth, PatchError};

/// kube-apiserver's answer to a body that is not JSON or not an object or list.
const BAD_PATCH: &str = "Invalid JSON Patch";

/// Applies the merge patch `patch_bytes` to `original`.
pub(super) fn apply(original: &Value, patch_bytes: &[u8]) -> Result<Value, PatchError> {
    let patch: Value =
        serde_json::from_slice(patch_bytes).map_err(|_| PatchError::BadRequest(BAD_PATCH.to_string()))?;
    check_depth(&patch)?;
    match patch {
        Value::Object(_) | Value::Array(_) => {
            let mut result = original.clone();
            merge_into(&mut result, patch);
            if result.is_object() {
                Ok(result)
            } else {
                // A list patch replaces the whole document, which then cannot be an object.
                Err(PatchError::invalid_result(&result))
            }
        }
        _ => Err(PatchError::BadRequest(BAD_PATCH.to_string())),
    }
}

/// Merges `patch` into `target` following RFC 7386.
pub(super) fn merge_into(target: &mut Value, patch: Value) {
    let Value::Object(patch_map) = patch else {
        *target = without_nulls(patch);
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                // shift_remove keeps the remaining keys in their order.
                target_map.shift_remove(&key);
            } else {
                merge_into(target_map.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

/// `value` with every `null` object member removed, at any depth.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// Computes a merge patch that turns `original` into `modified`.
///
/// Keys missing from `modified` become `null`, changed objects are diffed recursively and
/// everything else that changed is carried whole. Merge patches cannot express a `null`
/// object member, so for `modified` values holding such members the round trip drops them.
/// Recursion follows the nesting shared by both inputs.
pub fn create_merge_patch(original: &Value, modified: &Value) -> Value {
    match (original, modified) {
        (Value::Object(orig), Value::Object(modi)) => Value::Object(diff_objects(orig, modi)),
        _ => modified.clone(),
    }
}

fn diff_objects(original: &Map<String, Value>, modified: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for (key, new) in modified {
        match original.get(key) {
            Some(old) if old == new => {}
            Some(Value::Object(old)) if new.is_object() => {
                if let Value::Object(new) = new {
                    patch.insert(key.clone(), Value::Object(diff_objects(old, new)));
                }
            }
            _ => {
                patch.insert(key.clone(), new.clone());
            }
        }
    }
    for key in original.keys() {
        if !modified.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn merge(original: Value, patch: Value) -> Result<Value, PatchError> {
        apply(&original, patch.to_string().as_bytes())
    }

    #[test]
    fn null_deletes_and_objects_merge() {
        let original = json!({
            "metadata": {"name": "cm", "labels": {"a": "1", "b": "2"}},
            "data": {"k": "v", "gone": "x"}
        });
        let patch = json!({
            "metadata": {"labels": {"a": null, "c": "3"}},
            "data": {"gone": null, "new": "y"}
        });
        assert_eq!(
            merge(original, patch).unwrap(),
            json!({
                "metadata": {"name": "cm", "labels": {"b": "2", "c": "3"}},
                "data": {"k": "v", "new": "y"}
            })
        );
    }

    #[test]
    fn lists_are_replaced_and_nulls_pruned_from_new_values() {
        let original = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let patch = json!({"spec": {"containers": [{"name": "c", "image": null}], "x": {"y": null, "z": 1}}});
        assert_eq!(
            merge(original, patch).unwrap(),
            json!({"spec": {"containers": [{"name": "c"}], "x": {"z": 1}}})
        );
    }

    #[test]
    fn key_order_is_kept_on_delete() {
        let original = json!({"a": 1, "b": 2, "c": 3});
        let merged = merge(original, json!({"a": null})).unwrap();
        let keys: Vec<_> = merged.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "c"]);
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        let original = json!({"a": 1});
        for body in ["{", "null", "5", "\"s\"", ""] {
            let err = apply(&original, body.as_bytes()).unwrap_err();
            assert_eq!(err, PatchError::BadRequest("Invalid JSON Patch".into()), "{body}");
            assert_eq!(err.http_status(), 400);
        }
    }

    #[test]
    fn list_body_replaces_document_and_is_invalid() {
        let err = apply(&json!({"a": 1}), b"[1]").unwrap_err();
        assert_eq!(err.http_status(), 422);
        assert_eq!(err.reason(), "Invalid");
    }

    #[test]
    fn create_merge_patch_examples() {
        let a = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        let b = json!({"b": {"c": 2, "d": 4}, "e": [1], "f": "new"});
        let patch = create_merge_patch(&a, &b);
        assert_eq!(patch, json!({"b": {"d": 4}, "e": [1], "f": "new", "a": null}));
        assert_eq!(merge(a.clone(), patch).unwrap(), b);
        assert_eq!(create_merge_patch(&a, &a), json!({}));
    }

    /// JSON values whose objects hold no `null` members (merge patches cannot express those).
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-c]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| { Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()) }),
            ]
        })
    }

    fn json_object() -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-e]", json_value(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()))
    }

    /// Drops `null` members of objects nested in lists: what a merge patch stores.
    fn stored_form(v: &Value) -> Value {
        without_nulls(v.clone())
    }

    proptest! {
        #[test]
        fn create_then_apply_round_trips(a in json_object(), b in json_object()) {
            let patch = create_merge_patch(&a, &b);
            let merged = apply(&a, patch.to_string().as_bytes()).unwrap();
            prop_assert_eq!(merged, stored_form(&b));
        }

        #[test]
        fn applying_a_patch_twice_changes_nothing_more(a in json_object(), p in json_object()) {
            let once = apply(&a, p.to_string().as_bytes()).unwrap();
            let twice = apply(&once, p.to_string().as_bytes()).unwrap();
            prop_assert_eq!(once, twice);
        }
    }
}
