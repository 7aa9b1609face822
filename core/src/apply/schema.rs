//! How an OpenAPI v3 schema node shapes field tracking: scalar, struct, map, or list
//! (atomic, set, or keyed by fields), with untyped parts "deduced" from the value.

use serde_json::{Map, Value};

use super::fieldpath::PathElement;
use super::Schemas;

/// Most `$ref` hops followed when resolving one node (definitions never chain deeper).
const MAX_REF_HOPS: usize = 8;

/// Defaults of list-map key fields that kube-apiserver's own OpenAPI declares
/// (`+default="TCP"`) but the embedded schema document omits.
const KEY_DEFAULTS: &[(&str, &str, &str)] = &[
    ("io.k8s.api.core.v1.ContainerPort", "protocol", "TCP"),
    ("io.k8s.api.core.v1.ServicePort", "protocol", "TCP"),
];

/// A reference to a schema node; `None` means untyped (deduced from the value).
#[derive(Clone, Copy, Debug)]
pub struct TypeRef<'s> {
    node: Option<&'s Value>,
}

impl<'s> TypeRef<'s> {
    /// An untyped node.
    pub const DEDUCED: TypeRef<'static> = TypeRef { node: None };

    /// The root type of a definition (deduced if the definition is unknown).
    pub fn definition(schemas: &'s dyn Schemas, name: &str) -> TypeRef<'s> {
        TypeRef {
            node: schemas.definition(name),
        }
    }
}

/// How a list relates its items.
#[derive(Clone, Copy, Debug)]
pub enum ListKind<'s> {
    /// Replaced as a whole.
    Atomic,
    /// Items are scalars identified by value.
    Set,
    /// Items are objects identified by these key fields.
    Map(&'s [Value]),
}

/// The resolved shape of a node, given the value found there.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'s> {
    /// A leaf.
    Scalar,
    /// An object: declared fields (`props`) and/or free keys of type `extra`.
    Object {
        props: Option<&'s Map<String, Value>>,
        extra: TypeRef<'s>,
        atomic: bool,
    },
    /// A list of items of type `elem`.
    List { elem: TypeRef<'s>, kind: ListKind<'s> },
}

impl<'s> Shape<'s> {
    /// Whether the node is replaced as a whole.
    pub fn is_atomic(&self) -> bool {
        match self {
            Shape::Scalar => true,
            Shape::Object { atomic, .. } => *atomic,
            Shape::List { kind, .. } => matches!(kind, ListKind::Atomic),
        }
    }

    /// The type of the object field or map key `name`.
    pub fn field_type(&self, name: &str) -> TypeRef<'s> {
        match self {
            Shape::Object { props, extra, .. } => match props.and_then(|p| p.get(name)) {
                Some(node) => TypeRef { node: Some(node) },
                None => *extra,
            },
            _ => TypeRef::DEDUCED,
        }
    }

    /// Whether `name` is a declared struct field (rather than a free map key).
    pub fn declares(&self, name: &str) -> bool {
        match self {
            Shape::Object { props, .. } => props.is_some_and(|p| p.contains_key(name)),
            _ => false,
        }
    }
}

/// Resolves the shape of `ty` for `value`; a value that does not fit the schema (a string
/// where an object is declared, say) is treated as a leaf.
pub fn shape<'s>(schemas: &'s dyn Schemas, ty: TypeRef<'s>, value: &Value) -> Shape<'s> {
    let resolved = resolve(schemas, ty);
    match (resolved, value) {
        (Shape::Object { .. }, Value::Object(_)) => resolved,
        (Shape::List { .. }, Value::Array(_)) => resolved,
        (Shape::Scalar, Value::Object(_)) if is_untyped(schemas, ty) => deduced_map(),
        (Shape::Scalar, Value::Array(_)) if is_untyped(schemas, ty) => Shape::List {
            elem: TypeRef::DEDUCED,
            kind: ListKind::Atomic,
        },
        _ => Shape::Scalar,
    }
}

fn deduced_map<'s>() -> Shape<'s> {
    Shape::Object {
        props: None,
        extra: TypeRef::DEDUCED,
        atomic: false,
    }
}

/// Follows references, collecting the extensions seen on the way (outermost wins).
struct Resolved<'s> {
    node: Option<&'s Value>,
    definition: Option<&'s str>,
    list_type: Option<&'s str>,
    map_type: Option<&'s str>,
    keys: Option<&'s [Value]>,
}

fn follow<'s>(schemas: &'s dyn Schemas, ty: TypeRef<'s>) -> Resolved<'s> {
    let mut r = Resolved {
        node: ty.node,
        definition: None,
        list_type: None,
        map_type: None,
        keys: None,
    };
    for _ in 0..MAX_REF_HOPS {
        let Some(node) = r.node else { break };
        if r.list_type.is_none() {
            r.list_type = node.get("x-kubernetes-list-type").and_then(Value::as_str);
        }
        if r.map_type.is_none() {
            r.map_type = node.get("x-kubernetes-map-type").and_then(Value::as_str);
        }
        if r.keys.is_none() {
            r.keys = node
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(Vec::as_slice);
        }
        let reference = node.get("$ref").and_then(Value::as_str).or_else(|| {
            match node.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                Some([only]) => only.get("$ref").and_then(Value::as_str),
                _ => None,
            }
        });
        match reference {
            Some(target) => {
                let name = target.rsplit('/').next().unwrap_or(target);
                r.definition = Some(name);
                r.node = schemas.definition(name);
            }
            None => break,
        }
    }
    r
}

fn is_untyped(schemas: &dyn Schemas, ty: TypeRef<'_>) -> bool {
    let r = follow(schemas, ty);
    let Some(node) = r.node else { return true };
    if node.get("x-kubernetes-int-or-string").is_some() {
        return false;
    }
    match node.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => node.get("properties").is_none() && node.get("additionalProperties").is_none(),
        Some(_) => false,
    }
}

fn resolve<'s>(schemas: &'s dyn Schemas, ty: TypeRef<'s>) -> Shape<'s> {
    let r = follow(schemas, ty);
    let Some(node) = r.node else {
        return Shape::Scalar;
    };
    if node.get("x-kubernetes-int-or-string").is_some() {
        return Shape::Scalar;
    }
    let props = node.get("properties").and_then(Value::as_object);
    let additional = node.get("additionalProperties").filter(|a| a.is_object());
    let typ = node.get("type").and_then(Value::as_str);
    if props.is_some() || additional.is_some() {
        return Shape::Object {
            props,
            extra: match additional {
                Some(a) => TypeRef { node: Some(a) },
                None => TypeRef::DEDUCED,
            },
            atomic: r.map_type == Some("atomic"),
        };
    }
    if typ == Some("array") {
        let elem = TypeRef {
            node: node.get("items"),
        };
        let kind = match (r.list_type, r.keys) {
            (Some("set"), _) => ListKind::Set,
            (Some("map"), Some(keys)) if !keys.is_empty() => ListKind::Map(keys),
            _ => ListKind::Atomic,
        };
        return Shape::List { elem, kind };
    }
    Shape::Scalar
}

/// The path element identifying a list item, or why it has none.
pub fn item_element(
    schemas: &dyn Schemas,
    elem: TypeRef<'_>,
    kind: ListKind<'_>,
    item: &Value,
) -> Result<PathElement, String> {
    match kind {
        ListKind::Atomic => Err("invalid indexing of non-associative list".to_string()),
        ListKind::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".to_string())
            }
            Value::Array(_) => Err("not supported: associative list with lists as elements".to_string()),
            Value::Null => {
                Err("associative list without keys has an element that's an explicit null".to_string())
            }
            v => Ok(PathElement::Value(v.clone())),
        },
        ListKind::Map(keys) => {
            let map = match item {
                Value::Null => return Err("associative list with keys may not have a null element".into()),
                Value::Object(map) => map,
                _ => return Err("associative list with keys may not have non-map elements".to_string()),
            };
            let mut fields = Vec::with_capacity(keys.len());
            for key in keys.iter().filter_map(Value::as_str) {
                match map.get(key) {
                    Some(v) => fields.push((key.to_string(), v.clone())),
                    None => match key_default(schemas, elem, key) {
                        Some(d) => fields.push((key.to_string(), d)),
                        None => {
                            return Err(format!(
                                "associative list with keys has an element that omits key field \
                                 {key:?} (and doesn't have default value)"
                            ))
                        }
                    },
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(PathElement::Key(fields))
        }
    }
}

/// Where a list item sits among its siblings, for walks that pair up items.
pub struct IndexedItems<'v> {
    /// Items in list order, with their path element (`None` when it has none, or repeats
    /// an earlier item's, in a tolerated object).
    pub items: Vec<(Option<PathElement>, &'v Value)>,
    /// Position in `items` of each keyed item.
    pub by_key: std::collections::BTreeMap<PathElement, usize>,
}

/// Pairs each item of an associative list with its path element. In `strict` mode (apply
/// configurations) a missing key or a repeated item is an error; otherwise such items are
/// kept but not tracked, since stored objects were validated on their own terms.
pub fn index_items<'v>(
    schemas: &dyn Schemas,
    elem: TypeRef<'_>,
    kind: ListKind<'_>,
    items: &'v [Value],
    strict: bool,
    path: &[PathElement],
) -> Result<IndexedItems<'v>, String> {
    let mut out = IndexedItems {
        items: Vec::with_capacity(items.len()),
        by_key: std::collections::BTreeMap::new(),
    };
    for (i, item) in items.iter().enumerate() {
        let pe = match item_element(schemas, elem, kind, item) {
            Ok(pe) => pe,
            Err(e) if strict => {
                return Err(format!(
                    "{}: element {i}: {e}",
                    super::fieldpath::Path(path.to_vec())
                ))
            }
            Err(_) => {
                out.items.push((None, item));
                continue;
            }
        };
        if out.by_key.contains_key(&pe) {
            if strict {
                return Err(format!(
                    "{}: duplicate entries for key {pe}",
                    super::fieldpath::Path(path.to_vec())
                ));
            }
            out.items.push((None, item));
            continue;
        }
        out.by_key.insert(pe.clone(), out.items.len());
        out.items.push((Some(pe), item));
    }
    Ok(out)
}

/// Deep equality with numbers compared by value (`1` equals `1.0`), as upstream compares.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    super::fieldpath::compare_values(a, b) == std::cmp::Ordering::Equal
}

/// Error for input nested deeper than [`super::MAX_DEPTH`].
pub fn check_depth(depth: usize) -> Result<(), String> {
    if depth > super::MAX_DEPTH {
        Err("object is nested too deeply".to_string())
    } else {
        Ok(())
    }
}

fn key_default(schemas: &dyn Schemas, elem: TypeRef<'_>, key: &str) -> Option<Value> {
    let r = follow(schemas, elem);
    let declared = r
        .node
        .and_then(|n| n.get("properties"))
        .and_then(|p| p.get(key))
        .and_then(|k| k.get("default"))
        .cloned();
    declared.or_else(|| {
        let def = r.definition?;
        KEY_DEFAULTS
            .iter()
            .find(|(d, k, _)| *d == def && *k == key)
            .map(|(_, _, v)| Value::String((*v).to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::schemas;
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_kube_shapes() {
        let s = schemas();
        let dep = TypeRef::definition(&s, "io.k8s.api.apps.v1.Deployment");
        let obj = json!({"spec": {}});
        let root = shape(&s, dep, &obj);
        assert!(root.declares("spec"));
        let meta = shape(&s, root.field_type("metadata"), &json!({}));
        let fin = shape(&s, meta.field_type("finalizers"), &json!([]));
        assert!(matches!(
            fin,
            Shape::List {
                kind: ListKind::Set,
                ..
            }
        ));
        let labels = shape(&s, meta.field_type("labels"), &json!({}));
        assert!(!labels.is_atomic() && !labels.declares("app"));
        let spec = shape(&s, root.field_type("spec"), &json!({}));
        let selector = shape(&s, spec.field_type("selector"), &json!({}));
        assert!(selector.is_atomic());
        // Untyped parts are deduced from the value.
        let cm = TypeRef::definition(&s, "io.k8s.api.core.v1.ConfigMap");
        let x = shape(&s, cm, &json!({}));
        assert!(matches!(x, Shape::Object { .. }));
        let raw = TypeRef::definition(&s, "io.k8s.apimachinery.pkg.runtime.RawExtension");
        assert!(!shape(&s, raw, &json!({"a": 1})).is_atomic());
        assert!(shape(&s, raw, &json!([1])).is_atomic());
        let ios = TypeRef::definition(&s, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
        assert!(matches!(shape(&s, ios, &json!(1)), Shape::Scalar));
    }

    #[test]
    fn port_protocol_key_defaults_to_tcp() {
        let s = schemas();
        let c = TypeRef::definition(&s, "io.k8s.api.core.v1.Container");
        let cs = shape(&s, c, &json!({}));
        let Shape::List { elem, kind } = shape(&s, cs.field_type("ports"), &json!([])) else {
            panic!("ports is a list");
        };
        let pe = item_element(&s, elem, kind, &json!({"containerPort": 80})).unwrap();
        assert_eq!(
            pe,
            PathElement::Key(vec![
                ("containerPort".into(), json!(80)),
                ("protocol".into(), json!("TCP"))
            ])
        );
        let err = item_element(&s, elem, kind, &json!({"protocol": "UDP"})).unwrap_err();
        assert_eq!(
            err,
            "associative list with keys has an element that omits key field \"containerPort\" \
             (and doesn't have default value)"
        );
    }
}
