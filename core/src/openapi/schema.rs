//! The embedded schema definitions and the walks over them.
//!
//! Definitions are stored as OpenAPI v3 schemas keyed by Kubernetes
//! definition name (`io.k8s.api.core.v1.Pod`). A field that refers to another
//! definition and carries its own description is written upstream-style as
//! `{"allOf": [{"$ref": ...}], "description": ...}`; a bare reference is
//! `{"$ref": ...}`.

use std::collections::{BTreeSet, VecDeque};

use serde_json::{Map, Value};

/// Prefix of a reference in an OpenAPI v3 document.
pub const V3_REF_PREFIX: &str = "#/components/schemas/";
/// Prefix of a reference in a Swagger 2.0 document.
pub const V2_REF_PREFIX: &str = "#/definitions/";

/// The parsed definitions, keyed by definition name.
#[derive(Debug, Default, Clone)]
pub struct Definitions {
    defs: Map<String, Value>,
}

impl Definitions {
    /// Parses the definitions file; anything but a JSON object yields none.
    pub fn parse(raw: &[u8]) -> Definitions {
        match serde_json::from_slice(raw) {
            Ok(Value::Object(defs)) => Definitions { defs },
            _ => Definitions::default(),
        }
    }

    /// Adds (or replaces) the definition `name`.
    pub fn insert(&mut self, name: String, schema: Value) {
        self.defs.insert(name, schema);
    }

    /// One definition by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.defs.get(name)
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// True when nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// All definitions in name order of the data file.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.defs.iter()
    }

    /// The definition names reachable from `roots` (roots included), sorted.
    /// Unknown names are skipped.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        for r in roots {
            if self.defs.contains_key(r) && seen.insert(r.to_owned()) {
                queue.push_back(r.to_owned());
            }
        }
        while let Some(name) = queue.pop_front() {
            let Some(schema) = self.defs.get(&name) else {
                continue;
            };
            let mut refs = Vec::new();
            collect_refs(schema, &mut refs);
            for r in refs {
                if self.defs.contains_key(&r) && seen.insert(r.clone()) {
                    queue.push_back(r);
                }
            }
        }
        seen
    }

    /// The `x-kubernetes-group-version-kind` entries of a definition.
    pub fn gvks(&self, name: &str) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        let list = self
            .defs
            .get(name)
            .and_then(|d| d.get("x-kubernetes-group-version-kind"))
            .and_then(Value::as_array);
        for g in list.into_iter().flatten() {
            let field = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            out.push((field("group"), field("version"), field("kind")));
        }
        out
    }
}

/// The definition a schema points at, through `$ref` or a one-element
/// `allOf`.
pub fn ref_target(schema: &Value) -> Option<&str> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.strip_prefix(V3_REF_PREFIX);
    }
    match schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        Some([only]) => only
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(V3_REF_PREFIX)),
        _ => None,
    }
}

/// Appends every definition name referenced anywhere inside `schema`.
fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    // The data file nests only a few levels; an explicit stack keeps this
    // iterative regardless.
    let mut stack = vec![schema];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if k == "$ref" {
                        if let Some(name) = child.as_str().and_then(|r| r.strip_prefix(V3_REF_PREFIX)) {
                            out.push(name.to_owned());
                        }
                    } else if let (true, Value::Object(props)) = (k == "properties", child) {
                        // Property names are data, not keywords: JSONSchemaProps has
                        // properties named `$ref` and `x-kubernetes-validations`.
                        stack.extend(props.values());
                    } else if !k.starts_with("x-kubernetes-") {
                        stack.push(child);
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
}

/// Rewrites a stored (v3) schema into Swagger 2.0 form: references point at
/// `#/definitions/` and a described reference becomes `$ref` with sibling
/// keys, as the upstream v2 document writes it.
pub fn to_v2(schema: &Value) -> Value {
    to_v2_depth(schema, 0)
}

fn to_v2_depth(schema: &Value, depth: usize) -> Value {
    // Stored schemas are a handful of levels deep; the bound only guards
    // against a malformed data file.
    if depth > 64 {
        return Value::Object(Map::new());
    }
    match schema {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if let (true, Value::Object(props)) = (k == "properties", v) {
                    // Property names are data, not keywords (see `collect_refs`).
                    let props = props
                        .iter()
                        .map(|(name, p)| (name.clone(), to_v2_depth(p, depth + 1)))
                        .collect();
                    out.insert(k.clone(), Value::Object(props));
                } else if k == "$ref" {
                    out.insert(k.clone(), Value::String(v2_ref(v)));
                } else if k == "allOf" && ref_target(schema).is_some() {
                    if let Some(r) = v.get(0).and_then(|o| o.get("$ref")) {
                        out.insert("$ref".to_owned(), Value::String(v2_ref(r)));
                    }
                } else if k.starts_with("x-kubernetes-") {
                    out.insert(k.clone(), v.clone());
                } else {
                    out.insert(k.clone(), to_v2_depth(v, depth + 1));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| to_v2_depth(v, depth + 1)).collect()),
        other => other.clone(),
    }
}

fn v2_ref(r: &Value) -> String {
    let r = r.as_str().unwrap_or("");
    match r.strip_prefix(V3_REF_PREFIX) {
        Some(name) => format!("{V2_REF_PREFIX}{name}"),
        None => r.to_owned(),
    }
}

/// A v3 reference to a definition.
pub fn v3_ref(name: &str) -> Value {
    let mut m = Map::new();
    m.insert("$ref".to_owned(), Value::String(format!("{V3_REF_PREFIX}{name}")));
    Value::Object(m)
}

impl crate::apply::Schemas for Definitions {
    fn definition(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn closure_follows_refs_and_all_of() {
        let defs = Definitions::parse(
            json!({
                "a": {"properties": {"b": {"allOf": [{"$ref": "#/components/schemas/b"}], "description": "x"}}},
                "b": {"properties": {"c": {"type": "array", "items": {"$ref": "#/components/schemas/c"}}}},
                "c": {"type": "string"},
                "d": {"type": "string"}
            })
            .to_string()
            .as_bytes(),
        );
        let got: Vec<String> = defs.closure(["a"]).into_iter().collect();
        assert_eq!(got, ["a", "b", "c"]);
        assert!(defs.closure(["missing"]).is_empty());
    }

    #[test]
    fn v2_form_unwraps_all_of() {
        let s = json!({"properties": {"m": {"allOf": [{"$ref": "#/components/schemas/x.Y"}], "description": "d"}}});
        assert_eq!(
            to_v2(&s),
            json!({"properties": {"m": {"$ref": "#/definitions/x.Y", "description": "d"}}})
        );
    }

    #[test]
    fn garbage_data_gives_empty_definitions() {
        assert!(Definitions::parse(b"[1,2]").is_empty());
        assert!(Definitions::parse(b"\xff").is_empty());
    }
}
