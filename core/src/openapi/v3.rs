//! The OpenAPI v3 documents served under `/openapi/v3`.
//!
//! `/openapi/v3` is an index of per-group-version documents; each entry's
//! `serverRelativeURL` carries a content hash so clients can cache the
//! document forever under that URL.

use serde_json::{json, Map, Value};

use super::paths::{self, Body, PathItem, PATCH_TYPES, PRETTY, RESPONSE_TYPES};
use super::schema::{v3_ref, Definitions};
use super::GroupVersionResources;

/// The `info` block of every document.
pub const TITLE: &str = "Kubernetes";
/// The API version Gatehouse describes.
pub const API_VERSION: &str = "v1.32.0";

/// Index key of a group-version: `api/v1` or `apis/apps/v1` (no leading
/// slash, as the index spells it).
pub fn gv_key(gv: &GroupVersionResources) -> String {
    paths::gv_prefix(gv).trim_start_matches('/').to_owned()
}

/// The `/openapi/v3` index.
pub fn root(defs: &Definitions, gvs: &[GroupVersionResources]) -> Value {
    let mut entries = Map::new();
    for gv in gvs {
        let (_, hash) = group_version(defs, gv);
        let key = gv_key(gv);
        entries.insert(
            key.clone(),
            json!({ "serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}") }),
        );
    }
    json!({ "paths": entries })
}

/// One group-version document and its hash.
pub fn group_version(defs: &Definitions, gv: &GroupVersionResources) -> (Value, String) {
    let items = paths::paths(defs, gv);
    let tag = paths::gv_tag(gv);
    let mut out_paths = Map::new();
    for item in &items {
        out_paths.insert(item.path.clone(), path_item(item, &tag));
    }

    let mut roots: Vec<&str> = paths::referenced_definitions(&items);
    roots.extend(gv.resources.iter().map(|r| r.definition.as_str()));
    let mut schemas = Map::new();
    for name in defs.closure(roots) {
        if let Some(s) = defs.get(&name) {
            schemas.insert(name, s.clone());
        }
    }

    let doc = json!({
        "openapi": "3.0.0",
        "info": { "title": TITLE, "version": API_VERSION },
        "paths": out_paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header"
                }
            }
        }
    });
    let hash = content_hash(doc.to_string().as_bytes());
    (doc, hash)
}

fn param(name: &str, location: &str, ty: &str, description: &str) -> Value {
    let mut p = json!({
        "name": name,
        "in": location,
        "description": description,
        "schema": { "type": ty, "uniqueItems": true },
    });
    if location == "path" {
        p["required"] = Value::Bool(true);
    }
    p
}

fn path_item(item: &PathItem, tag: &str) -> Value {
    let mut out = Map::new();
    let kind = item.operations.first().map(|o| o.gvk.2.as_str()).unwrap_or("");
    let mut params = Vec::new();
    for p in &item.path_params {
        let description = match *p {
            "namespace" => "object name and auth scope, such as for teams and projects".to_owned(),
            _ => format!("name of the {kind}"),
        };
        params.push(param(p, "path", "string", &description));
    }
    params.push(param(PRETTY.name, "query", PRETTY.ty, PRETTY.description));
    for op in &item.operations {
        let mut o = Map::new();
        o.insert("tags".into(), json!([tag]));
        o.insert("description".into(), json!(op.description));
        o.insert("operationId".into(), json!(op.operation_id));
        let qp: Vec<Value> = op
            .query
            .iter()
            .map(|q| param(q.name, "query", q.ty, q.description))
            .collect();
        if !qp.is_empty() {
            o.insert("parameters".into(), Value::Array(qp));
        }
        match &op.body {
            Some(Body::Object(def)) => {
                let mut content = Map::new();
                for t in paths::BODY_TYPES {
                    content.insert(t.to_owned(), json!({ "schema": v3_ref(def) }));
                }
                o.insert(
                    "requestBody".into(),
                    json!({ "content": content, "required": op.method != "delete" }),
                );
            }
            Some(Body::Patch) => {
                let mut content = Map::new();
                for t in PATCH_TYPES {
                    content.insert(t.to_owned(), json!({ "schema": v3_ref(paths::PATCH) }));
                }
                o.insert(
                    "requestBody".into(),
                    json!({ "content": content, "required": true }),
                );
            }
            None => {}
        }
        let mut responses = Map::new();
        for (code, def) in &op.responses {
            let mut content = Map::new();
            for t in RESPONSE_TYPES {
                content.insert(t.to_owned(), json!({ "schema": v3_ref(def) }));
            }
            let description = match *code {
                "201" => "Created",
                "202" => "Accepted",
                _ => "OK",
            };
            responses.insert(
                (*code).to_owned(),
                json!({ "description": description, "content": content }),
            );
        }
        responses.insert("401".into(), json!({ "description": "Unauthorized" }));
        o.insert("responses".into(), Value::Object(responses));
        o.insert("x-kubernetes-action".into(), json!(op.action));
        o.insert(
            "x-kubernetes-group-version-kind".into(),
            json!({ "group": op.gvk.0, "version": op.gvk.1, "kind": op.gvk.2 }),
        );
        out.insert(op.method.to_owned(), Value::Object(o));
    }
    out.insert("parameters".into(), Value::Array(params));
    Value::Object(out)
}

/// A stable 128-bit digest of `bytes` as 32 upper-case hex digits: two
/// FNV-1a lanes with different offsets. It only names a cache entry, so no
/// cryptographic strength is needed.
pub fn content_hash(bytes: &[u8]) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for &byte in bytes {
        a = (a ^ u64::from(byte)).wrapping_mul(PRIME);
        b = (b ^ u64::from(byte.rotate_left(3))).wrapping_mul(PRIME);
    }
    format!("{a:016X}{b:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_hex() {
        let h = content_hash(b"abc");
        assert_eq!(h.len(), 32);
        assert!(h
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        assert_eq!(h, content_hash(b"abc"));
        assert_ne!(h, content_hash(b"abd"));
    }
}
