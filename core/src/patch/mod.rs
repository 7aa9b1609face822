//! The three PATCH flavours kube-apiserver accepts for built-in kinds.
//!
//! * JSON Patch (RFC 6902, `application/json-patch+json`),
//! * JSON merge patch (RFC 7386, `application/merge-patch+json`),
//! * strategic merge patch (`application/strategic-merge-patch+json`), which merges lists
//!   by the `patchStrategy`/`patchMergeKey` metadata of the Kubernetes Go types.
//!
//! Everything works on `serde_json::Value`; the caller decodes nothing and does its own
//! validation of the patched object afterwards, as kube-apiserver does.

mod error;
mod json_patch;
mod merge_keys;
mod merge_patch;
mod strategic;

use serde_json::Value;

pub(crate) use error::json_kind;
pub use error::PatchError;
pub use merge_keys::{patch_strategy, FieldPatchStrategy};
pub use merge_patch::create_merge_patch;

/// Deepest nesting of objects and arrays accepted in a patch body.
///
/// The patch algorithms recurse along the patch, so this bounds their stack use.
pub const MAX_DEPTH: usize = 100;

/// A PATCH flavour, chosen by the request's `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatchType {
    /// RFC 6902 JSON Patch.
    Json,
    /// RFC 7386 JSON merge patch.
    Merge,
    /// Kubernetes strategic merge patch.
    Strategic,
}

impl PatchType {
    /// The flavour for a `Content-Type` header value; parameters such as `; charset=utf-8`
    /// are ignored, as kube-apiserver does. Server-side apply types are not handled here.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            _ => None,
        }
    }

    /// The media type that selects this flavour.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
        }
    }
}

/// Applies `patch_bytes` to `original`, an object of kind `kind` in API group `group`
/// (`""` for the core group), and returns the patched object.
///
/// `group`/`kind` only matter for [`PatchType::Strategic`]: they select the list merge
/// metadata. Kinds without a table get ObjectMeta's metadata only, so every other list
/// is replaced whole. The result is always a JSON object.
pub fn apply(
    patch_type: PatchType,
    group: &str,
    kind: &str,
    original: &Value,
    patch_bytes: &[u8],
) -> Result<Value, PatchError> {
    match patch_type {
        PatchType::Json => json_patch::apply(original, patch_bytes),
        PatchType::Merge => merge_patch::apply(original, patch_bytes),
        PatchType::Strategic => strategic::apply(original, patch_bytes, merge_keys::root(group, kind)),
    }
}

/// Fails with [`PatchError::TooDeep`] when `value` nests deeper than [`MAX_DEPTH`].
///
/// Walks with an explicit stack so the check itself cannot overflow.
fn check_depth(value: &Value) -> Result<(), PatchError> {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 1)];
    while let Some((v, depth)) = stack.pop() {
        let is_container = matches!(v, Value::Array(_) | Value::Object(_));
        if is_container && depth > MAX_DEPTH {
            return Err(PatchError::TooDeep);
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|c| (c, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/json-patch+json"),
            Some(PatchType::Json)
        );
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json"),
            Some(PatchType::Strategic)
        );
        assert_eq!(PatchType::from_content_type("application/apply-patch+yaml"), None);
        assert_eq!(PatchType::from_content_type("application/json"), None);
        for t in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
            assert_eq!(PatchType::from_content_type(t.content_type()), Some(t));
        }
    }

    fn nested(depth: usize) -> String {
        let mut s = String::new();
        for _ in 0..depth - 1 {
            s.push_str("{\"a\":");
        }
        s.push_str("{}");
        for _ in 0..depth - 1 {
            s.push('}');
        }
        s
    }

    #[test]
    fn depth_is_bounded_for_every_flavour() {
        let original = json!({"metadata": {"name": "x"}});
        let deep = nested(MAX_DEPTH + 1);
        for t in [PatchType::Merge, PatchType::Strategic] {
            let err = apply(t, "", "ConfigMap", &original, deep.as_bytes()).unwrap_err();
            assert_eq!(err, PatchError::TooDeep);
            assert_eq!(err.http_status(), 400);
        }
        let json_patch = format!(r#"[{{"op":"add","path":"/x","value":{deep}}}]"#);
        let err = apply(PatchType::Json, "", "ConfigMap", &original, json_patch.as_bytes());
        assert_eq!(err.unwrap_err(), PatchError::TooDeep);

        // Right at the limit is fine.
        let ok = nested(MAX_DEPTH);
        assert!(apply(PatchType::Merge, "", "ConfigMap", &original, ok.as_bytes()).is_ok());
        assert!(apply(PatchType::Strategic, "", "ConfigMap", &original, ok.as_bytes()).is_ok());
    }

    #[test]
    fn absurdly_deep_input_is_refused_without_overflow() {
        let original = json!({});
        let deep = "[".repeat(100_000);
        for t in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
            let err = apply(t, "", "Pod", &original, deep.as_bytes()).unwrap_err();
            assert_eq!(err.http_status(), 400, "{t:?}: {err}");
        }
    }
}
