//! Request bodies: media types, decoding, strict field validation, and the checks of
//! `apiVersion`, `kind`, name and namespace against the URL.

use serde_json::Value;

use crate::api::{self, ApiError};

use super::ResourceDef;

/// Media types accepted for object bodies (create, update).
pub const OBJECT_MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// How unknown and duplicate fields are treated (`fieldValidation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and answer with Warning headers (the server default).
    Warn,
    /// Refuse the request with 400.
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter; unknown values are a 400 as in kube-apiserver.
    pub fn parse(v: Option<&str>) -> Result<Self, ApiError> {
        match v.unwrap_or("") {
            "" | "Warn" => Ok(FieldValidation::Warn),
            "Ignore" => Ok(FieldValidation::Ignore),
            "Strict" => Ok(FieldValidation::Strict),
            other => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}. Supported values: Ignore, Warn, Strict"
            ))),
        }
    }
}

/// The media type of a Content-Type header, lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A decoded object body and the warnings it earned.
pub struct Decoded {
    /// The object.
    pub object: Value,
    /// Warning texts (unknown or duplicate fields under `fieldValidation=Warn`).
    pub warnings: Vec<String>,
}

/// Decodes an object body of `def`'s kind from JSON or protobuf, applying field validation.
pub fn decode_object(
    def: &ResourceDef,
    content_type: &str,
    body: &[u8],
    validation: FieldValidation,
    openapi: Option<&crate::openapi::OpenApi>,
) -> Result<Decoded, ApiError> {
    let mt = media_type(content_type);
    let (object, problems) = match mt.as_str() {
        "application/json" | "" | "*/*" => {
            let object: Value = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
            })?;
            let problems = match (validation, openapi) {
                (FieldValidation::Ignore, _) | (_, None) => Vec::new(),
                (_, Some(o)) => o.strict_problems(&def.definition, body),
            };
            (object, problems)
        }
        "application/yaml" => {
            // Decoded to JSON first, as kube-apiserver's YAML serializer does; field
            // validation then looks at that JSON.
            let object: Value = serde_yaml::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("couldn't get version/kind; yaml parse error: {e}"))
            })?;
            let problems = match (validation, openapi) {
                (FieldValidation::Ignore, _) | (_, None) => Vec::new(),
                (_, Some(o)) => {
                    o.strict_problems(&def.definition, &serde_json::to_vec(&object).unwrap_or_default())
                }
            };
            (object, problems)
        }
        "application/vnd.kubernetes.protobuf" => {
            let d = crate::codec::protobuf::decode(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
            (d.object, Vec::new())
        }
        _ => return Err(ApiError::unsupported_media_type(content_type, OBJECT_MEDIA_TYPES)),
    };
    if !object.is_object() {
        return Err(ApiError::bad_request(
            "couldn't get version/kind; json parse error: the body is not a JSON object",
        ));
    }
    check_type_meta(def, &object)?;
    let mut object = object;
    if let Some(o) = openapi {
        // Fields the kind does not have are dropped, as decoding into the typed object does.
        o.prune(&def.definition, &mut object);
    }
    let mut warnings = Vec::new();
    if !problems.is_empty() {
        match validation {
            FieldValidation::Strict => {
                return Err(ApiError::bad_request(format!(
                    "strict decoding error: {}",
                    problems.join(", ")
                )))
            }
            FieldValidation::Warn => warnings = problems,
            FieldValidation::Ignore => {}
        }
    }
    Ok(Decoded { object, warnings })
}

/// Decodes a JSON, YAML or protobuf body of a kind the URL does not fix (a Binding, an
/// Eviction, DeleteOptions).
pub fn decode_untyped(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    match media_type(content_type).as_str() {
        "application/vnd.kubernetes.protobuf" => crate::codec::protobuf::decode(body)
            .map(|d| d.object)
            .map_err(|e| ApiError::bad_request(e.to_string())),
        "application/yaml" => serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("couldn't get version/kind; yaml parse error: {e}"))),
        "application/json" | "" | "*/*" => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))),
        _ => Err(ApiError::unsupported_media_type(content_type, OBJECT_MEDIA_TYPES)),
    }
}

/// Refuses a body whose apiVersion or kind names another type than the URL's.
pub fn check_type_meta(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    let expected = def.api_version();
    if let Some(av) = obj.get("apiVersion").and_then(Value::as_str) {
        if !av.is_empty() && av != expected {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({expected})"
            )));
        }
    }
    if let Some(kind) = obj.get("kind").and_then(Value::as_str) {
        if !kind.is_empty() && kind != def.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                def.kind
            )));
        }
    }
    Ok(())
}

/// Checks the body's namespace and name against the URL's, filling them in when absent.
pub fn reconcile_name_namespace(
    def: &ResourceDef,
    obj: &mut Value,
    url_namespace: &str,
    url_name: Option<&str>,
) -> Result<(), ApiError> {
    let body_ns = api::namespace(obj).to_string();
    if def.namespaced {
        if body_ns.is_empty() {
            api::set_meta(obj, "namespace", Value::String(url_namespace.to_string()));
        } else if body_ns != url_namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    } else if !body_ns.is_empty() {
        // Cluster-scoped objects carry no namespace; kube clears it.
        api::meta_mut(obj).remove("namespace");
    }
    if let Some(url_name) = url_name {
        let body_name = api::name(obj).to_string();
        if body_name.is_empty() {
            api::set_meta(obj, "name", Value::String(url_name.to_string()));
        } else if body_name != url_name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({url_name})"
            )));
        }
    }
    // Type meta is always the served one in what we store and return.
    if let Value::Object(m) = obj {
        m.insert("apiVersion".into(), Value::String(def.api_version()));
        m.insert("kind".into(), Value::String(def.kind.to_string()));
        m.shift_remove("apiVersion");
        m.shift_remove("kind");
        let rest = std::mem::take(m);
        m.insert("kind".into(), Value::String(def.kind.to_string()));
        m.insert("apiVersion".into(), Value::String(def.api_version()));
        m.extend(rest);
    }
    Ok(())
}
