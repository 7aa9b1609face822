//! The DefaultStorageClass plugin: a new PersistentVolumeClaim that names no class gets the
//! cluster's default StorageClass (annotated `storageclass.kubernetes.io/is-default-class`);
//! when several are marked default, the newest wins, then the first by name, as kube 1.32
//! picks.

use std::sync::Arc;

use serde_json::{json, Value};

use super::lookup::{self, text};
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

const STORAGE_CLASSES: (&str, &str, &str) = ("storage.k8s.io", "v1", "storageclasses");
/// The annotation that names a claim's class before `spec.storageClassName` existed.
pub const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(DefaultStorageClass))
}

/// kube-apiserver's `DefaultStorageClass` (mutating).
#[derive(Debug)]
pub struct DefaultStorageClass;

impl Plugin for DefaultStorageClass {
    fn name(&self) -> &'static str {
        "DefaultStorageClass"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let applies = phase == Phase::Mutating
            && request.operation == Operation::Create
            && request.is("", "persistentvolumeclaims")
            && request.object.as_ref().is_some_and(|pvc| !has_class(pvc));
        if !applies {
            return Flow::Ready(Ok(request));
        }
        lookup::list(cx, STORAGE_CLASSES, "").and_then(cx, move |classes, _| {
            let mut request = request;
            let classes = match classes {
                Ok(classes) => classes,
                Err(e) => return Flow::Ready(Err(request.forbidden(&e.message))),
            };
            let chosen = newest_default(&classes, is_default_class).map(|c| crate::api::name(c).to_string());
            if let (Some(name), Some(spec)) = (
                chosen,
                request
                    .object
                    .as_mut()
                    .and_then(|o| o.get_mut("spec"))
                    .and_then(Value::as_object_mut),
            ) {
                spec.insert("storageClassName".into(), json!(name));
            }
            Flow::Ready(Ok(request))
        })
    }
}

/// Whether a claim names a class already (even ""), in its spec or the beta annotation.
pub fn has_class(pvc: &Value) -> bool {
    let named = pvc
        .pointer("/spec/storageClassName")
        .is_some_and(|v| !v.is_null());
    named || lookup::annotation(pvc, BETA_CLASS_ANNOTATION).is_some()
}

/// The class of a claim: the beta annotation's, else the spec's, else "".
pub fn class_of(pvc: &Value) -> String {
    match lookup::annotation(pvc, BETA_CLASS_ANNOTATION) {
        Some(v) => v.to_string(),
        None => text(pvc, "/spec/storageClassName").to_string(),
    }
}

/// Whether a StorageClass is marked the default (GA or beta annotation).
pub fn is_default_class(class: &Value) -> bool {
    [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|k| lookup::annotation(class, k) == Some("true"))
}

/// Of the classes `is_default` marks, the newest by creation time, then the first by name.
pub fn newest_default<C: std::borrow::Borrow<Value>>(
    classes: &[C],
    is_default: fn(&Value) -> bool,
) -> Option<&Value> {
    let created = |c: &Value| text(c, "/metadata/creationTimestamp").to_string();
    classes
        .iter()
        .map(C::borrow)
        .filter(|c| is_default(c))
        .min_by(|a, b| {
            created(b)
                .cmp(&created(a))
                .then_with(|| crate::api::name(a).cmp(crate::api::name(b)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn class(name: &str, created: &str, default: &str) -> (&'static str, &'static str, &'static str, Value) {
        let (g, v, r) = STORAGE_CLASSES;
        let mut c = json!({"apiVersion":"storage.k8s.io/v1","kind":"StorageClass",
            "metadata":{"name":name,"creationTimestamp":created},"provisioner":"p"});
        if !default.is_empty() {
            c["metadata"]["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": default});
        }
        (g, v, r, c)
    }

    fn claim(world: &World, spec: Value, annotations: Value) -> Value {
        let pvc = json!({"apiVersion":"v1","kind":"PersistentVolumeClaim",
            "metadata":{"name":"c","namespace":"default","annotations":annotations},"spec":spec});
        let r = request(Operation::Create, ("", "v1", "persistentvolumeclaims"), pvc, None);
        world.admit(&DefaultStorageClass, r).unwrap().object.unwrap()["spec"].clone()
    }

    #[test]
    fn a_claim_without_a_class_gets_the_newest_default() {
        let w = World::with(&[
            class("old", "2024-01-01T00:00:00Z", "true"),
            class("newer-b", "2024-06-01T00:00:00Z", "true"),
            class("newer-a", "2024-06-01T00:00:00Z", "true"),
            class("newest-not-default", "2025-01-01T00:00:00Z", "false"),
            class("plain", "2025-01-01T00:00:00Z", ""),
        ]);
        assert_eq!(claim(&w, json!({}), json!({}))["storageClassName"], "newer-a");
    }

    #[test]
    fn a_claim_naming_a_class_or_with_no_default_is_unchanged() {
        let w = World::with(&[class("d", "2024-01-01T00:00:00Z", "true")]);
        assert_eq!(
            claim(&w, json!({"storageClassName": ""}), json!({}))["storageClassName"],
            ""
        );
        let beta = json!({BETA_CLASS_ANNOTATION: "x"});
        assert!(claim(&w, json!({}), beta).get("storageClassName").is_none());
        let none = World::with(&[class("plain", "2024-01-01T00:00:00Z", "")]);
        assert!(claim(&none, json!({}), json!({}))
            .get("storageClassName")
            .is_none());
    }
}
