//! Protobuf encoding of the Swagger 2.0 document as `openapi.v2.Document`
//! (gnostic's `OpenAPIv2.proto`), the only form kubectl accepts from
//! `/openapi/v2`.
//!
//! The encoder walks the JSON document and writes each message by hand:
//! varint tags, length-delimited strings and sub-messages. Vendor
//! extensions (`x-...` keys) become `NamedAny` entries whose `Any.yaml`
//! holds the value as JSON text, which is valid YAML. Proto3 defaults
//! (empty strings, `false`) are omitted.

use serde_json::{Map, Value};

/// Encodes a Swagger 2.0 JSON document.
pub fn encode_document(doc: &Value) -> Vec<u8> {
    let mut w = Writer::default();
    let Some(m) = doc.as_object() else {
        return w.buf;
    };
    w.string(1, str_of(m, "swagger"));
    if let Some(info) = m.get("info").and_then(Value::as_object) {
        w.message(2, |w| {
            w.string(1, str_of(info, "title"));
            w.string(2, str_of(info, "version"));
            w.string(3, str_of(info, "description"));
            w.extensions(7, info);
        });
    }
    w.string(3, str_of(m, "host"));
    w.string(4, str_of(m, "basePath"));
    w.strings(5, m.get("schemes"));
    w.strings(6, m.get("consumes"));
    w.strings(7, m.get("produces"));
    if let Some(paths) = m.get("paths").and_then(Value::as_object) {
        w.message(8, |w| {
            w.extensions(1, paths);
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                if path.starts_with("x-") {
                    continue;
                }
                w.message(2, |w| {
                    w.string(1, path);
                    w.message(2, |w| path_item(w, item));
                });
            }
        });
    }
    if let Some(defs) = m.get("definitions").and_then(Value::as_object) {
        w.message(9, |w| {
            for (name, schema) in defs {
                w.message(1, |w| {
                    w.string(1, name);
                    w.message(2, |w| encode_schema(w, schema, 0));
                });
            }
        });
    }
    if let Some(reqs) = m.get("security").and_then(Value::as_array) {
        for req in reqs.iter().filter_map(Value::as_object) {
            w.message(12, |w| {
                for (name, scopes) in req {
                    w.message(1, |w| {
                        w.string(1, name);
                        w.message(2, |w| w.strings(1, Some(scopes)));
                    });
                }
            });
        }
    }
    if let Some(sec) = m.get("securityDefinitions").and_then(Value::as_object) {
        w.message(13, |w| {
            for (name, def) in sec {
                let Some(def) = def.as_object() else { continue };
                w.message(1, |w| {
                    w.string(1, name);
                    // Only apiKey schemes are served (field 2 of the oneof).
                    w.message(2, |w| {
                        w.message(2, |w| {
                            w.string(1, str_of(def, "type"));
                            w.string(2, str_of(def, "name"));
                            w.string(3, str_of(def, "in"));
                            w.string(4, str_of(def, "description"));
                            w.extensions(5, def);
                        })
                    });
                });
            }
        });
    }
    w.extensions(16, m);
    w.buf
}

fn path_item(w: &mut Writer, item: &Map<String, Value>) {
    w.string(1, str_of(item, "$ref"));
    for (field, method) in [
        (2, "get"),
        (3, "put"),
        (4, "post"),
        (5, "delete"),
        (6, "options"),
        (7, "head"),
        (8, "patch"),
    ] {
        if let Some(op) = item.get(method).and_then(Value::as_object) {
            w.message(field, |w| operation(w, op));
        }
    }
    for p in item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(9, |w| parameters_item(w, p));
    }
    w.extensions(10, item);
}

fn operation(w: &mut Writer, op: &Map<String, Value>) {
    w.strings(1, op.get("tags"));
    w.string(2, str_of(op, "summary"));
    w.string(3, str_of(op, "description"));
    w.string(5, str_of(op, "operationId"));
    w.strings(6, op.get("produces"));
    w.strings(7, op.get("consumes"));
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(8, |w| parameters_item(w, p));
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        w.message(9, |w| {
            for (code, resp) in responses {
                let Some(resp) = resp.as_object() else {
                    continue;
                };
                if code.starts_with("x-") {
                    continue;
                }
                w.message(1, |w| {
                    w.string(1, code);
                    // ResponseValue.response
                    w.message(2, |w| {
                        w.message(1, |w| {
                            w.string(1, str_of(resp, "description"));
                            if let Some(schema) = resp.get("schema") {
                                // SchemaItem.schema
                                w.message(2, |w| w.message(1, |w| encode_schema(w, schema, 0)));
                            }
                            w.extensions(5, resp);
                        })
                    });
                });
            }
            w.extensions(2, responses);
        });
    }
    w.strings(10, op.get("schemes"));
    w.bool(11, op.get("deprecated").and_then(Value::as_bool).unwrap_or(false));
    w.extensions(13, op);
}

/// `ParametersItem { Parameter parameter = 1; }`.
fn parameters_item(w: &mut Writer, p: &Value) {
    let Some(p) = p.as_object() else { return };
    w.message(1, |w| {
        let location = str_of(p, "in");
        if location == "body" {
            w.message(1, |w| {
                w.string(1, str_of(p, "description"));
                w.string(2, str_of(p, "name"));
                w.string(3, location);
                w.bool(4, bool_of(p, "required"));
                if let Some(schema) = p.get("schema") {
                    w.message(5, |w| encode_schema(w, schema, 0));
                }
                w.extensions(6, p);
            });
            return;
        }
        // NonBodyParameter: query = 3, path = 4. The two sub-schemas share
        // their first fields; after `name` the path form has no
        // allow_empty_value, so later numbers shift by one.
        let (which, shift) = match location {
            "path" => (4, 1),
            "header" => (1, 1),
            _ => (3, 0),
        };
        w.message(2, |w| {
            w.message(which, |w| {
                w.bool(1, bool_of(p, "required"));
                w.string(2, location);
                w.string(3, str_of(p, "description"));
                w.string(4, str_of(p, "name"));
                w.string(6 - shift, str_of(p, "type"));
                w.string(7 - shift, str_of(p, "format"));
                w.bool(20 - shift, bool_of(p, "uniqueItems"));
                w.extensions(23 - shift, p);
            })
        });
    });
}

/// Schema nesting in the stored definitions is shallow; this bound only
/// keeps a malformed document from recursing without limit.
const MAX_SCHEMA_DEPTH: usize = 64;

fn encode_schema(w: &mut Writer, schema: &Value, depth: usize) {
    let Some(s) = schema.as_object() else { return };
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    w.string(1, str_of(s, "$ref"));
    w.string(2, str_of(s, "format"));
    w.string(3, str_of(s, "title"));
    w.string(4, str_of(s, "description"));
    if let Some(d) = s.get("default") {
        w.message(5, |w| w.any(d));
    }
    if let Some(n) = s.get("maxItems").and_then(Value::as_i64) {
        w.int(14, n);
    }
    if let Some(n) = s.get("minItems").and_then(Value::as_i64) {
        w.int(15, n);
    }
    w.bool(16, bool_of(s, "uniqueItems"));
    w.strings(19, s.get("required"));
    for e in s.get("enum").and_then(Value::as_array).into_iter().flatten() {
        w.message(20, |w| w.any(e));
    }
    match s.get("additionalProperties") {
        Some(Value::Bool(b)) => w.message(21, |w| w.bool_always(2, *b)),
        Some(ap @ Value::Object(_)) => w.message(21, |w| w.message(1, |w| encode_schema(w, ap, depth + 1))),
        _ => {}
    }
    if let Some(t) = s.get("type") {
        let types: Vec<Value> = match t {
            Value::String(_) => vec![t.clone()],
            Value::Array(a) => a.clone(),
            _ => Vec::new(),
        };
        w.message(22, |w| w.strings(1, Some(&Value::Array(types))));
    }
    match s.get("items") {
        Some(items @ Value::Object(_)) => {
            w.message(23, |w| w.message(1, |w| encode_schema(w, items, depth + 1)))
        }
        Some(Value::Array(list)) => w.message(23, |w| {
            for items in list {
                w.message(1, |w| encode_schema(w, items, depth + 1));
            }
        }),
        _ => {}
    }
    for sub in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        w.message(24, |w| encode_schema(w, sub, depth + 1));
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        w.message(25, |w| {
            for (name, p) in props {
                w.message(1, |w| {
                    w.string(1, name);
                    w.message(2, |w| encode_schema(w, p, depth + 1));
                });
            }
        });
    }
    w.bool(27, bool_of(s, "readOnly"));
    w.extensions(31, s);
}

fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> &'a str {
    m.get(key).and_then(Value::as_str).unwrap_or("")
}

fn bool_of(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A protobuf writer over one growing buffer. Sub-messages are written into
/// a fresh writer and copied in with their length prefix.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes(field, s.as_bytes());
        }
    }

    /// Every string of a JSON array (non-strings are skipped).
    fn strings(&mut self, field: u32, v: Option<&Value>) {
        for s in v
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            self.bytes(field, s.as_bytes());
        }
    }

    fn bool(&mut self, field: u32, b: bool) {
        if b {
            self.bool_always(field, b);
        }
    }

    fn bool_always(&mut self, field: u32, b: bool) {
        self.key(field, 0);
        self.varint(u64::from(b));
    }

    fn int(&mut self, field: u32, n: i64) {
        if n != 0 {
            self.key(field, 0);
            // int64 is encoded as its two's-complement bit pattern.
            self.varint(n as u64);
        }
    }

    fn message(&mut self, field: u32, f: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        f(&mut inner);
        self.bytes(field, &inner.buf);
    }

    /// `Any { string yaml = 2; }` holding `v` as JSON text.
    fn any(&mut self, v: &Value) {
        self.string(2, &v.to_string());
    }

    /// Every `x-` key of `m` as a repeated `NamedAny` at `field`.
    fn extensions(&mut self, field: u32, m: &Map<String, Value>) {
        for (k, v) in m {
            if k.starts_with("x-") {
                self.message(field, |w| {
                    w.string(1, k);
                    w.message(2, |w| w.any(v));
                });
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal protobuf reader for the tests: (field, wire type, payload).
    pub(crate) fn fields(mut b: &[u8]) -> Option<Vec<(u32, u8, Vec<u8>)>> {
        fn varint(b: &mut &[u8]) -> Option<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let (&byte, rest) = b.split_first()?;
                *b = rest;
                v |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    return Some(v);
                }
            }
            None
        }
        let mut out = Vec::new();
        while !b.is_empty() {
            let key = varint(&mut b)?;
            let field = u32::try_from(key >> 3).ok()?;
            let wire = (key & 7) as u8;
            match wire {
                0 => out.push((field, 0, varint(&mut b)?.to_le_bytes().to_vec())),
                2 => {
                    let len = usize::try_from(varint(&mut b)?).ok()?;
                    if len > b.len() {
                        return None;
                    }
                    let (payload, rest) = b.split_at(len);
                    out.push((field, 2, payload.to_vec()));
                    b = rest;
                }
                _ => return None,
            }
        }
        Some(out)
    }

    pub(crate) fn sub(b: &[u8], field: u32) -> Vec<Vec<u8>> {
        fields(b)
            .unwrap_or_default()
            .into_iter()
            .filter(|(f, w, _)| *f == field && *w == 2)
            .map(|(_, _, p)| p)
            .collect()
    }

    #[test]
    fn varints_and_strings() {
        let mut w = Writer::default();
        w.varint(300);
        assert_eq!(w.buf, [0xac, 0x02]);
        let mut w = Writer::default();
        w.string(1, "2.0");
        assert_eq!(w.buf, [0x0a, 3, b'2', b'.', b'0']);
        let mut w = Writer::default();
        w.int(14, -1);
        assert_eq!(w.buf.len(), 1 + 10);
    }

    #[test]
    fn schema_with_extension_round_trips_structurally() {
        let doc = json!({
            "swagger": "2.0",
            "definitions": {
                "a.B": {
                    "description": "d",
                    "type": "object",
                    "properties": {"x": {"type": "string"}},
                    "x-kubernetes-group-version-kind": [{"group": "", "kind": "B", "version": "v1"}]
                }
            }
        });
        let bytes = encode_document(&doc);
        let top = fields(&bytes).unwrap();
        assert_eq!(top[0], (1, 2, b"2.0".to_vec()));
        let defs = sub(&bytes, 9);
        let named = sub(&defs[0], 1);
        assert_eq!(sub(&named[0], 1)[0], b"a.B");
        let schema = &sub(&named[0], 2)[0];
        assert_eq!(sub(schema, 4)[0], b"d");
        let ty = &sub(schema, 22)[0];
        assert_eq!(sub(ty, 1)[0], b"object");
        let ext = &sub(schema, 31)[0];
        assert_eq!(sub(ext, 1)[0], b"x-kubernetes-group-version-kind");
        let any = &sub(ext, 2)[0];
        let yaml = String::from_utf8(sub(any, 2)[0].clone()).unwrap();
        assert!(yaml.contains("\"kind\":\"B\""));
    }

    #[test]
    fn non_objects_encode_to_nothing() {
        assert!(encode_document(&json!([1])).is_empty());
        assert!(encode_document(&json!(null)).is_empty());
    }
}
