//! The NamespaceLifecycle plugin: nothing is created in a namespace that does not exist or is
//! terminating, and the system namespaces cannot be deleted. The namespace is looked up in
//! the watch cache, and read from storage when the cache does not have it (yet).

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::{self, ApiError};
use crate::server::effect::{Flow, Lookups};

/// Namespaces that can never be deleted.
pub const IMMORTAL: &[&str] = &["default", "kube-system", "kube-public"];

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<std::sync::Arc<dyn Plugin>, String> {
    Ok(std::sync::Arc::new(NamespaceLifecycle))
}

/// kube-apiserver's `NamespaceLifecycle` (a mutating plugin: it runs in the mutating phase).
#[derive(Debug)]
pub struct NamespaceLifecycle;

impl Plugin for NamespaceLifecycle {
    fn name(&self) -> &'static str {
        "NamespaceLifecycle"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating {
            return Flow::Ready(Ok(request));
        }
        let is_namespace = request.group.is_empty() && request.resource == "namespaces";
        if request.operation == Operation::Delete && is_namespace && request.subresource.is_empty() {
            return Flow::Ready(admit_namespace_delete(&request.name).map(|()| request));
        }
        if request.operation != Operation::Create || !request.namespaced || request.namespace.is_empty() {
            return Flow::Ready(Ok(request));
        }
        let key = format!("{}/namespaces/{}", cx.prefix, request.namespace).into_bytes();
        cx.object(key).and_then(cx, move |ns, _| {
            Flow::Ready(ns.and_then(|ns| admit_create(&request.namespace, ns.as_ref()).map(|()| request)))
        })
    }
}

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
