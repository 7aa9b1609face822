//! The PersistentVolumeClaimResize plugin: a claim's storage request may only grow when the
//! claim is bound and its StorageClass (the same before and after) allows volume expansion.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::Value;

use super::default_storage_class::class_of;
use super::lookup;
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};
use crate::validation::Quantity;

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(PersistentVolumeClaimResize))
}

/// kube-apiserver's `PersistentVolumeClaimResize` (validating).
#[derive(Debug)]
pub struct PersistentVolumeClaimResize;

const NOT_RESIZABLE: &str = "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize";

fn storage_request(pvc: &Value) -> Option<Quantity> {
    let v = pvc.pointer("/spec/resources/requests/storage")?;
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Quantity::parse(&text).ok()
}

impl Plugin for PersistentVolumeClaimResize {
    fn name(&self) -> &'static str {
        "PersistentVolumeClaimResize"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Validating
            || request.operation != Operation::Update
            || !request.is("", "persistentvolumeclaims")
        {
            return Flow::Ready(Ok(request));
        }
        let (Some(new), Some(old)) = (request.object.as_ref(), request.old_object.as_ref()) else {
            return Flow::Ready(Ok(request));
        };
        // An absent request counts as zero, as kube's empty quantity does.
        let zero = Quantity::parse("0").ok();
        let grows = match (
            storage_request(new).or(zero.clone()),
            storage_request(old).or(zero),
        ) {
            (Some(n), Some(o)) => n.cmp_value(&o) == Ordering::Greater,
            _ => false,
        };
        if !grows {
            return Flow::Ready(Ok(request));
        }
        if lookup::text(old, "/status/phase") != "Bound" {
            return Flow::Ready(Err(
                request.forbidden("Only bound persistent volume claims can be expanded")
            ));
        }
        let (class, old_class) = (class_of(new), class_of(old));
        if class.is_empty() || class != old_class {
            return Flow::Ready(Err(request.forbidden(NOT_RESIZABLE)));
        }
        lookup::get(cx, ("storage.k8s.io", "v1", "storageclasses"), "", &class).and_then(cx, |sc, _| {
            let allowed = matches!(&sc, Ok(Some(sc)) if sc.get("allowVolumeExpansion").and_then(Value::as_bool) == Some(true));
            Flow::Ready(if allowed {
                Ok(request)
            } else {
                Err(request.forbidden(NOT_RESIZABLE))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};
    use serde_json::json;

    fn sc(name: &str, expand: Value) -> (&'static str, &'static str, &'static str, Value) {
        (
            "storage.k8s.io",
            "v1",
            "storageclasses",
            json!({"metadata":{"name":name},"provisioner":"p","allowVolumeExpansion":expand}),
        )
    }

    fn pvc(class: &str, size: &str, phase: &str) -> Value {
        json!({"metadata":{"name":"c","namespace":"default"},
               "spec":{"storageClassName":class,"resources":{"requests":{"storage":size}}},
               "status":{"phase":phase}})
    }

    fn resize(world: &World, old: Value, new: Value) -> Result<(), ApiError> {
        let r = request(
            Operation::Update,
            ("", "v1", "persistentvolumeclaims"),
            new,
            Some(old),
        );
        world.admit(&PersistentVolumeClaimResize, r).map(|_| ())
    }

    #[test]
    fn growing_needs_a_bound_claim_of_an_expandable_class() {
        let w = World::with(&[
            sc("fast", json!(true)),
            sc("slow", json!(false)),
            sc("plain", Value::Null),
        ]);
        assert!(resize(&w, pvc("fast", "1Gi", "Bound"), pvc("fast", "2Gi", "Bound")).is_ok());
        let e = resize(&w, pvc("fast", "1Gi", "Pending"), pvc("fast", "2Gi", "Pending")).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "persistentvolumeclaims \"c\" is forbidden: Only bound persistent volume claims can be expanded"
        );
        for class in ["slow", "plain", "missing"] {
            let e = resize(&w, pvc(class, "1Gi", "Bound"), pvc(class, "2Gi", "Bound")).unwrap_err();
            assert_eq!(e.code, 403);
            assert_eq!(
                e.message,
                format!("persistentvolumeclaims \"c\" is forbidden: {NOT_RESIZABLE}")
            );
        }
        // The class may not change on the way.
        assert!(resize(&w, pvc("slow", "1Gi", "Bound"), pvc("fast", "2Gi", "Bound")).is_err());
    }

    #[test]
    fn keeping_or_shrinking_the_size_is_not_this_plugins_concern() {
        let w = World::with(&[]);
        assert!(resize(&w, pvc("x", "1Gi", "Pending"), pvc("x", "1024Mi", "Pending")).is_ok());
        assert!(resize(&w, pvc("x", "2Gi", "Pending"), pvc("x", "1Gi", "Pending")).is_ok());
    }
}
