//! Small read-only accessors over `serde_json::Value` objects and a field
//! path builder. Wrong JSON types read as "absent": typed decoding errors are
//! reported before validation runs, so validation only needs to not panic.

use serde_json::{Map, Value};

/// A field path such as `spec.containers[0].ports[1].name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    /// A root path (`""` prints as the empty string, as Kubernetes does).
    pub fn new(root: &str) -> Self {
        Path(root.to_string())
    }

    /// `a.b`.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Path(name.to_string())
        } else {
            Path(format!("{}.{}", self.0, name))
        }
    }

    /// `a[3]`.
    pub fn index(&self, i: usize) -> Self {
        Path(format!("{}[{}]", self.0, i))
    }

    /// `a[key]` (map keys are not quoted).
    pub fn key(&self, k: &str) -> Self {
        Path(format!("{}[{}]", self.0, k))
    }

    /// The rendered path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `obj[key]` when `obj` is an object.
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object().and_then(|m| m.get(key))
}

/// Walk a chain of object keys.
pub fn get_path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in keys {
        cur = get(cur, k)?;
    }
    Some(cur)
}

/// `obj[key]` as a string; absent or non-string reads as `""`.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    get(v, key).and_then(Value::as_str).unwrap_or("")
}

/// `obj[key]` as a string when present and a string.
pub fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

/// `obj[key]` as an integer when present and integral.
pub fn opt_i64(v: &Value, key: &str) -> Option<i64> {
    get(v, key).and_then(Value::as_i64)
}

/// `obj[key]` as an array slice; absent reads as empty.
pub fn arr_of<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `obj[key]` as a map when present and an object.
pub fn map_of<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    get(v, key).and_then(Value::as_object)
}

/// True when `obj[key]` is present and not null.
pub fn has(v: &Value, key: &str) -> bool {
    matches!(get(v, key), Some(x) if !x.is_null())
}

/// Mutable child object, created (replacing a non-object) when missing.
pub fn ensure_obj<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    let m = v.as_object_mut()?;
    let slot = m
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    Some(slot)
}

/// Set `obj[key] = val` unless a non-null value is already there.
pub fn default_field(v: &mut Value, key: &str, val: Value) {
    if let Some(m) = v.as_object_mut() {
        let missing = match m.get(key) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if missing {
            m.insert(key.to_string(), val);
        }
    }
}

/// Mutable access to each element of the array at `obj[key]`.
pub fn each_mut<'a>(v: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    v.as_object_mut()
        .and_then(|m| m.get_mut(key))
        .and_then(Value::as_array_mut)
        .map(|a| a.iter_mut())
        .into_iter()
        .flatten()
}

/// Treat null, `{}`, `[]`, `""`, `0` and `false` as "unset", matching Go's
/// zero values when comparing decoded structs.
pub fn is_zero(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
    }
}

/// Semantic equality: missing and zero-valued fields compare equal, the way
/// two decoded Go structs would (depth-bounded).
pub fn semantic_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    semantic_eq_depth(a, b, 0)
}

fn semantic_eq_depth(a: Option<&Value>, b: Option<&Value>, depth: usize) -> bool {
    if depth > 64 {
        return a == b;
    }
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys = x.keys().chain(y.keys());
            for k in keys {
                if !semantic_eq_depth(x.get(k), y.get(k), depth + 1) {
                    return false;
                }
            }
            true
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| semantic_eq_depth(Some(p), Some(q), depth + 1))
        }
        (x, y) if is_zero(x) && is_zero(y) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_rendering() {
        let p = Path::new("spec")
            .child("containers")
            .index(0)
            .child("env")
            .key("A");
        assert_eq!(p.as_str(), "spec.containers[0].env[A]");
        assert_eq!(Path::new("").child("x").as_str(), "x");
    }

    #[test]
    fn semantic_equality_ignores_zero_values() {
        assert!(semantic_eq(
            Some(&json!({"a": 1, "b": []})),
            Some(&json!({"a": 1}))
        ));
        assert!(!semantic_eq(Some(&json!({"a": 1})), Some(&json!({"a": 2}))));
        assert!(semantic_eq(None, Some(&json!({}))));
    }
}
