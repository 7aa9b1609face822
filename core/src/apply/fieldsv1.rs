//! The `FieldsV1` wire form of a field set, as stored in `metadata.managedFields[].fieldsV1`.
//!
//! Each object key is a serialized path element (`f:<name>`, `k:<json object>`,
//! `v:<json value>`, `i:<index>`); `"."` marks that the node itself is a member. A leaf
//! member is an empty object.

use serde_json::{Map, Value};

use super::fieldpath::{PathElement, Set};
use super::MAX_DEPTH;

/// Encodes a set in the exact key order kube-apiserver writes: elements sorted, and `"."`
/// last inside a node that is both a member and has children.
pub fn encode(set: &Set) -> Value {
    Value::Object(encode_node(set))
}

fn encode_node(set: &Set) -> Map<String, Value> {
    let mut out = Map::new();
    let mut members = set.members().peekable();
    let mut children = set.children().peekable();
    loop {
        // Merge the two sorted streams; an element in both is written once, as a child
        // carrying the "." marker.
        let take_member = match (members.peek(), children.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(m), Some((c, _))) => *m < *c,
        };
        if take_member {
            if let Some(pe) = members.next() {
                out.insert(serialize_element(pe), Value::Object(Map::new()));
            }
            continue;
        }
        if let Some((pe, child)) = children.next() {
            let mut inner = encode_node(child);
            if set.has_member(pe) {
                members.next();
                inner.insert(".".to_string(), Value::Object(Map::new()));
            }
            out.insert(serialize_element(pe), Value::Object(inner));
        }
    }
    out
}

/// The key string of one path element.
pub fn serialize_element(pe: &PathElement) -> String {
    match pe {
        PathElement::Field(name) => format!("f:{name}"),
        PathElement::Key(fields) => {
            let mut s = String::from("k:{");
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                write_go_json_string(&mut s, name);
                s.push(':');
                write_go_json(&mut s, value);
            }
            s.push('}');
            s
        }
        PathElement::Value(value) => {
            let mut s = String::from("v:");
            write_go_json(&mut s, value);
            s
        }
        PathElement::Index(i) => format!("i:{i}"),
    }
}

/// Why a `fieldsV1` document could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error decoding set: {}", self.0)
    }
}

/// Decodes a `fieldsV1` value. Unknown element kinds are dropped, as upstream does; any
/// other malformed key or a non-object node is an error.
pub fn decode(value: &Value) -> Result<Set, DecodeError> {
    match value {
        Value::Object(map) => Ok(decode_node(map, 0)?.0),
        Value::Null => Ok(Set::new()),
        _ => Err(DecodeError("expected a JSON object".to_string())),
    }
}

/// Returns the node's children and whether the node is itself a member.
fn decode_node(map: &Map<String, Value>, depth: usize) -> Result<(Set, bool), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("fields nested too deeply".to_string()));
    }
    let mut set = Set::new();
    let mut is_member = false;
    for (key, child) in map {
        if key == "." {
            is_member = true;
            continue;
        }
        let pe = match deserialize_element(key)? {
            Some(pe) => pe,
            None => continue,
        };
        let (grandchildren, child_member) = match child {
            Value::Object(inner) => decode_node(inner, depth + 1)?,
            Value::Null => (Set::new(), true),
            _ => return Err(DecodeError(format!("value of {key:?} must be a JSON object"))),
        };
        if child_member {
            set.insert_member(pe.clone());
        }
        set.insert_child(pe, grandchildren);
    }
    // A node with no children at all is a leaf member.
    if set.is_empty() {
        is_member = true;
    }
    Ok((set, is_member))
}

/// Parses one key; `Ok(None)` for element kinds this version does not know.
pub fn deserialize_element(s: &str) -> Result<Option<PathElement>, DecodeError> {
    let (kind, sep) = match s.as_bytes() {
        [kind, sep, ..] => (*kind, *sep),
        _ => return Err(DecodeError(format!("key must be 2 characters long: {s}"))),
    };
    if sep != b':' {
        return Err(DecodeError(format!("missing colon: {s}")));
    }
    let rest = s.get(2..).unwrap_or("");
    match kind {
        b'f' => Ok(Some(PathElement::Field(rest.to_string()))),
        b'v' => Ok(Some(PathElement::Value(first_json_value(rest)?))),
        b'k' => match first_json_value(rest)? {
            Value::Object(map) => {
                let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Some(PathElement::Key(fields)))
            }
            _ => Err(DecodeError(format!("key element is not a JSON object: {s}"))),
        },
        b'i' => rest
            .parse::<i64>()
            .map(|i| Some(PathElement::Index(i)))
            .map_err(|_| DecodeError(format!("invalid index: {s}"))),
        _ => Ok(None),
    }
}

/// Reads the first JSON value of `s`; trailing text is ignored as upstream's reader does.
fn first_json_value(s: &str) -> Result<Value, DecodeError> {
    let mut stream = serde_json::Deserializer::from_str(s).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(DecodeError(e.to_string())),
        None => Err(DecodeError("missing JSON value".to_string())),
    }
}

/// Writes JSON the way Go's encoder does: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029
/// escaped.
pub(crate) fn write_go_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_go_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json_string(out, k);
                out.push(':');
                write_go_json(out, item);
            }
            out.push('}');
        }
    }
}

pub(crate) fn write_go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: Value) {
        let set = decode(&v).expect("decodes");
        assert_eq!(
            serde_json::to_string(&encode(&set)).unwrap_or_default(),
            serde_json::to_string(&v).unwrap_or_default()
        );
    }

    #[test]
    fn round_trips_upstream_shapes() {
        // The "." marker comes after the node's children, as upstream writes it.
        roundtrip(json!({"f:data": {"f:k": {}, ".": {}}}));
        roundtrip(json!({
            "f:metadata": {"f:labels": {"f:app": {}, ".": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"nginx\"}": {
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                                "f:containerPort": {}, "f:protocol": {}, ".": {}
                            }
                        },
                        ".": {}
                    }
                }}}
            }
        }));
        roundtrip(json!({"f:metadata": {"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}}}));
        roundtrip(json!({"f:list": {"i:0": {}, "i:1": {"f:x": {}}}}));
    }

    #[test]
    fn sorts_out_of_order_input() {
        let set = decode(&json!({"f:b": {}, "f:a": {}, "k:{\"name\":\"x\"}": {}})).unwrap();
        let keys: Vec<String> = match encode(&set) {
            Value::Object(m) => m.keys().cloned().collect(),
            _ => vec![],
        };
        assert_eq!(keys, vec!["f:a", "f:b", "k:{\"name\":\"x\"}"]);
    }

    #[test]
    fn key_fields_are_sorted_and_go_escaped() {
        let pe = deserialize_element("k:{\"protocol\":\"TCP\",\"containerPort\":80}")
            .unwrap()
            .unwrap();
        assert_eq!(
            serialize_element(&pe),
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"
        );
        let pe = PathElement::Value(json!("a<b"));
        assert_eq!(serialize_element(&pe), "v:\"a\\u003cb\"");
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            json!({"x": {}}),
            json!({"fx": {}}),
            json!({"k:[1]": {}}),
            json!({"k:{": {}}),
            json!({"v:": {}}),
            json!({"i:x": {}}),
            json!({"f:a": 1}),
            json!({"f:a": []}),
            json!([]),
            json!("f:a"),
        ] {
            assert!(decode(&bad).is_err(), "{bad}");
        }
        // Unknown element kinds are dropped.
        assert!(decode(&json!({"z:whatever": {}})).unwrap().is_empty());
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let mut v = json!({});
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!({ "f:a": v });
        }
        assert!(decode(&v).is_err());
    }
}
