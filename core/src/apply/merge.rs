//! Merging an apply configuration into a live object.
//!
//! The configuration wins at leaves and atomic nodes; objects merge key by key; set and
//! map lists merge item by item, keeping live-only items where they were and shared items
//! in the configuration's order.

use serde_json::{Map, Value};

use super::fieldpath::PathElement;
use super::schema::{check_depth, index_items, shape, IndexedItems, Shape, TypeRef};
use super::Schemas;

/// Merges `config` into `live` (both of type `ty`). Errors come from malformed
/// configuration lists (missing or repeated keys).
pub fn merge(schemas: &dyn Schemas, ty: TypeRef<'_>, live: &Value, config: &Value) -> Result<Value, String> {
    let mut path = Vec::new();
    let out = walk(schemas, ty, Some(live), Some(config), &mut path)?;
    Ok(out.unwrap_or_else(|| Value::Object(Map::new())))
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn walk(
    schemas: &dyn Schemas,
    ty: TypeRef<'_>,
    live: Option<&Value>,
    config: Option<&Value>,
    path: &mut Vec<PathElement>,
) -> Result<Option<Value>, String> {
    check_depth(path.len())?;
    let Some(sample) = config.or(live) else {
        return Ok(None);
    };
    let sh = shape(schemas, ty, sample);
    // A configuration value of another kind (a list where an object was) simply wins.
    let live = live.filter(|l| shape_matches(l, sample));
    let keep = || config.or(live).cloned();
    if sh.is_atomic() || (is_empty(live) && is_empty(config)) {
        return Ok(keep());
    }
    match sh {
        Shape::Object { .. } => {
            let no = Map::new();
            let l = live.and_then(Value::as_object).unwrap_or(&no);
            let c = config.and_then(Value::as_object).unwrap_or(&no);
            let mut out = Map::new();
            let keys = l.keys().chain(c.keys().filter(|k| !l.contains_key(*k)));
            for key in keys {
                path.push(PathElement::Field(key.clone()));
                let merged = walk(schemas, sh.field_type(key), l.get(key), c.get(key), path)?;
                path.pop();
                // An explicit null removes the field, as decoding into the Go type does.
                if let Some(v) = merged.filter(|v| !v.is_null()) {
                    out.insert(key.clone(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        Shape::List { elem, kind } => {
            let no: &[Value] = &[];
            let l = live.and_then(Value::as_array).map_or(no, Vec::as_slice);
            let c = config.and_then(Value::as_array).map_or(no, Vec::as_slice);
            let rhs = index_items(schemas, elem, kind, c, true, path)?;
            let lhs = index_items(schemas, elem, kind, l, false, path)?;
            let mut out = Vec::with_capacity(l.len().max(c.len()));
            let merge_item = |pe: &PathElement,
                              lv: Option<&Value>,
                              cv: Option<&Value>,
                              path: &mut Vec<PathElement>|
             -> Result<Option<Value>, String> {
                path.push(pe.clone());
                let merged = walk(schemas, elem, lv, cv, path);
                path.pop();
                merged
            };
            // Items in both lists, in the configuration's order.
            let mut shared = rhs
                .items
                .iter()
                .filter_map(|(pe, _)| pe.as_ref())
                .filter(|pe| lhs.by_key.contains_key(*pe));
            let mut next_shared = shared.next();
            let (mut li, mut ri) = (0, 0);
            while li < lhs.items.len() || ri < rhs.items.len() {
                if let (Some((lpe, lv)), Some((rpe, _))) = (lhs.items.get(li), rhs.items.get(ri)) {
                    match (lpe, rpe) {
                        (Some(lpe), Some(rpe)) if lpe == rpe => {
                            out.extend(merge_item(lpe, Some(*lv), lookup(&rhs, rpe), path)?);
                            li += 1;
                            ri += 1;
                            next_shared = shared.next();
                            continue;
                        }
                        (Some(lpe), _)
                            if rhs.by_key.contains_key(lpe) && next_shared.is_some_and(|n| n != lpe) =>
                        {
                            // A shared item whose turn has not come yet.
                            li += 1;
                            continue;
                        }
                        _ => {}
                    }
                }
                if let Some((lpe, lv)) = lhs.items.get(li) {
                    match lpe {
                        None => {
                            out.push((*lv).clone());
                            li += 1;
                            continue;
                        }
                        Some(lpe) if !rhs.by_key.contains_key(lpe) => {
                            out.extend(merge_item(lpe, Some(*lv), None, path)?);
                            li += 1;
                            continue;
                        }
                        _ => {}
                    }
                }
                if let Some((Some(rpe), rv)) = rhs.items.get(ri) {
                    out.extend(merge_item(rpe, lookup(&lhs, rpe), Some(*rv), path)?);
                    ri += 1;
                    if next_shared.is_some_and(|n| n == rpe) {
                        next_shared = shared.next();
                    }
                } else {
                    // Unreachable with strict indexing of the configuration; stop safely.
                    break;
                }
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        Shape::Scalar => Ok(keep()),
    }
}

fn lookup<'v>(idx: &IndexedItems<'v>, pe: &PathElement) -> Option<&'v Value> {
    idx.by_key
        .get(pe)
        .and_then(|i| idx.items.get(*i))
        .map(|(_, v)| *v)
}

fn shape_matches(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => true,
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::schemas;
    use super::*;
    use serde_json::json;

    fn pod_merge(live: Value, config: Value) -> Value {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.PodSpec");
        merge(&s, ty, &live, &config).unwrap()
    }

    #[test]
    fn containers_merge_by_name_and_ports_by_key() {
        let got = pod_merge(
            json!({"containers": [
                {"name": "a", "image": "a:1", "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]},
                {"name": "b", "image": "b:1", "args": ["x", "y"]}
            ]}),
            json!({"containers": [
                {"name": "b", "args": ["z"]},
                {"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81}]},
                {"name": "c", "image": "c:1"}
            ]}),
        );
        assert_eq!(
            got,
            json!({"containers": [
                {"name": "b", "image": "b:1", "args": ["z"]},
                {"name": "a", "image": "a:1", "ports": [
                    {"containerPort": 80, "protocol": "TCP", "name": "http", "hostPort": 8080},
                    {"containerPort": 81}
                ]},
                {"name": "c", "image": "c:1"}
            ]})
        );
    }

    #[test]
    fn live_only_items_keep_their_place() {
        let got = pod_merge(
            json!({"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}),
            json!({"containers": [{"name": "b"}, {"name": "a"}]}),
        );
        assert_eq!(
            got,
            json!({"containers": [{"name": "x"}, {"name": "b"}, {"name": "a"}]})
        );
    }

    #[test]
    fn sets_union_and_atomic_replace() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        let got = merge(
            &s,
            ty,
            &json!({"finalizers": ["a", "b"], "labels": {"x": "1"}}),
            &json!({"finalizers": ["c", "a"], "labels": {"y": "2"}}),
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"finalizers": ["c", "a", "b"], "labels": {"x": "1", "y": "2"}})
        );
    }

    #[test]
    fn bad_configuration_lists_are_errors() {
        let s = schemas();
        let ty = TypeRef::definition(&s, "io.k8s.api.core.v1.PodSpec");
        let err = merge(&s, ty, &json!({}), &json!({"containers": [{"image": "x"}]})).unwrap_err();
        assert!(err.contains("omits key field \"name\""), "{err}");
    }
}
