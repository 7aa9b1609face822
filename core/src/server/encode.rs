//! Content negotiation and response encoding: JSON, Table, and `Status` errors.

use serde_json::{json, Map, Value};

use crate::api::{self, ApiError};
use crate::http::response_head;
use crate::registry::{self, Reply};
use crate::time::Now;

/// What the client asked the response to be, from its Accept header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Negotiated {
    /// `as=Table` was acceptable (kubectl's printing).
    pub table: bool,
    /// The Table version asked for (`v1` or `v1beta1`).
    pub table_version: String,
    /// `as=PartialObjectMetadata` or `as=PartialObjectMetadataList`: metadata only.
    pub partial: Option<Partial>,
    /// `includeObject` of the Table (read from the query by the caller; default Metadata).
    pub pretty: bool,
    /// Aggregated discovery version asked for (`v2` or `v2beta1`).
    pub discovery: Option<String>,
    /// Whether the OpenAPI v2 protobuf form was asked for.
    pub openapi_proto: bool,
    /// Kubernetes protobuf was preferred over JSON for objects and lists.
    pub protobuf: bool,
    /// YAML was preferred over JSON.
    pub yaml: bool,
    /// Some media range of the header can be served for a resource (or there is no header);
    /// otherwise resource requests answer 406.
    pub acceptable: bool,
}

/// A metadata-only answer: `meta.k8s.io` PartialObjectMetadata or PartialObjectMetadataList.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// `as=PartialObjectMetadataList` (list and watch) rather than `as=PartialObjectMetadata`.
    pub list: bool,
    /// `v1` or `v1beta1`.
    pub version: String,
}

/// The media types resource answers come in, as kube-apiserver lists them in a 406.
const SERVED_MEDIA_TYPES: &str = "application/json, application/yaml, application/vnd.kubernetes.protobuf";

/// The 406 for an Accept header none of whose ranges a resource can be answered in.
pub fn not_acceptable() -> ApiError {
    ApiError::not_acceptable(format!(
        "only the following media types are accepted: {SERVED_MEDIA_TYPES}"
    ))
}

/// The output format of one media range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
    Protobuf,
}

/// Parses an Accept header into what we will answer with. For resources the first range that
/// can be served wins, as in kube's negotiation: its media type, and its `as`/`g`/`v`
/// transformation (Table in JSON or YAML; PartialObjectMetadata(List) in any of them); a
/// range asking for anything else is passed over.
pub fn negotiate(accept: &str) -> Negotiated {
    let mut n = Negotiated {
        acceptable: accept.trim().is_empty(),
        ..Negotiated::default()
    };
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let mt = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<(String, String)> = parts
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            })
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if mt == "application/json" {
            if let (Some("APIGroupDiscoveryList"), Some("apidiscovery.k8s.io"), Some(v)) =
                (get("as"), get("g"), get("v"))
            {
                if n.discovery.is_none() && (v == "v2" || v == "v2beta1") {
                    n.discovery = Some(v.to_string());
                }
            }
        }
        if mt.starts_with("application/com.github.proto-openapi.spec.v2") {
            n.openapi_proto = true;
        }
        if n.acceptable {
            continue;
        }
        let format = match mt.as_str() {
            "application/json" | "*/*" | "application/*" => Format::Json,
            "application/yaml" => Format::Yaml,
            PROTOBUF => Format::Protobuf,
            _ => continue,
        };
        // `stream=watch` names the framing of a watch, which YAML has none of.
        if get("stream").is_some_and(|s| !s.is_empty() && (s != "watch" || format == Format::Yaml)) {
            continue;
        }
        match (get("as"), get("g"), get("v")) {
            (None, None, None) => {}
            (Some("Table"), Some("meta.k8s.io"), Some(v @ ("v1" | "v1beta1")))
                if format != Format::Protobuf =>
            {
                n.table = true;
                n.table_version = v.to_string();
            }
            (
                Some(kind @ ("PartialObjectMetadata" | "PartialObjectMetadataList")),
                Some("meta.k8s.io"),
                Some(v @ ("v1" | "v1beta1")),
            ) => {
                n.partial = Some(Partial {
                    list: kind.ends_with("List"),
                    version: v.to_string(),
                });
            }
            _ => continue,
        }
        n.acceptable = true;
        n.protobuf = format == Format::Protobuf;
        n.yaml = format == Format::Yaml;
    }
    n
}

fn json_headers(content_type: &str, warnings: &[String]) -> Vec<(String, String)> {
    let mut h = vec![
        ("Audit-Id".to_string(), String::new()),
        ("Cache-Control".into(), "no-cache, private".into()),
        ("Content-Type".into(), content_type.to_string()),
    ];
    h.retain(|(_, v)| !v.is_empty());
    for w in warnings {
        h.push((
            "Warning".into(),
            format!("299 - \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")),
        ));
    }
    h
}

/// A complete response with a JSON body.
pub fn json_response(status: u16, content_type: &str, body: &Value, warnings: &[String]) -> Vec<u8> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut out = response_head(
        status,
        &json_headers(content_type, warnings),
        Some(bytes.len() + 1),
    );
    out.extend_from_slice(&bytes);
    out.push(b'\n');
    out
}

/// A complete response with a raw body.
pub fn raw_response(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> Vec<u8> {
    let mut out = response_head(status, &headers, Some(body.len()));
    out.extend_from_slice(body);
    out
}

/// A `Status` error response.
pub fn error(e: &ApiError) -> Vec<u8> {
    if e.plain_text {
        // Go's http.Error: the text, a newline, and no sniffing.
        let headers = [
            (
                "Content-Type".to_string(),
                "text/plain; charset=utf-8".to_string(),
            ),
            ("X-Content-Type-Options".to_string(), "nosniff".to_string()),
        ];
        let mut out = response_head(e.code, &headers, Some(e.message.len() + 1));
        out.extend_from_slice(e.message.as_bytes());
        out.push(b'\n');
        return out;
    }
    let mut headers = json_headers("application/json", &[]);
    if let Some(r) = e.retry_after {
        headers.push(("Retry-After".into(), r.to_string()));
    }
    let body = serde_json::to_vec(&e.to_status()).unwrap_or_default();
    let mut out = response_head(e.code, &headers, Some(body.len() + 1));
    out.extend_from_slice(&body);
    out.push(b'\n');
    out
}

/// A `Status` error response after which the connection closes.
pub fn error_closing(e: &ApiError) -> Vec<u8> {
    let mut headers = json_headers("application/json", &[]);
    headers.push(("Connection".into(), "close".into()));
    let body = serde_json::to_vec(&e.to_status()).unwrap_or_default();
    let mut out = response_head(e.code, &headers, Some(body.len()));
    out.extend_from_slice(&body);
    out
}

/// Encodes a successful reply as the client negotiated; `served` says how resources added at
/// run time print as Tables.
pub fn reply(n: &Negotiated, reply: Reply, now: Now, served: &registry::Resources) -> Vec<u8> {
    let is_status = reply.object.get("kind").and_then(Value::as_str) == Some("Status");
    let mut object = reply.object;
    if n.table && !is_status {
        let added = |group: &str, kind: &str| served.find_kind(group, kind).map(|d| &**d);
        if let Some(table) = to_table(&object, now, true, added) {
            if !n.yaml {
                let ct = format!("application/json;as=Table;v={};g=meta.k8s.io", n.table_version);
                return json_response(reply.code, &ct, &table, &reply.warnings);
            }
            object = table;
        }
    }
    if let (Some(p), false) = (&n.partial, is_status) {
        object = match as_partial(p, &object) {
            Ok(o) => o,
            Err(e) => return error(&e),
        };
    }
    if n.yaml {
        // Keys in sorted order, as kube-apiserver's JSON-to-YAML conversion writes them.
        if let Ok(text) = serde_yaml::to_string(&sorted_keys(&object)) {
            let headers = json_headers("application/yaml", &reply.warnings);
            return raw_response(reply.code, headers, text.as_bytes());
        }
    }
    if n.protobuf && !is_status {
        // Kinds without a protobuf form fall back to JSON, which client-go also accepts.
        if let Ok(bytes) = crate::codec::protobuf::encode(&object) {
            let headers = json_headers(PROTOBUF, &reply.warnings);
            return raw_response(reply.code, headers, &bytes);
        }
    }
    json_response(reply.code, "application/json", &object, &reply.warnings)
}

/// An object or list as the metadata-only form asked for, as kube's asPartialObjectMetadata
/// and asPartialObjectMetadataList make it; asking for the one form of the other is a 406.
pub fn as_partial(p: &Partial, obj: &Value) -> Result<Value, ApiError> {
    let api_version = format!("meta.k8s.io/{}", p.version);
    let (group, kind) = group_kind(obj);
    let items = obj
        .get("items")
        .and_then(Value::as_array)
        .filter(|_| kind.ends_with("List"));
    let go_type = || {
        // The internal Go type kube names in the message: `*core.ConfigMap`, `*apps.DeploymentList`.
        let package = match group.split('.').next().unwrap_or("") {
            "" | "events" => "core",
            g => g,
        };
        format!("*{package}.{kind}")
    };
    match (items, p.list) {
        (Some(_), false) => Err(ApiError::not_acceptable(format!(
            "you requested PartialObjectMetadata, but the requested object is a list ({})",
            go_type()
        ))),
        (None, true) => Err(ApiError::not_acceptable(format!(
            "you requested PartialObjectMetadataList, but the requested object is not a list ({})",
            go_type()
        ))),
        (None, false) => Ok(partial_metadata(&api_version, obj)),
        (Some(items), true) => {
            let mut meta = Map::new();
            if let Some(m) = obj.get("metadata").and_then(Value::as_object) {
                for k in ["resourceVersion", "continue", "remainingItemCount"] {
                    if let Some(v) = m.get(k) {
                        meta.insert(k.into(), v.clone());
                    }
                }
            }
            let items: Vec<Value> = items.iter().map(|i| partial_metadata(&api_version, i)).collect();
            Ok(json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": api_version,
                "metadata": meta,
                "items": items,
            }))
        }
    }
}

/// `v` with every object's keys in sorted order.
fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// Kubernetes' protobuf media type.
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The group and kind of an object or list, from its apiVersion and kind.
fn group_kind(obj: &Value) -> (String, String) {
    let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = av.split_once('/').map(|(g, _)| g).unwrap_or("").to_string();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
    (group, kind)
}

/// Builds a meta.k8s.io/v1 Table from an object or a list; `with_columns` false leaves the
/// column definitions out (watch events after the first). `served` finds the definition of
/// a group's kind: a resource added at run time prints its own columns, a built-in kind its
/// printer's.
pub fn to_table<'d>(
    obj: &Value,
    now: Now,
    with_columns: bool,
    served: impl FnOnce(&str, &str) -> Option<&'d registry::ResourceDef>,
) -> Option<Value> {
    let (group, kind) = group_kind(obj);
    let (item_kind, items, list_meta): (String, Vec<&Value>, Option<&Value>) =
        match obj.get("items").and_then(Value::as_array) {
            Some(items) if kind.ends_with("List") => (
                kind.trim_end_matches("List").to_string(),
                items.iter().collect(),
                obj.get("metadata"),
            ),
            _ => (kind.clone(), vec![obj], None),
        };
    let age;
    let custom: Option<&[crate::printers::custom::PrinterColumn]> =
        match served(&group, &item_kind).filter(|d| !d.builtin) {
            Some(def) => Some(match &def.columns {
                Some(columns) => columns,
                None => {
                    age = [crate::printers::custom::PrinterColumn::age()];
                    &age
                }
            }),
            None => {
                registry::find_kind(&group, &item_kind)?;
                None
            }
        };
    let mut items = items;
    // Some kinds print in their own order (FlowSchemas by matching precedence).
    items.sort_by(|a, b| crate::printers::row_order(&group, &item_kind, a, b));
    let cols = crate::printers::columns(&group, &item_kind);
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let cells = match custom {
                Some(c) => crate::printers::custom::row_cells(c, item, now.wall_secs()),
                None => crate::printers::row_cells(&group, &item_kind, item, now.wall_secs()),
            };
            json!({
                "cells": cells,
                "object": partial_metadata("meta.k8s.io/v1", item),
            })
        })
        .collect();
    let mut table = Map::new();
    table.insert("kind".into(), json!("Table"));
    table.insert("apiVersion".into(), json!("meta.k8s.io/v1"));
    let mut meta = Map::new();
    if let Some(m) = list_meta.and_then(Value::as_object) {
        for k in ["resourceVersion", "continue", "remainingItemCount"] {
            if let Some(v) = m.get(k) {
                meta.insert(k.into(), v.clone());
            }
        }
    } else if let Some(rv) = api::meta(obj).and_then(|m| m.get("resourceVersion")) {
        meta.insert("resourceVersion".into(), rv.clone());
    }
    table.insert("metadata".into(), Value::Object(meta));
    table.insert(
        "columnDefinitions".into(),
        if !with_columns {
            json!([])
        } else if let Some(c) = custom {
            crate::printers::custom::column_definitions_json(c)
        } else {
            crate::printers::column_definitions_json(cols)
        },
    );
    table.insert("rows".into(), Value::Array(rows));
    Some(Value::Object(table))
}

/// An object's metadata alone, as a PartialObjectMetadata of `api_version`.
pub fn partial_metadata(api_version: &str, obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": api_version,
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_headers() {
        let t = negotiate("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
        assert!(t.table);
        assert_eq!(t.table_version, "v1");
        let d = negotiate("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
        assert_eq!(d.discovery.as_deref(), Some("v2"));
        let old = negotiate(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
        );
        assert_eq!(old.discovery.as_deref(), Some("v2beta1"));
        assert!(!negotiate("application/json, */*").table);
    }
}
