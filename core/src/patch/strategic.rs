//! Strategic merge patch (`application/strategic-merge-patch+json`) as kube-apiserver
//! applies it (k8s.io/apimachinery `strategicpatch.StrategicMergeMapPatch`).
//!
//! It is a JSON merge patch where lists whose field has `patchStrategy: merge` are merged:
//! lists of objects by their `patchMergeKey`, lists of scalars as sets. Directives:
//!
//! * `$patch: replace` / `$patch: delete` in an object replace it with the rest of the patch
//!   object / an empty object; in a merged list, `{"$patch": "replace"}` replaces the whole
//!   list with the other items and `{<key>: v, "$patch": "delete"}` removes the item `v`;
//! * `$retainKeys: [...]` drops every key of the target object not listed;
//! * `$setElementOrder/<list>: [...]` fixes the order of the merged list;
//! * `$deleteFromPrimitiveList/<list>: [...]` removes scalars from a merged scalar list.
//!
//! Values the original lacks are stored with their `null`s and directive keys removed, which
//! is what kube-apiserver's decoding into the typed object does to them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::error::json_kind;
use super::merge_keys::{Field, Schema, Strategy};
use super::{check_depth, PatchError};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

// The sentinel errors kube-apiserver maps to 400 (the rest of its errors surface as 500).
const BAD_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
const BAD_SET_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";
const BAD_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
/// Mapped to 422.
const NO_LIST_OF_LISTS: &str = "lists of lists are not supported";

// Go type names in kube-apiserver's type mismatch errors.
const LIST_TYPE: &str = "[]interface {}";
const MAP_TYPE: &str = "map[string]interface {}";

type Result<T> = std::result::Result<T, PatchError>;

/// Applies the strategic merge patch `patch_bytes` to `original` using `schema`'s metadata.
pub(super) fn apply(original: &Value, patch_bytes: &[u8], schema: &'static Schema) -> Result<Value> {
    let patch: Value =
        serde_json::from_slice(patch_bytes).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    check_depth(&patch)?;
    let Value::Object(patch) = patch else {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&patch)
        )));
    };
    let original = match original {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    merge_map(original, patch, Some(schema)).map(Value::Object)
}

/// Merges the patch object `patch` into `original`.
fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Option<&'static Schema>,
) -> Result<Map<String, Value>> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                Ok(sanitize_map(patch))
            }
            // Deleting an object leaves an empty one in its place.
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(directive, &patch)),
        };
    }

    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_orders(&mut original, &mut patch, schema)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            Some(rest) => match rest.strip_prefix('/') {
                Some(list) => (list.to_string(), true),
                None => return Err(PatchError::BadRequest(BAD_PRIMITIVE_LIST.into())),
            },
            None => (key, false),
        };
        if patch_value.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let field = schema.and_then(|s| s.field(&key));
        let Some(slot) = original.get_mut(&key) else {
            // Kubernetes stores the value as sent, even a deletion list for an absent list.
            original.insert(key, sanitize(patch_value));
            continue;
        };
        let current = std::mem::take(slot);
        *slot = match (current, patch_value) {
            (Value::Object(current), Value::Object(patch_value)) => {
                Value::Object(merge_map(current, patch_value, field.and_then(|f| f.child))?)
            }
            (Value::Array(current), Value::Array(patch_value)) => {
                Value::Array(merge_list_field(current, patch_value, field, is_delete_list)?)
            }
            // Scalars, and values whose type changed, are replaced.
            (_, patch_value) => sanitize(patch_value),
        };
    }
    Ok(original)
}

/// Handles `$retainKeys`: every key of `original` not listed is dropped, and every
/// non-null key of the patch must be listed.
fn apply_retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> Result<()> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(PatchError::BadRequest(BAD_RETAIN_KEYS.into()));
    };
    let listed: BTreeSet<&str> = retain.iter().filter_map(Value::as_str).collect();
    let unlisted_in_patch = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !listed.contains(k.as_str())
    });
    if unlisted_in_patch {
        return Err(PatchError::BadRequest(BAD_RETAIN_KEYS.into()));
    }
    original.retain(|k, _| listed.contains(k.as_str()));
    Ok(())
}

/// Handles every `$setElementOrder/<list>` of `patch`: merges `<list>` from the patch into
/// the original, orders the result and removes both keys from the patch.
fn apply_set_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Option<&'static Schema>,
) -> Result<()> {
    let directive_keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive_key in directive_keys {
        let Some(order) = patch.shift_remove(&directive_key) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(bad_arg_type(LIST_TYPE, &order));
        };
        let list_key = match directive_key
            .strip_prefix(SET_ELEMENT_ORDER)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            Some(list) => list.to_string(),
            None => return Err(PatchError::BadRequest(BAD_SET_ELEMENT_ORDER.into())),
        };
        // Taken out of `original`; the result goes back into the same slot.
        let current = match original.get_mut(&list_key) {
            Some(Value::Array(items)) => Some(std::mem::take(items)),
            Some(other) => return Err(bad_arg_type(LIST_TYPE, other)),
            None => None,
        };
        let patch_list = match patch.shift_remove(&list_key) {
            Some(Value::Array(items)) => Some(items),
            Some(other) => return Err(bad_arg_type(LIST_TYPE, &other)),
            None => None,
        };
        let field = schema.and_then(|s| s.field(&list_key));
        let merge_key = field.and_then(|f| f.merge_key);
        if let Some(patch_list) = &patch_list {
            check_order_matches_patch(patch_list, &order, merge_key)?;
        }
        if current.is_none() && patch_list.is_none() {
            continue;
        }

        let current_items = current.as_deref().unwrap_or_default();
        let kind = element_kind(&[current_items, patch_list.as_deref().unwrap_or_default()])?;
        let key = if kind == ElementKind::Object {
            merge_key
        } else {
            None
        };
        if let Some(key) = key {
            if let Some(item) = order.iter().find(|o| o.get(key).is_none()) {
                return Err(no_merge_key(item, key));
            }
        }
        let server = Positions::new(current_items, key);
        let merged = match (current, patch_list) {
            (Some(current), Some(patch_list)) => merge_list_field(current, patch_list, field, false)?,
            (Some(current), None) => current,
            (None, patch_list) => patch_list.unwrap_or_default().into_iter().map(sanitize).collect(),
        };
        let order = Positions::new(&order, key);
        let (in_order, server_only) = partition(merged, &order, key)?;
        let ordered = normalize_order(in_order, server_only, &order, &server, key);
        original.insert(list_key, Value::Array(ordered));
    }
    Ok(())
}

/// Merges a list field: merged for `patchStrategy: merge`, replaced otherwise.
fn merge_list_field(
    current: Vec<Value>,
    patch: Vec<Value>,
    field: Option<&'static Field>,
    is_delete_list: bool,
) -> Result<Vec<Value>> {
    match field {
        Some(f) if f.strategy == Strategy::Merge => {
            merge_list(current, patch, f.merge_key, f.child, is_delete_list)
        }
        _ => Ok(patch.into_iter().map(sanitize).collect()),
    }
}

/// Merges two lists of a field with the merge strategy.
fn merge_list(
    current: Vec<Value>,
    patch: Vec<Value>,
    merge_key: Option<&'static str>,
    item_schema: Option<&'static Schema>,
    is_delete_list: bool,
) -> Result<Vec<Value>> {
    if current.is_empty() && patch.is_empty() {
        return Ok(current);
    }
    let kind = element_kind(&[&current, &patch])?;
    if kind != ElementKind::Object {
        let patch_positions = Positions::new(&patch, None);
        if is_delete_list {
            return Ok(current
                .into_iter()
                .filter(|v| patch_positions.get(v, None).is_none())
                .collect());
        }
        // A set union; the order is fixed below.
        let mut seen = BTreeSet::new();
        let merged: Vec<Value> = current
            .iter()
            .chain(&patch)
            .filter(|v| seen.insert(identity(v, None)))
            .cloned()
            .collect();
        let server = Positions::new(&current, None);
        let (in_patch, server_only) = partition(merged, &patch_positions, None)?;
        return Ok(normalize_order(
            in_patch,
            server_only,
            &patch_positions,
            &server,
            None,
        ));
    }

    let Some(key) = merge_key else {
        return Err(PatchError::Unclassified(
            "cannot merge lists without merge key for type string".into(),
        ));
    };
    let (current, patch) = apply_list_directives(current, patch, key)?;
    let server = Positions::new(&current, Some(key));
    let patch_positions = Positions::new(&patch, Some(key));
    let mut merged = current;
    // Where each merge key value sits in `merged`; the first item with it wins.
    let mut index = BTreeMap::new();
    for (i, item) in merged.iter().enumerate() {
        if item.get(key).is_some() {
            index.entry(identity(item, Some(key))).or_insert(i);
        }
    }
    for item in patch {
        let Value::Object(item) = item else {
            return Err(bad_arg_type(MAP_TYPE, &item));
        };
        let Some(value) = item.get(key) else {
            return Err(no_merge_key(&Value::Object(item), key));
        };
        let id = value.to_string();
        match index.get(&id) {
            Some(&i) => {
                let Some(Value::Object(existing)) = merged.get_mut(i).map(std::mem::take) else {
                    return Err(bad_arg_type(MAP_TYPE, &Value::Null));
                };
                let merged_item = merge_map(existing, item, item_schema)?;
                if let Some(slot) = merged.get_mut(i) {
                    *slot = Value::Object(merged_item);
                }
            }
            None => {
                index.insert(id, merged.len());
                merged.push(Value::Object(sanitize_map(item)));
            }
        }
    }
    let (in_patch, server_only) = partition(merged, &patch_positions, Some(key))?;
    Ok(normalize_order(
        in_patch,
        server_only,
        &patch_positions,
        &server,
        Some(key),
    ))
}

/// Applies the `$patch` items of a merged list of objects. Returns the list to merge into
/// and the patch items that remain.
fn apply_list_directives(
    mut current: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut deleted = BTreeSet::new();
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => match item.get(key) {
                Some(value) => {
                    deleted.insert(value.to_string());
                }
                None => return Err(no_merge_key(&item, key)),
            },
            // Other `$patch` items are still pruned, so keep going.
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(PatchError::Unclassified(
                    "merging lists cannot yet be specified in the patch".into(),
                ))
            }
            _ => {
                let map = item.as_object().cloned().unwrap_or_default();
                return Err(bad_patch_type(directive, &map));
            }
        }
    }
    if replace {
        return Ok((plain.into_iter().map(sanitize).collect(), Vec::new()));
    }
    if !deleted.is_empty() {
        current.retain(|c| c.get(key).is_none_or(|v| !deleted.contains(&v.to_string())));
    }
    Ok((current, plain))
}

/// The type of the items of some lists, which must all share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ElementKind {
    Bool,
    // Kubernetes decodes integers and other numbers into distinct Go types.
    Integer,
    Float,
    String,
    Object,
}

fn element_kind(lists: &[&[Value]]) -> Result<ElementKind> {
    let mut kind = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        let this = match item {
            Value::Array(_) => {
                return Err(PatchError::Unprocessable {
                    message: NO_LIST_OF_LISTS.into(),
                    detail: NO_LIST_OF_LISTS.into(),
                })
            }
            Value::Null => return Err(PatchError::Unclassified("list element is null".into())),
            Value::Bool(_) => ElementKind::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => ElementKind::Integer,
            Value::Number(_) => ElementKind::Float,
            Value::String(_) => ElementKind::String,
            Value::Object(_) => ElementKind::Object,
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => {
                return Err(PatchError::Unclassified(
                    "list element types are not identical".into(),
                ))
            }
            Some(_) => {}
        }
    }
    kind.ok_or_else(|| PatchError::Unclassified("no elements in any of the given slices".into()))
}

/// What identifies a list item: its merge key value for lists of objects, or itself,
/// serialized so that long lists can be indexed.
fn identity(item: &Value, key: Option<&str>) -> String {
    match key {
        Some(key) => item.get(key).unwrap_or(&Value::Null).to_string(),
        None => item.to_string(),
    }
}

/// First positions of list items by identity.
struct Positions(BTreeMap<String, usize>);

impl Positions {
    fn new(items: &[Value], key: Option<&str>) -> Self {
        let mut map = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            map.entry(identity(item, key)).or_insert(i);
        }
        Positions(map)
    }

    fn get(&self, item: &Value, key: Option<&str>) -> Option<usize> {
        self.0.get(&identity(item, key)).copied()
    }
}

/// Splits `merged` into the items present in `listed` and the others, keeping order.
fn partition(merged: Vec<Value>, listed: &Positions, key: Option<&str>) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for item in merged {
        if let Some(key) = key {
            if item.get(key).is_none() {
                return Err(no_merge_key(&item, key));
            }
        }
        if listed.get(&item, key).is_some() {
            present.push(item);
        } else {
            absent.push(item);
        }
    }
    Ok((present, absent))
}

/// Orders a merged list: `in_order` items follow `order`, `server_only` items follow
/// `server` (the live list), and the two are interleaved so that a server-only item stays
/// before the patch items that follow it in the live list.
fn normalize_order(
    mut in_order: Vec<Value>,
    mut server_only: Vec<Value>,
    order: &Positions,
    server: &Positions,
    key: Option<&str>,
) -> Vec<Value> {
    in_order.sort_by_cached_key(|item| order.get(item, key).unwrap_or(usize::MAX));
    server_only.sort_by_cached_key(|item| server.get(item, key).unwrap_or(usize::MAX));

    let mut result = Vec::with_capacity(in_order.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = in_order.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => match (server.get(l, key), server.get(r, key)) {
                (Some(li), Some(ri)) => li < ri,
                _ => false,
            },
        };
        result.extend(if take_left { left.next() } else { right.next() });
    }
    result
}

/// Checks that the patch list's items appear in `$setElementOrder` and in the same order.
fn check_order_matches_patch(patch: &[Value], order: &[Value], key: Option<&str>) -> Result<()> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let is_deletion = |v: &Value| v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete");
    let mut remaining = Vec::with_capacity(patch.len());
    for item in patch {
        if key.is_some() && !item.is_object() {
            return Err(bad_arg_type(MAP_TYPE, item));
        }
        if key.is_none() || !is_deletion(item) {
            remaining.push(item);
        }
    }
    let (mut p, mut o) = (0, 0);
    while let (Some(item), Some(ordered)) = (remaining.get(p), order.get(o)) {
        if item.get(DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        let equal = match key {
            None => *item == ordered,
            Some(key) => {
                let Some(left) = item.get(key) else {
                    return Err(no_merge_key(item, key));
                };
                let Some(right) = ordered.get(key) else {
                    return Err(no_merge_key(ordered, key));
                };
                left == right
            }
        };
        if equal {
            p += 1;
        }
        o += 1;
    }
    if p < remaining.len() {
        return Err(PatchError::Unclassified(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            Value::Array(patch.to_vec()),
            Value::Array(order.to_vec())
        )));
    }
    Ok(())
}

/// A value the original lacks, as it is stored: without `null` members or directive keys.
fn sanitize(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(sanitize_map(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize).collect()),
        other => other,
    }
}

fn sanitize_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, v)| !v.is_null() && !is_directive_key(k))
        .map(|(k, v)| (k, sanitize(v)))
        .collect()
}

fn is_directive_key(key: &str) -> bool {
    key == DIRECTIVE
        || key == RETAIN_KEYS
        || key.starts_with("$setElementOrder/")
        || key.starts_with("$deleteFromPrimitiveList/")
}

fn no_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::Unclassified(format!("map: {item} does not contain declared merge key: {key}"))
}

fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> PatchError {
    let directive = directive
        .as_str()
        .map_or_else(|| directive.to_string(), str::to_string);
    PatchError::Unclassified(format!(
        "unknown patch type: {directive} in map: {}",
        Value::Object(map.clone())
    ))
}

fn bad_arg_type(expected: &str, actual: &Value) -> PatchError {
    PatchError::Unclassified(format!(
        "expected a {expected}, but received a {}",
        json_kind(actual)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::merge_keys::root;
    use super::{apply, PatchError, Result};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn smp(group: &str, kind: &str, original: &Value, patch: Value) -> Result<Value> {
        apply(original, patch.to_string().as_bytes(), root(group, kind))
    }

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
                },
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": "nginx:1.25",
                                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                "env": [
                                    {"name": "MODE", "value": "prod"},
                                    {"name": "LOG", "value": "info"}
                                ],
                                "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]
                            },
                            {"name": "sidecar", "image": "envoy:1.30", "args": ["-c", "/etc/envoy.yaml"]}
                        ],
                        "volumes": [
                            {"name": "cache", "emptyDir": {}},
                            {"name": "config", "configMap": {"name": "web-config"}}
                        ],
                        "tolerations": [{"key": "a", "operator": "Exists"}]
                    }
                }
            }
        })
    }

    fn pod_spec_patch(spec: Value) -> Value {
        json!({"spec": {"template": {"spec": spec}}})
    }

    fn containers(d: &Value) -> &Vec<Value> {
        d["spec"]["template"]["spec"]["containers"].as_array().unwrap()
    }

    fn names(list: &Value) -> Vec<&str> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn changing_one_image_keeps_the_other_container() {
        let d = deployment();
        let out = smp(
            "apps",
            "Deployment",
            &d,
            pod_spec_patch(json!({"containers": [{"name": "sidecar", "image": "envoy:1.31"}]})),
        )
        .unwrap();
        let cs = containers(&out);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0], containers(&d)[0]);
        assert_eq!(cs[1]["image"], "envoy:1.31");
        assert_eq!(cs[1]["args"], json!(["-c", "/etc/envoy.yaml"]));
    }

    #[test]
    fn env_ports_and_mounts_merge_by_their_keys() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({"containers": [{
                "name": "app",
                "env": [{"name": "LOG", "value": "debug"}, {"name": "NEW", "value": "1"}],
                "ports": [{"containerPort": 443}],
                "volumeMounts": [{"mountPath": "/cache", "readOnly": true}]
            }]})),
        )
        .unwrap();
        let app = &containers(&out)[0];
        // Patch items keep the patch's order; a live-only item goes before a patch item
        // only if it came before it in the live list, so a lone new item leads the list
        // (kube-apiserver's order when the patch carries no $setElementOrder).
        assert_eq!(
            app["env"],
            json!([
                {"name": "MODE", "value": "prod"},
                {"name": "LOG", "value": "debug"},
                {"name": "NEW", "value": "1"}
            ])
        );
        assert_eq!(
            app["ports"],
            json!([{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}])
        );
        assert_eq!(
            app["volumeMounts"],
            json!([{"name": "cache", "mountPath": "/cache", "readOnly": true}])
        );
    }

    #[test]
    fn item_order_follows_kube_apiserver() {
        let original = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
        let out = smp(
            "",
            "Pod",
            &original,
            json!({"spec": {"containers": [{"name": "d"}, {"name": "b", "image": "x"}]}}),
        )
        .unwrap();
        assert_eq!(names(&out["spec"]["containers"]), ["d", "a", "b", "c"]);
    }

    #[test]
    fn patch_delete_removes_a_container() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({"containers": [{"name": "sidecar", "$patch": "delete"}]})),
        )
        .unwrap();
        assert_eq!(names(&out["spec"]["template"]["spec"]["containers"]), ["app"]);
    }

    #[test]
    fn patch_replace_in_a_list_replaces_it_whole() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({"containers": [
                {"$patch": "replace"},
                {"name": "only", "image": "busybox", "env": null}
            ]})),
        )
        .unwrap();
        assert_eq!(
            containers(&out),
            &vec![json!({"name": "only", "image": "busybox"})]
        );
    }

    #[test]
    fn patch_replace_and_delete_on_objects() {
        let d = deployment();
        let out = smp(
            "apps",
            "Deployment",
            &d,
            json!({"metadata": {"labels": {"$patch": "replace", "tier": "front"}}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"tier": "front"}));
        assert_eq!(out["metadata"]["name"], "web");

        let out = smp(
            "apps",
            "Deployment",
            &d,
            json!({"metadata": {"labels": {"$patch": "delete"}}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({}));
    }

    #[test]
    fn set_element_order_reorders_and_merges() {
        // What `kubectl apply` sends after swapping the containers and bumping one image.
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({
                "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
                "containers": [{"name": "app", "image": "nginx:1.26"}]
            })),
        )
        .unwrap();
        let cs = containers(&out);
        assert_eq!(
            names(&out["spec"]["template"]["spec"]["containers"]),
            ["sidecar", "app"]
        );
        assert_eq!(cs[1]["image"], "nginx:1.26");
        assert_eq!(cs[1]["env"], containers(&deployment())[0]["env"]);

        // Order alone, without list content.
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]})),
        )
        .unwrap();
        assert_eq!(
            names(&out["spec"]["template"]["spec"]["containers"]),
            ["sidecar", "app"]
        );
    }

    #[test]
    fn set_element_order_places_new_items() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({
                "$setElementOrder/containers": [{"name": "app"}, {"name": "extra"}, {"name": "sidecar"}],
                "containers": [{"name": "extra", "image": "busybox"}]
            })),
        )
        .unwrap();
        assert_eq!(
            names(&out["spec"]["template"]["spec"]["containers"]),
            ["app", "extra", "sidecar"]
        );
    }

    #[test]
    fn set_element_order_must_cover_the_patch_list() {
        let err = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({
                "$setElementOrder/containers": [{"name": "app"}],
                "containers": [{"name": "sidecar", "image": "x"}]
            })),
        )
        .unwrap_err();
        assert_eq!(err.http_status(), 500);
    }

    #[test]
    fn retain_keys_switches_a_volume_source() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({"volumes": [{
                "name": "cache",
                "$retainKeys": ["name", "hostPath"],
                "hostPath": {"path": "/var/cache"}
            }]})),
        )
        .unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["volumes"],
            json!([
                {"name": "cache", "hostPath": {"path": "/var/cache"}},
                {"name": "config", "configMap": {"name": "web-config"}}
            ])
        );
    }

    #[test]
    fn retain_keys_switches_deployment_strategy() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
        )
        .unwrap();
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn retain_keys_must_list_every_patched_key() {
        let err = smp(
            "apps",
            "Deployment",
            &deployment(),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "RollingUpdate", "rollingUpdate": {}}}}),
        )
        .unwrap_err();
        assert_eq!(
            err,
            PatchError::BadRequest("invalid patch format of retainKeys".into())
        );
        let err = smp(
            "apps",
            "Deployment",
            &deployment(),
            json!({"spec": {"$retainKeys": "type"}}),
        )
        .unwrap_err();
        assert_eq!(err.http_status(), 400);
    }

    #[test]
    fn finalizers_merge_as_a_set() {
        let cm = json!({"metadata": {"name": "c", "finalizers": ["a.io/x", "b.io/y"]}});
        let out = smp(
            "",
            "ConfigMap",
            &cm,
            json!({"metadata": {"finalizers": ["b.io/y", "c.io/z"]}}),
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["a.io/x", "b.io/y", "c.io/z"])
        );

        let out = smp(
            "",
            "ConfigMap",
            &cm,
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b.io/y"]));

        // With $setElementOrder, as kubectl sends it.
        let out = smp(
            "",
            "ConfigMap",
            &cm,
            json!({"metadata": {
                "$setElementOrder/finalizers": ["c.io/z", "b.io/y"],
                "$deleteFromPrimitiveList/finalizers": ["a.io/x"],
                "finalizers": ["c.io/z"]
            }}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["c.io/z", "b.io/y"]));
    }

    #[test]
    fn owner_references_merge_by_uid() {
        let rs = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u1"}
        ]}});
        let out = smp(
            "apps",
            "ReplicaSet",
            &rs,
            json!({"metadata": {"ownerReferences": [
                {"uid": "u1", "controller": true},
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "u2"}
            ]}}),
        )
        .unwrap();
        let refs = out["metadata"]["ownerReferences"].as_array().unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0]["controller"], true);
        assert_eq!(refs[0]["name"], "web");
        assert_eq!(refs[1]["uid"], "u2");
    }

    #[test]
    fn lists_without_strategy_are_replaced() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            pod_spec_patch(json!({
                "tolerations": [{"key": "b", "operator": "Exists"}],
                "containers": [{"name": "sidecar", "args": ["-v"]}]
            })),
        )
        .unwrap();
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(spec["tolerations"], json!([{"key": "b", "operator": "Exists"}]));
        assert_eq!(spec["containers"][1]["args"], json!(["-v"]));
    }

    #[test]
    fn null_deletes_a_key() {
        let out = smp(
            "apps",
            "Deployment",
            &deployment(),
            json!({"metadata": {"labels": {"app": null}}, "spec": {"replicas": null, "missing": null}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({}));
        assert!(out["spec"].get("replicas").is_none());
        assert!(out["spec"].get("missing").is_none());
    }

    #[test]
    fn new_values_are_stored_without_nulls_or_directives() {
        let out = smp(
            "",
            "Pod",
            &json!({"metadata": {"name": "p"}}),
            json!({"spec": {
                "$setElementOrder/containers": [{"name": "a"}],
                "containers": [{"name": "a", "image": null, "$patch": "merge"}],
                "nodeName": null
            }}),
        )
        .unwrap();
        assert_eq!(out["spec"], json!({"containers": [{"name": "a"}]}));
    }

    #[test]
    fn service_node_and_status_lists() {
        let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}});
        let out = smp(
            "",
            "Service",
            &svc,
            json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
        )
        .unwrap();
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 9090}, {"port": 443}])
        );

        let node = json!({"status": {
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "n1"}],
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "MemoryPressure", "status": "False"}]
        }});
        let out = smp(
            "",
            "Node",
            &node,
            json!({"status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}],
                "conditions": [{"type": "Ready", "status": "True"}]
            }}),
        )
        .unwrap();
        assert_eq!(out["status"]["addresses"][0]["address"], "10.0.0.2");
        assert_eq!(out["status"]["addresses"][1]["address"], "n1");
        assert_eq!(out["status"]["conditions"][0]["status"], "True");
        assert_eq!(out["status"]["conditions"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn cron_job_template_containers_merge() {
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "x"}, {"name": "b", "image": "y"}
        ]}}}}}});
        let out = smp(
            "batch",
            "CronJob",
            &cj,
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "b", "image": "z"}
            ]}}}}}}),
        )
        .unwrap();
        let cs = &out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            cs,
            &json!([{"name": "a", "image": "x"}, {"name": "b", "image": "z"}])
        );
    }

    #[test]
    fn unknown_kinds_replace_lists_but_merge_metadata() {
        let obj = json!({
            "metadata": {"finalizers": ["a"]},
            "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]}
        });
        let out = smp(
            "example.com",
            "Widget",
            &obj,
            json!({"metadata": {"finalizers": ["b"]}, "spec": {"items": [{"name": "a", "v": 2}]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b", "a"]));
        assert_eq!(out["spec"]["items"], json!([{"name": "a", "v": 2}]));
    }

    fn webhook_configuration() -> Value {
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "hooks"},
            "webhooks": [
                {
                    "name": "a.example.com",
                    "clientConfig": {"service": {"namespace": "default", "name": "a"}},
                    "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"]
                },
                {
                    "name": "b.example.com",
                    "clientConfig": {"url": "https://b.example.com/mutate"},
                    "timeoutSeconds": 10,
                    "matchConditions": [
                        {"name": "not-system", "expression": "true"},
                        {"name": "only-pods", "expression": "true"}
                    ],
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"]
                }
            ]
        })
    }

    #[test]
    fn webhooks_merge_by_name() {
        // What `kubectl apply` sends after changing b's timeout and one of its match
        // conditions, and adding a webhook c before it.
        let patch = json!({
            "$setElementOrder/webhooks": [
                {"name": "a.example.com"},
                {"name": "c.example.com"},
                {"name": "b.example.com"}
            ],
            "webhooks": [
                {
                    "name": "c.example.com",
                    "clientConfig": {"url": "https://c.example.com/mutate"},
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"]
                },
                {
                    "$setElementOrder/matchConditions": [{"name": "not-system"}, {"name": "only-pods"}],
                    "name": "b.example.com",
                    "timeoutSeconds": 5,
                    "matchConditions": [{"name": "only-pods", "expression": "object.kind == 'Pod'"}]
                }
            ]
        });
        let original = webhook_configuration();
        let out = smp(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            &original,
            patch,
        )
        .unwrap();
        let webhooks = &out["webhooks"];
        assert_eq!(
            names(webhooks),
            ["a.example.com", "c.example.com", "b.example.com"]
        );
        assert_eq!(webhooks[0], original["webhooks"][0]);
        let b = &webhooks[2];
        assert_eq!(b["timeoutSeconds"], 5);
        assert_eq!(b["clientConfig"], original["webhooks"][1]["clientConfig"]);
        assert_eq!(
            b["matchConditions"],
            json!([
                {"name": "not-system", "expression": "true"},
                {"name": "only-pods", "expression": "object.kind == 'Pod'"}
            ])
        );

        // Deleting a webhook by name, as `kubectl apply` does when one is dropped.
        let out = smp(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            &original,
            json!({
                "$setElementOrder/webhooks": [{"name": "b.example.com"}],
                "webhooks": [{"$patch": "delete", "name": "a.example.com"}]
            }),
        )
        .unwrap();
        assert_eq!(names(&out["webhooks"]), ["b.example.com"]);
        assert_eq!(out["webhooks"][0], original["webhooks"][1]);
    }

    #[test]
    fn role_binding_subjects_are_replaced() {
        let binding = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "readers", "namespace": "default", "finalizers": ["a"]},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [
                {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"}
            ]
        });
        let subjects = json!([{"kind": "ServiceAccount", "name": "bot", "namespace": "default"}]);
        let out = smp(
            "rbac.authorization.k8s.io",
            "RoleBinding",
            &binding,
            json!({"metadata": {"finalizers": ["b"]}, "subjects": subjects}),
        )
        .unwrap();
        assert_eq!(out["subjects"], subjects);
        assert_eq!(out["roleRef"], binding["roleRef"]);
        assert_eq!(out["metadata"]["finalizers"], json!(["b", "a"]));
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        let d = deployment();
        let err = apply(&d, b"[1, 2]", root("apps", "Deployment")).unwrap_err();
        assert_eq!(
            err,
            PatchError::BadRequest(
                "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
            )
        );
        for body in [&b"{"[..], b"", b"\"x\"", b"null", b"{\"a\":}"] {
            let err = apply(&d, body, root("apps", "Deployment")).unwrap_err();
            assert_eq!(err.http_status(), 400, "{:?}", String::from_utf8_lossy(body));
        }
        for patch in [
            json!({"metadata": {"$setElementOrder": []}}),
            json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}),
        ] {
            assert_eq!(
                smp("apps", "Deployment", &d, patch).unwrap_err().http_status(),
                400
            );
        }
    }

    #[test]
    fn unappliable_patches() {
        let d = deployment();
        // Lists of lists: 422.
        let err = smp(
            "",
            "ConfigMap",
            &json!({"metadata": {"finalizers": ["a"]}}),
            json!({"metadata": {"finalizers": [["b"]]}}),
        )
        .unwrap_err();
        assert_eq!(err.http_status(), 422);
        // Errors kube-apiserver leaves unclassified: 500.
        for patch in [
            pod_spec_patch(json!({"containers": [{"image": "no-name"}]})),
            pod_spec_patch(json!({"containers": [{"name": "app", "$patch": "bogus"}]})),
            pod_spec_patch(json!({"containers": [{"$patch": "merge"}]})),
            pod_spec_patch(json!({"containers": [{"$patch": "delete"}]})),
            pod_spec_patch(json!({"containers": ["not-an-object"]})),
            json!({"metadata": {"$patch": "merge"}}),
        ] {
            let err = smp("apps", "Deployment", &d, patch.clone()).unwrap_err();
            assert_eq!(err.http_status(), 500, "{patch}: {err:?}");
        }
    }

    #[test]
    fn long_lists_stay_fast() {
        let original: Vec<Value> = (0..20_000).map(|i| json!(format!("f{i}"))).collect();
        let patch: Vec<Value> = (10_000..30_000).map(|i| json!(format!("f{i}"))).collect();
        let out = smp(
            "",
            "ConfigMap",
            &json!({"metadata": {"finalizers": original}}),
            json!({"metadata": {"finalizers": patch}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"].as_array().unwrap().len(), 30_000);
    }

    /// JSON values; objects never use `$` keys so that no directive appears.
    fn json_value(lists: bool) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 24, 4, move |inner| {
            let object = prop::collection::btree_map("[a-e]", inner.clone(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()));
            if lists {
                prop_oneof![object, prop::collection::vec(inner, 0..3).prop_map(Value::Array)].boxed()
            } else {
                object.boxed()
            }
        })
    }

    fn object(lists: bool) -> impl Strategy<Value = Value> {
        prop::collection::btree_map(
            prop_oneof![Just("metadata".to_string()), Just("spec".to_string()), "[a-e]"],
            json_value(lists),
            0..5,
        )
        .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    /// Objects built from Pod field names, merge keys and directives, to reach every path.
    fn pod_like() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("spec"),
            Just("template"),
            Just("containers"),
            Just("env"),
            Just("volumes"),
            Just("metadata"),
            Just("finalizers"),
            Just("name"),
            Just("$patch"),
            Just("$retainKeys"),
            Just("$setElementOrder/containers"),
            Just("$setElementOrder/finalizers"),
            Just("$deleteFromPrimitiveList/finalizers"),
            Just("$setElementOrder"),
        ]
        .prop_map(str::to_string);
        let leaf = prop_oneof![
            Just(Value::Null),
            Just(json!("delete")),
            Just(json!("replace")),
            Just(json!("merge")),
            Just(json!("a")),
            Just(json!("name")),
            Just(json!(1)),
            Just(json!(1.5)),
        ];
        leaf.prop_recursive(6, 48, 4, move |inner| {
            prop_oneof![
                prop::collection::btree_map(key.clone(), inner.clone(), 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                prop::collection::vec(inner, 0..4).prop_map(Value::Array),
            ]
        })
        .prop_map(|v| if v.is_object() { v } else { json!({"spec": v}) })
    }

    proptest! {
        #[test]
        fn without_lists_it_is_a_merge_patch(original in object(true), patch in object(false)) {
            let body = patch.to_string();
            let merged = super::super::merge_patch::apply(&original, body.as_bytes());
            for (group, kind) in [("", "Pod"), ("apps", "Deployment"), ("x", "Unknown")] {
                let strategic = apply(&original, body.as_bytes(), root(group, kind));
                prop_assert_eq!(&strategic, &merged);
            }
        }

        #[test]
        fn arbitrary_patches_never_panic(original in pod_like(), patch in pod_like()) {
            for (group, kind) in [("", "Pod"), ("apps", "Deployment"), ("", "ConfigMap")] {
                let _ = apply(&original, patch.to_string().as_bytes(), root(group, kind));
            }
        }
    }
}
