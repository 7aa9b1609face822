//! The NamespaceAutoProvision plugin: a create in a namespace that does not exist creates
//! the namespace first (not for a dry run). The namespace is written only if still absent,
//! so a namespace someone else created meanwhile is kept.

use std::sync::Arc;

use serde_json::{json, Value};

use super::namespace_exists::in_a_namespace;
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Completion, Effect, Flow, Lookups};
use crate::storage::{Compare, StorageRequest, StorageResponse, TxnOp};

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NamespaceAutoProvision))
}

/// kube-apiserver's `NamespaceAutoProvision` (mutating).
#[derive(Debug)]
pub struct NamespaceAutoProvision;

/// The Namespace to create for `name`, as the registry would store it, its uid drawn from
/// the request's seed.
pub fn new_namespace(name: &str, now: crate::time::Now, seed: u64) -> Value {
    let uid = crate::rng::Rng::new(seed).uuid_v4();
    let mut ns = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": uid,
            "creationTimestamp": crate::time::format_rfc3339(now.wall_secs()),
        },
    });
    crate::validation::default_object("", "Namespace", &mut ns);
    ns
}

impl Plugin for NamespaceAutoProvision {
    fn name(&self) -> &'static str {
        "NamespaceAutoProvision"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating
            || request.operation != Operation::Create
            || request.dry_run
            || !in_a_namespace(&request)
        {
            return Flow::Ready(Ok(request));
        }
        let key = cx.core_key("namespaces", "", &request.namespace);
        cx.object(key.clone()).and_then(cx, move |ns, cx| match ns {
            Ok(Some(_)) => Flow::Ready(Ok(request)),
            Ok(None) => {
                let ns = new_namespace(&request.namespace, cx.now, request.seed);
                let create = StorageRequest::Txn {
                    compare: vec![Compare::CreateRevision(key.clone(), 0)],
                    success: vec![TxnOp::Put {
                        value: cx.storage.encode(&key, &ns),
                        key,
                        ttl_secs: None,
                    }],
                    failure: Vec::new(),
                };
                Flow::Wait(
                    Effect::Storage(create),
                    Box::new(move |completion, _| {
                        Flow::Ready(match completion {
                            // Created, or created by someone else meanwhile: either will do.
                            Completion::Storage(Ok(StorageResponse::Txn { .. })) => Ok(request),
                            Completion::Storage(Err(e)) => {
                                let why = crate::registry::rest::storage_error(&e).message;
                                Err(request.forbidden(&why))
                            }
                            other => Err(ApiError::internal(format!(
                                "unexpected answer to a create: {other:?}"
                            ))),
                        })
                    }),
                )
            }
            Err(e) => Flow::Ready(Err(request.forbidden(&e.message))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn cm(ns: &str) -> Value {
        json!({"metadata":{"name":"c","namespace":ns},"data":{}})
    }

    #[test]
    fn a_missing_namespace_is_created_once() {
        let w = World::with(&[("", "v1", "namespaces", json!({"metadata":{"name":"here"}}))]);
        let r = request(Operation::Create, ("", "v1", "configmaps"), cm("new"), None);
        assert!(w.admit(&NamespaceAutoProvision, r).is_ok());
        let written = w.written();
        assert_eq!(written.len(), 1);
        assert_eq!(written[0]["metadata"]["name"], "new");
        assert_eq!(written[0]["status"]["phase"], "Active");
        assert_eq!(written[0]["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(written[0]["metadata"]["uid"].as_str().map(str::len), Some(36));
        // An existing namespace, a dry run, a Namespace itself: nothing is written.
        let r = request(Operation::Create, ("", "v1", "configmaps"), cm("here"), None);
        assert!(w.admit(&NamespaceAutoProvision, r).is_ok());
        let mut dry = request(Operation::Create, ("", "v1", "configmaps"), cm("other"), None);
        dry.dry_run = true;
        assert!(w.admit(&NamespaceAutoProvision, dry).is_ok());
        assert_eq!(w.written().len(), 1);
    }
}
