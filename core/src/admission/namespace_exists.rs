//! The NamespaceExists plugin: nothing is written in a namespace that does not exist (the
//! namespace is looked up in the watch cache, then in storage).

use std::sync::Arc;

use serde_json::Value;

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NamespaceExists))
}

/// kube-apiserver's `NamespaceExists` (validating).
#[derive(Debug)]
pub struct NamespaceExists;

/// Whether a request is about something in a namespace (not a Namespace itself).
pub fn in_a_namespace(request: &Request) -> bool {
    let is_namespace = request.group.is_empty() && request.kind == "Namespace";
    !request.namespace.is_empty() && !is_namespace
}

impl Plugin for NamespaceExists {
    fn name(&self) -> &'static str {
        "NamespaceExists"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating || request.operation == Operation::Connect || !in_a_namespace(&request)
        {
            return Flow::Ready(Ok(request));
        }
        let key = cx.core_key("namespaces", "", &request.namespace);
        cx.object(key).and_then(cx, |ns, _| {
            Flow::Ready(match ns {
                Ok(Some(_)) => Ok(request),
                Ok(None) => Err(ApiError::not_found("", "namespaces", &request.namespace)),
                Err(e) => Err(e),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};
    use serde_json::json;

    #[test]
    fn a_write_in_a_missing_namespace_is_not_found() {
        let w = World::with(&[("", "v1", "namespaces", json!({"metadata":{"name":"here"}}))]);
        let cm = |ns: &str| json!({"metadata":{"name":"c","namespace":ns}});
        let r = request(Operation::Create, ("", "v1", "configmaps"), cm("here"), None);
        assert!(w.admit(&NamespaceExists, r).is_ok());
        let r = request(Operation::Update, ("", "v1", "configmaps"), cm("gone"), None);
        let e = w.admit(&NamespaceExists, r).unwrap_err();
        assert_eq!(e.code, 404);
        assert_eq!(e.message, "namespaces \"gone\" not found");
        let r = request(
            Operation::Create,
            ("", "v1", "namespaces"),
            json!({"metadata":{"name":"new"}}),
            None,
        );
        assert!(w.admit(&NamespaceExists, r).is_ok());
    }
}
