//! JSON Patch (RFC 6902, `application/json-patch+json`), on top of the `json-patch` crate.
//!
//! kube-apiserver answers 400 when the body is not a list of operation objects, 413 past
//! [`MAX_OPERATIONS`] operations, and 422 (with a generic message) when an operation does
//! not apply: a failed `test`, a missing path, an unknown `op`.

use ::json_patch::{PatchErrorKind, PatchOperation};
use serde_json::Value;

use super::error::json_kind;
use super::{check_depth, PatchError};

/// Most operations one JSON Patch may hold (kube-apiserver's `maxJSONPatchOperations`).
pub const MAX_OPERATIONS: usize = 10_000;

/// Most bytes `copy` operations may add to a document, as kube-apiserver's default
/// `--max-request-bytes`-sized `JSONPatchMaxCopyBytes`. Without it a few dozen copies of
/// a growing value would take exponential memory.
pub const MAX_COPY_BYTES: usize = 3 * 1024 * 1024;

const OPERATIONS: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];

/// Applies the JSON Patch `patch_bytes` to `original`.
pub(super) fn apply(original: &Value, patch_bytes: &[u8]) -> Result<Value, PatchError> {
    let body: Value =
        serde_json::from_slice(patch_bytes).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    check_depth(&body)?;
    let Value::Array(operations) = body else {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            json_kind(&body)
        )));
    };
    if let Some(op) = operations.iter().find(|op| !op.is_object()) {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            json_kind(op)
        )));
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(PatchError::TooManyOperations(operations.len()));
    }

    let mut doc = original.clone();
    let mut copied = 0usize;
    for raw in operations {
        let operation = decode(raw)?;
        if let PatchOperation::Copy(copy) = &operation {
            // A missing `from` is reported by the copy itself below.
            if let Some(value) = doc.pointer(copy.from.as_str()) {
                copied = copied.saturating_add(serialized_len(value));
                if copied > MAX_COPY_BYTES {
                    return Err(PatchError::generic_invalid(format!(
                        "Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MAX_COPY_BYTES}"
                    )));
                }
            }
        }
        // `doc` is a private copy, so a failure half-way needs no undo.
        ::json_patch::patch_unsafe(&mut doc, std::slice::from_ref(&operation))
            .map_err(|e| PatchError::generic_invalid(describe(&operation, &e.kind)))?;
    }
    if doc.is_object() {
        Ok(doc)
    } else {
        Err(PatchError::invalid_result(&doc))
    }
}

/// Decodes one operation object; problems with it are 422s, as in kube-apiserver.
fn decode(raw: Value) -> Result<PatchOperation, PatchError> {
    let op = raw.get("op").and_then(Value::as_str).unwrap_or("unknown");
    if !OPERATIONS.contains(&op) {
        return Err(PatchError::generic_invalid(format!("Unexpected kind: {op}")));
    }
    let op = op.to_string();
    serde_json::from_value(raw)
        .map_err(|e| PatchError::generic_invalid(format!("{op} operation is malformed: {e}")))
}

/// Wording of the Go json-patch library kube-apiserver uses, for logs.
fn describe(operation: &PatchOperation, kind: &PatchErrorKind) -> String {
    let path = operation.path().as_str();
    match (operation, kind) {
        (_, PatchErrorKind::TestFailed) => format!("testing value {path} failed: test failed"),
        (PatchOperation::Add(_), _) => {
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        (PatchOperation::Remove(_), _) => {
            format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        (PatchOperation::Replace(_), _) => {
            format!("replace operation does not apply: doc is missing key: {path}: missing value")
        }
        (PatchOperation::Test(_), _) => {
            format!("test operation does not apply: is missing path: {path}: missing value")
        }
        (PatchOperation::Move(op), PatchErrorKind::InvalidFromPointer) => format!(
            "move operation does not apply: doc is missing from path: {}: missing value",
            op.from
        ),
        (PatchOperation::Copy(op), PatchErrorKind::InvalidFromPointer) => format!(
            "copy operation does not apply: doc is missing from path: {}: missing value",
            op.from
        ),
        (PatchOperation::Move(_) | PatchOperation::Copy(_), PatchErrorKind::InvalidPointer) => {
            let name = if matches!(operation, PatchOperation::Move(_)) {
                "move"
            } else {
                "copy"
            };
            format!("{name} operation does not apply: doc is missing destination path: {path}: missing value")
        }
        (_, kind) => kind.to_string(),
    }
}

/// Length of `value` serialized as compact JSON, without building the string.
fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a Value to an infallible sink cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1"}]}
        })
    }

    fn run(patch: Value) -> Result<Value, PatchError> {
        apply(&pod(), patch.to_string().as_bytes())
    }

    #[test]
    fn operations_apply_in_order() {
        let out = run(json!([
            {"op": "test", "path": "/metadata/name", "value": "web"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:2"},
            {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
            {"op": "remove", "path": "/metadata/labels/app"},
            {"op": "copy", "from": "/spec/containers/0", "path": "/spec/containers/-"},
            {"op": "move", "from": "/metadata/labels/tier", "path": "/metadata/annotations"}
        ]))
        .unwrap();
        assert_eq!(out["spec"]["containers"][0]["image"], "nginx:2");
        assert_eq!(out["spec"]["containers"][1]["image"], "nginx:2");
        assert_eq!(out["metadata"]["labels"], json!({}));
        assert_eq!(out["metadata"]["annotations"], "front");
    }

    #[test]
    fn failed_test_is_unprocessable_with_generic_message() {
        let err = run(json!([{"op": "test", "path": "/metadata/name", "value": "other"}])).unwrap_err();
        assert_eq!(err.http_status(), 422);
        assert_eq!(err.reason(), "Invalid");
        assert_eq!(
            err.message(),
            "the server rejected our request due to an error in our request"
        );
        let PatchError::Unprocessable { detail, .. } = err else {
            panic!("unexpected {err:?}")
        };
        assert_eq!(detail, "testing value /metadata/name failed: test failed");
    }

    #[test]
    fn missing_paths_are_unprocessable() {
        for patch in [
            json!([{"op": "remove", "path": "/metadata/missing"}]),
            json!([{"op": "replace", "path": "/spec/nothing", "value": 1}]),
            json!([{"op": "add", "path": "/no/such/parent", "value": 1}]),
            json!([{"op": "move", "from": "/nope", "path": "/x"}]),
            json!([{"op": "copy", "from": "/nope", "path": "/x"}]),
            json!([{"op": "add", "path": "/spec/containers/5", "value": {}}]),
            json!([{"op": "frobnicate", "path": "/x"}]),
            json!([{"path": "/x"}]),
            json!([{"op": "add", "path": "no-slash", "value": 1}]),
        ] {
            let err = run(patch.clone()).unwrap_err();
            assert_eq!(err.http_status(), 422, "{patch}: {err:?}");
        }
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        for body in ["{", "{}", "\"x\"", "[1]", "[[]]", "null"] {
            let err = apply(&pod(), body.as_bytes()).unwrap_err();
            assert_eq!(err.http_status(), 400, "{body}: {err:?}");
            assert_eq!(err.reason(), "BadRequest");
        }
        let err = apply(&pod(), b"{}").unwrap_err();
        assert_eq!(
            err.message(),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
    }

    #[test]
    fn empty_patch_is_a_no_op() {
        assert_eq!(run(json!([])).unwrap(), pod());
    }

    #[test]
    fn too_many_operations() {
        let ops: Vec<Value> = (0..=MAX_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/kind", "value": "Pod"}))
            .collect();
        let err = run(Value::Array(ops)).unwrap_err();
        assert_eq!(err, PatchError::TooManyOperations(MAX_OPERATIONS + 1));
        assert_eq!(err.http_status(), 413);
        assert_eq!(
            err.message(),
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
    }

    #[test]
    fn copy_amplification_is_bounded() {
        let mut ops = vec![json!({"op": "add", "path": "/blob", "value": ["x".repeat(1000)]})];
        for _ in 0..40 {
            ops.push(json!({"op": "copy", "from": "/blob", "path": "/blob/-"}));
            ops.push(json!({"op": "copy", "from": "/blob", "path": "/blob/0"}));
        }
        let err = run(Value::Array(ops)).unwrap_err();
        assert_eq!(err.http_status(), 422);
    }

    #[test]
    fn replacing_the_root_with_a_non_object_is_invalid() {
        let err = run(json!([{"op": "replace", "path": "", "value": [1]}])).unwrap_err();
        assert_eq!(err.http_status(), 422);
    }

    #[test]
    fn failure_leaves_the_original_untouched() {
        let original = pod();
        let patch = json!([
            {"op": "add", "path": "/metadata/labels/x", "value": "1"},
            {"op": "test", "path": "/kind", "value": "Node"}
        ]);
        assert!(apply(&original, patch.to_string().as_bytes()).is_err());
        assert_eq!(original, pod());
    }
}
