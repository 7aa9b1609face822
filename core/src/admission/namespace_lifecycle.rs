//! The NamespaceLifecycle plugin: nothing is created in a namespace that does not exist or is
//! terminating, and the system namespaces cannot be deleted.

use serde_json::Value;

use crate::api::{self, ApiError};

/// Namespaces that can never be deleted.
pub const IMMORTAL: &[&str] = &["default", "kube-system", "kube-public"];

/// Checks a delete of a namespace.
pub fn admit_namespace_delete(name: &str) -> Result<(), ApiError> {
    if IMMORTAL.contains(&name) {
        return Err(ApiError::forbidden(
            "",
            "namespaces",
            name,
            "this namespace may not be deleted",
        ));
    }
    Ok(())
}

/// Checks a create in namespace `ns` given that namespace's current object (None: absent).
pub fn admit_create(ns: &str, namespace: Option<&Value>) -> Result<(), ApiError> {
    let Some(obj) = namespace else {
        return Err(ApiError::not_found("", "namespaces", ns));
    };
    let phase = obj.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
    if phase == "Terminating" || api::is_terminating(obj) {
        let mut e = ApiError::forbidden(
            "",
            "namespaces",
            ns,
            &format!("unable to create new content in namespace {ns} because it is being terminated"),
        );
        e.causes.push(api::Cause {
            reason: "NamespaceTerminating".into(),
            message: format!("namespace {ns} is being terminated"),
            field: "metadata.namespace".into(),
        });
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_missing_and_terminating() {
        assert_eq!(admit_create("x", None).unwrap_err().code, 404);
        let t = json!({"metadata":{"name":"x"},"status":{"phase":"Terminating"}});
        assert_eq!(admit_create("x", Some(&t)).unwrap_err().code, 403);
        let a = json!({"metadata":{"name":"x"},"status":{"phase":"Active"}});
        assert!(admit_create("x", Some(&a)).is_ok());
        assert_eq!(admit_namespace_delete("kube-system").unwrap_err().code, 403);
        assert!(admit_namespace_delete("team-a").is_ok());
    }
}
