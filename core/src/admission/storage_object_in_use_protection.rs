//! The StorageObjectInUseProtection plugin: every new PersistentVolume and
//! PersistentVolumeClaim gets the finalizer (`kubernetes.io/pv-protection`,
//! `kubernetes.io/pvc-protection`) that keeps it until nothing uses it any more.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The finalizer of PersistentVolumes.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";
/// The finalizer of PersistentVolumeClaims.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(StorageObjectInUseProtection))
}

/// kube-apiserver's `StorageObjectInUseProtection` (mutating).
#[derive(Debug)]
pub struct StorageObjectInUseProtection;

impl Plugin for StorageObjectInUseProtection {
    fn name(&self) -> &'static str {
        "StorageObjectInUseProtection"
    }

    fn admit(&self, phase: Phase, mut request: Request, _: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        if phase != Phase::Mutating || request.operation != Operation::Create {
            return Flow::Ready(Ok(request));
        }
        let finalizer = if request.is("", "persistentvolumes") {
            PV_PROTECTION
        } else if request.is("", "persistentvolumeclaims") {
            PVC_PROTECTION
        } else {
            return Flow::Ready(Ok(request));
        };
        if let Some(obj) = request.object.as_mut() {
            add_finalizer(obj, finalizer);
        }
        Flow::Ready(Ok(request))
    }
}

/// Appends `finalizer` unless `obj` has it.
pub fn add_finalizer(obj: &mut Value, finalizer: &str) {
    if crate::api::finalizers(obj).iter().any(|f| f == finalizer) {
        return;
    }
    let meta = crate::api::meta_mut(obj);
    let list = meta.entry("finalizers").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    if let Some(list) = list.as_array_mut() {
        list.push(json!(finalizer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn admit(op: Operation, resource: &str, obj: Value) -> Value {
        let r = request(op, ("", "v1", resource), obj, None);
        World::with(&[])
            .admit(&StorageObjectInUseProtection, r)
            .unwrap()
            .object
            .unwrap()
    }

    #[test]
    fn new_volumes_and_claims_get_their_finalizer_once() {
        let pvc = json!({"metadata":{"name":"c","namespace":"default","finalizers":["x"]},"spec":{}});
        let got = admit(Operation::Create, "persistentvolumeclaims", pvc);
        assert_eq!(got["metadata"]["finalizers"], json!(["x", PVC_PROTECTION]));
        let again = admit(Operation::Create, "persistentvolumeclaims", got.clone());
        assert_eq!(again, got);
        let pv = json!({"metadata":{"name":"v"},"spec":{}});
        let got = admit(Operation::Create, "persistentvolumes", pv);
        assert_eq!(got["metadata"]["finalizers"], json!([PV_PROTECTION]));
    }

    #[test]
    fn updates_and_other_kinds_are_unchanged() {
        let pvc = json!({"metadata":{"name":"c","namespace":"default"},"spec":{}});
        assert_eq!(
            admit(Operation::Update, "persistentvolumeclaims", pvc.clone()),
            pvc
        );
        let cm = json!({"metadata":{"name":"c","namespace":"default"}});
        assert_eq!(admit(Operation::Create, "configmaps", cm.clone()), cm);
    }
}
