//! The DefaultIngressClass plugin: a new Ingress that names no class (neither
//! `spec.ingressClassName` nor the `kubernetes.io/ingress.class` annotation) gets the
//! default IngressClass (annotated `ingressclass.kubernetes.io/is-default-class: "true"`),
//! the newest when several are, then the first by name.

use std::sync::Arc;

use serde_json::{json, Value};

use super::default_storage_class::newest_default;
use super::lookup;
use super::{Operation, Phase, Plugin, Request};
use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

/// The annotation that marks the default IngressClass.
pub const DEFAULT_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// Builds the plugin (it takes no configuration).
pub fn build(_: &Value) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(DefaultIngressClass))
}

/// kube-apiserver's `DefaultIngressClass` (mutating).
#[derive(Debug)]
pub struct DefaultIngressClass;

fn names_a_class(ingress: &Value) -> bool {
    ingress
        .pointer("/spec/ingressClassName")
        .is_some_and(|v| !v.is_null())
        || lookup::annotation(ingress, "kubernetes.io/ingress.class").is_some()
}

fn is_default(class: &Value) -> bool {
    lookup::annotation(class, DEFAULT_ANNOTATION) == Some("true")
}

impl Plugin for DefaultIngressClass {
    fn name(&self) -> &'static str {
        "DefaultIngressClass"
    }

    fn admit(&self, phase: Phase, request: Request, cx: &Lookups<'_>) -> Flow<Result<Request, ApiError>> {
        let applies = phase == Phase::Mutating
            && request.operation == Operation::Create
            && request.is("networking.k8s.io", "ingresses")
            && request.object.as_ref().is_some_and(|i| !names_a_class(i));
        if !applies {
            return Flow::Ready(Ok(request));
        }
        lookup::list(cx, ("networking.k8s.io", "v1", "ingressclasses"), "").and_then(cx, |classes, _| {
            let mut request = request;
            let classes = match classes {
                Ok(classes) => classes,
                Err(e) => return Flow::Ready(Err(request.forbidden(&e.message))),
            };
            let chosen = newest_default(&classes, is_default).map(|c| crate::api::name(c).to_string());
            let spec = request
                .object
                .as_mut()
                .and_then(|o| o.as_object_mut())
                .map(|o| o.entry("spec").or_insert_with(|| json!({})))
                .and_then(Value::as_object_mut);
            if let (Some(name), Some(spec)) = (chosen, spec) {
                spec.insert("ingressClassName".into(), json!(name));
            }
            Flow::Ready(Ok(request))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::lookup::fixture::{request, World};

    fn class(name: &str, created: &str, default: &str) -> (&'static str, &'static str, &'static str, Value) {
        (
            "networking.k8s.io",
            "v1",
            "ingressclasses",
            json!({"metadata":{"name":name,"creationTimestamp":created,
                   "annotations":{DEFAULT_ANNOTATION: default}},"spec":{"controller":"x/y"}}),
        )
    }

    fn create(world: &World, ingress: Value) -> Value {
        let r = request(
            Operation::Create,
            ("networking.k8s.io", "v1", "ingresses"),
            ingress,
            None,
        );
        world.admit(&DefaultIngressClass, r).unwrap().object.unwrap()
    }

    #[test]
    fn an_ingress_naming_no_class_gets_the_newest_default() {
        let w = World::with(&[
            class("a", "2024-01-01T00:00:00Z", "true"),
            class("b", "2024-02-01T00:00:00Z", "true"),
            class("c", "2024-03-01T00:00:00Z", "false"),
        ]);
        let i = create(
            &w,
            json!({"metadata":{"name":"i","namespace":"default"},"spec":{}}),
        );
        assert_eq!(i["spec"]["ingressClassName"], "b");
    }

    #[test]
    fn a_class_named_either_way_is_kept() {
        let w = World::with(&[class("a", "2024-01-01T00:00:00Z", "true")]);
        let named = json!({"metadata":{"name":"i","namespace":"default"},"spec":{"ingressClassName":"mine"}});
        assert_eq!(create(&w, named.clone()), named);
        let annotated = json!({"metadata":{"name":"i","namespace":"default",
            "annotations":{"kubernetes.io/ingress.class":"nginx"}},"spec":{}});
        assert_eq!(create(&w, annotated.clone()), annotated);
        let none = World::with(&[class("a", "2024-01-01T00:00:00Z", "false")]);
        let plain = json!({"metadata":{"name":"i","namespace":"default"},"spec":{}});
        assert_eq!(create(&none, plain.clone()), plain);
    }
}
