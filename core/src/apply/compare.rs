//! What changed between two versions of an object, field by field.

use serde_json::Value;

use super::fieldpath::{PathElement, Set};
use super::schema::{check_depth, index_items, shape, values_equal, Shape, TypeRef};
use super::Schemas;

/// Struct fields that Kubernetes' Go types hold by value, so they exist (possibly empty)
/// in every object and never appear or disappear as a node of their own.
const VALUE_STRUCT_FIELDS: &[&str] = &[
    "metadata",
    "spec",
    "status",
    "template",
    "strategy",
    "updateStrategy",
    "resources",
];

/// Fields added, removed, and modified between two objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Present only in the new object.
    pub added: Set,
    /// Present only in the old object.
    pub removed: Set,
    /// Leaves present in both with different values.
    pub modified: Set,
}

impl Comparison {
    /// Drops every path at or below a member of `ignored`.
    pub fn filter(&mut self, ignored: &Set) {
        self.added = self.added.recursive_difference(ignored);
        self.removed = self.removed.recursive_difference(ignored);
        self.modified = self.modified.recursive_difference(ignored);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    Added,
    Removed,
    Modified,
}

/// Compares `old` and `new` of type `ty` (stored objects: items without keys are skipped).
pub fn compare(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    old: &Value,
    new: &Value,
) -> Result<Comparison, String> {
    let mut out = Comparison::default();
    let mut path = Vec::new();
    walk(schemas, ty, Some(old), Some(new), None, &mut path, &mut out)?;
    Ok(out)
}

fn empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    ) || !(a.is_object() || a.is_array() || b.is_object() || b.is_array())
}

/// Records changes below this node into `out` (with paths relative to the root) and
/// returns how the node itself changed.
fn walk(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    old: Option<&Value>,
    new: Option<&Value>,
    field_name: Option<&str>,
    path: &mut Vec<PathElement>,
    out: &mut Comparison,
) -> Result<Mark, String> {
    check_depth(path.len())?;
    let Some(sample) = new.or(old) else {
        return Ok(Mark::None);
    };
    let sh = shape(schemas, ty, sample);
    let leaf = |old: Option<&Value>, new: Option<&Value>| match (old, new) {
        (None, Some(_)) => Mark::Added,
        (Some(_), None) => Mark::Removed,
        (Some(a), Some(b)) if !values_equal(a, b) => Mark::Modified,
        _ => Mark::None,
    };
    let retyped = matches!((old, new), (Some(a), Some(b)) if !same_kind(a, b));
    if sh.is_atomic() || retyped || (empty(old) && empty(new)) {
        return Ok(leaf(old, new));
    }
    match sh {
        Shape::Object { props, .. } => {
            let old_map = old.and_then(Value::as_object);
            let new_map = new.and_then(Value::as_object);
            let keys = old_map.into_iter().flat_map(|m| m.keys()).chain(
                new_map
                    .into_iter()
                    .flat_map(|m| m.keys())
                    .filter(|k| !old_map.is_some_and(|o| o.contains_key(*k))),
            );
            for key in keys {
                if is_managed_fields(path, key) {
                    // Never tracked, and large: not worth a walk (nor a copy of the object
                    // without it).
                    continue;
                }
                let pe = PathElement::Field(key.clone());
                path.push(pe);
                let o = old_map.and_then(|m| m.get(key));
                let n = new_map.and_then(|m| m.get(key));
                let mark = walk(schemas, sh.field_type(key), o, n, Some(key), path, out)?;
                record(out, path, mark);
                path.pop();
            }
            // A value struct is never "added": it exists, empty, in every object.
            let value_struct =
                props.is_some() && field_name.is_some_and(|n| VALUE_STRUCT_FIELDS.contains(&n));
            if value_struct {
                return Ok(Mark::None);
            }
        }
        Shape::List { elem, kind } => {
            let no_items: &[Value] = &[];
            let old_items = old.and_then(Value::as_array).map_or(no_items, Vec::as_slice);
            let new_items = new.and_then(Value::as_array).map_or(no_items, Vec::as_slice);
            let old_idx = index_items(schemas, elem, kind, old_items, false, path)?;
            let new_idx = index_items(schemas, elem, kind, new_items, false, path)?;
            let pairs = old_idx
                .items
                .iter()
                .filter_map(|(pe, v)| pe.as_ref().map(|pe| (pe, Some(*v), true)))
                .chain(
                    new_idx
                        .items
                        .iter()
                        .filter_map(|(pe, v)| pe.as_ref().map(|pe| (pe, Some(*v), false))),
                );
            for (pe, v, from_old) in pairs {
                let (o, n) = if from_old {
                    let n = new_idx.by_key.get(pe).and_then(|i| new_idx.items.get(*i));
                    (v, n.map(|(_, v)| *v))
                } else {
                    if old_idx.by_key.contains_key(pe) {
                        continue;
                    }
                    (None, v)
                };
                path.push(pe.clone());
                let mark = walk(schemas, elem, o, n, None, path, out)?;
                record(out, path, mark);
                path.pop();
            }
        }
        Shape::Scalar => return Ok(leaf(old, new)),
    }
    Ok(match (old, new) {
        (None, Some(_)) => Mark::Added,
        (Some(_), None) => Mark::Removed,
        _ => Mark::None,
    })
}

/// Whether `key` under `path` is `metadata.managedFields`.
fn is_managed_fields(path: &[PathElement], key: &str) -> bool {
    key == "managedFields" && matches!(path, [PathElement::Field(m)] if m == "metadata")
}

fn record(out: &mut Comparison, path: &[PathElement], mark: Mark) {
    match mark {
        Mark::None => {}
        Mark::Added => out.added.insert(path),
        Mark::Removed => out.removed.insert(path),
        Mark::Modified => out.modified.insert(path),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fieldsv1::encode;
    use super::super::testing::schemas;
    use super::*;
    use serde_json::json;

    #[test]
    fn configmap_changes() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.ConfigMap");
        let c = compare(
            &s,
            ty,
            &json!({"data": {"a": "1", "b": "2"}}),
            &json!({"data": {"a": "1", "b": "3", "c": "4"}, "metadata": {"labels": {"x": "y"}}}),
        )
        .unwrap();
        assert_eq!(encode(&c.modified), json!({"f:data": {"f:b": {}}}));
        assert_eq!(
            encode(&c.added),
            json!({"f:data": {"f:c": {}}, "f:metadata": {"f:labels": {".": {}, "f:x": {}}}})
        );
        assert!(c.removed.is_empty());
    }

    #[test]
    fn list_items_added_and_removed() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.PodSpec");
        let c = compare(
            &s,
            ty,
            &json!({"containers": [{"name": "a", "image": "x"}]}),
            &json!({"containers": [{"name": "b", "image": "x"}]}),
        )
        .unwrap();
        assert_eq!(
            encode(&c.removed),
            json!({"f:containers": {"k:{\"name\":\"a\"}": {".": {}, "f:image": {}, "f:name": {}}}})
        );
        assert_eq!(
            encode(&c.added),
            json!({"f:containers": {"k:{\"name\":\"b\"}": {".": {}, "f:image": {}, "f:name": {}}}})
        );
    }
}
