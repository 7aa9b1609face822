//! Removing the fields of a set from an object (structured-merge-diff's `RemoveItems`).

use serde_json::{Map, Value};

use super::fieldpath::{PathElement, Set};
use super::schema::{check_depth, index_items, shape, Shape, TypeRef};
use super::Schemas;

/// `value` without the members of `set`: a member removes its whole field, map key or
/// list item; a path through a node removes only below it. Containers left empty go too.
pub fn remove_items(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    value: &Value,
    set: &Set,
) -> Result<Value, String> {
    let out = walk(schemas, ty, value, set, 0)?;
    Ok(out.unwrap_or_else(|| Value::Object(Map::new())))
}

fn walk(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    value: &Value,
    set: &Set,
    depth: usize,
) -> Result<Option<Value>, String> {
    check_depth(depth)?;
    let sh = shape(schemas, ty, value);
    if sh.is_atomic() {
        return Ok(Some(value.clone()));
    }
    match (sh, value) {
        (Shape::Object { .. }, Value::Object(map)) => {
            let mut out = Map::new();
            for (key, child) in map {
                let pe = PathElement::Field(key.clone());
                if set.has_member(&pe) {
                    continue;
                }
                let kept = match set.child(&pe) {
                    Some(sub) => walk(schemas, sh.field_type(key), child, sub, depth + 1)?,
                    None => Some(child.clone()),
                };
                if let Some(v) = kept {
                    out.insert(key.clone(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        (Shape::List { elem, kind }, Value::Array(items)) => {
            let indexed = index_items(schemas, elem, kind, items, false, &[])?;
            let mut out = Vec::with_capacity(items.len());
            for (pe, item) in indexed.items {
                let Some(pe) = pe else {
                    out.push(item.clone());
                    continue;
                };
                if set.has_member(&pe) {
                    continue;
                }
                let kept = match set.child(&pe) {
                    Some(sub) => walk(schemas, elem, item, sub, depth + 1)?
                        .unwrap_or_else(|| Value::Object(Map::new())),
                    None => item.clone(),
                };
                out.push(kept);
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        _ => Ok(Some(value.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fieldsv1::decode;
    use super::super::testing::schemas;
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_fields_and_items() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.PodSpec");
        let set = decode(&json!({"f:containers": {
            "k:{\"name\":\"a\"}": {},
            "k:{\"name\":\"b\"}": {"f:image": {}}
        }}))
        .unwrap();
        let got = remove_items(
            &s,
            ty,
            &json!({"containers": [{"name": "a"}, {"name": "b", "image": "x"}], "hostNetwork": true}),
            &set,
        )
        .unwrap();
        assert_eq!(got, json!({"containers": [{"name": "b"}], "hostNetwork": true}));
    }
}
