//! node.k8s.io/v1 RuntimeClass.

use super::super::field_error::FieldError;
use super::super::metadata::validate_labels;
use super::super::names::dns1123_label_errors;
use super::super::value::{get, map_of, str_of, Path};
use super::common::{immutable_str, invalid_each};
use serde_json::Value;

/// RuntimeClass rules: a DNS-label handler and valid node selector labels.
pub(super) fn validate_runtime_class(obj: &Value, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    let handler = str_of(obj, "handler");
    errs.extend(invalid_each(
        &Path::new("handler"),
        handler,
        dns1123_label_errors(handler),
    ));
    if let Some(s) = get(obj, "scheduling") {
        let p = Path::new("scheduling").child("nodeSelector");
        errs.extend(validate_labels(map_of(s, "nodeSelector"), &p));
    }
    errs
}

/// RuntimeClass update: the handler is immutable.
pub(super) fn validate_runtime_class_update(
    new: &Value,
    old: &Value,
    mut errs: Vec<FieldError>,
) -> Vec<FieldError> {
    immutable_str(&mut errs, &Path::new("handler"), new, old, "handler");
    errs
}

#[cfg(test)]
mod tests {
    use super::super::super::{validate_create, validate_update};
    use serde_json::json;

    const G: &str = "node.k8s.io";

    #[test]
    fn runtime_class() {
        let ok = json!({"metadata": {"name": "gvisor"}, "handler": "runsc"});
        assert!(validate_create(G, "RuntimeClass", &ok).is_empty());
        let bad = json!({"metadata": {"name": "x"}, "handler": "run.sc"});
        assert_eq!(
            validate_create(G, "RuntimeClass", &bad)[0].message(),
            "handler: Invalid value: \"run.sc\": must not contain dots"
        );
        let moved = json!({"metadata": {"name": "gvisor"}, "handler": "kata"});
        assert_eq!(
            validate_update(G, "RuntimeClass", &moved, &ok)[0].message(),
            "handler: Invalid value: \"kata\": field is immutable"
        );
    }
}
