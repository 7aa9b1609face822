//! Field-level validation errors, the Gatehouse mirror of Kubernetes'
//! `field.Error`. A list of these becomes the `details.causes` of a 422
//! `Invalid` Status.

use serde_json::Value;
use std::fmt;

/// Why a field was refused. Each variant maps 1:1 onto a Kubernetes
/// `CauseType` string (see [`ErrorType::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// A referenced value could not be found (e.g. a volume mount naming no volume).
    NotFound,
    /// A required value is missing or empty.
    Required,
    /// A value that must be unique was repeated.
    Duplicate,
    /// A value is malformed.
    Invalid,
    /// A value is not one of an enumerated set.
    NotSupported,
    /// A well-formed value is not allowed in this context.
    Forbidden,
    /// A value is too long; the value itself is not echoed back.
    TooLong,
    /// A list has too many items.
    TooMany,
    /// The server failed for a reason unrelated to the input.
    Internal,
    /// A value has the wrong JSON type.
    TypeInvalid,
}

impl ErrorType {
    /// The `reason`/`type` string used in a Status cause.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human phrase that starts the error body, e.g. `Required value`.
    pub fn phrase(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
        }
    }
}

/// One refused field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The kind of failure.
    pub type_: ErrorType,
    /// JSON path of the field, e.g. `spec.template.spec.containers[0].image`.
    pub field: String,
    /// The offending value, when Kubernetes echoes it back.
    pub bad_value: Option<Value>,
    /// Free-form explanation appended after the value.
    pub detail: String,
    /// Exact rendering of the bad value when Kubernetes prints a Go composite
    /// (e.g. `v1.LabelSelector{...}`) whose form cannot be derived from JSON.
    pub rendered: Option<String>,
}

impl FieldError {
    fn new(type_: ErrorType, field: &str, bad_value: Option<Value>, detail: &str) -> Self {
        FieldError {
            type_,
            field: field.to_string(),
            bad_value,
            detail: detail.to_string(),
            rendered: None,
        }
    }

    /// `Required value` error.
    pub fn required(field: &str, detail: &str) -> Self {
        Self::new(ErrorType::Required, field, None, detail)
    }

    /// `Invalid value` error.
    pub fn invalid(field: &str, value: impl Into<Value>, detail: &str) -> Self {
        Self::new(ErrorType::Invalid, field, Some(value.into()), detail)
    }

    /// `Invalid value` error whose value is printed verbatim (a Go composite).
    pub fn invalid_rendered(field: &str, rendered: String, detail: &str) -> Self {
        let mut e = Self::new(ErrorType::Invalid, field, None, detail);
        e.rendered = Some(rendered);
        e
    }

    /// `Duplicate value` error.
    pub fn duplicate(field: &str, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::Duplicate, field, Some(value.into()), "")
    }

    /// `Not found` error.
    pub fn not_found(field: &str, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::NotFound, field, Some(value.into()), "")
    }

    /// `Forbidden` error.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self::new(ErrorType::Forbidden, field, None, detail)
    }

    /// `Unsupported value` error listing the supported values the way
    /// Kubernetes does: `supported values: "A", "B"`.
    pub fn not_supported(field: &str, value: impl Into<Value>, valid: &[&str]) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, Some(value.into()), &detail)
    }

    /// `Too long` error with Kubernetes' byte wording.
    pub fn too_long(field: &str, max_bytes: usize) -> Self {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        let detail = format!("may not be more than {max_bytes} {unit}");
        Self::new(ErrorType::TooLong, field, None, &detail)
    }

    /// `Too many` error.
    pub fn too_many(field: &str, actual: usize, max: usize) -> Self {
        let unit = if max == 1 { "item" } else { "items" };
        let detail = format!("must have at most {max} {unit}");
        Self::new(ErrorType::TooMany, field, Some(Value::from(actual)), &detail)
    }

    /// `Internal error`.
    pub fn internal(field: &str, detail: &str) -> Self {
        Self::new(ErrorType::Internal, field, None, detail)
    }

    /// `Invalid value` error for a wrong JSON type.
    pub fn type_invalid(field: &str, value: Value, detail: &str) -> Self {
        Self::new(ErrorType::TypeInvalid, field, Some(value), detail)
    }

    /// The cause `reason` string, e.g. `FieldValueInvalid`.
    pub fn reason(&self) -> &'static str {
        self.type_.reason()
    }

    /// The message without the field name (the `message` of a Status cause).
    pub fn body(&self) -> String {
        let mut s = match self.type_ {
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong | ErrorType::Internal => {
                self.type_.phrase().to_string()
            }
            _ => match (&self.rendered, &self.bad_value) {
                (Some(r), _) => format!("{}: {}", self.type_.phrase(), r),
                (None, Some(v)) => format!("{}: {}", self.type_.phrase(), go_value(v)),
                (None, None) => self.type_.phrase().to_string(),
            },
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }

    /// The full message exactly as Kubernetes' `field.Error.Error()` prints it.
    pub fn message(&self) -> String {
        format!("{}: {}", self.field, self.body())
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The `Kind.group` prefix of an Invalid message (`Deployment.apps`, or just
/// `ConfigMap` for the core group).
pub fn qualified_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The Status message of a 422 Invalid, as kube-apiserver builds it:
/// `ConfigMap "x" is invalid: <err>` for one distinct error, or
/// `... is invalid: [<e1>, <e2>]` for several. `kind` should already be
/// group-qualified (see [`qualified_kind`]).
pub fn aggregate_message(kind: &str, name: &str, errs: &[FieldError]) -> String {
    let mut msgs: Vec<String> = Vec::new();
    for e in errs {
        let m = e.message();
        // Kubernetes drops errors whose text repeats an earlier one.
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    let head = format!("{} {} is invalid", kind, go_quote(name));
    match msgs.len() {
        0 => head,
        1 => format!("{head}: {}", msgs[0]),
        _ => format!("{head}: [{}]", msgs.join(", ")),
    }
}

/// Quote a string the way Go's `%q` does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Render a JSON bad value the way Kubernetes prints the equivalent Go value.
fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Null => go_quote("null"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(m) if m.values().all(Value::is_string) => go_string_map(Some(v)),
        Value::Array(a) if a.iter().all(Value::is_string) => go_string_slice(Some(v)),
        other => other.to_string(),
    }
}

/// `%#v` of a Go `map[string]string` (keys sorted, as Go's fmt does).
/// `None` renders the nil map.
pub fn go_string_map(v: Option<&Value>) -> String {
    let Some(Value::Object(m)) = v else {
        return "map[string]string(nil)".to_string();
    };
    let mut pairs: Vec<(&String, String)> = m
        .iter()
        .map(|(k, v)| (k, v.as_str().map(go_quote).unwrap_or_else(|| go_quote(""))))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let inner: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}:{}", go_quote(k), v))
        .collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// `%#v` of a Go `[]string`; `None` renders the nil slice.
pub fn go_string_slice(v: Option<&Value>) -> String {
    let Some(Value::Array(a)) = v else {
        return "[]string(nil)".to_string();
    };
    let inner: Vec<String> = a.iter().map(|s| go_quote(s.as_str().unwrap_or(""))).collect();
    format!("[]string{{{}}}", inner.join(", "))
}

/// `%#v` of an `intstr.IntOrString` held in JSON as a number or string.
pub fn go_int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => {
            format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", go_quote(s))
        }
        Some(Value::Number(n)) => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            n.as_i64().unwrap_or(0)
        ),
        _ => "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}".to_string(),
    }
}

/// `%#v` of a `v1.LabelSelector` held in JSON (`None` renders `"null"` as
/// Kubernetes does for a nil pointer).
pub fn go_label_selector(v: Option<&Value>) -> String {
    let Some(Value::Object(sel)) = v else {
        return go_quote("null");
    };
    let exprs = match sel.get("matchExpressions") {
        Some(Value::Array(items)) => {
            let rendered: Vec<String> = items
                .iter()
                .map(|e| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(e.get("key").and_then(Value::as_str).unwrap_or("")),
                        go_quote(e.get("operator").and_then(Value::as_str).unwrap_or("")),
                        go_string_slice(e.get("values")),
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", rendered.join(", "))
        }
        _ => "[]v1.LabelSelectorRequirement(nil)".to_string(),
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        go_string_map(sel.get("matchLabels")),
        exprs
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_message() {
        let e = FieldError::required("spec.containers[0].image", "");
        assert_eq!(e.message(), "spec.containers[0].image: Required value");
        assert_eq!(e.reason(), "FieldValueRequired");
    }

    #[test]
    fn invalid_string_is_quoted() {
        let e = FieldError::invalid("metadata.name", "Bad_Name", "oops");
        assert_eq!(e.message(), "metadata.name: Invalid value: \"Bad_Name\": oops");
    }

    #[test]
    fn not_supported_lists_values() {
        let e = FieldError::not_supported("spec.restartPolicy", "Sometimes", &["Always", "Never"]);
        assert_eq!(
            e.message(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\""
        );
    }

    #[test]
    fn map_rendering_is_sorted_go_syntax() {
        let v = json!({"b": "2", "a": "1"});
        assert_eq!(
            go_string_map(Some(&v)),
            "map[string]string{\"a\":\"1\", \"b\":\"2\"}"
        );
        let e = FieldError::invalid("x", v, "d");
        assert_eq!(
            e.message(),
            "x: Invalid value: map[string]string{\"a\":\"1\", \"b\":\"2\"}: d"
        );
    }

    #[test]
    fn too_long_omits_value() {
        let e = FieldError::too_long("metadata.annotations", 262144);
        assert_eq!(
            e.message(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }

    #[test]
    fn aggregate_formats() {
        let a = FieldError::required("a", "");
        let b = FieldError::required("b", "");
        assert_eq!(
            aggregate_message("ConfigMap", "x", std::slice::from_ref(&a)),
            "ConfigMap \"x\" is invalid: a: Required value"
        );
        assert_eq!(
            aggregate_message(&qualified_kind("apps", "Deployment"), "d", &[a.clone(), b, a]),
            "Deployment.apps \"d\" is invalid: [a: Required value, b: Required value]"
        );
    }

    #[test]
    fn go_quote_escapes() {
        assert_eq!(go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
        assert_eq!(go_quote("é"), "\"é\"");
    }

    #[test]
    fn label_selector_rendering() {
        let v = json!({"matchLabels": {"a": "b"}});
        assert_eq!(
            go_label_selector(Some(&v)),
            "v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
        );
    }
}
