//! Lenient accessors over a JSON object.
//!
//! Printers read objects the way Kubernetes reads its internal types: a field
//! that is absent, `null` or of the wrong JSON type reads as the Go zero value
//! (empty string, 0, false, empty list). Nothing here can panic.

use serde_json::{Map, Value};

/// Follows `path` through nested objects; `None` if any step is missing.
pub(super) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.as_object()?.get(*key)?;
    }
    Some(cur)
}

/// True if the field exists and is not `null` (a Go pointer that is set).
pub(super) fn present(v: &Value, path: &[&str]) -> bool {
    at(v, path).is_some_and(|x| !x.is_null())
}

/// The field as an object, if it is one (a set Go struct pointer).
pub(super) fn obj_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    at(v, path).filter(|x| x.is_object())
}

/// The field as a string, or `""`.
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

/// The field as a string if it is one.
pub(super) fn opt_str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The field as an integer if it is a number.
pub(super) fn opt_int_at(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(as_int)
}

/// The field as an integer, or 0.
pub(super) fn int_at(v: &Value, path: &[&str]) -> i64 {
    opt_int_at(v, path).unwrap_or(0)
}

/// The field as a bool if it is one.
pub(super) fn opt_bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    at(v, path).and_then(Value::as_bool)
}

/// The field as a bool, or false.
pub(super) fn bool_at(v: &Value, path: &[&str]) -> bool {
    opt_bool_at(v, path).unwrap_or(false)
}

/// The field as a list, or an empty slice.
pub(super) fn items<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The field as a map, if it is one.
pub(super) fn map_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    at(v, path).and_then(Value::as_object)
}

/// Number of entries of a map field, 0 if absent.
pub(super) fn map_len(v: &Value, path: &[&str]) -> usize {
    map_at(v, path).map_or(0, Map::len)
}

/// `metadata.name` of the object.
pub(super) fn name(v: &Value) -> Value {
    Value::from(str_at(v, &["metadata", "name"]))
}

fn as_int(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    if let Some(u) = v.as_u64() {
        return Some(i64::try_from(u).unwrap_or(i64::MAX));
    }
    // `as` saturates and maps NaN to 0, which is what a lenient read wants.
    v.as_f64().map(|f| f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_and_mistyped_fields_read_as_zero_values() {
        let v = json!({"a": {"s": 5, "n": "x", "l": {}, "b": null}});
        assert_eq!(str_at(&v, &["a", "s"]), "");
        assert_eq!(int_at(&v, &["a", "n"]), 0);
        assert!(items(&v, &["a", "l"]).is_empty());
        assert!(!present(&v, &["a", "b"]));
        assert!(present(&v, &["a", "s"]));
        assert_eq!(int_at(&v, &["a", "s"]), 5);
        assert_eq!(int_at(&json!([1]), &["x"]), 0);
        assert_eq!(map_len(&v, &["a", "l"]), 0);
    }
}
