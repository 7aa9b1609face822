//! Errors from applying a PATCH body, classified the way kube-apiserver answers them.

use std::fmt;

/// Message kube-apiserver sends with a 422 that has no more specific text
/// (`errors.NewGenericServerResponse(422, ...)`): the detail is dropped from the wire.
const GENERIC_INVALID: &str = "the server rejected our request due to an error in our request";

/// Why a patch could not be applied.
///
/// Each variant maps to the HTTP status (and Status `reason`) kube-apiserver answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchError {
    /// The body is not a well-formed patch of its type (400 BadRequest).
    ///
    /// The string is the Status message.
    BadRequest(String),
    /// The patch is well-formed but cannot be applied to this object (422 Invalid): a JSON
    /// Patch `test` failing, a missing path, a list of lists, a result that is not an object.
    Unprocessable {
        /// The Status message kube-apiserver sends.
        message: String,
        /// What actually went wrong, for logs (kube-apiserver does not always send it).
        detail: String,
    },
    /// A JSON Patch with more operations than kube-apiserver allows (413).
    TooManyOperations(usize),
    /// The patch nests deeper than [`super::MAX_DEPTH`] (400 BadRequest).
    TooDeep,
    /// A strategic merge patch error that kube-apiserver does not classify and so answers
    /// with 500 (for example an unknown `$patch` directive or a list item missing its merge
    /// key). The string is the Status message.
    Unclassified(String),
}

impl PatchError {
    /// 422 whose wire message is kube-apiserver's generic one.
    pub(super) fn generic_invalid(detail: impl Into<String>) -> Self {
        PatchError::Unprocessable {
            message: GENERIC_INVALID.to_string(),
            detail: detail.into(),
        }
    }

    /// 422 for a patched document that cannot be decoded as an object, worded like
    /// `errors.NewInvalid(schema.GroupKind{}, "", field.Invalid(field.NewPath("patch"), ...))`.
    pub(super) fn invalid_result(patched: &serde_json::Value) -> Self {
        let kind = json_kind(patched);
        let detail = format!("json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}");
        PatchError::Unprocessable {
            message: format!(" \"\" is invalid: patch: Invalid value: \"{patched}\": {detail}"),
            detail,
        }
    }

    /// HTTP status code kube-apiserver answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) | PatchError::TooDeep => 400,
            PatchError::Unprocessable { .. } => 422,
            PatchError::TooManyOperations(_) => 413,
            PatchError::Unclassified(_) => 500,
        }
    }

    /// The `reason` field of the Status object (empty for kube's unclassified errors).
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) | PatchError::TooDeep => "BadRequest",
            PatchError::Unprocessable { .. } => "Invalid",
            PatchError::TooManyOperations(_) => "RequestEntityTooLarge",
            PatchError::Unclassified(_) => "",
        }
    }

    /// The `message` field of the Status object.
    pub fn message(&self) -> String {
        match self {
            PatchError::BadRequest(m) | PatchError::Unclassified(m) => m.clone(),
            PatchError::Unprocessable { message, .. } => message.clone(),
            PatchError::TooManyOperations(n) => format!(
                "Request entity too large: The allowed maximum operations in a JSON patch is {}, got {n}",
                super::json_patch::MAX_OPERATIONS
            ),
            PatchError::TooDeep => format!("json: exceeded max depth of {}", super::MAX_DEPTH),
        }
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::Unprocessable { message, detail } if message != detail => {
                write!(f, "{message} ({detail})")
            }
            _ => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for PatchError {}

/// The word Go's encoding/json uses for a JSON value's type in unmarshal errors.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
