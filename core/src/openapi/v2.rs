//! The Swagger 2.0 document served under `/openapi/v2` (as JSON; the
//! protobuf form is an encoding of the same document, see `v2_proto`).

use serde_json::{json, Map, Value};

use super::paths::{self, Body, PathItem, PATCH_TYPES, PRETTY, RESPONSE_TYPES};
use super::schema::{to_v2, Definitions, V2_REF_PREFIX};
use super::v3::{API_VERSION, TITLE};
use super::GroupVersionResources;

fn v2_ref(name: &str) -> Value {
    json!({ "$ref": format!("{V2_REF_PREFIX}{name}") })
}

/// The whole Swagger 2.0 document for the served group-versions.
pub fn document(defs: &Definitions, gvs: &[GroupVersionResources]) -> Value {
    let mut out_paths = Map::new();
    for gv in gvs {
        let tag = paths::gv_tag(gv);
        for item in paths::paths(defs, gv) {
            out_paths.insert(item.path.clone(), path_item(&item, &tag));
        }
    }
    // Every stored definition is described: they are all reachable from the
    // served kinds, and client-side apply looks kinds up here by GVK.
    let mut definitions = Map::new();
    for (name, schema) in defs.iter() {
        definitions.insert(name.clone(), to_v2(schema));
    }
    json!({
        "swagger": "2.0",
        "info": { "title": TITLE, "version": API_VERSION },
        "paths": out_paths,
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "type": "apiKey",
                "name": "authorization",
                "in": "header"
            }
        },
        "security": [ { "BearerToken": [] } ]
    })
}

fn param(name: &str, location: &str, ty: &str, description: &str) -> Value {
    let mut p = json!({
        "uniqueItems": true,
        "type": ty,
        "description": description,
        "name": name,
        "in": location,
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
        o.insert("description".into(), json!(op.description));
        let consumes: Vec<&str> = match op.body {
            Some(Body::Patch) => PATCH_TYPES.to_vec(),
            _ => vec!["*/*"],
        };
        o.insert("consumes".into(), json!(consumes));
        o.insert("produces".into(), json!(RESPONSE_TYPES));
        o.insert("schemes".into(), json!(["https"]));
        o.insert("tags".into(), json!([tag]));
        o.insert("operationId".into(), json!(op.operation_id));
        let mut qp: Vec<Value> = Vec::new();
        match &op.body {
            Some(Body::Object(def)) => qp.push(json!({
                "name": "body", "in": "body", "required": op.method != "delete", "schema": v2_ref(def)
            })),
            Some(Body::Patch) => qp.push(json!({
                "name": "body", "in": "body", "required": true, "schema": v2_ref(paths::PATCH)
            })),
            None => {}
        }
        qp.extend(
            op.query
                .iter()
                .map(|q| param(q.name, "query", q.ty, q.description)),
        );
        if !qp.is_empty() {
            o.insert("parameters".into(), Value::Array(qp));
        }
        let mut responses = Map::new();
        for (code, def) in &op.responses {
            let description = match *code {
                "201" => "Created",
                "202" => "Accepted",
                _ => "OK",
            };
            responses.insert(
                (*code).to_owned(),
                json!({ "description": description, "schema": v2_ref(def) }),
            );
        }
        responses.insert("401".into(), json!({ "description": "Unauthorized" }));
        o.insert("responses".into(), Value::Object(responses));
        o.insert("x-kubernetes-action".into(), json!(op.action));
        o.insert(
            "x-kubernetes-group-version-kind".into(),
            json!({ "group": op.gvk.0, "kind": op.gvk.2, "version": op.gvk.1 }),
        );
        out.insert(op.method.to_owned(), Value::Object(o));
    }
    out.insert("parameters".into(), Value::Array(params));
    Value::Object(out)
}
