//! The set of fields an object sets (structured-merge-diff's `ToFieldSet`).
//!
//! Leaves are members; so are atomic lists and maps as a whole, every associative list
//! item, every free map key (even with children), and declared fields holding `null` or
//! an empty object.

use serde_json::Value;

use super::fieldpath::{PathElement, Set};
use super::schema::{check_depth, index_items, shape, Shape, TypeRef};
use super::Schemas;

/// Fields set by `value` of type `ty`. `strict` rejects list items without a usable key.
pub fn to_field_set(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    value: &Value,
    strict: bool,
) -> Result<Set, String> {
    let mut path = Vec::new();
    Ok(walk(schemas, ty, value, strict, &mut path)?.0)
}

/// Returns the fields below `value` and whether `value` itself is a leaf member.
fn walk(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    value: &Value,
    strict: bool,
    path: &mut Vec<PathElement>,
) -> Result<(Set, bool), String> {
    check_depth(path.len())?;
    let sh = shape(schemas, ty, value);
    if sh.is_atomic() {
        return Ok((Set::new(), true));
    }
    let mut set = Set::new();
    match (sh, value) {
        (Shape::Object { .. }, Value::Object(map)) => {
            for (key, child) in map {
                let pe = PathElement::Field(key.clone());
                path.push(pe.clone());
                let (sub, leaf) = walk(schemas, sh.field_type(key), child, strict, path)?;
                path.pop();
                let empty_object = child.as_object().is_some_and(|m| m.is_empty());
                if leaf || child.is_null() || empty_object || !sh.declares(key) {
                    set.insert_member(pe.clone());
                }
                set.insert_child(pe, sub);
            }
        }
        (Shape::List { elem, kind }, Value::Array(items)) => {
            let indexed = index_items(schemas, elem, kind, items, strict, path)?;
            for (pe, item) in indexed.items {
                let Some(pe) = pe else { continue };
                path.push(pe.clone());
                let (sub, _) = walk(schemas, elem, item, strict, path)?;
                path.pop();
                set.insert_member(pe.clone());
                set.insert_child(pe, sub);
            }
        }
        _ => return Ok((set, true)),
    }
    Ok((set, false))
}

#[cfg(test)]
mod tests {
    use super::super::fieldsv1;
    use super::super::testing::schemas;
    use super::*;
    use serde_json::json;

    fn fields(def: &str, v: Value) -> Value {
        let s = schemas();
        let set = to_field_set(&s, TypeRef::definition(&s, def), &v, true).unwrap();
        fieldsv1::encode(&set)
    }

    #[test]
    fn deployment_fields() {
        let got = fields(
            "io.k8s.api.apps.v1.Deployment",
            json!({
                "metadata": {"labels": {"app": "x"}, "finalizers": ["a"]},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "x"}},
                    "template": {"spec": {"containers": [{
                        "name": "nginx", "image": "nginx", "args": ["a", "b"],
                        "ports": [{"containerPort": 80}],
                        "resources": {}
                    }]}}
                }
            }),
        );
        assert_eq!(
            got,
            json!({
                "f:metadata": {"f:finalizers": {"v:\"a\"": {}}, "f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {},
                        "f:args": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                            ".": {}, "f:containerPort": {}
                        }},
                        "f:resources": {}
                    }}}}
                }
            })
        );
    }

    #[test]
    fn untyped_maps_mark_every_key() {
        let got = fields(
            "io.k8s.apimachinery.pkg.runtime.RawExtension",
            json!({"a": {"b": 1}, "c": [1, 2]}),
        );
        assert_eq!(got, json!({"f:a": {".": {}, "f:b": {}}, "f:c": {}}));
    }

    #[test]
    fn strict_rejects_duplicates() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.PodSpec");
        let v = json!({"containers": [{"name": "a"}, {"name": "a"}]});
        let err = to_field_set(&s, ty, &v, true).unwrap_err();
        assert_eq!(err, ".containers: duplicate entries for key [name=\"a\"]");
        assert!(to_field_set(&s, ty, &v, false).is_ok());
    }
}
